"""The commands in Chinese (issue #12): with ``--lang zh`` (or a Chinese locale) every word a
command prints itself, its tables, its plot's labels and every ``--help`` is Chinese, and the
numbers are the ones the English output shows.

What another part of the interface prints is left out of the word checks, each named where
it is dropped: the exercise's title (from the file), the diagnosis of ``check`` (diagnose.py)
and the derivation it writes on standard error (views/derivation.py).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from english import english_words, exercise_names

from scalarnet.cli import build_parser, main
from scalarnet.i18n import using_language
from scalarnet.spec import load
from scalarnet.spec.bundled import bundled_names, dataset_names, resolve

ROOT = Path(__file__).resolve().parents[1]
MOOC83 = f"{ROOT / 'examples' / 'mooc83_backprop.py'}:back_propagate"  # the learner test_check.py uses
CJK = re.compile(r"[\u4e00-\u9fff]")
NETWORK = "sigmoid-2-2-2-network"
COVERED = ["sigmoid-2-2-2", "mazur-2-2-2", "curve-fit-1-5-1", NETWORK, "quadratic-5-layer"]
COMMANDS = sorted(next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices)

# code inside Chinese sentences: `code spans`, exercise-file tables ([train], [network]) and
# command lines (scalarnet step sigmoid-2-2-2 --steps 10): names, not words to translate
CODE_SPAN = re.compile(r"`[^`]*`")  # (argparse may wrap one)
FILE_TABLE = re.compile(r"\[[a-z_]+\]")
EXERCISES = sorted(bundled_names() + dataset_names(), key=len, reverse=True)
ARGUMENT = r"(?:--?[\w-]+|[\w.-]*\d[\w.-]*|" + "|".join(map(re.escape, EXERCISES)) + ")"
COMMAND_LINE = re.compile(rf"scalarnet (?:{'|'.join(COMMANDS)})(?: {ARGUMENT})*")


def title_of(name: str) -> str:
    with using_language("zh"):
        return load(resolve(name)).title


def words_left(text: str, names: set[str], titles: list[str] = ()) -> list[str]:
    """The English interface words of ``text`` (names and code removed). An exercise title
    still in English is the title's business (the file's `title = {en, zh}`), not the command's."""
    for title in titles:
        if not CJK.search(title):
            text = text.replace(title, " ")
    text = COMMAND_LINE.sub(" ", FILE_TABLE.sub(" ", CODE_SPAN.sub(" ", text)))
    return english_words(text, names)


def names_of(name: str) -> set[str]:
    """The exercise's names, and for a [network] file its loss function and the matrix
    engine's matrices (dW1, db2) as the matrix step table names them."""
    names = exercise_names(name)
    spec = load(resolve(name))
    if spec.network is not None:
        names |= {spec.network.loss, spec.network.output, spec.network.hidden, "dW", "db"}
        names |= {f"{m}{k}" for m in ("dW", "db") for k in range(1, len(spec.network.sizes))}
    return names


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--lang", "zh"])
    out, err = capsys.readouterr()
    return code, out, err


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


# -- step ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", bundled_names())
def test_step_tables_are_chinese(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "step", name, "--steps", "2")
    assert code == 0
    assert words_left(out, names_of(name), [title_of(name)]) == []
    assert words_left(err, set()) == [] and "引擎" not in err  # which engine runs: only with -v or --json
    heading = lines(out)[0]
    assert heading.startswith("══ ") and heading.endswith(" ══") and " · 第 1 步 · 第 1 轮 · 样本 " in heading
    assert "正向传播" in lines(out) and any(line.startswith("反向传播与更新（学习率 ") for line in lines(out))
    assert any(line.startswith("══ ") and " · 第 2 步 · " in line for line in lines(out))


