"""The one precedence-aware printer of formulas: a node as its op applied to its operands, with
brackets exactly where precedence needs them, for every view (diagrams, narration,
derivations, the walk of a graph built in Python).

    0.5·(t1 − out_o1)² + 0.5·(t2 − out_o2)²      not (0.5·((t1 − out_o1)²)) + …
    ∂(x1·w1)/∂x1                                  a name that is itself a formula, bracketed

Operands are bracketed when their operator binds looser than the one they sit in, when they
sit on the right of a − or /, or either side of a power, at the same level (a − (b − c),
(a^b)^c), and when they start with a minus sign anywhere but first (a + (−b), w·(−0.3)).
Names and numbers come from the caller (``leaf``), so the same printer writes the names of an
exercise, the names a view shows, or the values in their place; a name that is itself a
formula (micrograd's ``label="x1*w1"``) is read for its own top-level operator.
``symbolic.py`` brackets the names in its expressions with ``operand`` too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .node import Node

__all__ = ["ATOM", "formula", "is_atom", "operand", "partial", "precedence_of"]

SUM, PRODUCT, SIGN, POWER, ATOM = 1, 2, 3, 4, 5  # how tightly each kind of expression binds
PRECEDENCE = {"add": SUM, "sum": SUM, "sub": SUM, "mul": PRODUCT, "div": PRODUCT, "neg": SIGN, "pow": POWER}
# (operator, operand index) where an operand of the same precedence needs brackets: a − (b − c), a / (b·c)
_TIGHT = {("sub", 1), ("div", 1), ("pow", 0), ("pow", 1), ("neg", 0)}
_SPACED = (" + ", " − ", " - ")  # the binary + and − are written with spaces; a unary minus without
_PRODUCTS = ("·", "*", "/", "×")
_OPEN, _CLOSE = "([{", ")]}"


def _top_level(text: str) -> str:
    """``text`` with everything inside brackets blanked out: what its top-level operators are."""
    depth, out = 0, []
    for ch in text:
        if ch in _CLOSE:
            depth -= 1
        out.append(ch if depth == 0 else " ")
        if ch in _OPEN:
            depth += 1
    return "".join(out)


def precedence_of(text: str) -> int:
    """How tightly a piece of text already written binds, read off its top-level operators:
    ``a + b`` a sum, ``2·x`` a product, ``−0.3`` a sign, ``x²`` and ``x^2`` a power, a name,
    a number or a call an atom."""
    top = _top_level(text.strip())
    if any(op in top for op in _SPACED):
        return SUM
    if top.startswith(("−", "-")):  # −0.3, −2·x, −3.64 × 10⁻⁵: bracketed after an operator
        return SIGN
    if any(op in top for op in _PRODUCTS):
        return PRODUCT
    if "^" in top:
        return POWER
    return ATOM


def is_atom(text: str) -> bool:
    """Whether ``text`` can stand as an operand anywhere without brackets."""
    return precedence_of(text) == ATOM


def operand(text: str) -> str:
    """``text`` bracketed unless it is an atom: a name that is a formula inside ∂…/∂…."""
    return text if is_atom(text) else f"({text})"


def partial(top: str, bottom: str) -> str:
    """∂top/∂bottom, each bracketed when it is a formula: ∂n/∂(x1·w1 + x2·w2)."""
    return f"∂{operand(top)}/∂{operand(bottom)}"


def needs_brackets(op: str, index: int, inner: int) -> bool:
    """Whether operand ``index`` of ``op`` (an op's name), whose own precedence is ``inner``,
    must be bracketed."""
    own = PRECEDENCE.get(op, ATOM)
    if own == ATOM:  # a function's own parentheses hold its arguments: σ(a + b)
        return False
    if inner < own or (inner == own and (op, index) in _TIGHT):
        return True
    return inner == SIGN and index > 0 and own in (SUM, PRODUCT)  # a + (−b), w·(−0.3); −b + a is fine


def formula(node: Node, leaf: Callable[[Node], str | None], number: Callable[[float], str], depth: int = 4) -> str:
    """``node`` written as its op applied to its operands, down to the nodes ``leaf`` names
    (``leaf(n)`` gives the text to write for n, or None to write out n's own formula; constants
    it leaves unnamed are written with ``number``), at most ``depth`` ops deep ("…" below)."""
    return _formula(node, leaf, number, depth, top=True)[0]


def _formula(node: Node, leaf: Callable[[Node], str | None], number: Callable[[float], str], depth: int,
             top: bool = False) -> tuple[str, int]:
    shown = None if top and node.op is not None else leaf(node)
    if shown is None and node.op is None:
        shown = number(node.value)
    if shown is not None:
        return shown, precedence_of(shown)
    if depth == 0:
        return "…", ATOM
    op = node.op
    assert op is not None
    args = []
    for i, parent in enumerate(node.parents):
        text, inner = _formula(parent, leaf, number, depth - 1)
        args.append(f"({text})" if needs_brackets(op.name, i, inner) else text)
    return op.format_value(args), PRECEDENCE.get(op.name, ATOM)
