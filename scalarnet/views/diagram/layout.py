"""Where everything goes: one layout per step, computed here once and pinned in the DOT.

The picture reads like the tutorials': data flows left to right, inputs in the first column
and the loss in the last (every box as far right as its longest path to the loss allows, so
a weight sits just before the neuron it feeds). Within a column the boxes follow their
neighbours (barycentres, a few sweeps), while boxes of one kind keep the order of their names
in the exercise file: x1 above x2, h1 above h2 … h5, o1 above o2, and the weights feeding one
node in file order.

Sizes come from the widest text any picture of the step shows in a box or on an arrow (the
caller passes them), so forward, backward, update, every frame and every ``--param`` picture
share every coordinate and the canvas size. Each edge label is put beside its own edge, at
the place along it where it is farthest from every other edge and clear of boxes and other
labels; when no place is clear, the gaps between the columns widen and the edges are
placed again.

Coordinates are points, y downwards; ``dot.py`` turns them into Graphviz's (y upwards)."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field, replace

Point = tuple[float, float]

ARROW = 7.0  # the arrowhead's length (arrowsize 0.7)
CLEAR = 2.5  # a label's distance from its own edge
MARGIN_OWN = 6.0  # another edge must be this much farther than the label's own (drawn text sits inside its box)
REACH = 24.0  # other edges farther than this from a label do not matter
BOX_GAP = 14.0  # between boxes of one column
MARGIN = 8.0  # around the canvas
TEXT_SHIFT = 1.25  # how far a renderer may draw a label's text from where it was placed
GRAPHVIZ_PAD = 4.0  # what Graphviz adds on every side of the canvas it is given (its default pad)
TRIES = [0.5 + d * s for d in (0.0, 0.06, 0.12, 0.18, 0.24, 0.3, 0.36, 0.42) for s in (-1, 1)][1:]
ATTEMPTS = 14  # layouts tried, each with wider gaps where labels found no place
GAP_GROWTH, BOX_GAP_GROWTH = 1.1, 1.03  # per attempt
STUCK = 6  # attempts in a row that placed no more labels: the last
FAN_SPACING = 12.0  # between the arrowheads into one box (or the tails out of it): a fan, not a comb
SPREAD = 0.8  # the share of a box's side its arrows spread over
KIND_KEEPS_ORDER = ("input", "target", "node", "neuron", "layer", "loss", "batch")


@dataclass
class Rect:
    x: float  # centre
    y: float
    w: float
    h: float

    @property
    def left(self) -> float:
        return self.x - self.w / 2

    @property
    def right(self) -> float:
        return self.x + self.w / 2

    @property
    def top(self) -> float:
        return self.y - self.h / 2

    @property
    def bottom(self) -> float:
        return self.y + self.h / 2

    def overlaps(self, other: Rect, pad: float = 0.0) -> bool:
        return (abs(self.x - other.x) * 2 < self.w + other.w + 2 * pad
                and abs(self.y - other.y) * 2 < self.h + other.h + 2 * pad)


@dataclass
class Node:
    """What the layout needs of a box: its size, kind and place in the file's order."""

    key: str
    w: float
    h: float
    kind: str
    rank: int
    partner: str | None = None  # a parameter: the box of the factor it multiplies


@dataclass
class Edge:
    parent: str
    child: str
    label: tuple[float, float] | None  # the label's size (its widest text in any picture), None: no label
    smallest: tuple[float, float] | None = None  # its narrowest text, centred in the same place
    apart: float = 0.0  # >0: the label's centre this many times nearer its own edge than any other


@dataclass
class Layout:
    width: float
    height: float
    boxes: dict[str, Rect]
    curves: list[list[Point]]  # per edge: cubic Bézier points (3n + 1), ending where the arrowhead starts
    heads: list[Point]  # per edge: the arrowhead's tip, on the child's border
    labels: list[Rect | None]  # per edge
    extras: dict[str, Rect] = field(default_factory=dict)  # title, legend, notes