def test_step_sigmoid_2_2_2_reads_like_the_english_one(capsys: pytest.CaptureFixture[str]) -> None:
    """The Chinese table holds the English table's numbers, under Chinese headings."""
    code, out, _err = run(capsys, "step", "sigmoid-2-2-2")
    assert code == 0
    rows = lines(out)
    assert rows[0].endswith(" · 第 1 步 · 第 1 轮 · 样本 0 ══")
    assert rows[1:3] == ["", "正向传播"]
    assert rows[3].split() == ["节点", "值", "∂E/∂节点"]
    assert "损失 E = 0.209709794" in rows
    assert "反向传播与更新（学习率 1）" in rows
    update = rows.index("反向传播与更新（学习率 1）")
    assert rows[update + 1].split() == ["参数", "值", "∂E/∂参数", "更新后", "备注"]
    assert rows[update + 3].split() == ["w₁", "0.2", "−0.00842148046", "0.20842148"]
    assert main(["step", "sigmoid-2-2-2", "--lang", "en"]) == 0
    english = lines(capsys.readouterr().out)
    assert "loss E = 0.209709794" in english and english[2] == "forward"
    assert [r.split()[1:] for r in rows[5:18]] == [r.split()[1:] for r in english[5:18]]  # the same numbers


def test_step_of_a_batch_and_of_an_untrained_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "step", "quadratic-5-layer")
    assert code == 0
    rows = lines(out)
    assert rows[0].endswith(" · 第 1 步 · 第 1 轮 · 样本 0–15 ══")
    assert any(re.fullmatch(r"批次损失 = 16 个样本的 E 的平均值 = [\d.e+-]+", r) for r in rows)
    assert rows[3].split()[:3] == ["节点", "样本", "0"]
    assert "  （本批次另有 10 个样本；--json 列出全部）" in rows  # 16 examples, 6 shown
    code, out, _err = run(capsys, "step", "mazur-2-2-2")
    assert "损失 E_total = 0.298371109" in lines(out)
    assert [r.split()[-1] for r in lines(out) if r.split()[:1] in (["b₁"], ["b₂"])][-2:] == ["不训练", "不训练"]


@pytest.mark.parametrize("name", [n for n in bundled_names() if n.endswith("-network")])
def test_the_matrix_step_table_is_chinese(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "step", name, "--engine", "matrix", "-v")
    assert code == 0 and "引擎：matrix" in err
    assert words_left(out, names_of(name), [title_of(name)]) == []
    rows = lines(out)
    assert rows[0].endswith(" · 第 1 步 · 第 1 轮 · 样本 0 · 矩阵版引擎 ══")
    assert "正向传播：Zˡ = Aˡ⁻¹·Wˡ + bˡ，Aˡ = f(Zˡ)；每个样本一行" in rows
    assert "第 1 层（σ）" in rows and "  A0 = 输入  (1×2)" in rows
    if name == "mazur-2-2-2-network":
        assert "损失：每个样本的 half_squared_error，L = 1 个样本的平均值 = 0.298371109" in rows


# -- compare ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", COVERED)
def test_compare_is_chinese(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "compare", name)
    assert code == 0
    assert words_left(out, names_of(name), [title_of(name)]) == []
    rows = lines(out)
    assert rows[0].startswith("══ 比较 · ") and rows[0].endswith(" 上运行 1 步 ══")
    assert rows[-1] == "一致：所有引擎的结果相同"
    assert "每对引擎的一致性（容差 |a − b| ≤ 1e-10·max(1, |a|, |b|)）" in rows
    assert any(r.split()[:3] == ["scalar", "与", "torch"] and r.split()[-1] == "一致" for r in rows) \
        or not any("torch" in r for r in rows[:2])
    if load(resolve(name)).network is None:
        assert "  （matrix：这是 [graph] 文件：矩阵版引擎只运行 [network] 文件）" in rows


