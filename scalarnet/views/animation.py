"""Animations of the backward walk for blog posts: the frames' PNGs joined into one animated
GIF, APNG or WebP with Pillow (``pip install 'scalarnet[anim]'``).

The frames of a step share one layout, so they already have one size; a frame that is
smaller anyway is padded with white at its right and bottom rather than scaled, so that no
box ever moves between frames.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from ..i18n import _

ANIMATIONS = ("gif", "apng", "webp")


class AnimationError(RuntimeError):
    """Pillow is missing, or the frames cannot be read; the message says what to do."""


def check_fps(fps: float) -> float:
    if not (math.isfinite(fps) and 0 < fps <= 50):
        raise AnimationError(_("--fps must be a number of frames per second above 0 and at most 50, not {fps}").format(
            fps=fps))
    return fps


def animate(pngs: Sequence[bytes], fmt: str, fps: float = 2.0, width: int | None = None) -> bytes:
    """One animated image of ``pngs`` in order, ``fps`` frames a second, looping forever;
    ``width``: scaled down to this many pixels across (a blog column), never up."""
    if fmt not in ANIMATIONS:
        raise AnimationError(_("unknown animation format {format!r}; expected one of {formats}").format(
            format=fmt, formats=", ".join(ANIMATIONS)))
    if not pngs:
        raise AnimationError(_("there are no frames to animate"))
    try:
        from PIL import Image
    except ImportError:
        raise AnimationError(_("animations need Pillow: pip install 'scalarnet[anim]' (or pip install pillow)")
                             ) from None
    frames = [Image.open(io.BytesIO(data)).convert("RGB") for data in pngs]
    wide = max(f.width for f in frames)
    high = max(f.height for f in frames)
    frames = [_pad(f, wide, high, Image) for f in frames]
    if width is not None and width < wide:
        size = (width, max(1, round(high * width / wide)))
        frames = [f.resize(size, Image.Resampling.LANCZOS) for f in frames]
    out = io.BytesIO()
    duration = round(1000 / check_fps(fps))
    options = {"save_all": True, "append_images": frames[1:], "duration": duration, "loop": 0}
    if fmt == "gif":
        frames = _one_palette(frames, Image)
        options["append_images"] = frames[1:]
        frames[0].save(out, format="GIF", optimize=False, disposal=1, **options)
    elif fmt == "apng":
        frames[0].save(out, format="PNG", **options)
    else:
        frames[0].save(out, format="WEBP", lossless=True, **options)
    return out.getvalue()


def _one_palette(frames: list, image_module) -> list:
    """The frames in one palette of at most 256 colours, chosen once from a small copy of all of
    them (a diagram has few colours), every pixel then given its nearest colour without
    dithering: quantizing each big frame on its own costs seconds and lets colours flicker."""
    small = [f.reduce(4) if min(f.size) >= 8 else f for f in frames]
    sheet = image_module.new("RGB", (max(f.width for f in small), sum(f.height for f in small)), "white")
    y = 0
    for f in small:
        sheet.paste(f, (0, y))
        y += f.height
    palette = sheet.quantize(colors=256, dither=image_module.Dither.NONE)
    return [f.quantize(palette=palette, dither=image_module.Dither.NONE) for f in frames]


def _pad(frame, width: int, height: int, image_module):
    if frame.size == (width, height):
        return frame
    canvas = image_module.new("RGB", (width, height), "white")
    canvas.paste(frame, (0, 0))
    return canvas
