"""Issue 23, item 9: wide networks (the [1, N, 1] of the round's corpus) are derived, compared and
drawn in work that grows with the network, or refused from the spec's estimate before anything is
built. Measured by counting the work, never by a timer."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalarnet.analysis import compare
from scalarnet.analysis.derive import StepDerivations
from scalarnet.cli import main
from scalarnet.core import symbolic
from scalarnet.engines.scalar import Exercise
from scalarnet.spec import load


def wide(tmp_path: Path, n: int) -> Path:
    path = tmp_path / f"wide{n}.toml"
    path.write_text(f"[inputs]\nx = 0.5\n[targets]\ny = 0.2\n[network]\nsizes = [1, {n}, 1]\nhidden = \"sigmoid\"\n"
                    "output = \"linear\"\ninit = { seed = 0, scale = 0.1 }\n")
    return path


class Counting(dict):
    """A dict that counts its look-ups."""

    calls = 0

    def get(self, *args):
        Counting.calls += 1
        return super().get(*args)


def derive_all_work(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """(edge look-ups, symbolic terms split) of `derive --all` on [1, n, 1]."""
    steps = StepDerivations.at(Exercise.load(wide(tmp_path, n)), 1)
    for ex in steps.examples:
        ex.edges = Counting(ex.edges)
    Counting.calls = 0
    splits = []
    real = symbolic.split
    monkeypatch.setattr(symbolic, "split", lambda e: splits.append(1) or real(e))
    found = steps.derive_all()
    monkeypatch.undo()
    assert len(found) == 3 * n + 1 and all(d.agrees for d in found)
    return Counting.calls, len(splits)


def test_deriving_every_parameter_of_a_wide_network_is_linear_work(tmp_path, monkeypatch):
    small, big = derive_all_work(tmp_path, 100, monkeypatch), derive_all_work(tmp_path, 200, monkeypatch)
    assert big[0] < 2.5 * small[0]  # path counting: was every node for every parameter (4x for 2x)
    assert big[1] < 2.5 * small[1]  # the output's sum of N terms: was rebuilt term by term (4x)


def test_finite_differences_of_a_huge_network_are_a_spread_sample():
    names = [f"p{k}" for k in range(300_001)]
    sample = compare.fd_sample(names)
    assert len(sample) == 66 and sample[0] == "p0" and sample[-1] == "p300000"
    assert len(set(sample)) == 66 and compare.fd_sample(names[:4000]) == names[:4000]


def test_a_wide_networks_finite_differences_take_a_pass_per_sampled_parameter(tmp_path, monkeypatch):
    from scalarnet.engines.matrix import MatrixExercise

    spec = load(wide(tmp_path, 30_000))  # 90,001 parameters: 222 sampled
    passes = []
    real = MatrixExercise.forward_backward
    monkeypatch.setattr(MatrixExercise, "forward_backward", lambda self, *a: passes.append(1) or real(self, *a))
    fd = compare.finite_differences(spec)
    assert len(fd) == 222 and len(passes) == 2 * 222


@pytest.mark.parametrize("argv, message", [
    (["derive", "{file}", "--all"], "derive would go through about 800,009 scalar nodes of one batch, over its limit "
                                    "of 700,000"),
    (["compare", "{file}"], "compare would go through about 800,009 scalar nodes"),
    (["render", "{file}"], "render would draw about 800,009 scalar nodes of one example, over its limit of 50,000"),
    (["step", "{file}", "--html", "{out}"], "step --html would draw about 800,009 scalar nodes"),
])
def test_a_network_too_wide_to_analyse_or_draw_is_refused_before_its_graph(tmp_path, monkeypatch, capsys, argv,
                                                                            message):
    path = wide(tmp_path, 100_000)
    built = []
    monkeypatch.setattr("scalarnet.core.nn.MLP.trace", lambda *a, **k: built.append(1))  # an example's graph
    code = main([a.format(file=path, out=tmp_path / "v.html") for a in argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err
    assert built == [] and not (tmp_path / "v.html").exists()
