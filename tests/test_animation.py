"""`render --frames --format gif|apng|webp`: one animated file of the backward walk, a frame per node."""

from __future__ import annotations

import io
import re
import shutil

import pytest

from scalarnet.cli import main
from scalarnet.views import render
from scalarnet.views.animation import AnimationError, join, viewport, windows, zoom
from scalarnet.views.diagram import backward_frames
from scalarnet.views.diagram.dot import STYLES

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (pip install 'scalarnet[anim]')")
ImageColor = pytest.importorskip("PIL.ImageColor")
needs_png = pytest.mark.skipif(not render.can_render("png"),
                               reason="no renderer for PNG here: " + render.install_hint("png"))


@pytest.mark.parametrize("fmt", ["gif", "apng", "webp"])
def test_every_frame_is_kept_in_order_at_the_requested_rate(fmt):
    colours = ["red", "green", "blue", "black"]
    data = join([Image.new("RGB", (40, 30), c) for c in colours], fmt, fps=4, first_hold=2)
    im = Image.open(io.BytesIO(data))
    assert im.n_frames == 4 and im.size == (40, 30)
    for k, colour in enumerate(colours):
        im.seek(k)
        assert im.convert("RGB").getpixel((20, 15)) == Image.new("RGB", (1, 1), colour).getpixel((0, 0))
        assert im.info["duration"] == (500 if k == 0 else 250)


@pytest.mark.parametrize("fps", [0, -1, float("inf"), float("nan"), 51])
def test_a_rate_that_is_no_rate_is_refused(fps):
    with pytest.raises(AnimationError, match="--fps"):
        join([Image.new("RGB", (4, 4), "red")], "gif", fps=fps)


@needs_png
def test_the_walk_gif_is_the_whole_graph_then_a_zoomed_frame_per_node(tmp_path, capsys):
    """The README's command: 1100 px wide, the whole graph held two frames, then the 17 nodes
    of the walk; at most 500 KB (978 KB when every frame was the whole graph scaled down)."""
    assert main(["render", "sigmoid-2-2-2", "--frames", "--format", "gif", "--fps", "1.5", "--width", "1100",
                 "--out", str(tmp_path)]) == 0
    path = tmp_path / "sigmoid-2-2-2-step1-frames-named.gif"
    assert capsys.readouterr().out.strip() == str(path)
    pics = backward_frames("sigmoid-2-2-2")
    assert len(pics) == 17  # every node of the MOOC 8.3 network's walk: E … w4
    im = Image.open(path)
    assert im.n_frames == 1 + len(pics) and im.width == 1100 and im.height > 550  # the band above the window
    durations = []
    for k in range(im.n_frames):
        im.seek(k)
        durations.append(im.info["duration"])
    assert durations == [1330] + [660] * 17  # 1000 / 1.5 ms a frame, in the GIF's hundredths of a second
    assert path.stat().st_size <= 500_000
    # one palette for all, with every kind of box's colour in it (the octree alone turned the inputs' blue grey)
    im.seek(0)
    palette = im.getpalette()
    entries = [tuple(palette[i:i + 3]) for i in range(0, len(palette), 3)]
    for style in STYLES.values():
        if "fillcolor" in style:
            want = ImageColor.getrgb(style["fillcolor"])
            assert min(max(abs(a - b) for a, b in zip(e, want)) for e in entries) <= 3, style
    assert (255, 255, 255) in entries


@pytest.mark.parametrize("backend", ["dot", "wasm"])
def test_a_zoomed_frame_draws_its_numbers_12_px_high_at_1100_px_with_its_node_in_view(backend):
    """Measured on what each renderer draws: the smallest text's font size × the SVG's scale,
    in the PNG's pixels (96 per inch), and the window the SVG shows holds the frame's box."""
    if not (render.can_render("png", backend) and render.can_render("svg", backend)):
        pytest.skip(f"no {backend} renderer here: " + render.install_hint("png"))
    pics = backward_frames("sigmoid-2-2-2")
    views = windows(pics, 1100)
    sources = [viewport(p, (v.x, v.y), zoom(), (1100, 550)) for p, v in zip(pics, views)]
    png = Image.open(io.BytesIO(render.render_many(sources[5:6], "png", backend)[0]))
    assert png.width == 1100 and abs(png.height - 550) <= 1  # resvg rounds 412.5 pt up (the frame is cut to 550)
    for pic, svg in zip(pics, render.render_many(sources, "svg", backend)):
        text = svg.decode("utf-8")
        size = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', text)
        width_pt, height_pt = float(size.group(1)), float(size.group(2))
        scale, tx, ty = (float(v) for v in re.search(
            r'transform="scale\(([\d.]+) [\d.]+\) rotate\(0\) translate\((-?[\d.]+) (-?[\d.]+)\)"', text).groups())
        px = png.width / width_pt  # PNG pixels per SVG point
        smallest = min(float(f) for f in re.findall(r'font-size="([\d.]+)"', text))
        assert smallest * scale * px >= 12, pic.current
        box = pic.layout.boxes[pic.scene.current]  # in view: x from -tx, y (down) from height - ty
        left, top = -tx, pic.layout.height - ty
        assert left <= box.left and box.right <= left + width_pt / scale, pic.current
        assert top <= box.top and box.bottom <= top + height_pt / scale, pic.current
    assert len(set(views)) == 10  # the window moves only when the next node's region leaves it


def test_an_animation_needs_the_walk(tmp_path, capsys):
    assert main(["render", "sigmoid-2-2-2", "--format", "gif", "--out", str(tmp_path)]) == 2
    assert "add --frames" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_without_a_renderer_nothing_is_written_and_the_message_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCALARNET_RENDERER", "none")
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert main(["render", "sigmoid-2-2-2", "--frames", "--format", "gif", "--out", str(tmp_path)]) == 1
    assert "install" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
