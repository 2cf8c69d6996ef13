"""The shapes a picture's canvas can be made to fit (``--fit``): a projector, an A4 page, or
any width × height. Only the proportions count: the picture keeps its size and is centred
on a canvas of the frame's shape, so a slide or a page shows it as large as it can."""

from __future__ import annotations

import re

from ...i18n import _
from .scene import DiagramError

FRAMES = {
    "slide": (1920.0, 1080.0),  # a 16:9 projector, in pixels
    "a4": (595.0, 842.0),  # A4 portrait, in points
}


def frame_of(fit: str | None) -> tuple[float, float] | None:
    """The (width, height) of ``slide``, ``a4`` or ``WxH`` (such as ``1600x900``); None: no frame."""
    if fit is None:
        return None
    named = FRAMES.get(fit.strip().lower())
    if named is not None:
        return named
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*", fit)
    if m is None or float(m[1]) <= 0 or float(m[2]) <= 0:
        raise DiagramError(_("--fit {fit}: give slide, a4 or a width and a height such as 1600x900").format(fit=fit))
    return float(m[1]), float(m[2])
