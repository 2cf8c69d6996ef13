"""Hypothesis strategies for random expression graphs, as recipes that replay in any backend.

A ``Recipe`` is a list of leaves and a list of steps. Each step applies one op to earlier
nodes (an ``int`` argument is an index into the nodes built so far) and plain numbers
(a ``float`` argument), so the same recipe builds a scalarnet graph (``build_nodes``) or a
float64 torch graph (``build_torch``) and the two can be compared number for number.

Steps pick their arguments from every node built so far, so graphs are DAGs with shared
subexpressions. Values stay in safe domains by construction, never by luck: the recipe
tracks an upper bound on every node's magnitude, squashes an argument through ``tanh``
before an op could push a bound past ``LIMIT``, and feeds log, div, fractional or
negative powers and node exponents a positive base ``u*u + 0.5``. The bounds hold for any
leaf values in [-LEAF_BOUND, LEAF_BOUND], so a recipe may be replayed with new ones.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import methodcaller
from typing import Any

from hypothesis import strategies as st

from scalarnet import Node
from scalarnet.core import ops
from scalarnet.core.node import apply, sum_nodes

LIMIT = 100.0  # no node's magnitude may exceed this (so nothing overflows, and FD stays accurate)
LEAF_BOUND = 2.0  # leaf values lie in [-2, 2]: a recipe stays safe for any such values
LEAF_VALUES = st.floats(-LEAF_BOUND, LEAF_BOUND, allow_nan=False, allow_infinity=False)
PLAIN_NUMBERS = st.sampled_from([-1.5, -0.5, 0.5, 1.0, 2.0, 3.0])
CONSTANT_EXPONENTS = [2.0, 3.0, 0.5, 1.5, -1.0, -0.5]

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv, "pow": operator.pow,
}
UNARY: dict[str, Callable[[Any], Any]] = {
    name: methodcaller(name) for name in ("exp", "log", "sigmoid", "tanh", "relu")
} | {"neg": operator.neg}
NARY = ("sum", "logsumexp")
OPS = (*BINARY, *UNARY, *NARY)


@dataclass(frozen=True)
class Leaf:
    name: str
    value: float
    trainable: bool  # a parameter (Node(v)) or a constant (Node.constant(v))


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple[int | float, ...]  # int: index of an earlier node; float: a plain number


@dataclass(frozen=True)
class Recipe:
    leaves: tuple[Leaf, ...]
    steps: tuple[Step, ...]


def replay(recipe: Recipe, leaf: Callable[[Leaf], Any], nary: dict[str, Callable[[list], Any]]) -> list:
    """Every node of ``recipe`` built with ``leaf`` and the n-ary ``nary`` functions
    (binary and unary ops are Python operators and methods both backends share)."""
    nodes = [leaf(x) for x in recipe.leaves]
    for step in recipe.steps:
        args = [nodes[a] if isinstance(a, int) else a for a in step.args]
        if step.op in BINARY:
            nodes.append(BINARY[step.op](*args))
        elif step.op in UNARY:
            nodes.append(UNARY[step.op](*args))
        else:
            nodes.append(nary[step.op](args))
    return nodes


def build_nodes(recipe: Recipe) -> list[Node]:
    """The recipe as scalarnet nodes: leaves first (in recipe order), the root last."""

    def leaf(x: Leaf) -> Node:
        return Node(x.value, name=x.name) if x.trainable else Node.constant(x.value, name=x.name)

    return replay(recipe, leaf, {"sum": sum_nodes, "logsumexp": lambda xs: apply(ops.LOGSUMEXP, *xs)})


def build_torch(recipe: Recipe, torch: Any) -> list:
    """The recipe as float64 torch tensors; parameters require grad, constants do not."""

    def leaf(x: Leaf) -> Any:
        return torch.tensor(x.value, dtype=torch.float64, requires_grad=x.trainable)

    return replay(recipe, leaf, {
        "sum": lambda xs: torch.stack(xs).sum(),
        "logsumexp": lambda xs: torch.logsumexp(torch.stack(xs), 0),
    })


class _Builder:
    """Draws steps one at a time, keeping a magnitude bound per node."""

    def __init__(self, draw: Callable, leaves: Sequence[Leaf]) -> None:
        self.draw = draw
        self.steps: list[Step] = []
        self.bounds = [LEAF_BOUND] * len(leaves)
        self.used: set[int] = set()

    def emit(self, op: str, args: tuple[int | float, ...], bound: float) -> int:
        assert bound <= LIMIT * 1.01, (op, args, bound)  # a bug in the strategy, not the engine
        self.steps.append(Step(op, args))
        self.used.update(a for a in args if isinstance(a, int))
        self.bounds.append(bound)
        return len(self.bounds) - 1

    def bound(self, arg: int | float) -> float:
        return self.bounds[arg] if isinstance(arg, int) else abs(arg)

    def pick(self) -> int:
        return self.draw(st.integers(0, len(self.bounds) - 1))

    def operand(self) -> int | float:
        """An earlier node, or now and then a plain number (which becomes a constant)."""
        return self.draw(st.one_of(st.integers(0, len(self.bounds) - 1), PLAIN_NUMBERS))

    def squashed(self, arg: int | float, limit: float) -> int | float:
        """``arg`` itself if its bound is within ``limit``, else ``tanh(arg)``."""
        if self.bound(arg) <= limit or not isinstance(arg, int):
            return arg
        return self.emit("tanh", (arg,), 1.0)

    def positive(self, i: int) -> int:
        """``u*u + 0.5`` with u = i squashed to magnitude 9: a value in [0.5, 81.5]."""
        u = self.squashed(i, 9.0)
        square = self.emit("mul", (u, u), self.bound(u) ** 2)
        return self.emit("add", (square, 0.5), self.bounds[square] + 0.5)

    def step(self, op: str) -> None:
        if op in ("add", "sub"):
            a, b = (self.squashed(x, LIMIT / 2) for x in (self.operand(), self.operand()))
            if isinstance(a, float) and isinstance(b, float):
                a = self.pick()
            self.emit(op, (a, b), self.bound(a) + self.bound(b))
        elif op == "mul":
            a, b = (self.squashed(x, LIMIT**0.5) for x in (self.operand(), self.pick()))
            if self.draw(st.booleans()):
                a, b = b, a
            self.emit(op, (a, b), self.bound(a) * self.bound(b))
        elif op == "div":
            a = self.squashed(self.operand(), LIMIT / 2)
            self.emit(op, (a, self.positive(self.pick())), self.bound(a) / 0.5)
        elif op == "pow" and self.draw(st.booleans()):  # a node exponent on a positive base
            base = self.draw(st.one_of(st.sampled_from([0.5, 2.0, 3.0]), st.just(None)))  # 2.0 ** x too
            base = self.positive(self.squashed(self.pick(), 3.0)) if base is None else base
            exponent = self.squashed(self.pick(), 1.0)
            self.emit(op, (base, exponent), max(self.bound(base), 1 / 0.5) ** self.bound(exponent))
        elif op == "pow":
            e = self.draw(st.sampled_from(CONSTANT_EXPONENTS))
            if e in (2.0, 3.0):  # integer powers take negative bases too
                base = self.squashed(self.pick(), 4.0)
            else:
                base = self.positive(self.squashed(self.pick(), 3.0))
            self.emit(op, (base, e), max(self.bound(base), 1 / 0.5) ** abs(e))
        elif op == "exp":
            a = self.squashed(self.pick(), math.log(LIMIT))
            self.emit(op, (a,), math.exp(self.bound(a)))
        elif op == "log":
            a = self.positive(self.pick())
            self.emit(op, (a,), max(abs(math.log(0.5)), math.log(self.bounds[a])))
        elif op in ("sigmoid", "tanh"):
            self.emit(op, (self.pick(),), 1.0)
        elif op in ("neg", "relu"):
            a = self.pick()
            self.emit(op, (a,), self.bounds[a])
        else:  # sum, logsumexp
            n = self.draw(st.integers(2, 4))
            args = tuple(self.squashed(self.pick(), LIMIT / (n + 1)) for _ in range(n))
            bound = sum(map(self.bound, args)) if op == "sum" else max(map(self.bound, args)) + math.log(n)
            self.emit(op, args, bound)

    def sinks(self) -> list[int]:
        return [i for i in range(len(self.bounds)) if i not in self.used]


@st.composite
def recipes(draw: Callable, max_steps: int = 10, ops_from: Sequence[str] = OPS) -> Recipe:
    """A random recipe whose last node is the root and depends on every other node: the
    nodes no step uses are summed at the end (one n-ary sum node)."""
    n_params = draw(st.integers(1, 3))
    n_constants = draw(st.integers(0, 2))
    leaves = [Leaf(f"x{i}", draw(LEAF_VALUES), True) for i in range(n_params)]
    leaves += [Leaf(f"c{i}", draw(LEAF_VALUES), False) for i in range(n_constants)]
    builder = _Builder(draw, leaves)
    for op in draw(st.lists(st.sampled_from(list(ops_from)), min_size=1, max_size=max_steps)):
        builder.step(op)
    sinks = builder.sinks()
    if len(sinks) > 1:
        args = tuple(builder.squashed(i, LIMIT / len(sinks)) for i in sinks)
        builder.emit("sum", args, sum(map(builder.bound, args)))
    return Recipe(tuple(leaves), tuple(builder.steps))


def graphs(max_steps: int = 10) -> st.SearchStrategy[list[Node]]:
    """Random scalarnet graphs: the list of their nodes, leaves first, root last."""
    return recipes(max_steps).map(build_nodes)
