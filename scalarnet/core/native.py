"""Which engine runs: node.py and graph.py compiled to C by mypyc (the native build, made at
install time by setup.py when the machine has a C compiler), or the same files as Python.

Both are the same source, and the tests hold both to the same numbers. The source runs when
SCALARNET_PURE=1 is set, when there is no native build, when it does not load, or when
node.py or graph.py changed after it was compiled (an editable install being worked on):
then it would run old code, so the source runs instead, with a note saying how to compile
again. This module must be imported before either engine module, which scalarnet's
``__init__`` does.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import json
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from pathlib import Path

from ..i18n import _

MODULES = ("scalarnet.core.node", "scalarnet.core.graph")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]  # the folder that holds the package: the stamp names its sources from there
STAMP = HERE / "native.json"  # written by setup.py: the digests of the sources it compiled

ACTIVE = False  # whether the native build runs
REASON = ""  # why it does not, in a sentence


def _file(module: str, suffix: str) -> Path:
    """The file of engine module ``module`` (scalarnet.core.node) with ``suffix`` (.py, or a compiled one's)."""
    return HERE / (module.rpartition(".")[2] + suffix)


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the engine modules' .py files ahead of their compiled versions."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        return importlib.util.spec_from_file_location(fullname, _file(fullname, ".py")) if fullname in MODULES else None


def _compiled_files() -> list[Path]:
    return [_file(name, EXTENSION_SUFFIXES[0]) for name in MODULES]


def _stale() -> list[str]:
    """The engine sources that differ from what was compiled."""
    try:
        digests = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no record: assume the worst
        return [_file(name, ".py").relative_to(ROOT).as_posix() for name in MODULES]
    return [source for source, digest in digests.items()
            if hashlib.sha256((ROOT / source).read_bytes()).hexdigest() != digest]


def _note(message: str) -> None:
    """One line on standard error. (warnings.warn printed the importing line of source under it,
    which says nothing to whoever reads it.)"""
    sys.stderr.write(message + "\n")


def _choose() -> tuple[bool, str]:
    if os.environ.get("SCALARNET_PURE", "").strip() not in ("", "0"):
        return False, _("SCALARNET_PURE is set")
    if not all(path.exists() for path in _compiled_files()):
        return False, _("there is no native build (it needs a C compiler when scalarnet is installed)")
    changed = _stale()
    if changed:
        _note(_("scalarnet: {files} changed after the engine was compiled, so it runs as Python; "
                "`pip install -e .` compiles it again").format(files=", ".join(changed)))
        return False, _("{files} changed after it was compiled").format(files=", ".join(changed))
    try:
        for name in MODULES:
            importlib.import_module(name)
    except ImportError as error:
        for name in MODULES:
            sys.modules.pop(name, None)
        _note(_("scalarnet: the compiled engine does not load ({error}), so it runs as Python").format(error=error))
        return False, _("the native build does not load: {error}").format(error=error)
    return True, ""


ACTIVE, REASON = _choose()
if not ACTIVE:
    sys.meta_path.insert(0, _SourceFinder())
