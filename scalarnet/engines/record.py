"""What every engine shares: the order of the data, stepping, the training loop, and the
records they produce. The scalar engine (``Exercise``) and the matrix engine
(``MatrixExercise``) differ only in how one batch is computed, so every view, comparison
and check works with both.

Step K is the K-th batch of the sequence "examples in data order, in batches of
``batch``, epoch after epoch" (the last batch of an epoch may be smaller). A step records
its forward values and gradients *before* its update, then applies the update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.collector import fast_gc
from ..i18n import _
from ..spec import ExerciseSpec


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
    # ∂(batch loss)/∂node for every named node, inputs and targets included, one per example
    # (the scalar engine fills it)
    node_grads: dict[str, list[float]] = field(default_factory=dict)

    def params_before(self) -> dict[str, float]:
        return {name: self.values[name][0] for name in self.grads}

    def example_values(self, table: dict[str, list[float]] | None = None) -> dict[str, float | list[float]]:
        """Every named value (or the entries of ``table``, per example like ``values``): one
        number per name for a single example, a list over the batch otherwise."""
        single = len(self.examples) == 1
        return {name: (v[0] if single else list(v)) for name, v in (self.values if table is None else table).items()}

    def to_json(self) -> dict:
        return {
            "step": self.step,
            "examples": list(self.examples),
            "loss": self.loss,
            "values": self.example_values(),
            "grads": dict(self.grads),
            "params": dict(self.params),
            **({"node_grads": self.example_values(self.node_grads)} if self.node_grads else {}),
        }


@dataclass
class TrainResult:
    epoch_losses: list[float] = field(default_factory=list)
    params: dict[str, float] = field(default_factory=dict)
    # after training, on the training and the held-out examples: {"train": {"loss": ..,
    # "accuracy" or "mse": ..}, "test": {...}} (filled by the caller that knows the data)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "epochs": [{"epoch": k, "loss": loss} for k, loss in enumerate(self.epoch_losses, start=1)],
            "params": dict(self.params),
        }
        if self.metrics:
            out["metrics"] = self.metrics
        return out


def diverged(epoch: int) -> str:
    """The message of a loss that left the real numbers during training."""
    return _("the loss diverged at epoch {epoch} (it grew beyond the largest float); "
             "try a smaller learning rate (--lr)").format(epoch=epoch)


def which_examples(examples: list[int]) -> str:
    """'example 3', or 'examples 0–9' for a batch."""
    if len(examples) == 1:
        return _("example {n}").format(n=examples[0])
    return _("examples {first}–{last}").format(first=examples[0], last=examples[-1])


def epoch_batches(n_examples: int, batch_size: int) -> list[list[int]]:
    """The example indices of each batch of an epoch, in data order."""
    return [list(range(start, min(start + batch_size, n_examples))) for start in range(0, n_examples, batch_size)]


class Engine:
    """The stepping and training shared by the engines. A subclass provides
    ``run_step(update)`` (one step's record, and what the engine computed on the way)
    and ``_train_batch(examples)`` (forward, backward and update of one batch; returns
    the batch loss), and keeps ``steps_done`` counting the updates it has applied."""

    name = "engine"

    def __init__(self, spec: ExerciseSpec, learning_rate: float | None = None) -> None:
        self.spec = spec
        self.learning_rate = spec.train.learning_rate if learning_rate is None else learning_rate
        # each name once (the file reader refuses a repeat; a spec built in code may have one):
        # a parameter listed twice must not be updated twice per step
        trainable = spec.train.trainable if spec.train.trainable is not None else spec.params
        self.trainable = list(dict.fromkeys(trainable))
        self.batch_size = spec.train.batch or spec.n_examples
        self.steps_done = 0

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def loss_name(self) -> str:
        return self.spec.loss_name

    # -- data order --------------------------------------------------------------------
    def epoch_batches(self) -> list[list[int]]:
        return epoch_batches(self.spec.n_examples, self.batch_size)

    def batch_of_step(self, step: int) -> tuple[int, list[int]]:
        """(epoch, example indices) of step ``step`` (counted from 1)."""
        batches = self.epoch_batches()
        return (step - 1) // len(batches) + 1, batches[(step - 1) % len(batches)]

    def role(self, name: str) -> str:
        """What a named node is: param, input, target, loss or node (an intermediate)."""
        if name in self.spec.params:
            return "param"
        if name in self.spec.inputs:
            return "input"
        if name in self.spec.targets:
            return "target"
        if name == self.loss_name:
            return "loss"
        return "node"

    # -- stepping ------------------------------------------------------------------------
    def run_step(self, update: bool = True) -> tuple[StepRecord, Any]:
        raise NotImplementedError

    def _train_batch(self, examples: list[int]) -> float:
        raise NotImplementedError

    def step(self) -> StepRecord:
        """Run the next training step and return what it computed."""
        return self.run_step()[0]

    def steps(self, n: int) -> Iterator[StepRecord]:
        for _i in range(n):
            yield self.step()

    def advance_to(self, step: int) -> None:
        """Apply updates until the next step to run is ``step`` (counted from 1)."""
        if step < self.steps_done + 1:
            raise ValueError(_("step {step} has already run; load the exercise again to go back").format(step=step))
        with fast_gc():
            while self.steps_done + 1 < step:
                self._train_batch(self.batch_of_step(self.steps_done + 1)[1])

    def train(self, epochs: int, on_epoch: Callable[[int, float], None] | None = None) -> TrainResult:
        """Train ``epochs`` epochs; an epoch's loss is the mean of its batch losses, each taken
        before its update."""
        result = TrainResult()
        batches = self.epoch_batches()
        with fast_gc():  # a new graph per batch on some engines: see core/collector.py
            for epoch in range(1, epochs + 1):
                total = 0.0
                for examples in batches:
                    total += self._train_batch(examples)
                result.epoch_losses.append(total / len(batches))
                if total - total != 0.0:  # each batch loss was finite, but their sum overflowed
                    raise ExerciseError(f"{self.spec.path}: {diverged(epoch)}")
                if on_epoch is not None:
                    on_epoch(epoch, result.epoch_losses[-1])
        result.params = self.param_values()
        return result

    def param_values(self) -> dict[str, float]:
        """Every parameter's current value, by name."""
        raise NotImplementedError

    def _step_error(self, examples: list[int], what: str, fix: str) -> ExerciseError:
        """An error naming the file, the step being run, its epoch and the examples."""
        epoch, _examples = self.batch_of_step(self.steps_done + 1)
        if self.steps_done > 0:  # finite before the updates began: the updates made it diverge
            fix = _("The loss diverged at epoch {epoch}: try a smaller learning rate (--lr).").format(epoch=epoch)
        return ExerciseError(_("{path}: step {step} (epoch {epoch}, {examples}): {what}. {fix}").format(
            path=self.spec.path, step=self.steps_done + 1, epoch=epoch, examples=which_examples(examples),
            what=what, fix=fix))

    def _record(self, examples: list[int], loss: float, values: dict[str, list[float]],
                grads: dict[str, float]) -> StepRecord:
        """The record of the next step (before its update; ``params`` is filled after it)."""
        epoch, _examples = self.batch_of_step(self.steps_done + 1)
        return StepRecord(step=self.steps_done + 1, epoch=epoch, examples=list(examples), loss=loss,
                          values=values, grads=grads, params={}, learning_rate=self.learning_rate,
                          loss_name=self.loss_name, trainable=list(self.trainable))