def test_compare_names_kinks_and_a_difference_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    from scalarnet.analysis import compare
    from scalarnet.views import compare_table

    code, out, _err = run(capsys, "compare", "quadratic-5-layer")
    assert any(r.startswith("第 1 步中的折点（") and "ReLU(z1[0]) 的输入为 0（样本 10）" in r for r in lines(out))
    result = compare.compare(load(resolve("sigmoid-2-2-2")), use_torch=False)
    result.pairs = [compare.Pair("scalar", "scalar", 1.0, 1.0, "w1", "∂L/∂w1 (step 1)", False, ("grad", "w1", 1))]
    with using_language("zh"):
        table = compare_table.table(result)
    assert "不一致：最早出现在 ∂L/∂w1（第 1 步）" in lines(table)
    assert result.to_json()["first_offending"] == "∂L/∂w1 (step 1)"  # JSON stays English


# -- check --------------------------------------------------------------------------------
def test_check_of_the_mooc83_learner_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "sigmoid-2-2-2", "--against", MOOC83)
    assert code == 1
    rows = lines(out)
    assert rows[0].endswith(" · 第 1 步 · 样本 0 ══") and rows[0].startswith("══ 检查 · ")
    assert rows[2].split() == ["参数", "正确值", "你的值", "绝对误差", "相对误差"]
    assert rows[4].split()[0] == "w₁" and rows[4].split()[-1] == "错误，符号相反"
    assert rows[8].split()[0] == "w₅" and rows[8].split()[-1] == "一致"
    assert "容差：|你的值 − 正确值| ≤ max(1e-10, 1e-06·|正确值|)" in rows
    assert "4 个错误：w₁, w₂, w₃, w₄；w₁ 的推导输出在标准错误上" in rows
    ours = [r for r in rows if not r.startswith(("诊断：", "    "))]  # the diagnosis is diagnose.py's
    assert words_left("\n".join(ours), names_of("sigmoid-2-2-2"), [title_of("sigmoid-2-2-2")]) == []
    assert "w1 的正确推导：" in err


