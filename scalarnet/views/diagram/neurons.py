"""The ``neuron`` and ``layer`` levels: the network picture of the tutorials.

A neuron is found in the node graph, whatever file it came from: a net input Σ wᵢ·aᵢ + b
(a sum whose terms are parameter × signal products, or bare parameters for biases), then
either one activation node (σ, tanh, ReLU) or nothing (a linear unit). Signals are inputs
or other neurons' outputs. What remains above the neurons must be the loss, made of neuron
outputs and targets only. A graph of another shape has no neuron level (``find_network``
says why)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...core.node import Node
from ...i18n import N_, _, ngettext
from ..table import display_width
from .levels import ROLE_WORDS, batch_lines, value_line
from .scene import Arrow, Box, Link, Scene, fold
from .subject import Subject
from .text import num, pretty, sum_text, update_lines

KINDS = {"bias": N_("bias"), "weight": N_("weight")}  # the parameters a layer summarises
ACTIVATIONS = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU"}
SUMS = ("sum", "add")


@dataclass
class Neuron:
    net: Node
    out: Node  # the activation node, or ``net`` itself for a linear unit
    weights: list[tuple[Node, Node]]  # (signal, weight) per incoming connection
    biases: list[Node]
    layer: int = 0

    @property
    def activation(self) -> str | None:
        return None if self.out is self.net else self.out.op.name  # type: ignore[union-attr]


@dataclass
class Network:
    inputs: list[Node]
    neurons: list[Neuron]  # in layer order
    loss_links: list[Link]  # from neuron outputs and targets into the loss
    layers: list[list[Neuron]] = field(default_factory=list)


def find_network(subject: Subject) -> Network | str:
    """The neurons of the subject's graph, or the reason there are none."""
    children: dict[int, list[Node]] = {}
    for n in subject.members:
        for p in n.parents:
            children.setdefault(id(p), []).append(n)
    by_out: dict[int, Neuron] = {}
    layer_of: dict[int, int] = {}
    inputs = [n for n in subject.members if subject.role(n) == "input"]
    for n in inputs:
        layer_of[id(n)] = 0
    inside: set[int] = set()
    for node in subject.members:
        neuron = _neuron(subject, node, layer_of, children)
        if neuron is None:
            continue
        by_out[id(neuron.out)] = neuron
        layer_of[id(neuron.out)] = neuron.layer
        inside |= {id(neuron.net), id(neuron.out)} | {id(p) for p in neuron.net.parents if p.op is not None}
    if not by_out:
        return _("no neurons (sums of weight × input products) in this graph")
    loss_part = {id(n) for n in subject.members if n.op is not None and id(n) not in inside}
    shown = set(by_out) | {id(n) for n in subject.members if subject.role(n) == "target"}
    if id(subject.root) in shown:
        return _("the loss is itself a neuron")
    links = fold(subject.root, shown, loss_part | shown | {id(subject.root)})
    for node in subject.members:
        if id(node) in loss_part:
            for p in node.parents:
                if id(p) not in loss_part and id(p) not in shown and (p.op is not None or subject.role(p) != "const"):
                    return _("{node} is used outside the neurons (only neuron outputs and targets may make up "
                             "the loss)").format(node=subject.name(p) or _("a node"))
    neurons = sorted(by_out.values(), key=lambda nr: nr.layer)
    depth = max(nr.layer for nr in neurons)
    layers = [[nr for nr in neurons if nr.layer == k] for k in range(1, depth + 1)]
    return Network(inputs, neurons, links, layers)


def _neuron(subject: Subject, node: Node, layer_of: dict[int, int], children: dict[int, list[Node]]) -> Neuron | None:
    if node.op is None or node.op.name not in SUMS and not (node.op.name == "mul" and id(node) in subject.names):
        return None  # a bare product w·a is a net input only when it is named (else it is a term)
    terms = node.parents if node.op.name in SUMS else (node,)
    weights, biases = [], []
    for term in terms:
        if subject.role(term) == "param":
            biases.append(term)
            continue
        pair = _product(subject, term, layer_of)
        if pair is None or (term is not node and len(children.get(id(term), [])) != 1):
            return None
        weights.append(pair)
    if not weights:
        return None
    users = children.get(id(node), [])
    out = node
    if len(users) == 1 and users[0].op is not None and users[0].op.name in ACTIVATIONS:
        out = users[0]
    layer = 1 + max(layer_of[id(signal)] for signal, _ in weights)
    return Neuron(node, out, weights, biases, layer)


def _product(subject: Subject, term: Node, layer_of: dict[int, int]) -> tuple[Node, Node] | None:
    """(signal, weight) of a term w·a or a·w, else None."""
    if term.op is None or term.op.name != "mul":
        return None
    a, b = term.parents
    for weight, signal in ((a, b), (b, a)):
        if subject.role(weight) == "param" and id(signal) in layer_of:
            return signal, weight
    return None


