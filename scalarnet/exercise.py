"""An exercise: its examples, the node graph of a batch, and training step by step.

Step K is the K-th batch of the sequence "examples in data order, in batches of
``batch``, epoch after epoch" (the last batch of an epoch may be smaller). A step records
its forward values and gradients *before* its update, then applies the update.

The node graph of a batch is built once per batch size and reused: each step writes the
batch's inputs and targets into the constant leaves, re-evaluates and back-propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import formula, nn
from .graph import Graph
from .node import Node, NumericError
from .spec import ExerciseSpec, load


class ExerciseError(ArithmeticError):
    """Training hit a non-finite value; the message names the step, the example and the node."""


@dataclass
class StepRecord:
    """What one training step computed, in the exercise's own names."""

    step: int
    epoch: int
    examples: list[int]
    loss: float  # the batch loss, before the update
    values: dict[str, list[float]]  # every named node, one value per example of the batch
    grads: dict[str, float]  # d(batch loss)/d(param), for every param
    params: dict[str, float]  # every param after the update
    learning_rate: float
    loss_name: str = "E"
    trainable: list[str] = field(default_factory=list)

    def params_before(self) -> dict[str, float]:
        return {name: self.values[name][0] for name in self.grads}

    def to_json(self) -> dict:
        single = len(self.examples) == 1
        return {
            "step": self.step,
            "examples": list(self.examples),
            "loss": self.loss,
            "values": {k: (v[0] if single else list(v)) for k, v in self.values.items()},
            "grads": dict(self.grads),
            "params": dict(self.params),
        }


@dataclass
class TrainResult:
    epoch_losses: list[float] = field(default_factory=list)
    params: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "epochs": [{"epoch": k, "loss": loss} for k, loss in enumerate(self.epoch_losses, start=1)],
            "params": dict(self.params),
        }


class BatchGraph:
    """The node graph of one batch: a copy of the example graph per slot, sharing the
    parameter leaves, and the batch loss (the mean of the examples' losses)."""

    def __init__(self, slots: list[dict[str, Node]], data_leaves: list[dict[str, Node]], loss: Node) -> None:
        self.slots = slots  # per example: name -> node, every named node
        self.data_leaves = data_leaves  # per example: input/target name -> its constant leaf
        self.loss = loss
        self.graph = Graph(loss)


