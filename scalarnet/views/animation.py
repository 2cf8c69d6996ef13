"""Animations of the backward walk for blog posts: one animated GIF, APNG or WebP with Pillow
(``pip install 'scalarnet[anim]'``).

A step's whole diagram is too wide for a blog column: fitted to 1100 px, its numbers were 5 px
high. So the walk zooms (``walk``): its first frame is the whole graph, and each frame after it
a window around the node the walk is at and the boxes its gradient comes from (its arrows to
its children, with their partials), at a scale where the smallest text, the arrows' 10 pt
labels, is ``NUMBERS_PX`` px high. The window stays where it is while the next node's region
fits in it, so the picture moves only when it has to. A band above every frame holds the
titles (which the window leaves out) and a thumbnail of the whole graph with the window marked.

The zoom is Graphviz's own ``viewport`` attribute: either renderer draws only the window, at its
scale, so no frame is drawn bigger than the animation (drawing whole 3000 px frames and
scaling them down took most of the time). The frames of a step share one layout, so a window
shows the same boxes at the same places whichever frame it is in.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..i18n import _

if TYPE_CHECKING:  # the diagram package is imported where a walk is drawn: every command's start imports this
    from .diagram import Picture
    from .diagram.layout import Rect

ANIMATIONS = ("gif", "apng", "webp")
DEFAULT_WIDTH = 1100  # px: a blog column
NUMBERS_PX = 12.5  # px: the smallest text of a zoomed frame (an arrow's label) is this high
WINDOW_SHAPE = 0.5  # the window's height over its width
MARGIN = 12.0  # pt kept free around a node's region in its window
THUMBNAIL = 0.24  # the thumbnail's width, of the frame's
PAD = 8  # px around the band's caption and thumbnail
PX_PER_PT = 96 / 72  # both renderers draw PNGs at 96 dpi; Graphviz's viewport is in points
COLOURS = 36  # in a GIF's one palette
MARK = "#e07000"  # the window on the thumbnail: the orange of the current box


class AnimationError(RuntimeError):
    """Pillow is missing, or the frames cannot be read; the message says what to do."""


def check_fps(fps: float) -> float:
    if not (math.isfinite(fps) and 0 < fps <= 50):
        raise AnimationError(_("--fps must be a number of frames per second above 0 and at most 50, not {fps}").format(
            fps=fps))
    return fps


def _pillow():
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise AnimationError(_("animations need Pillow: pip install 'scalarnet[anim]' (or pip install pillow)")
                             ) from None
    return Image, ImageDraw


def _check(fmt: str, frames: Sequence) -> None:
    if fmt not in ANIMATIONS:
        raise AnimationError(_("unknown animation format {format!r}; expected one of {formats}").format(
            format=fmt, formats=", ".join(ANIMATIONS)))
    if not frames:
        raise AnimationError(_("there are no frames to animate"))


def join(frames: list, fmt: str, fps: float = 2.0, first_hold: int = 1, keep: Sequence[str] = ()) -> bytes:
    """Pillow images of one size as one animation, looping forever; the first shown
    ``first_hold`` times as long as the others; a GIF's palette has ``keep``'s colours."""
    _check(fmt, frames)
    Image, _draw = _pillow()
    duration = round(1000 / check_fps(fps))
    durations = [duration * first_hold] + [duration] * (len(frames) - 1)
    out = io.BytesIO()
    if fmt == "gif":
        frames = _one_palette(frames, Image, keep)
    first, options = frames[0], {"save_all": True, "append_images": frames[1:], "duration": durations, "loop": 0}
    if fmt == "gif":
        first.save(out, format="GIF", optimize=False, disposal=1, **options)
    elif fmt == "apng":
        first.save(out, format="PNG", **options)
    else:
        first.save(out, format="WEBP", lossless=True, **options)
    return out.getvalue()


# -- the zoomed walk -------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """The part of the picture a frame shows: its centre and size in layout points (y down)."""

    x: float
    y: float
    w: float
    h: float


def zoom() -> float:
    """Pixels per point of a zoomed frame: the arrows' labels ``NUMBERS_PX`` high."""
    from .diagram.metrics import EDGE_SIZE

    return NUMBERS_PX / EDGE_SIZE


def windows(pics: Sequence[Picture], width: int = DEFAULT_WIDTH) -> list[Window]:
    """Each frame's window, ``width`` px across when drawn: the last frame's, moved no
    further than it takes to hold this frame's region (its node, its children and the labels
    between), or, where the region is bigger than a window, centred on it with the node kept
    inside. A window that jumped to each region's centre went up and down between w₅ … w₈."""
    w, h = width / zoom(), width * WINDOW_SHAPE / zoom()
    out: list[Window] = []
    for pic in pics:
        (left, top, right, bottom), box = _region(pic)
        x, y = (out[-1].x, out[-1].y) if out else ((left + right) / 2, (top + bottom) / 2)
        out.append(Window(_follow(x, left, right, box[0], box[2], w, pic.layout.width),
                          _follow(y, top, bottom, box[1], box[3], h, pic.layout.height), w, h))
    return out


