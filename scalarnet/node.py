"""``Node``: one scalar of a computation, with its value, its gradient, its parents and
the op that made it.

A node made by the user (``Node(0.2, name="w1")``) is a leaf that receives a gradient,
as in micrograd; plain numbers mixed into formulas become constants, which get no
gradient work. Nodes are slotted and hold no closures, so a graph is a plain DAG that
Python frees by reference counting alone (no cycles for the garbage collector to chase).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from . import ops
from .ops import DomainError, Op


class NumericError(ArithmeticError):
    """A value or gradient left the real numbers; the message names the node."""


Number = int | float


class Node:
    __slots__ = ("value", "grad", "parents", "op", "name", "requires_grad")

    def __init__(self, value: Number, name: str | None = None, *, requires_grad: bool = True) -> None:
        value = float(value)
        if value - value != 0.0:  # inf - inf and nan - nan are nan
            raise NumericError(f"node {name or '(unnamed)'}: value {value!r} is not a finite number")
        self.value = value
        self.grad = 0.0
        self.parents: tuple[Node, ...] = ()
        self.op: Op | None = None
        self.name = name
        self.requires_grad = requires_grad

    @classmethod
    def constant(cls, value: Number, name: str | None = None) -> Node:
        """A leaf that takes part in the computation but never receives a gradient."""
        return cls(value, name, requires_grad=False)

    @property
    def is_leaf(self) -> bool:
        """Made by the user or a constant, not by an op (PyTorch's ``is_leaf``)."""
        return self.op is None

    def label(self) -> str:
        """The node's name, or else its formula: what error messages and views call it."""
        return self.name if self.name is not None else formula(self)

    def __repr__(self) -> str:
        name = f"{self.name}, " if self.name else ""
        kind = "" if self.op is None else f", op={self.op.name}"
        return f"Node({name}value={self.value:.6g}, grad={self.grad:.6g}{kind})"

    # -- graph-wide conveniences (the work is in graph.py) -------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with d(self)/d(node).

        Leaves accumulate (as in PyTorch: a second call without ``zero_grad`` adds the
        same gradient again); interior nodes are recomputed from scratch on every call."""
        from .graph import backward

        backward(self)

    def zero_grad(self) -> None:
        """Set the gradient of this node and of everything it depends on to zero."""
        from .graph import topological_order, zero_grad

        zero_grad(topological_order(self))

    def parameters(self) -> list[Node]:
        """The leaves below this node that receive gradients, in first-use order."""
        from .graph import topological_order

        return [n for n in topological_order(self) if n.op is None and n.requires_grad]

    # -- operators -----------------------------------------------------------------
    def __add__(self, other: Node | Number) -> Node:
        return apply(ops.ADD, self, as_node(other))

    def __radd__(self, other: Number) -> Node:
        return apply(ops.ADD, as_node(other), self)

    def __sub__(self, other: Node | Number) -> Node:
        return apply(ops.SUB, self, as_node(other))

    def __rsub__(self, other: Number) -> Node:
        return apply(ops.SUB, as_node(other), self)

    def __mul__(self, other: Node | Number) -> Node:
        return apply(ops.MUL, self, as_node(other))

    def __rmul__(self, other: Number) -> Node:
        return apply(ops.MUL, as_node(other), self)

    def __truediv__(self, other: Node | Number) -> Node:
        return apply(ops.DIV, self, as_node(other))

    def __rtruediv__(self, other: Number) -> Node:
        return apply(ops.DIV, as_node(other), self)

    def __pow__(self, other: Node | Number) -> Node:
        return power(self, as_node(other))

    def __rpow__(self, other: Number) -> Node:
        return power(as_node(other), self)

    def __neg__(self) -> Node:
        return apply(ops.NEG, self)

    def __pos__(self) -> Node:
        return self

    def sigmoid(self) -> Node:
        return apply(ops.SIGMOID, self)

    def tanh(self) -> Node:
        return apply(ops.TANH, self)

    def relu(self) -> Node:
        return apply(ops.RELU, self)

    def exp(self) -> Node:
        return apply(ops.EXP, self)

    def log(self) -> Node:
        return apply(ops.LOG, self)


def as_node(x: Node | Number) -> Node:
    """Nodes pass through; plain numbers become constants."""
    if isinstance(x, Node):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Node.constant(x)
    raise TypeError(f"cannot use {type(x).__name__} {x!r} in a formula: expected a Node or a number")


def evaluate(op: Op, parents: tuple[Node, ...], name: str | None = None) -> float:
    """Run ``op`` on the parents' values; a domain error or a non-finite result is
    reported as a ``NumericError`` that names the node."""
    try:
        # One and two parents are nearly every node: pass their values without building
        # an argument list (which would cost five times the op itself).
        n = len(parents)
        if n == 2:
            value = op.forward(parents[0].value, parents[1].value)
        elif n == 1:
            value = op.forward(parents[0].value)
        else:
            value = op.forward(*[p.value for p in parents])
    except DomainError as err:
        raise NumericError(f"{_describe(op, parents, name)}: {err}") from None
    if value - value != 0.0:
        raise NumericError(f"{_describe(op, parents, name)}: the value {value!r} is not finite")
    return value


def apply(op: Op, *parents: Node, name: str | None = None) -> Node:
    """The node ``op(*parents)``, with its value computed now."""
    node = Node.__new__(Node)
    if len(parents) == 2:  # most nodes: evaluate() inlined, which it re-runs to name an error
        try:
            value = op.forward(parents[0].value, parents[1].value)
        except DomainError:
            value = math.nan
        node.value = value if value - value == 0.0 else evaluate(op, parents, name)
    else:
        node.value = evaluate(op, parents, name)
    node.grad = 0.0
    node.parents = parents
    node.op = op
    node.name = name
    node.requires_grad = False
    for parent in parents:  # a plain loop: any() over a generator costs more than the op
        if parent.requires_grad:
            node.requires_grad = True
            break
    return node


def power(base: Node, exponent: Node, name: str | None = None) -> Node:
    if exponent.requires_grad and base.value <= 0.0:
        raise NumericError(
            f"{_describe(ops.POW, (base, exponent), name)}: a power with a trainable exponent needs "
            f"a positive base (d/de bᵉ = bᵉ·ln b), got base {base.value!r}"
        )
    return apply(ops.POW, base, exponent, name=name)


def sum_nodes(terms: Iterable[Node | Number], name: str | None = None) -> Node:
    """One n-ary sum node over ``terms`` (a single term is returned as it is)."""
    parents = tuple(as_node(t) for t in terms)
    if not parents:
        raise ValueError("sum_nodes needs at least one term")
    if len(parents) == 1 and name is None:
        return parents[0]
    return apply(ops.SUM, *parents, name=name)


def formula(node: Node, depth: int = 4) -> str:
    """A node written as a formula of its named ancestors (for messages and labels)."""
    if node.op is None or depth == 0:
        return node.name if node.name is not None else _number(node.value)
    return node.op.format_value(_operands(node.op, node.parents, depth - 1))


def _operands(op: Op, parents: tuple[Node, ...], depth: int) -> list[str]:
    # A function's own parentheses suffice: ln(x − 3), not ln((x − 3)).
    bare = op.arity == 1 and "({0})" in op.value_template[0]
    return [_operand(p, depth, bare) for p in parents]


def _operand(node: Node, depth: int, bare: bool = False) -> str:
    if node.name is not None or node.op is None:
        return node.name if node.name is not None else _number(node.value)
    text = formula(node, depth)
    return f"({text})" if not bare and (node.op.arity != 1 or node.op is ops.NEG) else text


def _number(v: float) -> str:
    return f"{v:.6g}"


def _describe(op: Op, parents: tuple[Node, ...], name: str | None) -> str:
    shown = op.format_value(_operands(op, parents, 3))
    values = ", ".join(f"{p.label()} = {p.value!r}" for p in parents if p.name is not None or p.op is not None)
    head = f"node {name} = {shown}" if name else f"node {shown}"
    return f"{head} (with {values})" if values else head
