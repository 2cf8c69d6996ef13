"""Grading: answers marked to significant figures against the engine, and every catalogue
mistake, planted by an independent hand computation, named by its id."""

from __future__ import annotations

import csv
import json
import math

import pytest

from scalarnet.analysis import diagnose
from scalarnet.cli import main
from scalarnet.engines.quantities import agrees
from scalarnet.spec import load
from scalarnet.teach import grade, quiz

PLANTED = ["missing_path", "error_sign", "no_activation_derivative", "derivative_at_net",
           "activation_for_derivative", "partial_wrt_weight", "updated_weights", "loss_half",
           "swapped_weight", "update_sign", None]


def hand_step(v: dict, lr: float, mistake: str | None) -> dict[str, float]:
    """One step of the seed-003 2-2-2 network (in_o1 = w5·out_h1 + w7·out_h2, in_o2 = w6·out_h1
    + w8·out_h2) written out by hand, with one classic mistake switched on."""
    s = lambda z: 1.0 / (1.0 + math.exp(-z))  # noqa: E731
    x1, x2, y1, y2 = v["x1"], v["x2"], v["y1"], v["y2"]
    w = {k: v[k] for k in ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")}
    n_h1, n_h2 = w["w1"] * x1 + w["w3"] * x2, w["w2"] * x1 + w["w4"] * x2
    h1, h2 = s(n_h1), s(n_h2)
    n_o1, n_o2 = w["w5"] * h1 + w["w7"] * h2, w["w6"] * h1 + w["w8"] * h2
    o1, o2 = s(n_o1), s(n_o2)
    half = 1.0 if mistake == "loss_half" else 0.5
    E = half * (o1 - y1) ** 2 + half * (o2 - y2) ** 2

    def act(out: float, net: float) -> float:  # σ′, or the mistake made in its place
        return {"no_activation_derivative": 1.0, "derivative_at_net": net * (1 - net),
                "activation_for_derivative": out}.get(mistake, out * (1 - out))

    e1, e2 = (y1 - o1, y2 - o2) if mistake == "error_sign" else (o1 - y1, o2 - y2)
    if mistake == "loss_half":
        e1, e2 = 2 * e1, 2 * e2
    d1, d2 = e1 * act(o1, n_o1), e2 * act(o2, n_o2)
    g = {"w5": d1 * h1, "w7": d1 * h2, "w6": d2 * h1, "w8": d2 * h2}
    bw = dict(w)  # the weights the hidden deltas are computed with
    if mistake == "updated_weights":
        bw.update({k: w[k] - lr * g[k] for k in g})
    if mistake == "swapped_weight":  # w6 for w7 and w7 for w6
        bw["w6"], bw["w7"] = w["w7"], w["w6"]
    if mistake == "partial_wrt_weight":  # the seed's (∂E/∂w5 + ∂E/∂w6)
        back1, back2 = d1 * h1 + d2 * h1, d1 * h2 + d2 * h2
    elif mistake == "missing_path":  # the path through out_o2 left out
        back1, back2 = d1 * bw["w5"], d1 * bw["w7"]
    else:
        back1, back2 = d1 * bw["w5"] + d2 * bw["w6"], d1 * bw["w7"] + d2 * bw["w8"]
    dh1, dh2 = back1 * act(h1, n_h1), back2 * act(h2, n_h2)
    g.update({"w1": dh1 * x1, "w3": dh1 * x2, "w2": dh2 * x1, "w4": dh2 * x2})
    sign = -1.0 if mistake == "update_sign" else 1.0
    out = {"E": E} | {f"grad:{k}": g[k] for k in w} | {f"new:{k}": w[k] - sign * lr * g[k] for k in w}
    return {q: float(f"{x:.4g}") for q, x in out.items()}  # students round to 4 figures


@pytest.fixture(scope="module")
def quiz_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("quiz")
    quiz.make("sigmoid-2-2-2", len(PLANTED), out, seed=11, pdf=False)
    return out


def test_the_hand_step_without_mistakes_is_the_engine(quiz_dir):
    doc = json.loads((quiz_dir / "summary.json").read_text())
    for v in doc["variants"]:
        mine = hand_step(v["given"], 1.0, None)
        assert all(agrees(mine[q], a, 3) for q, a in v["answers"].items())


def planted_csv(quiz_dir, path) -> dict[str, str | None]:
    doc = json.loads((quiz_dir / "summary.json").read_text())
    who = {}
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "variant", "quantity", "value"])
        for k, (mistake, v) in enumerate(zip(PLANTED, doc["variants"]), start=1):
            lr = load(quiz_dir / f"variant-{v['id']:02d}" / "exercise.toml").train.learning_rate
            sid = f"s{k:02d}"
            who[sid] = mistake
            for q, value in hand_step(v["given"], lr, mistake).items():
                w.writerow([sid, v["id"], q, value])
    return who


