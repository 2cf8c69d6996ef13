"""micrograd's eager loop (a new graph every epoch), run in a process of its own.

    python benchmarks/eager.py          # started by benchmarks/run.py, never by hand

The benchmark starts one such process per engine: for micrograd, one that imports micrograd
and nothing else (not numpy, not torch, not scalarnet: a full collection of the garbage
collector walks every object of the process, and micrograd's reference cycles make it run
them often, so another library's objects would slow micrograd down unfairly); for
scalarnet's ``Node`` and ``scalarnet.micrograd``, one that imports scalarnet and nothing else;
and one more where the engine runs as its Python source (SCALARNET_PURE=1). This module
imports only the standard library: the workloads arrive as plain lists.

Requests and answers are pickled on stdin and stdout:
  ("make", name, workload, kind, collector, fast)  → True, or False when the kind is missing
      workload: {"sizes", "hidden", "X", "Y", "W", "b", "lr"}, or {"moons": (X, y)} for (M);
      kind: "micrograd", "scalarnet.micrograd" or "node"; collector False: gc off while an
      epoch runs (a diagnostic); fast: inside ``scalarnet.fast_gc()``, the documented one-liner
  ("once", name) → the epoch's loss      ("sample", name, repeat) → seconds per epoch
  ("chain", kind, n, fast) → (build s, backward s or why it failed, processor s)
  ("bytes", kind, n) → bytes per node    ("modules",) → which of numpy, torch, scalarnet are loaded
  ("stop",)
"""

from __future__ import annotations

import contextlib
import gc
import math
import pickle
import random
import sys
import time
import tracemalloc
from collections.abc import Callable

Epoch = Callable[[], float]
LIBRARIES = ("numpy", "torch", "scalarnet", "micrograd")


def classes(kind: str) -> tuple[type, type] | None:
    """(Value, MLP) of an engine: ``micrograd`` itself (with the tanh its lecture adds),
    ``scalarnet.micrograd`` (its drop-in), or ``node`` (plain scalarnet Nodes in the same loop;
    the MLP only holds the weights, which become Nodes)."""
    if kind == "micrograd":
        try:
            from micrograd.engine import Value
            from micrograd.nn import MLP
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
        return Value, MLP
    from scalarnet.core.node import Node
    from scalarnet.micrograd import MLP, Value

    return (Value, MLP) if kind == "scalarnet.micrograd" else (Node, MLP)


def collector_scope(collector: bool, fast: bool) -> Callable[[], contextlib.AbstractContextManager]:
    """What an epoch runs inside: nothing (Python's collector as it is), ``scalarnet.fast_gc()``,
    or the collector switched off (the diagnostic)."""
    if not collector:
        @contextlib.contextmanager
        def off():
            gc.disable()
            try:
                yield
            finally:
                gc.enable()
        return off
    if fast:
        from scalarnet import fast_gc

        return fast_gc
    return contextlib.nullcontext


def network_epoch(w: dict, kind: str) -> Epoch | None:
    """micrograd as its README trains: build the graph of the whole batch, zero the gradients,
    ``backward``, update each parameter (half squared error, mean over the batch)."""
    found = classes(kind)
    if found is None:
        return None
    Value, MLP = found
    model = MLP(w["sizes"][0], w["sizes"][1:])
    for layer, Wl, bl in zip(model.layers, w["W"], w["b"]):
        for j, neuron in enumerate(layer.neurons):
            neuron.w = [Value(float(Wl[i][j])) for i in range(len(Wl))]
            neuron.b = Value(float(bl[j]))
    hidden_tanh = w["hidden"] == "tanh"
    rows = [[Value(float(v)) for v in x] for x in w["X"]]
    targets = [float(y) for y in w["Y"]]
    params = model.parameters()
    lr = w["lr"]

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
            p.data -= lr * p.grad
        return loss.data

    return epoch


def moons_epoch(data: tuple[list, list], kind: str) -> Epoch | None:
    """One step of micrograd's demo.ipynb as users write it (a fresh graph every step)."""
    found = classes(kind)
    if found is None:
        return None
    Value, MLP = found
    X, y = data
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

    return epoch


def scoped(epoch: Epoch, scope: Callable[[], contextlib.AbstractContextManager]) -> Epoch:
    def run() -> float:
        with scope():
            return epoch()
    return run


def time_sample(run: Epoch, repeat: int) -> float:
    """Seconds per call of ``repeat`` calls of ``run`` in a row (the garbage collector's work
    included); the garbage they leave is then collected, untimed."""
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    seconds = (time.perf_counter() - start) / repeat
    gc.collect()
    return seconds


def chain(kind: str, n: int):
    """y = y + x, n times, on the engine's value class."""
    Value = classes(kind)[0]
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y + x
    return y


def chain_times(kind: str, n: int, fast: bool) -> tuple[float, float | str, float]:
    """(build seconds, backward seconds or why it failed, processor seconds of both)."""
    gc.collect()
    with collector_scope(True, fast)():
        cpu, start = time.process_time(), time.perf_counter()
        root = chain(kind, n)
        built = time.perf_counter()
        try:
            root.backward()
        except RecursionError:
            return built - start, "RecursionError", time.process_time() - cpu
        return built - start, time.perf_counter() - built, time.process_time() - cpu


def bytes_per_node(kind: str, n: int) -> float:
    gc.collect()
    tracemalloc.start()
    root = chain(kind, n)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del root
    return size / n


def serve(requests, answers) -> None:
    epochs: dict[str, Epoch] = {}
    while True:
        request = pickle.load(requests)
        if request[0] == "make":
            _, name, workload, kind, collector, fast = request
            made = moons_epoch(workload["moons"], kind) if "moons" in workload else network_epoch(workload, kind)
            if made is not None:
                epochs[name] = scoped(made, collector_scope(collector, fast))
            answer = made is not None
        elif request[0] == "once":
            answer = epochs[request[1]]()
        elif request[0] == "sample":
            answer = time_sample(epochs[request[1]], request[2])
        elif request[0] == "chain":
            answer = chain_times(*request[1:])
        elif request[0] == "bytes":
            answer = bytes_per_node(*request[1:])
        elif request[0] == "modules":
            answer = sorted(m for m in LIBRARIES if m in sys.modules)
        else:
            return
        pickle.dump(answer, answers)
        answers.flush()


if __name__ == "__main__":
    protocol = sys.stdout.buffer
    sys.stdout = sys.stderr  # stdout carries the answers alone
    serve(sys.stdin.buffer, protocol)
