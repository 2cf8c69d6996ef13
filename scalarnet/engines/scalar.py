"""An exercise: its examples, the node graph of a batch, and training step by step.

Step K is the K-th batch of the sequence "examples in data order, in batches of
``batch``, epoch after epoch" (the last batch of an epoch may be smaller). A step records
its forward values and gradients *before* its update, then applies the update.

The node graph of a batch is built once per batch size and reused: each step writes the
batch's inputs and targets into the constant leaves, re-evaluates and back-propagates.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..core import nn
from ..core.graph import Graph, all_gradients, topological_order
from ..core.node import Node, NumericError, evaluate
from ..i18n import _
from ..spec import ExerciseSpec, check_scalar_size, formula, load
from .record import Engine, ExerciseError, StepRecord, TrainResult, diverged

__all__ = ["BatchGraph", "Exercise", "ExerciseError", "StepRecord", "TrainResult"]


class BatchGraph:
    """The node graph of one batch: a copy of the example graph per slot, sharing the
    parameter leaves, and the batch loss (the mean of the examples' losses)."""

    def __init__(self, slots: list[dict[str, Node]], data_leaves: list[dict[str, Node]], loss: Node) -> None:
        self.slots = slots  # per example: name -> node, every named node
        self.data_leaves = data_leaves  # per example: input/target name -> its constant leaf
        self.loss = loss
        self.graph = Graph(loss)
        # Named nodes the loss does not depend on (the softmax outputs, when the loss is the
        # cross-entropy of the logits) are shown too: re-evaluate them after the loss's graph.
        reached = {id(n) for n in self.graph.order}
        stray = [n for slot in slots for n in slot.values() if id(n) not in reached]
        self.stray = [n for n in topological_order(*stray) if n.op is not None and id(n) not in reached]

    def forward(self) -> float:
        """Recompute every node from the leaves' current values; returns the batch loss."""
        loss = self.graph.forward()
        for node in self.stray:
            node.value = evaluate(node.op, node.parents, node.name)
        return loss


class Exercise(Engine):
    """A loaded exercise with its parameters as live leaf nodes: the scalar engine."""

    name = "scalar"

    def __init__(self, spec: ExerciseSpec, learning_rate: float | None = None) -> None:
        check_scalar_size(spec)  # before building anything: a graph too big is refused at once
        super().__init__(spec, learning_rate)
        if spec.network is not None:
            weights, biases = spec.network.matrices()
            self.mlp: nn.MLP | None = nn.MLP(weights, biases, spec.network.hidden, spec.network.output,
                                             spec.network.names)
            self.params = {p.name: p for p in self.mlp.parameters()}
        else:
            self.mlp = None
            self.params = {name: Node(value, name=name) for name, value in spec.params.items()}
        self.optimizer = nn.SGD([self.params[n] for n in self.trainable], self.learning_rate, spec.train.momentum)
        self._graphs: dict[int, BatchGraph] = {}

    @classmethod
    def load(cls, path: str | Path, learning_rate: float | None = None) -> Exercise:
        """An exercise file, or a bundled exercise by name (``Exercise.load("mazur-2-2-2")``)."""
        from ..spec.bundled import resolve

        return cls(load(resolve(path)), learning_rate)

    # -- graphs --------------------------------------------------------------------------
    def example_nodes(self, example: int) -> tuple[dict[str, Node], dict[str, Node]]:
        """A fresh node graph of one example: (every named node, the input/target leaves)."""
        spec = self.spec
        leaves = {name: Node.constant(values[example], name=name)
                  for table in (spec.inputs, spec.targets) for name, values in table.items()}
        named: dict[str, Node] = dict(leaves)
        named.update(self.params)
        if self.mlp is not None:
            assert spec.network is not None
            traces = self.mlp.trace([leaves[k] for k in spec.inputs], spec.network.units)
            for layer, trace in enumerate(traces, start=1):
                for j, (z, a) in enumerate(zip(trace.nets, trace.outs)):
                    net_name, out_name = nn.unit_node_names(layer, j, spec.network.units)
                    named[net_name], named[out_name] = z, a  # a is z itself for a linear unit
            named[spec.loss_name] = nn.loss_of(spec.network.loss, traces, [leaves[k] for k in spec.targets],
                                               name=spec.loss_name)
        else:
            assert spec.graph is not None
            for name, tree in spec.graph.items():
                named[name] = formula.build(tree, named, name)
        return named, leaves

    def batch_graph(self, examples: list[int]) -> BatchGraph:
        """The graph for this batch, its data leaves holding these examples' values."""
        cached = self._graphs.get(len(examples))
        if cached is None:
            built = [self._guarded(lambda e=e: self.example_nodes(e), examples, e) for e in examples]
            slots = [named for named, _leaves in built]
            loss = nn.mean([named[self.loss_name] for named in slots], name="batch loss")
            cached = self._graphs[len(examples)] = BatchGraph(slots, [leaves for _slot, leaves in built], loss)
            return cached
        spec = self.spec
        for leaves, e in zip(cached.data_leaves, examples):
            for table in (spec.inputs, spec.targets):
                for name, values in table.items():
                    leaves[name].value = values[e]
        self._guarded(cached.forward, examples)
        return cached

    def _guarded(self, work: Callable, examples: list[int], example: int | None = None):
        try:
            return work()
        except NumericError as err:
            raise self._step_error(examples if example is None else [example], str(err),
                                   _("Try a smaller learning rate or check the formulas and data.")) from None

    # -- training ----------------------------------------------------------------------
    def forward_backward(self, examples: list[int]) -> BatchGraph:
        """Forward and backward for one batch at the current parameters; nothing is updated."""
        batch = self.batch_graph(examples)
        for p in self.params.values():
            p.grad = 0.0
        self._guarded(batch.graph.backward, examples)
        return batch

    def run_step(self, update: bool = True) -> tuple[StepRecord, BatchGraph]:
        """The next step's record and its batch graph (the nodes hold this step's forward
        values and gradients). With ``update=False`` the parameters are left as they were
        and the step is not counted: ``record.params`` then shows what the update would give."""
        _epoch, examples = self.batch_of_step(self.steps_done + 1)
        batch = self.forward_backward(examples)
        record = self._record(examples, batch.loss.value,
                              {name: [slot[name].value for slot in batch.slots] for name in batch.slots[0]},
                              {name: p.grad for name, p in self.params.items()})
        adjoint = all_gradients(batch.loss, batch.graph.order)
        record.node_grads = {name: [adjoint.get(id(slot[name]), 0.0) for slot in batch.slots]
                             for name in batch.slots[0]}
        if update:
            self._update()
            record.params = {name: p.value for name, p in self.params.items()}
        else:
            after = self.optimizer.preview()
            record.params = {name: after.get(name, p.value) for name, p in self.params.items()}
        return record, batch

    def _train_batch(self, examples: list[int]) -> float:
        loss = self.forward_backward(examples).loss.value
        self._update()
        return loss

    def param_values(self) -> dict[str, float]:
        return {name: p.value for name, p in self.params.items()}

    def load_params(self, values: dict[str, float]) -> None:
        """Set parameters by name (for instance from the matrix engine's ``param_values()``)."""
        for name, value in values.items():
            self.params[name].value = float(value)

    def _update(self) -> None:
        self.optimizer.step()
        self.steps_done += 1
        for name, p in self.params.items():
            if p.value - p.value != 0.0:
                epoch, _examples = self.batch_of_step(self.steps_done)
                raise ExerciseError(f"{self.spec.path}: " + _("step {step}: the update made {name} = {value}: "
                                                              "{why}").format(
                    step=self.steps_done, name=name, value=repr(p.value), why=diverged(epoch)))
