"""Which classic chain-rule mistake produced a wrong answer.

Each mistake of the catalogue is a change to the derivation of one training step: a factor
of the chain rule replaced (the error's sign flipped, σ′ dropped, the weight's partial used
for the hidden output's), a path left out, the update's sign flipped. It is evaluated with
the engine's own numbers: the factors ∂child/∂parent of the named nodes that
``scalarnet.derive`` reads off the node graph, handed down from the loss as deltas with the
changed factors. A mistake explains a wrong answer when it reproduces it within the
tolerance; when several answers are wrong, the mistakes that explain all of them are
preferred over those that explain some.

``grade`` (students' answers to a quiz) and ``check`` (a learner's backprop function) both
use ``catalogue`` and ``explain``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..core import ops, symbolic
from ..core.node import Node
from ..engines.quantities import GRAD, NEW
from ..i18n import N_, _
from .derive import StepDerivations

MISTAKES = {  # id → the mistake in words (English, as JSON gives it; shown translated: _(MISTAKES[id]))
    "missing_path": N_("a path left out of a sum over paths"),
    "error_sign": N_("(t − out) used for (out − t)"),
    "no_activation_derivative": N_("the activation's derivative dropped"),
    "derivative_at_net": N_("the activation's derivative evaluated at the net input instead of the output"),
    "activation_for_derivative": N_("the activation used in place of its derivative"),
    "partial_wrt_weight": N_("the partial with respect to the weight used for the partial with respect to the "
                             "hidden output"),
    "updated_weights": N_("weights already updated used in the backward pass"),
    "loss_half": N_("the ½ of the loss dropped or doubled"),
    "swapped_weight": N_("two weights of one layer swapped"),
    "update_sign": N_("the update applied with the wrong sign"),
}
ACTIVATIONS = (ops.SIGMOID, ops.TANH, ops.RELU)
NETS = (ops.ADD, ops.SUM, ops.MUL)
MAX_NODES = 2000  # nodes in a step's graph above which the catalogue is not searched (a network, not an exercise)
MAX_SINGLES = 16  # more places of a kind than this (a big network): only whole layers are tried

Edge = tuple[str, str]  # (child, parent): the factor ∂child/∂parent
Change = Callable[[int, Node, Node, float], float | None]  # (example, child, parent, value) → new value, None: drop


@dataclass
class Mistake:
    """One mistake of the catalogue, made at some places, with every quantity it gives."""

    id: str
    places: list[str]  # each change in words, with the corrected factor
    values: dict[str, float] = field(default_factory=dict)  # quantity → what the mistake gives

    @property
    def text(self) -> str:
        return _("{id} ({what}): {places}").format(id=self.id, what=_(MISTAKES[self.id]), places=_listed(self.places))


def _taken_as(factor: str, wrong: str, right: str) -> str:
    """One place of a mistake: the factor, what was used for it, and what belongs there."""
    return _("{factor} taken as {wrong} where {right} belongs").format(factor=factor, wrong=wrong, right=right)


def _num(v: float) -> str:
    return f"{v + 0.0:.4g}".replace("-", "−")  # + 0.0: never −0


def _listed(parts: list[str], most: int = 4) -> str:
    shown = _("; ").join(parts[:most])
    return shown + (_("; and {n} more like it").format(n=len(parts) - most) if len(parts) > most else "")


class Catalogue:
    """The catalogue's mistakes for one step, built from a ``StepDerivations``."""

    def __init__(self, steps: StepDerivations) -> None:
        self.steps, self.spec = steps, steps.exercise.spec
        self.record = steps.record
        ex = steps.exercise
        self.loss_name = ex.loss_name
        self.lr = ex.learning_rate
        self.trainable = set(ex.trainable)
        self.params = ex.params
        first = steps.examples[0]
        self.first = first
        # the factors between named nodes, by (child, parent), in the first example (all have its shape)
        self.edges: dict[Edge, tuple[Node, Node]] = {}
        for child in first.order:
            for parent, _value in first.edges.get(id(child), ()):
                if parent.requires_grad:  # not the inputs' and targets' factors: no answer depends on them
                    self.edges[(child.name, parent.name)] = (child, parent)
        self.value = {name: v[0] for name, v in self.record.values.items()}

    # -- evaluating a changed derivation ---------------------------------------------------
    def grads(self, change: Change) -> dict[str, float]:
        """Every parameter's gradient with the factors changed by ``change``."""
        parts: dict[str, list[float]] = {name: [] for name in self.params}
        for k, ex in enumerate(self.steps.examples):
            delta = {id(ex.loss): ex.delta[id(ex.loss)]}
            for node in reversed(ex.order):
                d = delta.get(id(node))
                for parent, v in ex.edges.get(id(node), ()) if d is not None else ():
                    changed = change(k, node, parent, v)
                    if changed is not None:
                        delta[id(parent)] = delta.get(id(parent), 0.0) + d * changed
            for name, p in self.params.items():
                parts[name].append(delta.get(id(p), 0.0))
        return {name: math.fsum(v) for name, v in parts.items()}

    def quantities(self, grads: dict[str, float], loss_scale: float = 1.0, update_sign: float = 1.0
                   ) -> dict[str, float]:
        out = {GRAD + p: g for p, g in grads.items()}
        for p, g in grads.items():
            before = self.value[p]
            out[NEW + p] = before - update_sign * self.lr * g if p in self.trainable else before
        if len(self.record.examples) == 1:
            out[self.loss_name] = loss_scale * self.value[self.loss_name]
        return out

    def symbol(self, edge: Edge) -> symbolic.Expr:
        child, parent = self.edges[edge]
        return self.steps.factor(child, parent, 0.0).symbolic

    # -- the edges of each kind ---------------------------------------------------------------
    def error_edges(self) -> list[Edge]:
        return [e for e, (child, _) in self.edges.items() if child is self.first.loss]

    def activation_edges(self) -> list[Edge]:
        return [e for e, (child, parent) in self.edges.items() if child.op in ACTIVATIONS and parent.op is not None]

    def weight_edges(self) -> dict[Edge, str]:
        """∂net/∂out = w: the net's factor for a hidden output, with the weight's name."""
        out = {}
        for e, (child, parent) in self.edges.items():
            if child.op in NETS and parent.op is not None:
                s = self.symbol(e)
                if isinstance(s, symbolic.Sym) and s.name in self.params and (child.name, s.name) in self.edges:
                    out[e] = s.name
        return out

    def layer(self, edge: Edge) -> int:
        return self.first.level[id(self.edges[edge][0])]

    def groups(self, edges: Iterable[Edge]) -> list[list[Edge]]:
        """Where a mistake may be made: everywhere, in one layer, or at one factor."""
        edges = list(edges)
        found: list[list[Edge]] = []
        by_layer: dict[int, list[Edge]] = {}
        for e in edges:
            by_layer.setdefault(self.layer(e), []).append(e)
        candidates = [edges, *by_layer.values()] + ([[e] for e in edges] if len(edges) <= MAX_SINGLES else [])
        for g in candidates:
            if g and set(g) not in [set(f) for f in found]:
                found.append(g)
        return found

    # -- the catalogue ---------------------------------------------------------------------
    def mistakes(self) -> list[Mistake]:
        out: list[Mistake] = []
        for make in (self._missing_path, self._error_sign, self._activation, self._partial_wrt_weight,
                     self._updated_weights, self._loss_half, self._swapped_weight, self._update_sign):
            out += make()
        return out

    def _changed(self, mistake_id: str, places: list[str], changes: dict[Edge, Callable[[int, float], float | None]],
                 **kw: float) -> Mistake:
        def change(k: int, child: Node, parent: Node, v: float) -> float | None:
            rule = changes.get((child.name, parent.name))
            return v if rule is None else rule(k, v)

        return Mistake(mistake_id, places, self.quantities(self.grads(change), **kw))

    def _missing_path(self) -> list[Mistake]:
        users: dict[str, list[Edge]] = {}
        for e in self.edges:
            users.setdefault(e[1], []).append(e)
        out = []
        by_child: dict[str, list[Edge]] = {}
        sums = [e for es in users.values() if len(es) > 1 for e in es]  # the terms of sums over paths
        for e in sums:
            by_child.setdefault(e[0], []).append(e)
        for e in sums if len(sums) <= MAX_SINGLES else []:
            out.append(self._changed("missing_path", self._missing_text([e]), {e: lambda k, v: None}))
        for es in list(by_child.values()) if len(by_child) <= MAX_SINGLES else []:
            if len(es) > 1:
                out.append(self._changed("missing_path", self._missing_text(es), dict.fromkeys(es, lambda k, v: None)))
        return out

    def _missing_text(self, edges: list[Edge]) -> list[str]:
        return [_("{gradient} summed without the path through {child}; the missing term is {term}").format(
                    gradient=f"∂{self.loss_name}/∂{parent}", child=child,
                    term=f"δ({child})·∂{child}/∂{parent} = δ({child})·{symbolic.text(self.symbol((child, parent)))}")
                for child, parent in edges]

    def _error_sign(self) -> list[Mistake]:
        out = []
        for group in self.groups(self.error_edges()):
            parts = [_taken_as(f"∂{c}/∂{p}", symbolic.text(-self.symbol((c, p))), symbolic.text(self.symbol((c, p))))
                     for c, p in group]
            out.append(self._changed("error_sign", parts,
                                     dict.fromkeys(group, lambda k, v: -v)))
        return out

    def _activation(self) -> list[Mistake]:
        """σ′ dropped, σ′ taken at the net input, σ used for σ′."""
        out = []
        edges = [e for e in self.activation_edges() if self.edges[e][0].op is not ops.RELU]
        relu = [e for e in self.activation_edges() if self.edges[e][0].op is ops.RELU]
        for group in self.groups(edges + relu):
            out.append(self._changed("no_activation_derivative", [
                _("{factor} left out (taken as 1)").format(factor=f"∂{c}/∂{p} = {symbolic.text(self.symbol((c, p)))}")
                for c, p in group], dict.fromkeys(group, lambda k, v: 1.0)))
        for group in self.groups(edges):
            at_net = {e: self._at_net(e) for e in group}
            out.append(self._changed("derivative_at_net", [
                _taken_as(f"∂{c}/∂{p}", self._derivative_text(c, p, at_net=True), symbolic.text(self.symbol((c, p))))
                for c, p in group], at_net))
            as_value = {e: self._activation_value(e) for e in group}
            out.append(self._changed("activation_for_derivative", [
                _("{factor} taken as {wrong} where its derivative {right} belongs").format(
                    factor=f"∂{c}/∂{p}", wrong=f"{self.edges[(c, p)][0].op.format_value([p])} = {c}",
                    right=symbolic.text(self.symbol((c, p)))) for c, p in group], as_value))
        return out

    def _derivative_text(self, child: str, parent: str, at_net: bool) -> str:
        x = parent if at_net else child
        return f"{x}(1 − {x})" if self.edges[(child, parent)][0].op is ops.SIGMOID else f"1 − {x}²"

    def _example_value(self, k: int, name: str) -> float:
        return self.record.values[name][k]

    def _at_net(self, edge: Edge) -> Callable[[int, float], float]:
        sigmoid = self.edges[edge][0].op is ops.SIGMOID

        def rule(k: int, v: float) -> float:
            net = self._example_value(k, edge[1])
            return net * (1.0 - net) if sigmoid else 1.0 - net * net
        return rule

    def _activation_value(self, edge: Edge) -> Callable[[int, float], float]:
        return lambda k, v: self._example_value(k, edge[0])

    def _partial_wrt_weight(self) -> list[Mistake]:
        weights = self.weight_edges()
        out = []
        for group in self.groups(weights):
            parts = [_taken_as(f"∂{c}/∂{p}", f"∂{c}/∂{weights[(c, p)]} = {p}",
                               f"{weights[(c, p)]} = {_num(self.value[weights[(c, p)]])}") for c, p in group]
            rules = {e: (lambda k, v, e=e: self._example_value(k, e[1])) for e in group}
            out.append(self._changed("partial_wrt_weight", parts, rules))
        return out

    def _updated_weights(self) -> list[Mistake]:
        weights = {e: w for e, w in self.weight_edges().items() if w in self.trainable}
        after = self.record.params
        out = []
        for group in self.groups(weights):
            parts = [_("{factor} taken as the updated {weight} = {after} where {weight} before the update = "
                       "{before} belongs").format(factor=f"∂{c}/∂{p}", weight=weights[(c, p)],
                                                  after=_num(after[weights[(c, p)]]),
                                                  before=_num(self.value[weights[(c, p)]]))
                     for c, p in group]
            rules = {e: (lambda k, v, w=weights[e]: after[w]) for e in group}
            out.append(self._changed("updated_weights", parts, rules))
        return out

    def _loss_half(self) -> list[Mistake]:
        if not self._has_half():
            return []
        errors = self.error_edges()
        out = []
        for scale, what in ((2.0, _("the ½ of {loss} dropped: the loss and every gradient doubled; the right error "
                                    "factors are {factors}")),
                            (0.5, _("the ½ of {loss} taken twice: the loss and every gradient halved; the right "
                                    "error factors are {factors}"))):
            text = [what.format(loss=self.loss_name, factors=", ".join(symbolic.text(self.symbol(e)) for e in errors))]
            out.append(self._changed("loss_half", text, dict.fromkeys(errors, lambda k, v, s=scale: s * v),
                                     loss_scale=scale))
        return out

    def _has_half(self) -> bool:
        spec = self.spec
        if spec.network is not None:
            return spec.network.loss == "half_squared_error"
        text = (spec.formulas or {}).get(self.loss_name, "").replace(" ", "")
        return any(half in text for half in ("0.5*", "*0.5", "/2", "1/2"))

    def _swapped_weight(self) -> list[Mistake]:
        weights = self.weight_edges()
        out = []
        by_layer: dict[int, list[str]] = {}
        for e, w in weights.items():
            if w not in by_layer.setdefault(self.layer(e), []):
                by_layer[self.layer(e)].append(w)
        for names in by_layer.values():
            for a, b in itertools.combinations(names if len(names) <= MAX_SINGLES else [], 2):
                swap = {a: b, b: a}
                rules = {e: (lambda k, v, other=swap[w]: self.value[other]) for e, w in weights.items() if w in swap}
                uses = [f"∂{c}/∂{p}" for (c, p), w in weights.items() if w in swap]
                out.append(self._changed("swapped_weight", [
                    _("{b} used for {a} and {a} for {b} in the backward pass ({uses}) where {right} belong").format(
                        a=a, b=b, uses=", ".join(uses),
                        right=", ".join(f"∂{c}/∂{p} = {w}" for (c, p), w in weights.items() if w in swap))],
                    rules))
        correct = self.record.grads
        for names in self._param_layers():
            for a, b in itertools.combinations(names, 2):
                grads = dict(correct)
                grads[a], grads[b] = correct[b], correct[a]
                out.append(Mistake("swapped_weight", [
                    _("the answers for {a} and {b} swapped: {grad_a} and {grad_b}").format(
                        a=a, b=b, grad_a=f"∂{self.loss_name}/∂{a} = {_num(correct[a])}",
                        grad_b=f"∂{self.loss_name}/∂{b} = {_num(correct[b])}")], self.quantities(grads)))
        return out

    def _param_layers(self) -> list[list[str]]:
        """The parameters grouped by the layer of the nodes that use them."""
        layers: dict[int, list[str]] = {}
        for name, p in self.params.items():
            users = self.first.users.get(id(p), ())
            if users:
                layers.setdefault(self.first.level[id(users[0][0])], []).append(name)
        return [names for names in layers.values() if 1 < len(names) <= MAX_SINGLES]

    def _update_sign(self) -> list[Mistake]:
        return [Mistake("update_sign", [_("each weight updated as {wrong} where {right} belongs ({eta})").format(
                    wrong="w + η·∂E/∂w", right="w − η·∂E/∂w", eta=f"η = {_num(self.lr)}").replace(
                    "∂E", f"∂{self.loss_name}")],
                        self.quantities(dict(self.record.grads), update_sign=-1.0))]


