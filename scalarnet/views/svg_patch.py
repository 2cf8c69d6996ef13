"""Many SVG pictures of one layout stored as a few whole pictures and small patches.

The frames of a step share one layout: flipping frames changes colours and numbers, never
positions, so two frames' SVG texts differ in a few attribute values and text runs. Each
picture is cut into tokens (tags and the text between them) and stored as a patch against
the most similar whole picture of the same elements kept so far (a "base"): a list of
``[start, end, text]``, meaning "tokens start..end of the base are replaced by text". A
picture with other elements, or too unlike every base, becomes a base itself. The page's
script cuts a base the same way (``split`` with the same expression) and applies the
patch, so it gets back the exact text of the picture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TOKEN = re.compile(r"(<[^>]+>)")  # the page's script splits with the same expression
TOKEN_JS = "/(<[^>]+>)/"
MAX_SHARE = 0.4  # a patch bigger than this share of its picture makes the picture a base
COMPARED = 4  # how many of the newest bases a picture is compared with


def tokens(svg: str) -> list[str]:
    return TOKEN.split(svg)


@dataclass
class PatchSet:
    bases: list[str] = field(default_factory=list)
    # per picture: (base index, patch); an empty patch is the base itself
    pictures: list[tuple[int, list[tuple[int, int, str]]]] = field(default_factory=list)
    _cut: list[list[str]] = field(default_factory=list, repr=False)

    def add(self, svg: str) -> int:
        """Store one picture; returns its index."""
        cut = tokens(svg)
        best: tuple[int, list[tuple[int, int, str]]] | None = None
        for k in range(max(0, len(self.bases) - COMPARED), len(self.bases)):
            patch = _patch(self._cut[k], cut)
            if patch is not None and (best is None or _size(patch) < _size(best[1])):
                best = (k, patch)
        if best is None or _size(best[1]) > MAX_SHARE * len(svg):
            self.bases.append(svg)
            self._cut.append(cut)
            best = (len(self.bases) - 1, [])
        self.pictures.append(best)
        return len(self.pictures) - 1

    def text(self, index: int) -> str:
        """The picture's SVG text, rebuilt from its base and patch exactly as the page does."""
        base, patch = self.pictures[index]
        return apply(self._cut[base], patch)

    def to_json(self) -> dict:
        return {"bases": self.bases, "pictures": [[b, [list(p) for p in patch]] for b, patch in self.pictures]}


def _patch(old: list[str], new: list[str]) -> list[tuple[int, int, str]] | None:
    """Token by token: pictures of one layout have the same elements, some values changed.
    Pictures with other elements get no patch (None): they become bases of their own."""
    if len(old) != len(new):
        return None
    out: list[tuple[int, int, str]] = []
    for k, (a, b) in enumerate(zip(old, new)):
        if a != b:
            if out and out[-1][1] == k:  # neighbouring changes: one replacement
                out[-1] = (out[-1][0], k + 1, out[-1][2] + b)
            else:
                out.append((k, k + 1, b))
    return out


def _size(patch: list[tuple[int, int, str]]) -> int:
    return sum(len(text) + 12 for _, _, text in patch)


def apply(base: list[str], patch: list[tuple[int, int, str]]) -> str:
    out, at = [], 0
    for start, end, text in patch:
        out += base[at:start]
        out.append(text)
        at = end
    out += base[at:]
    return "".join(out)
