"""Naming the chain-rule mistake behind a wrong gradient: the catalogue evaluated with the
engine's numbers, against published mistakes (the MOOC 8.3 example's backprop, Mazur's follow-up
numbers)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from scalarnet.analysis import diagnose
from scalarnet.analysis.derive import StepDerivations
from scalarnet.cli import main
from scalarnet.engines.quantities import GRAD, NEW, step_quantities
from scalarnet.engines.scalar import Exercise
from scalarnet.spec import load
from scalarnet.spec.bundled import resolve
from scalarnet.teach import check

ROOT = Path(__file__).resolve().parent.parent
MOOC83 = str(ROOT / "examples" / "mooc83_backprop.py") + ":back_propagate"


def catalogue(name: str) -> tuple[list[diagnose.Mistake], dict[str, float]]:
    steps = StepDerivations.at(Exercise.load(name), 1)
    return diagnose.catalogue(steps), step_quantities(steps.record)


def test_the_unchanged_derivation_gives_the_engines_gradients():
    steps = StepDerivations.at(Exercise.load("mazur-2-2-2"), 1)
    grads = diagnose.Catalogue(steps).grads(lambda k, child, parent, v: v)
    for name, g in steps.record.grads.items():
        assert grads[name] == pytest.approx(g, rel=1e-12, abs=1e-15)


def test_every_catalogue_mistake_is_there_and_changes_some_answer():
    mistakes, expected = catalogue("sigmoid-2-2-2")
    assert {m.id for m in mistakes} == set(diagnose.MISTAKES)
    for m in mistakes:
        assert any(abs(v - expected[q]) > 1e-9 for q, v in m.values.items()), m.text


def test_check_names_partial_wrt_weight_alone_on_the_mooc83_backprop(capsys):
    spec = load(resolve("sigmoid-2-2-2"))
    result = check.check(spec, check.load_function(MOOC83))
    assert result.wrong == ["w1", "w2", "w3", "w4"]
    for name in ("w1", "w2", "w3", "w4"):
        assert result.params[name].diagnosis == ["partial_wrt_weight"]
    assert all(result.params[n].diagnosis == [] for n in ("w5", "w6", "w7", "w8"))
    text = check.report(result)
    assert "diagnosis: partial_wrt_weight explains w₁, w₂, w₃, w₄" in text
    assert "∂in_o1/∂out_h1 taken as ∂in_o1/∂w₅ = out_h1 where w₅ = 0.1 belongs" in text
    assert main(["check", "sigmoid-2-2-2", "--against", MOOC83, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert {n: p["diagnosis"] for n, p in doc["params"].items()} == {
        **{f"w{k}": ["partial_wrt_weight"] for k in range(1, 5)}, **{f"w{k}": [] for k in range(5, 9)}}


def test_the_partial_wrt_weight_mistake_is_the_mooc83_code_computed_by_hand():
    """δ_o·out_h (the weight's partial) where δ_o·w belongs, written out independently."""
    mistakes, expected = catalogue("sigmoid-2-2-2")
    found = [m for m in mistakes if m.id == "partial_wrt_weight" and len(m.places) == 4][0]
    v = Exercise.load("sigmoid-2-2-2").step().example_values()
    d1 = (v["out_o1"] - v["y1"]) * v["out_o1"] * (1 - v["out_o1"])
    d2 = (v["out_o2"] - v["y2"]) * v["out_o2"] * (1 - v["out_o2"])
    w1 = (d1 + d2) * v["out_h1"] * v["out_h1"] * (1 - v["out_h1"]) * v["x1"]
    assert found.values[GRAD + "w1"] == pytest.approx(w1, rel=1e-12)
    assert found.values[GRAD + "w5"] == expected[GRAD + "w5"]


def test_updated_weights_reproduces_mazurs_error_after_one_step():
    """Mazur's walk-through reports 0.291027924 after the first round; that number comes from
    hidden deltas taken with the already-updated w5…w8 (the right one is 0.291027774)."""
    mistakes, _ = catalogue("mazur-2-2-2")
    wrong = [m for m in mistakes if m.id == "updated_weights" and len(m.places) == 4][0]
    ex = Exercise.load("mazur-2-2-2")
    ex.load_params({q[len(NEW):]: v for q, v in wrong.values.items() if q.startswith(NEW)})
    assert f"{ex.step().loss:.9f}" == "0.291027924"
    right = Exercise.load("mazur-2-2-2")
    right.step()
    assert f"{right.step().loss:.9f}" == "0.291027774"


@pytest.mark.parametrize("mistake", ["error_sign", "no_activation_derivative", "loss_half"])
def test_check_names_other_planted_mistakes(tmp_path, mistake):
    body = {
        "error_sign": "e1, e2 = y1 - o1, y2 - o2\n    a1, a2 = o1*(1-o1), o2*(1-o2)\n    h = 1",
        "no_activation_derivative": "e1, e2 = o1 - y1, o2 - y2\n    a1, a2 = 1, 1\n    h = 1",
        "loss_half": "e1, e2 = 2*(o1 - y1), 2*(o2 - y2)\n    a1, a2 = o1*(1-o1), o2*(1-o2)\n    h = 1",
    }[mistake]
    if mistake == "no_activation_derivative":
        body = body.replace("h = 1", "h = 0")  # the hidden layer's σ′ dropped too: every σ′
    learner = tmp_path / "mine.py"
    learner.write_text(f'''
def back_propagate(v):
    o1, o2, h1, h2, x1, x2, y1, y2 = (v[k] for k in ("out_o1", "out_o2", "out_h1", "out_h2", "x1", "x2", "y1", "y2"))
    {body}
    d1, d2 = e1 * a1, e2 * a2
    s1 = h1 * (1 - h1) if h else 1
    s2 = h2 * (1 - h2) if h else 1
    g1, g2 = (d1 * v["w5"] + d2 * v["w6"]) * s1, (d1 * v["w7"] + d2 * v["w8"]) * s2
    return {{"w1": g1 * x1, "w3": g1 * x2, "w2": g2 * x1, "w4": g2 * x2,
            "w5": d1 * h1, "w7": d1 * h2, "w6": d2 * h1, "w8": d2 * h2}}
''')
    result = check.check(load(resolve("sigmoid-2-2-2")), check.load_function(f"{learner}:back_propagate"))
    assert len(result.wrong) == 8
    for name in result.wrong:
        assert mistake in result.params[name].diagnosis, (name, result.params[name].diagnosis)


def test_explain_prefers_the_one_mistake_that_explains_every_wrong_answer():
    mistakes, expected = catalogue("sigmoid-2-2-2")
    planted = [m for m in mistakes if m.id == "error_sign" and len(m.places) == 2][0]
    wrong = {q: planted.values[q] for q in (GRAD + "w1", GRAD + "w5", GRAD + "w8")}
    found = diagnose.explain(wrong, expected, mistakes, lambda a, b: math.isclose(a, b, rel_tol=1e-9))
    assert found.explains_all
    assert all(found.ids(q) == ["error_sign"] for q in wrong)
