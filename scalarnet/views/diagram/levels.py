"""The ``primitive`` and ``named`` levels: one box per op node, or one per named node with the
anonymous op nodes inside a formula folded into the arrows' partials.

Numbers come from a ``Gradients`` view, so the same code draws the diagram after the whole
backward pass and every frame of the walk (where only some gradients are known yet)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ...core.infix import formula, partial
from ...core.node import Node
from ...i18n import N_, _
from .scene import Arrow, Box, Link, Scene, fold
from .subject import Subject
from .text import num, pretty, sum_text, update_lines

PHASES = ("forward", "backward", "update")


class Gradients(Protocol):
    def grad(self, node: Node) -> float | None: ...  # None: not known (yet)
    def final(self, node: Node) -> bool: ...  # False: contributions are still arriving
    def sent(self, node: Node) -> bool: ...  # the node has passed its gradient to its parents


class EngineGradients:
    """The gradients the engine's backward pass left on the nodes."""

    def grad(self, node: Node) -> float | None:
        return node.grad if node.requires_grad else None

    def final(self, node: Node) -> bool:
        return True

    def sent(self, node: Node) -> bool:
        return True


class WidestSoFar:
    """Every gradient "so far" and as wide as a number gets: the widest text any frame of the
    walk can show, for the layout (frames and the other pictures of a step share it)."""

    WIDE = -0.000888888888  # "-0.000888889": the widest form num() writes

    def grad(self, node: Node) -> float | None:
        return self.WIDE if node.requires_grad else None

    def final(self, node: Node) -> bool:
        return False

    def sent(self, node: Node) -> bool:
        return True


class NothingSent:
    """The first frame's view: no gradient known, no share sent (the shortest arrow labels)."""

    def grad(self, node: Node) -> float | None:
        return None

    def final(self, node: Node) -> bool:
        return False

    def sent(self, node: Node) -> bool:
        return False


@dataclass
class Structure:
    """The boxes of a level (engine nodes, parents first) and the links between them."""

    level: str
    shown: list[Node]
    links: list[Link]
    keys: dict[int, str]  # id(node) -> box key

    @property
    def size(self) -> int:
        return len(self.shown) + len(self.links)


def structure(subject: Subject, level: str) -> Structure:
    members = {id(n) for n in subject.members}
    extra = []
    if subject.batch_loss is not None:  # the batch mean: drawn as one box above the example's loss
        members |= {id(subject.batch_loss), *(id(p) for p in subject.batch_loss.parents)}
        extra = [subject.batch_loss]
    if level == "primitive":
        shown = [*subject.members, *extra]
    else:
        shown = [n for n in subject.members if id(n) in subject.names or n is subject.root] + extra
    shown_ids = {id(n) for n in shown}
    links = [link for n in shown if n.op is not None for link in fold(n, shown_ids, members)]
    return Structure(level, shown, links, {id(n): f"n{k}" for k, n in enumerate(shown)})


def detail_scene(subject: Subject, st: Structure, phase: str, grads: Gradients, symbolic: bool = False) -> Scene:
    scene = Scene(st.level, [])
    backward = phase != "forward"
    loss = pretty(subject.loss_symbol)
    contributions: dict[int, list[float]] = {}
    arrows = []
    for link in st.links:
        live = link.parent.requires_grad
        lines = []
        if backward and live:
            if symbolic:
                lines.append(pretty(_symbolic(subject, link)))
            names = _title(subject, link.child), _title(subject, link.parent)
            lines.append(f"{partial(*names)} = {num(link.partial)}" if all(names) else num(link.partial))
            g = grads.grad(link.child)
            if g is not None and grads.sent(link.child):
                contributions.setdefault(id(link.parent), []).append(g * link.partial)
                lines.append(f"→ {num(g * link.partial)}")
        arrows.append(Arrow(st.keys[id(link.parent)], st.keys[id(link.child)], lines, live=live,
                            partial=link.partial, partner=_partner(st, link)))
    for node in st.shown:
        scene.add(_box(subject, node, st.keys[id(node)], phase, grads, contributions.get(id(node), []), loss))
    scene.arrows = arrows
    return scene


