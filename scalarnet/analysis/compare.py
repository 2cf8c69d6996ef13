"""``scalarnet compare``: the same exercise, from the same weights, on every engine there is.

The engines: the scalar engine (nodes), the matrix engine (numpy, ``[network]`` files) and,
when it is installed, PyTorch, which builds the same model from the file: the layered
network for ``[network]`` files, the formulas walked tree by tree for ``[graph]`` files,
and takes its gradients from autograd. Each runs the same N update steps; every loss,
gradient and updated parameter is compared pair by pair. Central finite differences of
the first step's batch loss are shown beside them: they check the gradients independently
of any chain rule, but are only accurate to about 1e-7 and wrong at a kink (a ReLU at
exactly 0, where scalarnet and PyTorch take ReLU′(0) = 0), so they do not decide the result.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import ops
from ..engines.matrix import MatrixExercise, ParamLayout
from ..engines.record import Engine, epoch_batches
from ..engines.scalar import Exercise
from ..i18n import N_, _
from ..spec import ExerciseSpec, formula

TOLERANCE = 1e-10  # engines agree when |a − b| ≤ TOLERANCE·max(1, |a|, |b|)
FD_STEP = 1e-6  # central differences (f(p + h) − f(p − h)) / 2h with h = FD_STEP·max(1, |p|)
FD_TOLERANCE = 1e-6  # finite differences are flagged beyond this (scaled as above)
# Each finite difference takes two forward passes of the whole network, so differences of every
# parameter cost parameters² (hours for the 300,000 of a [1, 100000, 1] network): past this many
# parameter-passes, an evenly spread sample of the parameters, at least MIN_FD_PARAMS of them.
FD_WORK = 20_000_000
MIN_FD_PARAMS = 50
SHOWN = 30  # rows shown per table; more rows show the worst ones


@dataclass
class EngineRun:
    """What one engine computed over the steps: per step the batch loss, the gradients
    and the parameters after the update."""

    name: str
    losses: list[float] = field(default_factory=list)
    grads: list[dict[str, float]] = field(default_factory=list)
    params: list[dict[str, float]] = field(default_factory=list)

    def quantities(self) -> dict[tuple[str, str, int], float]:
        """(kind, name, step) → value, kind being loss, grad or param."""
        out = {}
        for k, (loss, grads, params) in enumerate(zip(self.losses, self.grads, self.params, strict=True), start=1):
            out[("loss", "loss", k)] = loss
            out.update({("grad", n, k): g for n, g in grads.items()})
            out.update({("param", n, k): p for n, p in params.items()})
        return out


def run_engine(engine: Engine, steps: int) -> EngineRun:
    run = EngineRun(engine.name)
    for record in engine.steps(steps):
        run.losses.append(record.loss)
        run.grads.append(dict(record.grads))
        run.params.append(dict(record.params))
    return run


# -- PyTorch ---------------------------------------------------------------------------------
def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def run_torch(spec: ExerciseSpec, steps: int, learning_rate: float | None = None) -> EngineRun:
    """The exercise built in PyTorch (float64) from the file, trained with the same SGD."""
    import torch

    names = list(spec.params)
    theta = torch.tensor([spec.params[n] for n in names], dtype=torch.float64, requires_grad=True)
    batch_loss = _torch_network(spec, names) if spec.network is not None else _torch_graph(spec, names)
    lr = spec.train.learning_rate if learning_rate is None else learning_rate
    trainable = spec.train.trainable if spec.train.trainable is not None else names
    trained = set(trainable)  # a set: membership is checked once per parameter
    mask = torch.tensor([n in trained for n in names])
    velocity = torch.zeros_like(theta)
    batches = epoch_batches(spec.n_examples, spec.train.batch or spec.n_examples)
    run = EngineRun("torch")
    for k in range(steps):
        loss = batch_loss(theta, batches[k % len(batches)])
        if loss.requires_grad:
            (grad,) = torch.autograd.grad(loss, theta, allow_unused=True, materialize_grads=True)
        else:  # a loss that uses no parameter: every gradient is 0 (torch would raise)
            grad = torch.zeros_like(theta)
        with torch.no_grad():
            if spec.train.momentum == 0.0:
                theta[mask] -= lr * grad[mask]
            else:
                velocity[mask] = spec.train.momentum * velocity[mask] + grad[mask]
                theta[mask] -= lr * velocity[mask]
        run.losses.append(loss.item())
        run.grads.append(dict(zip(names, grad.tolist(), strict=True)))
        run.params.append(dict(zip(names, theta.detach().tolist(), strict=True)))
    return run


def _torch_network(spec: ExerciseSpec, names: list[str]) -> Callable[[Any, list[int]], Any]:
    """Z = A·W + b layer by layer, each W and b gathered from the parameter vector, so
    entries tied to one name share it and autograd adds their gradients."""
    import torch

    net = spec.network
    assert net is not None
    layout = ParamLayout(net)
    assert layout.names == names
    W_index = [torch.as_tensor(i) for i in layout.W_index]
    b_index = [None if i is None else torch.as_tensor(i) for i in layout.b_index]
    X = torch.tensor(list(spec.inputs.values()), dtype=torch.float64).T
    Y = torch.tensor(list(spec.targets.values()), dtype=torch.float64).T
    activations = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
                   "softmax": lambda z: torch.softmax(z, dim=1), "linear": lambda z: z}

    def batch_loss(theta, examples: list[int]):
        A, Z = X[examples], None
        for layer, (wi, bi) in enumerate(zip(W_index, b_index, strict=True), start=1):
            Z = A @ theta[wi] + (theta[bi] if bi is not None else 0.0)
            A = activations[net.output if layer == len(W_index) else net.hidden](Z)
        y = Y[examples]
        if net.loss == "cross_entropy":
            losses = -(y * torch.log_softmax(Z, dim=1)).sum(dim=1)
        else:
            losses = ((A - y) ** 2).sum(dim=1) * (0.5 if net.loss == "half_squared_error" else 1.0)
        return losses.mean()

    return batch_loss


def _torch_graph(spec: ExerciseSpec, names: list[str]) -> Callable[[Any, list[int]], Any]:
    """The [graph] formulas evaluated on tensors: each example of the batch is one entry of
    the input and target tensors, the parameters are entries of the parameter vector."""
    import torch

    functions = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "exp": torch.exp,
                 "log": torch.log}
    binary = {ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul, ast.Div: torch.div, ast.Pow: torch.pow}
    assert set(functions) == set(ops.FUNCTIONS)
    data = {name: torch.tensor(values, dtype=torch.float64)
            for table in (spec.inputs, spec.targets) for name, values in table.items()}
    graph = spec.graph
    assert graph is not None

    def value(tree: ast.expr, env: dict):
        def combine(t: ast.expr, parts: list):  # see formula.fold: the values of t's sub-expressions
            if isinstance(t, ast.Constant):
                return torch.tensor(float(t.value), dtype=torch.float64)
            if isinstance(t, ast.Name):
                return env[t.id]
            if isinstance(t, ast.UnaryOp):
                if not parts:  # -2: a number
                    number = float(t.operand.value)  # type: ignore[attr-defined]
                    parts = [torch.tensor(number, dtype=torch.float64)]
                return -parts[0] if isinstance(t.op, ast.USub) else parts[0]
            if isinstance(t, ast.Call):
                return functions[t.func.id](parts[0])  # type: ignore[attr-defined]
            if len(parts) > 2:  # a chain of + terms
                return sum(parts[1:], parts[0])
            return binary[type(t.op)](*parts)  # type: ignore[attr-defined]

        return formula.fold(tree, combine)

    def batch_loss(theta, examples: list[int]):
        env = {name: theta[k] for k, name in enumerate(names)}
        env.update({name: column[examples] for name, column in data.items()})
        for name, tree in graph.items():
            env[name] = value(tree, env)
        return env[spec.loss_name].expand(len(examples)).mean()

    return batch_loss


# -- finite differences and kinks -----------------------------------------------------------
def finite_differences(spec: ExerciseSpec, learning_rate: float | None = None) -> dict[str, float]:
    """Central differences of the first step's batch loss, parameter by parameter (on the
    matrix engine for [network] files, which is fast, else on the scalar engine)."""
    engine: Engine = MatrixExercise(spec, learning_rate) if spec.network is not None else Exercise(spec, learning_rate)
    examples = engine.batch_of_step(1)[1]
    start = engine.param_values()

    def loss_at(name: str, value: float) -> float:
        engine.load_params({name: value})
        loss = _batch_loss(engine, examples)
        engine.load_params({name: start[name]})
        return loss

    out = {}
    for name in fd_sample(list(start)):
        p = start[name]
        h = FD_STEP * max(1.0, abs(p))
        out[name] = (loss_at(name, p + h) - loss_at(name, p - h)) / (2 * h)
    return out


def fd_sample(names: list[str]) -> list[str]:
    """The parameters finite differences are taken of: every one while that is within FD_WORK,
    else as many as fit (at least MIN_FD_PARAMS), spread evenly over the list, first and last
    included."""
    n = max(MIN_FD_PARAMS, FD_WORK // max(1, len(names)))
    if len(names) <= n:
        return names
    step = (len(names) - 1) / (n - 1)
    return [names[round(k * step)] for k in range(n)]


def _batch_loss(engine: Engine, examples: list[int]) -> float:
    if isinstance(engine, MatrixExercise):
        return engine.forward_backward(examples).loss
    assert isinstance(engine, Exercise)
    return engine.batch_graph(examples).loss.value


def kink_text(node: str, example: int | None, translate: Callable[[str], str] = str) -> str:
    """'ReLU(z1[3]) at 0 (example 10)' (a [network] file), 'h1 = ReLU(…) at 0' (a [graph] file),
    in English (the JSON's words) or through ``translate`` (``_``: the table's language)."""
    if example is None:
        return translate(N_("{node} = ReLU(…) at 0")).format(node=node)
    return translate(N_("ReLU({node}) at 0 (example {n})")).format(node=node, n=example)


def kinks(spec: ExerciseSpec, learning_rate: float | None = None) -> list[tuple[str, int | None]]:
    """The ReLUs whose input is exactly 0 in the first step: (node, example) for a [network]
    file, (named node, None) for a [graph] file (see ``kink_text``)."""
    if spec.network is not None:
        if "relu" not in (spec.network.hidden, spec.network.output):
            return []
        ex = MatrixExercise(spec, learning_rate)
        trace = ex.forward_backward(ex.batch_of_step(1)[1])
        found = []
        for layer in trace.layers:
            if layer.activation == "relu":
                for row, j in np.argwhere(layer.Z == 0.0):
                    found.append((ex.z_names[layer.layer - 1][j], int(trace.examples[row])))
        return found
    _record, batch = Exercise(spec, learning_rate).run_step(update=False)
    owner = {id(node): name for slot in batch.slots for name, node in slot.items()}
    return [(owner.get(id(node), node.display_name()), None) for node in batch.graph.order
            if node.op is ops.RELU and node.parents[0].value == 0.0]


# -- the comparison ---------------------------------------------------------------------------
@dataclass
class Pair:
    a: str
    b: str
    max_abs: float = 0.0
    max_rel: float = 0.0
    worst: str = ""
    first_offending: str | None = None
    ok: bool = True
    first_key: tuple[str, str, int] | None = None  # the quantity first_offending names (for the table's words)

    def first_offending_shown(self) -> str | None:
        """``first_offending`` in the language of the table."""
        return _label(self.first_key, _) if self.first_key is not None else self.first_offending

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "max_abs": self.max_abs, "max_rel": self.max_rel, "worst": self.worst,
                "ok": self.ok, "first_offending": self.first_offending}


@dataclass
class Comparison:
    title: str
    steps: int
    runs: list[EngineRun]
    pairs: list[Pair]
    skipped: dict[str, str]
    fd: dict[str, float]
    kinks: list[str]  # in English, as --json gives them
    tolerance: float = TOLERANCE
    kink_places: list[tuple[str, int | None]] = field(default_factory=list)  # the same, for the table's words

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.pairs)

    @property
    def first_offending(self) -> str | None:
        return next((p.first_offending for p in self.pairs if p.first_offending), None)

    def first_offending_shown(self) -> str | None:
        """``first_offending`` in the language of the table."""
        return next((p.first_offending_shown() for p in self.pairs if p.first_offending), None)

    def kinks_shown(self) -> list[str]:
        """``kinks`` in the language of the table."""
        return [kink_text(node, example, _) for node, example in self.kink_places] or self.kinks

    def fd_rows(self) -> dict[str, dict[str, Any]]:
        grads = self.runs[0].grads[0]
        rows = {}
        for name, fd in self.fd.items():
            diff = abs(fd - grads[name])
            flagged = diff > FD_TOLERANCE * max(1.0, abs(fd), abs(grads[name]))
            rows[name] = {"engine": grads[name], "fd": fd, "abs_diff": diff, "ok": not flagged,
                          "kink": bool(flagged and self.kinks)}
        return rows

    def to_json(self) -> dict:
        rows = self.fd_rows()
        return {
            "ok": self.ok,
            "title": self.title,
            "engines": [r.name for r in self.runs],
            "skipped": self.skipped,
            "steps": self.steps,
            "tolerance": f"|a - b| <= {self.tolerance:g} * max(1, |a|, |b|)",
            "pairs": [p.to_json() for p in self.pairs],
            "first_offending": self.first_offending,
            "losses": {r.name: r.losses for r in self.runs},
            "finite_differences": {
                "engine": self.runs[0].name, "step": 1, "h": f"{FD_STEP:g} * max(1, |p|)",
                "tolerance": FD_TOLERANCE,
                "max_abs_diff": max((r["abs_diff"] for r in rows.values()), default=0.0),
                "kinks": self.kinks, "params": rows, "of": len(self.runs[0].grads[0]),
                "note": "reported only: finite differences do not decide ok",
            },
        }


def compare(spec: ExerciseSpec, steps: int = 1, learning_rate: float | None = None,
            tolerance: float = TOLERANCE, use_torch: bool = True) -> Comparison:
    runs = [run_engine(Exercise(spec, learning_rate), steps)]
    skipped = {}
    if spec.network is not None:
        runs.append(run_engine(MatrixExercise(spec, learning_rate), steps))
    else:
        skipped["matrix"] = N_("a [graph] file: the matrix engine runs [network] files")
    if use_torch and torch_available():
        runs.append(run_torch(spec, steps, learning_rate))
    else:
        skipped["torch"] = N_("not installed (pip install torch==2.13.0)") if use_torch else N_("not asked for")
    values = [r.quantities() for r in runs]
    pairs = []
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            pairs.append(_pair(runs[i].name, runs[j].name, values[i], values[j], tolerance))
    places = kinks(spec, learning_rate)
    return Comparison(spec.title, steps, runs, pairs, skipped, finite_differences(spec, learning_rate),
                      [kink_text(*k) for k in places], tolerance, places)


def _label(key: tuple[str, str, int], translate: Callable[[str], str] = str) -> str:
    """'∂L/∂w1 (step 1)': in English (the JSON's words) or through ``translate`` (``_``)."""
    kind, name, step = key
    if kind == "loss":
        return translate(N_("loss (step {step})")).format(step=step)
    if kind == "grad":
        return translate(N_("∂L/∂{name} (step {step})")).format(name=name, step=step)
    return translate(N_("updated {name} (step {step})")).format(name=name, step=step)


def _pair(a: str, b: str, va: dict, vb: dict, tolerance: float) -> Pair:
    """The largest differences over every quantity; ``worst`` names the parameter whose
    gradient or updated value differs most (relatively); the first offender is the first
    parameter past the tolerance, step by step (the loss only when no parameter is)."""
    pair = Pair(a, b)
    worst_rel = -1.0
    offending_loss = None
    for key, x in va.items():  # in order: step by step, the loss, the gradients, the parameters
        y = vb[key]
        diff = abs(x - y)
        scale = max(1.0, abs(x), abs(y))
        rel = diff / max(abs(x), abs(y)) if diff else 0.0
        pair.max_abs, pair.max_rel = max(pair.max_abs, diff), max(pair.max_rel, rel)
        is_param = key[0] != "loss"
        if not diff <= tolerance * scale:  # also catches NaN
            pair.ok = False
            if is_param and pair.first_offending is None:
                pair.first_offending, pair.first_key = _label(key), key
            if not is_param and offending_loss is None:
                offending_loss = key
        if is_param and (rel > worst_rel or rel != rel):
            worst_rel, pair.worst = rel, key[1]
    if pair.first_offending is None and offending_loss is not None:
        pair.first_offending, pair.first_key = _label(offending_loss), offending_loss
    return pair
