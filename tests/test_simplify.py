"""Derivations that read like the textbook: σ′ = out(1 − out), tanh′ = 1 − out², softmax with
cross-entropy p − y, quotients over one denominator, no tautologies, powers as superscripts,
and the delta form; every simplified factor still evaluates to the engine's number."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalarnet.analysis.derive import StepDerivations, delta_form
from scalarnet.cli import main
from scalarnet.core import symbolic
from scalarnet.engines.scalar import Exercise
from scalarnet.spec import from_dict
from scalarnet.views import derivation


def steps_of(doc: dict) -> StepDerivations:
    return StepDerivations.at(Exercise(from_dict(doc)), 1)


def factors(steps: StepDerivations) -> dict[tuple[str, str], tuple[str, float, symbolic.Expr]]:
    return {(f.node, f.wrt): (symbolic.text(f.symbolic), f.value, f.symbolic)
            for d in steps.derive_all() for p in d.paths for f in p.factors}


def values_of(steps: StepDerivations) -> dict[str, float]:
    return {name: v[0] for name, v in steps.record.values.items()}


QUOTIENT = {"params": {"w": 0.3, "v": 0.2}, "inputs": {"x": 0.5}, "targets": {"t": 0.1},
            "graph": {"e": "exp(w*x)", "q": "(e - 1)/(e + 1)", "h": "tanh(q)", "o": "sigmoid(v*h)",
                      "E": "0.5*(o - t)^2"}}


def test_activation_derivatives_in_the_output_and_the_quotient_simplified():
    found = factors(steps_of(QUOTIENT))
    assert found[("q", "e")][0] == "2 / (e + 1)²"
    assert found[("h", "q")][0] == "1 − h²"
    assert found[("o", "v")][0] == "o(1 − o)·h"
    assert found[("E", "o")][0] == "o − t"
    values = values_of(steps_of(QUOTIENT))
    for text, value, expr in found.values():
        assert expr.evaluate(values) == pytest.approx(value, rel=1e-12), text


def softmax_doc(targets: dict) -> dict:
    return {"inputs": {"x1": 0.5, "x2": 0.2}, "targets": targets,
            "network": {"sizes": [2, 2], "output": "softmax", "loss": "cross_entropy",
                        "weights": [[[0.1, 0.2], [0.3, 0.4]]], "biases": [[0.0, 0.1]]}}


def test_softmax_with_cross_entropy_is_p_minus_y():
    s = steps_of(softmax_doc({"y1": 1, "y2": 0}))
    found = factors(s)
    assert found[("E", "z1[0]")][0] == "a1[0] − y1" and found[("E", "z1[1]")][0] == "a1[1] − y2"
    assert not any(re.search("exp|logsumexp", text) for text, _, _ in found.values())
    values = values_of(s)
    assert found[("E", "z1[0]")][1] == pytest.approx(values["a1[0]"] - 1.0, rel=1e-12)


def test_targets_that_do_not_sum_to_one_keep_their_sum():
    s = steps_of(softmax_doc({"y1": 0.5, "y2": 0.3}))
    text, value, expr = factors(s)[("E", "z1[0]")]
    assert "exp" not in text and "a1[0]" in text and "y1 + y2" in text.replace("y2 + y1", "y1 + y2")
    assert expr.evaluate(values_of(s)) == pytest.approx(value, rel=1e-12)


def test_no_tautology_when_a_path_has_one_factor(capsys):
    doc = {"params": {"w": 0.3}, "inputs": {"x": 0.5}, "targets": {"t": 0.1},
           "graph": {"y": "w*x", "E": "0.5*(y - t)^2 + 0.01*w^2"}}
    d = steps_of(doc).derive("w")
    text = derivation.text(d)
    assert "path 2: E → w\n  = 0.02·w\n  = 0.006\n" in text
    single = steps_of({"params": {"w": 0.3}, "inputs": {"x": 0.5}, "graph": {"E": "(w*x)^2"}}).derive("w")
    for shown in (derivation.text(single), derivation.markdown(single), derivation.latex(single)):
        assert not re.search(r"∂E/∂w = ∂E/∂w|\\frac\{\\partial E\}\{\\partial w\} &= \\frac\{\\partial E\}", shown)
    assert "∂E/∂w = 2·w·x²\n        = 0.15\n" in derivation.text(single)


def test_powers_are_superscripts_in_text_and_braced_in_latex():
    d = steps_of(QUOTIENT).derive("w")
    assert "(e + 1)²" in derivation.text(d) and "^2" not in derivation.text(d)
    assert r"\left(e + 1\right)^{2}" in derivation.markdown(d)


def test_the_delta_form_as_the_tutorials_write_it(capsys):
    assert main(["derive", "mazur-2-2-2", "--param", "w1", "--delta"]) == 0
    out = capsys.readouterr().out
    assert "δ_o1 = ∂E_total/∂net_o1 = (out_o1 − t₁)·out_o1(1 − out_o1)\n" in out
    assert "= 0.74136507 · 0.186815602\n" in out  # Mazur's numbers
    assert "δ_h1 = ∂E_total/∂net_h1 = (δ_o1·w₅ + δ_o2·w₇)·out_h1(1 − out_h1)" in out
    assert "∂E_total/∂w₁ = δ_h1·i₁\n" in out and "equal to within 1e-12 ✓" in out
    assert main(["derive", "mazur-2-2-2", "--param", "w5", "--delta"]) == 0
    assert "∂E_total/∂w₅ = δ_o1·out_h1\n" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["mazur-2-2-2", "sigmoid-2-2-2", "sigmoid-2-2-1", "curve-fit-1-5-1"])
def test_the_delta_form_gives_the_engines_gradient_and_each_delta_evaluates_to_its_number(name):
    steps = StepDerivations.at(Exercise.load(name), 1)
    values = values_of(steps)
    for param in steps.params:
        f = delta_form(steps, param)
        assert f.agrees, (param, f.total, f.gradient)
        at = dict(values) | {line.symbol: line.value for line in f.lines if line.name != param}
        for line in f.lines:
            assert line.expr.evaluate(at) == pytest.approx(line.value, rel=1e-9, abs=1e-15), (param, line)


def test_delta_json_and_markdown(capsys):
    import json

    assert main(["derive", "sigmoid-2-2-2", "--param", "w5", "--delta", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [x["symbolic"] for x in doc["deltas"]] == ["(out_o1 − y1)·out_o1(1 − out_o1)"]
    assert doc["result"][0]["symbolic"] == "δ_o1·out_h1" and doc["agrees"]
    assert main(["derive", "sigmoid-2-2-2", "--param", "w5", "--delta", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert r"\delta_{o_{1}} = \frac{\partial E}{\partial \mathrm{in}_{o1}}" in md and md.count("$$") == 2


small = st.floats(min_value=0.1, max_value=3.0)


@settings(max_examples=50, deadline=None)
@given(small, small, small, st.integers(1, 3))
def test_together_keeps_the_value(a, b, c, k):
    x, y = symbolic.Sym("x"), symbolic.Sym("y")
    e = (x - 1) / (x + y) ** k + c / (x + y) + x / y
    values = {"x": a, "y": b}
    assert symbolic.together(e).evaluate(values) == pytest.approx(e.evaluate(values), rel=1e-9)
