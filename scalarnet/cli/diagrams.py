"""``scalarnet diagrams``: the repository's gallery of diagrams, redrawn when their sources changed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ..i18n import _
from .common import command, error, fit_argument


def run(args: argparse.Namespace) -> int:
    """Regenerate the gallery of diagrams (the repository's diagrams/ folder)."""
    from ..views.diagram import source_hash
    from ..views.diagram.gallery import regenerate, sources
    from ..views.render import RenderError

    out = args.out
    if out is None:  # the repository's diagrams/ folder: never created silently somewhere else
        if not Path("diagrams").is_dir() or not Path("pyproject.toml").is_file():
            return error(_("run `scalarnet diagrams` from the repository's top folder (where diagrams/ is), "
                            "or say where to write: --out FOLDER"))
        out = "diagrams"
    try:
        wanted = sources(args.fit)
    except ValueError as err:  # DiagramError: a --fit that names no shape
        return error(str(err))
    if args.format == "svg" and _up_to_date(Path(out), wanted, source_hash):
        print(_("scalarnet: {folder}: every diagram is up to date; nothing to redraw").format(folder=out),
              file=sys.stderr)
        return 0
    try:
        written = regenerate(out, args.format, fit=args.fit)
    except RenderError as err:
        return error(str(err), status=1)
    print("\n".join(str(p) for p in written))
    return 0

def _up_to_date(folder: Path, sources: dict[str, str], source_hash: Callable[[str], str]) -> bool:
    """True when every diagram's .dot holds its current source and its .svg carries that
    source's stamp: then nothing needs a renderer."""
    for name, source in sources.items():
        dot, svg = folder / f"{name}.dot", folder / f"{name}.svg"
        try:
            if dot.read_text(encoding="utf-8") != source or source_hash(source) not in svg.read_text("utf-8"):
                return False
        except (OSError, UnicodeDecodeError):
            return False
    return True


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "diagrams", _("regenerate the diagrams/ folder for the bundled exercises"), exercise=False)
    p.add_argument("--out", help=_("the folder (default: diagrams/ of the repository, run from its top folder)"))
    p.add_argument("--format", choices=("svg", "png", "pdf"), default="svg", help=_("default svg"))
    fit_argument(p)
    p.set_defaults(run=run)