def test_every_planted_mistake_is_named_by_its_id(quiz_dir, tmp_path, capsys):
    who = planted_csv(quiz_dir, tmp_path / "answers.csv")
    assert main(["grade", str(quiz_dir), "--answers", str(tmp_path / "answers.csv"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"students", "summary"}
    for sid, mistake in who.items():
        assert set(doc["students"][sid]) == {"quantities"}
        answers = doc["students"][sid]["quantities"]
        assert set(answers) == set(json.loads((quiz_dir / "summary.json").read_text())["asked"])
        for a in answers.values():
            assert set(a) == {"expected", "got", "ok", "diagnosis"}
            assert a["ok"] == agrees(a["got"], a["expected"], 3)
        wrong = {q: a for q, a in answers.items() if not a["ok"]}
        if mistake is None:
            assert not wrong
            continue
        assert wrong, f"{sid}: {mistake} changed no answer"
        for q, a in wrong.items():
            assert mistake in a["diagnosis"], (sid, q, a)
    summary = doc["summary"]
    assert set(summary["mistakes"]) >= set(diagnose.MISTAKES)
    assert summary["quantities"]["grad:w5"]["answered"] == len(PLANTED)


def test_the_partial_wrt_weight_student_is_explained_by_that_mistake_alone(quiz_dir, tmp_path):
    who = planted_csv(quiz_dir, tmp_path / "answers.csv")
    sid = next(s for s, m in who.items() if m == "partial_wrt_weight")
    g = grade.grade(quiz_dir, tmp_path / "answers.csv")
    wrong = [a for a in g.students[sid].quantities.values() if not a.ok]
    assert wrong and all(a.diagnosis == ["partial_wrt_weight"] for a in wrong)
    report = grade.student_report(g.students[sid], g.loss)
    assert "partial_wrt_weight explains" in report and "where w₅ =" in report
    assert "partial_wrt_weight" in grade.class_report(g)


def test_tolerance_is_significant_figures():
    assert agrees(0.0123, 0.012345, 3) and not agrees(0.0124, 0.012345, 3)
    assert agrees(-1234.0, -1234.4, 4) and not agrees(-1235.0, -1234.4, 4)
    assert agrees(0.0, 0.0) and not agrees(0.001, 0.0)


@pytest.mark.parametrize("text, message", [
    ("name,variant,quantity,value\n", "the header must be student,variant,quantity,value"),
    ("student,variant,quantity,value\ns1,1,grad:w9,0.1\n", "line 2: 'grad:w9' is not a quantity of variant 1"),
    ("student,variant,quantity,value\ns1,99,E,0.1\n", "line 2: there is no variant 99"),
    ("student,variant,quantity,value\ns1,1,E,0,1\n", "line 2: expected 4 fields"),
    ("student,variant,quantity,value\ns1,1,E,abc\n", "line 2: value 'abc' is not a number"),
    ("student,variant,quantity,value\ns1,1,E,0.1\ns1,2,E,0.1\n", "line 3: student s1 answers variant 2"),
])
def test_bad_answers_get_one_message_naming_the_line(quiz_dir, tmp_path, capsys, text, message):
    (tmp_path / "a.csv").write_text(text)
    assert main(["grade", str(quiz_dir), "--answers", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_readmes_graded_example(tmp_path):
    """README: `scalarnet quiz sigmoid-2-2-2 --variants 30 --seed 1 --out class`, then `scalarnet grade
    class --answers examples/quiz-answers.csv` (variant k does not depend on N: five are enough)."""
    from pathlib import Path

    quiz.make("sigmoid-2-2-2", 5, tmp_path, seed=1, pdf=False)
    answers = Path(__file__).resolve().parent.parent / "examples" / "quiz-answers.csv"
    g = grade.grade(tmp_path, answers)
    named = {sid: sorted({i for a in s.quantities.values() for i in a.diagnosis}) for sid, s in g.students.items()}
    assert named == {"ana": [], "ben": ["partial_wrt_weight"], "chen": ["error_sign"], "dara": ["loss_half"],
                     "eli": ["missing_path"]}
    assert g.students["ben"].right == 9 and g.students["ana"].right == 17
    report = grade.student_report(g.students["ben"], g.loss)
    assert "partial_wrt_weight explains all 8 wrong answers" in report
    assert "∂in_o1/∂out_h1 taken as ∂in_o1/∂w₅ = out_h1 where w₅ = 0.64 belongs" in report
    assert "    grad:w1   ∂E/∂w₁               0.0179784    −0.01069   WRONG  partial_wrt_weight" in report
    assert "    E         the loss E           4/5" in grade.class_report(g)


# -- issue 23: every student's report kept, graded against the quiz as written -------------------
def answers_file(tmp_path, rows: list[tuple[str, int, str, float]]):
    path = tmp_path / "answers.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(grade.HEADER)
        w.writerows(rows)
    return path


COLLIDING = ["张三", "李四", "王五", "a b", "a_b", "a/b", "class", "CLASS", ".", "..", ".hidden", "Ana", "ana",
             "x" * 300, "权" * 300]


def test_every_student_gets_a_report_of_its_own(quiz_dir, tmp_path, capsys):
    answers = answers_file(tmp_path, [(sid, 1, "E", 0.1) for sid in COLLIDING])
    assert main(["grade", str(quiz_dir), "--answers", str(answers)]) == 0
    err = capsys.readouterr().err
    folder = quiz_dir / "grades"
    files = sorted(p.name for p in folder.iterdir())
    assert f"wrote {len(COLLIDING) + 2} files" in err and len(files) == len(COLLIDING) + 2
    assert len({f.casefold() for f in files}) == len(files)  # unique where case does not count either
    assert {"张三.md", "李四.md", "王五.md", "a_b.md", "class.md", "grades.json"} <= set(files)
    assert not any(f.startswith(".") for f in files)
    assert all(len(f.encode()) <= grade.MAX_NAME_BYTES + 3 for f in files)
    doc = json.loads((folder / "grades.json").read_text(encoding="utf-8"))
    reports = {sid: doc["summary"]["per_student"][sid]["report"] for sid in COLLIDING}
    assert len(set(reports.values())) == len(COLLIDING) and reports["a_b"] == "grades/a_b.md"
    assert reports["class"] != "grades/class.md"
    from scalarnet.views.derivation import markdown_text

    for sid, report in reports.items():  # each file is its own student's
        heading = (quiz_dir / report).read_text(encoding="utf-8").splitlines()[0]
        assert heading == f"# {markdown_text(sid)} · variant 1 · 0 of 1 right"
    assert (folder / "class.md").read_text(encoding="utf-8").startswith("# Class summary · 15 students")


def test_a_new_grading_replaces_the_grades_folder_whole(quiz_dir, tmp_path):
    grade.write_reports(grade.grade(quiz_dir, answers_file(tmp_path, [("old", 1, "E", 0.1)])))
    grade.write_reports(grade.grade(quiz_dir, answers_file(tmp_path, [("new", 1, "E", 0.1)])))
    assert sorted(p.name for p in (quiz_dir / "grades").iterdir()) == ["class.md", "grades.json", "new.md"]


def test_grade_reads_the_variants_the_manifest_lists_and_only_as_written(tmp_path, capsys):
    import shutil

    out = tmp_path / "class"
    v = quiz.make("sigmoid-2-2-2", 2, out, seed=4, pdf=False)[0]
    stale = out / "variant-001"  # a stale folder that also reads as variant 1, sorted after variant-01
    shutil.copytree(out / "variant-02", stale)
    answers = answers_file(tmp_path, [("ana", 1, "E", v.answers["E"]), ("ana", 1, "grad:w1", v.answers["grad:w1"])])
    g = grade.grade(out, answers)
    assert g.students["ana"].right == 2  # the key's own answers are right
    exercise = out / "variant-01" / "exercise.toml"
    exercise.write_text(exercise.read_text().replace("learning_rate = 1", "learning_rate = 2"))
    assert main(["grade", str(out), "--answers", str(answers)]) == 2
    err = capsys.readouterr().err
    assert "variant-01/exercise.toml: changed after the quiz wrote it" in err and err.count("\n") == 1
    (out / "manifest.json").unlink()
    assert main(["grade", str(out), "--answers", str(answers)]) == 2
    assert "no manifest.json here" in capsys.readouterr().err


HOSTILE = "<script>alert(1)</script>\n# heading<img src=x onerror=alert(2)>"


def test_a_hostile_student_name_is_escaped_in_reports_and_on_the_terminal(quiz_dir, tmp_path, capsys):
    from test_hardening import Tags

    answers = answers_file(tmp_path, [(HOSTILE.replace("\n", " "), 1, "E", 0.1)])
    assert main(["grade", str(quiz_dir), "--answers", str(answers)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# <script>alert(1)</script> # heading<img")  # the terminal shows it as it is
    report = next(p for p in (quiz_dir / "grades").glob("*.md") if p.name != "class.md").read_text()
    tags = Tags()
    tags.feed(report)
    assert tags.tags == [] and report.count("\n# ") == 0 and "&lt;script&gt;" in report


@pytest.mark.parametrize("row, message", [
    ("s1,١,E,0.1", "line 2: variant '١' is not a whole number (digits 0-9)"),
    ("s1,0_1,E,0.1", "line 2: variant '0_1' is not a whole number"),
    ("s1,1,E,0.0_255", "line 2: value '0.0_255' is not a number"),
    ("s1,1,E,inf", "line 2: value 'inf' is not a finite number"),
    ('"s\n1",1,E,0.1', "line 2: the student 's\\n1' holds a line break"),
    ("s\f1,1,E,0.1", "line 2: the student 's\\x0c1' holds a line break"),
    ("s1," + "9" * 5000 + ",E,0.1", "line 2: there is no variant 999999…(5000 digits): a quiz has at most 1000"),
    ("s1,1,E,0.1\n\x1b[2J,1,E,0.1", "line 3: the student '\\x1b[2J' holds a line break"),
])
def test_answers_that_only_look_like_numbers_or_ids_are_refused(quiz_dir, tmp_path, capsys, row, message):
    (tmp_path / "a.csv").write_text("student,variant,quantity,value\n" + row + "\n", encoding="utf-8")
    assert main(["grade", str(quiz_dir), "--answers", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and len(err) < 400, err


def test_a_header_only_file_is_an_error_not_zero_students(quiz_dir, tmp_path, capsys):
    (tmp_path / "a.csv").write_text("student,variant,quantity,value\n")
    assert main(["grade", str(quiz_dir), "--answers", str(tmp_path / "a.csv")]) == 2
    assert "no answers: the file holds the header line only" in capsys.readouterr().err
