"""Neurons, layers and multi-layer perceptrons made of scalar nodes; activations, losses, SGD.

A neuron's net input Σ wᵢ·aᵢ + b is one n-ary sum node over the products, as a textbook
writes it, and its activation is one more node.

Parameter names in an ``MLP`` are deterministic: ``W{l}[i,j]`` is the weight from unit i
of layer l−1 to unit j of layer l (layers counted from 1, units from 0, W of shape
(inputs, outputs) as in Z = A·W + b), and ``b{l}[j]`` the bias of unit j of layer l.
Textbook names can replace them (``names``); a name used twice is one shared parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..i18n import _
from . import ops
from .node import Node, apply, sum_nodes

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
OUTPUT_ACTIVATIONS = (*ACTIVATIONS, "softmax")
LOSSES = ("half_squared_error", "squared_error", "cross_entropy")

_ACTIVATION_OPS = {"sigmoid": ops.SIGMOID, "tanh": ops.TANH, "relu": ops.RELU}


def activate(z: Node, activation: str, name: str | None = None) -> Node:
    """``activation(z)`` as one node; ``linear`` returns ``z`` itself."""
    if activation == "linear":
        return z
    return apply(_ACTIVATION_OPS[activation], z, name=name)


class Neuron:
    """out = f(Σ wᵢ·aᵢ + b)."""

    def __init__(self, weights: Sequence[Node], bias: Node | None, activation: str) -> None:
        self.weights = list(weights)
        self.bias = bias
        self.activation = activation

    def net(self, inputs: Sequence[Node], name: str | None = None) -> Node:
        terms = [w * a for w, a in zip(self.weights, inputs, strict=True)]
        if self.bias is not None:
            terms.append(self.bias)
        return sum_nodes(terms, name=name)

    def __call__(self, inputs: Sequence[Node]) -> Node:
        return activate(self.net(inputs), self.activation)

    def parameters(self) -> list[Node]:
        return self.weights + ([self.bias] if self.bias is not None else [])


@dataclass
class LayerTrace:
    """What one layer computed for one example: net inputs z and activations a."""

    nets: list[Node]
    outs: list[Node]


class MLP:
    """A fully connected network; ``weights[l]`` has shape (n_in, n_out) as in Z = A·W + b."""

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray | None],
        hidden: str = "sigmoid",
        output: str = "linear",
        names: dict[str, list] | None = None,
    ) -> None:
        check_layers(weights, biases, hidden, output)
        self.hidden, self.output = hidden, output
        self.sizes = [int(np.shape(weights[0])[0])] + [int(np.shape(w)[1]) for w in weights]
        self.W: list[list[list[Node]]] = []
        self.b: list[list[Node] | None] = []
        by_name: dict[str, Node] = {}

        def param(name: str, value: float) -> Node:
            node = by_name.get(name)
            if node is None:
                node = by_name[name] = Node(float(value), name=name)
            elif node.value != float(value):
                raise ValueError(_("parameter {name} is shared but given two values: {first} and {second}").format(
                    name=name, first=repr(node.value), second=repr(float(value))))
            return node

        for layer, (w, b) in enumerate(zip(weights, biases), start=1):
            w = np.asarray(w, dtype=np.float64)
            w_names, b_names = parameter_names(names, layer, *w.shape)
            self.W.append([[param(n, w[i, j]) for j, n in enumerate(row)] for i, row in enumerate(w_names)])
            self.b.append(None if b is None else [param(n, v) for n, v in zip(b_names, b)])
        self._parameters = list(by_name.values())

    @classmethod
    def initialised(
        cls,
        sizes: Sequence[int],
        hidden: str = "sigmoid",
        output: str = "linear",
        bias: bool = True,
        seed: int = 0,
        scale: float = 0.1,
        names: dict[str, list] | None = None,
    ) -> MLP:
        """W_l = scale · default_rng(seed).standard_normal((n_in, n_out)), layer by layer
        from one generator; biases zero."""
        if isinstance(sizes, (int, np.integer)) or len(sizes) < 2 or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in sizes):
            raise ValueError(f"MLP.initialised(sizes={sizes!r}): " + _(
                "sizes are the layer widths from the inputs to the outputs, at least two positive whole numbers, "
                "e.g. [3, 4, 4, 1]"))
        weights, biases = initial_weights(sizes, seed, scale, bias)
        return cls(weights, biases, hidden, output, names)

    def layer_activation(self, layer: int) -> str:
        return self.output if layer == len(self.W) else self.hidden

    def trace(self, inputs: Sequence[Node], unit_names: Sequence[Sequence[str]] | None = None) -> list[LayerTrace]:
        """Run one example through the network, naming its nodes as ``unit_node_names`` does."""
        a = list(inputs)
        traces = []
        for layer, (w, b) in enumerate(zip(self.W, self.b), start=1):
            act = self.layer_activation(layer)
            names = [unit_node_names(layer, j, unit_names) for j in range(len(w[0]))]
            nets = [Neuron([row[j] for row in w], b[j] if b is not None else None, act).net(a, name=net_name)
                    for j, (net_name, _out_name) in enumerate(names)]
            if act == "softmax":
                outs = [apply(ops.EXP, ls, name=out_name) for ls, (_net, out_name) in zip(log_softmax(nets), names)]
            else:
                outs = [activate(z, act, name=out_name) for z, (_net_name, out_name) in zip(nets, names)]
            traces.append(LayerTrace(nets, outs))
            a = outs
        return traces

    def __call__(self, inputs: Sequence[Node]) -> list[Node]:
        return self.trace(inputs)[-1].outs

    def parameters(self) -> list[Node]:
        return list(self._parameters)

    def zero_grad(self) -> None:
        for p in self._parameters:
            p.grad = 0.0


def check_layers(weights: object, biases: object, hidden: str, output: str) -> None:
    """A clear message for what ``MLP(weights, biases, ...)`` cannot use: micrograd's
    ``MLP(nin, nouts)`` form, matrices whose shapes do not chain, biases of the wrong length."""
    if isinstance(weights, (int, np.integer)):
        sizes = [int(weights), *biases] if isinstance(biases, (list, tuple)) else [int(weights), "…"]
        raise TypeError(f"nn.MLP({weights!r}, {biases!r}): " + _(
            "scalarnet's MLP takes weight matrices and biases, MLP(weights, biases, hidden, output). For layer "
            "sizes use {initialised}; for micrograd's MLP(nin, nouts) use {micrograd}").format(
            initialised=f"nn.MLP.initialised({sizes}, hidden='relu')",
            micrograd=f"scalarnet.micrograd.nn.MLP({weights!r}, {biases!r})"))
    if hidden not in ACTIVATIONS or output not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"nn.MLP: hidden={hidden!r}, output={output!r}; " + _(
            "hidden is one of {hidden}, output one of {output}").format(
            hidden=", ".join(ACTIVATIONS), output=", ".join(OUTPUT_ACTIVATIONS)))
    shapes = [np.shape(w) for w in weights]
    if not shapes or any(len(sh) != 2 for sh in shapes):
        raise ValueError("nn.MLP: " + _("weights must be a list of 2-d matrices (n_in × n_out), one per layer; got "
                                        "shapes {shapes}").format(shapes=shapes))
    for layer, (a, b) in enumerate(zip(shapes, shapes[1:]), start=1):
        if a[1] != b[0]:
            raise ValueError("nn.MLP: " + _("layer {layer} has {outputs} outputs but layer {next}'s weights expect "
                                            "{inputs} inputs (shapes {a} and {b})").format(
                layer=layer, outputs=a[1], next=layer + 1, inputs=b[0], a=a, b=b))
    if len(biases) != len(shapes):
        raise ValueError("nn.MLP: " + _("{weights} weight matrices but {biases} biases (one per layer, or "
                                        "None)").format(weights=len(shapes), biases=len(biases)))
    for layer, (sh, b) in enumerate(zip(shapes, biases), start=1):
        if b is not None and np.shape(b) != (sh[1],):
            raise ValueError("nn.MLP: " + _("layer {layer}'s bias has shape {shape}, expected {expected}").format(
                layer=layer, shape=np.shape(b), expected=f"({sh[1]},)"))


def unit_node_names(layer: int, j: int, unit_names: Sequence[Sequence[str]] | None = None) -> tuple[str, str]:
    """The names of unit j of layer ``layer`` (counted from 1): its net input and its activation,
    ``z{l}[j]`` and ``a{l}[j]``, or ``net_{u}`` and ``out_{u}`` with unit names (h1, o1, ...)."""
    unit = unit_names[layer - 1][j] if unit_names else ""
    return (f"net_{unit}", f"out_{unit}") if unit else (f"z{layer}[{j}]", f"a{layer}[{j}]")


def parameter_names(
    names: dict[str, list] | None, layer: int, n_in: int, n_out: int
) -> tuple[list[list[str]], list[str]]:
    """The names of layer ``layer``'s weights (an n_in × n_out grid) and biases: the file's
    ``names`` for ``W{l}`` / ``b{l}`` when it gives them, else ``W{l}[i,j]`` and ``b{l}[j]``."""
    w_names, b_names = (names or {}).get(f"W{layer}"), (names or {}).get(f"b{layer}")
    weights = [[w_names[i][j] if w_names else f"W{layer}[{i},{j}]" for j in range(n_out)] for i in range(n_in)]
    return weights, [b_names[j] if b_names else f"b{layer}[{j}]" for j in range(n_out)]


def initial_weights(
    sizes: Sequence[int], seed: int, scale: float, bias: bool
) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    rng = np.random.default_rng(seed)
    weights = [scale * rng.standard_normal((n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(n) if bias else None for n in sizes[1:]]
    return weights, biases


# -- softmax and losses --------------------------------------------------------------
def log_softmax(z: Sequence[Node]) -> list[Node]:
    """zᵢ − log Σ exp(z): stable because log-sum-exp is computed around its maximum."""
    lse = apply(ops.LOGSUMEXP, *z)
    return [zi - lse for zi in z]


def softmax(z: Sequence[Node]) -> list[Node]:
    return [ls.exp() for ls in log_softmax(z)]


def half_squared_error(outputs: Sequence[Node], targets: Sequence[Node]) -> Node:
    """Σ ½(o − y)²"""
    return sum_nodes([0.5 * (o - y) ** 2 for o, y in zip(outputs, targets, strict=True)])


def squared_error(outputs: Sequence[Node], targets: Sequence[Node]) -> Node:
    """Σ (o − y)²"""
    return sum_nodes([(o - y) ** 2 for o, y in zip(outputs, targets, strict=True)])


def cross_entropy(logits: Sequence[Node], targets: Sequence[Node]) -> Node:
    """−Σ y·log softmax(z), from the net inputs z (the logits), never from rounded
    probabilities, so it stays finite for any z."""
    return -sum_nodes([y * ls for y, ls in zip(targets, log_softmax(logits), strict=True)])


def loss_of(kind: str, traces: list[LayerTrace], targets: Sequence[Node], name: str | None = None) -> Node:
    """The per-example loss ``kind`` of a traced network."""
    last = traces[-1]
    if kind == "cross_entropy":
        loss = cross_entropy(last.nets, targets)
    elif kind == "half_squared_error":
        loss = half_squared_error(last.outs, targets)
    elif kind == "squared_error":
        loss = squared_error(last.outs, targets)
    else:
        raise ValueError(_("unknown loss {kind}; expected one of {losses}").format(kind=repr(kind),
                                                                                   losses=", ".join(LOSSES)))
    loss.name = name
    return loss


def mean(losses: Sequence[Node], name: str | None = None) -> Node:
    """The batch loss: the mean of the per-example losses (one of them is returned as is)."""
    if len(losses) == 1:
        return losses[0]
    return apply(ops.DIV, sum_nodes(losses), Node.constant(len(losses)), name=name)


class SGD:
    """p ← p − lr·v with v ← momentum·v + grad (plain SGD when momentum is 0)."""

    def __init__(self, params: Sequence[Node], lr: float, momentum: float = 0.0) -> None:
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, mu = self.lr, self.momentum
        if mu == 0.0:
            for p in self.params:
                p.value -= lr * p.grad
            return
        for k, p in enumerate(self.params):
            v = self.velocity[k] = mu * self.velocity[k] + p.grad
            p.value -= lr * v

    def preview(self) -> dict[str, float]:
        """What ``step()`` would set each parameter to, without changing anything."""
        mu = self.momentum
        return {p.name: p.value - self.lr * (mu * v + p.grad) for p, v in zip(self.params, self.velocity)}

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0
