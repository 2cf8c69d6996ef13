"""The workloads of the benchmark and the engines that run them in the benchmark's process.

A workload is a fully connected network with its data and its initial weights; each
contender is set up on it and handed back as a function that trains one epoch (full
batch, plain SGD) and returns that epoch's loss, so the benchmark can check that all of
them did the same arithmetic before it times them. micrograd's eager loop, on micrograd and
on scalarnet, runs in processes of their own (eager.py); ``plain`` hands it a workload.

Peers: torch 2.13.0 (CPU, float64), optional; micrograd 0.1.0 is eager.py's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scalarnet.core.collector import fast_gc
from scalarnet.engines.compiled import CompiledExercise
from scalarnet.engines.scalar import Exercise
from scalarnet.spec import ExerciseSpec, from_dict

try:
    from scalarnet.engines.matrix import MatrixExercise
except ImportError:  # the matrix engine is optional for the benchmark
    MatrixExercise = None

Epoch = Callable[[], float]


@dataclass
class Workload:
    key: str
    title: str
    sizes: list[int]
    hidden: str  # relu or tanh
    output: str  # linear or softmax
    loss: str  # half_squared_error or cross_entropy (nn.py's per-example losses, averaged over the batch)
    X: np.ndarray  # examples × inputs
    Y: np.ndarray  # examples × outputs
    lr: float
    scale: float

    def spec(self) -> ExerciseSpec:
        """The workload as a scalarnet exercise."""
        inputs = {f"x{i}": self.X[:, i].tolist() for i in range(self.X.shape[1])}
        targets = {f"y{j}": self.Y[:, j].tolist() for j in range(self.Y.shape[1])}
        doc = {"title": self.title, "inputs": inputs, "targets": targets,
               "network": {"sizes": self.sizes, "hidden": self.hidden, "output": self.output, "loss": self.loss,
                           "init": {"seed": 0, "scale": self.scale}},
               "train": {"learning_rate": self.lr, "batch": "full", "epochs": 1}}
        return from_dict(doc, f"<benchmark {self.key}>")

    def weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        weights, biases = self.spec().network.matrices()
        return weights, [np.zeros(w.shape[1]) if b is None else b for w, b in zip(weights, biases)]

    def plain(self) -> dict:
        """The workload as plain lists, for eager.py's processes, which import no numpy."""
        W, b = self.weights()
        return {"sizes": self.sizes, "hidden": self.hidden, "X": self.X.tolist(), "Y": self.Y[:, 0].tolist(),
                "W": [Wl.tolist() for Wl in W], "b": [bl.tolist() for bl in b], "lr": self.lr}


def workloads() -> dict[str, Workload]:
    rng = np.random.default_rng(0)
    x = np.arange(-10.0, 6.0)[:, None]  # the quadratic-fit tutorial's data
    A = Workload("A", "the quadratic fit's 5-layer ReLU network, 16 samples", [1, 10, 10, 10, 10, 1], "relu", "linear",
                 "half_squared_error", x, x**2 + 6 * x - 12, 1e-3, 0.1)
    xb = rng.uniform(-1.0, 1.0, (100, 2))
    B = Workload("B", "[2,16,16,1] tanh, 100 samples", [2, 16, 16, 1], "tanh", "linear", "half_squared_error",
                 xb, np.sin(math.pi * xb[:, :1]) * xb[:, 1:], 0.05, 0.5)
    xe = rng.standard_normal((120, 4))  # Iris's shape: 120 training rows, 4 features, 3 classes
    E = Workload("E", "Iris-sized [4,100,20,3] ReLU + softmax cross-entropy, 120 samples", [4, 100, 20, 3],
                 "relu", "softmax", "cross_entropy", xe, np.eye(3)[rng.integers(0, 3, 120)], 0.01, 0.1)
    return {w.key: w for w in (A, B, E)}


# -- scalarnet ---------------------------------------------------------------------------
def scalarnet_epoch(w: Workload, engine: type = Exercise, rebuild: bool = False) -> Epoch:
    """One epoch of ``engine(spec)``: the body of ``Engine.train``'s loop, inside its
    ``fast_gc()`` (``train(1)`` would add its once-per-call work, the dict of final parameters,
    to every epoch). ``rebuild`` drops the cached batch graph first, so that every epoch builds
    its nodes again, as micrograd's users do."""
    ex = engine(w.spec())
    batches = ex.epoch_batches()

    def epoch() -> float:
        if rebuild:
            ex._graphs.clear()
        with fast_gc():
            return sum(ex._train_batch(examples) for examples in batches) / len(batches)

    return epoch


def compiled_epoch(w: Workload) -> Epoch:
    return scalarnet_epoch(w, CompiledExercise)


def matrix_epoch(w: Workload) -> Epoch | None:
    return None if MatrixExercise is None else scalarnet_epoch(w, MatrixExercise)


# -- numpy: the tutorials' hand-written matrix version -----------------------------------------
def numpy_epoch(w: Workload) -> Epoch:
    W, b = w.weights()
    X, Y, m = w.X, w.Y, len(w.X)

    def epoch() -> float:
        A, acts = X, [X]
        for layer, (Wl, bl) in enumerate(zip(W, b), start=1):
            Z = A @ Wl + bl
            A = Z if layer == len(W) else (np.maximum(Z, 0.0) if w.hidden == "relu" else np.tanh(Z))
            acts.append(A)
        if w.loss == "cross_entropy":  # softmax and cross-entropy from the logits
            shifted = A - A.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss, delta = -(Y * log_p).sum() / m, (np.exp(log_p) - Y) / m
        else:
            loss, delta = 0.5 * ((A - Y) ** 2).sum() / m, (A - Y) / m
        for layer in range(len(W) - 1, -1, -1):
            grad_W, grad_b = acts[layer].T @ delta, delta.sum(axis=0)
            if layer > 0:
                a = acts[layer]
                delta = (delta @ W[layer].T) * ((a > 0.0) if w.hidden == "relu" else (1.0 - a * a))
            W[layer] -= w.lr * grad_W
            b[layer] -= w.lr * grad_b
        return float(loss)

    return epoch


# -- torch -------------------------------------------------------------------------------
def torch_epoch(w: Workload) -> Epoch | None:
    try:
        import torch
    except ImportError:
        return None
    # One thread: on a small shared machine torch's thread pool made these small epochs up to
    # 100× slower (spinning threads competing for two cores); one thread is its best here.
    torch.set_num_threads(1)
    W, b = w.weights()
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for pair in zip(W, b) for p in pair]
    X, Y = torch.tensor(w.X, dtype=torch.float64), torch.tensor(w.Y, dtype=torch.float64)
    act = torch.relu if w.hidden == "relu" else torch.tanh

    def epoch() -> float:
        A = X
        for k in range(0, len(params), 2):
            A = A @ params[k] + params[k + 1]
            if k + 2 < len(params):
                A = act(A)
        if w.loss == "cross_entropy":
            loss = -(Y * torch.log_softmax(A, dim=1)).sum(dim=1).mean()
        else:
            loss = 0.5 * ((A - Y) ** 2).sum(dim=1).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= w.lr * p.grad
        return loss.item()

    return epoch