class Exercise:
    """A loaded exercise with its parameters as live leaf nodes."""

    def __init__(self, spec: ExerciseSpec, learning_rate: float | None = None) -> None:
        self.spec = spec
        self.learning_rate = spec.train.learning_rate if learning_rate is None else learning_rate
        if spec.network is not None:
            weights, biases = spec.network.matrices()
            self.mlp: nn.MLP | None = nn.MLP(weights, biases, spec.network.hidden, spec.network.output,
                                             spec.network.names)
            self.params = {p.name: p for p in self.mlp.parameters()}
        else:
            self.mlp = None
            self.params = {name: Node(value, name=name) for name, value in spec.params.items()}
        trainable = spec.train.trainable if spec.train.trainable is not None else list(self.params)
        self.optimizer = nn.SGD([self.params[n] for n in trainable], self.learning_rate, spec.train.momentum)
        self.batch_size = spec.train.batch or spec.n_examples
        self.steps_done = 0
        self._graphs: dict[int, BatchGraph] = {}

    @classmethod
    def load(cls, path: str | Path, learning_rate: float | None = None) -> Exercise:
        return cls(load(path), learning_rate)

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def loss_name(self) -> str:
        return self.spec.loss_name

    # -- data order --------------------------------------------------------------------
    def epoch_batches(self) -> list[list[int]]:
        n, b = self.spec.n_examples, self.batch_size
        return [list(range(start, min(start + b, n))) for start in range(0, n, b)]

    def batch_of_step(self, step: int) -> tuple[int, list[int]]:
        """(epoch, example indices) of step ``step`` (counted from 1)."""
        batches = self.epoch_batches()
        return (step - 1) // len(batches) + 1, batches[(step - 1) % len(batches)]

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
                    units = spec.network.units
                    named[z.name or (f"net_{units[layer - 1][j]}" if units else f"z{layer}[{j}]")] = z
                    named[f"out_{units[layer - 1][j]}" if units else f"a{layer}[{j}]"] = a
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
            slots = [named for named, _ in built]
            loss = nn.mean([named[self.loss_name] for named in slots], name="batch loss")
            cached = self._graphs[len(examples)] = BatchGraph(slots, [leaves for _, leaves in built], loss)
            return cached
        spec = self.spec
        for leaves, e in zip(cached.data_leaves, examples):
            for table in (spec.inputs, spec.targets):
                for name, values in table.items():
                    leaves[name].value = values[e]
        self._guarded(cached.graph.forward, examples)
        return cached

    def _guarded(self, work: Callable, examples: list[int], example: int | None = None):
        try:
            return work()
        except NumericError as err:
            epoch, _ = self.batch_of_step(self.steps_done + 1)
            which = f"example {example}" if example is not None else f"examples {examples}"
            raise ExerciseError(f"{self.spec.path}: step {self.steps_done + 1} (epoch {epoch}, {which}): {err}. "
                                "Try a smaller learning rate or check the formulas and data.") from None

    # -- training ----------------------------------------------------------------------
    def forward_backward(self, examples: list[int]) -> BatchGraph:
        """Forward and backward for one batch at the current parameters; nothing is updated."""
        batch = self.batch_graph(examples)
        for p in self.params.values():
            p.grad = 0.0
        self._guarded(batch.graph.backward, examples)
        return batch

    def step(self) -> StepRecord:
        """Run the next training step and return what it computed."""
        return self.run_step()[0]

    def run_step(self, update: bool = True) -> tuple[StepRecord, BatchGraph]:
        """The next step's record and its batch graph (the nodes hold this step's forward
        values and gradients). With ``update=False`` the parameters are left as they were
        and the step is not counted: ``record.params`` then shows what the update would give."""
        epoch, examples = self.batch_of_step(self.steps_done + 1)
        batch = self.forward_backward(examples)
        names = list(batch.slots[0])
        record = StepRecord(
            step=self.steps_done + 1,
            epoch=epoch,
            examples=examples,
            loss=batch.loss.value,
            values={name: [slot[name].value for slot in batch.slots] for name in names},
            grads={name: p.grad for name, p in self.params.items()},
            params={},
            learning_rate=self.learning_rate,
            loss_name=self.loss_name,
            trainable=[p.name for p in self.optimizer.params],
        )
        if update:
            self._update()
            record.params = {name: p.value for name, p in self.params.items()}
        else:
            after = self.optimizer.preview()
            record.params = {name: after.get(name, p.value) for name, p in self.params.items()}
        return record, batch

    def advance_to(self, step: int) -> None:
        """Apply updates until the next step to run is ``step`` (counted from 1)."""
        if step < self.steps_done + 1:
            raise ValueError(f"step {step} has already run; load the exercise again to go back")
        while self.steps_done + 1 < step:
            _, examples = self.batch_of_step(self.steps_done + 1)
            self.forward_backward(examples)
            self._update()

    def role(self, name: str) -> str:
        """What a named node is: param, input, target, loss or node (an intermediate)."""
        if name in self.params:
            return "param"
        if name in self.spec.inputs:
            return "input"
        if name in self.spec.targets:
            return "target"
        if name == self.loss_name:
            return "loss"
        return "node"

    def steps(self, n: int) -> Iterator[StepRecord]:
        for _ in range(n):
            yield self.step()

    def train(self, epochs: int, on_epoch: Callable[[int, float], None] | None = None) -> TrainResult:
        """Train ``epochs`` epochs; an epoch's loss is the mean of its batch losses, each taken
        before its update."""
        result = TrainResult()
        batches = self.epoch_batches()
        for epoch in range(1, epochs + 1):
            total = 0.0
            for examples in batches:
                total += self.forward_backward(examples).loss.value
                self._update()
            result.epoch_losses.append(total / len(batches))
            if on_epoch is not None:
                on_epoch(epoch, result.epoch_losses[-1])
        result.params = {name: p.value for name, p in self.params.items()}
        return result

    def _update(self) -> None:
        self.optimizer.step()
        self.steps_done += 1
        for name, p in self.params.items():
            if p.value - p.value != 0.0:
                raise ExerciseError(f"{self.spec.path}: step {self.steps_done}: the update made {name} = "
                                    f"{p.value!r}; try a smaller learning rate")
