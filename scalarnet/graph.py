"""Walking the node graph: topological order, forward re-evaluation and backward.

Everything here is iterative, so a chain of a million nodes needs no recursion.

Speed comes from the shape of the work: the order is computed once per graph (``Graph``),
every node is visited once per pass, the passes call an op with its parents' values
directly (one and two parents are nearly every node, so no argument list is built per
node), and the two ops that make nine in ten nodes of a network, products and sums, have
their rules written out in the loops (the same rules as in ops.py, checked against torch
and finite differences on random graphs in tests/test_graph.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from operator import attrgetter

from .i18n import _
from .node import Node, NumericError, evaluate
from .ops import ADD, MUL, RELU, SUM, TANH, DomainError

_EXPANDED = object()  # on the stack: "the node below me has all its parents in the order"
_grad = attrgetter("grad")


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

    Without ``order`` (an eager loop's one backward per new graph) the nodes are found by
    ``eager_walk``, a third of the cost of a depth-first post-order walk."""
    if order is not None:
        Graph(root, order).backward()
        return
    walk, leaves = eager_walk(root)
    _backward(root, walk, leaves)


_seq = attrgetter("seq")


def eager_walk(root: Node) -> tuple[list[Node], list[Node]]:
    """The nodes below ``root`` that need a gradient: (the interior ones, ``root`` first,
    newest first; the leaves). Constants and what is made only of them are left out:
    backward has nothing to send them.

    One search with a set of the nodes met, which stacks only interior nodes (a leaf has no
    parents to look at); then the interior ones are sorted newest first by ``seq``, the order
    they were made in: a node is made after its parents, so that is a topological order."""
    seen = {root}
    walk = [root] if root.op is not None else []
    leaves: list[Node] = []
    stack = [root]
    pop, push, add, met, leaf = stack.pop, stack.append, seen.add, walk.append, leaves.append
    while stack:
        for parent in pop().parents:
            if parent.requires_grad and parent not in seen:
                add(parent)
                if parent.op is None:
                    leaf(parent)
                else:
                    push(parent)
                    met(parent)
    walk.sort(key=_seq, reverse=True)
    return walk, leaves


def _backward(root: Node, walk: list[Node], leaves: list[Node]) -> None:
    """``walk``: the interior nodes that need a gradient, root first (each one after every
    node it feeds); ``leaves``: the leaves that need one."""
    for node in walk:
        node.grad = 0.0
    if root.op is not None:
        root.grad = 1.0
    else:
        root.grad += 1.0
    for node in walk:
        g = node.grad
        if g == 0.0:
            continue
        op, parents = node.op, node.parents
        if op is MUL:  # MUL.local_grads written out: ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
            a, b = parents
            if a.requires_grad:
                a.grad += g * b.value
            if b.requires_grad:
                b.grad += g * a.value
        elif op is ADD:  # ADD's and SUB's partials are ±1: eager loops chain additions
            a, b = parents
            if a.requires_grad:
                a.grad += g
            if b.requires_grad:
                b.grad += g
        elif op is SUM:  # SUM.local_grads written out: every partial is 1, g passes through
            for parent in parents:
                if parent.requires_grad:
                    parent.grad += g
        elif op is RELU:  # ReLU'(x) = [x > 0]
            a = parents[0]
            if a.value > 0.0 and a.requires_grad:
                a.grad += g
        elif op is TANH:  # tanh'(x) = 1 − tanh²(x), from the output
            a = parents[0]
            if a.requires_grad:
                a.grad += g * (1.0 - node.value * node.value)
        elif len(parents) == 2:
            a, b = parents
            da, db = op.local_grads(node.value, a.value, b.value)
            if a.requires_grad:
                a.grad += g * da
            if b.requires_grad:
                b.grad += g * db
        elif len(parents) == 1:
            a = parents[0]
            if a.requires_grad:
                a.grad += g * op.local_grads(node.value, a.value)[0]
        else:
            for parent, d in zip(parents, op.local_grads(node.value, *[p.value for p in parents])):
                if parent.requires_grad:
                    parent.grad += g * d
    # A non-finite gradient anywhere makes this sum non-finite (the converse may fail by
    # overflow; then the scan simply finds nothing).
    total = sum(map(_grad, walk)) + sum(map(_grad, leaves))
    if total - total != 0.0:
        for node in itertools.chain(walk, leaves):  # name the non-finite gradient nearest the root
            g = node.grad
            if g - g != 0.0:
                raise NumericError(_("node {name}: its gradient {value} is not finite").format(
                    name=node.display_name(), value=repr(g)))


