"""Exercise files: TOML read with the standard reader, checked, turned into an ``ExerciseSpec``.

Every problem is reported as one ``SpecError`` that names the file, the section and key,
what is wrong and how to fix it. See the README for the format.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import data, formula, nn
from .files import check_input_file
from .i18n import LANGUAGES, _, language, ngettext

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

# The stated limits (README "Limits"), checked before anything is built.
MAX_PARAMETERS = 1_000_000  # of a [network]
MAX_SCALAR_NODES = 2_000_000  # scalar nodes in the graph of one batch (the scalar and compiled engines)
MAX_MATRIX_BYTES = 2 * 2**30  # the matrix engine's arrays for one batch


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
    problem = check_input_file(path)
    if problem:
        raise SpecError(f"{path}: {problem}")
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as err:
        raise SpecError(f"{path}: " + _("cannot be read ({reason})").format(reason=err.strerror or err)) from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: " + _("not a text file (TOML must be UTF-8)")) from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError(_bare_key_message(path, err)
                        or f"{path}: " + _("not valid TOML: {reason}").format(reason=err)) from None
    except RecursionError:
        raise SpecError(f"{path}: " + _("not valid TOML: {reason}").format(reason=_("nested too deeply"))) from None
    except ValueError as err:  # a whole number of more than 4300 digits
        raise SpecError(f"{path}: " + _("not valid TOML: {reason}").format(reason=formula.cut(str(err), 100))) from None
    return from_dict(doc, str(path))


def _bare_key_message(path: Path, err: ValueError) -> str | None:
    """The fix for TOML's 'Invalid statement' on a key like 输入1: TOML allows only A-Z a-z
    0-9 _ - in a key without quotes. None when the error is about something else."""
    where = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
    if where is None:
        return None
    line, column = int(where.group(1)), int(where.group(2))
    try:
        text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    key = re.match(r"[\w-]+", text[column - 1:])  # letters of any script, digits, _ and -
    if key is None or key.group(0).isascii():
        return None
    return _("{path}: not valid TOML: line {line}: the key {key} must be in double quotes (TOML allows only "
             "A-Z, a-z, 0-9, _ and - in a bare key): write \"{key}\" instead of {key}").format(
        path=path, line=line, key=key.group(0))


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
                                 _("unknown section{hint}; the sections are {sections}").format(
                                     hint=_did_you_mean(key, SECTIONS), sections=", ".join(SECTIONS)))
        if ("graph" in doc) == ("network" in doc):
            raise self.error("file", _("needs exactly one of [graph] (named formulas) or [network] "
                                       "(a layered network)"))
        title = self.in_language(doc, "title", Path(self.path).stem)
        description = self.in_language(doc, "description", "")
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
                raise self.error("[params]", _("a [network] file gets its parameters from [network] "
                                               "(init, weights, biases); remove [params]"))
            spec.network = self.network(doc["network"], inputs, targets)
            self.define(defined, NETWORK_LOSS_NAME, "loss")
            spec.params = self.network_params(spec.network)
            self.check_node_names(spec, defined)
        else:
            spec.formulas, spec.graph = self.graph(doc["graph"], defined)
        spec.train = self.train(doc.get("train", {}), spec)
        self.check_matrix_memory(spec)
        if "vary" in doc:
            spec.vary, spec.vary_decimals = self.vary(doc["vary"], spec)
        return spec

    def in_language(self, doc: dict[str, Any], key: str, default: str) -> str:
        """``key`` (title, description) as a string, or a table of one per language
        (``title = { en = "…", zh = "…" }``) read in the current language, else English,
        else the first one given."""
        value = doc.get(key, default)
        if isinstance(value, str):
            return value
        if not isinstance(value, dict) or not value:
            raise self.error(key, _('must be a string, or one string per language: {key} = {{ en = "…", zh = "…" }}')
                             .format(key=key))
        for lang, text in value.items():
            if lang not in LANGUAGES:
                raise self.error(f"{key}.{lang}", _("unknown language{hint}; the languages are {languages}").format(
                    hint=_did_you_mean(lang, LANGUAGES), languages=", ".join(LANGUAGES)))
            if not isinstance(text, str):
                raise self.error(f"{key}.{lang}", _("must be a string, got {value}").format(value=_shown(text)))
        return value.get(language(), value.get("en", next(iter(value.values()))))

    def check_matrix_memory(self, spec: ExerciseSpec) -> None:
        """Refuse a [network] whose arrays for one batch cannot fit, even on the matrix engine."""
        if spec.network is None:
            return
        batch = spec.train.batch or spec.n_examples
        needed = matrix_bytes(spec.network.sizes, batch)
        if needed > MAX_MATRIX_BYTES:
            raise self.error("[network] sizes", _(
                "one batch of {batch} examples through {sizes} needs about {needed} of arrays, over the limit "
                "of {limit}; use a smaller [train] batch (batch = 1) or fewer examples").format(
                batch=f"{batch:,}", sizes=spec.network.sizes, needed=_size(needed), limit=_size(MAX_MATRIX_BYTES)))

    def vary(self, table: Any, spec: ExerciseSpec) -> tuple[dict[str, tuple[float, float]], int | None]:
        """[vary]: ``name = [low, high]`` per param, input or target; ``decimals = 2`` optional."""
        if not isinstance(table, dict):
            raise self.error("[vary]", _("must be a table of name = [low, high], e.g. w1 = [-1, 1]"))
        given = [*spec.params, *spec.inputs, *spec.targets]
        ranges, decimals = {}, None
        for name, value in table.items():
            where = f"[vary] {name}"
            if name == "decimals" and name not in given:
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 12:
                    raise self.error(where, _("expected a whole number of decimals from 0 to 12, got {value}").format(
                        value=repr(value)))
                decimals = value
                continue
            if name not in given:
                raise self.error(where, _("{name} is not a param, input or target{hint}; [vary] gives a range "
                                          "for the numbers a quiz variant draws").format(
                    name=repr(name), hint=_did_you_mean(name, given)))
            if not isinstance(value, list) or len(value) != 2:
                raise self.error(where, _("expected [low, high], e.g. {name} = [-1, 1], got {value}").format(
                    name=name, value=repr(value)))
            low, high = (self.number(v, where) for v in value)
            if low > high:
                raise self.error(where, _("low {low} is above high {high}; write [{high}, {low}]").format(
                    low=f"{low:g}", high=f"{high:g}"))
            ranges[name] = (low, high)
        return ranges, decimals

    def data(self, doc: dict[str, Any]) -> data.Dataset:
        """The examples of [data] (a CSV file or a scikit-learn data set), split and scaled."""
        if "inputs" in doc or "targets" in doc:
            raise self.error("[data]", _("give the examples either in [inputs]/[targets] or in [data], not both"))
        try:
            return data.load(doc["data"], Path(self.path).parent)
        except data.DataError as err:
            raise self.error(f"[data] {err.key}".rstrip(), str(err)) from None

    def define(self, defined: dict[str, str], name: str, section: str) -> str:
        """Record ``name`` (of ``section``) as taken and return it as formulas read it
        (NFKC-normalised); a bad name, or one that reads as a name already taken, is an error."""
        key = formula.normal_name(name) if isinstance(name, str) else name
        problem = formula.name_error(key)
        if problem is None and key in defined:
            earlier = defined[key]
            written = earlier.rpartition(" ")[2]  # the name as the earlier entry spells it
            problem = (_("{name} is already defined in {earlier}; give it another name").format(
                name=name, earlier=earlier) if written == name else
                _("{name} and {written} ({earlier}) are the same name to Python, which reads both as {key} "
                  "(NFKC); rename one of them").format(name=repr(name), written=repr(written), earlier=earlier,
                                                       key=repr(key)))
        if problem:
            raise self.error(f"[{section}] {formula.label(name)}" if section != "loss" else "[network] loss", problem)
        defined[key] = (f"[{section}] {name}" if section != "loss"
                        else _("the network's per-example loss {name}").format(name=name))
        return key

    # -- sections --------------------------------------------------------------------
    def numbers_table(self, doc: dict[str, Any], section: str, lists: bool = True) -> dict[str, list[float]]:
        table = doc.get(section, {})
        if not isinstance(table, dict):
            raise self.error(f"[{section}]", _("must be a table of name = value"))
        out = {}
        defined: dict[str, str] = {}
        for name, value in table.items():
            where = f"[{section}] {formula.label(name)}"
            key = self.define(defined, name, section)
            if isinstance(value, list):
                if not lists:
                    raise self.error(where, _("a parameter has one initial value, not a list"))
                if not value:
                    raise self.error(where, _("the list is empty; give one value per example"))
                out[key] = [self.number(v, where) for v in value]
            else:
                out[key] = [self.number(value, where)]
        return out

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            shown = ("true" if value else "false") if isinstance(value, bool) else formula.cut(repr(value), 40)
            raise self.error(where, _("expected a number, got {value}").format(value=shown))
        try:
            value = float(value)
        except OverflowError:
            raise self.error(where, _("the number is too big for a float (at most about 1.8e308)")) from None
        if value - value != 0.0:
            raise self.error(where, _("{value} is not a finite number").format(value=_shown(value)))
        return value

    def example_count(self, inputs: dict[str, list[float]], targets: dict[str, list[float]]) -> int:
        lengths = {f"[{s}] {k}": len(v) for s, t in (("inputs", inputs), ("targets", targets))
                   for k, v in t.items() if len(v) > 1}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(_("{key} has {n}").format(key=k, n=n) for k, n in lengths.items())
            raise self.error("[inputs]/[targets]", _("lists of different lengths ({lengths}); every list needs "
                                                     "one value per example").format(lengths=shown))
        return next(iter(lengths.values()), 1)

    def graph(self, table: Any, defined: dict[str, str]) -> tuple[dict[str, str], dict[str, ast.expr]]:
        if not isinstance(table, dict) or not table:
            raise self.error("[graph]", _('must list named nodes in order, each name = "formula"'))
        formulas, trees = {}, {}
        for name, text in table.items():
            key = formula.normal_name(name)
            try:  # parsed before ``name`` is defined: the names above it, without building a list per entry
                tree = formula.parse(text, defined)
            except formula.FormulaError as err:
                message = str(err)
                if err.unknown == key:
                    message = _("{formula} uses {name} itself; a formula may only use the names defined above "
                                "it").format(formula=formula.shown(text), name=name)
                self.define(defined, name, "graph")  # a bad or taken name is the first thing to say
                raise self.error(f"[graph] {formula.label(name)}", message) from None
            key = self.define(defined, name, "graph")
            trees[key], formulas[key] = tree, text
        return formulas, trees

    def table(self, value: Any, section: str, keys: tuple[str, ...]) -> dict:
        """``value`` checked to be a table whose keys are among ``keys``."""
        if not isinstance(value, dict):
            raise self.error(f"[{section}]", _("must be a table"))
        for key in value:
            if key not in keys:
                raise self.error(f"[{section}] {key}", _("unknown key{hint}; the keys are {keys}").format(
                    hint=_did_you_mean(key, keys), keys=", ".join(keys)))
        return value

    def train(self, table: Any, spec: ExerciseSpec) -> TrainSpec:
        table = self.table(table, "train", TRAIN_KEYS)
        train = TrainSpec()
        if spec.network is not None:
            if "loss" in table:
                raise self.error("[train] loss", _("a [network] file names its loss in [network] loss "
                                                   "({losses})").format(losses=", ".join(nn.LOSSES)))
        else:
            assert spec.graph is not None
            loss = table.get("loss", list(spec.graph)[-1])
            if not isinstance(loss, str):
                raise self.error("[train] loss", _('expected the name of a [graph] entry in quotes, e.g. loss = '
                                                   '"{last}", got {value}').format(
                    last=list(spec.graph)[-1], value=formula.cut(repr(loss), 40)))
            train.loss = formula.normal_name(loss)
            if train.loss not in spec.graph:
                raise self.error("[train] loss", _("{name} is not a [graph] entry; the loss must be one of: "
                                                   "{names}").format(name=formula.shown(loss, 40),
                                                                     names=_listed(spec.graph)))
        if "learning_rate" in table:
            train.learning_rate = self.number(table["learning_rate"], "[train] learning_rate")
            if train.learning_rate <= 0:
                raise self.error("[train] learning_rate", _("must be positive"))
        batch = table.get("batch", "full")
        if batch != "full":
            if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
                raise self.error("[train] batch", _('expected a positive whole number or "full", got {value}').format(
                    value=_shown(batch)))
            if batch > spec.n_examples:
                raise self.error("[train] batch", _('{batch} examples per batch, but the file has {n}; use at '
                                                    'most {n} or "full"').format(batch=batch, n=spec.n_examples))
            train.batch = batch
        if "trainable" in table:
            names = table["trainable"]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise self.error("[train] trainable", _("expected a list of parameter names"))
            listed: dict[str, str] = {}  # normalised -> as written: a set, so checking is linear
            for name in names:
                key = formula.normal_name(name)
                if key not in spec.params:
                    raise self.error("[train] trainable", _("{name} is not a parameter{hint}; the parameters "
                                                            "are {names}").format(
                        name=formula.shown(name, 40), hint=_did_you_mean(key, spec.params),
                        names=_listed(spec.params)))
                if key in listed:
                    spelled = "" if listed[key] == name else _(" (as {first} and {second})").format(
                        first=repr(listed[key]), second=repr(name))
                    raise self.error("[train] trainable", _("{name} is listed twice{spelled}; list each parameter "
                                                            "once (it would be updated twice per step)").format(
                        name=name, spelled=spelled))
                listed[key] = name
            train.trainable = list(listed)
        if "epochs" in table:
            epochs = table["epochs"]
            if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
                raise self.error("[train] epochs", _("expected a positive whole number, got {value}").format(
                    value=_shown(epochs)))
            train.epochs = epochs
        if "momentum" in table:
            train.momentum = self.number(table["momentum"], "[train] momentum")
            if not 0.0 <= train.momentum < 1.0:
                raise self.error("[train] momentum", _("must be in [0, 1)"))
        return train

    def network(self, table: Any, inputs: dict, targets: dict) -> NetworkSpec:
        table = self.table(table, "network", NETWORK_KEYS)
        sizes = table.get("sizes")
        if (not isinstance(sizes, list) or len(sizes) < 2
                or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes)):
            raise self.error("[network] sizes", _("expected a list of at least two positive layer sizes, "
                                                  "inputs first: [2, 2, 1]"))
        if sizes[0] != len(inputs):
            raise self.error("[network] sizes", _("the network has {n} inputs but [inputs] has {given} "
                                                  "({names})").format(
                n=sizes[0], given=len(inputs), names=", ".join(inputs) or _("none")))
        if sizes[-1] != len(targets):
            raise self.error("[network] sizes", _("the network has {n} outputs but [targets] has {given} "
                                                  "({names})").format(
                n=sizes[-1], given=len(targets), names=", ".join(targets) or _("none")))
        self.check_parameter_count(sizes, table.get("bias", True) is not False)
        net = NetworkSpec(sizes=list(sizes))
        net.hidden = self.choice(table, "hidden", nn.ACTIVATIONS, net.hidden)
        net.output = self.choice(table, "output", nn.OUTPUT_ACTIVATIONS, net.output)
        net.loss = self.choice(table, "loss", nn.LOSSES, net.loss)
        if net.loss == "cross_entropy" and net.output != "softmax":
            raise self.error("[network] loss", _('cross_entropy is taken of a softmax output: set output = "softmax"'))
        bias = table.get("bias", True)
        if not isinstance(bias, bool):
            raise self.error("[network] bias", _("expected true or false"))
        net.bias = bias
        init = table.get("init", {})
        if not isinstance(init, dict) or set(init) - {"seed", "scale"}:
            raise self.error("[network] init", _("expected {example}").format(example="{ seed = 0, scale = 0.1 }"))
        seed = init.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise self.error("[network] init", _("seed must be a non-negative whole number, got {value}").format(
                value=_shown(seed)))
        net.seed = seed
        net.scale = self.number(init.get("scale", 0.1), "[network] init scale")
        shapes = list(zip(sizes[:-1], sizes[1:]))
        if "weights" in table:
            net.weights = self.matrices(table["weights"], "weights", shapes)
        if "biases" in table:
            if not bias:
                raise self.error("[network] biases", _("given, but bias = false"))
            net.biases = [v[0] for v in self.matrices(table["biases"], "biases", [(1, n) for _n_in, n in shapes])]
        net.names = self.names(table.get("names", {}), shapes, bias)
        if "units" in table:
            units = table["units"]
            if (not isinstance(units, list) or len(units) != len(shapes)
                    or any(not isinstance(u, list) or len(u) != n for u, (_n_in, n) in zip(units, shapes))):
                raise self.error("[network] units", _("expected one list of unit names per layer after the "
                                                      "inputs, of sizes {sizes}").format(sizes=sizes[1:]))
            net.units = [[str(u) for u in layer] for layer in units]
            self.check_unit_names(net.units)
        return net

    def check_parameter_count(self, sizes: list[int], bias: bool) -> None:
        """Refuse a network too big to hold, before any array is made."""
        count = sum(n_in * n_out + (n_out if bias else 0) for n_in, n_out in zip(sizes[:-1], sizes[1:]))
        if count > MAX_PARAMETERS:
            raise self.error("[network] sizes", _("{sizes} has {count} parameters (about {size} as numbers, far "
                                                  "more as scalar nodes); the limit is {limit}: use smaller "
                                                  "layers").format(sizes=sizes, count=f"{count:,}",
                                                                   size=_size(count * 8), limit=f"{MAX_PARAMETERS:,}"))

    def check_unit_names(self, units: list[list[str]]) -> None:
        """Unit names are names of nodes (net_h1, out_h1): each must be a name, used once."""
        seen: dict[str, str] = {}
        for layer, names in enumerate(units, start=1):
            for unit, name in enumerate(names, start=1):
                key = formula.normal_name(name)
                problem = formula.name_error(key)
                if problem:
                    raise self.error("[network] units", _("layer {layer}: {problem}").format(layer=layer,
                                                                                              problem=problem))
                if key in seen:
                    raise self.error("[network] units", _("{name} names two units ({first} and {second}); give "
                                                          "each unit its own name").format(
                        name=name, first=seen[key], second=_("unit {unit} of layer {layer}").format(unit=unit,
                                                                                                   layer=layer)))
                seen[key] = _("unit {unit} of layer {layer}").format(unit=unit, layer=layer)

    def choice(self, table: dict, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = table.get(key, default)
        if value not in allowed:
            raise self.error(f"[network] {key}", _("unknown value {value}{hint}; expected one of {allowed}").format(
                value=_shown(value), hint=_did_you_mean(str(value), allowed), allowed=", ".join(allowed)))
        return value

    def matrices(self, value: Any, key: str, shapes: list[tuple[int, int]]) -> list[np.ndarray]:
        where = f"[network] {key}"
        if not isinstance(value, list) or len(value) != len(shapes):
            raise self.error(where, _("expected one entry per layer ({n})").format(n=len(shapes)))
        out = []
        for layer, (entry, shape) in enumerate(zip(value, shapes), start=1):
            if not isinstance(entry, list):
                expected = (_("layer {layer}: expected a list of numbers per row, got {value}") if key == "weights"
                            else _("layer {layer}: expected a list of numbers, got {value}"))
                raise self.error(where, expected.format(layer=layer, value=formula.cut(repr(entry), 40)))
            rows = entry if shape[0] > 1 or (entry and isinstance(entry[0], list)) else [entry]
            cells = [x for row in rows for x in (row if isinstance(row, list) else [row])]
            if any(isinstance(x, (bool, str)) for x in cells):  # numpy would read "4" as 4.0 and true as 1.0
                raise self.error(where, _("layer {layer}: expected numbers, got {value}").format(
                    layer=layer, value=formula.cut(repr(entry), 40)))
            try:
                array = np.array(rows, dtype=np.float64)
            except (TypeError, ValueError):
                raise self.error(where, _("layer {layer}: expected numbers, got {value}").format(
                    layer=layer, value=formula.cut(repr(entry), 40))) from None
            if array.shape != shape:
                want = (_("{rows} rows of {cols}").format(rows=shape[0], cols=shape[1]) if key == "weights"
                        else _("{n} numbers").format(n=shape[1]))
                raise self.error(where, _("layer {layer}: expected {want} (W has shape (inputs, outputs)), got "
                                          "shape {shape}").format(layer=layer, want=want, shape=array.shape))
            if not np.all(np.isfinite(array)):
                raise self.error(where, _("layer {layer}: not every value is a finite number").format(layer=layer))
            out.append(array)
        return out

    def names(self, table: Any, shapes: list[tuple[int, int]], bias: bool) -> dict[str, list]:
        where = "[network] names"
        if not isinstance(table, dict):
            raise self.error(where, _("expected {example}").format(
                example='{ W1 = [["w1", "w2"], ["w3", "w4"]], b1 = ["b1", "b1"], ... }'))
        allowed = {f"W{k}": s for k, s in enumerate(shapes, start=1)}
        if bias:
            allowed.update({f"b{k}": (1, s[1]) for k, s in enumerate(shapes, start=1)})
        out = {}
        for key, value in table.items():
            if key not in allowed:
                raise self.error(where, _("unknown key {key}; expected some of {allowed}").format(
                    key=repr(key), allowed=", ".join(allowed)))
            rows, cols = allowed[key]
            grid = value if key.startswith("W") else [value]
            if (not isinstance(grid, list) or len(grid) != rows
                    or any(not isinstance(r, list) or len(r) != cols or not all(isinstance(x, str) for x in r)
                           for r in grid)):
                expected = (_("{key}: expected {rows} rows of {cols} names") if key.startswith("W")
                            else _("{key}: expected {cols} names"))
                raise self.error(where, expected.format(key=key, rows=rows, cols=cols))
            for name in (x for r in grid for x in r):
                problem = formula.name_error(formula.normal_name(name))
                if problem:
                    raise self.error(where, f"{key}: {problem}")
            normal = [[formula.normal_name(x) for x in r] for r in grid]
            out[key] = normal if key.startswith("W") else normal[0]
        return out

    def check_node_names(self, spec: ExerciseSpec, defined: dict[str, str]) -> None:
        """A [network]'s parameter and unit node names must not be an input's, a target's, the
        loss's or each other's: a name is one value in every table and the JSON."""
        net = spec.network
        assert net is not None
        taken = dict(defined)
        for name in spec.params:
            if name in taken:
                raise self.error("[network] names", _("the parameter {name} has the name of {other}; give it "
                                                      "another name").format(name=name, other=taken[name]))
            taken[name] = _("the parameter {name}").format(name=name)
        for layer, size in enumerate(net.sizes[1:], start=1):
            for j in range(size):
                for node in nn.unit_node_names(layer, j, net.units):
                    if node in taken:
                        raise self.error("[network] units" if net.units else "[network] names",
                                         _("the node {node} of layer {layer} has the name of {other}; rename "
                                           "one of them").format(node=node, layer=layer, other=taken[node]))
                    taken[node] = _("the node {node} of layer {layer}").format(node=node, layer=layer)


    def network_params(self, net: NetworkSpec) -> dict[str, float]:
        weights, biases = net.matrices()
        try:
            mlp = nn.MLP(weights, biases, net.hidden, net.output, net.names)
        except ValueError as err:
            raise self.error("[network] names", str(err)) from None
        return {p.name: p.value for p in mlp.parameters()}


def matrix_bytes(sizes: list[int], batch: int) -> int:
    """About the memory of the matrix engine's arrays: the weights (with their gradients and
    velocities) and, per example of a batch, each layer's net inputs, activations and gradients."""
    weights = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    return 8 * (3 * weights + 4 * batch * sum(sizes))


