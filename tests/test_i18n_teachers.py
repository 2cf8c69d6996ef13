"""Issue 12: the teachers' tools in Chinese. `quiz --lang zh` writes question sheets and
answer keys, `grade --lang zh` student reports and the class summary, with no English
interface word left; names, quantity ids, mistake ids and the CSV/JSON keys stay as they are."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from english import english_words, exercise_names
from pdftext import pdf_text

from scalarnet.analysis import diagnose
from scalarnet.cli import main
from scalarnet.teach import quiz

ROOT = Path(__file__).resolve().parent.parent
NAMES = exercise_names("sigmoid-2-2-2")
# LaTeX commands with an ASCII argument (\begin{enumerate}, \texttt{grad:w1}, \hspace{4cm}): markup
LATEX_MARKUP = re.compile(r"\\[A-Za-z]+\*?(?:\[[^\]]*\])?(?:\{[\x20-\x7e]*?\})*")


def without(text: str, start: str, end: str) -> str:
    """``text`` without the part from the line ``start`` to the line before ``end`` (the key's
    derivations, which derive.py's own messages write)."""
    a, b = text.index(start), text.index(end)
    return text[:a] + text[b:]


@pytest.fixture(scope="module")
def zh_quiz(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("quiz") / "class"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(["quiz", "sigmoid-2-2-2", "--variants", "2", "--seed", "7", "--out", str(out), "--lang", "zh"]) == 0
    return out, err.getvalue()


def test_quiz_sheets_and_keys_in_chinese_have_no_english_interface_words(zh_quiz):
    out, _err = zh_quiz
    for k in (1, 2):
        folder = out / f"variant-0{k}"
        sheet, key = (folder / "sheet.md").read_text(), (folder / "key.md").read_text()
        title = "误差后向传播（BP）例题：不带偏置的 2-2-2 sigmoid 网络（MOOC 8.3）"
        assert sheet.startswith(f"# {title} · 变体 {k}\n")
        assert "## 已知" in sheet and "| 名字 | 含义 | 值 |" in sheet and "| x₁ | 输入 |" in sheet
        assert "做一个训练步（正向传播、反向传播、以学习率 η 更新），至少保留 3 位有效数字，求：" in sheet
        assert "17. 更新后的 w₈（`new:w8`）= ________" in sheet
        assert english_words(sheet, NAMES, quoted=True) == []
        assert "| `grad:w5` | ∂E/∂w₅ |" in key and "## 正向传播" in key and "## 更新" in key
        mine = without(key, "## 反向传播", "## 同样的计算，δ 形式")
        assert english_words(mine, NAMES, quoted=True) == []
        for name in ("sheet.tex", "key.tex"):
            tex = (folder / name).read_text()
            body = tex[tex.index(r"\begin{CJK}"):]
            if name == "key.tex":
                body = without(body, r"\subsection*{反向传播}", r"\subsection*{同样的计算，δ 形式}")
            assert r"\usepackage{CJKutf8}" in tex or r"\usepackage{ctex}" in tex
            assert english_words(LATEX_MARKUP.sub(" ", body), NAMES) == [], name
        # the variant's exercise file and the summary keep their English keys
        summary = json.loads((out / "summary.json").read_text())
        assert set(summary) == {"source", "title", "seed", "asked", "variants"}
        assert (out / "answers-template.csv").read_text().startswith("student,variant,quantity,value\n")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_chinese_sheets_get_pdfs_only_where_pdflatex_can_typeset_chinese(zh_quiz):
    out, err = zh_quiz
    pdfs = sorted(out.glob("variant-*/*.pdf"))
    if quiz.cjk_package() is None:
        assert pdfs == []
        assert err.count("4 个含中文的 .tex 文件没有生成 PDF") == 1 and "apt-get install latex-cjk-chinese" in err
    else:
        assert len(pdfs) == 4 and err == ""
        text = pdf_text(next(p for p in pdfs if p.name == "sheet.pdf"))
        if text is not None:  # the Chinese is really typeset: the given table's roles read back
            text = re.sub(r"\s+", "", text)
            assert "参数" in text and "输入" in text and "目标值" in text and "学习率" in text


@pytest.fixture(scope="module")
def zh_grades(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("grades") / "class"
    with contextlib.redirect_stdout(io.StringIO()):
        quiz.make("sigmoid-2-2-2", 5, folder, seed=1, pdf=False)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["grade", str(folder), "--answers", str(ROOT / "examples" / "quiz-answers.csv"),
                     "--lang", "zh"]) == 0
    return folder, printed.getvalue()


def test_grade_reports_in_chinese_have_no_english_interface_words(zh_grades):
    folder, printed = zh_grades
    reports = {p.stem: p.read_text() for p in (folder / "grades").glob("*.md")}
    assert set(reports) == {"ana", "ben", "chen", "dara", "eli", "class"}
    allowed = NAMES | set(diagnose.MISTAKES) | set(reports)
    for name, text in reports.items():
        assert english_words(text, allowed, quoted=True) == [], name
        assert text in printed  # the reports printed are the ones written
    ben = reports["ben"]
    assert ben.startswith("# ben · 变体 2 · 17 题答对 9 题")
    assert "partial_wrt_weight 解释了 全部 8 个错误答案：把对权重的偏导数当成了对隐藏层输出的偏导数" in ben
    assert "∂in_o1/∂out_h1 写成了 ∂in_o1/∂w₅ = out_h1，应为 w₅ = 0.64" in ben
    assert reports["class"].startswith("# 全班汇总 · 5 名学生 · 按 3 位有效数字评分")
    assert "partial_wrt_weight：1 名学生（把对权重的偏导数当成了对隐藏层输出的偏导数）" in reports["class"]


def test_grades_json_keeps_english_keys_and_the_catalogues_english_words(zh_grades):
    folder, _printed = zh_grades
    doc = json.loads((folder / "grades" / "grades.json").read_text())
    ben = doc["students"]["ben"]["quantities"]["grad:w1"]
    assert set(ben) == {"expected", "got", "ok", "diagnosis"} and ben["diagnosis"] == ["partial_wrt_weight"]
    first = doc["summary"]["most_common_mistakes"][0]
    assert set(first) == {"id", "students", "what"} and first["what"] == diagnose.MISTAKES[first["id"]]
    assert english_words(first["what"]) != []  # English, as the JSON contract has it
