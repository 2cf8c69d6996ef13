"""`compare`: scalar, matrix and torch agree within 1e-10 on every bundled exercise; a wrong
engine is caught and named; finite differences are reported, with the kinks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scalarnet.analysis import compare as cmp
from scalarnet.cli import main
from scalarnet.engines import matrix
from scalarnet.spec import load
from scalarnet.spec.bundled import resolve
from scalarnet.views import compare_table


def test_every_bundled_exercise_agrees_on_every_engine(bundled_name):
    spec = load(resolve(bundled_name))
    result = cmp.compare(spec, steps=3)
    expected = ["scalar"] + ["matrix"] * (spec.network is not None) + ["torch"] * cmp.torch_available()
    assert [r.name for r in result.runs] == expected
    assert result.ok, [p.to_json() for p in result.pairs]
    for pair in result.pairs:
        assert pair.max_abs <= 1e-10 * max(1.0, max(abs(v) for r in result.runs for v in r.losses))
    # every run really ran three steps and moved the parameters
    for run in result.runs:
        assert len(run.losses) == 3 and run.params[-1] != run.params[0]


def test_torch_is_one_of_the_engines(torch, bundled_name):
    result = cmp.compare(load(resolve(bundled_name)), steps=2)
    assert "torch" in [r.name for r in result.runs] and result.ok


def test_torch_reproduces_published_mazur_numbers(torch):
    run = cmp.run_torch(load(resolve("mazur-2-2-2")), 1)
    assert run.losses[0] == pytest.approx(0.298371109, abs=5e-10)
    assert run.grads[0]["w5"] == pytest.approx(0.082167041, abs=5e-10)
    assert run.params[0]["w1"] == pytest.approx(0.149780716, abs=5e-10)
    assert run.params[0]["b1"] == 0.35  # not trainable


def test_finite_differences_agree_where_the_function_is_smooth():
    result = cmp.compare(load(resolve("sigmoid-2-2-1-network")), steps=1, use_torch=False)
    rows = result.fd_rows()
    assert set(rows) == set(result.runs[0].grads[0])
    assert all(r["ok"] and r["abs_diff"] < 1e-8 for r in rows.values())
    assert result.kinks == []


def test_the_five_layer_exercise_hits_relu_kinks_and_still_agrees():
    result = cmp.compare(load(resolve("quadratic-5-layer")), steps=1, use_torch=False)
    assert result.ok
    assert any("z1[0]" in k and "example 10" in k for k in result.kinks)  # x = 0, biases 0: net input 0
    flagged = [n for n, r in result.fd_rows().items() if not r["ok"]]
    assert flagged and all(result.fd_rows()[n]["kink"] for n in flagged)
    assert "kink: ReLU at 0" in compare_table.table(result)


def test_a_wrong_engine_is_caught_and_named(monkeypatch):
    real = matrix.derivative

    def wrong(kind, Z, A):  # σ′ off by 1%
        return real(kind, Z, A) * (1.01 if kind == "sigmoid" else 1.0)

    monkeypatch.setattr(matrix, "derivative", wrong)
    result = cmp.compare(load(resolve("sigmoid-2-2-2-network")), steps=1, use_torch=False)
    assert not result.ok
    pair = result.pairs[0]
    assert (pair.a, pair.b, pair.ok) == ("scalar", "matrix", False)
    assert pair.first_offending == "∂L/∂w1 (step 1)"  # the first hidden weight: σ′ of the hidden layer
    # σ′ appears twice on the way to a hidden weight: the gradient is 1.01² times too big
    assert pair.max_rel == pytest.approx(1 - 1 / 1.01**2, rel=1e-6)


def test_cli_json_contract_and_exit_status(capsys, monkeypatch):
    assert main(["compare", "mazur-2-2-2-network", "--steps", "2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and doc["engines"][:2] == ["scalar", "matrix"]
    for pair in doc["pairs"]:
        assert set(pair) >= {"a", "b", "max_abs", "max_rel", "worst"}
        assert pair["max_abs"] <= 1e-10 and pair["worst"] in doc["finite_differences"]["params"] | {"loss": 0}
    assert doc["finite_differences"]["params"]["w5"]["fd"] == pytest.approx(0.082167041, abs=1e-8)
    monkeypatch.setattr(matrix, "output_delta", lambda *a: np.zeros((1, 2)))
    assert main(["compare", "mazur-2-2-2-network"]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS" in out and "∂L/∂w1 (step 1)" in out


def test_cli_table_names_the_skipped_engines(capsys):
    assert main(["compare", "curve-fit-1-5-1"]) == 0
    out = capsys.readouterr().out
    assert "matrix: a [graph] file" in out
    assert "central finite differences of step 1" in out and "ok: every engine agrees" in out