# -- drawing ---------------------------------------------------------------------------
def _name(subject: Subject, node: Node, fallback: str) -> str:
    names = subject.names.get(id(node))
    return pretty(" = ".join(names)) if names else fallback


def _param_line(subject: Subject, w: Node, phase: str, loss: str) -> list[str]:
    name = _name(subject, w, "w")
    lines = [f"{name} = {num(w.value)}"]
    if phase != "forward":
        lines.append(f"∂{loss}/∂{name} = {num(w.grad)}")
    raw = subject.name(w)
    if phase == "update" and raw in subject.updated:
        lines += update_lines(name, loss, w.value, w.grad, subject.learning_rate, subject.updated[raw])
    return lines


def _loss_boxes(subject: Subject, scene: Scene, net: Network, key_of: dict[int, str], phase: str) -> None:
    """The loss box, the targets and the batch mean, with the arrows into the loss."""
    loss = pretty(subject.loss_symbol)
    for link in net.loss_links:
        if subject.role(link.parent) == "target" and id(link.parent) not in key_of:
            key_of[id(link.parent)] = f"t{len(key_of)}"
            scene.add(Box(key_of[id(link.parent)], "target", _name(subject, link.parent, "target"),
                          [_(ROLE_WORDS["target"]), value_line(link.parent.value)], link.parent,
                          tooltip=subject.name(link.parent) or ""))
    root = subject.root
    lines = [value_line(root.value)]
    if phase != "forward":
        lines.append(f"∂{loss}/∂{pretty(subject.loss_name)} = {num(root.grad)}")
    edges = loss_edges(subject, net)
    if any(line.split(" = ")[1].startswith("p₀") for e in edges[:1] for line in e.formula[:1] if " = " in line):
        first = pretty(subject.name(edges[0].parent) or "z")
        lines.append(f"p = softmax({first} …)")
    scene.add(Box("loss", "loss", pretty(subject.loss_name), lines, root, tooltip=subject.loss_name))
    for edge in edges:
        text = []
        if phase != "forward" and edge.parent.requires_grad:
            text = [*edge.formula, f"→ {num(root.grad * edge.partial)}"]
        scene.arrows.append(Arrow(key_of[id(edge.parent)], "loss", text, live=edge.parent.requires_grad,
                                  partial=edge.partial))
    top = subject.batch_loss
    if top is not None:
        scene.add(Box("batch", "batch", "L", [*batch_lines(subject), value_line(top.value)], top))
        d = 1.0 / subject.batch_size
        scene.arrows.append(Arrow("loss", "batch", [] if phase == "forward" else [f"∂L/∂{pretty(subject.loss_name)} = "
                                                                                  f"{num(d)}"]))


@dataclass
class LossEdge:
    """One arrow into the loss per unit (or target): the total partial of all the unit's uses
    inside the loss formula, with the textbook's formula where the numbers confirm it."""

    parent: Node
    partial: float
    formula: list[str]


def loss_edges(subject: Subject, net: Network) -> list[LossEdge]:
    total: dict[int, float] = {}
    parents: dict[int, Node] = {}
    for link in net.loss_links:
        parents.setdefault(id(link.parent), link.parent)
        total[id(link.parent)] = total.get(id(link.parent), 0.0) + link.partial
    outputs = sorted((n for n in parents.values() if subject.role(n) != "target"), key=subject.file_rank)
    targets = sorted((n for n in parents.values() if subject.role(n) == "target"), key=subject.file_rank)
    forms = _loss_formulas(subject, outputs, targets, total) if len(outputs) == len(targets) else {}
    loss = pretty(subject.loss_name)
    edges = []
    for node in [*outputs, *targets]:
        key = id(node)
        first = pretty(subject.name(node) or "out")
        symbol = f"∂{loss}/∂{first}"
        formula = forms.get(key)
        lines = [f"{symbol} = {formula[0]}", f"= {formula[1]} = {num(total[key])}"] if formula else \
            [f"{symbol} = {num(total[key])}"]
        edges.append(LossEdge(node, total[key], lines))
    return edges


