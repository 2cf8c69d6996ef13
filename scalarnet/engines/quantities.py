"""The quantities an exercise asks for, named as in its file, and how close an answer must be.

- a named node or parameter by its name, for its value: ``out_o1``, ``E``, ``w1``;
- ``grad:w1`` for ∂L/∂w1 at the step;
- ``new:w1`` for w1 after the step's update.

Students round, so an answer is right when it agrees with the expected number to ``sig``
significant figures: within half a unit in the last of those figures.
"""

from __future__ import annotations

import math

from ..i18n import N_, _
from .record import StepRecord

GRAD, NEW = "grad:", "new:"
SIG = 3  # significant figures, as students round


def step_quantities(record: StepRecord) -> dict[str, float]:
    """Every quantity of a one-example step: named values, ``grad:p`` and ``new:p``."""
    out = {name: v[0] for name, v in record.values.items() if len(v) == 1}
    out.update({GRAD + p: g for p, g in record.grads.items()})
    out.update({NEW + p: v for p, v in record.params.items()})
    return out


def default_asked(record: StepRecord) -> list[str]:
    """What a sheet asks by default: the loss, every gradient and every updated weight of the
    trained parameters."""
    trained = record.trainable or list(record.grads)
    return [record.loss_name] + [GRAD + p for p in trained] + [NEW + p for p in trained]


LOSS_WORD = N_("loss")


def is_the_word_loss(name: str) -> bool:
    """Whether a loss node is called by the word itself ("loss", 损失), so that a line says
    ``损失 = 0.02``, not ``损失 损失 = 0.02``."""
    return name.strip().casefold() in {LOSS_WORD, _(LOSS_WORD).casefold()}


def describe(quantity: str, loss: str = "E") -> str:
    """``grad:w1`` → ∂E/∂w1, ``new:w1`` → w1 after the update."""
    if quantity.startswith(GRAD):
        return f"∂{loss}/∂{quantity[len(GRAD):]}"
    if quantity.startswith(NEW):
        return _("{name} after the update").format(name=quantity[len(NEW):])
    if quantity == loss and not is_the_word_loss(loss):
        return _("the loss {name}").format(name=quantity)
    return quantity


def half_unit(expected: float, sig: int = SIG) -> float:
    """Half a unit in the ``sig``-th significant figure of ``expected``."""
    if expected == 0.0:
        return 0.5 * 10.0 ** (-sig - 6)  # an exact zero: only zero (or a rounding of it) is right
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(expected))) - sig + 1)


def agrees(got: float, expected: float, sig: int = SIG) -> bool:
    """``got`` equals ``expected`` to ``sig`` significant figures (a little slack for the
    binary representation of a rounded decimal)."""
    return abs(got - expected) <= half_unit(expected, sig) * (1.0 + 1e-9)