def _region(pic: Picture) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]]:
    """The bounds of the frame's node with its children and their arrows' labels, and of the node alone."""
    lay, scene = pic.layout, pic.scene
    key = scene.current if scene is not None else None
    if key is None or key not in lay.boxes:  # a frame at no box: the whole picture
        whole = (0.0, 0.0, lay.width, lay.height)
        return whole, whole
    rects = [lay.boxes[key]]
    for arrow, label in zip(scene.arrows, lay.labels):
        if arrow.parent == key:
            rects += [lay.boxes[arrow.child]] + ([label] if label is not None else [])
    return _bounds(rects), _bounds(rects[:1])


def _bounds(rects: list[Rect]) -> tuple[float, float, float, float]:
    return (min(r.left for r in rects), min(r.top for r in rects),
            max(r.right for r in rects), max(r.bottom for r in rects))


def _follow(centre: float, lo: float, hi: float, box_lo: float, box_hi: float, size: float, total: float) -> float:
    """The window's centre along one axis, from ``centre``: moved just enough to hold the
    region [lo, hi] with a margin, or where it cannot, to the region's centre moved so the
    node's box [box_lo, box_hi] stays inside; never off the canvas."""
    if total <= size:
        return total / 2
    if hi - lo + 2 * MARGIN > size:
        centre, lo, hi = (lo + hi) / 2, box_lo, box_hi
    centre = min(max(centre, hi + MARGIN - size / 2), lo - MARGIN + size / 2)
    return min(max(centre, size / 2), total - size / 2)


def viewport(pic: Picture, centre: tuple[float, float], scale: float, size: tuple[int, int]) -> str:
    """The picture's DOT drawn at ``scale`` px per point, ``size`` px, centred on ``centre`` (layout points)."""
    g = pic.graph.copy()
    g.attr(viewport=f"{size[0] / PX_PER_PT:.2f},{size[1] / PX_PER_PT:.2f},{scale / PX_PER_PT:.5f},"
                    f"{centre[0]:.2f},{pic.layout.height - centre[1]:.2f}")
    return g.source


def _caption(lines: list[str], room: int) -> str:
    """The titles as a picture of their own, drawn by the same renderer in the same font, on
    a canvas ``room`` px wide: the in-process Graphviz guesses text widths, and a canvas of
    its guess cut the longest title short."""
    import graphviz

    from .diagram.dot import FONT
    from .diagram.metrics import TITLE_SIZE
    from .diagram.text import dot_text

    w, h = room / PX_PER_PT, 1.4 * TITLE_SIZE * len(lines) + 4  # points
    g = graphviz.Digraph(name="caption")
    g.attr(bgcolor="white", pad="0", layout="nop2")  # one Graphviz draws the whole batch: the diagrams' engine
    text = "".join(dot_text(line) + "\\l" for line in lines)  # left-aligned lines
    g.node("caption", label=graphviz.nohtml(text), shape="plaintext", margin="0", fixedsize="true",
           width=f"{w / 72:.4f}", height=f"{h / 72:.4f}", pos=f"{w / 2:.2f},{h / 2:.2f}!", fontname=FONT,
           fontsize=str(TITLE_SIZE))
    return g.source


def walk(pics: Sequence[Picture], fmt: str, fps: float = 2.0, width: int = DEFAULT_WIDTH) -> bytes:
    """The backward walk of ``pics`` (one layout) as one animation ``width`` px across: the
    whole graph, held two frames, then one zoomed frame per node."""
    _check(fmt, pics)
    check_fps(fps)
    from .diagram.dot import CURRENT_FILL, RED, STYLES

    colours = {c for style in STYLES.values() for k, c in style.items() if k in ("fillcolor", "color")}
    keep = sorted(colours | {RED, CURRENT_FILL, MARK})
    return join(walk_frames(pics, width), fmt, fps, first_hold=2, keep=keep)


