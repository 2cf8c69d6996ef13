"""A diagram before it is drawn: boxes and arrows with their text, in any level of detail.

The levels build scenes (``levels.py``, ``neurons.py``) for ``plan.py``; ``place.py`` places
them (one layout for every picture of a step) and ``dot.py`` draws them. Here are the things
every level shares: folding anonymous op nodes into the arrows' partials,
the paths from the loss to a parameter, and the size limit."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.node import Node
from ...i18n import _

MAX_ELEMENTS = 2000  # boxes + arrows; bigger diagrams are unreadable and slow Graphviz to a crawl
MAX_CROWD = 50  # labelled arrows into or out of one box: more cannot each be labelled beside their own arrow


class DiagramError(ValueError):
    """A diagram that cannot be drawn as asked (too big, unknown parameter or level)."""


@dataclass
class Box:
    key: str  # the DOT node id
    role: str  # param, input, target, node, loss, op, const, batch, neuron, layer
    title: str  # the display name (with subscripts)
    lines: list[str] = field(default_factory=list)  # the text under the title
    node: Node | None = None  # the engine node it stands for (its place in the backward walk)
    params: frozenset[str] = frozenset()  # parameters drawn inside this box
    tooltip: str = ""  # the plain name(s), for hovering and for tests
    rank: int = 0  # its place in the exercise file's order of names (the layout keeps it within a kind)


@dataclass
class Arrow:
    parent: str  # box keys: data flows parent -> child, gradients flow back
    child: str
    lines: list[str] = field(default_factory=list)
    params: frozenset[str] = frozenset()  # parameters this arrow stands for (a weight)
    live: bool = True  # False: the parent needs no gradient (inputs, targets, constants)
    partial: float | None = None  # ∂child/∂parent, where the arrow stands for one
    partner: str | None = None  # the box of the other factor, where the parent is one factor of a product


@dataclass
class Scene:
    level: str
    title: list[str]
    boxes: dict[str, Box] = field(default_factory=dict)
    arrows: list[Arrow] = field(default_factory=list)
    ranks: list[list[str]] = field(default_factory=list)  # boxes drawn side by side (a layer)
    current: str | None = None  # the box the backward walk is at (frames)
    highlight: set[str] = field(default_factory=set)  # boxes on the paths to the highlighted param
    loss: str = "L"  # the loss's symbol, for the legend
    note: list[str] = field(default_factory=list)  # what --param adds: the paths and their products
    legend: list[tuple[str, str]] = field(default_factory=list)  # (role, meaning) per kind of box shown
    help: list[str] = field(default_factory=list)  # what the arrows and colours mean

    def add(self, box: Box) -> Box:
        self.boxes[box.key] = box
        return box

    @property
    def size(self) -> int:
        return len(self.boxes) + len(self.arrows)


@dataclass
class Link:
    """One path from a shown parent to a shown child through anonymous op nodes only:
    the product of the local partials along it, and the (op node, parent index) steps."""

    parent: Node
    child: Node
    partial: float
    steps: list[tuple[Node, int]]


def fold(child: Node, shown: set[int], members: set[int]) -> list[Link]:
    """The links into ``child``: one per path down to a shown node through op nodes that are
    not shown (a node used twice, as in x·x, gives two links). Only ``members`` are followed."""
    links = []
    stack: list[tuple[Node, float, list[tuple[Node, int]]]] = [(child, 1.0, [])]
    while stack:
        node, product, steps = stack.pop()
        assert node.op is not None
        local = node.op.local_grads(node.value, *[p.value for p in node.parents])
        for i, (parent, d) in reversed(list(enumerate(zip(node.parents, local)))):
            if id(parent) not in members:
                continue
            here = [*steps, (node, i)]
            if id(parent) in shown:
                links.append(Link(parent, child, product * d, here))
            elif parent.op is not None:
                stack.append((parent, product * d, here))
    return links


def on_paths(scene: Scene, seeds: set[str], seed_arrows: list[Arrow], top: str) -> set[str]:
    """Boxes on a path from a seed (or a seed arrow's child) up to ``top``: reachable from the
    seeds along the data flow and reaching ``top``."""
    children: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    for a in scene.arrows:
        children.setdefault(a.parent, []).append(a.child)
        parents.setdefault(a.child, []).append(a.parent)
    down = _reach(seeds | {a.child for a in seed_arrows}, children)
    up = _reach({top}, parents)
    return down & up


def _reach(start: set[str], edges: dict[str, list[str]]) -> set[str]:
    seen, stack = set(start), list(start)
    while stack:
        for k in edges.get(stack.pop(), ()):
            if k not in seen:
                seen.add(k)
                stack.append(k)
    return seen


def highlight(scene: Scene, param: str, top: str) -> None:
    """Mark every path from the loss down to ``param`` (the paths whose products sum to its gradient)."""
    seeds = {k for k, b in scene.boxes.items() if param in b.params}
    seed_arrows = [a for a in scene.arrows if param in a.params]
    if not seeds and not seed_arrows:
        raise DiagramError(f"no parameter {param!r} in this diagram")
    scene.highlight = on_paths(scene, seeds, seed_arrows, top) | seeds


def check_size(level: str, size: int, coarser: list[str]) -> None:
    if size > MAX_ELEMENTS:
        hint = (f"; try a coarser level: --level {' or --level '.join(coarser)}" if coarser
                else "; no coarser level fits this graph")
        raise DiagramError(f"the {level} level would draw {size} boxes and arrows, too many for a readable "
                           f"diagram (the limit is {MAX_ELEMENTS}){hint}")


def check_crowding(scene: Scene) -> None:
    """Refuse, before any layout, a box with more labelled arrows into or out of it than can
    each be labelled beside its own arrow (``z = w + w + … + w`` with hundreds of terms): the
    label placer would search for minutes and find no place."""
    count: dict[tuple[str, str], int] = {}
    for a in scene.arrows:
        if a.lines:
            for end in (("in", a.child), ("out", a.parent)):
                count[end] = count.get(end, 0) + 1
    if not count:
        return
    (way, key), n = max(count.items(), key=lambda item: item[1])
    if n > MAX_CROWD:
        box = scene.boxes[key]
        message = (_("{name} would have {n} labelled arrows coming in") if way == "in"
                   else _("{name} would have {n} labelled arrows going out"))
        raise DiagramError(message.format(name=box.tooltip or box.title, n=n) + "; " + _(
            "a diagram can label at most {limit} beside one box: give the sum named parts in [graph] "
            "(s1 = \"w1 + … + w20\", …), or draw another --level").format(limit=MAX_CROWD))
