"""``scalarnet grade``: students' answers to a quiz marked, with the mistakes behind the wrong ones."""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from .common import command, error, json_argument, print_json


def run(args: argparse.Namespace) -> int:
    """Mark the answers, name the mistakes, write a report per student and a class summary."""
    from ..teach import grade

    if not 1 <= args.sig <= 15:
        return error(_("--sig {sig}: give a number of significant figures from 1 to 15").format(sig=args.sig))
    try:
        grades = grade.grade(args.dir, args.answers, args.sig)
    except grade.GradeError as err:
        return error(str(err))
    written = grade.write_reports(grades)
    if args.json:
        print_json(grades.to_json())
        return 0
    for s in grades.students.values():
        sys.stdout.write(grade.student_report(s, grades.loss, markdown=False) + "\n")
    sys.stdout.write(grade.class_report(grades))
    print(_("scalarnet: wrote {n} files into {folder}").format(n=len(written), folder=written[-1].parent),
          file=sys.stderr)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "grade", _("mark students' answers to a quiz and name the mistakes behind wrong ones"), _(
        "Read answers as CSV rows student,variant,quantity,value (with that header), compute each variant "
        "again, mark each answer right when it agrees to --sig significant figures, and name the catalogue "
        "mistakes that reproduce the wrong ones. Writes DIR/grades/ (a report per student, the class summary, "
        "JSON)."), exercise=False)
    p.add_argument("dir", help=_("the folder `scalarnet quiz` wrote"))
    p.add_argument("--answers", required=True, metavar="FILE.csv", help=_("the answers"))
    p.add_argument("--sig", type=int, default=3, help=_("significant figures an answer must agree to (default 3)"))
    json_argument(p)
    p.set_defaults(run=run)
