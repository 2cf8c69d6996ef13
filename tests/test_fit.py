"""``--fit slide|a4|WxH``: the canvas takes the frame's shape, the picture keeps its size
(issue 21, item 1); a shape that names nothing is refused with the fix, before any work."""

from __future__ import annotations

import re

import pytest

from scalarnet.cli import main
from scalarnet.views.diagram import DiagramError, diagram, frame_of, pictures, subject_of


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("fit", "frame"), [("slide", (1920.0, 1080.0)), ("A4", (595.0, 842.0)),
                                            ("1600x900", (1600.0, 900.0)), (" 800 × 600.5 ", (800.0, 600.5)),
                                            (None, None)])
def test_frames_by_name_or_size(fit, frame):
    assert frame_of(fit) == frame


@pytest.mark.parametrize("fit", ["3x", "0x100", "slides", "100x-5", ""])
def test_a_shape_that_names_nothing_is_refused_with_the_fix(fit):
    with pytest.raises(DiagramError, match=r"--fit .*: give slide, a4 or a width and a height such as 1600x900"):
        frame_of(fit)


def _canvas(graph) -> tuple[float, float]:
    """The layout's canvas, from the corner dots pinned in the DOT (y up, 0.5 pt from the edge)."""
    (x0, y0), = [tuple(map(float, m)) for m in re.findall(r'canvas_nw \[.*?pos="([\d.]+),([\d.]+)!', graph.source)]
    (x1, y1), = [tuple(map(float, m)) for m in re.findall(r'canvas_se \[.*?pos="([\d.]+),([\d.]+)!', graph.source)]
    return x1 - x0 + 1, y0 - y1 + 1


@pytest.mark.parametrize("fit", ["slide", "a4", "500x500"])
def test_the_drawn_canvas_has_the_frames_proportions_and_the_boxes_their_size(fit):
    subject = subject_of("mazur-2-2-2")
    plain = pictures(subject, level="neuron")[0].layout
    shaped = pictures(subject, level="neuron", fit=fit)[0].layout
    w, h = frame_of(fit)
    drawn = ((shaped.width + 8) / (shaped.height + 8))  # Graphviz pads 4 pt on every side
    assert drawn == pytest.approx(w / h, rel=1e-6)
    assert shaped.width >= plain.width - 1e-6 and shaped.height >= plain.height - 1e-6
    assert min(shaped.width - plain.width, shaped.height - plain.height) == pytest.approx(0, abs=8.01)
    for key, r in plain.boxes.items():  # every box as big as before, all moved by one offset
        s = shaped.boxes[key]
        assert (s.w, s.h) == (r.w, r.h)
        assert (s.x - r.x, s.y - r.y) == pytest.approx(((shaped.width - plain.width) / 2,
                                                        (shaped.height - plain.height) / 2))
    assert _canvas(diagram("mazur-2-2-2", level="neuron", fit=fit)) == pytest.approx(
        (shaped.width, shaped.height), abs=0.02)


def test_render_writes_a_fitted_picture_and_refuses_a_bad_fit(capsys, tmp_path):
    code, out, err = run(capsys, "render", "sigmoid-2-2-2", "--fit", "3x", "--out", str(tmp_path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert "--fit 3x: give slide, a4 or a width and a height such as 1600x900" in err
    assert list(tmp_path.iterdir()) == []
    code, out, err = run(capsys, "render", "sigmoid-2-2-2", "--page", "a4", "--format", "dot", "--out", str(tmp_path))
    assert code == 0, err
    written = tmp_path / "sigmoid-2-2-2-step1-backward-named.dot"
    assert out.strip() == str(written)
    assert written.read_text(encoding="utf-8") == diagram("sigmoid-2-2-2", fit="a4").source


def test_quiz_and_diagrams_refuse_a_bad_fit_before_writing(capsys, tmp_path):
    code, out, err = run(capsys, "quiz", "mazur-2-2-2", "--variants", "1", "--out", str(tmp_path / "q"),
                         "--fit", "wide", "--no-pdf")
    assert code == 2 and "--fit wide: give slide, a4" in err and not (tmp_path / "q").exists()
    code, out, err = run(capsys, "diagrams", "--out", str(tmp_path / "d"), "--fit", "wide")
    assert code == 2 and "--fit wide: give slide, a4" in err and not (tmp_path / "d").exists()