def walk_frames(pics: Sequence[Picture], width: int = DEFAULT_WIDTH) -> list:
    """The frames of ``walk`` as Pillow images, all of one size."""
    Image, ImageDraw = _pillow()
    lay = pics[0].layout
    height = round(width * WINDOW_SHAPE)
    whole = min(width / lay.width, height / lay.height)  # px per point of the whole graph
    views = windows(pics, width)
    thumb_w = round(width * THUMBNAIL)
    room = width - 3 * PAD - thumb_w  # for the titles, left of the thumbnail
    titles = [list(p.scene.title) if p.scene else [] for p in pics]
    sources = ([viewport(pics[0], (lay.width / 2, lay.height / 2), whole, (width, height)),
                _caption(titles[0][:2], room)]  # the whole graph's: the exercise and the step
               + [viewport(p, (v.x, v.y), zoom(), (width, height)) for p, v in zip(pics, views)]
               + [_caption(t, room) for t in titles])
    try:
        drawn = [Image.open(io.BytesIO(png)).convert("RGB") for png in _render_in_halves(sources)]
    except OSError as err:  # Pillow cannot read what the renderer wrote
        raise AnimationError(str(err)) from None
    overview, frames = drawn[0], drawn[2:2 + len(pics)]
    captions = [drawn[1], *drawn[2 + len(pics):]]
    graph_w, graph_h = lay.width * whole, lay.height * whole  # the graph within the overview
    left, top = (width - graph_w) / 2, (height - graph_h) / 2
    thumb = overview.crop((round(left), round(top), round(left + graph_w), round(top + graph_h))).resize(
        (thumb_w, max(1, round(thumb_w * lay.height / lay.width))), Image.Resampling.LANCZOS)
    band = max([thumb.height, *(c.height for c in captions)]) + 2 * PAD

    def frame(picture, caption, window: Window | None):
        out = Image.new("RGB", (width, band + height), "white")
        out.paste(_pad(picture, width, height, Image), (0, band))  # a pixel more or less, cut or padded
        out.paste(caption.crop((0, 0, room, caption.height)), (PAD, PAD))  # a title longer than the room is cut
        draw = ImageDraw.Draw(out)
        draw.line([(0, band - 1), (width, band - 1)], fill=(200, 200, 200))
        if window is not None:
            x0, y0 = width - PAD - thumb_w, PAD
            out.paste(thumb, (x0, y0))
            draw.rectangle([x0, y0, x0 + thumb_w - 1, y0 + thumb.height - 1], outline=(200, 200, 200))
            t = thumb_w / lay.width
            draw.rectangle([x0 + max(0.0, (window.x - window.w / 2) * t), y0 + max(0.0, (window.y - window.h / 2) * t),
                            x0 + min(thumb_w - 1.0, (window.x + window.w / 2) * t),
                            y0 + min(thumb.height - 1.0, (window.y + window.h / 2) * t)], outline=MARK, width=2)
        return out

    return [frame(overview, captions[0], None)] + [frame(f, c, v) for f, c, v in zip(frames, captions[1:], views)]


def _render_in_halves(sources: list[str]) -> list[bytes]:
    """The PNGs of ``sources``, drawn by two renderers at once where there are two cores:
    Graphviz drawing the frames is half of the time the walk takes."""
    from concurrent.futures import ThreadPoolExecutor

    from . import render

    if (os.cpu_count() or 1) < 2 or len(sources) < 4:
        return render.render_many(sources, "png")
    half = len(sources) // 2
    with ThreadPoolExecutor(2) as pool:  # each thread waits on its own child process
        first, second = pool.map(lambda part: render.render_many(part, "png"), [sources[:half], sources[half:]])
    return first + second


def _one_palette(frames: list, image_module, keep: Sequence[str] = ()) -> list:
    """The frames in one palette, chosen once from all of them side by side, every pixel then
    given its nearest colour without dithering (a palette per frame lets colours flicker):
    ``keep``'s colours exactly, white, and ``COLOURS`` more from a fast octree (a third of a
    second) for the grey edges of letters and lines. With 256 octree colours the 2-2-2 walk
    was 590 KB, with 36 and the exact ones 415 KB; but the octree alone gives small areas no colour of
    their own (the inputs' light blue came out grey or purple) and averages white with its
    neighbours, whence the exact ones."""
    from PIL import ImageColor

    sheet = image_module.new("RGB", (max(f.width for f in frames), sum(f.height for f in frames)), "white")
    y = 0
    for f in frames:
        sheet.paste(f, (0, y))
        y += f.height
    learned = sheet.quantize(colors=COLOURS, method=image_module.Quantize.FASTOCTREE, dither=image_module.Dither.NONE)
    flat = learned.getpalette()[:3 * COLOURS]
    exact = [ImageColor.getrgb(c)[:3] for c in ["#ffffff", *keep]]
    learned = [tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)]
    near = [e for e in learned if any(max(abs(a - b) for a, b in zip(e, x)) <= 3 for x in exact)]  # their stand-ins
    entries = (exact + [e for e in learned if e not in near])[:256]
    palette = image_module.new("P", (1, 1))
    palette.putpalette([v for e in entries for v in e])
    return [f.quantize(palette=palette, dither=image_module.Dither.NONE) for f in frames]


def _pad(frame, width: int, height: int, image_module):
    if frame.size == (width, height):
        return frame
    canvas = image_module.new("RGB", (width, height), "white")
    canvas.paste(frame, (0, 0))
    return canvas
