"""Chain-rule derivations: every path's factors, their symbols and numbers, and the sum
over the paths against the engine's gradient."""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from conftest import load_bundled
from hypothesis import given, settings
from strategies import build_nodes, recipes

from scalarnet import cli
from scalarnet.analysis.derive import TOLERANCE, StepDerivations, fold, numeric_partials, symbolic_fold
from scalarnet.analysis.derive import delta_form as derive_delta
from scalarnet.core import symbolic
from scalarnet.engines.scalar import Exercise
from scalarnet.spec import from_dict
from scalarnet.views import derivation


def derivations(name: str, step: int = 1, **kwargs) -> StepDerivations:
    return StepDerivations.at(load_bundled(name, **kwargs), step)


def engine_grads(exercise: Exercise, step: int) -> dict[str, float]:
    """What `scalarnet step --json` reports as the gradients of step ``step``."""
    return list(exercise.steps(step))[-1].grads


@pytest.mark.parametrize("step", [1, 3])
def test_the_sum_over_paths_is_the_engines_gradient(bundled_name, step):
    found = derivations(bundled_name, step)
    expected = engine_grads(load_bundled(bundled_name), step)
    assert set(found.params) == set(expected)
    for name in found.params:
        d = found.derive(name)
        assert d.gradient == expected[name]
        assert abs(d.total - expected[name]) <= TOLERANCE, (name, d.total, expected[name])
        if d.paths is not None:
            assert len(d.paths) == d.n_paths
            assert abs(math.fsum(p.product for p in d.paths) - expected[name]) <= TOLERANCE


def test_thousands_of_paths_listed_one_by_one_still_sum_to_the_gradient():
    found = derivations("quadratic-5-layer")
    d = found.derive("W1[0,3]", max_paths=20000)
    assert d.n_paths == len(d.paths) == 16 * 10 * 10 * 10
    assert abs(math.fsum(p.product for p in d.paths) - d.gradient) <= TOLERANCE
    assert {p.nodes[:2] for p in d.paths} == {("L", "E")}


def test_mazur_w5_reads_like_the_textbook_with_the_published_numbers():
    d = derivations("mazur-2-2-2").derive("w5")
    (path,) = d.paths
    assert path.nodes == ("E_total", "out_o1", "net_o1", "w5")
    assert [(f.node, f.wrt) for f in path.factors] == [("E_total", "out_o1"), ("out_o1", "net_o1"),
                                                       ("net_o1", "w5")]
    assert [symbolic.text(f.symbolic) for f in path.factors] == ["out_o1 − t1", "out_o1(1 − out_o1)", "out_h1"]
    published = [0.74136507, 0.186815602, 0.593269992]
    assert [f.value for f in path.factors] == pytest.approx(published, abs=1e-8)
    assert path.product == pytest.approx(0.082167041, abs=1e-9)
    text = derivation.text(d)
    assert "∂E_total/∂w₅ = ∂E_total/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w₅" in text
    assert "= (out_o1 − t₁) · out_o1(1 − out_o1) · out_h1" in text
    assert "= 0.74136507 · 0.186815602 · 0.593269992" in text


def test_mazur_w1_sums_two_paths_to_the_published_gradient():
    d = derivations("mazur-2-2-2").derive("w1")
    assert [p.nodes for p in d.paths] == [("E_total", "out_o1", "net_o1", "out_h1", "net_h1", "w1"),
                                          ("E_total", "out_o2", "net_o2", "out_h1", "net_h1", "w1")]
    assert [symbolic.text(f.symbolic) for f in d.paths[1].factors] == [
        "out_o2 − t2", "out_o2(1 − out_o2)", "w7", "out_h1(1 − out_h1)", "i1"]
    assert d.total == pytest.approx(0.000438568, abs=1e-9)
    assert 0.15 - 0.5 * d.total == pytest.approx(0.149780716, abs=1e-9)  # Mazur's updated w1


