"""Exercise files: TOML read with the standard reader, checked, turned into an ``ExerciseSpec``.

Every problem is reported as one ``SpecError`` that names the file, the section and key,
what is wrong and how to fix it. See the README for the format.
"""

from __future__ import annotations

import ast
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import data, formula, nn, ops

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


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


def load(path: str | Path) -> ExerciseSpec:
    """Read and check an exercise file."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a folder; give an exercise file (TOML) or a bundled exercise's name") from None
    except OSError as err:
        raise SpecError(f"{path}: cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a text file (TOML must be UTF-8)") from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: not valid TOML: {err}") from None
    return from_dict(doc, str(path))


def from_dict(doc: dict[str, Any], path: str = "<exercise>") -> ExerciseSpec:
    return _Reader(path).read(doc)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def error(self, where: str, message: str) -> SpecError:
        return SpecError(f"{self.path}: {where}: {message}")

    # -- the whole file ------------------------------------------------------------
    def read(self, doc: dict[str, Any]) -> ExerciseSpec:
        for key in doc:
            if key not in SECTIONS:
                raise self.error(f"[{key}]" if isinstance(doc[key], dict) else key,
                                 f"unknown section{_did_you_mean(key, SECTIONS)}; the sections are "
                                 + ", ".join(SECTIONS))
        if ("graph" in doc) == ("network" in doc):
            raise self.error("file", "needs exactly one of [graph] (named formulas) or [network] (a layered network)")
        title = doc.get("title", Path(self.path).stem)
        if not isinstance(title, str):
            raise self.error("title", "must be a string")
        description = doc.get("description", "")
        if not isinstance(description, str):
            raise self.error("description", "must be a string")
        dataset = self.data(doc) if "data" in doc else None
        inputs = dataset.inputs if dataset else self.numbers_table(doc, "inputs")
        targets = dataset.targets if dataset else self.numbers_table(doc, "targets")
        n = self.example_count(inputs, targets)
        inputs = {k: v * n if len(v) == 1 else v for k, v in inputs.items()}
        targets = {k: v * n if len(v) == 1 else v for k, v in targets.items()}
        spec = ExerciseSpec(self.path, title, description, {}, inputs, targets, n, TrainSpec())
        if dataset:
            spec.test_inputs, spec.test_targets = dataset.test_inputs, dataset.test_targets
            spec.data_source = dataset.source
        defined: dict[str, str] = {}
        if "network" not in doc:
            spec.params = {k: v[0] for k, v in self.numbers_table(doc, "params", lists=False).items()}
            for name in spec.params:
                self.define(defined, name, "params")
        for section, table in (("inputs", inputs), ("targets", targets)):
            for name in table:
                self.define(defined, name, section)
        if "network" in doc:
            if "params" in doc:
                raise self.error("[params]", "a [network] file gets its parameters from [network] "
                                             "(init, weights, biases); remove [params]")
            spec.network = self.network(doc["network"], inputs, targets)
            self.define(defined, NETWORK_LOSS_NAME, "network (the per-example loss)")
            spec.params = self.network_params(spec.network)
        else:
            spec.formulas, spec.graph = self.graph(doc["graph"], defined)
        spec.train = self.train(doc.get("train", {}), spec)
        if "vary" in doc:
            spec.vary, spec.vary_decimals = self.vary(doc["vary"], spec)
        return spec

    def vary(self, table: Any, spec: ExerciseSpec) -> tuple[dict[str, tuple[float, float]], int | None]:
        """[vary]: ``name = [low, high]`` per param, input or target; ``decimals = 2`` optional."""
        if not isinstance(table, dict):
            raise self.error("[vary]", "must be a table of name = [low, high], e.g. w1 = [-1, 1]")
        given = [*spec.params, *spec.inputs, *spec.targets]
        ranges, decimals = {}, None
        for name, value in table.items():
            where = f"[vary] {name}"
            if name == "decimals" and name not in given:
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 12:
                    raise self.error(where, f"expected a whole number of decimals from 0 to 12, got {value!r}")
                decimals = value
                continue
            if name not in given:
                raise self.error(where, f"{name!r} is not a param, input or target{_did_you_mean(name, given)}; "
                                        "[vary] gives a range for the numbers a quiz variant draws")
            if not isinstance(value, list) or len(value) != 2:
                raise self.error(where, f"expected [low, high], e.g. {name} = [-1, 1], got {value!r}")
            low, high = (self.number(v, where) for v in value)
            if low > high:
                raise self.error(where, f"low {low:g} is above high {high:g}; write [{high:g}, {low:g}]")
            ranges[name] = (low, high)
        return ranges, decimals

    def data(self, doc: dict[str, Any]) -> data.Dataset:
        """The examples of [data] (a CSV file or a scikit-learn data set), split and scaled."""
        if "inputs" in doc or "targets" in doc:
            raise self.error("[data]", "give the examples either in [inputs]/[targets] or in [data], not both")
        try:
            return data.load(doc["data"], Path(self.path).parent)
        except data.DataError as err:
            raise self.error(f"[data] {err.key}".rstrip(), str(err)) from None

    def define(self, defined: dict[str, str], name: str, section: str) -> None:
        where = f"[{section.split(' ')[0]}] {name}"
        if name in defined:
            raise self.error(where, f"{name} is already defined in [{defined[name]}]; give it another name")
        if section in ("params", "inputs", "targets", "graph"):
            if not name.isidentifier():
                raise self.error(where, "a name must be a letter or _ followed by letters, digits or _ "
                                        "(formulas refer to it)")
            if name in ops.FUNCTIONS:
                raise self.error(where, f"{name} is a function name; choose another name")
        defined[name] = section.split(" ")[0]

    # -- sections --------------------------------------------------------------------
    def numbers_table(self, doc: dict[str, Any], section: str, lists: bool = True) -> dict[str, list[float]]:
        table = doc.get(section, {})
        if not isinstance(table, dict):
            raise self.error(f"[{section}]", "must be a table of name = value")
        out = {}
        for name, value in table.items():
            where = f"[{section}] {name}"
            if isinstance(value, list):
                if not lists:
                    raise self.error(where, "a parameter has one initial value, not a list")
                if not value:
                    raise self.error(where, "the list is empty; give one value per example")
                out[name] = [self.number(v, where) for v in value]
            else:
                out[name] = [self.number(value, where)]
        return out

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(where, f"expected a number, got {value!r}")
        value = float(value)
        if value - value != 0.0:
            raise self.error(where, f"{value!r} is not a finite number")
        return value

    def example_count(self, inputs: dict[str, list[float]], targets: dict[str, list[float]]) -> int:
        lengths = {f"[{s}] {k}": len(v) for s, t in (("inputs", inputs), ("targets", targets))
                   for k, v in t.items() if len(v) > 1}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k} has {n}" for k, n in lengths.items())
            raise self.error("[inputs]/[targets]", f"lists of different lengths ({shown}); every list needs "
                                                   "one value per example")
        return next(iter(lengths.values()), 1)

    def graph(self, table: Any, defined: dict[str, str]) -> tuple[dict[str, str], dict[str, ast.expr]]:
        if not isinstance(table, dict) or not table:
            raise self.error("[graph]", 'must list named nodes in order, each name = "formula"')
        formulas, trees = {}, {}
        for name, text in table.items():
            where = f"[graph] {name}"
            self.define(defined, name, "graph")
            above = [k for k in defined if k != name]
            try:
                trees[name] = formula.parse(text, above)
            except formula.FormulaError as err:
                message = str(err)
                if f"unknown name {name} " in message or f"unknown name {name};" in message:
                    message = f"{text!r} uses {name} itself; a formula may only use the names defined above it"
                raise self.error(where, message) from None
            formulas[name] = text
        return formulas, trees

    def table(self, value: Any, section: str, keys: tuple[str, ...]) -> dict:
        """``value`` checked to be a table whose keys are among ``keys``."""
        if not isinstance(value, dict):
            raise self.error(f"[{section}]", "must be a table")
        for key in value:
            if key not in keys:
                raise self.error(f"[{section}] {key}", f"unknown key{_did_you_mean(key, keys)}; the keys are "
                                                       + ", ".join(keys))
        return value

    def train(self, table: Any, spec: ExerciseSpec) -> TrainSpec:
        table = self.table(table, "train", TRAIN_KEYS)
        train = TrainSpec()
        if spec.network is not None:
            if "loss" in table:
                raise self.error("[train] loss", "a [network] file names its loss in [network] loss "
                                                 f"({', '.join(nn.LOSSES)})")
        else:
            assert spec.graph is not None
            train.loss = table.get("loss", list(spec.graph)[-1])
            if train.loss not in spec.graph:
                raise self.error("[train] loss", f"{train.loss!r} is not a [graph] entry; the loss must be one "
                                                 f"of: {', '.join(spec.graph)}")
        if "learning_rate" in table:
            train.learning_rate = self.number(table["learning_rate"], "[train] learning_rate")
            if train.learning_rate <= 0:
                raise self.error("[train] learning_rate", "must be positive")
        batch = table.get("batch", "full")
        if batch != "full":
            if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
                raise self.error("[train] batch", f'expected a positive whole number or "full", got {batch!r}')
            if batch > spec.n_examples:
                raise self.error("[train] batch", f"{batch} examples per batch, but the file has "
                                                  f"{spec.n_examples}; use at most {spec.n_examples} or \"full\"")
            train.batch = batch
        if "trainable" in table:
            names = table["trainable"]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise self.error("[train] trainable", "expected a list of parameter names")
            for name in names:
                if name not in spec.params:
                    raise self.error("[train] trainable", f"{name!r} is not a parameter"
                                     f"{_did_you_mean(name, spec.params)}; the parameters are "
                                     + ", ".join(spec.params))
            train.trainable = names
        if "epochs" in table:
            epochs = table["epochs"]
            if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
                raise self.error("[train] epochs", f"expected a positive whole number, got {epochs!r}")
            train.epochs = epochs
        if "momentum" in table:
            train.momentum = self.number(table["momentum"], "[train] momentum")
            if not 0.0 <= train.momentum < 1.0:
                raise self.error("[train] momentum", "must be in [0, 1)")
        return train

    def network(self, table: Any, inputs: dict, targets: dict) -> NetworkSpec:
        table = self.table(table, "network", NETWORK_KEYS)
        sizes = table.get("sizes")
        if (not isinstance(sizes, list) or len(sizes) < 2
                or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes)):
            raise self.error("[network] sizes", "expected a list of at least two positive layer sizes, "
                                                "inputs first: [2, 2, 1]")
        if sizes[0] != len(inputs):
            raise self.error("[network] sizes", f"the network has {sizes[0]} inputs but [inputs] has "
                                                f"{len(inputs)} ({', '.join(inputs) or 'none'})")
        if sizes[-1] != len(targets):
            raise self.error("[network] sizes", f"the network has {sizes[-1]} outputs but [targets] has "
                                                f"{len(targets)} ({', '.join(targets) or 'none'})")
        net = NetworkSpec(sizes=list(sizes))
        net.hidden = self.choice(table, "hidden", nn.ACTIVATIONS, net.hidden)
        net.output = self.choice(table, "output", nn.OUTPUT_ACTIVATIONS, net.output)
        net.loss = self.choice(table, "loss", nn.LOSSES, net.loss)
        if net.loss == "cross_entropy" and net.output != "softmax":
            raise self.error("[network] loss", 'cross_entropy is taken of a softmax output: set output = "softmax"')
        bias = table.get("bias", True)
        if not isinstance(bias, bool):
            raise self.error("[network] bias", "expected true or false")
        net.bias = bias
        init = table.get("init", {})
        if not isinstance(init, dict) or set(init) - {"seed", "scale"}:
            raise self.error("[network] init", "expected { seed = 0, scale = 0.1 }")
        seed = init.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise self.error("[network] init", f"seed must be a non-negative whole number, got {seed!r}")
        net.seed = seed
        net.scale = self.number(init.get("scale", 0.1), "[network] init scale")
        shapes = list(zip(sizes[:-1], sizes[1:]))
        if "weights" in table:
            net.weights = self.matrices(table["weights"], "weights", shapes)
        if "biases" in table:
            if not bias:
                raise self.error("[network] biases", "given, but bias = false")
            net.biases = [v[0] for v in self.matrices(table["biases"], "biases", [(1, n) for _, n in shapes])]
        net.names = self.names(table.get("names", {}), shapes, bias)
        if "units" in table:
            units = table["units"]
            if (not isinstance(units, list) or len(units) != len(shapes)
                    or any(not isinstance(u, list) or len(u) != n for u, (_, n) in zip(units, shapes))):
                raise self.error("[network] units", "expected one list of unit names per layer after the inputs, "
                                                    f"of sizes {sizes[1:]}")
            net.units = [[str(u) for u in layer] for layer in units]
        return net

    def choice(self, table: dict, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = table.get(key, default)
        if value not in allowed:
            raise self.error(f"[network] {key}", f"unknown value {value!r}{_did_you_mean(str(value), allowed)}; "
                                                 f"expected one of {', '.join(allowed)}")
        return value

    def matrices(self, value: Any, key: str, shapes: list[tuple[int, int]]) -> list[np.ndarray]:
        where = f"[network] {key}"
        if not isinstance(value, list) or len(value) != len(shapes):
            raise self.error(where, f"expected one entry per layer ({len(shapes)})")
        out = []
        for layer, (entry, shape) in enumerate(zip(value, shapes), start=1):
            rows = entry if shape[0] > 1 or (entry and isinstance(entry[0], list)) else [entry]
            try:
                array = np.array(rows, dtype=np.float64)
            except (TypeError, ValueError):
                raise self.error(where, f"layer {layer}: expected numbers, got {entry!r}") from None
            if array.shape != shape:
                want = f"{shape[0]} rows of {shape[1]}" if key == "weights" else f"{shape[1]} numbers"
                raise self.error(where, f"layer {layer}: expected {want} (W has shape (inputs, outputs)), "
                                        f"got shape {array.shape}")
            if not np.all(np.isfinite(array)):
                raise self.error(where, f"layer {layer}: not every value is a finite number")
            out.append(array)
        return out

    def names(self, table: Any, shapes: list[tuple[int, int]], bias: bool) -> dict[str, list]:
        where = "[network] names"
        if not isinstance(table, dict):
            raise self.error(where, 'expected { W1 = [["w1", "w2"], ["w3", "w4"]], b1 = ["b1", "b1"], ... }')
        allowed = {f"W{k}": s for k, s in enumerate(shapes, start=1)}
        if bias:
            allowed.update({f"b{k}": (1, s[1]) for k, s in enumerate(shapes, start=1)})
        out = {}
        for key, value in table.items():
            if key not in allowed:
                raise self.error(where, f"unknown key {key!r}; expected some of {', '.join(allowed)}")
            rows, cols = allowed[key]
            grid = value if key.startswith("W") else [value]
            if (not isinstance(grid, list) or len(grid) != rows
                    or any(not isinstance(r, list) or len(r) != cols or not all(isinstance(x, str) for x in r)
                           for r in grid)):
                raise self.error(where, f"{key}: expected {rows} rows of {cols} names" if key.startswith("W")
                                 else f"{key}: expected {cols} names")
            out[key] = value
        return out

    def network_params(self, net: NetworkSpec) -> dict[str, float]:
        weights, biases = net.matrices()
        try:
            mlp = nn.MLP(weights, biases, net.hidden, net.output, net.names)
        except ValueError as err:
            raise self.error("[network] names", str(err)) from None
        return {p.name: p.value for p in mlp.parameters()}


def _did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]}?)" if close else ""
