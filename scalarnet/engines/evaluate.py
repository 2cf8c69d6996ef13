"""A trained exercise on any examples (the held-out test set, a dense grid for a plot):
its outputs, its per-example losses, accuracy or mean squared error. Works with both
engines: the matrix engine computes whole batches; the scalar engine re-evaluates one
example's node graph per row."""

from __future__ import annotations

import math

import numpy as np

from ..core.graph import Graph
from ..core.nn import unit_node_names
from ..core.node import NumericError, sum_nodes
from ..i18n import N_, _
from ..spec import ExerciseSpec, formula
from .matrix import MatrixExercise, example_losses
from .record import Engine, ExerciseError
from .scalar import Exercise

PARTS = {"train": N_("train"), "test": N_("test")}  # the metrics' parts (JSON keys), as shown: _(PARTS[part])


def output_names(spec: ExerciseSpec) -> list[str]:
    """The named nodes that are the model's outputs: the last layer's activations of a
    [network]; in a [graph] file, the graph entries the loss formula compares with the targets
    (``E = "(y_pred - y)^2"`` → y_pred); empty when that is not clear."""
    if spec.network is not None:
        last = len(spec.network.sizes) - 1
        return [unit_node_names(last, j, spec.network.units)[1] for j in range(spec.network.sizes[-1])]
    assert spec.graph is not None
    used = formula.names_in(spec.graph[spec.loss_name])
    if not any(name in spec.targets for name in used):
        return []
    outputs = [name for name in used if name in spec.graph]
    return outputs if len(outputs) == len(spec.targets) else []


def is_classification(spec: ExerciseSpec) -> bool:
    return spec.network is not None and spec.network.output == "softmax"


def data_matrices(spec: ExerciseSpec, test: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets) as matrices with one row per example: the training examples, or
    the held-out ones (empty when the file has no test split)."""
    inputs, targets = (spec.test_inputs, spec.test_targets) if test else (spec.inputs, spec.targets)
    if not inputs:
        return np.zeros((0, len(spec.inputs))), np.zeros((0, len(spec.targets)))
    return (np.array(list(inputs.values()), dtype=np.float64).T,
            np.array(list(targets.values()), dtype=np.float64).T)


def evaluate(ex: Engine, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(outputs, per-example losses) of the rows of X with targets Y at the current
    parameters; outputs has no columns when the exercise's outputs are not clear."""
    if isinstance(ex, MatrixExercise):
        last = ex.forward(X)[-1]
        return last.A, example_losses(ex.network.loss, last.Z, last.A, Y)
    assert isinstance(ex, Exercise)
    named, leaves = ex.example_nodes(0)
    outputs = [named[name] for name in output_names(ex.spec)]
    graph = Graph(sum_nodes([named[ex.loss_name], *outputs]))
    columns = [*ex.spec.inputs, *ex.spec.targets]
    out, losses = np.zeros((len(X), len(outputs))), np.zeros(len(X))
    for row, values in enumerate(np.hstack([X, Y])):
        for name, value in zip(columns, values, strict=True):
            leaves[name].value = float(value)
        graph.forward()
        out[row] = [node.value for node in outputs]
        losses[row] = named[ex.loss_name].value
    return out, losses


def metrics(ex: Engine, X: np.ndarray, Y: np.ndarray) -> dict[str, float]:
    """The mean per-example loss, and the accuracy (classification: the largest output is
    the target's class) or the mean squared error over every output (regression)."""
    outputs, losses = evaluate(ex, X, Y)
    result = {"examples": len(X), "loss": float(losses.mean())}
    if outputs.shape[1] == 0:
        return result
    if is_classification(ex.spec):
        result["accuracy"] = float(np.mean(outputs.argmax(axis=1) == Y.argmax(axis=1)))
    else:
        result["mse"] = float(np.mean((outputs - Y) ** 2))
    return result


def train_test_metrics(ex: Engine) -> dict[str, dict[str, float]]:
    """``metrics`` on the training examples and, when the file holds some out, the test examples.
    Parameters that make a loss leave the real numbers (training diverged) are an ``ExerciseError``."""
    out = {}
    parts = {"train": data_matrices(ex.spec), "test": data_matrices(ex.spec, test=True)}
    for part, (X, Y) in parts.items():
        if not len(X):
            continue
        try:
            with np.errstate(all="ignore"):
                out[part] = metrics(ex, X, Y)
        except NumericError:
            out[part] = {"loss": math.inf}
        if not all(math.isfinite(v) for v in out[part].values()):
            raise ExerciseError(_("{path}: after training, the loss on the {part} examples is not a finite number: "
                                  "the training diverged; try a smaller learning rate (--lr)").format(
                path=ex.spec.path, part=_(PARTS[part])))
    return out


class AccuracyPerEpoch:
    """An ``on_epoch`` callback recording the accuracy on the training examples (and the
    test examples) after each epoch's updates, for the plot."""

    def __init__(self, ex: Engine) -> None:
        self.ex = ex
        self.data = {"train": data_matrices(ex.spec)}
        X, Y = data_matrices(ex.spec, test=True)
        if len(X):
            self.data["test"] = (X, Y)
        self.values: dict[str, list[float]] = {part: [] for part in self.data}

    def __call__(self, epoch: int, loss: float) -> None:
        for part, (X, Y) in self.data.items():
            outputs, _losses = evaluate(self.ex, X, Y)
            self.values[part].append(float(np.mean(outputs.argmax(axis=1) == Y.argmax(axis=1))))
