"""Walking the node graph: topological order, forward re-evaluation and backward.

Everything here is iterative, so a chain of a million nodes needs no recursion.
"""

from __future__ import annotations

from .node import Node, NumericError, evaluate


def topological_order(root: Node) -> list[Node]:
    """Every node ``root`` depends on (and ``root`` itself), parents before children.

    Depth-first, post-order, with an explicit stack of (node, iterator over its parents)."""
    order: list[Node] = []
    seen = {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, pending = stack[-1]
        for parent in pending:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def backward(root: Node, order: list[Node] | None = None) -> None:
    """Back-propagate from ``root``: afterwards ``node.grad`` = d(root)/d(node).

    Interior nodes start again from zero on every call; leaves accumulate, as in PyTorch,
    so two calls without ``zero_grad`` leave twice the gradient on the leaves. Nodes that
    need no gradient (constants and what is made only of constants) are skipped."""
    if order is None:
        order = topological_order(root)
    for node in order:
        if node.op is not None:
            node.grad = 0.0
    if root.op is not None:
        root.grad = 1.0
    else:
        root.grad += 1.0
    for node in reversed(order):
        g = node.grad
        if node.op is None or g == 0.0 or not node.requires_grad:
            continue
        parents = node.parents
        local = node.op.local_grads(node.value, *[p.value for p in parents])
        for parent, d in zip(parents, local):
            if parent.requires_grad:
                parent.grad += g * d
    for node in reversed(order):  # name the non-finite gradient nearest the root
        g = node.grad
        if g - g != 0.0:
            raise NumericError(f"node {node.label()}: its gradient {g!r} is not finite")


def zero_grad(nodes: list[Node]) -> None:
    for node in nodes:
        node.grad = 0.0


class Graph:
    """A fixed graph below ``root`` whose topological order is computed once and reused:
    change leaf values, then ``forward()`` and ``backward()`` again without rebuilding."""

    __slots__ = ("root", "order", "interior")

    def __init__(self, root: Node) -> None:
        self.root = root
        self.order = topological_order(root)
        self.interior = [n for n in self.order if n.op is not None]

    def forward(self) -> float:
        """Recompute every interior node from the leaves' current values."""
        for node in self.interior:
            node.value = evaluate(node.op, node.parents, node.name)
        return self.root.value

    def backward(self) -> None:
        backward(self.root, self.order)

    def zero_grad(self) -> None:
        zero_grad(self.order)

    def parameters(self) -> list[Node]:
        return [n for n in self.order if n.op is None and n.requires_grad]

    def backward_walk(self) -> list[Node]:
        """The nodes in the order backward visits them (root first), those that get a gradient."""
        return [n for n in reversed(self.order) if n.requires_grad]
