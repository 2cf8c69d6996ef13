"""What the commands share: loading the exercise, picking its engine, errors, JSON, the common options."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..i18n import LANGUAGES, N_, _, normal_language

if TYPE_CHECKING:  # the engines load when a command runs, not when the parser is built
    from ..engines.record import Engine
    from ..engines.scalar import Exercise
    from ..spec import ExerciseSpec

ENGINES = ("scalar", "matrix", "compiled")


def load_exercise(args: argparse.Namespace, limit: Callable[[ExerciseSpec, str], None] | None = None) -> Exercise:
    """The exercise of FILE on the scalar engine; ``limit`` (one of spec.limits' checks) refuses
    it, with the command's name, before its graph is built."""
    from ..engines.scalar import Exercise
    from ..spec import load
    from ..spec.bundled import resolve

    spec = load(resolve(args.file))
    if limit is not None:
        limit(spec, args.command + (" --html" if getattr(args, "html", None) else ""))
    return Exercise(spec, args.lr)


def error(message: str, status: int = 2) -> int:
    """Say what went wrong on standard error; the exit status to return."""
    print(_("scalarnet: error: {message}").format(message=message), file=sys.stderr)
    return status


def print_json(doc: object, ensure_ascii: bool = False) -> None:
    """The JSON document alone on standard output, one line. Never Infinity or NaN, which
    are not JSON: a document holding one is an error (nothing is printed). On a standard output
    that cannot encode all of Unicode (PYTHONIOENCODING=ascii), non-ASCII characters are JSON's
    \\u escapes: the same document, unchanged by the terminal's fallback symbols."""
    ensure_ascii = ensure_ascii or not _can_encode(sys.stdout, "\U0001f600\u6743")
    try:
        text = json.dumps(doc, ensure_ascii=ensure_ascii, allow_nan=False)
    except ValueError:
        from ..engines.record import ExerciseError

        raise ExerciseError(_("a number in the result is not finite (the loss diverged?); "
                              "try a smaller learning rate (--lr)")) from None
    sys.stdout.write(text + "\n")


# -- a terminal that cannot show our symbols --------------------------------------------------------
# What tables, derivations and messages print, in ASCII, for a standard output or error whose
# encoding lacks it (PYTHONIOENCODING=ascii or latin-1); what is left is shown as \\u escapes.
ASCII_SYMBOLS = str.maketrans({
    "∂": "d", "·": "*", "−": "-", "–": "-", "—": "--", "─": "-", "═": "=", "…": "...", "→": "->", "←": "<-",
    "×": "x", "≤": "<=", "≥": ">=", "≈": "~", "✓": "ok", "✗": "x", "⊙": "(.)", "√": "sqrt", "█": "#", "′": "'",
    "σ": "sigma", "η": "eta", "δ": "delta", "Δ": "Delta", "Σ": "sum", "α": "alpha", "μ": "mu",
    "⁺": "+", "⁻": "-", "ᵀ": "^T", "ᵉ": "^e", "ⁿ": "^n", "ˡ": "^l", "ᵢ": "_i",
    **{sup: f"^{k}" for k, sup in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}, **{sub: str(k) for k, sub in enumerate("₀₁₂₃₄₅₆₇₈₉")},
})
_PROBE = "─∂σ·−"  # symbols every table shows
# in English where the translation cannot be shown either (Chinese on an ASCII terminal)
NOTE_ASCII_SYMBOLS = N_("note: this terminal's encoding ({encoding}) cannot show the math symbols of the tables: "
                        "they are written in ASCII (d for the partial sign, sigma, eta, - for the rules); set "
                        "PYTHONIOENCODING=utf-8 to see them")


def _can_encode(stream: object, text: str = _PROBE) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class _FallbackStream:
    """A text stream that writes what its encoding lacks as ASCII symbols (∂ as d, ─ as -),
    the rest as backslash escapes, and says so once, on standard error."""

    def __init__(self, stream: Any, note: Callable[[], None]) -> None:
        self._stream, self._note = stream, note

    def write(self, text: str) -> int:
        encoding = getattr(self._stream, "encoding", None) or "utf-8"
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            text = text.translate(ASCII_SYMBOLS).encode(encoding, "backslashreplace").decode(encoding)
            self._note()
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def symbols_the_terminal_can_show() -> Iterator[None]:
    """Within the block, standard output and error fall back to ASCII symbols where their
    encoding cannot show ours, with one note saying so (no UnicodeEncodeError, ever)."""
    before = sys.stdout, sys.stderr
    if _can_encode(sys.stdout) and _can_encode(sys.stderr):
        yield
        return
    noted = []

    def note() -> None:
        if noted:
            return
        noted.append(True)
        encoding = getattr(before[1], "encoding", None) or "?"
        message = "scalarnet: " + NOTE_ASCII_SYMBOLS.format(encoding=encoding)
        translated = "scalarnet: " + _(NOTE_ASCII_SYMBOLS).format(encoding=encoding)
        before[1].write((translated if _can_encode(before[1], translated) else message) + "\n")

    sys.stdout = _FallbackStream(sys.stdout, note)  # type: ignore[assignment]
    sys.stderr = _FallbackStream(sys.stderr, note)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = before


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
    chosen_for_size = args.engine is None and default is None and ex.name != "scalar"  # the note says why
    if args.json or args.verbose or chosen_for_size:
        print(f"scalarnet: {note}", file=sys.stderr)
    note_pure_build()
    return ex


def note_pure_build() -> None:
    """Once per installation, on standard error: the engine runs as Python because there was no
    C compiler at install (``pip -q`` hides the build's own note), and how to get the native one."""
    from ..core import native

    if native.ACTIVE or any(path.exists() for path in native._compiled_files()):
        return  # the native build runs, or it exists but was set aside (SCALARNET_PURE, an edit): said elsewhere
    if os.environ.get("SCALARNET_PURE", "").strip() not in ("", "0"):
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scalarnet"
    marker = cache / ("pure-build-noted-" + hashlib.sha256(str(native.HERE).encode()).hexdigest()[:12])
    if marker.exists():
        return
    print(_("scalarnet: note: the engine runs as Python (the pure-Python build: there was no C compiler when "
            "scalarnet was installed); the numbers are the same, only slower. For the native build, install a C "
            "compiler (apt-get install build-essential, or xcode-select --install on macOS) and install scalarnet "
            "again: pip install --force-reinstall --no-deps scalarnet (in a clone: pip install -e .). This note "
            "is shown once."), file=sys.stderr)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:  # a read-only home: the note comes again next time, which is harmless
        pass


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


def exercise_command(sub: argparse._SubParsersAction, name: str, help: str, engine_help: str
                     ) -> argparse.ArgumentParser:
    """A command that runs an exercise on an engine (step, train): FILE, --lr, --json, --engine
    (described by ``engine_help``: each command has its own default), -v."""
    p = command(sub, name, help)
    lr_argument(p)
    json_argument(p)
    p.add_argument("--engine", choices=ENGINES, help=engine_help)
    p.add_argument("-v", "--verbose", action="store_true", help=_("say on standard error which engine runs"))
    return p


def lang_argument(p: argparse.ArgumentParser) -> None:
    # normal_language, not choices: --lang ZH and --lang zh_CN.UTF-8 are read as SCALARNET_LANG is
    # (main() has read the flag before the parser, so a wrong one never reaches argparse)
    p.add_argument("--lang", type=normal_language, metavar="{" + ",".join(LANGUAGES) + "}", help=_(
        "the language of everything printed and drawn (default: SCALARNET_LANG, else the locale: LANG=zh_CN… means "
        "zh)"))


def file_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help=_("an exercise file (TOML), or the name of a bundled exercise"))


def fit_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fit", "--page", dest="fit", metavar="slide|a4|WxH",
                   help=_("shape the picture's canvas like a 16:9 slide, an A4 portrait page or WIDTHxHEIGHT "
                          "(the picture centred in it)"))


def lr_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lr", type=float, help=_("learning rate (default: the file's [train] learning_rate)"))


def json_argument(p: argparse.ArgumentParser, help: str | None = None) -> None:
    p.add_argument("--json", action="store_true",
                   help=_("print JSON only on standard output") if help is None else help)


def typed_name(text: str) -> str:
    """A name typed on the command line, read as exercise files' names are read (NFKC): the w₁ a
    table shows is w1."""
    return unicodedata.normalize("NFKC", text)


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
