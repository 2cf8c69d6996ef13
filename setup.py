"""Builds scalarnet (the rest of the set-up is in pyproject.toml).

The engine's hot path, ``scalarnet/core/node.py`` and ``scalarnet/core/graph.py``, is also compiled to C
with mypyc when this machine can: the same source, three times faster in micrograd's eager
loop. Without a C compiler, or with SCALARNET_PURE=1 set while installing, the build is pure
Python and only slower. Which one runs, and why, is ``scalarnet.native`` (it also falls back
to the source when the compiled modules are missing, broken or older than their source).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

NATIVE_SOURCES = ["scalarnet/core/node.py", "scalarnet/core/graph.py"]
NATIVE_STAMP = "scalarnet/core/native.json"  # the sources' digests, so that an edit later is noticed


def native_extensions() -> list:
    if os.environ.get("SCALARNET_PURE", "").strip() not in ("", "0"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        return []
    # Only these two modules are type-checked here: imports of the rest are taken as they are.
    try:
        extensions = mypycify(["--follow-imports=skip", "--ignore-missing-imports", *NATIVE_SOURCES],
                              opt_level="3", group_name="scalarnet.core.native")  # scalarnet/core/native__mypyc…so
    except (Exception, SystemExit) as error:  # mypyc exits on a type error (a newer mypy may find one)
        why = "mypyc stopped at the errors above" if isinstance(error, SystemExit) else f"mypyc: {error}"
        print(f"note: scalarnet's engine is not compiled ({why}); it runs as Python, only slower")
        return []
    for extension in extensions:
        # a·b + c stays a product then a sum, as in Python (no fused multiply-add), so the native
        # build's numbers are the source's to the last bit
        extension.extra_compile_args = [*extension.extra_compile_args, "-ffp-contract=off"]
    return extensions


class OptionalBuildExt(build_ext):
    """Compile the native modules, or leave none of them: a failed compilation (no compiler,
    say) leaves the pure-Python package, with a note."""

    def run(self) -> None:
        if not self.extensions:  # nothing to compile (SCALARNET_PURE, or no mypyc): no record either
            return
        try:
            super().run()
        except Exception as error:  # setuptools' compiler errors have no common base worth naming
            for built in self.get_outputs():
                Path(built).unlink(missing_ok=True)
            print(f"note: scalarnet's engine is not compiled ({error}); it runs as Python, only slower")
            return
        stamp = {source: hashlib.sha256(Path(source).read_bytes()).hexdigest() for source in NATIVE_SOURCES}
        package_dir = Path(self.get_ext_fullpath("scalarnet.core.node")).parent  # the source tree, when editable
        (package_dir / Path(NATIVE_STAMP).name).write_text(json.dumps(stamp, indent=1) + "\n")


setup(ext_modules=native_extensions(), cmdclass={"build_ext": OptionalBuildExt})
