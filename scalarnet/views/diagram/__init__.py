"""Graphviz diagrams of a training step: every value, every gradient ∂L/∂node, and every
local partial ∂child/∂parent on the arrows, at four levels of detail.

    >>> from scalarnet.views.diagram import diagram, save
    >>> g = diagram("sigmoid-2-2-2", step=1)          # a graphviz.Digraph: Jupyter shows it
    >>> save(g, "out/sigmoid-2-2-2.svg")              # [PosixPath('out/sigmoid-2-2-2.svg')]

Levels: ``primitive`` (every op node), ``named`` (one box per named node), ``neuron`` (the
tutorials' network picture) and ``layer`` (one box per layer, for big networks). The default
is the finest level that stays readable.

A picture is made in one straight pass, each stage a function of the one before, called in
this order from ``pictures`` alone: the **subject** (``subject.py``: the node graph of one
example at one step, with its names) → the **plan** (``plan.py``: what to draw, the scenes of
every phase or frame with their texts) → the **place** (``place.py``, on ``layout.py``: where,
one layout for all of them) → **DOT** (``dot.py``: how)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import graphviz

from ...core.node import Node
from ...engines.scalar import Exercise
from .. import render
from . import dot, layout
from .fit import FRAMES, frame_of
from .levels import PHASES
from .place import place
from .plan import LEVELS, Sizing, level_text, plan, sizing
from .scene import DiagramError, Scene
from .subject import Subject, from_exercise, from_node

__all__ = ["FRAMES", "LEVELS", "PHASES", "DiagramError", "Picture", "Sizing", "backward_frames", "diagram",
           "frame_of", "pictures", "save", "save_all", "sizing", "subject_of", "level_text"]


@dataclass
class Picture:
    graph: graphviz.Digraph
    level: str
    notes: list[str] = field(default_factory=list)  # why a level was changed, for the user
    current: str = ""  # frames: the name of the node the walk is at
    layout: layout.Layout | None = None  # where everything is: pass it back as ``pinned`` to keep it
    scene: Scene | None = None  # what it draws (boxes and arrows by DOT key): an animation zooms to its current box


def subject_of(source: Exercise | Node | str | Path, step: int = 1, example: int = 0) -> Subject:
    """What to draw: an exercise (a loaded one, a file, or a bundled name) at ``step``, or a node's graph."""
    if isinstance(source, Node):
        return from_node(source)
    if not isinstance(source, Exercise):
        source = Exercise.load(source)
    return from_exercise(source, step, example)


def diagram(source: Exercise | Node | str | Path, *, step: int = 1, example: int = 0, phase: str = "backward",
            level: str | None = None, param: str | None = None, symbolic: bool = False,
            fit: str | None = None) -> graphviz.Digraph:
    """The diagram of training step ``step`` (as ``scalarnet step --json`` numbers it) for one
    example; ``fit``: ``slide``, ``a4`` or ``WxH``, the shape of its canvas."""
    return pictures(subject_of(source, step, example), phase=phase, level=level, param=param,
                    symbolic=symbolic, fit=fit)[0].graph


def backward_frames(source: Exercise | Node | str | Path, *, step: int = 1, example: int = 0,
                    level: str | None = None, param: str | None = None, symbolic: bool = False) -> list[Picture]:
    """One picture per node of the backward walk, in the order the walker visits them."""
    return pictures(subject_of(source, step, example), level=level, param=param, symbolic=symbolic, frames=True)


def pictures(subject: Subject, *, phase: str = "backward", level: str | None = None, param: str | None = None,
             symbolic: bool = False, frames: bool = False, size_with: Sequence[Sizing] = (),
             pinned: layout.Layout | None = None, fit: str | None = None) -> list[Picture]:
    """The pictures of one step, in one pass: what to draw (``plan``: the scenes), where
    (``place``: their one layout), how (``dot``). ``size_with``: the ``sizing`` of other
    steps of the same graph, so that all of them share one layout (a viewer of several steps).
    ``pinned``: a layout made before (``Picture.layout``) for the same boxes and arrows, used
    as it is, so that only texts change (a live page); its boxes must hold the new texts.
    ``fit``: ``slide``, ``a4`` or ``WxH``, the shape of the canvas (``fit.py``)."""
    frame = frame_of(fit) if fit is not None else None  # parsed only when asked for
    what = plan(subject, phase=phase, level=level, param=param, symbolic=symbolic, frames=frames,
                size_with=size_with, sized=pinned is None)
    where = pinned if pinned is not None else place(what.sizing, frame)  # type: ignore[arg-type]
    return [Picture(dot.to_digraph(scene, where), what.level, what.notes, current, where, scene)
            for scene, current in what.shown]


# -- files ------------------------------------------------------------------------------
class NotRendered(render.RenderError):
    """The requested format could not be made here; the DOT sources were written instead."""

    def __init__(self, message: str, written: list[Path]) -> None:
        super().__init__(message)
        self.written = written


def save(graph: graphviz.Digraph, path: str | Path, fmt: str | None = None, backend: str | None = None) -> list[Path]:
    """Write one diagram; the format is ``fmt`` or the file's suffix (svg, png, pdf, dot)."""
    path = Path(path)
    return save_all([graph], [path], fmt or path.suffix.lstrip(".") or "svg", backend)


def save_all(graphs: Sequence[graphviz.Digraph], paths: Sequence[Path], fmt: str,
             backend: str | None = None) -> list[Path]:
    """Write each graph to its path, rendered to ``fmt``. Where nothing here can render ``fmt``,
    write the DOT sources next to the paths and raise ``NotRendered`` saying what to install."""
    sources = [g.source for g in graphs]
    paths = [Path(p).with_suffix(f".{fmt}") for p in paths]
    try:
        outputs = render.render_many(sources, fmt, backend)
    except render.RenderError as err:
        written = [p.with_suffix(".dot") for p in paths]
        for p, s in zip(written, sources):
            render.write_atomic(p, s.encode("utf-8"))
        raise NotRendered(f"{err}; wrote the DOT source instead", written) from None
    for p, s, data in zip(paths, sources, outputs):
        render.write_atomic(p, stamp(data, s) if fmt == "svg" else data)
    return paths


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def stamp(svg: bytes, source: str) -> bytes:
    """The SVG with the hash of its DOT source in a comment, so a test can tell that an SVG
    is up to date with the code without depending on which Graphviz drew it."""
    comment = f"<!-- scalarnet dot sha256 {source_hash(source)} -->\n".encode("ascii")
    head, sep, rest = svg.partition(b"?>\n")
    return head + sep + comment + rest if sep else comment + svg