def scalar_nodes(spec: ExerciseSpec) -> int:
    """About how many scalar nodes the graph of one batch has (an estimate from the spec,
    made before anything is built): per example, a [network]'s products, sums and
    activations, or a [graph]'s operators, numbers and leaves; times the batch size."""
    if spec.network is not None:
        sizes, bias = spec.network.sizes, spec.network.bias
        per_example = sum(2 * a * b + (b if bias else 0) + 3 * b for a, b in zip(sizes[:-1], sizes[1:]))
        per_example += 4 * sizes[-1] + sizes[0]  # the loss and the inputs
    else:
        assert spec.formulas is not None
        per_example = len(spec.inputs) + len(spec.targets) + sum(map(formula.size, spec.formulas.values()))
    return per_example * (spec.train.batch or spec.n_examples)


def check_scalar_size(spec: ExerciseSpec) -> None:
    """Refuse, before building anything, a batch graph too big for the scalar engines."""
    nodes = scalar_nodes(spec)
    if nodes <= MAX_SCALAR_NODES:
        return
    batch = spec.train.batch or spec.n_examples
    cheaper = ["--engine matrix"] if spec.network is not None else []
    if batch > 1:
        cheaper += [_("fewer examples"), _("batch = 1 in [train]")]
    else:
        cheaper.append(_("smaller layers") if spec.network is not None else _("a smaller graph"))
    examples = ngettext("{n} example", "{n} examples", batch).format(n=f"{batch:,}")
    raise SpecError(f"{spec.path}: " + _("one batch ({examples}) would be about {nodes} scalar nodes (about "
                                         "{size}), over the scalar engine's limit of {limit}; use {cheaper}").format(
        examples=examples, nodes=f"{nodes:,}", size=_size(nodes * 200), limit=f"{MAX_SCALAR_NODES:,}",
        cheaper=_(", or ").join(cheaper)))


def _size(n_bytes: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n_bytes < 1024 or unit == "TB":
            return _("{n} bytes").format(n=f"{n_bytes:,.0f}") if unit == "bytes" else f"{n_bytes:,.1f} {unit}"
        n_bytes /= 1024
    return ""


def _listed(names: Any, limit: int = 30) -> str:
    """Names for a message, the first ``limit`` of them."""
    names = list(names)
    more = _(", … ({n} more)").format(n=len(names) - limit) if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _shown(value: Any) -> str:
    """A value from the file for a message, its repr cut to 60 characters."""
    return formula.cut(repr(value), 60)


def _did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return _(" (did you mean {name}?)").format(name=close[0]) if close else ""