def _partner(st: Structure, link: Link) -> str | None:
    """The box of the other factor, where the link is one factor of a product (w in w·x)."""
    op, i = link.steps[-1]
    if op.op is None or op.op.name != "mul" or len(op.parents) != 2:
        return None
    return st.keys.get(id(op.parents[1 - i]))


ROLE_WORDS = {"param": N_("param"), "input": N_("input"), "target": N_("target")}  # a leaf box's caption


def batch_lines(subject: Subject) -> list[str]:
    """The batch loss's box: what it is the mean of, and which example the picture shows."""
    return [_("mean of {loss} over {n} examples").format(loss=pretty(subject.loss_name), n=subject.batch_size),
            _("(example {example} shown)").format(example=subject.example)]


def value_line(value: float) -> str:
    return _("value = {value}").format(value=num(value))


def _title(subject: Subject, node: Node) -> str | None:
    if node is subject.batch_loss:
        return "L"
    names = subject.names.get(id(node))
    return pretty(" = ".join(names)) if names else None


def _box(subject: Subject, node: Node, key: str, phase: str, grads: Gradients, contributions: list[float],
         loss: str) -> Box:
    role = "batch" if node is subject.batch_loss else subject.role(node)
    title = _title(subject, node)
    names = subject.names.get(id(node), [])
    if role == "const":
        return Box(key, role, num(node.value), node=node)
    if role == "batch":
        lines = batch_lines(subject)
    elif node.op is None:
        frozen = role == "param" and subject.step is not None and names and names[0] not in subject.updated
        lines = [_("param (not trained)") if frozen else _(ROLE_WORDS[role]) if role in ROLE_WORDS else role]
    else:
        lines = [pretty(infix(subject, node, 2 if title is None else 4))]
    if title is None:  # an anonymous op node (primitive level) or an unnamed root
        title = subject.loss_name if node is subject.root else node.op.name  # type: ignore[union-attr]
    lines.append(value_line(node.value))
    if phase != "forward" and node.requires_grad:
        lines += _grad_lines(subject, node, title if names or role == "batch" else "", grads, contributions, loss)
    if phase == "update" and names and names[0] in subject.updated:
        new = subject.updated[names[0]]
        lines += update_lines(title, loss, node.value, node.grad, subject.learning_rate, new)
    params = frozenset(names) if role == "param" else frozenset()
    return Box(key, role, title, lines, node, params, tooltip=" = ".join(names))


def _grad_lines(subject: Subject, node: Node, title: str, grads: Gradients, contributions: list[float],
                loss: str) -> list[str]:
    symbol = partial(loss, title) if title else _("grad")
    g = grads.grad(node)
    if g is None:
        return [f"{symbol} = ?"]
    if not grads.final(node):
        return [_("{symbol} so far = {value}").format(symbol=symbol, value=num(g))]
    lines = [f"{symbol} = {num(g)}"]
    other = g - sum(contributions)
    several_examples = node.op is None and subject.batch_loss is not None and abs(other) > 1e-12 * max(1.0, abs(g))
    if len(contributions) > 1 or several_examples:
        terms = sum_text(contributions + ([other] if several_examples else []))
        lines.append(f"  = {terms}" + (_(" (the last: other examples)") if several_examples else ""))
    return lines


def _symbolic(subject: Subject, link: Link) -> str:
    """The link's partial: the product of the ops' own symbolic rules along it, simplified
    (``0.5*(o - y)^2`` gives ``o − y``)."""
    from ...analysis.derive import Symbols
    from ...core.symbolic import ONE, text

    symbols = Symbols(subject.name)
    total = ONE
    for node, i in link.steps:
        total = total * symbols.partials(node)[i]
    return text(total)


def infix(subject: Subject, node: Node, depth: int = 4) -> str:
    """``node`` as a formula of its named parents, with only the parentheses it needs (the
    shared printer, core/infix.py)."""
    return formula(node, subject.name, num, depth)
