"""The matrix version: the layered networks of ``[network]`` files in numpy, forward and
backward written by hand in matrix form (no autograd), float64.

A batch of m examples is the rows of A⁰ (m × n₀). Layer l computes

    Zˡ = Aˡ⁻¹·Wˡ + bˡ            Aˡ = f(Zˡ)

and, with the batch loss L = the mean over the batch of the per-example loss and
δˡ = ∂L/∂Zˡ (m × nₗ),

    dWˡ = (Aˡ⁻¹)ᵀ·δˡ            dbˡ = Σ over the rows of δˡ
    δˡ⁻¹ = δˡ·(Wˡ)ᵀ ⊙ f′(Zˡ⁻¹)

the textbook's equations, line for line. Same activations (ReLU′(0) = 0), losses,
initialisation and parameter names as the scalar engine, so a step produces the same
``StepRecord``: parameter ``w5`` is entry W2[0,0], and when the textbook ties several
entries to one name (one bias shared by a layer) their gradients add up, as the scalar
graph adds the paths through a shared leaf.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.nn import parameter_names, unit_node_names
from ..i18n import _
from ..spec import ExerciseSpec, NetworkSpec, SpecError, load, scalar_nodes
from .record import Engine, ExerciseError, StepRecord, diverged
from .scalar import Exercise

# A [network] file runs on the matrix engine by default above this many scalar nodes per batch.
BIG = 2000


# -- activations and losses -------------------------------------------------------------
def sigmoid(Z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(Z))  # as ops.Sigmoid: exp of a non-positive number only, so it never overflows
    return np.where(Z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(Z: np.ndarray) -> np.ndarray:
    return np.where(Z > 0.0, Z, 0.0)


def activate(kind: str, Z: np.ndarray) -> np.ndarray:
    if kind == "sigmoid":
        return sigmoid(Z)
    if kind == "tanh":
        return np.tanh(Z)
    if kind == "relu":
        return relu(Z)
    if kind == "softmax":
        return np.exp(Z - logsumexp(Z))
    return Z  # linear


def derivative(kind: str, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """f′(Z), from Z or from A = f(Z) as the textbook writes it: σ′ = σ(1 − σ)."""
    if kind == "sigmoid":
        return A * (1.0 - A)
    if kind == "tanh":
        return 1.0 - A * A
    if kind == "relu":
        return (Z > 0.0).astype(np.float64)  # ReLU′(0) = 0, as PyTorch
    return np.ones_like(Z)  # linear (softmax is handled with its loss)


def logsumexp(Z: np.ndarray) -> np.ndarray:
    """log Σⱼ exp(Zᵢⱼ) per row, around the row's maximum so it never overflows (column vector)."""
    m = Z.max(axis=1, keepdims=True)
    return m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))


