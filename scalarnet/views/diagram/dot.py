"""How a scene is drawn, the last stage of a diagram: shapes and colours per role, the legend,
highlighted paths and the current node of a frame, written as DOT whose every position is pinned (Graphviz's
``nop2`` layout: it draws what ``layout.py`` placed, and the system Graphviz and the
WebAssembly one draw the same picture). Every label is plain text escaped by
``text.dot_label`` (no HTML-like labels: the WebAssembly Graphviz ignores them)."""

from __future__ import annotations

import functools

import graphviz

from .. import render
from . import layout
from .metrics import BOX_SIZE, EDGE_SIZE, LEGEND_SIZE, PAD_X, PAD_Y, TITLE_SIZE, block_size, box_size
from .scene import Scene
from .text import dot_label, dot_text

FONT = "DejaVu Sans Condensed,Helvetica,Arial,sans-serif"
MONO = "DejaVu Sans Mono,Menlo,Consolas,Courier,monospace"
RED = "#d62728"
CURRENT_FILL = "#ffb570"  # the box the backward walk is at

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


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` that Jupyter shows inline with whichever renderer this machine
    has (the plain Digraph needs the system ``dot``)."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict[str, str]:
        try:
            return {"image/svg+xml": render.render(self.source, "svg").decode("utf-8")}
        except render.RenderError as err:
            return {"text/plain": f"{err}\n\n{self.source}"}


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
            style.update(fillcolor=CURRENT_FILL, color=RED, penwidth="3", style="filled,bold")
        r = lay.boxes[box.key]
        _node(g, box.key, dot_label([box.title, *box.lines]), tooltip=dot_text(box.tooltip or box.title),
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
        _edge(g, a.parent, a.child, **attrs)
    _legend(g, scene, lay, flip)
    return g


# Lines as graphviz's Digraph.node and .edge write them (label first, the other attributes
# sorted), quoted once per distinct text: a step's pictures repeat most of them, and the
# library's own calls cost more than the rest of drawing.
@functools.lru_cache(maxsize=65536)
def _quoted(text: str) -> str:
    return graphviz.quoting.quote(text)


def _attr_list(label: str | None, attrs: dict[str, str]) -> str:
    parts = [f"label={_quoted(label)}"] if label is not None else []
    parts += [f"{_quoted(k)}={_quoted(v)}" for k, v in sorted(attrs.items()) if v is not None]
    return f" [{' '.join(parts)}]" if parts else ""


def _node(g: graphviz.Digraph, name: str, label: str, **attrs: str) -> None:
    g.body.append(f"\t{_quoted(name)}{_attr_list(label, attrs)}\n")


def _edge(g: graphviz.Digraph, tail: str, head: str, label: str | None = None, **attrs: str) -> None:
    g.body.append(f"\t{graphviz.quoting.quote_edge(tail)} -> {graphviz.quoting.quote_edge(head)}"
                  f"{_attr_list(label, attrs)}\n")


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
        _node(g, key, "", shape="point", style="invis", width="0.01", height="0.01", pos=flip.point(p) + "!", id=key)


def _block(g: graphviz.Digraph, key: str, lines: list[str], r: layout.Rect, flip: _Flip, size: float,
           **attrs: str) -> None:
    """Left-aligned lines of text from the top left of ``r``: one node per line, each as wide
    as its own text, so the centred line starts at the left edge whichever renderer draws it."""
    for k, line in enumerate(lines):
        w, h = block_size([line], size)
        place = layout.Rect(r.left + w / 2 + 2, r.top + 2 + (k + 0.5) * h, w, h)
        _node(g, f"{key}_{k}", dot_label([line]), shape="plaintext", margin="0", fontsize=str(size), id=f"{key}_{k}",
               **flip.box(place), **attrs)


def _highlighted_params(scene: Scene) -> frozenset[str]:
    return frozenset(p for k in scene.highlight for p in scene.boxes[k].params) if scene.highlight else frozenset()


def _legend(g: graphviz.Digraph, scene: Scene, lay: layout.Layout, flip: _Flip) -> None:
    area = lay.extras["legend"]
    y = area.top
    for role, meaning in scene.legend:
        w, h = box_size([meaning])
        r = layout.Rect(area.left + w / 2, y + h / 2, w, h)
        style = dict(STYLES[role])
        style.pop("fontname", None)
        _node(g, f"legend_{role}", dot_label([meaning]), id=f"legend_{role}", **{"class": "legend"},
               **flip.box(r), **style)
        y += h + 4
    _block(g, "legend_arrow", scene.help, lay.extras["help"], flip, LEGEND_SIZE, **{"class": "legend"})
    if scene.note and "note" in lay.extras:
        _block(g, "param_note", scene.note, lay.extras["note"], flip, LEGEND_SIZE, fontcolor="#a01c1c",
               **{"class": "legend"})
