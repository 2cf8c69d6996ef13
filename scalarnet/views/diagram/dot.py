"""How a scene is drawn: text sizes, shapes and colours per role, a legend, highlighted paths
and the current node of a frame, written as DOT whose every position is pinned (Graphviz's
``nop2`` layout: it draws what ``layout.py`` placed, and the system Graphviz and the
WebAssembly one draw the same picture). Every label is plain text escaped by
``text.dot_label`` (no HTML-like labels: the WebAssembly Graphviz ignores them)."""

from __future__ import annotations

from collections.abc import Sequence

import graphviz

from .. import render
from . import layout
from .metrics import SLACK, block_size
from .scene import Scene
from .text import dot_label, dot_text

FONT = "DejaVu Sans Condensed,Helvetica,Arial,sans-serif"
MONO = "DejaVu Sans Mono,Menlo,Consolas,Courier,monospace"
RED = "#d62728"
BOX_SIZE = 11.0  # points: box text
EDGE_SIZE = 10.0  # edge labels (at least 9 pt, the floor for reading numbers)
TITLE_SIZE = 12.0
LEGEND_SIZE = 10.0
PAD_X, PAD_Y = 7.2, 5.0  # inside a box (Graphviz's margin 0.1 inch)

STYLES: dict[str, dict[str, str]] = {
    "param": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fff2cc", "color": "#d6b656"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#dae8fc", "color": "#6c8ebf"},
    "target": {"shape": "box", "style": "filled,dashed", "fillcolor": "#e1d5e7", "color": "#9673a6"},
    "node": {"shape": "box", "style": "filled", "fillcolor": "#ffffff", "color": "#555555"},
    "loss": {"shape": "box", "style": "filled,bold", "fillcolor": "#f8cecc", "color": "#b85450"},
    "batch": {"shape": "box", "style": "filled", "fillcolor": "#f8cecc", "color": "#b85450", "peripheries": "2"},
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#f2f2f2", "color": "#999999"},
    "const": {"shape": "plaintext", "fontcolor": "#666666"},
    "neuron": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d5e8d4", "color": "#82b366"},
    "layer": {"shape": "box", "style": "filled", "fillcolor": "#d5e8d4", "color": "#82b366", "fontname": MONO},
}
MEANINGS = {
    "param": "parameter (trained)", "input": "input", "target": "target", "node": "named node",
    "loss": "loss of the example", "batch": "batch loss (mean)", "op": "op node (no name)",
    "const": "constant", "neuron": "neuron: net input, activation", "layer": "layer of neurons",
}


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` that Jupyter shows inline with whichever renderer this machine
    has (the plain Digraph needs the system ``dot``)."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict[str, str]:
        try:
            return {"image/svg+xml": render.render(self.source, "svg").decode("utf-8")}
        except render.RenderError as err:
            return {"text/plain": f"{err}\n\n{self.source}"}


# -- sizes: the widest text any picture of the step shows ---------------------------------
def _box_size(lines: list[str], mono: bool) -> tuple[float, float]:
    w, h = block_size(lines, BOX_SIZE, mono)
    return w + 2 * PAD_X + 2, h + 2 * PAD_Y


def _edge_size(lines: list[str]) -> tuple[float, float]:
    w, h = block_size(lines, EDGE_SIZE)
    return w + 2, h + 1


def plan(scenes: Sequence[Scene], titles: Sequence[list[str]] = (), notes: Sequence[list[str]] = ()) -> layout.Layout:
    """The one layout of a step: ``scenes`` are pictures it may show (the same boxes and arrows,
    other text), ``titles`` and ``notes`` the titles and ``--param`` notes of every other
    picture of the step; each box, title and note gets the room of its widest text."""
    first = scenes[0]
    sizes: dict[str, tuple[float, float]] = {}
    for scene in scenes:
        for key, box in scene.boxes.items():
            w, h = _box_size([box.title, *box.lines], box.role == "layer")
            old = sizes.get(key, (0.0, 0.0))
            sizes[key] = (max(w, old[0]), max(h, old[1]))
    partners: dict[str, list[str]] = {}  # parameter -> the factors it multiplies
    for a in first.arrows:
        if a.partner is not None:
            partners.setdefault(a.parent, []).append(a.partner)
    shared = {p for ps in partners.values() for p in set(ps) if sum(p in qs for qs in partners.values()) > 1}
    only = {k: ps[0] for k, ps in partners.items() if len(set(ps)) == 1 and ps[0] not in shared}
    nodes = [layout.Node(k, *sizes[k], b.role, b.rank, only.get(k)) for k, b in first.boxes.items()]
    edges = []
    for i, a in enumerate(first.arrows):
        texts = [s.arrows[i].lines for s in scenes if s.arrows[i].lines]
        label = smallest = None
        if texts:
            dims = [_edge_size(t) for t in texts]
            label = (max(d[0] for d in dims), max(d[1] for d in dims))
            smallest = (min(d[0] for d in dims) / SLACK, min(d[1] for d in dims))
        edges.append(layout.Edge(a.parent, a.child, label, smallest))
    above = [("title", *_text_size(_widest([s.title for s in scenes] + list(titles)), TITLE_SIZE))]
    below = [("legend", *_legend_size(first)), ("help", *_text_size(_widest([_arrow_help(s, True) for s in scenes]),
                                                                     LEGEND_SIZE))]
    if any(notes):
        below.append(("note", *_text_size(_widest(list(notes)), LEGEND_SIZE)))
    return layout.arrange(nodes, edges, above, below)


def _widest(blocks: Sequence[list[str]]) -> list[str]:
    """A block as wide as the widest line and as tall as the tallest block."""
    lines = [line for block in blocks for line in block]
    tallest = max((len(b) for b in blocks), default=1)
    widest = max(lines, key=lambda s: block_size([s], 1.0)[0], default="")
    return [widest] * tallest


def _text_size(lines: list[str], size: float) -> tuple[float, float]:
    w, h = block_size(lines, size)
    return w + 4, h + 4


def _legend_size(scene: Scene) -> tuple[float, float]:
    roles = _roles(scene)
    sizes = [_box_size([MEANINGS[r]], False) for r in roles]
    return max((w for w, _ in sizes), default=0.0), sum(h + 4 for _, h in sizes)


def _roles(scene: Scene) -> list[str]:
    return [r for r in STYLES if any(b.role == r for b in scene.boxes.values())]


# -- DOT ----------------------------------------------------------------------------------
def to_digraph(scene: Scene, lay: layout.Layout) -> graphviz.Digraph:
    g = Diagram(name="scalarnet")
    g.attr(layout="nop2", outputorder="edgesfirst", fontname=FONT, bgcolor="white")
    g.attr("node", fontname=FONT, fontsize=str(BOX_SIZE), margin=f"{PAD_X / 72:.4f},{PAD_Y / 72:.4f}",
           fixedsize="true")
    # edges 1.4 pt wide: they stay visible on a projector
    g.attr("edge", fontname=FONT, fontsize=str(EDGE_SIZE), color="#444444", arrowsize="0.7", penwidth="1.4")
    flip = _Flip(lay.height)
    _corners(g, lay, flip)
    _block(g, "title", scene.title, lay.extras["title"], flip, TITLE_SIZE)
    for box in scene.boxes.values():
        style = dict(STYLES.get(box.role, STYLES["node"]))
        if box.key in scene.highlight:
            style.update(color=RED, penwidth="3")
        if box.key == scene.current:
            style.update(fillcolor="#ffb570", color=RED, penwidth="3", style="filled,bold")
        r = lay.boxes[box.key]
        g.node(box.key, dot_label([box.title, *box.lines]), tooltip=dot_text(box.tooltip or box.title),
               id=box.key, **{"class": box.role}, **flip.box(r), **style)
    marked = _highlighted_params(scene)
    for i, a in enumerate(scene.arrows):
        attrs = {"pos": flip.spline(lay.curves[i], lay.heads[i]), "id": f"edge{i}",
                 "class": f"edge-{a.parent}-{a.child}"}
        r = lay.labels[i]
        if a.lines and r is not None:
            attrs.update(label=dot_label(a.lines), lp=flip.point((r.x, r.y)))  # Graphviz centres the label there
        if not a.live:
            attrs.update(style="dashed", color="#aaaaaa")
        on_path = a.parent in scene.highlight and a.child in scene.highlight
        if on_path or (scene.highlight and a.params & marked):
            attrs.update(color=RED, fontcolor=RED, penwidth="2.5")
        g.edge(a.parent, a.child, **attrs)
    _legend(g, scene, lay, flip)
    return g


class _Flip:
    """Layout coordinates (y down) as Graphviz's (points, y up)."""

    def __init__(self, height: float) -> None:
        self.height = height

    def point(self, p: tuple[float, float]) -> str:
        return f"{p[0]:.2f},{self.height - p[1]:.2f}"

    def box(self, r: layout.Rect) -> dict[str, str]:
        return {"pos": self.point((r.x, r.y)) + "!", "width": f"{r.w / 72:.4f}", "height": f"{r.h / 72:.4f}"}

    def spline(self, curve: list[tuple[float, float]], head: tuple[float, float]) -> str:
        return " ".join([f"e,{self.point(head)}"] + [self.point(p) for p in curve])


def _corners(g: graphviz.Digraph, lay: layout.Layout, flip: _Flip) -> None:
    """Two invisible dots in the corners: every picture of the step gets the same canvas."""
    for key, p in (("canvas_nw", (0.5, 0.5)), ("canvas_se", (lay.width - 0.5, lay.height - 0.5))):
        g.node(key, "", shape="point", style="invis", width="0.01", height="0.01", pos=flip.point(p) + "!", id=key)


def _block(g: graphviz.Digraph, key: str, lines: list[str], r: layout.Rect, flip: _Flip, size: float,
           **attrs: str) -> None:
    """Left-aligned lines of text from the top left of ``r``: one node per line, each as wide
    as its own text, so the centred line starts at the left edge whichever renderer draws it."""
    for k, line in enumerate(lines):
        w, h = block_size([line], size)
        place = layout.Rect(r.left + w / 2 + 2, r.top + 2 + (k + 0.5) * h, w, h)
        g.node(f"{key}_{k}", dot_label([line]), shape="plaintext", margin="0", fontsize=str(size), id=f"{key}_{k}",
               **flip.box(place), **attrs)


def _highlighted_params(scene: Scene) -> frozenset[str]:
    return frozenset(p for k in scene.highlight for p in scene.boxes[k].params) if scene.highlight else frozenset()


def _legend(g: graphviz.Digraph, scene: Scene, lay: layout.Layout, flip: _Flip) -> None:
    area = lay.extras["legend"]
    y = area.top
    for role in _roles(scene):
        w, h = _box_size([MEANINGS[role]], False)
        r = layout.Rect(area.left + w / 2, y + h / 2, w, h)
        style = dict(STYLES[role])
        style.pop("fontname", None)
        g.node(f"legend_{role}", dot_label([MEANINGS[role]]), id=f"legend_{role}", **{"class": "legend"},
               **flip.box(r), **style)
        y += h + 4
    _block(g, "legend_arrow", _arrow_help(scene), lay.extras["help"], flip, LEGEND_SIZE, **{"class": "legend"})
    if scene.note and "note" in lay.extras:
        _block(g, "param_note", scene.note, lay.extras["note"], flip, LEGEND_SIZE, fontcolor="#a01c1c",
               **{"class": "legend"})


def _arrow_help(scene: Scene, widest: bool = False) -> list[str]:
    loss = scene.loss
    if scene.level in ("neuron", "layer"):
        lines = ["arrow: a connection, with its weight's", "value and gradient; → its share of", "the gradient below"]
    else:
        lines = ["arrow: data flows along it;", "label: local partial ∂child/∂parent",
                 f"→ its share of ∂{loss}/∂parent", f"   (= ∂{loss}/∂child × partial)",
                 "a gradient = the sum of its shares"]
    if scene.highlight or widest:
        lines.append("red: the paths to the highlighted parameter")
    if scene.current or widest:
        lines.append("orange: where the backward walk is")
    return lines
