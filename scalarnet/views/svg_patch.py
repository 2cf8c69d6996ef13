"""Many SVG pictures of one layout stored as a few whole pictures and small patches.

The frames of a step share one layout: flipping frames changes colours and numbers, and
adds the labels of the gradients as the walk reaches them, but never moves a box. So each
picture is stored as a patch against the picture before it: both are cut into tokens (tags
and the text between them), and the patch lists ``[start, end, text]``, "tokens start..end
of the earlier picture are replaced by text" (difflib's opcodes). A picture too unlike the
one before it (the first one, or another layout) is stored whole, as a "base". The page's
script cuts pictures the same way (``split`` with the same expression) and applies the
patches, so it gets back the exact text of every picture.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

TOKEN = re.compile(r"(<[^>]+>)")  # the page's script splits with the same expression
TOKEN_JS = "/(<[^>]+>)/"
MAX_SHARE = 0.4  # a patch bigger than this share of its picture makes the picture a base

Patch = list[tuple[int, int, str]]


def tokens(svg: str) -> list[str]:
    return TOKEN.split(svg)


@dataclass
class PatchSet:
    bases: list[str] = field(default_factory=list)
    # per picture: (ref, patch): ref >= 0 is an earlier picture the patch applies to; ref = -1 - k is base k
    pictures: list[tuple[int, Patch]] = field(default_factory=list)
    _texts: list[str] = field(default_factory=list, repr=False)

    def add(self, svg: str) -> int:
        """Store one picture; returns its index."""
        if self._texts:
            before = len(self._texts) - 1
            patch = _patch(tokens(self._texts[before]), tokens(svg))
            if sum(len(text) for _, _, text in patch) <= MAX_SHARE * len(svg):
                return self._keep(svg, (before, patch))
        self.bases.append(svg)
        return self._keep(svg, (-len(self.bases), []))

    def _keep(self, svg: str, entry: tuple[int, Patch]) -> int:
        self.pictures.append(entry)
        self._texts.append(svg)
        return len(self.pictures) - 1

    def text(self, index: int) -> str:
        """The picture's SVG text, rebuilt from its patches exactly as the page does."""
        ref, patch = self.pictures[index]
        return self.bases[-1 - ref] if ref < 0 else apply(tokens(self.text(ref)), patch)

    def to_json(self) -> dict:
        return {"bases": self.bases, "pictures": [[ref, [list(p) for p in patch]] for ref, patch in self.pictures]}


def _patch(old: list[str], new: list[str]) -> Patch:
    matcher = difflib.SequenceMatcher(None, old, new)  # autojunk: the frequent </g> and </text> anchor nothing
    return [(i1, i2, "".join(new[j1:j2])) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def apply(base: list[str], patch: Patch) -> str:
    out, at = [], 0
    for start, end, text in patch:
        out += base[at:start]
        out.append(text)
        at = end
    out += base[at:]
    return "".join(out)