def arrange(nodes: Sequence[Node], edges: Sequence[Edge], above: Sequence[tuple[str, float, float]] = (),
            below: Sequence[tuple[str, float, float]] = (), fit: tuple[float, float] | None = None) -> Layout:
    """The layout of a graph; ``above`` and ``below``: (key, width, height) blocks stacked
    above the graph (the title) and set side by side below it (legend, notes); ``fit``:
    (width, height) of the frame the canvas is shaped like (a slide, a page), the picture
    centred in it.

    Placing the labels is the slow part (a second or more for a big graph), and the same
    graph is often laid out again: a PNG after its SVG, the pictures of a quiz's variants,
    a viewer of the same exercise. Layouts are a function of their inputs, so the last few
    are kept; each caller gets its own copy."""
    key = (tuple(astuple(n) for n in nodes), tuple(astuple(e) for e in edges), tuple(above), tuple(below))
    if key not in _recent:
        if len(_recent) >= RECENT_LAYOUTS:
            _recent.pop(next(iter(_recent)))
        _recent[key] = _arrange(nodes, edges, above, below)
    lay = copy.deepcopy(_recent[key])
    return lay if fit is None else shaped(lay, fit)


RECENT_LAYOUTS = 32
_recent: dict[tuple, Layout] = {}


def _arrange(nodes: Sequence[Node], edges: Sequence[Edge], above: Sequence[tuple[str, float, float]],
             below: Sequence[tuple[str, float, float]]) -> Layout:
    by_key = {n.key: _room_for_arrows(n, edges) for n in nodes}
    columns = _columns(nodes, edges)
    first = _order(columns, edges, by_key)
    box_gap = BOX_GAP
    order, ys = _heights(first, columns, edges, by_key, box_gap)
    gaps = [max([40.0] + [e.label[0] + 36 for e in edges if e.label and _col(columns, e.child) == c + 1])
            for c in range(len(order))]
    best: tuple[tuple[int, int], Layout] | None = None
    stuck = 0  # attempts in a row that placed no more labels than the best one
    for _attempt in range(ATTEMPTS if len(edges) <= 300 else 2):
        lay, (failed, loose) = _place(order, edges, by_key, ys, gaps, columns)
        score = (len(failed), len(loose))  # labels with no place, then labels not ``apart`` enough
        stuck = stuck + 1 if best is not None and score >= best[0] else 0
        if best is None or score < best[0]:
            best = (score, lay)
        if not (failed or loose) or stuck >= STUCK:  # every label placed, or wider gaps no longer help
            break
        failed += loose
        # More room where a label found none, in small steps (big ones overshoot: a picture
        # twice as wide as it needs to be is unreadable on a slide): wider gaps, and the boxes
        # of a column further apart, so crossing edges cross more steeply.
        for c in {c for i in failed for c in range(columns[edges[i].parent], columns[edges[i].child])}:
            gaps[c] = gaps[c] * GAP_GROWTH + 6
        box_gap *= BOX_GAP_GROWTH
        order, ys = _heights(first, columns, edges, by_key, box_gap)
    assert best is not None
    return _frame(best[1], above, below)


def _room_for_arrows(node: Node, edges: Sequence[Edge]) -> Node:
    """``node``, made tall enough that the arrows into it (and out of it) land FAN_SPACING
    apart: ten arrowheads 5 pt apart read as one black comb."""
    ends = max(sum(e.child == node.key for e in edges), sum(e.parent == node.key for e in edges))
    need = (ends - 1) * FAN_SPACING / SPREAD
    return node if node.h >= need else Node(node.key, node.w, need, node.kind, node.rank, node.partner)


