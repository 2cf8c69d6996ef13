"""Drawing a scene as a ``graphviz.Digraph``: shapes and colours per role, a legend,
highlighted paths, and the current node of a frame. Every label is plain text escaped by
``text.dot_label`` (no HTML-like labels: the WebAssembly Graphviz ignores them)."""

from __future__ import annotations

import graphviz

from .. import render
from .scene import Scene
from .text import dot_label, dot_text

FONT = "DejaVu Sans Condensed,Helvetica,Arial,sans-serif"
MONO = "DejaVu Sans Mono,Menlo,Consolas,Courier,monospace"
RED = "#d62728"

STYLES: dict[str, dict[str, str]] = {
    "param": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fff2cc", "color": "#d6b656"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#dae8fc", "color": "#6c8ebf"},
    "target": {"shape": "box", "style": "filled,dashed", "fillcolor": "#e1d5e7", "color": "#9673a6"},
    "node": {"shape": "box", "style": "filled", "fillcolor": "#ffffff", "color": "#555555"},
    "loss": {"shape": "box", "style": "filled,bold", "fillcolor": "#f8cecc", "color": "#b85450"},
    "batch": {"shape": "box", "style": "filled", "fillcolor": "#f8cecc", "color": "#b85450", "peripheries": "2"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#f2f2f2", "color": "#999999"},
    "const": {"shape": "plaintext", "fontcolor": "#666666"},
    "neuron": {"shape": "circle", "style": "filled", "fillcolor": "#d5e8d4", "color": "#82b366"},
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


def to_digraph(scene: Scene) -> graphviz.Digraph:
    g = Diagram(name="scalarnet")
    g.attr(rankdir=scene.direction, fontname=FONT, labelloc="t", labeljust="l", nodesep="0.25", ranksep="0.5",
           label=dot_label(scene.title))
    g.attr("node", fontname=FONT, fontsize="11", margin="0.08,0.04")
    g.attr("edge", fontname=FONT, fontsize="9", color="#444444", arrowsize="0.7")
    for box in scene.boxes.values():
        style = dict(STYLES.get(box.role, STYLES["node"]))
        if scene.level == "neuron" and box.role == "input":
            style.update(shape="circle")
        if box.key in scene.highlight:
            style.update(color=RED, penwidth="3")
        if box.key == scene.current:
            style.update(fillcolor="#ffb570", color=RED, penwidth="3", style="filled,bold")
        g.node(box.key, dot_label([box.title, *box.lines]), tooltip=dot_text(box.tooltip or box.title),
               id=box.key, **{"class": box.role}, **style)
    for rank in scene.ranks:
        with g.subgraph() as same:
            same.attr(rank="same")
            for key in rank:
                same.node(key)
    for a in scene.arrows:
        attrs: dict[str, str] = {}
        if a.lines:
            attrs["label"] = dot_label(a.lines)
        if not a.live:
            attrs.update(style="dashed", color="#aaaaaa")
        on_path = a.parent in scene.highlight and a.child in scene.highlight
        if on_path or (scene.highlight and a.params & _highlighted_params(scene)):
            attrs.update(color=RED, fontcolor=RED, penwidth="2.5")
        g.edge(a.parent, a.child, **attrs)
    _legend(g, scene)
    return g


def _highlighted_params(scene: Scene) -> frozenset[str]:
    return frozenset(p for k in scene.highlight for p in scene.boxes[k].params) if scene.highlight else frozenset()


def _legend(g: graphviz.Digraph, scene: Scene) -> None:
    roles = [r for r in STYLES if any(b.role == r for b in scene.boxes.values())]
    with g.subgraph(name="cluster_legend") as lg:
        lg.attr(label="legend", fontsize="10", color="#bbbbbb", style="rounded")
        previous = None
        for role in roles:
            style = dict(STYLES[role])
            if role == "neuron":
                style["shape"] = "ellipse"
            lg.node(f"legend_{role}", MEANINGS[role], fontsize="9", **style)
            if previous:
                lg.edge(previous, f"legend_{role}", style="invis")
            previous = f"legend_{role}"
        lg.node("legend_arrow", dot_label(_arrow_help(scene)), shape="plaintext", fontsize="9")
        if previous:
            lg.edge(previous, "legend_arrow", style="invis")


def _arrow_help(scene: Scene) -> list[str]:
    if scene.level in ("neuron", "layer"):
        lines = ["arrow: a connection, with its weight's", "value and gradient; → its share of", "the gradient below"]
    else:
        lines = ["arrow: data flows along it;", "label: local partial ∂child/∂parent", "→ its share of ∂L/∂parent",
                 "   (= ∂L/∂child × partial)", "a gradient = the sum of its shares"]
    if scene.highlight:
        lines.append("red: the paths to the highlighted parameter")
    if scene.current:
        lines.append("orange: where the backward walk is")
    return lines
