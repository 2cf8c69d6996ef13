"""New numbers into a picture Graphviz drew before, without running Graphviz again.

In a pinned layout a change of values changes only the labels' texts: every box, arrow and
coordinate of the DOT stays, and Graphviz centres each line of a label on a place that
depends only on how many lines it has. So once Graphviz has drawn a picture of one kind
(the update picture, frame 3 of the walk, …), the same picture at other values is that SVG
with the lines of each label replaced, in order, by the new DOT's. ``Template`` holds one
drawn picture; ``patch`` gives the SVG of a new DOT source, or None when the new source
differs in anything but label texts or line counts (then Graphviz draws it).

A template is used only when it reads back Graphviz's own drawing: every line of every
label of its DOT, written as Graphviz writes text into SVG, must be the very text of the
SVG. Otherwise (a character escaped in a way not foreseen here) it is never used.
"""

from __future__ import annotations

import re

from ..svg_patch import tokens

LABEL = re.compile(r'label="((?:[^"\\]|\\.)*)"')
ID = re.compile(r"\bid=(\w+)")
GROUP = re.compile(r'<g id="([^"]+)" class="(?:node|edge)\b')


def label_lines(text: str) -> list[str]:
    r"""The lines of a DOT label as the graphviz package wrote it: ``\"`` a quote, ``\\`` a
    backslash, ``\n`` (or ``\l``, ``\r``) the end of a line, ``&amp;`` an ampersand."""
    lines, line, k = [], [], 0
    while k < len(text):
        ch = text[k]
        if ch == "\\" and k + 1 < len(text):
            k += 1
            if text[k] in "nlr":
                lines.append("".join(line))
                line = []
            else:
                line.append(text[k])
        else:
            line.append(ch)
        k += 1
    if line:
        lines.append("".join(line))
    return [entry.replace("&amp;", "&") for entry in lines]


def svg_text(line: str) -> str:
    """A line of text as Graphviz writes it into SVG: markup characters and '-' as entities,
    a space after a space as a no-break space (so that runs of spaces stay)."""
    out, before = [], ""
    for ch in line:
        if ch == " " and before == " ":
            out.append("&#160;")
        else:
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "-": "&#45;"}.get(ch, ch))
        before = ch
    return "".join(out)


def labels(source: str) -> tuple[str, dict[str, list[str]]]:
    """The DOT source without its label texts, and each element's label lines by id."""
    found = {}
    for line in source.splitlines():
        match = LABEL.search(line)
        if match:
            element = ID.search(LABEL.sub("", line))
            if element:
                found[element.group(1)] = label_lines(match.group(1))
    return LABEL.sub('label=""', source), found


class Template:
    """A drawn picture, ready to take other texts."""

    def __init__(self, source: str, svg: str) -> None:
        self.skeleton, self.lines = labels(source)
        self.tokens = tokens(svg)
        self.places: dict[str, list[int]] = {}  # element id -> the tokens holding its lines' texts
        element, in_text = None, False
        for k, token in enumerate(self.tokens):
            group = GROUP.match(token)
            if group:
                element = group.group(1)
            elif token.startswith("<text"):
                in_text = True
            elif in_text and not token.startswith("<") and element is not None:
                self.places.setdefault(element, []).append(k)
            elif token.startswith("</text"):
                in_text = False
        self.usable = all(self._fits(element, lines) for element, lines in self.lines.items())

    def _fits(self, element: str, lines: list[str]) -> bool:
        places = self.places.get(element, [])
        shown = [line for line in lines if line.strip()]  # Graphviz draws no text for a blank line
        return len(places) == len(shown) and all(self.tokens[k] == svg_text(t) for k, t in zip(places, shown))

    def patch(self, source: str) -> str | None:
        """The SVG of ``source``, or None when it is not this picture with other texts."""
        if not self.usable:
            return None
        skeleton, new = labels(source)
        if skeleton != self.skeleton or new.keys() != self.lines.keys():
            return None
        out = list(self.tokens)
        for element, lines in new.items():
            shown = [line for line in lines if line.strip()]
            places = self.places.get(element, [])
            if len(shown) != len(places):
                return None
            for k, text in zip(places, shown):
                out[k] = svg_text(text)
        return "".join(out)
