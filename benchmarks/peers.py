"""The workloads of the benchmark and every engine that runs them.

A workload is a fully connected network with its data and its initial weights; each
contender is set up on it and handed back as a function that trains one epoch (full
batch, plain SGD) and returns that epoch's loss, so the benchmark can check that all of
them did the same arithmetic before it times them.

Peers: micrograd 0.1.0 (``pip install micrograd==0.1.0``) and torch 2.13.0 (CPU, float64),
each optional. micrograd has no tanh; workload B gives its ``Value`` one, written the way
its author's lecture writes it (a closure per node, like its other ops).
"""

from __future__ import annotations

import gc
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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


def workloads() -> dict[str, Workload]:
    rng = np.random.default_rng(0)
    x = np.arange(-10.0, 6.0)[:, None]  # the seed's quadratic
    A = Workload("A", "seeds' 5-layer ReLU network, 16 samples", [1, 10, 10, 10, 10, 1], "relu", "linear",
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
    """One epoch of ``engine(spec)``: the body of ``Engine.train``'s loop (``train(1)`` would
    add its once-per-call work, the dict of final parameters, to every epoch). ``rebuild``
    drops the cached batch graph first, so that every epoch builds its nodes again, as
    micrograd's users do."""
    ex = engine(w.spec())
    batches = ex.epoch_batches()

    def epoch() -> float:
        if rebuild:
            ex._graphs.clear()
        return sum(ex._train_batch(examples) for examples in batches) / len(batches)

    return epoch


def compiled_epoch(w: Workload) -> Epoch:
    return scalarnet_epoch(w, CompiledExercise)


def matrix_epoch(w: Workload) -> Epoch | None:
    return None if MatrixExercise is None else scalarnet_epoch(w, MatrixExercise)


# -- numpy: the seed's hand-written matrix version -----------------------------------------
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


# -- micrograd ---------------------------------------------------------------------------
def micrograd_value() -> type | None:
    """micrograd's ``Value``, with the tanh its lecture adds (its package has none)."""
    try:
        from micrograd.engine import Value
    except ImportError:
        return None
    if not hasattr(Value, "tanh"):
        def tanh(self):
            t = math.tanh(self.data)
            out = Value(t, (self,), "tanh")

            def _backward():
                self.grad += (1 - t**2) * out.grad
            out._backward = _backward
            return out

        Value.tanh = tanh
    return Value


def eager_classes(kind: str) -> tuple[type, type] | None:
    """(Value, MLP) of a micrograd-style engine: ``micrograd`` itself, ``scalarnet.micrograd``
    (its drop-in) or ``node`` (plain scalarnet ``Node``s in the same loop; the MLP is only a
    holder of the weights, which become Nodes)."""
    if kind == "micrograd":
        Value = micrograd_value()
        if Value is None:
            return None
        from micrograd.nn import MLP
        return Value, MLP
    from scalarnet.core.node import Node
    from scalarnet.micrograd import MLP, Value

    return (Value, MLP) if kind == "scalarnet.micrograd" else (Node, MLP)


def without_collector(epoch: Epoch) -> Epoch:
    """``epoch`` with the garbage collector off while it runs (a diagnostic: micrograd's nodes
    form reference cycles, scalarnet's do not)."""
    def run() -> float:
        gc.disable()
        try:
            return epoch()
        finally:
            gc.enable()

    return run


def micrograd_epoch(w: Workload, collector: bool = True, kind: str = "micrograd") -> Epoch | None:
    """micrograd as its README trains: build the graph of the whole batch, ``zero_grad``,
    ``backward``, update each parameter; ``kind`` picks the engine (``eager_classes``).
    With ``collector=False`` the garbage collector is off while the epoch runs."""
    classes = eager_classes(kind)
    if classes is None or w.loss != "half_squared_error":
        return None
    Value, MLP = classes
    model = MLP(w.sizes[0], w.sizes[1:])
    W, b = w.weights()
    for layer, Wl, bl in zip(model.layers, W, b):
        for j, neuron in enumerate(layer.neurons):
            neuron.w = [Value(float(Wl[i, j])) for i in range(Wl.shape[0])]
            neuron.b = Value(float(bl[j]))
    hidden_tanh = w.hidden == "tanh"
    rows = [[Value(float(v)) for v in x] for x in w.X]
    targets = [float(y) for y in w.Y[:, 0]]
    params = model.parameters()

    def forward(x):
        for k, layer in enumerate(model.layers):
            if hidden_tanh:  # micrograd.nn's neurons are ReLU: the same sum, then tanh
                x = [sum((wi * xi for wi, xi in zip(n.w, x)), n.b) for n in layer.neurons]
                x = x if k == len(model.layers) - 1 else [v.tanh() for v in x]
            else:
                x = [n(x) for n in layer.neurons]
        return x[0]

    def epoch() -> float:
        loss = sum(((forward(x) - y) ** 2 for x, y in zip(rows, targets)), Value(0.0)) * (0.5 / len(rows))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= w.lr * p.grad
        return loss.data

    return epoch if collector else without_collector(epoch)


# -- (M) micrograd's demo notebook ----------------------------------------------------------
MOONS_TITLE = "micrograd's demo: make_moons, MLP(2, [16, 16, 1]), max-margin loss + 1e-4·L2"


def moons_epoch(kind: str, collector: bool = True) -> Epoch | None:
    """One step of micrograd's demo.ipynb as users write it (a fresh graph every step), on
    ``kind`` (``eager_classes``); None without scikit-learn or that engine."""
    classes = eager_classes(kind)
    try:
        from sklearn.datasets import make_moons
    except ImportError:
        return None
    if classes is None:
        return None
    Value, MLP = classes
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1337)
    y = y * 2 - 1
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    if kind == "node":  # the same draws, as plain Nodes
        for layer in model.layers:
            for n in layer.neurons:
                n.w, n.b = [Value(wi.data) for wi in n.w], Value(0.0)
    params = model.parameters()
    k = 0

    def epoch() -> float:
        nonlocal k
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total_loss = data_loss + 1e-4 * sum(p * p for p in params)
        for p in params:
            p.grad = 0.0
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * (k % 100) / 100
        for p in params:
            p.data -= learning_rate * p.grad
        k += 1
        return float(total_loss.data)

    return epoch if collector else without_collector(epoch)