# -- columns and order ----------------------------------------------------------------------
def _columns(nodes: Sequence[Node], edges: Sequence[Edge]) -> dict[str, int]:
    """Each box's column: the longest path to a sink, counted from the right."""
    children: dict[str, list[str]] = {n.key: [] for n in nodes}
    for e in edges:
        children[e.parent].append(e.child)
    dist: dict[str, int] = {}
    for n in nodes:  # iterative longest path (a DAG): settle children first
        stack = [n.key]
        while stack:
            k = stack[-1]
            if k in dist:
                stack.pop()
                continue
            todo = [c for c in children[k] if c not in dist]
            if todo:
                stack.extend(todo)
            else:
                dist[k] = 1 + max((dist[c] for c in children[k]), default=-1)
                stack.pop()
    depth = max(dist.values(), default=0)
    return {k: depth - d for k, d in dist.items()}


def _col(columns: dict[str, int], key: str) -> int:
    return columns[key]


def _order(columns: dict[str, int], edges: Sequence[Edge], by_key: dict[str, Node]) -> list[list[str]]:
    """The boxes other than parameters, column by column: barycentre sweeps, kinds kept in
    file order. Parameters are placed afterwards, beside what they multiply or feed."""
    order: list[list[str]] = [[] for _ in range(max(columns.values(), default=0) + 1)]
    for key in sorted(columns, key=lambda k: by_key[k].rank):
        if by_key[key].kind != "param":
            order[columns[key]].append(key)
    neighbours: dict[str, list[str]] = {k: [] for k in columns}
    for e in edges:
        if by_key[e.parent].kind != "param" and by_key[e.child].kind != "param":
            neighbours[e.parent].append(e.child)
            neighbours[e.child].append(e.parent)
    for _sweep in range(6):
        place = {k: (i + 0.5) / len(col) for col in order for i, k in enumerate(col)}
        for c, col in enumerate(order):
            order[c] = _sorted_column(col, neighbours, place, by_key)
            place.update({k: (i + 0.5) / len(order[c]) for i, k in enumerate(order[c])})
    return order


def _sorted_column(col: list[str], neighbours: dict[str, list[str]], place: dict[str, float],
                   by_key: dict[str, Node]) -> list[str]:
    """The column by its neighbours' mean place; boxes of a kind that keeps its order take
    their kind's places in the order of their names."""
    bary = {k: (sum(place[n] for n in neighbours[k]) / len(neighbours[k]) if neighbours[k] else place[k])
            for k in col}
    kinds: dict[str, list[str]] = {}
    for k in col:
        if by_key[k].kind in KIND_KEEPS_ORDER:
            kinds.setdefault(by_key[k].kind, []).append(k)
    for members in kinds.values():
        values = sorted(bary[k] for k in members)
        for k, v in zip(sorted(members, key=lambda k: by_key[k].rank), values):
            bary[k] = v
    kind_rank = {kind: i for i, kind in enumerate(KIND_KEEPS_ORDER)}
    return sorted(col, key=lambda k: (round(bary[k], 9), kind_rank.get(by_key[k].kind, -1), by_key[k].rank))


def _heights(order: list[list[str]], columns: dict[str, int], edges: Sequence[Edge],
             by_key: dict[str, Node], gap: float) -> tuple[list[list[str]], dict[str, float]]:
    """Vertical centres: each box as near its neighbours' mean as the boxes above and below
    it allow (isotonic regression), alternating sweeps from the left and from the right;
    then the parameters join their columns, each just below the factor it multiplies
    (a₁ below h₁ in a₁·h₁) or, failing that, level with what it feeds."""
    parents: dict[str, list[str]] = {}
    children: dict[str, list[str]] = {}
    for e in edges:
        if by_key[e.parent].kind != "param":
            parents.setdefault(e.child, []).append(e.parent)
            children.setdefault(e.parent, []).append(e.child)
    ys: dict[str, float] = {}
    for col in order:
        ys.update(_pack(col, {k: 0.0 for k in col}, by_key, gap))
    _sweeps(order, parents, children, ys, by_key, gap)
    feeds: dict[str, list[str]] = {}
    for e in edges:
        if by_key[e.parent].kind == "param":
            feeds.setdefault(e.parent, []).append(e.child)
    params = sorted((k for k in columns if by_key[k].kind == "param"), key=lambda k: by_key[k].rank)
    want: dict[str, float] = {}
    for k in params:
        partner = by_key[k].partner
        if partner is not None and columns.get(partner) == columns[k] and partner in ys:
            want[k] = ys[partner] + 1e-3 * (1 + by_key[k].rank / (1 + len(by_key)))
        else:
            near = feeds.get(k, [])
            want[k] = sum(ys.get(c, 0.0) for c in near) / len(near) if near else 0.0
        ys[k] = want[k]
    order = [sorted(col + [k for k in params if columns[k] == c], key=lambda k: (ys[k], by_key[k].rank))
             for c, col in enumerate(order)]
    for col in order:
        ys.update(_pack(col, {k: ys[k] for k in col}, by_key, gap))
    for k in params:  # parameters pull on nothing, they follow
        parents.setdefault(k, [])
    _sweeps(order, parents, children, ys, by_key, gap, fixed=want)
    return order, ys


