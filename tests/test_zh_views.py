"""The views a person looks at, in Chinese (``--lang zh``): derivations, diagrams and the
step viewer say no English interface word (names and formulas don't count), keep their math,
and the JSON contract stays English."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from english import english_words, exercise_names
from pdftext import pdf_text

from scalarnet.cli import main
from scalarnet.core import ops
from scalarnet.i18n import using_language
from scalarnet.spec import load
from scalarnet.spec.bundled import resolve
from scalarnet.teach import quiz
from scalarnet.views import render

EXERCISES = ["sigmoid-2-2-2", "mazur-2-2-2", "curve-fit-1-5-1"]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def run(capsys, *argv: str) -> str:
    assert main([*argv, "--lang", "zh"]) in (0, None)
    return capsys.readouterr().out


def left_over(text: str, name: str) -> list[str]:
    """The English words of ``text``, the exercise's own title (translated elsewhere) left out,
    and the delta form's symbols (δ_o1, δ_pred: a Greek letter, then the unit's name). Names
    drawn with subscript digits (out_h₁) are read as written in the file (out_h1)."""
    text = re.sub(r"δ_\w+", " ", text.replace(load(resolve(name)).title or "\0", " "))
    text = text.translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
    return english_words(text, exercise_names(name) | OP_NAMES)


# the primitive level's boxes are the engine's ops, named as in the code (mul, add, pow …)
OP_NAMES = {op.name for op in ops.Op.__subclasses__() if isinstance(op.name, str)}


# -- derivations ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXERCISES)
@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
@pytest.mark.parametrize("extra", [(), ("--delta",), ("--max-paths", "1")], ids=["paths", "delta", "summary"])
def test_derivations_say_no_english_word(capsys, name, fmt, extra):
    out = run(capsys, "derive", name, "--param", "w1", "--format", fmt, *extra)
    assert "∂" in out or r"\partial" in out
    assert left_over(out, name) == []
    assert re.search(r"[\u4e00-\u9fff]", out)


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_every_parameter_and_a_batch_in_chinese(capsys, fmt):
    assert left_over(run(capsys, "derive", "sigmoid-2-2-2", "--all", "--format", fmt), "sigmoid-2-2-2") == []
    batch = run(capsys, "derive", "quadratic-5-layer", "--param", "W1[0,0]", "--format", fmt)
    assert left_over(batch, "quadratic-5-layer") == []
    assert "16 个样本的批次" in batch


def test_the_chinese_derivation_reads_as_the_english_one(capsys):
    out = run(capsys, "derive", "sigmoid-2-2-2", "--param", "w1").splitlines()
    assert out[0] == "∂E/∂w₁（第 1 步，样本 0）：从 E 经过命名节点到 w₁ 的路径共 2 条"
    assert out[2] == "路径 1：E → out_o1 → in_o1 → out_h1 → in_h1 → w₁"
    assert "  = (out_o1 − y₁) · out_o1(1 − out_o1) · w₅ · out_h1(1 − out_h1) · x₁" in out
    assert "∂E/∂w₁ = 0.000758156828 + (−0.00917963729) = −0.00842148046" in out
    assert out[-1] == ("与引擎核对：引擎算出的梯度 ∂E/∂w₁ = −0.00842148046；各路径之和 = −0.00842148046，"
                       "相差 0：在 1e-12 以内相等 ✓")
    latex = run(capsys, "derive", "sigmoid-2-2-2", "--param", "w1", "--format", "latex")
    assert r"\usepackage{amsmath}" in latex and "ctex" in latex  # what a Chinese document needs


def test_the_chinese_latex_fragment_typesets_with_pdflatex_and_cjkutf8(capsys, tmp_path):
    latex = run(capsys, "derive", "sigmoid-2-2-2", "--param", "w1", "--format", "latex")
    if shutil.which("pdflatex") is None or quiz.cjk_package() is None:
        pytest.skip("needs pdflatex with CJKutf8 and a Chinese font (apt-get install latex-cjk-chinese)")
    tex = tmp_path / "d.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{CJKutf8}\n\\begin{document}\n"
                   "\\begin{CJK}{UTF8}{gbsn}\n" + latex + "\\end{CJK}\n\\end{document}\n", encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name], cwd=tmp_path,
                          capture_output=True, encoding="utf-8", errors="replace", timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    text = pdf_text(tmp_path / "d.pdf")
    if text is not None:
        assert "路径1" in re.sub(r"\s+", "", text)


@pytest.mark.parametrize("extra", [(), ("--delta",), ("--max-paths", "1")])
def test_json_is_the_same_contract_in_every_language(capsys, extra):
    argv = ["derive", "quadratic-5-layer", "--param", "W1[0,0]", "--format", "json", *extra]
    assert main([*argv, "--lang", "en"]) in (0, None)
    english = json.loads(capsys.readouterr().out)
    assert json.loads(run(capsys, *argv)) == english


# -- diagrams ---------------------------------------------------------------------------------
def svg_words(svg: str) -> str:
    """The text a person reads in an SVG: its <text> elements."""
    return "\n".join(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S))


RENDERS = [("sigmoid-2-2-2", ()), ("sigmoid-2-2-2", ("--phase", "forward")),
           ("sigmoid-2-2-2", ("--phase", "update")), ("sigmoid-2-2-2", ("--param", "w1")),
           ("sigmoid-2-2-2", ("--level", "primitive")), ("sigmoid-2-2-2", ("--level", "neuron", "--param", "w5")),
           ("sigmoid-2-2-2", ("--level", "layer", "--phase", "update")), ("sigmoid-2-2-2", ("--frames",)),
           ("mazur-2-2-2", ("--level", "neuron", "--phase", "update")), ("curve-fit-1-5-1", ("--param", "w1")),
           ("quadratic-5-layer", ("--level", "layer", "--param", "W2[0,0]"))]


@pytest.mark.skipif(render.available_backends() == ["none"], reason="no Graphviz renderer")
@pytest.mark.parametrize("name,extra", RENDERS)
def test_rendered_diagrams_say_no_english_word(capsys, tmp_path, name, extra):
    printed = run(capsys, "render", name, "--out", str(tmp_path), *extra)
    svgs = sorted(tmp_path.rglob("*.svg"))
    assert svgs and len(svgs) == len(printed.split())
    for path in svgs:
        words = svg_words(path.read_text(encoding="utf-8"))
        assert left_over(words, name) == [], path.name
        assert "值 = " in words or "单元" in words


@pytest.mark.skipif(render.available_backends() == ["none"], reason="no Graphviz renderer")
def test_a_frame_in_chinese(capsys, tmp_path):
    run(capsys, "render", "sigmoid-2-2-2", "--frames", "--param", "w1", "--out", str(tmp_path))
    words = svg_words(sorted(tmp_path.rglob("*.svg"))[3].read_text(encoding="utf-8")).splitlines()
    assert "第 1 步 · 样本 0 · 反向传播逐节点 · 命名节点视图 · 红色：从损失到 w₁ 的每条路径" in words
    assert "第 4 帧，共 17 帧：在 in_o1" in words
    assert "∂E/∂out_h1 目前 = 0.00616052" in words  # a gradient not complete yet
    assert "橙色：反向传播当前所在的节点" in words
    assert "红色：从 w₁ 到 E 的 2 条路径；∂E/∂w₁ = −0.00842148" in words


# -- the viewer -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def zh_page(tmp_path_factory) -> Path:
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        pytest.skip("needs the system Chromium (apt-get install chromium)")
    if render.available_backends() == ["none"]:
        pytest.skip("no Graphviz renderer")
    out = tmp_path_factory.mktemp("zh") / "mazur.html"
    assert main(["step", "mazur-2-2-2", "--html", str(out), "--steps", "1", "--lang", "zh"]) in (0, None)
    return out


def test_the_viewer_page_in_chinese(zh_page):
    from playwright.sync_api import sync_playwright

    page_text = zh_page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page_text
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page_text, re.S)[1])
    said = {(f["phase"], f["node"]): f for f in data["frames"]}
    for frame in data["frames"]:  # every frame's heading and narration
        assert left_over(frame["label"] + "\n" + frame["narration"], "mazur-2-2-2") == [], frame
    # the math kept, the words around it Chinese
    assert said["backward", "net_o1"]["narration"] == ("∂E_total/∂net_o1 = ∂E_total/∂out_o1 · ∂out_o1/∂net_o1 "
                                                       "= 0.741365 × 0.186816 = 0.138499")
    assert said["backward", "net_o1"]["label"] == "第 1 步 · 反向传播：到达 net_o1"
    assert said["update", "b1"]["narration"] == "b₁ 不参与训练：保持为 0.35"
    assert said["forward", ""]["narration"].startswith("已知：i₁ = 0.05")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(zh_page.as_uri())
            n = int(page.get_attribute("#slider", "max")) + 1
            assert page.inner_text("#where") == f"第 1 帧，共 {n} 帧"
            seen = []
            for k in (1, 5, 12, 25, n):
                page.goto(zh_page.as_uri() + f"#step=1&frame={k}")
                page.wait_for_function(f"document.body.dataset.current === '{k - 1}'")
                text = page.evaluate("document.body.innerText")
                tips = page.evaluate("[...document.querySelectorAll('[title], [aria-label]')].filter((e) => "
                                     "!e.closest('svg')).map((e) => (e.title || '') + ' ' + "
                                     "(e.getAttribute('aria-label') || '')).join('\\n')")
                assert left_over(text + "\n" + tips, "mazur-2-2-2") == [], k
                assert page.inner_text("#where") == f"第 {k} 帧，共 {n} 帧"
                seen.append(page.inner_text("#narration"))
            assert seen[-1] == said["update", "b2"]["narration"]  # the last frame: the last parameter
            page.keyboard.press(" ")
            assert page.inner_text("#play") == "❚❚ 暂停"
            page.keyboard.press(" ")
            assert page.inner_text("#play") == "▶ 播放"
            assert page.inner_text("#derivation-title") == "推导"
            assert not errors
        finally:
            browser.close()


def test_explore_walk_and_title_in_chinese():
    from scalarnet import Node, viewer, walk

    a, b = Node(2.0, name="a"), Node(-3.0, name="b")
    c = a * b
    c.name = "c"
    with using_language("zh"):
        steps = [str(s) for s in walk(c)]
        page = viewer(c).html
    assert steps[0].splitlines()[0].endswith("   （梯度 1）")
    assert "c 的计算图" in page and '<html lang="zh-CN">' in page


def test_english_stays_the_default(capsys):
    assert main(["derive", "sigmoid-2-2-2", "--param", "w1"]) in (0, None)
    assert capsys.readouterr().out.startswith("∂E/∂w₁ at step 1, example 0: 2 paths from E to w₁")


@pytest.mark.skipif(render.available_backends() == ["none"], reason="no Graphviz renderer")
def test_the_sigmoid_viewer_page_says_no_english_word(tmp_path):
    out = tmp_path / "out.html"
    assert main(["step", "sigmoid-2-2-2", "--html", str(out), "--lang", "zh"]) in (0, None)
    page = out.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)[1])
    shown = [f["label"] + "\n" + f["narration"] for f in data["frames"]] + list(data["words"].values())
    body = re.sub(r"<script.*?</script>|<svg.*?</svg>", " ", page[page.index("<body>"):], flags=re.S)
    shown.append(html.unescape(re.sub(r"<[^>]+>", " ", body)))  # the controls, headings, table, derivation
    shown += [html.unescape(t) for t in re.findall(r'(?:title|aria-label)="([^"]*)"', body)]
    assert left_over("\n".join(shown), "sigmoid-2-2-2") == []
    assert data["words"] == {"where": "第 {k} 帧，共 {n} 帧", "play": "播放", "pause": "暂停"}
