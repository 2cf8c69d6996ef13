"""Compiled mode: the node graph of one example, traced once into a flat tape and replayed
over numpy arrays for all the examples of a batch at once.

Every example of an exercise has the same graph; only the data leaves differ. So the
nodes below one example's loss are numbered (row k of a values array ``V`` is node k, one
column per example of the batch) and cut into *levels*: a node's level is one more than
its parents' highest, so the nodes of one level never depend on each other. The nodes of
one op in one level run as one numpy call over their rows, gathering the parents' rows by
index; backward runs the levels in reverse and scatters each node's gradient times its
local partial onto its parents' rows. The numbers are the node engine's to rounding (a
sum adds its terms in order, where the node engine's ``math.fsum`` rounds once).

The rules are the ops' own: ``local_grads`` of the elementwise ops is plain arithmetic and
runs on arrays as it is; only the forwards that call ``math`` (and ReLU's and Pow's
branches) have numpy twins (sigmoid and ReLU shared with the matrix engine).
``CompiledExercise`` trains with the tape; stepping, step tables, diagrams and derivations
still come from the node graph, and a batch whose numbers leave the real line is run again
node by node, so errors name the node as there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..core import ops
from ..core.graph import topological_order
from ..core.node import Node
from ..spec import ExerciseSpec
from .matrix import relu, sigmoid
from .scalar import Exercise


def _relu_grads(out: np.ndarray, a: np.ndarray) -> tuple[np.ndarray]:
    return ((a > 0.0).astype(np.float64),)  # ReLU'(0) = 0


def _pow_grads(out: np.ndarray, base: np.ndarray, exponent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # ops.Pow.local_grads, branch by branch; x² (the squared error) first, since it is most of them
    if np.all(exponent == 2.0):
        d_base = 2.0 * base
    else:
        d_base = np.select([exponent == 0.0, exponent == 1.0, exponent == 2.0], [0.0, 1.0, 2.0 * base],
                           exponent * np.power(base, exponent - 1.0))
    d_exponent = np.where(base > 0.0, out * np.log(base), 0.0)
    return d_base, d_exponent


# op -> (forward, local_grads) on arrays; the ops' own methods where they are plain arithmetic
ELEMENTWISE: dict[ops.Op, tuple[Callable, Callable]] = {
    ops.ADD: (np.add, ops.ADD.local_grads),
    ops.SUB: (np.subtract, ops.SUB.local_grads),
    ops.NEG: (np.negative, ops.NEG.local_grads),
    ops.MUL: (np.multiply, ops.MUL.local_grads),
    ops.DIV: (np.divide, ops.DIV.local_grads),
    ops.POW: (np.power, _pow_grads),
    ops.EXP: (np.exp, ops.EXP.local_grads),
    ops.LOG: (np.log, ops.LOG.local_grads),
    ops.SIGMOID: (sigmoid, ops.SIGMOID.local_grads),
    ops.TANH: (np.tanh, ops.TANH.local_grads),
    ops.RELU: (relu, _relu_grads),
}


class Scatter:
    """Adds rows of values into rows ``index`` of an array; an index that appears more than
    once (a node feeding several nodes of one level) gets the sum of its rows.
    (``take`` gathers rows several times faster than fancy indexing.)"""

    def __init__(self, index: np.ndarray) -> None:
        self.index = index
        self.unique = len(np.unique(index)) == len(index)
        if not self.unique:
            self.sort = np.argsort(index, kind="stable")
            self.targets, self.starts = np.unique(index[self.sort], return_index=True)

    def add(self, G: np.ndarray, rows: np.ndarray) -> None:
        if self.unique:
            G[self.index] = G.take(self.index, axis=0) + rows
        else:
            sums = np.add.reduceat(rows.take(self.sort, axis=0), self.starts, axis=0)
            G[self.targets] = G.take(self.targets, axis=0) + sums


def scatter_to(index: np.ndarray, requires_grad: np.ndarray) -> Scatter | None:
    """A scatter onto rows ``index``, or None when none of them needs a gradient."""
    return Scatter(index) if requires_grad[index].any() else None


class Elementwise:
    """The nodes of one unary or binary op in one level (rows ``out``): one numpy call each way."""

    def __init__(self, op: ops.Op, out: slice, parents: list[tuple[int, ...]], requires_grad: np.ndarray) -> None:
        self.forward_fn, self.grads_fn = ELEMENTWISE[op]
        self.out = out
        self.parents = [np.array(column) for column in zip(*parents)]
        self.scatters = [scatter_to(p, requires_grad) for p in self.parents]

    def forward(self, V: np.ndarray) -> None:
        # keep the gathered inputs: backward needs them, and V does not change in between
        self.inputs = [V.take(p, axis=0) for p in self.parents]
        V[self.out] = self.forward_fn(*self.inputs)

    def backward(self, V: np.ndarray, G: np.ndarray) -> None:
        g = G[self.out]
        partials = self.grads_fn(V[self.out], *self.inputs)
        for scatter, d in zip(self.scatters, partials):
            if scatter is not None:
                scatter.add(G, g * d)


class Sums:
    """The n-ary sum nodes of one level (a layer's net inputs): one reduceat forward; each
    parent gets the node's gradient unchanged (every partial of a sum is 1)."""

    def __init__(self, out: slice, parents: list[tuple[int, ...]], requires_grad: np.ndarray) -> None:
        self.out = out
        counts = [len(p) for p in parents]
        self.flat = np.array([i for p in parents for i in p])
        self.starts = np.cumsum([0] + counts[:-1])
        owner = np.repeat(np.arange(len(parents)), counts)  # the node each flat parent belongs to
        needed = requires_grad[self.flat]
        self.owner, self.scatter = owner[needed], Scatter(self.flat[needed])

    def forward(self, V: np.ndarray) -> None:
        V[self.out] = np.add.reduceat(V.take(self.flat, axis=0), self.starts, axis=0)

    def backward(self, V: np.ndarray, G: np.ndarray) -> None:
        self.scatter.add(G, G[self.out].take(self.owner, axis=0))


class LogSumExps:
    """log Σ exp over each node's parents (a softmax's normaliser), node by node."""

    def __init__(self, out: slice, parents: list[tuple[int, ...]], requires_grad: np.ndarray) -> None:
        self.nodes = [(k, np.array(p), Scatter(np.array(p))) for k, p in zip(range(out.start, out.stop), parents)]

    def forward(self, V: np.ndarray) -> None:
        for k, p, _node in self.nodes:
            x = V.take(p, axis=0)
            m = x.max(axis=0)
            V[k] = m + np.log(np.exp(x - m).sum(axis=0))

    def backward(self, V: np.ndarray, G: np.ndarray) -> None:
        for k, p, scatter in self.nodes:
            scatter.add(G, G[k] * np.exp(V.take(p, axis=0) - V[k]))  # ∂/∂xᵢ = softmax = exp(xᵢ − out)


def make_level(op: ops.Op, out: slice, parents: list[tuple[int, ...]],
               requires_grad: np.ndarray) -> Elementwise | Sums | LogSumExps:
    if op is ops.SUM:
        return Sums(out, parents, requires_grad)
    if op is ops.LOGSUMEXP:
        return LogSumExps(out, parents, requires_grad)
    return Elementwise(op, out, parents, requires_grad)


class Tape:
    """One example's graph below ``loss`` as numbered rows and levels of numpy calls.

    ``params`` are the leaves shared by every example (one value for all columns),
    ``data`` the leaves that hold the example's inputs and targets (name -> leaf).
    Rows: the params first, then the data leaves, the other leaves (constants), and the
    nodes of each level and op together, so a level writes one block of rows."""

    def __init__(self, loss: Node, params: list[Node], data: dict[str, Node]) -> None:
        order = topological_order(loss)
        level: dict[Node, int] = {}
        groups: dict[tuple[int, ops.Op], list[Node]] = {}
        for node in order:
            if node.op is None:
                level[node] = 0
            else:
                level[node] = 1 + max(level[p] for p in node.parents)
                groups.setdefault((level[node], node.op), []).append(node)
        in_graph = set(order)
        self.params = [p for p in params if p in in_graph]  # a param the loss does not use gets no row
        self.data_names = [name for name, leaf in data.items() if leaf in in_graph]
        known = {*self.params, *(data[name] for name in self.data_names)}
        leaves = self.params + [data[name] for name in self.data_names]
        leaves += [n for n in order if n.op is None and n not in known]
        ordered = sorted(groups.items(), key=lambda item: item[0][0])  # by level; stable within one
        rows = leaves + [node for _, nodes in ordered for node in nodes]
        row = {node: k for k, node in enumerate(rows)}
        self.size, self.root = len(rows), row[loss]
        self.constants = np.array([node.value for node in rows])
        self.requires_grad = np.array([node.requires_grad for node in rows])
        self.levels: list[Elementwise | Sums | LogSumExps] = []
        start = len(leaves)
        for (_key, op), nodes in ordered:
            out = slice(start, start + len(nodes))
            start = out.stop
            parents = [tuple(row[p] for p in node.parents) for node in nodes]
            self.levels.append(make_level(op, out, parents, self.requires_grad))
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # batch size -> (V, G)
        self.values: np.ndarray | None = None  # V of the latest run

    def run(self, data: np.ndarray, param_values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Forward and backward of one batch: ``data`` holds the data leaves' values (a row per
        name of ``data_names``, a column per example), ``param_values`` those of ``params``.
        Returns (each example's loss, the gradient of the batch loss — their mean — for each
        param), or None if some number is not finite. Also leaves the values of every row
        in ``self.values`` (until the next run)."""
        batch = data.shape[1]
        if batch not in self._buffers:  # the constants' rows are written once; every other row each run
            self._buffers[batch] = np.repeat(self.constants[:, None], batch, axis=1), np.empty((self.size, batch))
        V, G = self._buffers[batch]
        self.values = V
        n_params = len(self.params)
        V[:n_params] = param_values[:, None]
        V[n_params:n_params + len(data)] = data
        G.fill(0.0)
        with np.errstate(all="ignore"):
            for level in self.levels:
                level.forward(V)
            if not np.isfinite(V).all():
                return None
            G[self.root] = 1.0 / batch  # ∂ mean / ∂ each example's loss
            for level in reversed(self.levels):
                level.backward(V, G)
        if not np.isfinite(G[self.requires_grad]).all():
            return None
        return V[self.root].copy(), G[:n_params].sum(axis=1)


class CompiledExercise(Exercise):
    """The scalar engine, training with a tape: ``train`` and ``advance_to`` replay the
    tape over whole batches, while ``run_step`` (step tables, diagrams, derivations) still
    builds and walks the node graph. Same numbers as ``Exercise`` to rounding (1e-12)."""

    name = "compiled"

    def __init__(self, spec: ExerciseSpec, learning_rate: float | None = None) -> None:
        super().__init__(spec, learning_rate)
        named, leaves = self._guarded(lambda: self.example_nodes(0), [0], 0)  # a bad example 0: the usual message
        self.tape = Tape(named[self.loss_name], list(self.params.values()), leaves)
        self.unused = [p for p in self.params.values() if p not in self.tape.params]  # their gradient is 0
        columns = {**self.spec.inputs, **self.spec.targets}
        self.data = np.array([columns[name] for name in self.tape.data_names], dtype=np.float64)
        self.data = self.data.reshape(len(self.tape.data_names), self.spec.n_examples)

    def _train_batch(self, examples: list[int]) -> float:
        params = self.tape.params
        result = self.tape.run(self.data[:, examples], np.array([p.value for p in params]))
        if result is None:  # run it node by node: the same error, naming the node
            return super()._train_batch(examples)
        losses, grads = result
        for p, g in zip(params, grads.tolist()):
            p.grad = g
        for p in self.unused:
            p.grad = 0.0
        self._update()
        return math.fsum(losses.tolist()) / len(examples)
