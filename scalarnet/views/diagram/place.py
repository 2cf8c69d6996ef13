"""Where everything goes, the third stage of a diagram (``subject`` → ``plan`` → **place** →
``dot``): the one layout of a step's pictures, computed once from its ``Sizing``.

Each box gets the room of the widest text any picture of the step shows in it, each arrow's
label the room of its widest text (and the place of its narrowest), the title, legend and
note the room of theirs; ``layout.py`` then places them."""

from __future__ import annotations

from collections.abc import Sequence

from . import layout
from .metrics import LEGEND_SIZE, SLACK, TITLE_SIZE, block_size, box_size, edge_label_size, text_size
from .plan import Sizing
from .scene import Scene

WEIGHTS_APART = 2.0  # a neuron level's weight label: its centre twice as near its own connection as any


def place(sizing: Sizing, fit: tuple[float, float] | None = None) -> layout.Layout:
    """The layout every picture of ``sizing`` shares: the same boxes and arrows in every scene,
    other texts; ``fit``: the (width, height) whose shape the canvas takes."""
    scenes = sizing.scenes
    first = scenes[0]
    sizes: dict[str, tuple[float, float]] = {}
    for scene in scenes:
        for key, box in scene.boxes.items():
            w, h = box_size([box.title, *box.lines], box.role == "layer")
            old = sizes.get(key, (0.0, 0.0))
            sizes[key] = (max(w, old[0]), max(h, old[1]))
    only = _partners(first)
    nodes = [layout.Node(k, *sizes[k], b.role, b.rank, only.get(k)) for k, b in first.boxes.items()]
    edges = []
    for i, a in enumerate(first.arrows):
        texts = [s.arrows[i].lines for s in scenes if s.arrows[i].lines]
        label = smallest = None
        if texts:
            dims = [edge_label_size(t) for t in texts]
            label = (max(d[0] for d in dims), max(d[1] for d in dims))
            smallest = (min(d[0] for d in dims) / SLACK, min(d[1] for d in dims))
        apart = WEIGHTS_APART if a.params and first.level == "neuron" else 0.0
        edges.append(layout.Edge(a.parent, a.child, label, smallest, apart))
    above = [("title", *text_size(_widest([s.title for s in scenes] + list(sizing.titles)), TITLE_SIZE))]
    below = [("legend", *_legend_size(first)),
             ("help", *text_size(_widest([s.help for s in scenes]), LEGEND_SIZE))]
    if any(sizing.notes):
        below.append(("note", *text_size(_widest(list(sizing.notes)), LEGEND_SIZE)))
    return layout.arrange(nodes, edges, above, below, fit)


def _partners(scene: Scene) -> dict[str, str]:
    """parameter -> the one factor it multiplies, where it multiplies only that one and no
    other parameter shares it (the layout puts the parameter just below it)."""
    partners: dict[str, list[str]] = {}
    for a in scene.arrows:
        if a.partner is not None:
            partners.setdefault(a.parent, []).append(a.partner)
    shared = {p for ps in partners.values() for p in set(ps) if sum(p in qs for qs in partners.values()) > 1}
    return {k: ps[0] for k, ps in partners.items() if len(set(ps)) == 1 and ps[0] not in shared}


def _widest(blocks: Sequence[list[str]]) -> list[str]:
    """A block as wide as the widest line and as tall as the tallest block."""
    lines = [line for block in blocks for line in block]
    tallest = max((len(b) for b in blocks), default=1)
    widest = max(lines, key=lambda s: block_size([s], 1.0)[0], default="")
    return [widest] * tallest


def _legend_size(scene: Scene) -> tuple[float, float]:
    sizes = [box_size([meaning]) for _role, meaning in scene.legend]
    return max((w for w, _ in sizes), default=0.0), sum(h + 4 for _, h in sizes)
