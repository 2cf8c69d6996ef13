"""The shared parser: the top-level options, then each command's own module adds its options.

Command modules import only what their options need at the top; what a command runs is
imported when it runs, so that ``scalarnet --help`` or ``--version`` loads nothing heavy."""

from __future__ import annotations

import argparse

from .. import __version__
from ..i18n import N_, _
from . import check, compare, derive, diagrams, examples, grade, quiz, render, serve, step, train
from .common import lang_argument

COMMANDS = (step, train, examples, derive, render, serve, diagrams, compare, check, quiz, grade)  # the help's order

ARGPARSE_MESSAGES = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("show program's version number and exit"), N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"), N_("expected one argument"), N_("ignored explicit argument %r"),
    N_("expected at least one argument"), N_("expected at most one argument"),
    N_("not allowed with argument %s"), N_("one of the arguments %s is required"),
    N_("ambiguous option: %(option)s could match %(matches)s"), N_("unexpected option string: %s"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scalarnet", description=_("Backpropagation made visible."))
    parser.add_argument("--version", action="version", version=f"scalarnet {__version__}",
                        help=_("show program's version number and exit"))  # argparse's default is English
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    for command in (parser, *sub.choices.values()):  # every command speaks either language
        lang_argument(command)
    return parser


def commands_help(parser: argparse.ArgumentParser) -> str:
    """The usage and every command with its one-line help (``scalarnet`` alone prints it)."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    rows = [(c.dest, c.help or "") for c in sub._choices_actions]
    width = max(len(name) for name, _text in rows)
    lines = [_("usage: scalarnet COMMAND [options]   (scalarnet COMMAND --help for its options)"), "",
             _("Backpropagation made visible. Commands:")]
    lines += [f"  {name:<{width}}  {text}" for name, text in rows]
    lines += ["", _("scalarnet --version prints the version.")]
    return "\n".join(lines) + "\n"
