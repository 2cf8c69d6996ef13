"""Chain-rule derivations of one training step's gradients, read off the engine's node graph.

∂L/∂p is a sum over the paths from the loss down to p through the exercise's *named*
nodes, each path a product of local derivatives ∂child/∂parent. The anonymous op nodes
inside a formula (the ``0.5·(…)²`` of a loss) are folded into the one factor of their
named node: the chain rule through them, summed over their inner paths, once as a number
(from the ops' ``local_grads``) and once as an expression (from ``symbolic_grads``, the
same rules), so ``0.5*(t1 - out_o1)^2`` gives the factor ``out_o1 − t1``.

A batch of n examples has the loss L = (E⁽¹⁾ + … + E⁽ⁿ⁾)/n: every path starts with the
factor ∂L/∂E = 1/n, so the sum over the paths of all examples is the mean of the
per-example gradients, which is what the engine computes.

Big networks have thousands of paths; ``Derivation.paths`` is then None and the sum is
taken in the delta form instead: δ(n) = ∂L/∂n, passed down from the loss node by node.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ..core import infix, ops, symbolic
from ..core.node import Node
from ..core.symbolic import Expr
from ..engines.scalar import BatchGraph, Exercise, StepRecord

MAX_PATHS = 64  # more paths than this are summarised, not listed
TOLERANCE = 1e-12  # the derivation's sum must equal the engine's gradient this closely
T = TypeVar("T")


@dataclass(frozen=True)
class Factor:
    """One local derivative ∂node/∂wrt on a path, as an expression and as a number."""

    node: str
    wrt: str
    symbolic: Expr
    value: float


@dataclass(frozen=True)
class Path:
    example: int  # the example's index in the data
    nodes: tuple[str, ...]  # from the loss down to the parameter
    factors: tuple[Factor, ...]

    @property
    def product(self) -> float:
        return math.prod(f.value for f in self.factors)


@dataclass(frozen=True)
class Hop:
    """The last step of the delta form: δ(child) · ∂child/∂param, in one example."""

    example: int
    delta: float
    factor: Factor

    @property
    def product(self) -> float:
        return self.delta * self.factor.value


@dataclass
class Derivation:
    param: str
    loss: str  # the node the paths start from: the example's loss, or "L" for a batch
    example_loss: str
    step: int | None  # None for a graph built in Python
    examples: list[int]
    gradient: float  # the engine's
    total: float  # the derivation's: the sum over the paths
    n_paths: int
    paths: list[Path] | None  # None when there are more than max_paths
    hops: list[Hop]  # the delta form's last step, per example and named child of the param
    deltas: dict[str, float]  # δ of the net inputs on the paths, summed over the batch

    @property
    def difference(self) -> float:
        return self.total - self.gradient

    @property
    def agrees(self) -> bool:
        # relative for gradients above 1: a sum of terms near 1e108 differs in its 15th digit
        return abs(self.difference) <= TOLERANCE * max(1.0, abs(self.gradient))


def fold(node: Node, partials: Callable[[Node], Sequence[T]], one: T, constants: bool = False
         ) -> list[tuple[Node, T]]:
    """∂node/∂n for each named node or leaf n that ``node``'s formula uses: the chain rule
    through the formula's anonymous nodes, summed over the paths between. ``partials``
    gives an op node's local partials, as numbers or as expressions. Only what takes a
    gradient is followed, unless ``constants``: then the named constants (inputs and targets,
    CS231n's dx) are reached too, through anonymous nodes that hold only constants."""
    def followed(p: Node) -> bool:
        return p.requires_grad or (constants and (p.name is not None or p.op is not None))

    order, seen = [], {id(node)}  # the formula's anonymous nodes, parents before children
    reading: dict[int, int] = {}  # the named nodes in the order the formula mentions them
    stack = [(node, iter(node.parents))]
    while stack:
        current, pending = stack[-1]
        for p in pending:
            if p.name is not None or p.op is None:
                reading.setdefault(id(p), len(reading))
            elif id(p) not in seen and followed(p):
                seen.add(id(p))
                stack.append((p, iter(p.parents)))
                break
        else:
            stack.pop()
            order.append(current)
    adjoint: dict[int, T] = {id(node): one}
    found: dict[int, tuple[Node, T]] = {}
    for current in reversed(order):
        a = adjoint[id(current)]
        for parent, d in zip(current.parents, partials(current)):
            if not followed(parent):
                continue
            if id(parent) in seen:
                adjoint[id(parent)] = adjoint[id(parent)] + a * d if id(parent) in adjoint else a * d
            else:
                _parent, before = found.get(id(parent), (parent, None))
                found[id(parent)] = (parent, a * d if before is None else before + a * d)
    return sorted(found.values(), key=lambda item: reading[id(item[0])])


def numeric_partials(node: Node) -> tuple[float, ...]:
    return node.op.local_grads(node.value, *[p.value for p in node.parents])


class Symbols:
    """Nodes as expressions in the exercise's names (``name_of`` gives a node's name or None),
    and an op node's local partials from the op's own symbolic rule, simplified."""

    def __init__(self, name_of: Callable[[Node], str | None] = lambda n: n.name) -> None:
        self.name_of = name_of
        self.exprs: dict[int, Expr] = {}

    def expr(self, n: Node) -> Expr:
        """``n`` as an expression; a node's parents first, from an explicit stack (a formula
        may chain a thousand operators)."""
        exprs, stack = self.exprs, [n]
        while stack:
            m = stack[-1]
            if id(m) in exprs:
                stack.pop()
                continue
            name = self.name_of(m)
            if name is not None:
                exprs[id(m)] = symbolic.Sym(name)
            elif m.op is None:
                exprs[id(m)] = symbolic.Num(m.value)
            else:
                missing = [p for p in m.parents if id(p) not in exprs]
                if missing:
                    stack += missing
                    continue
                exprs[id(m)] = symbolic.apply(m.op, [exprs[id(p)] for p in m.parents])
            stack.pop()
        return exprs[id(n)]

    def partials(self, n: Node) -> tuple[Expr, ...]:
        return tuple(symbolic.lift(d) for d in n.op.symbolic_grads(self.expr(n), *[self.expr(p) for p in n.parents]))


def formula_of(node: Node, symbols: Symbols) -> Expr:
    """A named node's formula as an expression in the named nodes below it."""
    return symbolic.apply(node.op, [symbols.expr(p) for p in node.parents]) if node.op else symbols.expr(node)


def symbolic_fold(node: Node, constants: bool = False) -> dict[str, Expr]:
    """∂node/∂n as expressions in the exercise's names, for each named n of node's formula
    (``constants``: as in ``fold``)."""
    symbols = Symbols()
    symbols.exprs[id(node)] = symbolic.Sym(node.name)
    return {parent.name: d for parent, d in fold(node, symbols.partials, symbolic.ONE, constants)}


class _Unwritten(dict):
    """The partials of a formula too deeply nested to write out as expressions: each is
    shown by its name, ∂child/∂parent (the number is still computed)."""

    def __init__(self, child: str) -> None:
        super().__init__()
        self.child = child

    def __missing__(self, parent: str) -> Expr:
        return symbolic.Sym(infix.partial(self.child, parent))


class _Example:
    """One example's named nodes, the folded factors between them and every δ."""

    def __init__(self, loss: Node, weight: float, batch_order: list[Node]) -> None:
        self.loss = loss
        self.edges: dict[int, list[tuple[Node, float]]] = {}  # named node -> its named parents
        self.nodes: dict[int, Node] = {}
        stack = [loss]
        while stack:
            node = stack.pop()
            if id(node) in self.edges or node.op is None:
                continue
            self.nodes[id(node)] = node
            self.edges[id(node)] = [(p, v) for p, v in fold(node, numeric_partials, 1.0, constants=True)
                                    if p.name is not None]
            stack += [p for p, _ in self.edges[id(node)]]
        named = set(self.edges) | {id(p) for parents in self.edges.values() for p, _ in parents}
        self.users: dict[int, list[tuple[Node, float]]] = {}  # named node -> the named nodes using it
        for child_id, parents in self.edges.items():
            for p, v in parents:
                self.users.setdefault(id(p), []).append((self.nodes[child_id], v))
        self.order = [n for n in batch_order if id(n) in named]  # parents before children
        self.delta: dict[int, float] = {id(loss): weight}
        for node in reversed(self.order):
            d = self.delta.get(id(node))
            for parent, v in self.edges.get(id(node), ()) if d is not None else ():
                self.delta[id(parent)] = self.delta.get(id(parent), 0.0) + d * v

    @functools.cached_property
    def level(self) -> dict[int, int]:
        """How many named steps each node lies below the loss (the longest way): its layer."""
        level = {id(self.loss): 0}
        for node in reversed(self.order):
            for parent, _ in self.edges.get(id(node), ()):
                level[id(parent)] = max(level.get(id(parent), 0), level.get(id(node), 0) + 1)
        return level

    @functools.cached_property
    def rank(self) -> dict[int, int]:
        """Each named node's place in ``order`` (parents before children)."""
        return {id(n): k for k, n in enumerate(self.order)}

    def path_counts(self, param: Node) -> dict[str, int]:
        """How many paths lead from each named node down to ``param``, by name (nodes with none
        left out). Every example's graph has the same shape, so one example's counts hold for all.
        Only the nodes that use ``param``, found from it upwards, are counted: ``derive --all``
        asks this of every parameter, and a walk over the whole graph each time was quadratic."""
        above, stack = {id(param): param}, [param]
        while stack:
            for child, _ in self.users.get(id(stack.pop()), ()):
                if id(child) not in above:
                    above[id(child)] = child
                    stack.append(child)
        count = {param.name: 1}
        rank = self.rank
        for node in sorted(above.values(), key=lambda n: rank.get(id(n), -1)):  # param first
            n = count[node.name]
            for child, _ in self.users.get(id(node), ()):  # forward: each edge of the stretch once
                count[child.name] = count.get(child.name, 0) + n
        return count

    @functools.cached_property
    def edge_place(self) -> dict[int, dict[str, int]]:
        """Each named node's parents by name → their place in its ``edges``."""
        return {k: {p.name: j for j, (p, _) in enumerate(parents)} for k, parents in self.edges.items()}

    def edges_within(self, node: Node, names: dict[str, int]) -> list[tuple[Node, float]]:
        """``node``'s edges to the parents named in ``names``, in the order of its edges: looked
        up by name where ``node`` has more parents than there are names (the output of a wide
        layer has thousands, and a path to one weight passes through one of them)."""
        parents = self.edges.get(id(node), [])
        if len(parents) <= len(names):
            return [(p, v) for p, v in parents if p.name in names]
        place = self.edge_place[id(node)]
        return [parents[j] for j in sorted(place[name] for name in names if name in place)]


class StepSource(Protocol):
    """What a derivation reads of one step: an exercise's (``ExerciseStep``) or that of a graph
    built in Python (``GraphStep``)."""

    loss_name: str  # the per-example loss node's name
    params: dict[str, Node]  # the parameters, by name
    where: str  # what the step is of, for messages
    target_names: list[str]
    examples: list[int]  # the step's examples, by their index in the data
    step: int | None  # as ``step --json`` numbers steps; None for a graph
    grads: dict[str, float]  # ∂L/∂p as the engine computed it
    node_grads: dict[str, list[float]]  # ∂L/∂node of every named node, per example (inputs included)
    values: dict[str, list[float]]  # every named node's value, per example
    slots: list[dict[str, Node]]  # per example: name -> its node
    order: list[Node]  # the batch graph's nodes in topological order


@dataclass
class ExerciseStep:
    """A training step of an exercise, right after ``run_step(update=False)``."""

    exercise: Exercise
    record: StepRecord
    batch: BatchGraph

    def __post_init__(self) -> None:
        self.loss_name, self.params = self.exercise.loss_name, self.exercise.params
        self.where, self.target_names = self.exercise.spec.path, list(self.exercise.spec.targets)
        self.examples, self.step, self.grads = self.record.examples, self.record.step, self.record.grads
        self.values, self.slots, self.order = self.record.values, self.batch.slots, self.batch.graph.order
        self.node_grads = self.record.node_grads or {}


class GraphStep:
    """A graph built in Python (every node that counts named, ``root.backward()`` done): one
    step of one example whose loss is ``root`` and whose parameters are ``params``."""

    def __init__(self, root: Node, params: dict[str, Node]) -> None:
        from ..core.graph import topological_order

        assert root.name is not None, "the root is named by the caller (explore.derive names it)"
        self.order = topological_order(root)
        self.loss_name, self.params, self.where, self.target_names = root.name, params, "the graph", []
        self.examples, self.step = [0], None
        self.grads = {name: n.grad for name, n in params.items()}
        self.node_grads = {n.name: [n.grad] for n in self.order if n.name is not None}
        self.values = {n.name: [n.value] for n in self.order if n.name is not None}
        self.slots = [{n.name: n for n in self.order if n.name is not None}]


class StepDerivations:
    """The derivations of every parameter's gradient at one step.

    Build it right after ``Exercise.run_step(update=False)``, before any update: the factors'
    numbers are read from the nodes now (``of_step``). Or use ``at(exercise, step)``, or
    ``of_graph`` for a graph built in Python."""

    def __init__(self, source: StepSource) -> None:
        self.source = source
        self.example_loss = source.loss_name
        n = len(source.examples)
        self.loss = self.example_loss if n == 1 else _free_name("L", source.slots[0])
        self.examples = [_Example(slot[self.example_loss], 1.0 / n, source.order) for slot in source.slots]
        self._symbolic: dict[str, dict[str, Expr]] = {}
        # ∂L/∂E = 1/n, written as a fraction
        self.batch_factor = None if n == 1 else Factor(self.loss, self.example_loss,
                                                       symbolic.Power(symbolic.Num(n), symbolic.MINUS_ONE), 1.0 / n)

    @classmethod
    def at(cls, exercise: Exercise, step: int = 1) -> StepDerivations:
        """Train up to ``step`` (counted from 1, as ``step --json`` numbers steps) and derive it."""
        exercise.advance_to(step)
        return cls.of_step(exercise, *exercise.run_step(update=False))

    @classmethod
    def of_step(cls, exercise: Exercise, record: StepRecord, batch: BatchGraph) -> StepDerivations:
        """The step the exercise has just run (``run_step(update=False)``)."""
        return cls(ExerciseStep(exercise, record, batch))

    @classmethod
    def of_graph(cls, root: Node, params: dict[str, Node]) -> StepDerivations:
        """A graph built in Python: see ``GraphStep``."""
        return cls(GraphStep(root, params))

    @property
    def params(self) -> list[str]:
        return list(self.source.params)

    # an exercise's step: its exercise, record and batch graph (a graph built in Python has none)
    @property
    def exercise(self) -> Exercise:
        return self._exercise_step().exercise

    @property
    def record(self) -> StepRecord:
        return self._exercise_step().record

    @property
    def batch(self) -> BatchGraph:
        return self._exercise_step().batch

    def _exercise_step(self) -> ExerciseStep:
        if not isinstance(self.source, ExerciseStep):
            raise TypeError(f"{self.source.where} is not an exercise's step")
        return self.source

    def factor(self, child: Node, parent: Node, value: float) -> Factor:
        if child.name not in self._symbolic:
            try:
                folded = symbolic_fold(child, constants=True)
                self._symbolic[child.name] = {name: self.tidy(e) for name, e in folded.items()}
            except RecursionError:  # a formula nested too deeply to write out: its partials stay named
                self._symbolic[child.name] = _Unwritten(child.name)
        return Factor(child.name, parent.name, self._symbolic[child.name][parent.name], value)

    def tidy(self, e: Expr) -> Expr:
        """A factor as the textbook writes it: a named node's formula by its name (the softmax
        output p for exp(z − logsumexp(z, …))), targets that sum to 1 as 1 (so ∂E/∂z_k of
        softmax with cross-entropy is p_k − y_k), quotients over one denominator."""
        return symbolic.together(symbolic.substitute(e, self._named_formulas, self._one_for_the_targets))

    @functools.cached_property
    def _named_formulas(self) -> dict[Expr, Expr]:
        """Each named node's formula, in the names below it → the node's name."""
        symbols = Symbols()
        table: dict[Expr, Expr] = {}
        for name, node in self.source.slots[0].items():
            if node.op is not None:
                formula = formula_of(node, symbols)
                if not isinstance(formula, (symbolic.Sym, symbolic.Num)):
                    table.setdefault(formula, symbolic.Sym(name))
        return table

    @functools.cached_property
    def _targets_summing_to_one(self) -> frozenset[Expr] | None:
        """The targets as symbols when there are several and they sum to 1 in every example of
        the step (one-hot classes, probabilities); else None."""
        names, values = self.source.target_names, self.source.values
        if len(names) < 2 or any(abs(math.fsum(values[t][k] for t in names) - 1.0) > 1e-12
                                 for k in range(len(self.source.examples))):
            return None
        return frozenset(symbolic.Sym(t) for t in names)

    def _one_for_the_targets(self, e: Expr) -> Expr | None:
        targets = self._targets_summing_to_one
        if targets and isinstance(e, symbolic.Sum) and len(e.terms) == len(targets) and set(e.terms) == targets:
            return symbolic.ONE
        return None

    @property
    def names(self) -> list[str]:
        """Every name a derivation can be of: the parameters, then the other named nodes."""
        return [*self.source.params, *(n for n in self.source.slots[0] if n not in self.source.params)]

    def targets(self, name: str) -> tuple[list[Node], float]:
        """The node called ``name`` in each example (a parameter is one node shared by all; an
        input or any other named node is each example's own) and the engine's ∂L/∂name: for
        a node of each example, the sum over the batch."""
        if name in self.source.params:
            return [self.source.params[name]] * len(self.examples), self.source.grads[name]
        if name not in self.source.slots[0]:
            raise KeyError(f"{name!r} is not a named node of {self.source.where}; the names are "
                           + ", ".join(self.names))
        return [slot[name] for slot in self.source.slots], math.fsum(self.source.node_grads.get(name, [0.0]))

    def derive(self, param: str, max_paths: int = MAX_PATHS) -> Derivation:
        """∂L/∂param, path by path: ``param`` is a parameter or any named node (an input: dx)."""
        nodes, gradient = self.targets(param)
        counts = self.examples[0].path_counts(nodes[0])
        n_paths = counts.get(self.example_loss, 0) * len(self.examples)
        paths = list(self._paths(nodes, counts)) if n_paths <= max_paths else None
        hops = [Hop(e, ex.delta.get(id(child), 0.0), self.factor(child, p, v))
                for e, ex, p in zip(self.source.examples, self.examples, nodes) for child, v in ex.users.get(id(p), ())]
        total = math.fsum(path.product for path in paths) if paths is not None else math.fsum(
            h.product for h in hops)
        return Derivation(param, self.loss, self.example_loss, self.source.step, list(self.source.examples),
                          gradient, total, n_paths, paths, hops, self._net_deltas(nodes[0], counts))

    def derive_all(self, max_paths: int = MAX_PATHS) -> list[Derivation]:
        return [self.derive(name, max_paths) for name in self.params]

    def _paths(self, nodes: list[Node], counts: dict[str, int]):
        """Every path from the loss to the node of each example in ``nodes``, example by example,
        depth first."""
        for e, ex, param in zip(self.source.examples, self.examples, nodes):
            start = [self.batch_factor] if self.batch_factor else []
            stack = [(ex.loss, [ex.loss.name], start)]
            while stack:
                node, names, factors = stack.pop()
                if node is param:
                    yield Path(e, tuple(([self.loss] if start else []) + names), tuple(factors))
                    continue
                for parent, v in reversed(ex.edges_within(node, counts)):
                    stack.append((parent, names + [parent.name], factors + [self.factor(node, parent, v)]))

    def _net_deltas(self, param: Node, counts: dict[str, int]) -> dict[str, float]:
        """δ = ∂L/∂net of each net input (a named sum) on the paths, summed over the batch."""
        first, slot = self.examples[0], self.source.slots[0]
        nets = [slot[name] for name in counts if name in slot and slot[name] is not param
                and slot[name].op in (ops.ADD, ops.SUM)]
        nets.sort(key=lambda n: (first.level[id(n)], first.rank[id(n)]))  # by layer, then as the file has them
        return {n.name: math.fsum(ex.delta.get(id(slot[n.name]), 0.0) for ex, slot in
                                  zip(self.examples, self.source.slots)) for n in nets}


@dataclass(frozen=True)
class DeltaLine:
    """δ of one net input (or, last, the gradient itself) in one example: an expression in the
    δ of the nets above it and the exercise's names, and its number."""

    example: int
    name: str  # the net input, or the parameter for the last line
    symbol: str  # δ_o1, or ∂E/∂w5
    expr: Expr
    value: float
    terms: tuple[tuple[Expr, Expr], ...] = ()  # (∂L/∂child in δ of the nets above, ∂child/∂name) per child


@dataclass
class DeltaForm:
    """The gradient as the tutorials write it: δ = ∂L/∂net per neuron, from the loss down,
    each from the δ of the layer above; then ∂L/∂w = δ·(the input the weight multiplies)."""

    param: str
    loss: str
    step: int
    examples: list[int]
    gradient: float  # the engine's
    lines: list[DeltaLine]  # the deltas, example by example, from the loss down; each example's last
    # line is its share of the gradient

    @property
    def total(self) -> float:
        return math.fsum(line.value for line in self.lines if line.name == self.param)

    @property
    def agrees(self) -> bool:
        return abs(self.total - self.gradient) <= TOLERANCE


def delta_symbol(net: str) -> str:
    """δ_o1 for net_o1 or in_o1 (the unit's name after the underscore), δ_z2[0] for z2[0]."""
    return "δ_" + (net.split("_", 1)[1] if "_" in net.strip("_") else net)


def delta_form(steps: StepDerivations, param: str) -> DeltaForm:
    """The delta form of ``param``'s gradient at the step of ``steps``, with the engine's numbers."""
    nodes, gradient = steps.targets(param)
    counts = steps.examples[0].path_counts(nodes[0])
    lines = []
    for e, ex, p in zip(steps.source.examples, steps.examples, nodes):
        nets = [n for n in ex.order if n.name in counts and n is not p and n is not ex.loss
                and n.op in (ops.ADD, ops.SUM)]
        position = {id(n): k for k, n in enumerate(ex.order)}
        nets.sort(key=lambda n: ex.level[id(n)])
        symbols = {id(n): delta_symbol(n.name) for n in nets}
        if len(set(symbols.values())) < len(symbols):  # two units with one name after the underscore
            symbols = {id(n): f"δ_{n.name}" for n in nets}

        def above(node: Node, symbols: dict = symbols, ex: _Example = ex) -> Expr:
            """∂L/∂node in the δ of the nets above it."""
            if id(node) in symbols:
                return symbolic.Sym(symbols[id(node)])
            if node is ex.loss:  # ∂L/∂E: 1, or 1/n for the mean over a batch of n
                n = len(steps.examples)
                return symbolic.ONE if n == 1 else symbolic.Power(symbolic.Num(n), symbolic.MINUS_ONE)
            return _sum(_terms(node, symbols, ex))

        def _terms(node: Node, symbols: dict, ex: _Example, position: dict = position) -> list[tuple[Expr, Expr]]:
            users = sorted(ex.users.get(id(node), ()), key=lambda u: position[id(u[0])])
            return [(above(child, symbols, ex), steps.factor(child, node, v).symbolic) for child, v in users]

        for n in nets:
            terms = _terms(n, symbols, ex)
            lines.append(DeltaLine(e, n.name, symbols[id(n)], _sum(terms), ex.delta[id(n)], tuple(terms)))
        terms = _terms(p, symbols, ex)
        lines.append(DeltaLine(e, param, f"∂{steps.loss}/∂{param}", _sum(terms), ex.delta.get(id(p), 0.0),
                               tuple(terms)))
    return DeltaForm(param, steps.loss, steps.source.step, list(steps.source.examples), gradient, lines)


def _sum(terms: list[tuple[Expr, Expr]]) -> Expr:
    total: Expr = symbolic.ZERO
    for above, factor in terms:
        total = total + above * factor
    return total


def _free_name(name: str, taken: dict) -> str:
    return name if name not in taken else f"{name}_batch"