def too_big(nodes: int) -> str:
    """Why the catalogue is not searched for a step whose batch graph has ``nodes`` nodes ('' when
    it is): a hand-sized exercise has tens of nodes; a network with thousands would take minutes."""
    if nodes <= MAX_NODES:
        return ""
    return _("no diagnosis: the step's graph has {nodes} nodes, more than the catalogue of mistakes searches "
             "({limit}); it is meant for exercises worked by hand").format(nodes=nodes, limit=MAX_NODES)


def catalogue(steps: StepDerivations) -> list[Mistake]:
    """Every mistake of the catalogue at this step, with the quantities each gives (none when
    ``too_big``)."""
    return [] if too_big(len(steps.batch.graph.order)) else Catalogue(steps).mistakes()


@dataclass
class Explanation:
    """The mistakes that explain each wrong answer (none found: an empty list)."""

    per_quantity: dict[str, list[Mistake]]
    explains_all: bool  # one mistake explains every wrong answer

    def ids(self, quantity: str) -> list[str]:
        return list(dict.fromkeys(m.id for m in self.per_quantity.get(quantity, [])))

    def found(self) -> list[tuple[Mistake, list[str]]]:
        """Each mistake found, once, with the wrong answers it explains."""
        seen: dict[int, tuple[Mistake, list[str]]] = {}
        for q, mistakes in self.per_quantity.items():
            for m in mistakes:
                seen.setdefault(id(m), (m, []))[1].append(q)
        return list(seen.values())

    def texts(self) -> list[str]:
        """Each mistake found in one line of words."""
        return [_("{mistake} (explains {quantities})").format(mistake=m.text, quantities=", ".join(qs))
                for m, qs in self.found()]

    def lines(self, name: Callable[[str], str] = lambda q: q) -> list[str]:
        """Each mistake found as a headline and one indented line per place it was made."""
        out = []
        for m, qs in self.found():
            which = ", ".join(name(q) for q in qs[:4])
            if len(qs) > 4:
                which = (_("all {n} wrong answers").format(n=len(qs)) if self.explains_all
                         else _("{which} and {n} more").format(which=which, n=len(qs) - 4))
            out.append(_("{id} explains {which}: {what}").format(id=m.id, which=which, what=_(MISTAKES[m.id])))
            out += [f"  {place}" for place in m.places]
        return out


def explain(wrong: dict[str, float], expected: dict[str, float], mistakes: list[Mistake],
            close: Callable[[float, float], bool]) -> Explanation:
    """For each wrong answer (quantity → the number given), the mistakes reproducing it:
    ``close(got, value)`` and the mistake's value is itself wrong. When some mistakes explain
    every wrong answer, only those are reported."""
    explains: list[tuple[Mistake, set[str]]] = []
    for m in mistakes:
        hits = {q for q, got in wrong.items() if q in m.values and not close(m.values[q], expected[q])
                and close(got, m.values[q])}
        if hits:
            explains.append((m, hits))
    everything = [m for m, hits in explains if len(hits) == len(wrong)]
    if everything:
        return Explanation({q: everything for q in wrong}, True)
    explains.sort(key=lambda item: -len(item[1]))
    return Explanation({q: [m for m, hits in explains if q in hits] for q in wrong}, False)
