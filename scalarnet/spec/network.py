"""[network]: a layered network's sizes, activations, loss, initial weights and names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import nn
from ..i18n import _
from . import formula
from .limits import MAX_PARAMETERS
from .model import NETWORK_KEYS, ExerciseSpec, NetworkSpec
from .reader import Reader, did_you_mean, size_text, value_text


def read_network(r: Reader, table: Any, inputs: dict, targets: dict) -> NetworkSpec:
    table = r.table(table, "network", NETWORK_KEYS)
    sizes = table.get("sizes")
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes)):
        raise r.error("[network] sizes", _("expected a list of at least two positive layer sizes, "
                                              "inputs first: [2, 2, 1]"))
    if sizes[0] != len(inputs):
        raise r.error("[network] sizes", _("the network has {n} inputs but [inputs] has {given} "
                                              "({names})").format(
            n=sizes[0], given=len(inputs), names=", ".join(inputs) or _("none")))
    if sizes[-1] != len(targets):
        raise r.error("[network] sizes", _("the network has {n} outputs but [targets] has {given} "
                                              "({names})").format(
            n=sizes[-1], given=len(targets), names=", ".join(targets) or _("none")))
    check_parameter_count(r, sizes, table.get("bias", True) is not False)
    net = NetworkSpec(sizes=list(sizes))
    net.hidden = choice(r, table, "hidden", nn.ACTIVATIONS, net.hidden)
    net.output = choice(r, table, "output", nn.OUTPUT_ACTIVATIONS, net.output)
    net.loss = choice(r, table, "loss", nn.LOSSES, net.loss)
    if net.loss == "cross_entropy" and net.output != "softmax":
        raise r.error("[network] loss", _('cross_entropy is taken of a softmax output: set output = "softmax"'))
    bias = table.get("bias", True)
    if not isinstance(bias, bool):
        raise r.error("[network] bias", _("expected true or false"))
    net.bias = bias
    init = table.get("init", {})
    if not isinstance(init, dict) or set(init) - {"seed", "scale"}:
        raise r.error("[network] init", _("expected {example}").format(example="{ seed = 0, scale = 0.1 }"))
    seed = init.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise r.error("[network] init", _("seed must be a non-negative whole number, got {value}").format(
            value=value_text(seed)))
    net.seed = seed
    net.scale = r.number(init.get("scale", 0.1), "[network] init scale")
    shapes = list(zip(sizes[:-1], sizes[1:]))
    if "weights" in table:
        net.weights = matrices(r, table["weights"], "weights", shapes)
    if "biases" in table:
        if not bias:
            raise r.error("[network] biases", _("given, but bias = false"))
        net.biases = [v[0] for v in matrices(r, table["biases"], "biases", [(1, n) for _n_in, n in shapes])]
    net.names = read_names(r, table.get("names", {}), shapes, bias)
    if "units" in table:
        units = table["units"]
        if (not isinstance(units, list) or len(units) != len(shapes)
                or any(not isinstance(u, list) or len(u) != n for u, (_n_in, n) in zip(units, shapes))):
            raise r.error("[network] units", _("expected one list of unit names per layer after the "
                                                  "inputs, of sizes {sizes}").format(sizes=sizes[1:]))
        net.units = [[str(u) for u in layer] for layer in units]
        check_unit_names(r, net.units)
    return net


def check_parameter_count(r: Reader, sizes: list[int], bias: bool) -> None:
    """Refuse a network too big to hold, before any array is made."""
    count = sum(n_in * n_out + (n_out if bias else 0) for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    if count > MAX_PARAMETERS:
        raise r.error("[network] sizes", _("{sizes} has {count} parameters (about {size} as numbers, far "
                                              "more as scalar nodes); the limit is {limit}: use smaller "
                                              "layers").format(sizes=sizes, count=f"{count:,}",
                                                               size=size_text(count * 8), limit=f"{MAX_PARAMETERS:,}"))


def check_unit_names(r: Reader, units: list[list[str]]) -> None:
    """Unit names are names of nodes (net_h1, out_h1): each must be a name, used once."""
    seen: dict[str, str] = {}
    for layer, names in enumerate(units, start=1):
        for unit, name in enumerate(names, start=1):
            key = formula.normal_name(name)
            problem = formula.name_error(key)
            if problem:
                raise r.error("[network] units", _("layer {layer}: {problem}").format(layer=layer,
                                                                                          problem=problem))
            if key in seen:
                raise r.error("[network] units", _("{name} names two units ({first} and {second}); give "
                                                      "each unit its own name").format(
                    name=name, first=seen[key], second=_("unit {unit} of layer {layer}").format(unit=unit,
                                                                                               layer=layer)))
            seen[key] = _("unit {unit} of layer {layer}").format(unit=unit, layer=layer)


def choice(r: Reader, table: dict, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = table.get(key, default)
    if value not in allowed:
        raise r.error(f"[network] {key}", _("unknown value {value}{hint}; expected one of {allowed}").format(
            value=value_text(value), hint=did_you_mean(str(value), allowed), allowed=", ".join(allowed)))
    return value


def matrices(r: Reader, value: Any, key: str, shapes: list[tuple[int, int]]) -> list[np.ndarray]:
    where = f"[network] {key}"
    if not isinstance(value, list) or len(value) != len(shapes):
        raise r.error(where, _("expected one entry per layer ({n})").format(n=len(shapes)))
    out = []
    for layer, (entry, shape) in enumerate(zip(value, shapes), start=1):
        if not isinstance(entry, list):
            expected = (_("layer {layer}: expected a list of numbers per row, got {value}") if key == "weights"
                        else _("layer {layer}: expected a list of numbers, got {value}"))
            raise r.error(where, expected.format(layer=layer, value=formula.cut(repr(entry), 40)))
        rows = entry if shape[0] > 1 or (entry and isinstance(entry[0], list)) else [entry]
        cells = [x for row in rows for x in (row if isinstance(row, list) else [row])]
        if any(isinstance(x, (bool, str)) for x in cells):  # numpy would read "4" as 4.0 and true as 1.0
            raise r.error(where, _("layer {layer}: expected numbers, got {value}").format(
                layer=layer, value=formula.cut(repr(entry), 40)))
        try:
            array = np.array(rows, dtype=np.float64)
        except (TypeError, ValueError):
            raise r.error(where, _("layer {layer}: expected numbers, got {value}").format(
                layer=layer, value=formula.cut(repr(entry), 40))) from None
        if array.shape != shape:
            want = (_("{rows} rows of {cols}").format(rows=shape[0], cols=shape[1]) if key == "weights"
                    else _("{n} numbers").format(n=shape[1]))
            raise r.error(where, _("layer {layer}: expected {want} (W has shape (inputs, outputs)), got "
                                      "shape {shape}").format(layer=layer, want=want, shape=array.shape))
        if not np.all(np.isfinite(array)):
            raise r.error(where, _("layer {layer}: not every value is a finite number").format(layer=layer))
        out.append(array)
    return out


def read_names(r: Reader, table: Any, shapes: list[tuple[int, int]], bias: bool) -> dict[str, list]:
    where = "[network] names"
    if not isinstance(table, dict):
        raise r.error(where, _("expected {example}").format(
            example='{ W1 = [["w1", "w2"], ["w3", "w4"]], b1 = ["b1", "b1"], ... }'))
    allowed = {f"W{k}": s for k, s in enumerate(shapes, start=1)}
    if bias:
        allowed.update({f"b{k}": (1, s[1]) for k, s in enumerate(shapes, start=1)})
    out = {}
    for key, value in table.items():
        if key not in allowed:
            raise r.error(where, _("unknown key {key}; expected some of {allowed}").format(
                key=repr(key), allowed=", ".join(allowed)))
        rows, cols = allowed[key]
        grid = value if key.startswith("W") else [value]
        if (not isinstance(grid, list) or len(grid) != rows
                or any(not isinstance(r, list) or len(r) != cols or not all(isinstance(x, str) for x in r)
                       for r in grid)):
            expected = (_("{key}: expected {rows} rows of {cols} names") if key.startswith("W")
                        else _("{key}: expected {cols} names"))
            raise r.error(where, expected.format(key=key, rows=rows, cols=cols))
        for name in (x for r in grid for x in r):
            problem = formula.name_error(formula.normal_name(name))
            if problem:
                raise r.error(where, f"{key}: {problem}")
        normal = [[formula.normal_name(x) for x in r] for r in grid]
        out[key] = normal if key.startswith("W") else normal[0]
    return out


def check_node_names(r: Reader, spec: ExerciseSpec, defined: dict[str, str]) -> None:
    """A [network]'s parameter and unit node names must not be an input's, a target's, the
    loss's or each other's: a name is one value in every table and the JSON."""
    net = spec.network
    assert net is not None
    # what each name is, said only when two meet (said for every name, it was most of the time
    # of loading a network of 100,000 units)
    taken: dict[str, Callable[[], str]] = {name: (lambda what=what: what) for name, what in defined.items()}
    for name in spec.params:
        if name in taken:
            raise r.error("[network] names", _("the parameter {name} has the name of {other}; give it "
                                                  "another name").format(name=name, other=taken[name]()))
        taken[name] = lambda name=name: _("the parameter {name}").format(name=name)
    for layer, size in enumerate(net.sizes[1:], start=1):
        for j in range(size):
            for node in nn.unit_node_names(layer, j, net.units):
                if node in taken:
                    raise r.error("[network] units" if net.units else "[network] names",
                                     _("the node {node} of layer {layer} has the name of {other}; rename "
                                       "one of them").format(node=node, layer=layer, other=taken[node]()))
                taken[node] = lambda node=node, layer=layer: _("the node {node} of layer {layer}").format(
                    node=node, layer=layer)


def network_params(r: Reader, net: NetworkSpec) -> dict[str, float]:
    weights, biases = net.matrices()
    try:
        mlp = nn.MLP(weights, biases, net.hidden, net.output, net.names)
    except ValueError as err:
        raise r.error("[network] names", str(err)) from None
    return {p.name: p.value for p in mlp.parameters()}
