"""``scalarnet step``: training steps with every value and gradient, as tables, JSON or the HTML viewer."""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from .common import (
    error,
    exercise_command,
    load_exercise,
    open_engine_of,
    positive,
    print_json,
    typed_name,
    unknown_param,
)


def print_steps(args: argparse.Namespace) -> int:
    from ..engines.matrix import MatrixExercise
    from ..views.table import step_table

    ex = open_engine_of(args, default="scalar")  # stepping shows the scalar nodes unless asked otherwise
    if args.json:
        records = [r.to_json() for r in ex.steps(args.steps)]
        print_json({"engine": ex.name, "steps": records}, ensure_ascii=True)
        return 0
    for step in range(args.steps):
        record, trace = ex.run_step()
        sys.stdout.write("\n" if step else "")  # a blank line between steps, none after the last
        if isinstance(ex, MatrixExercise):
            from ..views.matrix_table import matrix_step_table

            sys.stdout.write(matrix_step_table(record, trace, ex))
        else:
            sys.stdout.write(step_table(record, ex.title))
    return 0

def run(args: argparse.Namespace) -> int:
    """``step --html OUT.html``: the step-through viewer; without --html, the usual step."""
    if args.html is None:
        return print_steps(args)
    if args.json:
        return error(_("--html writes the viewer and --json prints the steps: give one of them"))
    from ..spec.limits import check_drawable
    from ..views.diagram import DiagramError
    from ..views.viewer import write_html

    ex = load_exercise(args, check_drawable)
    if unknown_param(ex, args.param):
        return 2
    from ..views import render

    if not render.can_render("svg"):
        print(_("scalarnet: note: no Graphviz renderer, so the viewer has no diagrams; {hint}").format(
            hint=render.install_hint("svg")), file=sys.stderr)
    try:
        path = write_html(ex, args.steps, args.html, param=args.param)
    except DiagramError as err:
        return error(str(err))
    print(path)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = exercise_command(sub, "step", _("run training steps and show every value and gradient of each"), _(
        "scalar (nodes; the default), matrix (numpy, [network] files) or compiled (the scalar graph replayed over "
        "numpy; any file)"))
    p.add_argument("--steps", type=positive, default=1, help=_("how many steps (default 1)"))
    p.add_argument("--html", metavar="OUT.html", help=_("write a self-contained step-through viewer of the steps"))
    p.add_argument("--param", type=typed_name,
                   help=_("with --html: the parameter whose paths (in red) and derivation the viewer "
                          "shows from the start (default: none until the reader picks one)"))
    p.set_defaults(run=run)