def example_losses(kind: str, Z: np.ndarray, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The per-example loss of each row, as nn.py defines it."""
    if kind == "cross_entropy":
        return -(Y * (Z - logsumexp(Z))).sum(axis=1)  # from the logits, never from rounded probabilities
    if kind == "half_squared_error":
        return 0.5 * ((A - Y) ** 2).sum(axis=1)
    return ((A - Y) ** 2).sum(axis=1)  # squared_error


def output_delta(kind: str, output: str, Z: np.ndarray, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """δᴸ = ∂L/∂Zᴸ for L = the batch mean of the per-example losses."""
    m = Z.shape[0]
    if kind == "cross_entropy":  # softmax + cross-entropy: s·Σy − y (s − y for one-hot y)
        return (A * Y.sum(axis=1, keepdims=True) - Y) / m
    dA = (A - Y) if kind == "half_squared_error" else 2.0 * (A - Y)
    if output == "softmax":  # the softmax Jacobian: s ⊙ (g − Σ g⊙s)
        return A * (dA - (dA * A).sum(axis=1, keepdims=True)) / m
    return dA * derivative(output, Z, A) / m


# -- where each named parameter sits -----------------------------------------------------
class ParamLayout:
    """The named parameters as one vector θ, and for each matrix entry the index of its
    name in θ. Names come in the scalar engine's order (layer by layer, W row by row, then
    b); a name used twice is one entry of θ."""

    def __init__(self, network: NetworkSpec) -> None:
        weights, biases = network.matrices()
        self.names: list[str] = []
        position: dict[str, int] = {}
        values: list[float] = []

        def index(name: str, value: float) -> int:
            if name not in position:
                position[name] = len(self.names)
                self.names.append(name)
                values.append(float(value))
            return position[name]

        self.W_names: list[list[list[str]]] = []
        self.b_names: list[list[str] | None] = []
        self.W_index: list[np.ndarray] = []
        self.b_index: list[np.ndarray | None] = []
        for layer, (w, b) in enumerate(zip(weights, biases, strict=True), start=1):
            grid, b_row = parameter_names(network.names, layer, *w.shape)
            self.W_names.append(grid)
            self.W_index.append(np.array([[index(n, w[i, j]) for j, n in enumerate(row)]
                                          for i, row in enumerate(grid)], dtype=np.intp))
            if b is None:
                self.b_names.append(None)
                self.b_index.append(None)
                continue
            self.b_names.append(b_row)
            self.b_index.append(np.array([index(n, b[j]) for j, n in enumerate(b_row)], dtype=np.intp))
        self.initial = np.array(values, dtype=np.float64)

    def matrices(self, theta: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """Wˡ and bˡ filled from θ."""
        return ([theta[i] for i in self.W_index], [None if i is None else theta[i] for i in self.b_index])

    def gradient(self, dW: list[np.ndarray], db: list[np.ndarray | None]) -> np.ndarray:
        """∂L/∂θ: each entry's gradient added into its name's slot (tied entries add up)."""
        index = [i.ravel() for i in self.W_index] + [i for i in self.b_index if i is not None]
        grads = [g.ravel() for g in dW] + [g for g in db if g is not None]
        return np.bincount(np.concatenate(index), weights=np.concatenate(grads), minlength=len(self.names))

    def entries(self) -> dict[str, list[str]]:
        """name → the matrix entries it stands for, e.g. w5 → ["W2[0,0]"], b1 → ["b1[0]", "b1[1]"]."""
        out: dict[str, list[str]] = {name: [] for name in self.names}
        for layer, (grid, row) in enumerate(zip(self.W_names, self.b_names, strict=True), start=1):
            for i, names in enumerate(grid):
                for j, name in enumerate(names):
                    out[name].append(f"W{layer}[{i},{j}]")
            for j, name in enumerate(row or []):
                out[name].append(f"b{layer}[{j}]")
        return out


@dataclass
class LayerMatrices:
    """What layer l computed for a batch: the matrices the step table prints."""

    layer: int
    activation: str
    A_prev: np.ndarray  # Aˡ⁻¹, m × n_in (the inputs for layer 1)
    W: np.ndarray  # Wˡ before the update, n_in × n_out
    b: np.ndarray | None
    Z: np.ndarray  # m × n_out
    A: np.ndarray  # f(Z)
    delta: np.ndarray | None = None  # ∂L/∂Z, filled by backward
    dW: np.ndarray | None = None
    db: np.ndarray | None = None


@dataclass
class MatrixTrace:
    """One batch through the matrix engine."""

    examples: list[int]
    layers: list[LayerMatrices]
    losses: np.ndarray  # the per-example losses
    loss: float  # their mean


class MatrixExercise(Engine):
    """A ``[network]`` exercise on the matrix engine, with the scalar engine's stepping,
    records and names (see ``Engine``)."""

    name = "matrix"

    def __init__(self, spec: ExerciseSpec, learning_rate: float | None = None) -> None:
        if spec.network is None:
            raise SpecError(_("{path}: the matrix engine runs [network] files (layered networks); this is a [graph] "
                              "file of named formulas: run it with --engine scalar").format(path=spec.path))
        super().__init__(spec, learning_rate)
        self.network = spec.network
        self.layout = ParamLayout(spec.network)
        self.theta = self.layout.initial.copy()
        self.grad = np.zeros_like(self.theta)
        self.velocity = np.zeros_like(self.theta)
        self.mask = np.isin(np.array(self.layout.names), self.trainable)
        self.X = np.array(list(spec.inputs.values()), dtype=np.float64).T.reshape(spec.n_examples, -1)
        self.Y = np.array(list(spec.targets.values()), dtype=np.float64).T.reshape(spec.n_examples, -1)
        # the scalar engine's node names: net_u/out_u with unit names, else z{l}[j]/a{l}[j]
        names = [[unit_node_names(k, j, spec.network.units) for j in range(n)]
                 for k, n in enumerate(spec.network.sizes[1:], start=1)]
        self.z_names = [[z for z, _a in layer] for layer in names]
        self.a_names = [[a for _z, a in layer] for layer in names]

    @classmethod
    def load(cls, path: str | Path, learning_rate: float | None = None) -> MatrixExercise:
        return cls(load(path), learning_rate)

    # -- parameters ----------------------------------------------------------------------
    def param_values(self) -> dict[str, float]:
        return dict(zip(self.layout.names, self.theta.tolist(), strict=True))

    def load_params(self, values: dict[str, float]) -> None:
        """Set parameters by name (for instance from the scalar engine's ``param_values()``)."""
        position = self._position
        for name, value in values.items():
            self.theta[position[name]] = value

    @functools.cached_property
    def _position(self) -> dict[str, int]:
        """Each parameter's place in ``theta`` (made once: finite differences set one
        parameter at a time, and a network can have a million)."""
        return {name: k for k, name in enumerate(self.layout.names)}

    def matrices(self) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """The current Wˡ and bˡ."""
        return self.layout.matrices(self.theta)

    # -- forward and backward --------------------------------------------------------------
    def forward(self, X: np.ndarray) -> list[LayerMatrices]:
        """Every layer's Z and A for the rows of ``X`` at the current parameters."""
        weights, biases = self.matrices()
        layers, A = [], X
        with np.errstate(over="ignore", invalid="ignore"):
            for k, (W, b) in enumerate(zip(weights, biases, strict=True), start=1):
                kind = self.network.output if k == len(weights) else self.network.hidden
                Z = A @ W if b is None else A @ W + b
                layers.append(LayerMatrices(k, kind, A, W, b, Z, activate(kind, Z)))
                A = layers[-1].A
        return layers

    def forward_backward(self, examples: list[int]) -> MatrixTrace:
        """Forward and backward for one batch; sets ``self.grad``, updates nothing."""
        layers = self.forward(self.X[examples])
        last, Y = layers[-1], self.Y[examples]
        with np.errstate(over="ignore", invalid="ignore"):
            losses = example_losses(self.network.loss, last.Z, last.A, Y)
            self._check_finite(examples, layers, losses)
            delta = output_delta(self.network.loss, self.network.output, last.Z, last.A, Y)
            for k in range(len(layers) - 1, -1, -1):
                layer = layers[k]
                layer.delta, layer.dW = delta, layer.A_prev.T @ delta
                layer.db = None if layer.b is None else delta.sum(axis=0)
                if k > 0:
                    below = layers[k - 1]
                    delta = (delta @ layer.W.T) * derivative(below.activation, below.Z, below.A)
        self.grad = self.layout.gradient([x.dW for x in layers], [x.db for x in layers])
        if not np.all(np.isfinite(self.grad)):
            bad = self.layout.names[int(np.flatnonzero(~np.isfinite(self.grad))[0])]
            raise self._error(examples, _("the gradient of {name} is not finite").format(name=bad))
        return MatrixTrace(list(examples), layers, losses, float(losses.mean()))

    def _check_finite(self, examples: list[int], layers: list[LayerMatrices], losses: np.ndarray) -> None:
        for layer in layers:
            for what, M, names in (("Z", layer.Z, self.z_names), ("A", layer.A, self.a_names)):
                if np.isfinite(M.sum()):  # one pass, no temporary: the common case
                    continue
                bad = np.argwhere(~np.isfinite(M))
                if len(bad):
                    row, j = bad[0]
                    what_failed = _("{name} (entry [{row},{column}] of {matrix}) is {value}")
                    raise self._error([examples[row]], what_failed.format(
                        name=names[layer.layer - 1][j], row=row, column=j, matrix=f"{what}{layer.layer}",
                        value=repr(float(M[row, j]))))
        bad = np.flatnonzero(~np.isfinite(losses))
        if len(bad):
            raise self._error([examples[bad[0]]], _("the loss {name} is {value}").format(
                name=self.loss_name, value=repr(float(losses[bad[0]]))))

    def _error(self, examples: list[int], what: str) -> ExerciseError:
        return self._step_error(examples, what, _("Try a smaller learning rate or check the data."))

    # -- updates ---------------------------------------------------------------------------
    def _after_update(self) -> tuple[np.ndarray, np.ndarray]:
        """(θ, velocity) after an SGD step with the current gradient, as nn.SGD computes them:
        v ← μ·v + g, θ ← θ − lr·v (θ ← θ − lr·g without momentum); fixed parameters stay."""
        theta, velocity, m = self.theta.copy(), self.velocity.copy(), self.mask
        mu = self.spec.train.momentum
        if mu == 0.0:
            theta[m] -= self.learning_rate * self.grad[m]
        else:
            velocity[m] = mu * velocity[m] + self.grad[m]
            theta[m] -= self.learning_rate * velocity[m]
        return theta, velocity

    def _update(self) -> None:
        self.theta, self.velocity = self._after_update()
        self.steps_done += 1
        if not np.all(np.isfinite(self.theta)):
            bad = self.layout.names[int(np.flatnonzero(~np.isfinite(self.theta))[0])]
            epoch, _examples = self.batch_of_step(self.steps_done)
            raise ExerciseError(_("{path}: step {step}: the update made {name} = {value}: {diverged}").format(
                path=self.spec.path, step=self.steps_done, name=bad, value=repr(self.param_values()[bad]),
                diverged=diverged(epoch)))

    def _train_batch(self, examples: list[int]) -> float:
        loss = self.forward_backward(examples).loss
        self._update()
        return loss

    def run_step(self, update: bool = True) -> tuple[StepRecord, MatrixTrace]:
        """The next step's record and its matrices. With ``update=False`` the parameters are
        left as they were and the step is not counted; ``record.params`` shows what the
        update would give."""
        _epoch, examples = self.batch_of_step(self.steps_done + 1)
        trace = self.forward_backward(examples)
        record = self._record(examples, trace.loss, self._values(trace), self._named(self.grad))
        record.node_grads = self._node_grads(trace)
        if update:
            self._update()
            record.params = self.param_values()
        else:
            record.params = self._named(self._after_update()[0])
        return record, trace

    def _named(self, vector: np.ndarray) -> dict[str, float]:
        return dict(zip(self.layout.names, vector.tolist(), strict=True))

    def _node_grads(self, trace: MatrixTrace) -> dict[str, list[float]]:
        """∂L/∂node for every named node of ``_values``, per example: what the scalar engine's
        step records hold, from the deltas ∂L/∂Z the backward pass computed."""
        layers, m = trace.layers, len(trace.examples)
        last, Y = layers[-1], self.Y[trace.examples]
        loss = self.network.loss
        d_out = {"half_squared_error": (last.A - Y) / m, "squared_error": 2.0 * (last.A - Y) / m,
                 "cross_entropy": np.zeros_like(last.A)}[loss]  # the cross-entropy is read from Z, not A
        d_targets = -(last.Z - logsumexp(last.Z)) / m if loss == "cross_entropy" else -d_out
        grads = {name: col.tolist() for name, col in zip(self.spec.inputs, (layers[0].delta @ layers[0].W.T).T)}
        grads.update({name: col.tolist() for name, col in zip(self.spec.targets, d_targets.T)})
        grads.update({name: [g] * m for name, g in self._named(self.grad).items()})
        for k, (layer, z_names, a_names) in enumerate(zip(layers, self.z_names, self.a_names, strict=True)):
            d_a = d_out if k == len(layers) - 1 else layers[k + 1].delta @ layers[k + 1].W.T
            for j, (z_name, a_name) in enumerate(zip(z_names, a_names, strict=True)):
                grads[z_name] = layer.delta[:, j].tolist()
                if a_name != z_name:
                    grads[a_name] = d_a[:, j].tolist()
        grads[self.loss_name] = [1.0 / m] * m
        return grads

    def _values(self, trace: MatrixTrace) -> dict[str, list[float]]:
        """Every named value of the batch, in the scalar engine's names and order: inputs,
        targets, parameters, then each layer's z and a unit by unit, then the loss."""
        rows = trace.examples
        values = {name: [column[e] for e in rows]
                  for table in (self.spec.inputs, self.spec.targets) for name, column in table.items()}
        values.update({name: [v] * len(rows) for name, v in self.param_values().items()})
        for layer, z_names, a_names in zip(trace.layers, self.z_names, self.a_names, strict=True):
            for j, (z_name, a_name) in enumerate(zip(z_names, a_names, strict=True)):
                values[z_name] = layer.Z[:, j].tolist()
                values[a_name] = layer.A[:, j].tolist()
        values[self.loss_name] = trace.losses.tolist()
        return values


def open_engine(spec: ExerciseSpec, engine: str | None = None,
                learning_rate: float | None = None) -> tuple[Engine, str]:
    """The exercise on the engine asked for, and a line saying which engine runs and why.
    Without a choice a big ``[network]`` file (more than ``BIG`` scalar nodes per batch)
    runs on the matrix engine, everything else on the scalar engine."""
    if engine == "matrix":
        return MatrixExercise(spec, learning_rate), _("engine: {name}").format(name="matrix")
    if engine == "scalar" or spec.network is None:
        return Exercise(spec, learning_rate), _("engine: {name}").format(name="scalar")
    nodes = scalar_nodes(spec)
    if nodes > BIG:
        return MatrixExercise(spec, learning_rate), _(
            "engine: matrix (about {nodes} scalar nodes per batch, more than {big}; --engine scalar runs the scalar "
            "engine)").format(nodes=nodes, big=BIG)
    return Exercise(spec, learning_rate), _("engine: {name}").format(name="scalar")
