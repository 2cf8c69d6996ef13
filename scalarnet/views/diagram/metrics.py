"""How wide a line of diagram text is, in points, measured with the advance widths of the
diagrams' font (DejaVu Sans Condensed, stored in ``_font_widths.py``) rather than guessed
by the renderer: the WebAssembly Graphviz guesses about 12 % short, and its boxes then cut
their text. Boxes are sized from these widths, so both renderers draw the same boxes."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from ._font_widths import RUNS

MONO_EM = 0.602  # every glyph of DejaVu Sans Mono
WIDE_EM = 1.0  # CJK and other wide characters, drawn by a fallback font
OTHER_EM = 0.75  # characters the table lacks: wider than most, so boxes stay big enough
SLACK = 1.04  # other sans fonts a browser may substitute are at most this much wider
LINE = 1.2  # line height, in font sizes (the WebAssembly Graphviz's; the system one uses less)
BOX_SIZE = 11.0  # points: box text
EDGE_SIZE = 10.0  # edge labels (at least 9 pt, the floor for reading numbers)
TITLE_SIZE = 12.0
LEGEND_SIZE = 10.0
PAD_X, PAD_Y = 7.2, 5.0  # inside a box (Graphviz's margin 0.1 inch)


@lru_cache(maxsize=1)
def _widths() -> dict[int, float]:
    return {first + k: w / 1000 for first, run in RUNS for k, w in enumerate(run)}


def char_em(ch: str, mono: bool = False) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return WIDE_EM
    if unicodedata.combining(ch):
        return 0.0
    if mono:
        return MONO_EM
    return _widths().get(ord(ch), OTHER_EM)


@lru_cache(maxsize=65536)  # a step's pictures measure the same texts many times over
def text_width(text: str, size: float, mono: bool = False) -> float:
    """The width of one line at font size ``size`` (points)."""
    return SLACK * size * sum(char_em(ch, mono) for ch in text)


def block_size(lines: list[str], size: float, mono: bool = False) -> tuple[float, float]:
    """Width and height of lines of text, without padding."""
    width = max((text_width(line, size, mono) for line in lines), default=0.0)
    return width, LINE * size * max(len(lines), 1)


def box_size(lines: list[str], mono: bool = False) -> tuple[float, float]:
    """A box that holds ``lines`` of box text with its padding (and a point of border)."""
    w, h = block_size(lines, BOX_SIZE, mono)
    return w + 2 * PAD_X + 2, h + 2 * PAD_Y


def edge_label_size(lines: list[str]) -> tuple[float, float]:
    w, h = block_size(lines, EDGE_SIZE)
    return w + 2, h + 1


def text_size(lines: list[str], size: float) -> tuple[float, float]:
    """A block of free text (title, legend, note) with a little room around it."""
    w, h = block_size(lines, size)
    return w + 4, h + 4
