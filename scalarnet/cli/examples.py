"""``scalarnet examples`` lists the bundled exercises; ``scalarnet demo`` steps through the tutorials' textbook ones."""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from .common import command, note_pure_build


def examples(args: argparse.Namespace) -> int:
    from ..spec.bundled import bundled_titles, dataset_names

    rows = bundled_titles()
    width = max(len(n) for n, _title in rows)
    for name, title in rows:
        print(f"{name:<{width}}  {title}")
    print("\n" + _("at the tutorials' scale, on data files (scalarnet train NAME): ") + ", ".join(dataset_names()))
    return 0

DEMO = ("sigmoid-2-2-2", "mazur-2-2-2", "sigmoid-2-2-1", "curve-fit-1-5-1", "quadratic-5-layer")

DEMO_ROWS, DEMO_COLUMNS, DEMO_WIDTH = 24, 3, 80  # the demo fits an 80-column terminal

def demo(args: argparse.Namespace) -> int:
    """Step once through each of the tutorials' textbook exercises and print its tables."""
    from ..engines.scalar import Exercise
    from ..views.table import step_table

    note_pure_build()
    for name in DEMO:
        ex = Exercise.load(name)
        print(f"$ scalarnet step {name}")
        for record in ex.steps(1):
            sys.stdout.write(step_table(record, ex.title, DEMO_ROWS, DEMO_COLUMNS, DEMO_WIDTH) + "\n")
    print(_("Next: {first}\n      {second}\n      {third}").format(  # the translation aligns the commands
        first="scalarnet step sigmoid-2-2-2 --steps 10", second="scalarnet derive mazur-2-2-2 --param w1",
        third="scalarnet render mazur-2-2-2 · scalarnet train iris · scalarnet examples"))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    listing = command(sub, "examples", _("list the bundled exercises"), _(
        "List the bundled exercises by name, with their titles, then the exercises on data files; every command "
        "takes such a name in place of an exercise file (scalarnet step NAME)."), exercise=False)
    listing.set_defaults(run=examples)
    command(sub, "demo", _("step once through the five textbook exercises"), _(
        "Run the first training step of the five textbook exercises ({names}) and print the tables of each: the "
        "forward values, the loss, every gradient and the updated weights. `scalarnet examples` lists all the "
        "bundled exercises.").format(names=", ".join(f"`{n}`" for n in DEMO)), exercise=False).set_defaults(run=demo)