def zero_grad(nodes: list[Node]) -> None:
    for node in nodes:
        node.grad = 0.0


class Graph:
    """A fixed graph below ``root`` whose topological order is computed once and reused:
    change leaf values, then ``forward()`` and ``backward()`` again without rebuilding."""

    __slots__ = ("root", "order", "interior", "walk", "leaves")

    def __init__(self, root: Node, order: list[Node] | None = None) -> None:
        """``order``: the topological order of ``root``'s graph, when it is known already."""
        self.root = root
        self.order = topological_order(root) if order is None else order
        self.interior = [n for n in self.order if n.op is not None]
        # Newest first, the order eager ``backward()`` takes: the same sums in the same
        # order, so a cached graph and a rebuilt one give equal gradients to the last bit.
        self.walk = sorted((n for n in self.interior if n.requires_grad), key=_seq, reverse=True)
        self.leaves = [n for n in self.order if n.op is None and n.requires_grad]

    def forward(self) -> float:
        """Recompute every interior node from the leaves' current values.

        ``node.evaluate`` inlined, with products and sums written out (MUL.forward,
        SUM.forward), since they are most of a network's nodes; a domain error or a
        non-finite value is evaluated again by ``evaluate``, whose error names the node."""
        for node in self.interior:
            op, parents = node.op, node.parents
            try:
                if op is MUL:
                    value = parents[0].value * parents[1].value
                elif op is SUM:
                    value = math.fsum([p.value for p in parents])
                elif len(parents) == 2:
                    value = op.forward(parents[0].value, parents[1].value)
                elif len(parents) == 1:
                    value = op.forward(parents[0].value)
                else:
                    value = op.forward(*[p.value for p in parents])
            except (DomainError, OverflowError):  # fsum overflows by raising
                value = math.nan
            if value - value != 0.0:
                evaluate(op, parents, node.name)  # raises
            node.value = value
        return self.root.value

    def backward(self) -> None:
        _backward(self.root, self.walk, self.leaves)

    def zero_grad(self) -> None:
        zero_grad(self.order)

    def parameters(self) -> list[Node]:
        return [n for n in self.order if n.op is None and n.requires_grad]

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
        walk = [n for n in self.order if n.requires_grad]
        return sorted(walk, key=lambda n: (far[n], rank.get(n.name, unnamed) if n.name else unnamed, place[n]))


def apply_local_rule(node: Node) -> list[tuple[Node, float]]:
    """One node's step of the backward pass: add ``node.grad`` · ∂node/∂parent to each
    parent that needs a gradient. Returns (parent, the amount added), in parent order.

    The generic form of the rules ``_backward`` writes out for speed: what a hand-run walk
    (``scalarnet.walk``, micrograd's ``o._backward()``) applies one node at a time."""
    if node.op is None:
        return []
    local = node.op.local_grads(node.value, *[p.value for p in node.parents])
    sent = []
    for parent, d in zip(node.parents, local):
        if parent.requires_grad:
            amount = node.grad * d
            parent.grad += amount
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
        for parent, d in zip(parents, node.op.local_grads(node.value, *[p.value for p in parents])):
            if parent.requires_grad or parent.name is not None or parent.op is not None:
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
