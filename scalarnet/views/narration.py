"""One line per frame of a step, with the numbers, saying what happens at it:

    forward   out_h1 = σ(net_h1) = σ(0.3775) = 0.593270
    backward  ∂E/∂net_o1 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 = 0.741365 × 0.186816 = 0.138499
    update    w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.5 × 0.0821670 = 0.358916

Everything is read off the engine's nodes of one example (a name → node dict, the
example's "slot"): values, gradients, and the local partials between named nodes, folded
through the anonymous nodes of a formula as the derivations fold them. Where several edges
meet, the backward line is the sum of their shares.
"""

from __future__ import annotations

from ..analysis.derive import fold, numeric_partials
from ..core.infix import formula
from ..core.node import Node
from ..i18n import _
from .typography import name as shown
from .typography import partial as _d
from .typography import pretty, scientific, signed, superscripts


def num(v: float) -> str:
    """Six significant digits as the tutorials print them, trailing zeros kept where the
    number was rounded (0.593270, 0.0821670) and dropped where it was not (0.3775, 0.4, 1);
    the true minus sign, never −0, and 3.64 × 10⁻⁵ where digits alone would need an exponent
    (views/typography.py)."""
    v = float(v) + 0.0
    if v.is_integer() and abs(v) < 1e15:
        return signed(str(int(v)))
    short = format(v, ".6g")
    if "e" in short:
        return scientific(v)
    return signed(short if abs(float(short) - v) <= 1e-12 * abs(v) else format(v, "#.6g"))


def _factor(v: float) -> str:
    """A number inside a product: negative numbers in parentheses."""
    return f"({num(v)})" if v < 0 else num(v)


class Narrator:
    """The narration of one example's step: ``slot`` maps each named node of the example
    to its engine node, after the backward pass."""

    def __init__(self, slot: dict[str, Node], loss: str, batch_size: int = 1) -> None:
        self.slot = slot
        self.loss = loss  # the loss the gradients are of: the example's loss, or "L" for a batch
        self.batch_size = batch_size
        self.name_of = {id(node): name for name, node in slot.items()}
        # for each named node: the named nodes its formula uses, with ∂node/∂parent
        self.uses: dict[str, list[tuple[str, float]]] = {}
        self.consumers: dict[str, list[tuple[str, float]]] = {name: [] for name in slot}
        for name, node in slot.items():
            if node.op is None:
                continue
            parents = [(self.name_of[id(p)], d) for p, d in fold(node, numeric_partials, 1.0) if id(p) in self.name_of]
            self.uses[name] = parents
            for parent, d in parents:
                self.consumers[parent].append((name, d))

    def forward(self, name: str) -> str:
        """``out_h1 = σ(net_h1) = σ(0.3775) = 0.593270``; a leaf: ``w1 = 0.15``."""
        node = self.slot[name]
        if node.op is None:
            return f"{shown(name)} = {num(node.value)}"
        written = pretty(formula(node, lambda n: self.name_of.get(id(n)), num))
        with_numbers = superscripts(formula(node, lambda n: num(n.value) if id(n) in self.name_of else None, num))
        parts = [shown(name), written] + ([with_numbers] if with_numbers != written else []) + [num(node.value)]
        return " = ".join(parts)

    def backward(self, name: str) -> str:
        """∂E/∂name as the sum of the shares of the edges leaving it toward the loss."""
        node = self.slot[name]
        here = _d(self.loss, name)
        shares = self.consumers[name]
        if not shares:  # the example's loss itself
            if self.batch_size == 1:
                return f"{here} = 1"
            return f"{here} = 1/{self.batch_size} = {num(node.grad)}  " + _(
                "(the batch loss is the mean over the examples)")
        if [c for c, _ in shares] == [self.loss] and self.batch_size == 1:  # ∂E/∂E · ∂E/∂x says nothing more
            return f"{here} = {num(node.grad)}"
        symbols = " + ".join(f"{_d(self.loss, c)} · {_d(c, name)}" for c, _ in shares)
        numbers = " + ".join(f"{_factor(self.slot[c].grad)} × {_factor(d)}" for c, d in shares)
        return f"{here} = {symbols} = {numbers} = {num(node.grad)}"

    def update(self, name: str, before: float, grad: float, after: float, rate: float, trained: bool) -> str:
        """``w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.5 × 0.0821670 = 0.358916``."""
        if not trained:
            return _("{name} is not trained: it stays {value}").format(name=shown(name), value=num(before))
        return (f"{shown(name)}⁺ = {shown(name)} − η·{_d(self.loss, name)} = {num(before)} − {num(rate)} × "
                f"{_factor(grad)} = {num(after)}")

