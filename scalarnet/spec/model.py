"""What an exercise file says, once read and checked: the ``ExerciseSpec`` and its parts."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import numpy as np

from ..core import nn


class SpecError(ValueError):
    """A bad exercise file; the message says where and what to do."""


SECTIONS = ("title", "description", "params", "inputs", "targets", "data", "graph", "network", "train", "vary")
TRAIN_KEYS = ("loss", "learning_rate", "batch", "trainable", "epochs", "momentum")
NETWORK_KEYS = ("sizes", "hidden", "output", "bias", "init", "loss", "weights", "biases", "names", "units")
NETWORK_LOSS_NAME = "E"


@dataclass
class TrainSpec:
    loss: str | None = None  # name of the per-example loss node ([graph] files)
    learning_rate: float = 0.1
    batch: int | None = None  # examples per update; None: the full batch
    trainable: list[str] | None = None  # None: every parameter
    epochs: int = 100
    momentum: float = 0.0


@dataclass
class NetworkSpec:
    sizes: list[int]
    hidden: str = "sigmoid"
    output: str = "linear"
    bias: bool = True
    seed: int = 0
    scale: float = 0.1
    loss: str = "half_squared_error"
    weights: list[np.ndarray] | None = None
    biases: list[np.ndarray | None] | None = None
    names: dict[str, list] = field(default_factory=dict)
    units: list[list[str]] | None = None

    def matrices(self) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """The initial weights and biases: the explicit ones, else the seeded initialisation."""
        if self.weights is not None:
            biases = self.biases if self.biases is not None else [
                np.zeros(n) if self.bias else None for n in self.sizes[1:]]
            return [w.copy() for w in self.weights], [None if b is None else b.copy() for b in biases]
        weights, biases = nn.initial_weights(self.sizes, self.seed, self.scale, self.bias)
        if self.biases is not None:
            biases = [b.copy() for b in self.biases]
        return weights, biases


@dataclass
class ExerciseSpec:
    path: str
    title: str
    description: str
    params: dict[str, float]
    inputs: dict[str, list[float]]
    targets: dict[str, list[float]]
    n_examples: int
    train: TrainSpec
    graph: dict[str, ast.expr] | None = None
    formulas: dict[str, str] | None = None
    network: NetworkSpec | None = None
    # [data]: the held-out examples (empty without a test split) and where the rows came from
    test_inputs: dict[str, list[float]] = field(default_factory=dict)
    test_targets: dict[str, list[float]] = field(default_factory=dict)
    data_source: str = ""
    # [vary] (for `scalarnet quiz`): name -> (low, high) for a param, input or target, and
    # the decimals the drawn values are rounded to (None: the default)
    vary: dict[str, tuple[float, float]] = field(default_factory=dict)
    vary_decimals: int | None = None

    @property
    def loss_name(self) -> str:
        if self.network is not None:
            return NETWORK_LOSS_NAME
        assert self.train.loss is not None
        return self.train.loss
