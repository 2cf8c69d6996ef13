"""One typographic rule for every view (tables, derivations, narration, diagrams, the viewer):

- **the true minus sign** (−0.5, not -0.5), and never a negative zero (−0 is 0);
- **names written one way**: a name's subscript is written once. After an underscore the rest
  of the name is its subscript, written as it is (the textbook's net_{h1} is ``net_h1``,
  δ_{o1} is ``δ_o1``, E_{total} is ``E_total``); a name without an underscore has its trailing
  digits as subscript digits (w_1 is ``w₁``, x₂, W₁[0,2], 输入₁). Never both (not ``net_h₁``);
- **brackets exactly where precedence needs them**: formulas are printed by ``core/infix.py``;
- **numbers in pictures**: six significant digits, and in scientific form ``3.64 × 10⁻⁵``
  (three significant digits) where plain digits would need an exponent (``3.63675e-05``).

JSON, CSV, TOML and LaTeX keep their own forms (ASCII minus, names as in the file).
"""

from __future__ import annotations

import math
import re

from ..core.infix import operand

MINUS = "−"
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_POWER = re.compile(r"\^(\d{1,2})(?![\d.])")  # x^2, not x^2.5
# digits ending a word that starts with a letter of any script: w1, out_h1, W1[0,0], 输入1
# (not 0.5, not 1e-05); [^\W\d_] is a letter, and only ASCII digits have subscripts; x1.grad is x₁.grad
_TRAILING_DIGITS = re.compile(r"(?<![\w.])([^\W\d_][^\W\d]*?)([0-9]+)(?!\w|\.\d)")


def signed(text: str) -> str:
    """A number's text with the true minus sign in front (the exponent's sign left alone)."""
    return MINUS + text[1:] if text.startswith("-") else text


def number(v: float, digits: int = 9) -> str:
    """Up to ``digits`` significant digits (trailing zeros dropped), scientific notation for very
    small or large values; the true minus sign, and 0 for −0."""
    return signed(f"{v + 0.0:.{digits}g}")  # + 0.0: −0.0 becomes 0.0


def scientific(v: float, digits: int = 3) -> str:
    """``3.64 × 10⁻⁵``: ``digits`` significant digits, the power of ten in superscript."""
    mantissa, exponent = f"{v + 0.0:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{signed(mantissa)} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"


def picture_number(v: float, digits: int = 6) -> str:
    """A number in a picture: ``digits`` significant digits, or ``scientific`` where that would
    need an exponent (below 10⁻⁴, or from 10^digits up)."""
    text = number(v, digits)
    return scientific(v) if "e" in text and math.isfinite(v) else text


def name(text: str) -> str:
    """Every name in ``text`` written by the rule above: w1 → w₁, W1[0,2] → W₁[0,2], h10 → h₁₀,
    输入1 → 输入₁; out_h1, δ_o1 and E_total as they are."""
    return _TRAILING_DIGITS.sub(lambda m: m.group(0) if "_" in m.group(1) else
                                m.group(1) + m.group(2).translate(_SUBSCRIPTS), text)


def superscripts(text: str) -> str:
    """Small whole powers as superscripts: x^2 → x² (not x^2.5)."""
    return _POWER.sub(lambda m: m.group(1).translate(_SUPERSCRIPTS), text)


def pretty(text: str) -> str:
    """A formula or label as shown: its names by the rule, small whole powers as superscripts."""
    return name(superscripts(text))


def partial(top: str, bottom: str) -> str:
    """∂top/∂bottom with both names shown by the rule, each bracketed when it is a formula."""
    return f"∂{operand(name(top))}/∂{operand(name(bottom))}"