@pytest.mark.parametrize("name", COVERED)
def test_check_messages_are_chinese(name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A learner with a gradient that is text, an unknown key and the rest missing: every
    message of the report in Chinese, the JSON's messages in English."""
    learner = tmp_path / "mine.py"
    learner.write_text("def backprop(v):\n    return {'w1': '0.1', 'nonsense': 0.0}\n", encoding="utf-8")
    code, out, _err = run(capsys, "check", name, "--against", f"{learner}:backprop")
    assert code == 1
    assert words_left(out, names_of(name) | {"nonsense"}, [title_of(name)]) == []  # the learner's key
    rows = lines(out)
    assert any(r.startswith("注意：缺失：") and "（每个参数都要返回一个梯度：" in r for r in rows)
    assert "注意：多余的键 'nonsense' 不是参数；已忽略" in rows
    if name != "quadratic-5-layer":
        assert "注意：w1：不是有限数：'0.1'" in rows
    assert main(["check", name, "--against", f"{learner}:backprop", "--json", "--lang", "zh"]) == 1
    assert "extra key 'nonsense' is not a parameter; it is ignored" in capsys.readouterr().out


def test_the_learners_process_reports_in_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """What the learner's subprocess says (its function failed) comes back in Chinese."""
    learner = tmp_path / "mine.py"
    learner.write_text("def backprop(v):\n    return v['no such value']\n", encoding="utf-8")
    code, _out, err = run(capsys, "check", "sigmoid-2-2-2", "--against", f"{learner}:backprop")
    assert code == 2
    assert err.startswith("scalarnet：错误：你的函数引发了 KeyError: 'no such value' （mine.py，第 2 行：")
    code, _out, err = run(capsys, "check", "sigmoid-2-2-2", "--against", f"{learner}:missing")
    assert code == 2 and "中没有函数 missing" in err and "；其中的函数有 backprop" in err


# -- train --plot ---------------------------------------------------------------------------
def plot_texts(path: Path) -> list[str]:
    """Every text of an SVG plot written with svg.fonttype none (text as text, not paths)."""
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("name", [*COVERED, "iris"])
def test_train_and_its_plot_are_chinese(name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib", reason="train --plot needs matplotlib")
    plot = tmp_path / "loss.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a missing CJK glyph: the fonts are not this test's concern
        code, out, err = run(capsys, "train", name, "--epochs", "3", "--plot", str(plot))
    assert code == 0
    assert words_left(out, names_of(name) if name != "iris" else set(load(resolve(name)).params),
                      [title_of(name)]) == []
    assert f"scalarnet：已写入 {plot}" in err
    rows = lines(out)
    assert rows[0].endswith(" 秒") and "：3 轮，学习率 " in rows[0]
    assert rows[1].startswith("  第 1 轮  损失 ") and rows[3].startswith("  第 3 轮  损失 ")
    assert "训练后的参数：" in rows and any(r.startswith("训练集（") for r in rows)
    texts = plot_texts(plot)
    spec = load(resolve(name))
    assert "轮" in texts and f"该轮各批次 {spec.loss_name} 的平均值" in texts
    assert any(re.fullmatch(r"每轮的损失（引擎：(scalar|matrix|compiled)）", t) for t in texts)
    labels = [t for t in texts if not re.fullmatch(r"[−\d.e+-]+", t)]  # tick numbers aside
    names = set(spec.inputs) | set(spec.targets) | {spec.loss_name}
    assert words_left("\n".join(labels), names, [title_of(name)]) == []
    if name in ("curve-fit-1-5-1", "quadratic-5-layer"):
        assert {"数据与拟合曲线", "训练数据", "训练后的网络"} <= set(texts)
    if name == "iris":
        assert {"每轮的准确率", "准确率（%）"} <= set(texts)
        assert any(re.fullmatch(r"训练集（\d+\.\d%）", t) for t in texts)


def test_the_progress_bars_speak_chinese() -> None:
    import io

    from scalarnet.cli.train import ProgressBar, TqdmBar

    stream = io.StringIO()
    with using_language("zh"):
        bar = ProgressBar(4, stream)
        bar.update(4, 0.125)
    assert stream.getvalue() == "\r[" + "█" * 30 + "] 第 4/4 轮  损失 0.125"
    tqdm = pytest.importorskip("tqdm", reason="tqdm is optional").tqdm
    stream = io.StringIO()
    with using_language("zh"):
        bar = TqdmBar(tqdm(total=4, file=stream, mininterval=0))
        bar.update(4, 0.125)
        bar.close()
    assert "损失 0.125" in stream.getvalue()


# -- examples, demo, help -------------------------------------------------------------------
def test_examples_and_demo_are_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    from scalarnet.cli.examples import DEMO

    names = {w for n in EXERCISES for w in re.findall(r"[A-Za-z]\w*", n)}
    code, out, _err = run(capsys, "examples")
    assert code == 0
    assert words_left(out, names, [title_of(n) for n in bundled_names()]) == []
    assert lines(out)[-1] == "教程规模的数据文件习题（scalarnet train 名称）：california-housing, diabetes, iris"
    code, out, _err = run(capsys, "demo")
    assert code == 0
    every_name = set().union(*(names_of(n) for n in DEMO))
    assert words_left(out, every_name, [title_of(n) for n in DEMO]) == []
    rows = lines(out)
    assert "$ scalarnet step sigmoid-2-2-2" in rows
    assert rows[-3:] == ["接下来：scalarnet step sigmoid-2-2-2 --steps 10",
                         "        scalarnet derive mazur-2-2-2 --param w1",
                         "        scalarnet render mazur-2-2-2 · scalarnet train iris · scalarnet examples"]
    assert main([]) == 0 and capsys.readouterr().out.startswith("usage: scalarnet COMMAND")  # English by default
    code, out, _err = run(capsys)
    assert code == 0
    assert lines(out)[:3] == ["用法：scalarnet 命令 [选项]   （scalarnet 命令 --help 显示该命令的选项）", "",
                              "让反向传播看得见。命令："]
    assert words_left(out, set(COMMANDS)) == []


def help_prose(text: str) -> str:
    """The words of an argparse --help meant for a reader: the description and each option's
    help, without the usage lines and the options' own spelling (--lr LR, {scalar,matrix})."""
    out, usage = [], True
    for line in text.splitlines():
        if usage:
            usage = bool(line.strip())
            continue
        option = re.match(r" {2,4}\S.*?(?:\s{2,}(.*))?$", line)  # its spelling, then (after 2+ spaces) its help
        out.append(line if option is None else option.group(1) or "")
    return "\n".join(out)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_is_chinese(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*([command] if command else []), "--help", "--lang", "zh"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("用法：scalarnet") and "\n选项:\n" in text and "显示本帮助并退出" in text
    # the formulas' names in the help texts (δ_o1 = (out_o1 − t1)·…, --ask out_o1, E)
    names = exercise_names("mazur-2-2-2") | exercise_names("sigmoid-2-2-2") | {"_o1", "t1"}
    names.add("zh_CN")  # a locale's name (LANG=zh_CN…)
    assert words_left(help_prose(text), names) == []
    assert CJK.search(help_prose(text))
    if command == "train":
        assert "学习率（默认：文件中 [train] 的 `learning_rate`）" in " ".join(text.split())


# -- the locale ---------------------------------------------------------------------------
def test_a_chinese_locale_without_the_flag(tmp_path: Path) -> None:
    """LANG=zh_CN.UTF-8, no --lang and no SCALARNET_LANG: Chinese, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k not in ("SCALARNET_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update(LANG="zh_CN.UTF-8", PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
               PYTHONIOENCODING="utf-8")
    done = subprocess.run([sys.executable, "-m", "scalarnet", "step", "sigmoid-2-2-2"], capture_output=True,
                          env=env, cwd=tmp_path, check=False, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    rows = lines(done.stdout)
    assert rows[0].endswith(" · 第 1 步 · 第 1 轮 · 样本 0 ══") and "损失 E = 0.209709794" in rows
    assert done.stderr == ""  # which engine runs: only with -v or --json
    done = subprocess.run([sys.executable, "-m", "scalarnet", "compare", "--help"], capture_output=True,
                          env=env, cwd=tmp_path, check=False, text=True, encoding="utf-8")
    assert done.returncode == 0 and done.stdout.startswith("用法：scalarnet compare")
    assert "两个引擎结果不一致时退出状态为1。" in "".join(done.stdout.split())  # the description, wrapped


# -- README.zh's own example ------------------------------------------------------------------
def readme_zh_example(tmp_path: Path) -> Path:
    """The exercise file README.zh.md writes out (一个神经元.toml), as a reader would save it."""
    text = (ROOT / "README.zh.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if '"损失"' in b)
    path = tmp_path / "一个神经元.toml"
    path.write_text(block, encoding="utf-8")
    return path


def test_a_loss_called_loss_is_not_named_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "step", str(readme_zh_example(tmp_path)))
    assert code == 0
    assert "损失 = 0.0227660288" in lines(out) and "损失 损失" not in out


def test_derive_lines_up_its_equals_signs_by_display_width(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from scalarnet.views.table import display_width

    example = str(readme_zh_example(tmp_path))
    for extra in ([], ["--delta"]):
        code, out, _err = run(capsys, "derive", example, "--param", "权重", *extra)
        assert code == 0
        rows = [line for line in lines(out) if line.startswith("  ") and line.lstrip().startswith(("∂", "="))]
        assert len(rows) >= 3
        columns = {display_width(row[:row.index("=")]) for row in rows}
        assert len(columns) == 1, rows  # every "=" in one column, though 损失 and 权重 are two columns wide


def test_the_numeric_check_says_how_far_apart_not_error(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out, _err = run(capsys, "derive", "sigmoid-2-2-2", "--param", "w1")
    check = lines(out)[-1]
    assert "相差 0：" in check and "误差" not in check  # 误差 is the error E itself