@pytest.mark.parametrize(("name", "param", "paths"), [
    ("mazur-2-2-2", "w5", 1), ("mazur-2-2-2", "w1", 2), ("mazur-2-2-2", "b1", 4), ("mazur-2-2-2", "b2", 2),
    ("mazur-2-2-2-network", "b1", 4), ("sigmoid-2-2-2", "w3", 2), ("sigmoid-2-2-1", "w11", 1),
    ("curve-fit-1-5-1", "w1", 1), ("quadratic-5-layer", "W5[2,0]", 16), ("quadratic-5-layer", "W4[0,2]", 16),
    ("quadratic-5-layer", "W3[0,2]", 160), ("quadratic-5-layer", "W2[0,2]", 1600),
    ("quadratic-5-layer", "b1[4]", 16000),
])
def test_path_counts(name, param, paths):
    assert derivations(name).derive(param, max_paths=0).n_paths == paths


def test_composite_formulas_fold_into_one_simplified_factor():
    found = derivations("mazur-2-2-2")
    rules = {(f.node, f.wrt): symbolic.text(f.symbolic) for d in found.derive_all() for p in d.paths
             for f in p.factors}
    assert rules[("net_o1", "out_h1")] == "w5"
    assert rules[("net_o1", "w6")] == "out_h2"
    assert rules[("net_h1", "b1")] == "1"
    curve = derivations("curve-fit-1-5-1").derive("w1").paths[0]
    assert [symbolic.text(f.symbolic) for f in curve.factors] == ["2(y_pred − y)", "a1", "h1(1 − h1)·x"]
    for shown in list(rules.values()) + [symbolic.text(f.symbolic) for f in curve.factors]:
        assert not re.search(r"(^|[^\d.])1·|·1($|[^\d.])|0\.5", shown), shown


def test_every_factor_evaluates_to_its_number(bundled_name):
    found = derivations(bundled_name, 2)
    values = [{name: v[k] for name, v in found.record.values.items()} for k in range(len(found.record.examples))]
    for d in found.derive_all(max_paths=40):
        factors = [(p.example, f) for p in d.paths or [] for f in p.factors[1 if d.loss == "L" else 0:]]
        factors += [(h.example, h.factor) for h in d.hops]
        for example, f in factors:
            at = values[found.record.examples.index(example)]
            assert f.symbolic.evaluate(at) == pytest.approx(f.value, rel=1e-12, abs=1e-15), (d.param, f)


@settings(max_examples=60, deadline=None)
@given(recipes(max_steps=8))
def test_symbolic_rules_match_the_numeric_ones_on_random_graphs(recipe):
    nodes = build_nodes(recipe)
    root = nodes[-1]
    root.name = "f"
    values = {n.name: n.value for n in nodes if n.name is not None}
    for constants in (False, True):  # True: the named constants' partials too (an input's dx)
        numeric = {p.name: v for p, v in fold(root, numeric_partials, 1.0, constants)}
        exprs = symbolic_fold(root, constants)
        assert set(exprs) == set(numeric)
        for name, expr in exprs.items():
            assert expr.evaluate(values) == pytest.approx(numeric[name], rel=1e-9, abs=1e-12), symbolic.text(expr)


BATCH_EXERCISE = {
    "params": {"w": 0.3, "b": -0.2, "a": 1.5},
    "inputs": {"x": [0.5, -1.0, 2.0]},
    "targets": {"y": [0.2, 0.7, 0.1]},
    "graph": {"h": "tanh(w*x + b)", "yhat": "a*h", "E": "(yhat - y)^2 / 2"},
    "train": {"loss": "E", "learning_rate": 0.1, "batch": 3},
}


def test_a_batch_gradient_is_the_mean_over_the_examples_paths():
    ex = Exercise(from_dict(BATCH_EXERCISE))
    found = StepDerivations.at(ex, 2)
    d = found.derive("w")
    assert d.loss == "L" and d.n_paths == 3 and [p.example for p in d.paths] == [0, 1, 2]
    for path in d.paths:
        assert path.nodes == ("L", "E", "yhat", "h", "w")
        first = path.factors[0]
        assert (first.node, first.wrt, first.value, symbolic.text(first.symbolic)) == ("L", "E", 1 / 3, "1 / 3")
    assert [symbolic.text(f.symbolic) for f in d.paths[0].factors[1:]] == ["yhat − y", "a", "(1 − h²)·x"]
    assert abs(d.total - engine_grads(Exercise(from_dict(BATCH_EXERCISE)), 2)["w"]) <= TOLERANCE
    assert "mean of E over the batch of 3 examples" in derivation.text(d)


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(list(argv))
    return code, out.getvalue()


