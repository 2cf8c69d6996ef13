"""Quiz variants: deterministic numbers in their ranges, and answer keys whose numbers are the
engine's (`step --json` on each variant's own exercise file)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import read_number

from scalarnet.cli import main
from scalarnet.spec import SpecError, load
from scalarnet.spec.bundled import resolve
from scalarnet.teach import quiz


def run_json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def key_answers(key: Path) -> dict[str, float]:
    """The answers table of a key: | `quantity` | what | answer |."""
    return {m[1]: read_number(m[2]) for m in re.finditer(r"^\| `([^`]+)` \| [^|]+ \| (\S+) \|$", key.read_text(), re.M)}


def test_thirty_variants_of_the_2_2_2_exercise_whose_keys_are_the_engines_numbers(tmp_path, capsys):
    doc = run_json(capsys, "quiz", "sigmoid-2-2-2", "--variants", "30", "--seed", "7", "--out", str(tmp_path),
                   "--json", "--no-pdf")
    assert [v["id"] for v in doc["variants"]] == list(range(1, 31))
    assert all(set(v) == {"id", "exercise", "sheet", "key"} for v in doc["variants"])
    summary = json.loads((tmp_path / "summary.json").read_text())
    seen = set()
    for v, listed in zip(doc["variants"], summary["variants"]):
        step = run_json(capsys, "step", v["exercise"], "--json")["steps"][0]
        expected = {"E": step["loss"], **{f"grad:{p}": g for p, g in step["grads"].items()},
                    **{f"new:{p}": x for p, x in step["params"].items()}}
        key = key_answers(Path(v["key"]))
        assert set(key) == set(summary["asked"]) == {"E", *(f"grad:w{k}" for k in range(1, 9)),
                                                     *(f"new:w{k}" for k in range(1, 9))}
        for q, answer in key.items():
            assert answer == pytest.approx(expected[q], rel=1e-8, abs=1e-15), (v["id"], q)
            assert listed["answers"][q] == expected[q]  # the summary holds the exact numbers
        given = tuple(listed["given"].values())
        assert given not in seen
        seen.add(given)
        assert all(round(x, 2) == x and x != 0.0 for x in given)
        sheet = Path(v["sheet"]).read_text()
        assert "`grad:w1`" in sheet and "`new:w8`" in sheet and "network.svg" in sheet
    rows = (tmp_path / "summary.csv").read_text().splitlines()
    assert len(rows) == 31 and rows[0].startswith("variant,w1,")
    assert (tmp_path / "answers-template.csv").read_text().startswith("student,variant,quantity,value\n")


def test_variants_are_deterministic_and_do_not_depend_on_how_many(tmp_path):
    spec = load(resolve("sigmoid-2-2-2"))
    assert quiz.draw(spec, 3, 2) == quiz.draw(spec, 3, 2) != quiz.draw(spec, 4, 2)
    a = quiz.make("sigmoid-2-2-2", 2, tmp_path / "a", seed=3, pdf=False)
    b = quiz.make("sigmoid-2-2-2", 3, tmp_path / "b", seed=3, pdf=False)
    assert a[1].given == b[1].given and a[1].answers == b[1].answers
    assert (tmp_path / "a" / "variant-02" / "key.md").read_text() == (tmp_path / "b" / "variant-02" / "key.md"
                                                                      ).read_text()


def test_vary_ranges_and_decimals(tmp_path):
    text = resolve("mazur-2-2-2").read_text() + "\n[vary]\ndecimals = 1\nw1 = [0.5, 0.9]\ni1 = [2, 3]\n"
    (tmp_path / "m.toml").write_text(text)
    spec = load(tmp_path / "m.toml")
    assert spec.vary == {"w1": (0.5, 0.9), "i1": (2.0, 3.0)} and spec.vary_decimals == 1
    for k in range(1, 20):
        given = quiz.draw(spec, 0, k)
        assert 0.5 <= given["w1"] <= 0.9 and 2.0 <= given["i1"] <= 3.0
        assert all(round(x, 1) == x for x in given.values())
        assert -1.0 <= given["w5"] <= 1.0 and 0.0 <= given["t1"] <= 1.0  # the defaults elsewhere


@pytest.mark.parametrize("vary, message", [
    ("w11 = [0, 1]", "[vary] w11: 'w11' is not a param, input or target (did you mean w1?)"),
    ("w1 = [1, 0]", "[vary] w1: low 1 is above high 0"),
    ("w1 = 0.5", "[vary] w1: expected [low, high]"),
    ("decimals = -1", "[vary] decimals: expected a whole number of decimals"),
])
def test_bad_vary_is_one_message(tmp_path, vary, message):
    (tmp_path / "m.toml").write_text(resolve("mazur-2-2-2").read_text() + f"\n[vary]\n{vary}\n")
    with pytest.raises(SpecError, match=re.escape(message)):
        load(tmp_path / "m.toml")


def test_the_sheets_picture_shows_the_given_numbers_and_hides_the_answers(tmp_path):
    v = quiz.make("sigmoid-2-2-2", 1, tmp_path, seed=2, pdf=False)[0]
    picture = v.files.get("picture_svg") or v.files["picture_dot"]
    text = picture.read_text()
    for name in ("w1", "w8", "x1", "y2"):
        shown = f"{v.given[name]:g}".replace("-", "")
        assert shown in text, name
    for q in ("E", "grad:w1"):
        digits = f"{abs(v.answers[q]):.4g}"
        assert digits not in text, q


def test_a_network_file_gets_variants_with_its_textbook_names(tmp_path, capsys):
    doc = run_json(capsys, "quiz", "mazur-2-2-2-network", "--variants", "3", "--seed", "2", "--out", str(tmp_path),
                   "--json", "--no-pdf")
    summary = json.loads((tmp_path / "summary.json").read_text())
    for v, listed in zip(doc["variants"], summary["variants"]):
        spec = load(v["exercise"])
        assert spec.network is not None and spec.params["b1"] == listed["given"]["b1"]
        assert spec.params["w7"] == listed["given"]["w7"]
        assert spec.network.matrices()[0][0][1, 0] == listed["given"]["w2"]  # W1[1,0] is w2
        step = run_json(capsys, "step", v["exercise"], "--json")["steps"][0]
        key = key_answers(Path(v["key"]))
        assert key["grad:w1"] == pytest.approx(step["grads"]["w1"], rel=1e-8)
        assert key["new:w8"] == pytest.approx(step["params"]["w8"], rel=1e-8)
        assert "- net_h1 = " in Path(v["sheet"]).read_text()
        picture = (Path(v["sheet"]).parent / "network.svg").read_text()
        assert f"b₁ = {listed['given']['b1']:g}".replace("-", "−") in picture and "net_h1 = ?" in picture


def test_many_examples_are_refused_with_a_message(tmp_path, capsys):
    assert main(["quiz", "curve-fit-1-5-1", "--variants", "1", "--out", str(tmp_path)]) == 2
    assert "a quiz variant is one example worked by hand; this file has 10 examples" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_and_pdf_when_pdflatex_is_installed(tmp_path):
    v = quiz.make("mazur-2-2-2", 1, tmp_path, seed=1)[0]
    for kind in ("sheet", "key"):
        assert v.files[f"{kind}_tex"].read_text().startswith(r"\documentclass")
        assert v.files[f"{kind}_pdf"].read_bytes().startswith(b"%PDF")


def test_asked_quantities_by_name(tmp_path, capsys):
    doc = run_json(capsys, "quiz", "mazur-2-2-2", "--variants", "2", "--ask", "out_o1, grad:w5,new:w5",
                   "--out", str(tmp_path), "--json", "--no-pdf")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["asked"] == ["out_o1", "grad:w5", "new:w5"]
    for v in doc["variants"]:
        step = run_json(capsys, "step", v["exercise"], "--json")["steps"][0]
        assert key_answers(Path(v["key"])) == pytest.approx({"out_o1": step["values"]["out_o1"],
                                                              "grad:w5": step["grads"]["w5"],
                                                              "new:w5": step["params"]["w5"]}, rel=1e-8)
        assert "1. out_o1 (`out_o1`) = ________" in Path(v["sheet"]).read_text()


def test_without_a_renderer_the_sheet_points_to_the_dot_source(tmp_path, monkeypatch):
    from scalarnet.views import diagram

    def no_renderer(graphs, paths, *args, **kwargs):
        dots = [Path(path).with_suffix(".dot") for path in paths]
        for graph, dot in zip(graphs, dots):
            dot.write_text(graph.source)
        raise diagram.NotRendered("no renderer here", dots)

    monkeypatch.setattr(diagram, "save_all", no_renderer)
    v = quiz.make("sigmoid-2-2-2", 1, tmp_path, seed=2, pdf=False)[0]
    assert v.files["picture_dot"].read_text().startswith("digraph")
    assert "`network.dot`" in v.files["sheet"].read_text() and "network.svg" not in v.files["sheet"].read_text()
    assert v.files["key"].is_file()


# -- issue 23: nothing lost, nothing read back wrong, nothing injected ----------------------------
ROOT = Path(__file__).resolve().parent.parent


def test_a_chinese_exercise_makes_variants_that_read_back(tmp_path):
    made = quiz.make(ROOT / "examples" / "中文-2-2-1.toml", 2, tmp_path / "q", seed=5, pdf=False)
    for v in made:
        spec = load(v.files["exercise"])
        assert {n: spec.params[n] for n in ("权重1", "偏置3")} == {n: v.given[n] for n in ("权重1", "偏置3")}
        assert spec.inputs["输入1"] == [v.given["输入1"]] and spec.loss_name == "误差"
        assert spec.title.endswith(f" · variant {v.id}")


GREEK = """
title = "Greek and Chinese names 😀"
[params]
"α" = 0.5
"权重" = -0.3
[inputs]
x = 1.0
[targets]
y = 0.2
[graph]
o = "sigmoid(α*x + 权重)"
E = "0.5*(o - y)^2"
"""


def test_greek_and_chinese_names_and_a_title_outside_the_bmp_read_back(tmp_path):
    (tmp_path / "g.toml").write_text(GREEK, encoding="utf-8")
    v = quiz.make(tmp_path / "g.toml", 1, tmp_path / "q", seed=1, pdf=False)[0]
    text = v.files["exercise"].read_text(encoding="utf-8")
    assert "\\ud83d" not in text and "😀" in text
    spec = load(v.files["exercise"])
    assert spec.params == {"α": v.given["α"], "权重": v.given["权重"]}
    assert spec.title == "Greek and Chinese names 😀 · variant 1"


def test_a_folder_holding_a_quiz_is_refused_and_force_replaces_it_whole(tmp_path, capsys):
    out = tmp_path / "class"
    quiz.make("sigmoid-2-2-2", 3, out, seed=1, pdf=False)
    (out / "grades").mkdir()
    (out / "grades" / "ana.md").write_text("old grades")
    (out / "notes.txt").write_text("the teacher's own file")
    assert main(["quiz", "sigmoid-2-2-2", "--variants", "2", "--seed", "2", "--out", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "holds a quiz already" in err and "--force" in err and err.count("\n") == 1
    assert (out / "variant-03").is_dir()  # untouched
    assert main(["quiz", "sigmoid-2-2-2", "--variants", "2", "--seed", "2", "--out", str(out), "--no-pdf",
                 "--force"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["answers-template.csv", "manifest.json", "notes.txt",
                                                     "summary.csv", "summary.json", "variant-01", "variant-02"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert [v["id"] for v in manifest["variants"]] == [1, 2] and manifest["seed"] == 2
    assert "variant-02/key.md" in manifest["files"] and "notes.txt" not in manifest["files"]
    assert [p.name for p in tmp_path.iterdir()] == ["class"]  # no staging folder left beside it


def test_an_interrupted_quiz_leaves_nothing_behind(tmp_path, monkeypatch):
    real = quiz._draw_variant

    def interrupted(spec, k, *args):
        if k == 2:
            raise KeyboardInterrupt
        return real(spec, k, *args)

    monkeypatch.setattr(quiz, "_draw_variant", interrupted)
    with pytest.raises(KeyboardInterrupt):
        quiz.make("sigmoid-2-2-2", 3, tmp_path / "class", seed=1, pdf=False)
    assert list(tmp_path.iterdir()) == []


def test_variants_are_capped_and_a_long_number_is_not_echoed_whole(tmp_path, capsys):
    assert main(["quiz", "sigmoid-2-2-2", "--variants", "1000000", "--out", str(tmp_path / "q")]) == 2
    err = capsys.readouterr().err
    assert "--variants 1000000: give 1 to 1000" in err and not (tmp_path / "q").exists()
    with pytest.raises(SystemExit):
        main(["quiz", "sigmoid-2-2-2", "--variants", "9" * 5000, "--out", str(tmp_path / "q")])
    err = capsys.readouterr().err
    assert len(err) < 400 and "999999… (5000 digits) is too big" in err


INJECTION = "<img src=x onerror=alert(1)><script>alert(2)</script>\n\n# Injected heading\n\x1b[31mred"


def test_a_hostile_title_is_escaped_in_sheets_keys_and_latex(tmp_path):
    from test_hardening import Tags

    text = resolve("sigmoid-2-2-2").read_text(encoding="utf-8")
    text = re.sub(r'^title\.en = .*$', lambda m: "title.en = " + json.dumps(INJECTION), text, count=1, flags=re.M)
    (tmp_path / "t.toml").write_text(text, encoding="utf-8")
    v = quiz.make(tmp_path / "t.toml", 1, tmp_path / "q", seed=1, pdf=False)[0]
    for kind in ("sheet", "key"):
        md = v.files[kind].read_text(encoding="utf-8")
        tags = Tags()
        tags.feed(md)
        assert tags.tags == [] and "\x1b" not in md, kind
        assert not any(line.startswith("# Injected") for line in md.splitlines()), kind
        tex = v.files[f"{kind}_tex"].read_text(encoding="utf-8")
        section = tex[tex.index(r"\section*{"):].split("\n", 1)[0]
        assert "Injected heading" in section and "\x1b" not in tex  # the title on the heading's one line
    assert load(v.files["exercise"]).title.startswith(INJECTION)  # the exercise file keeps it as it was
