"""What the commands share: loading the exercise, picking its engine, errors, JSON, the common options."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from ..i18n import LANGUAGES, _, normal_language

if TYPE_CHECKING:  # the engines load when a command runs, not when the parser is built
    from ..engines.record import Engine
    from ..engines.scalar import Exercise

ENGINES = ("scalar", "matrix", "compiled")


def load_exercise(args: argparse.Namespace) -> Exercise:
    from ..engines.scalar import Exercise

    return Exercise.load(args.file, learning_rate=args.lr)


def error(message: str, status: int = 2) -> int:
    """Say what went wrong on standard error; the exit status to return."""
    print(_("scalarnet: error: {message}").format(message=message), file=sys.stderr)
    return status


def print_json(doc: object, ensure_ascii: bool = False) -> None:
    """The JSON document alone on standard output, one line. Never Infinity or NaN, which
    are not JSON: a document holding one is an error (nothing is printed)."""
    try:
        text = json.dumps(doc, ensure_ascii=ensure_ascii, allow_nan=False)
    except ValueError:
        from ..engines.record import ExerciseError

        raise ExerciseError(_("a number in the result is not finite (the loss diverged?); "
                              "try a smaller learning rate (--lr)")) from None
    sys.stdout.write(text + "\n")


def open_engine_of(args: argparse.Namespace, default: str | None = None) -> Engine:
    """The exercise on the engine of --engine, else on ``default``, else (None) on the matrix
    engine for a big [network] file and the scalar engine otherwise; standard error says which."""
    from ..engines.matrix import open_engine
    from ..spec import load
    from ..spec.bundled import resolve

    spec = load(resolve(args.file))
    if args.engine == "compiled":  # the scalar engine training on a tape (steps still walk the nodes)
        from ..engines.compiled import CompiledExercise

        ex, note = CompiledExercise(spec, args.lr), _("engine: {name}").format(name="compiled")
    else:
        ex, note = open_engine(spec, args.engine or default, args.lr)
    print(f"scalarnet: {note}", file=sys.stderr)
    return ex


def unknown_param(ex: Exercise, name: str | None) -> bool:
    """True (after saying so) when ``name`` is given but is not one of the exercise's parameters."""
    if name is None or name in ex.params:
        return False
    import difflib

    close = difflib.get_close_matches(name, list(ex.params), n=1)
    hint = " " + _("(did you mean {name}?)").format(name=close[0]) if close else ""
    error(_("--param {name}: not a parameter of {path}{hint}; the parameters are {names}").format(
        name=name, path=ex.spec.path, hint=hint, names=", ".join(ex.params)))
    return True



def command(sub: argparse._SubParsersAction, name: str, help: str, description: str | None = None,
            exercise: bool = True) -> argparse.ArgumentParser:
    """A command's parser: its one-line help, its description (default: the help), and the
    exercise FILE it reads unless ``exercise`` is False."""
    p = sub.add_parser(name, help=help, description=help if description is None else description)
    if exercise:
        file_argument(p)
    return p


def exercise_command(sub: argparse._SubParsersAction, name: str, help: str) -> argparse.ArgumentParser:
    """A command that runs an exercise on an engine (step, train): FILE, --lr, --json, --engine."""
    p = command(sub, name, help)
    lr_argument(p)
    json_argument(p)
    p.add_argument("--engine", choices=ENGINES, help=_(
        "scalar (nodes), matrix (numpy, [network] files) or compiled (the scalar graph replayed over numpy, any "
        "file); default: scalar for step; for train the matrix engine when a [network] file has more than 2000 "
        "scalar nodes per batch"))
    return p


def lang_argument(p: argparse.ArgumentParser) -> None:
    # normal_language, not choices: --lang ZH and --lang zh_CN.UTF-8 are read as SCALARNET_LANG is
    # (main() has read the flag before the parser, so a wrong one never reaches argparse)
    p.add_argument("--lang", type=normal_language, metavar="{" + ",".join(LANGUAGES) + "}", help=_(
        "the language of everything printed and drawn (default: SCALARNET_LANG, else the locale: LANG=zh_CN… means "
        "zh)"))


def file_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help=_("an exercise file (TOML), or the name of a bundled exercise"))


def lr_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lr", type=float, help=_("learning rate (default: the file's [train] learning_rate)"))


def json_argument(p: argparse.ArgumentParser, help: str | None = None) -> None:
    p.add_argument("--json", action="store_true",
                   help=_("print JSON only on standard output") if help is None else help)


def positive(text: str) -> int:
    """A positive whole number in ASCII digits (not 1_0, not ١), said to be too big when it is
    (Python would not even convert 5000 digits)."""
    digits = text.strip().lstrip("+")
    if not digits.isascii() or not digits.isdigit():
        raise argparse.ArgumentTypeError(_("expected a positive whole number, got {value}").format(
            value=repr(text if len(text) <= 40 else text[:40] + "…")))
    if len(digits.lstrip("0")) > 15:
        raise argparse.ArgumentTypeError(_("{value}… ({digits} digits) is too big").format(
            value=digits.lstrip("0")[:6], digits=len(digits.lstrip("0"))))
    value = int(digits)
    if value < 1:
        raise argparse.ArgumentTypeError(_("expected a positive whole number, got {value}").format(value=value))
    return value
