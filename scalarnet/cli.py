"""The ``scalarnet`` command. Each subcommand is a few lines calling the library.

With ``--json`` standard output holds the JSON document alone; progress, warnings and
messages go to standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from .bundled import bundled_titles, resolve
from .exercise import Exercise, ExerciseError
from .spec import SpecError
from .views.table import number, step_table

ENGINES = ("scalar",)


def _exercise(args: argparse.Namespace) -> Exercise:
    return Exercise.load(resolve(args.file), learning_rate=args.lr)


def _check_engine(args: argparse.Namespace) -> None:
    print(f"engine: {args.engine}", file=sys.stderr)


def cmd_step(args: argparse.Namespace) -> int:
    ex = _exercise(args)
    _check_engine(args)
    if args.json:
        records = [r.to_json() for r in ex.steps(args.steps)]
        json.dump({"engine": args.engine, "steps": records}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    for record in ex.steps(args.steps):
        sys.stdout.write(step_table(record, ex.title) + "\n")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    ex = _exercise(args)
    _check_engine(args)
    epochs = args.epochs if args.epochs is not None else ex.spec.train.epochs
    bar = ProgressBar(epochs, sys.stderr) if sys.stderr.isatty() else None
    result = ex.train(epochs, on_epoch=bar.update if bar else None)
    if bar:
        bar.close()
    if args.json:
        json.dump({"engine": args.engine, **result.to_json()}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    losses = result.epoch_losses
    marks = sorted({1, *range(max(1, epochs // 10), epochs + 1, max(1, epochs // 10)), epochs})
    print(f"{ex.title}: {epochs} epochs, learning rate {number(ex.learning_rate)}")
    for k in marks:
        print(f"  epoch {k:>{len(str(epochs))}}  loss {number(losses[k - 1])}")
    print("parameters after training:")
    width = max(len(n) for n in result.params)
    for name, value in result.params.items():
        print(f"  {name:<{width}}  {number(value)}")
    return 0


def cmd_examples(args: argparse.Namespace) -> int:
    rows = bundled_titles()
    width = max(len(n) for n, _ in rows)
    for name, title in rows:
        print(f"{name:<{width}}  {title}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Step through every bundled exercise and print its tables."""
    for name, _ in bundled_titles():
        ex = Exercise.load(resolve(name))
        print(f"$ scalarnet step {name}")
        for record in ex.steps(1):
            sys.stdout.write(step_table(record, ex.title) + "\n")
    print("Try: scalarnet step sigmoid-2-2-2 --steps 10   ·   scalarnet train curve-fit-1-5-1   ·   "
          "scalarnet step mazur-2-2-2 --json")
    return 0


class ProgressBar:
    """A one-line progress bar with the latest loss, redrawn at most ten times a second."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.last = total, stream, 0.0

    def update(self, done: int, loss: float) -> None:
        now = time.monotonic()
        if done < self.total and now - self.last < 0.1:
            return
        self.last = now
        filled = int(30 * done / self.total)
        self.stream.write(f"\r[{'█' * filled}{'·' * (30 - filled)}] epoch {done}/{self.total}  loss {loss:.6g}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scalarnet", description="Backpropagation made visible.")
    sub = parser.add_subparsers(dest="command", required=True)

    def exercise_command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("file", help="an exercise file (TOML), or the name of a bundled exercise")
        p.add_argument("--lr", type=float, help="learning rate (default: the file's [train] learning_rate)")
        p.add_argument("--json", action="store_true", help="print JSON only on standard output")
        p.add_argument("--engine", choices=ENGINES, default="scalar", help="the engine to run (default: scalar)")
        return p

    p = exercise_command("step", "run training steps and show every value and gradient of each")
    p.add_argument("--steps", type=_positive, default=1, help="how many steps (default 1)")
    p.set_defaults(run=cmd_step)
    p = exercise_command("train", "train for some epochs and show the loss")
    p.add_argument("--epochs", type=_positive, help="how many epochs (default: the file's [train] epochs)")
    p.set_defaults(run=cmd_train)
    sub.add_parser("examples", help="list the bundled exercises").set_defaults(run=cmd_examples)
    sub.add_parser("demo", help="step through every bundled exercise").set_defaults(run=cmd_demo)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "lr", None) is not None and not args.lr > 0:
        print("scalarnet: error: --lr must be a positive number", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except (SpecError, ExerciseError) as err:
        print(f"scalarnet: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `scalarnet step ... | head`
        sys.stderr.close()
        return 0