def _loss_formulas(subject: Subject, outputs: list[Node], targets: list[Node],
                   total: dict[int, float]) -> dict[int, tuple[str, str]]:
    """unit -> (formula, the formula with numbers), for the losses the tutorials derive:
    softmax with cross-entropy (p_k − y_k), squared errors (a − y, 2(a − y), over n).
    A formula is shown only when it gives the unit's total partial; else just the number."""
    zs = [o.value for o in outputs]
    top = max(zs, default=0.0)
    exps = [math.exp(z - top) for z in zs]
    p = [e / sum(exps) for e in exps] if exps else []
    n = len(outputs)
    out: dict[int, tuple[str, str]] = {}
    for k, (o, y) in enumerate(zip(outputs, targets)):
        a, t, g = o.value, y.value, total[id(o)]
        name, target = pretty(_last_name(subject, o)), pretty(subject.name(y) or "y")
        candidates = [
            (p[k] - t, f"p{_sub(k)} − {target}", f"{num(p[k])} − {num(t)}"),
            (a - t, f"{name} − {target}", f"{num(a)} − {num(t)}"),
            (2 * (a - t), f"2({name} − {target})", f"2({num(a)} − {num(t)})"),
            ((a - t) / n, f"({name} − {target})/{n}", f"({num(a)} − {num(t)})/{n}"),
            (2 * (a - t) / n, f"2({name} − {target})/{n}", f"2({num(a)} − {num(t)})/{n}"),
        ]
        for value, formula, numbers in candidates[0 if n > 1 else 1:]:
            if abs(value - g) <= 1e-9 * max(1.0, abs(g)):
                out[id(o)] = (formula, numbers)
                break
    return out


def _last_name(subject: Subject, node: Node) -> str:
    names = subject.names.get(id(node)) or ["out"]
    return names[-1]


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def neuron_scene(subject: Subject, net: Network, phase: str) -> Scene:
    scene = Scene("neuron", [])
    loss = pretty(subject.loss_symbol)
    backward = phase != "forward"
    key_of: dict[int, str] = {}
    first = []
    for k, x in enumerate(net.inputs):
        key_of[id(x)] = f"x{k}"
        first.append(key_of[id(x)])
        scene.add(Box(key_of[id(x)], "input", _name(subject, x, "x"), [value_line(x.value)], x,
                      tooltip=subject.name(x) or ""))
    scene.ranks.append(first)
    consumers: dict[int, list[tuple[Node, Neuron]]] = {}
    bias_users: dict[int, list[Neuron]] = {}
    for nr in net.neurons:
        for signal, w in nr.weights:
            consumers.setdefault(id(signal), []).append((w, nr))
        for b in nr.biases:
            bias_users.setdefault(id(b), []).append(nr)
    for layer in net.layers:
        rank = []
        for nr in layer:
            key = key_of[id(nr.out)] = f"u{len(key_of)}"
            rank.append(key)
            lines = _neuron_lines(subject, nr, consumers.get(id(nr.out), []), phase, loss, bias_users)
            params = frozenset(filter(None, (subject.name(b) for b in nr.biases)))
            scene.add(Box(key, "neuron", _("neuron {name}").format(name=_short(subject, nr)), lines, nr.out, params,
                          tooltip=subject.name(nr.out) or ""))
            for signal, w in nr.weights:
                lines = _param_line(subject, w, phase, loss)
                if backward and signal.requires_grad:  # the share of ∂L/∂signal: w·∂L/∂net
                    lines.append(f"→ {num(w.value * nr.net.grad)}")
                scene.arrows.append(Arrow(key_of[id(signal)], key, lines, frozenset([subject.name(w) or ""])))
        scene.ranks.append(rank)
    _loss_boxes(subject, scene, net, key_of, phase)
    return scene


def _neuron_lines(subject: Subject, nr: Neuron, consumers: list[tuple[Node, Neuron]], phase: str,
                  loss: str, bias_users: dict[int, list[Neuron]]) -> list[str]:
    """The tutorials' numbers for one neuron: net, out, ∂E/∂out (the sum over the next layer),
    the activation's slope σ′(net) and δ = ∂E/∂net; a shared bias's gradient once, as a sum."""
    net_name = _name(subject, nr.net, "net") if nr.activation else "net"
    out_name = _name(subject, nr.out, "out")
    lines = [f"{net_name} = {num(nr.net.value)}"]
    if nr.activation:
        lines.append(f"{out_name} = {ACTIVATIONS[nr.activation]}({net_name}) = {num(nr.out.value)}")
    for b in nr.biases:
        users = bias_users.get(id(b), [nr])
        if users[0] is nr or phase == "forward":
            lines += _param_line(subject, b, phase, loss)
            if phase != "forward" and len(users) > 1:  # one gradient, the sum of its uses
                deltas = " + ".join(_delta(subject, u) for u in users)
                lines.append(f"  = {deltas} = {sum_text([u.net.grad for u in users])}")
        else:
            lines.append(_("{bias} = {value} (shared: its gradient is in {neuron})").format(
                bias=_name(subject, b, "b"), value=num(b.value), neuron=_short(subject, users[0])))
    if phase != "forward":
        if nr.activation:
            lines.append(f"∂{loss}/∂{out_name} = {num(nr.out.grad)}")
            if len(consumers) > 1:  # a sum over the next layer's neurons: Σ w·δ
                lines.append("  = " + sum_text([w.value * c.net.grad for w, c in consumers]))
            slope, formula = _slope(nr, out_name, net_name)
            lines.append(f"{formula} = {num(slope)}")
        lines.append(f"{_delta(subject, nr)} = ∂{loss}/∂{net_name} = {num(nr.net.grad)}")
    return lines


