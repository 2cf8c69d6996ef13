"""The text of diagram labels: names with subscripts, numbers, and safe DOT strings."""

from __future__ import annotations

import unicodedata

import graphviz

from ..typography import picture_number, pretty, superscripts

__all__ = ["DIGITS", "dot_label", "dot_text", "num", "pretty", "printable", "sum_text", "superscripts",
           "update_lines"]

DIGITS = 6  # significant digits in diagrams: 0.000438568 reads 0.000438568, never 0.0004


def num(v: float) -> str:
    """A number in a picture (``typography.picture_number``): DIGITS significant digits, the true
    minus sign, never −0, and 3.64 × 10⁻⁵ where digits alone would need an exponent."""
    return picture_number(v, DIGITS)


def sum_text(terms: list[float]) -> str:
    """a + b − c, the signs written between the terms."""
    if not terms:
        return "0"
    out = num(terms[0])
    for t in terms[1:]:
        out += f" − {num(-t)}" if t < 0 else f" + {num(t)}"
    return out


def update_lines(name: str, loss: str, value: float, grad: float, rate: float | None, new: float) -> list[str]:
    """The update rule, then its numbers: w⁺ = w − η·∂E/∂w, = 0.15 − 0.5 × 0.0004 = 0.1498."""
    eta = f"{num(rate)} × " if rate is not None else "η × "
    g = f"({num(grad)})" if grad < 0 else num(grad)  # − 1 × (−0.0084), not − 1 × -0.0084
    return [f"{name}⁺ = {name} − η·∂{loss}/∂{name}", f"= {num(value)} − {eta}{g} = {num(new)}"]


def printable(text: str) -> str:
    """Control characters and lone surrogates shown as escapes, so every label is valid text."""
    out = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def dot_label(lines: list[str]) -> str:
    r"""Lines as one DOT escString, each line centred (``\n``: the renderer centres each line on
    the place the layout chose, whatever width it thinks the text has), every character
    literal: backslashes doubled, ``&`` as an entity, and the whole marked as not-HTML, so
    ``<b>`` stays the text ``<b>`` (the graphviz package escapes the double quotes when it
    writes the attribute)."""
    # An empty line is written as a space: the WebAssembly Graphviz crashes on some empty lines.
    return graphviz.nohtml("".join((dot_text(line) or " ") + "\\n" for line in lines))


def dot_text(text: str) -> str:
    """One line of literal text for an attribute (a tooltip, a title). Graphviz reads ``&amp;``
    in any label as an entity, so ``&`` is written as one."""
    return graphviz.escape(printable(text).replace("&", "&amp;"))
