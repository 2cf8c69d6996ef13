"""The diagram is made in one straight pass (views/diagram/__init__.py): ``pictures`` calls
each stage once, in order, and each stage works only on what the one before returned."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import load_bundled

from scalarnet.views import diagram
from scalarnet.views.diagram import Picture, pictures, subject_of

PACKAGE = Path(diagram.__file__).parent


def stage_calls(run) -> list[str]:
    """The diagram package's modules that ``pictures`` calls directly, in call order."""
    seen: list[str] = []

    def profile(frame, event, _arg):
        caller = frame.f_back
        while caller is not None and caller.f_code.co_name in ("<listcomp>", "<genexpr>"):  # pictures' own loops
            caller = caller.f_back
        if event == "call" and caller is not None and caller.f_code is pictures.__code__:
            path = Path(frame.f_code.co_filename)
            if path.parent == PACKAGE and path.stem != "__init__":
                seen.append(path.stem)

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return seen


def stays(modules: list[str]) -> list[str]:
    """Consecutive calls into one module count as one stay there."""
    return [m for k, m in enumerate(modules) if k == 0 or modules[k - 1] != m]


@pytest.mark.parametrize(("name", "options"), [
    ("sigmoid-2-2-2", {}), ("mazur-2-2-2", {"level": "neuron", "param": "w5"}),
    ("sigmoid-2-2-2", {"frames": True}), ("quadratic-5-layer", {}),
])
def test_pictures_visits_plan_then_place_then_dot_once_each(name: str, options: dict) -> None:
    subject = subject_of(load_bundled(name))
    made: list[list[Picture]] = []
    calls = stage_calls(lambda: made.append(pictures(subject, **options)))
    assert stays(calls) == ["plan", "place", "dot"], calls
    assert len(made[0]) == calls.count("dot")  # one drawing per picture, after the one layout


def test_a_pinned_layout_skips_the_place_stage_and_keeps_every_box() -> None:
    ex = load_bundled("mazur-2-2-2")
    first = pictures(subject_of(ex))[0]
    assert first.layout is not None
    ex.params["w5"].value = 0.123456789  # another number: other texts, the same boxes and arrows
    calls = stage_calls(lambda: pictures(subject_of(ex), pinned=first.layout))
    assert stays(calls) == ["plan", "dot"], calls
    again = pictures(subject_of(ex), pinned=first.layout)[0]
    assert again.layout is first.layout
    boxes = [line for line in first.graph.source.splitlines() if "pos=" in line and "->" not in line]
    moved = [line for line in again.graph.source.splitlines() if "pos=" in line and "->" not in line]
    assert [b.split("pos=")[1].split()[0] for b in boxes] == [m.split("pos=")[1].split()[0] for m in moved]
    assert first.graph.source != again.graph.source  # the numbers did change


@pytest.mark.parametrize("terms", ["w + w", "w1 + w2"])
def test_a_box_with_more_arrows_than_can_be_labelled_is_refused_at_once(terms: str, tmp_path: Path, capsys) -> None:
    """z = w + w + … + w with 60 terms: the label placer would search for a minute; the plan
    refuses it before the layout, naming the box and the fix (as the size check does)."""
    from scalarnet.cli import main

    many = 60
    params = "w = 0.5" if terms == "w + w" else "\n".join(f"w{k} = 0.{k % 9 + 1}" for k in range(many))
    total = " + ".join(["w"] * many) if terms == "w + w" else " + ".join(f"w{k}" for k in range(many))
    path = tmp_path / "crowded.toml"
    path.write_text(f'[params]\n{params}\n[inputs]\nx = 1.0\n[graph]\nz = "{total} + x"\nE = "0.5*z**2"\n')
    assert main(["render", str(path), "--format", "dot", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "z would have 60 labelled arrows coming in" in err and "at most 50" in err and "[graph]" in err
    assert not list(tmp_path.glob("*.dot"))
    fewer = tmp_path / "fewer.toml"  # within the limit: drawn
    fewer.write_text(path.read_text().replace(total, " + ".join(total.split(" + ")[:12])))
    assert main(["render", str(fewer), "--format", "dot", "--out", str(tmp_path)]) == 0