def _short(subject: Subject, nr: Neuron, shown: bool = True) -> str:
    """The neuron's own name: h₁ for out_h1, else its output's name (``shown=False``: as in the file)."""
    name = subject.name(nr.out) or "unit"
    name = name[4:] if name.startswith("out_") and len(name) > 4 else name
    return pretty(name) if shown else name


def _delta(subject: Subject, nr: Neuron) -> str:
    """δ of the neuron, written as the textbook's δ_{h1}: δ_h1 (its subscript once, views/typography.py)."""
    return pretty("δ_" + _short(subject, nr, shown=False))


def _slope(nr: Neuron, out: str, net: str) -> tuple[float, str]:
    """The activation's derivative at the neuron's net input, as the tutorials compute it."""
    a, z = nr.out.value, nr.net.value
    if nr.activation == "sigmoid":
        return a * (1 - a), f"σ′({net}) = {out}(1 − {out})"
    if nr.activation == "tanh":
        return 1 - a * a, f"tanh′({net}) = 1 − {out}²"
    return (1.0 if z > 0 else 0.0), f"ReLU′({net}) = [{net} > 0]"


def layer_scene(subject: Subject, net: Network, phase: str) -> Scene:
    scene = Scene("layer", [])
    loss = pretty(subject.loss_symbol)
    backward = phase != "forward"
    key_of: dict[int, str] = {}
    head = [_("unit"), _("value")]
    rows = [[_name(subject, x, "x"), num(x.value)] for x in net.inputs]
    scene.add(Box("layer0", "input", _("inputs"), _table(head, rows), None,
                  tooltip=" ".join(subject.name(x) or "" for x in net.inputs)))
    for x in net.inputs:
        key_of[id(x)] = "layer0"
    for k, layer in enumerate(net.layers, start=1):
        key = f"layer{k}"
        acts = sorted({nr.activation or _("linear") for nr in layer})
        head = [_("unit"), "net", "out"] + ([f"∂{loss}/∂out", f"∂{loss}/∂net"] if backward else [])
        rows = []
        for nr in layer:
            key_of[id(nr.out)] = key
            row = [_name(subject, nr.out, "unit"), num(nr.net.value), num(nr.out.value)]
            rows.append(row + ([num(nr.out.grad), num(nr.net.grad)] if backward else []))
        biases = [b for nr in layer for b in nr.biases]
        title = ngettext("layer {k}: {n} {activations} unit", "layer {k}: {n} {activations} units", len(layer)).format(
            k=k, n=len(layer), activations="/".join(acts))
        lines = _table(head, rows) + _summary("bias", biases, subject, phase, loss)
        scene.add(Box(key, "layer", title, lines, layer[0].out,
                      frozenset(filter(None, (subject.name(b) for b in biases))), tooltip=title))
        sources = sorted({key_of[id(s)] for nr in layer for s, _ in nr.weights})
        for source in sources:
            weights = [w for nr in layer for s, w in nr.weights if key_of[id(s)] == source]
            scene.arrows.append(Arrow(source, key, _summary("weight", weights, subject, phase, loss),
                                      frozenset(filter(None, (subject.name(w) for w in weights)))))
    _loss_boxes(subject, scene, net, key_of, phase)
    return scene


def _summary(kind: str, params: list[Node], subject: Subject, phase: str, loss: str) -> list[str]:
    """A few parameters one by one; many as a count and their largest gradient."""
    unique = list({id(p): p for p in params}.values())
    if not unique:
        return []
    if len(unique) <= 4:
        return [line for p in unique for line in _param_line(subject, p, phase, loss)]
    names = [_name(subject, p, kind) for p in unique]
    many = _("{n} biases {first} … {last}") if kind == "bias" else _("{n} weights {first} … {last}")
    lines = [many.format(n=len(unique), first=names[0], last=names[-1])]
    if phase != "forward":
        biggest = max(unique, key=lambda p: abs(p.grad))
        # on two lines: the arrow's label, and so the gap between two layers, half as wide
        lines += [_("largest |∂{loss}/∂{kind}|:").format(loss=loss, kind=_(KINDS[kind])),
                  f"{_name(subject, biggest, kind)} = {num(biggest.grad)}"]
    return lines


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(display_width(r[k]) for r in [head, *rows]) for k in range(len(head))]
    # rows of one width: centred in a monospace font, their columns line up (a CJK character fills two)
    return ["  ".join(" " * (w - display_width(c)) + c if k else c + " " * (w - display_width(c))
                      for k, (c, w) in enumerate(zip(r, widths))) for r in [head, *rows]]
