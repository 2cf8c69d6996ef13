"""The ``scalarnet`` command: ``parser`` builds the options, one module per command runs it
(``step``, ``train``, ``examples`` and ``demo``, ``derive``, ``render``, ``diagrams``,
``compare``, ``check``, ``quiz``, ``grade``), ``common`` holds what they share.

With ``--json`` standard output holds the JSON document alone; progress, warnings and
messages go to standard error.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Iterator, Sequence

from ..core.collector import fast_gc
from ..i18n import LanguageError, _, detect_language, ngettext, normal_language, using_language
from .common import error, symbols_the_terminal_can_show
from .parser import build_parser, commands_help

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        lang = _requested_language(argv)
    except LanguageError as err:
        return error(str(err))
    # the command owns its process: the collector waits longer for the whole run (core/collector.py)
    with using_language(lang), _argparse_in_language(), symbols_the_terminal_can_show(), fast_gc():
        return _main(argv)


def _requested_language(argv: list[str]) -> str | None:
    """--lang X or --lang=X anywhere on the line (read before the parser is built, so that its
    help is in that language), else SCALARNET_LANG or the locale; None: English by default."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return normal_language(argv[i + 1])
        if arg.startswith("--lang="):
            return normal_language(arg.split("=", 1)[1])
    return detect_language()


@contextlib.contextmanager
def _argparse_in_language() -> Iterator[None]:
    """argparse's own words (usage:, options, its errors) through our catalog. argparse looks
    up its module-level ``_`` and ``ngettext`` at each use; put back afterwards, since other
    programs in this process (pytest) use argparse too."""
    before = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _, ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = before


def _main(argv: list[str]) -> int:
    parser = build_parser()
    rest = [a for k, a in enumerate(argv) if not a.startswith("--lang") and (k == 0 or argv[k - 1] != "--lang")]
    if not rest:  # `scalarnet` alone (in a language, perhaps)
        sys.stdout.write(commands_help(parser))
        return 0
    args = parser.parse_args(argv)
    from ..engines.record import ExerciseError  # after parsing: --help and --version load no engine
    from ..spec import SpecError

    if getattr(args, "lr", None) is not None and not 0 < args.lr < math.inf:  # also refuses nan
        return error(_("--lr {lr}: expected a positive, finite learning rate, e.g. --lr 0.5").format(lr=args.lr))
    try:
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C: one line; files are written whole or not at all
        fresh = "\n" if sys.stderr.isatty() else ""  # after the ^C (or a progress bar) on a terminal
        print(fresh + _("scalarnet: interrupted"), file=sys.stderr)
        return 130
    except (SpecError, ExerciseError) as err:
        return error(str(err))
    except BrokenPipeError:  # `scalarnet step ... | head`
        sys.stderr.close()
        return 0
    except OSError as err:  # a file or folder we were asked to read or write: say which and why
        where = err.filename if err.filename is not None else ""
        return error(f"{where}{': ' if where else ''}{err.strerror or err}")