def _sweeps(order: list[list[str]], parents: dict[str, list[str]], children: dict[str, list[str]],
            ys: dict[str, float], by_key: dict[str, Node], gap: float, fixed: dict[str, float] | None = None) -> None:
    for sweep in range(8):
        cols = order if sweep % 2 == 0 else order[::-1]
        first, second = (parents, children) if sweep % 2 == 0 else (children, parents)
        for col in cols:
            want = {}
            for k in col:
                if fixed is not None and k in fixed:
                    want[k] = fixed[k]
                    continue
                near = [n for n in (first.get(k) or second.get(k) or []) if n in ys]
                want[k] = sum(ys[n] for n in near) / len(near) if near else ys[k]
            ys.update(_pack(col, want, by_key, gap))


def _pack(col: list[str], want: dict[str, float], by_key: dict[str, Node], gap: float) -> dict[str, float]:
    """Centres as near ``want`` as possible (least squares) keeping the column's order and gaps:
    pool-adjacent-violators on the centres minus their minimal offsets."""
    offsets, at = [], 0.0
    for i, k in enumerate(col):
        if i:
            at += (by_key[col[i - 1]].h + by_key[k].h) / 2 + gap
        offsets.append(at)
    blocks: list[list[float]] = []  # [sum, count]
    for k, off in zip(col, offsets):
        blocks.append([want[k] - off, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
    out, i = {}, 0
    for s, n in blocks:
        for _copy in range(int(n)):
            out[col[i]] = s / n + offsets[i]
            i += 1
    return out


# -- edges and labels -----------------------------------------------------------------------
def _place(order: list[list[str]], edges: Sequence[Edge], by_key: dict[str, Node], ys: dict[str, float],
           gaps: list[float], columns: dict[str, int]) -> tuple[Layout, tuple[list[int], list[int]]]:
    xs, x = [], 0.0
    widths = [max(by_key[k].w for k in col) if col else 0.0 for col in order]
    for c, w in enumerate(widths):
        if c:
            x += widths[c - 1] / 2 + gaps[c - 1] + w / 2
        xs.append(x)
    boxes = {k: Rect(xs[columns[k]], ys[k], by_key[k].w, by_key[k].h) for k in columns}
    tails, heads = _ports(edges, boxes)
    curves = [_curve(tails[i], heads[i], boxes, order, xs, columns[e.parent], columns[e.child])
              for i, e in enumerate(edges)]
    lay = Layout(0, 0, boxes, curves, heads, [None] * len(edges))
    return lay, _labels(lay, edges)


def _ports(edges: Sequence[Edge], boxes: dict[str, Rect]) -> tuple[list[Point], list[Point]]:
    """Where each edge leaves its parent (right side) and enters its child (left side): spread
    along the side in the order of the other ends, so edges into one box do not meet."""
    outs: dict[str, list[int]] = {}
    ins: dict[str, list[int]] = {}
    for i, e in enumerate(edges):
        outs.setdefault(e.parent, []).append(i)
        ins.setdefault(e.child, []).append(i)
    tails: list[Point] = [(0.0, 0.0)] * len(edges)
    heads: list[Point] = [(0.0, 0.0)] * len(edges)
    for key, idx in outs.items():
        b = boxes[key]
        idx.sort(key=lambda i: (boxes[edges[i].child].y, i))
        for j, i in enumerate(idx):
            tails[i] = (b.right, _spread(b, j, len(idx)))
    for key, idx in ins.items():
        b = boxes[key]
        idx.sort(key=lambda i: (boxes[edges[i].parent].y, i))
        for j, i in enumerate(idx):
            heads[i] = (b.left, _spread(b, j, len(idx)))
    return tails, heads


def _spread(b: Rect, j: int, n: int) -> float:
    usable = b.h * SPREAD
    return b.y if n == 1 else b.top + (b.h - usable) / 2 + usable * j / (n - 1)


def _curve(tail: Point, head: Point, boxes: dict[str, Rect], order: list[list[str]], xs: list[float],
           c0: int, c1: int) -> list[Point]:
    """A smooth curve from ``tail`` to just before ``head``, passing between the boxes of the
    columns it crosses."""
    end = (head[0] - ARROW, head[1])
    points = [tail]
    for c in range(c0 + 1, c1):
        t = (xs[c] - tail[0]) / (end[0] - tail[0]) if end[0] != tail[0] else 0.5
        y = tail[1] + t * (end[1] - tail[1])
        points.append((xs[c], _free_y(y, [boxes[k] for k in order[c]])))
    points.append(end)
    out = [points[0]]
    for a, b in zip(points, points[1:]):
        d = (b[0] - a[0]) / 2
        out += [(a[0] + d, a[1]), (b[0] - d, b[1]), b]
    return out


def _free_y(y: float, column: list[Rect]) -> float:
    """``y``, or the nearest height just above or below the box it would cross."""
    for b in column:
        if b.top - 6 <= y <= b.bottom + 6:
            return b.top - 7 if y - b.top < b.bottom - y else b.bottom + 7
    return y


def bezier(points: list[Point], per_segment: int = 10) -> list[Point]:
    """Points along a cubic Bézier chain."""
    out = [points[0]]
    for s in range(0, len(points) - 1, 3):
        p0, p1, p2, p3 = points[s:s + 4]
        for k in range(1, per_segment + 1):
            t = k / per_segment
            u = 1 - t
            out.append((u ** 3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t ** 3 * p3[0],
                        u ** 3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t ** 3 * p3[1]))
    return out


class _Segments:
    """The edges as short straight segments in arrays, so that the distances from many
    candidate label places to every segment near them are measured at once."""

    def __init__(self, polylines: list[list[Point]]) -> None:
        import numpy as np

        ends = [(a, b, i) for i, line in enumerate(polylines) for a, b in zip(line, line[1:])]
        self.ax = np.array([a[0] for a, _b, _i in ends])
        self.ay = np.array([a[1] for a, _b, _i in ends])
        self.bx = np.array([b[0] for _a, b, _i in ends])
        self.by = np.array([b[1] for _a, b, _i in ends])
        self.edge = np.array([i for _a, _b, i in ends], dtype=np.int64)
        self.low_x, self.high_x = np.minimum(self.ax, self.bx), np.maximum(self.ax, self.bx)
        self.low_y, self.high_y = np.minimum(self.ay, self.by), np.maximum(self.ay, self.by)

    def distances(self, i: int, rects: list[Rect], reach: float):
        """For each rectangle: (its distance from edge ``i``, from the nearest other edge), each
        at most ``reach`` (edges farther than that do not matter)."""
        import numpy as np

        x = np.array([r.x for r in rects])[:, None]
        y = np.array([r.y for r in rects])[:, None]
        half_w = np.array([r.w / 2 for r in rects])[:, None]
        half_h = np.array([r.h / 2 for r in rects])[:, None]
        x0, x1 = float((x - half_w).min()) - reach, float((x + half_w).max()) + reach
        y0, y1 = float((y - half_h).min()) - reach, float((y + half_h).max()) + reach
        near = (self.high_x >= x0) & (self.low_x <= x1) & (self.high_y >= y0) & (self.low_y <= y1)
        k = np.flatnonzero(near)
        d = _rect_segment_distances(x - half_w, x + half_w, y - half_h, y + half_h,
                                    self.ax[k], self.ay[k], self.bx[k], self.by[k])
        own_edge = self.edge[k] == i
        own = np.minimum(d[:, own_edge].min(axis=1, initial=reach), reach)
        other = np.minimum(d[:, ~own_edge].min(axis=1, initial=reach), reach)
        return own, other


def _rect_segment_distances(left, right, top, bottom, ax, ay, bx, by):
    """The distance of every rectangle (a column of ``left`` … ``bottom``) from every segment
    (``ax`` … ``by``): 0 where the segment enters it, else the nearest of its ends to the
    rectangle and of the rectangle's corners to it."""
    import numpy as np

    dx, dy = bx - ax, by - ay
    best = np.full(np.broadcast_shapes(left.shape, ax.shape), np.inf)
    for px, py in ((ax, ay), (bx, by)):  # the ends against the rectangle
        best = np.minimum(best, np.hypot(np.maximum(np.maximum(left - px, 0.0), px - right),
                                         np.maximum(np.maximum(top - py, 0.0), py - bottom)))
    length = dx * dx + dy * dy
    safe = np.where(length == 0, 1.0, length)
    for cx, cy in ((left, top), (right, top), (right, bottom), (left, bottom)):  # the corners against the segment
        s = np.where(length == 0, 0.0, np.clip(((cx - ax) * dx + (cy - ay) * dy) / safe, 0.0, 1.0))
        best = np.minimum(best, np.hypot(cx - ax - s * dx, cy - ay - s * dy))
    # Liang–Barsky clipping: does the segment enter the rectangle?
    t0, t1 = np.zeros_like(best), np.ones_like(best)
    outside = np.zeros(best.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, ax - left), (dx, right - ax), (-dy, ay - top), (dy, bottom - ay)):
            p = np.broadcast_to(p, best.shape)
            ratio = q / p
            outside |= (p == 0) & (q < 0)
            t0 = np.where(p < 0, np.maximum(t0, ratio), t0)
            t1 = np.where(p > 0, np.minimum(t1, ratio), t1)
    return np.where(~outside & (t0 <= t1), 0.0, best)


class _Rects:
    """Boxes and placed labels in a grid of cells, to test a new label against the near ones."""

    CELL = 80.0

    def __init__(self, rects: list[Rect]) -> None:
        self.cells: dict[tuple[int, int], list[Rect]] = {}
        for r in rects:
            self.add(r)

    def _cells(self, r: Rect, pad: float):
        c = self.CELL
        for cx in range(math.floor((r.left - pad) / c), math.floor((r.right + pad) / c) + 1):
            for cy in range(math.floor((r.top - pad) / c), math.floor((r.bottom + pad) / c) + 1):
                yield cx, cy

    def add(self, r: Rect) -> None:
        for cell in self._cells(r, 0.0):
            self.cells.setdefault(cell, []).append(r)

    def hits(self, r: Rect, pad: float) -> bool:
        return any(r.overlaps(o, pad) for cell in self._cells(r, pad) for o in self.cells.get(cell, ()))


def _labels(lay: Layout, edges: Sequence[Edge]) -> tuple[list[int], list[int]]:
    """Put each label beside its own edge; returns the edges whose label found no clear place,
    and those whose label is not ``apart`` enough from the other edges.

    A label's candidate places are tried in order (along the edge from its middle outwards,
    either side, slid along); the distances of all of them from the edges near them are
    measured at once."""
    lines = [bezier(c) + [h] for c, h in zip(lay.curves, lay.heads)]
    segments = _Segments(lines)
    blocked = _Rects(list(lay.boxes.values()))
    failed, loose = [], []
    tries = TRIES if len(edges) <= 300 else TRIES[:8]
    for i, e in enumerate(edges):
        if e.label is None:
            continue
        best = _search(segments, blocked, i, e, lines[i], tries)
        if best is None and e.apart:  # nowhere ``apart`` times as near its own edge: nearer than any
            best = _search(segments, blocked, i, replace(e, apart=0.0), lines[i], tries)  # other, then
            loose.append(i)
        if best is None:
            failed.append(i)
        r = _beside(lines[i], 0.5, -1, e.label) if best is None else best[1]
        blocked.add(r)
        lay.labels[i] = r
    return failed, loose


def _search(segments: _Segments, blocked: _Rects, i: int, e: Edge, line: list[Point],
            tries: list[float]) -> tuple[float, Rect] | None:
    """The best clear place for edge ``i``'s label, or None."""
    assert e.label is not None
    best: tuple[float, Rect] | None = None
    for start in range(0, len(tries), TRIES_AT_ONCE):  # most labels settle in the first few tries
        places = [(t, _slid(_beside(line, t, side, e.label), shift))
                  for t in tries[start:start + TRIES_AT_ONCE] for side, shift in SIDES]
        best, settled = _best_place(segments, blocked, i, e, places, best)
        if settled:
            break
    return best


SIDES = ((-1, 0.0), (1, 0.0), (-1, -0.45), (1, -0.45), (-1, 0.45), (1, 0.45))  # (side, slid along by its width)
TRIES_AT_ONCE = 4  # places along the edge measured in one go


def _best_place(segments: _Segments, blocked: _Rects, i: int, e: Edge, places: list[tuple[float, Rect]],
                best: tuple[float, Rect] | None) -> tuple[tuple[float, Rect] | None, bool]:
    """The best of ``places`` for edge ``i``'s label so far (score, place), and whether it is
    settled: nothing else is near it, so no later place can be better."""
    own, other = segments.distances(i, [r for _t, r in places], REACH)
    fits = other > own + MARGIN_OWN
    if e.smallest is not None and e.smallest != e.label:  # the same test for its shortest text
        assert e.label is not None
        small = [Rect(r.x, r.y, *e.smallest) for _t, r in places]
        reach = REACH + max(e.label[0] - e.smallest[0], e.label[1] - e.smallest[1]) / 2
        own_small, other_small = segments.distances(i, small, reach)
        fits &= other_small > own_small + MARGIN_OWN
    if e.apart:  # a network's weights: unmistakably on their own connection, seen from the text's middle
        assert e.label is not None
        reach = e.apart * (math.hypot(*e.label) / 2 + CLEAR) + 1  # beyond ``apart`` × any own distance
        own_centre, other_centre = segments.distances(i, [Rect(r.x, r.y, 0.0, 0.0) for _t, r in places], reach)
        fits &= other_centre >= e.apart * (own_centre + TEXT_SHIFT)
    for k, (t, r) in enumerate(places):
        if fits[k] and own[k] >= CLEAR - 0.5 and not blocked.hits(r, 2):  # not slid across its own edge
            score = float(other[k] - own[k]) - 10 * abs(t - 0.5)
            if best is None or score > best[0]:
                best = (score, r)
        if (k + 1) % len(SIDES) == 0 and best is not None and best[0] >= REACH - CLEAR - 10 * abs(t - 0.5) - 0.5:
            return best, True
    return best, False


def _slid(r: Rect, shift: float) -> Rect:
    """``r`` slid along by ``shift`` of its width: its end, not its middle, by the point."""
    return Rect(r.x + shift * r.w, r.y, r.w, r.h)


def _beside(line: list[Point], t: float, side: int, size: tuple[float, float]) -> Rect:
    """A label of ``size`` whose nearest side is CLEAR from the point at ``t`` along ``line``,
    on one ``side`` of it (-1: above)."""
    k = min(int(t * (len(line) - 1)), len(line) - 2)
    (x0, y0), (x1, y1) = line[k], line[k + 1]
    dx, dy = x1 - x0, y1 - y0
    norm = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / norm, dx / norm  # a unit normal
    if ny * side < 0 or (ny == 0 and nx * side < 0):
        nx, ny = -nx, -ny
    w, h = size
    reach = w / 2 * abs(nx) + h / 2 * abs(ny) + CLEAR  # the support of the box along the normal
    return Rect(x0 + nx * reach, y0 + ny * reach, w, h)


# -- the frame: title above, legend and notes below, the canvas ------------------------------
def _frame(lay: Layout, above: Sequence[tuple[str, float, float]], below: Sequence[tuple[str, float, float]]) -> Layout:
    rects = list(lay.boxes.values()) + [r for r in lay.labels if r is not None]
    points = [p for c in lay.curves for p in c]
    x0 = min([r.left for r in rects] + [p[0] for p in points], default=0.0)
    y0 = min([r.top for r in rects] + [p[1] for p in points], default=0.0)
    x1 = max([r.right for r in rects] + [p[0] for p in points], default=0.0)
    y1 = max([r.bottom for r in rects] + [p[1] for p in points], default=0.0)
    top = MARGIN + sum(h + 10 for _, _, h in above)
    dx, dy = MARGIN - x0, top - y0
    shift = _shifter(dx, dy)
    lay.boxes = {k: Rect(r.x + dx, r.y + dy, r.w, r.h) for k, r in lay.boxes.items()}
    lay.labels = [None if r is None else Rect(r.x + dx, r.y + dy, r.w, r.h) for r in lay.labels]
    lay.curves = [[shift(p) for p in c] for c in lay.curves]
    lay.heads = [shift(p) for p in lay.heads]
    y = MARGIN
    for key, w, h in above:
        lay.extras[key] = Rect(MARGIN + w / 2, y + h / 2, w, h)
        y += h + 10
    y = y1 + dy + 16
    x = MARGIN
    band = max((h for _, _, h in below), default=0.0)
    for key, w, h in below:
        lay.extras[key] = Rect(x + w / 2, y + h / 2, w, h)
        x += w + 16
    right = max([x1 + dx, x - 16] + [r.right for r in lay.extras.values()])
    lay.width = right + MARGIN
    lay.height = y + band + MARGIN
    return lay


def shaped(lay: Layout, frame: tuple[float, float]) -> Layout:
    """``lay`` on a canvas of the frame's proportions (a slide, a page), the picture in its
    middle: the canvas grows in one direction only, so the picture is as big as before."""
    width, height = lay.width + 2 * GRAPHVIZ_PAD, lay.height + 2 * GRAPHVIZ_PAD  # the drawn canvas
    if width / height < frame[0] / frame[1]:
        width = height * frame[0] / frame[1]
    else:
        height = width * frame[1] / frame[0]
    width, height = width - 2 * GRAPHVIZ_PAD, height - 2 * GRAPHVIZ_PAD
    dx, dy = (width - lay.width) / 2, (height - lay.height) / 2
    shift = _shifter(dx, dy)
    lay.boxes = {k: Rect(r.x + dx, r.y + dy, r.w, r.h) for k, r in lay.boxes.items()}
    lay.labels = [None if r is None else Rect(r.x + dx, r.y + dy, r.w, r.h) for r in lay.labels]
    lay.extras = {k: Rect(r.x + dx, r.y + dy, r.w, r.h) for k, r in lay.extras.items()}
    lay.curves = [[shift(p) for p in c] for c in lay.curves]
    lay.heads = [shift(p) for p in lay.heads]
    lay.width, lay.height = width, height
    return lay


def _shifter(dx: float, dy: float):
    return lambda p: (p[0] + dx, p[1] + dy)