def test_json_contract():
    code, out = run_cli("derive", "mazur-2-2-2", "--param", "w1", "--step", "2", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    _, step_out = run_cli("step", "mazur-2-2-2", "--steps", "2", "--json")
    assert doc["param"] == "w1" and doc["loss"] == "E_total"
    assert doc["value"] == json.loads(step_out)["steps"][1]["grads"]["w1"]
    assert len(doc["paths"]) == 2
    for path in doc["paths"]:
        assert path["nodes"][0] == "E_total" and path["nodes"][-1] == "w1"
        assert [f["node"] for f in path["factors"]] == path["nodes"][:-1]
        assert [f["wrt"] for f in path["factors"]] == path["nodes"][1:]
        assert path["product"] == pytest.approx(math.prod(f["value"] for f in path["factors"]), rel=1e-15)
        assert all(isinstance(f["symbolic"], str) and f["symbolic"] for f in path["factors"])
    assert abs(sum(p["product"] for p in doc["paths"]) - doc["value"]) <= TOLERANCE


def test_all_parameters_and_a_summary_for_the_big_network():
    code, out = run_cli("derive", "quadratic-5-layer", "--all", "--json")
    assert code == 0
    docs = json.loads(out)["derivations"]
    assert len(docs) == 361 and all(d["agrees"] for d in docs)
    big = next(d for d in docs if d["param"] == "W1[0,3]")
    assert len(big["paths"]) == 16 and big["n_paths"] == 16000 and "summarised" in big  # one δ term per example
    assert math.fsum(h["product"] for h in big["hops"]) == pytest.approx(big["value"], abs=TOLERANCE)
    assert math.fsum(p["product"] for p in big["paths"]) == pytest.approx(big["value"], abs=TOLERANCE)
    code, text = run_cli("derive", "quadratic-5-layer", "--param", "W1[0,3]")
    assert "16000 paths" in text and "δ(z₁[3])" in text and "∂z₁[3]/∂W₁[0,3] = x" in text
    assert len(text.splitlines()) < 80


def test_unknown_parameter_is_a_clear_error(capsys):
    assert cli.main(["derive", "mazur-2-2-2", "--param", "w55"]) == 2
    assert "did you mean w5?" in capsys.readouterr().err


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def test_markdown_math_blocks_are_closed_and_balanced():
    md = derivation.markdown(derivations("mazur-2-2-2").derive("w1"))
    blocks = re.findall(r"^\$\$\n(.*?)\n\$\$$", md, flags=re.S | re.M)
    assert len(blocks) == 3 and md.count("$$") == 6
    for block in blocks:
        assert block.startswith(r"\begin{aligned}") and block.endswith(r"\end{aligned}") and _balanced(block)
    assert r"\left(\mathrm{out}_{o1} - t_{1}\right) \cdot \mathrm{out}_{o1}\left(1 - \mathrm{out}_{o1}\right)" in md


def test_latex_fragments_compile(tmp_path):
    parts = [derivation.latex(derivations(name, 2).derive(param)) for name, param in [
        ("mazur-2-2-2", "w1"), ("sigmoid-2-2-1", "b11"), ("curve-fit-1-5-1", "a3"), ("quadratic-5-layer", "W1[0,3]")]]
    parts.append(derivation.latex(StepDerivations.at(Exercise(from_dict(BATCH_EXERCISE)), 1).derive("b")))
    assert all(_balanced(p) for p in parts)
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base); checked brace balance only")
    tex = tmp_path / "d.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + "\n".join(parts)
                   + "\\end{document}\n", encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "d.pdf").stat().st_size > 1000


