"""`render --frames --format gif|apng|webp`: one animated file of the backward walk, a frame per node."""

from __future__ import annotations

import io
import shutil

import pytest

from scalarnet.cli import main
from scalarnet.views import render
from scalarnet.views.animation import AnimationError, animate
from scalarnet.views.diagram import backward_frames

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (pip install 'scalarnet[anim]')")
needs_png = pytest.mark.skipif(not render.can_render("png"),
                               reason="no renderer for PNG here: " + render.install_hint("png"))


def _png(width: int, height: int, colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["gif", "apng", "webp"])
def test_every_frame_is_kept_in_order_at_the_requested_rate(fmt):
    colours = ["red", "green", "blue", "black"]
    data = animate([_png(40, 30, c) for c in colours], fmt, fps=4)
    im = Image.open(io.BytesIO(data))
    assert im.n_frames == 4 and im.size == (40, 30)
    for k, colour in enumerate(colours):
        im.seek(k)
        assert im.convert("RGB").getpixel((20, 15)) == Image.new("RGB", (1, 1), colour).getpixel((0, 0))
        assert im.info["duration"] == 250


def test_a_smaller_frame_is_padded_at_the_right_and_bottom_never_scaled():
    data = animate([_png(40, 30, "black"), _png(20, 10, "black")], "gif", fps=1)
    im = Image.open(io.BytesIO(data))
    im.seek(1)
    frame = im.convert("RGB")
    assert frame.size == (40, 30)
    assert frame.getpixel((5, 5)) == (0, 0, 0) and frame.getpixel((35, 25)) == (255, 255, 255)


def test_width_scales_every_frame_down_alike_and_never_up():
    im = Image.open(io.BytesIO(animate([_png(400, 100, "red"), _png(400, 100, "blue")], "gif", width=200)))
    assert im.size == (200, 50) and im.n_frames == 2
    assert Image.open(io.BytesIO(animate([_png(40, 30, "red")], "gif", width=200))).size == (40, 30)


@pytest.mark.parametrize("fps", [0, -1, float("inf"), float("nan"), 51])
def test_a_rate_that_is_no_rate_is_refused(fps):
    with pytest.raises(AnimationError, match="--fps"):
        animate([_png(4, 4, "red")], "gif", fps=fps)


@needs_png
def test_the_walk_gif_has_one_frame_per_node_all_of_one_size(tmp_path, capsys):
    assert main(["render", "sigmoid-2-2-2", "--frames", "--format", "gif", "--fps", "4", "--out", str(tmp_path)]) == 0
    path = tmp_path / "sigmoid-2-2-2-step1-frames-named.gif"
    assert capsys.readouterr().out.strip() == str(path)
    pics = backward_frames("sigmoid-2-2-2")
    assert len(pics) == 17  # every node of the MOOC 8.3 network's walk: E … w4
    im = Image.open(path)
    assert im.n_frames == len(pics) and im.info["duration"] == 250
    # the frames as rendered, before any padding: one layout per step means one size (the
    # first, a middle and the last frame stand for all: the layout tests check every frame)
    shown = [pics[0], pics[len(pics) // 2], pics[-1]]
    sizes = {Image.open(io.BytesIO(png)).size for png in render.render_many([p.graph.source for p in shown], "png")}
    assert sizes == {im.size}


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