# -- contenders in a process of their own ---------------------------------------------------
def time_sample(run: Epoch, repeat: int) -> float:
    """Seconds per call of ``repeat`` calls of ``run`` in a row (the garbage collector's work
    included); the garbage they leave is then collected, untimed."""
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    seconds = (time.perf_counter() - start) / repeat
    gc.collect()
    return seconds


def serve(conn) -> None:
    """Run eager contenders on the benchmark's requests, in this process.

    The benchmark starts this process for micrograd (with SCALARNET_GC=default) and for the
    engine run as Python source (with SCALARNET_PURE=1): both settings hold for a whole
    process. scalarnet raises the collector's threshold when it is imported
    (scalarnet/node.py), which in the benchmark's own process would change micrograd's
    measurement; and which engine runs is decided at import (scalarnet/native.py). It runs
    among the same libraries as the benchmark's process (torch's objects included, which
    full collections walk). Requests: ("make", name, workload key or "M", collector, kind),
    ("once", name), ("sample", name, repeat), ("stop",)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    epochs: dict[str, Epoch | None] = {}
    while True:
        request = conn.recv()
        if request[0] == "make":
            _, name, key, collector, kind = request
            epochs[name] = (moons_epoch(kind, collector) if key == "M"
                            else micrograd_epoch(workloads()[key], collector, kind=kind))
            conn.send(epochs[name] is not None)
        elif request[0] == "once":
            conn.send(epochs[request[1]]())
        elif request[0] == "sample":
            conn.send(time_sample(epochs[request[1]], request[2]))
        else:
            return