def test_softmax_cross_entropy_network_through_logsumexp():
    doc = {"inputs": {"x1": [0.5, -1.0], "x2": [1.0, 0.2]}, "targets": {"c1": [1, 0], "c2": [0, 1], "c3": [0, 0]},
           "network": {"sizes": [2, 2, 3], "hidden": "tanh", "output": "softmax", "loss": "cross_entropy",
                       "init": {"seed": 1, "scale": 0.5}},
           "train": {"batch": 1}}
    found = StepDerivations.at(Exercise(from_dict(doc)), 2)
    values = {name: v[0] for name, v in found.record.values.items()}
    for d in found.derive_all():
        assert d.agrees, (d.param, d.total, d.gradient)
        for f in (f for p in d.paths for f in p.factors):
            assert f.symbolic.evaluate(values) == pytest.approx(f.value, rel=1e-12, abs=1e-15)
    # the loss is taken of the logits z2, so a path skips the softmax outputs a2
    assert [p.nodes for p in found.derive("W2[1,0]").paths] == [("E", "z2[0]", "W2[1,0]")]
    rule = symbolic.text(found.derive("W2[1,0]").paths[0].factors[0].symbolic)
    assert rule == "a2[0] − c1"  # p_k − y_k: the softmax output by its name, Σ y = 1 for one-hot targets


def test_a_summarised_json_derivation_still_sums_to_the_gradient(capsys):
    import json
    import math

    from scalarnet.cli import main

    assert main(["derive", "quadratic-5-layer", "--param", "W1[0,3]", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_paths"] == 16000 and "summarised" in doc
    assert all(p["nodes"][0] == doc["loss"] and p["nodes"][-1] == "W1[0,3]" for p in doc["paths"])
    assert all(p["product"] == pytest.approx(math.prod(f["value"] for f in p["factors"])) for p in doc["paths"])
    assert math.fsum(p["product"] for p in doc["paths"]) == pytest.approx(doc["value"], abs=1e-12)


CIRCUIT = str(Path(__file__).resolve().parent.parent / "examples" / "cs231n-circuit.toml")


def test_the_gradient_of_an_input_is_derived_path_by_path(capsys):
    """CS231n's f = (x + y)·z at (−2, 5, −4): every leaf is an input, and dx = −4, dy = −4, dz = 3."""
    for flag, name, expected in (("--param", "x", -4.0), ("--node", "y", -4.0), ("--node", "z", 3.0),
                                 ("--node", "q", -4.0)):
        assert cli.main(["derive", CIRCUIT, flag, name, "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert (doc["value"], doc["sum"], doc["agrees"]) == (expected, expected, True)
    assert cli.main(["derive", CIRCUIT, "--node", "x"]) == 0
    text = capsys.readouterr().out
    assert "f → q → x" in text and "∂f/∂x = ∂f/∂q · ∂q/∂x" in text and "= z · 1" in text


def test_an_input_of_a_network_in_the_delta_form():
    steps = derivations("mazur-2-2-2")
    form = derive_delta(steps, "i1")
    assert form.agrees and form.gradient == pytest.approx(0.00380426688, abs=1e-11)  # the step table's ∂E/∂i1


def test_no_message_lists_nothing(capsys):
    assert cli.main(["derive", CIRCUIT]) == 2
    err = capsys.readouterr().err
    assert "the parameters are" not in err and "there are no parameters" in err and "x, y, z, q, f" in err
    assert cli.main(["derive", CIRCUIT, "--param", "w"]) == 2
    assert "are ;" not in capsys.readouterr().err
    assert cli.main(["derive", CIRCUIT, "--all"]) == 2
    assert "--node NAME" in capsys.readouterr().err


def test_an_exercise_of_inputs_only_steps_and_opens_in_the_viewer(tmp_path, capsys):
    assert cli.main(["step", CIRCUIT, "--html", str(tmp_path / "v.html")]) == 0  # no parameter to show first
    assert "f = −12" in (tmp_path / "v.html").read_text(encoding="utf-8")
