"""``scalarnet quiz``: N variants of an exercise with question sheets and answer keys."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import _
from .common import command, error, fit_argument, json_argument, positive, print_json


def run(args: argparse.Namespace) -> int:
    """Write N variants of an exercise: exercise file, question sheet and answer key each."""
    from ..teach import quiz

    if args.seed < 0:
        return error(_("--seed {seed}: give a whole number ≥ 0").format(seed=args.seed))
    asked = [q.strip() for q in args.ask.split(",") if q.strip()] if args.ask else None
    try:
        made = quiz.make(args.file, args.variants, args.out, seed=args.seed, asked=asked, pdf=not args.no_pdf,
                         force=args.force, fit=args.fit)
    except quiz.QuizError as err:
        return error(str(err))
    if args.json:
        print_json({"variants": [v.to_json() for v in made]})
        return 0
    for v in made:
        print(_("variant {id}: ").format(id=v.id) + "  ".join(str(p) for p in v.files.values()))
    out = Path(args.out)
    print(_("class summary: {csv}  {json}; answers for `scalarnet grade`: {template}").format(
        csv=out / "summary.csv", json=out / "summary.json", template=out / "answers-template.csv"))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "quiz", _("write N variants of an exercise with question sheets and answer keys"), _(
        "Draw new numbers for an exercise (its [vary] ranges, else params in [-1, 1] and inputs and targets "
        "in [0, 1], rounded to 2 decimals) and write, per variant, the exercise file, a question sheet with "
        "the network picture and an answer key with the worked derivation (Markdown; LaTeX and PDF when "
        "pdflatex is installed), and a class summary (CSV and JSON)."))
    p.add_argument("--variants", type=positive, required=True, help=_("how many variants, numbered 1..N"))
    p.add_argument("--seed", type=int, default=0, help=_("the seed the numbers are drawn from (default 0)"))
    p.add_argument("--ask", metavar="QUANTITIES", help=_("comma-separated: a node or param name for its value "
                   "(out_o1, E), grad:w1, new:w1; default: the loss, every gradient and every updated weight"))
    p.add_argument("--out", required=True, metavar="DIR", help=_("the folder to write into"))
    p.add_argument("--no-pdf", action="store_true", help=_("skip the PDFs even when pdflatex is installed"))
    p.add_argument("--force", action="store_true", help=_("replace the quiz already in the --out folder (its "
                   "variants, summary and grades) instead of refusing"))
    fit_argument(p)
    json_argument(p, _("print {document} only").format(document='{"variants": [{"id", "exercise", "sheet", "key"}, '
                                                                  '...]}'))
    p.set_defaults(run=run)
