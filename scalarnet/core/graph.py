"""Walking the node graph: topological order, forward re-evaluation and backward.

Everything here is iterative, so a chain of a million nodes needs no recursion.

Speed comes from the shape of the work: the order is computed once per graph (``Graph``),
or, for an eager loop's new graph every step, read off the tape of op results (node.py) with
no search and no sort; every node is visited once per pass, the passes call an op with its parents' values
directly (one and two parents are nearly every node, so no argument list is built per
node), and the two ops that make nine in ten nodes of a network, products and sums, have
their rules written out in the loops (the same rules as in ops.py, checked against torch
and finite differences on random graphs in tests/test_graph.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from operator import attrgetter

from ..i18n import _
from .node import Node, NumericError, evaluate, forget_through, recorded_through
from .ops import ADD, MUL, RELU, SUM, TANH

_EXPANDED = object()  # on the stack: "the node below me has all its parents in the order"


def topological_order(*roots: Node) -> list[Node]:
    """Every node the roots depend on (and the roots), parents before children.

    Depth-first, post-order, parents left to right: the order a recursive walk gives,
    with an explicit stack. A node met for the first time goes back on the stack under a
    marker with its parents on top; when the marker comes up again, its parents are done."""
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list = list(reversed(roots))
    pop, push = stack.pop, stack.append  # bound once: this loop runs once per node
    while stack:
        node = pop()
        if node is _EXPANDED:
            order.append(pop())
        elif node not in seen:
            seen.add(node)
            parents = node.parents
            if parents:
                push(node)
                push(_EXPANDED)
                stack.extend(parents[::-1])  # leftmost parent on top: walked first
            else:
                order.append(node)
    return order


def backward(root: Node, order: list[Node] | None = None) -> None:
    """Back-propagate from ``root``: afterwards ``node.grad`` = d(root)/d(node).

    Interior nodes start again from zero on every call; leaves accumulate, as in PyTorch,
    so two calls without ``zero_grad`` leave twice the gradient on the leaves. Nodes that
    need no gradient (constants and what is made only of constants) are skipped.

    Without ``order`` (an eager loop's one backward per new graph) the nodes come off the
    tape (node.py): the nodes made up to ``root``, newest first, a topological order found
    without a search. Nodes of that stretch that ``root`` does not depend on receive nothing
    and are passed over untouched. What is not on the tape any more (a second backward, a
    graph built on nodes an earlier backward walked) is found by a search (``_walk_older``)."""
    if order is not None:
        Graph(root, order).backward()
        return
    if root.op is None:  # a leaf: d(root)/d(root) = 1, accumulated
        walk = _Walk(object(), 0)
        walk.receive(root, 1.0)
        walk.check()
        return
    recorded = recorded_through(root)
    try:
        # A node on the tape holds a gradient only if something other than backward put it
        # there (a hand-run walk, Graph.backward): then the stretch is not fresh, and every
        # node root depends on is found and zeroed by the search instead.
        if recorded is not None and _all_zero(recorded[0]):
            nodes, mark, first_seq = recorded
            walk = _Walk(mark, first_seq)
            root._grad = 1.0
            walk.propagate(reversed(nodes))
            walk.taken.append(nodes)
            if walk.escaped:  # nodes that fell off the tape: all older than every node on it
                walk.propagate_older(walk.escaped)
        else:
            walk = _Walk(object(), 0)
            root.mark, root._grad = walk.mark, 1.0
            walk.propagate_older([root])
        walk.check()
    finally:
        if recorded is not None:
            forget_through(root)


_seq = attrgetter("seq")


def _all_zero(nodes: list[Node]) -> bool:
    for node in nodes:  # a plain loop: a third of the cost of any(map(attrgetter("grad"), ...))
        if node._grad:
            return False
    return True


class _Walk:
    """One backward pass: the ``mark`` of the nodes whose ``grad`` belongs to it, and what it
    met besides the nodes it was given (leaves, nodes that fell off the tape)."""

    __slots__ = ("mark", "first_seq", "leaves", "escaped", "taken", "total")

    def __init__(self, mark: object, first_seq: int) -> None:
        self.mark: object = mark
        self.first_seq = first_seq  # interior nodes made before it are not on the walked stretch
        self.leaves: list[Node] = []
        self.escaped: list[Node] = []
        self.taken: list[list[Node]] = []  # the interior nodes walked, for the final check
        self.total = 0.0  # the sum of the gradients of the interior nodes walked

    def receive(self, node: Node, amount: float) -> None:
        """The first gradient ``node`` gets in this walk: a leaf adds it (PyTorch's
        accumulation), an interior node starts from it."""
        node.mark = self.mark
        if node.op is None:
            node._grad += amount
            self.leaves.append(node)
        else:
            node._grad = amount
            if node.seq < self.first_seq:
                self.escaped.append(node)

    def propagate_older(self, starts: list[Node]) -> None:
        """Walk ``starts`` (marked, holding their gradient so far) and every interior node
        below them that needs a gradient, found by a search that zeroes each one it meets,
        newest first by ``seq``: a node is made after its parents, so that is a topological
        order."""
        mark = self.mark
        found = list(starts)
        stack = list(starts)
        pop, push, met = stack.pop, stack.append, found.append
        while stack:
            for parent in pop().parents:
                if parent.op is not None and parent.mark is not mark and parent._requires_grad:
                    parent.mark, parent._grad = mark, 0.0
                    met(parent)
                    push(parent)
        found.sort(key=_seq, reverse=True)
        self.propagate(found)
        self.taken.append(found)

    def propagate(self, walk: Iterable[Node]) -> None:
        """Send each node's gradient to its parents, in ``walk``'s order (each node after every
        node it feeds). A parent whose mark is this walk's adds to its gradient; one that
        needs a gradient but is not marked yet gets its first share through ``receive``."""
        mark, receive = self.mark, self.receive
        total = 0.0
        for node in walk:
            g = node._grad
            if g == 0.0:
                continue
            total += g
            op, parents = node.op, node.parents
            if op is MUL:  # MUL.local_grads written out: ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
                a, b = parents
                if a.mark is mark:
                    a._grad += g * b._value
                elif a._requires_grad:
                    receive(a, g * b._value)
                if b.mark is mark:
                    b._grad += g * a._value
                elif b._requires_grad:
                    receive(b, g * a._value)
            elif op is ADD:  # ADD's partials are 1: eager loops chain additions
                a, b = parents
                if a.mark is mark:
                    a._grad += g
                elif a._requires_grad:
                    receive(a, g)
                if b.mark is mark:
                    b._grad += g
                elif b._requires_grad:
                    receive(b, g)
            elif op is SUM:  # SUM.local_grads written out: every partial is 1, g passes through
                for parent in parents:
                    if parent.mark is mark:
                        parent._grad += g
                    elif parent._requires_grad:
                        receive(parent, g)
            elif op is RELU:  # ReLU'(x) = [x > 0]
                a = parents[0]
                if a._value > 0.0:
                    if a.mark is mark:
                        a._grad += g
                    elif a._requires_grad:
                        receive(a, g)
            elif op is TANH:  # tanh'(x) = 1 − tanh²(x), from the output
                a = parents[0]
                if a.mark is mark:
                    a._grad += g * (1.0 - node._value * node._value)
                elif a._requires_grad:
                    receive(a, g * (1.0 - node._value * node._value))
            else:
                assert op is not None  # an interior node (said for the type checker, which compiles this)
                for parent, d in zip(parents, op.local_grads(node._value, *[p._value for p in parents])):
                    if parent.mark is mark:
                        parent._grad += g * d
                    elif parent._requires_grad:
                        receive(parent, g * d)
        self.total += total

    def check(self) -> None:
        """A non-finite gradient anywhere makes the sum of all of them non-finite (the converse
        may fail by overflow; then the scan simply finds nothing): name the one nearest the
        root, the newest."""
        total = self.total
        for leaf in self.leaves:
            total += leaf._grad
        if total - total == 0.0:
            return
        for node in itertools.chain(sorted(itertools.chain(*self.taken), key=_seq, reverse=True), self.leaves):
            g = node._grad
            if g - g != 0.0:
                raise NumericError(_("node {name}: its gradient {value} is not finite").format(
                    name=node.display_name(), value=repr(g)))


def zero_grad(nodes: list[Node]) -> None:
    for node in nodes:
        node._grad = 0.0


class Graph:
    """A fixed graph below ``root`` whose topological order is computed once and reused:
    change leaf values, then ``forward()`` and ``backward()`` again without rebuilding."""

    __slots__ = ("root", "order", "interior", "walk", "leaves")

    def __init__(self, root: Node, order: list[Node] | None = None) -> None:
        """``order``: the topological order of ``root``'s graph, when it is known already."""
        # The graph keeps its nodes itself: off the tape with them (and with what was made
        # before them), so that the tape holds no graph its owner lets go of.
        forget_through(root)
        self.root = root
        self.order = topological_order(root) if order is None else order
        self.interior = [n for n in self.order if n.op is not None]
        # Newest first, the order eager ``backward()`` takes: the same sums in the same
        # order, so a cached graph and a rebuilt one give equal gradients to the last bit.
        self.walk = sorted((n for n in self.interior if n._requires_grad), key=_seq, reverse=True)
        self.leaves = [n for n in self.order if n.op is None and n._requires_grad]

    def forward(self) -> float:
        """Recompute every interior node from the leaves' current values.

        Products and sums written out (MUL.forward, SUM.forward), since they are most of a
        network's nodes; the rest and any non-finite value go through ``evaluate``, whose
        error names the node."""
        for node in self.interior:
            op, parents = node.op, node.parents
            if op is MUL:
                value = parents[0]._value * parents[1]._value
            elif op is SUM:
                try:
                    value = math.fsum([p._value for p in parents])
                except OverflowError:
                    value = math.nan
            else:
                value = evaluate(op, parents, node.name)
            if value - value != 0.0:
                evaluate(op, parents, node.name)  # raises
            node._value = value
        return self.root._value

    def backward(self) -> None:
        """``backward`` on the cached order: every interior node of it is zeroed and marked."""
        walk = _Walk(object(), 0)
        for node in self.walk:
            node.mark, node._grad = walk.mark, 0.0
        if self.root.op is None:
            walk.receive(self.root, 1.0)
        else:
            self.root._grad = 1.0
        walk.propagate(self.walk)
        walk.taken.append(self.walk)
        walk.check()

    def zero_grad(self) -> None:
        zero_grad(self.order)

    def parameters(self) -> list[Node]:
        return [n for n in self.order if n.op is None and n._requires_grad]

    def backward_walk(self, names: Sequence[str] = ()) -> list[Node]:
        """The nodes that get a gradient, in the textbook's order: layer by layer from the
        root, by longest distance from the root, ties by the order of ``names`` (a file's
        order of its names), then by the topological order. Every parent is further from the
        root than its children, so this is a reverse topological order: each node is visited
        once all of its gradient has arrived."""
        far = longest_distances(self.root, self.order)
        rank = {name: k for k, name in enumerate(names)}
        unnamed = len(rank)
        place = {node: k for k, node in enumerate(reversed(self.order))}
        walk = [n for n in self.order if n._requires_grad]
        return sorted(walk, key=lambda n: (far[n], rank.get(n.name, unnamed) if n.name else unnamed, place[n]))


def apply_local_rule(node: Node) -> list[tuple[Node, float]]:
    """One node's step of the backward pass: add ``node.grad`` · ∂node/∂parent to each
    parent that needs a gradient. Returns (parent, the amount added), in parent order.

    The generic form of the rules ``_backward`` writes out for speed: what a hand-run walk
    (``scalarnet.walk``, micrograd's ``o._backward()``) applies one node at a time."""
    if node.op is None:
        return []
    local = node.op.local_grads(node._value, *[p._value for p in node.parents])
    sent = []
    for parent, d in zip(node.parents, local):
        if parent._requires_grad:
            amount = node._grad * d
            parent._grad += amount
            sent.append((parent, amount))
    return sent


def all_gradients(root: Node, order: list[Node]) -> dict[int, float]:
    """id(node) -> ∂root/∂node for every node of ``order`` (root's topological order) that
    root depends on, inputs and targets included (CS231n's dx), without touching any
    ``grad``: backward gives only what the update needs, this gives what a step shows.
    Unnamed constants (the 2 of x²) are left out."""
    adjoint = {id(root): 1.0}
    for node in reversed(order):
        g = adjoint.get(id(node))
        if not g or node.op is None:
            continue
        parents = node.parents
        for parent, d in zip(parents, node.op.local_grads(node._value, *[p._value for p in parents])):
            if parent._requires_grad or parent.name is not None or parent.op is not None:
                adjoint[id(parent)] = adjoint.get(id(parent), 0.0) + g * d
    return adjoint


def longest_distances(root: Node, order: list[Node]) -> dict[Node, int]:
    """node -> the number of edges on the longest path from it down to ``root`` (``order``:
    the topological order of root's graph)."""
    far = {root: 0}
    for node in reversed(order):  # children before parents
        d = far.get(node, 0) + 1
        for parent in node.parents:
            if far.get(parent, -1) < d:
                far[parent] = d
    return far
