"""The README's promises: two commands up front, CI running the second, examples that run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands(name: str = "README.md") -> list[str]:
    """The commands of the README's first block, which follows the title (and the one line
    linking the other language's README) before any paragraph."""
    text = re.sub(r"\A(# scalarnet\n)\S.*\]\(README[.\w]*\.md\)\n", r"\1", (ROOT / name).read_text())
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block and text.index(first_block.group(0)) < text.index("\n\n", len("# scalarnet") + 2) + 2
    return [line for line in first_block.group(1).splitlines() if line.strip()]


def test_the_readme_opens_with_a_demo_command_and_a_test_command():
    demo, tests = readme_commands()
    assert demo.endswith("scalarnet demo") and "python3 -m venv" in demo
    assert "pytest" in tests and "python3 -m venv" in tests and "[all]" in tests


def test_the_chinese_readme_opens_with_the_same_two_commands_and_is_linked_at_the_top():
    assert readme_commands("README.zh.md") == readme_commands()
    assert (ROOT / "README.md").read_text().splitlines()[1] == "中文说明：[README.zh.md](README.zh.md)"


def test_ci_runs_the_readmes_test_command():
    _, tests = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines()


def test_the_api_example_prints_the_same_first_round_as_the_exercise_file():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "mooc83_by_hand.py")],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    rounds = out.strip().splitlines()
    assert len(rounds) == 10
    assert "loss = 0.209710" in rounds[0] and "dE/dw1 = -0.00842148" in rounds[0]


def readme_block_after(heading: str, name: str = "README.md") -> str:
    """The first fenced block of the README's section ``heading``."""
    text = (ROOT / name).read_text(encoding="utf-8")
    section = text[text.index(f"\n## {heading}\n"):]
    return re.search(r"```\n(.*?)```", section, re.S).group(1)


def test_the_first_exercises_sample_output_is_what_the_command_prints(capsys):
    """`scalarnet step mazur-2-2-2`, as "A first exercise" shows it: the title line, the
    ∂E_total/∂node column, every number and name as printed."""
    from scalarnet.cli import main

    assert main(["step", "mazur-2-2-2"]) == 0
    out = capsys.readouterr().out
    assert readme_block_after("A first exercise") == out


def test_the_readmes_derivation_is_what_derive_prints(capsys):
    from scalarnet.cli import main

    assert main(["derive", "mazur-2-2-2", "--param", "w1"]) == 0
    assert readme_block_after("The chain rule, written out") == capsys.readouterr().out


def test_the_chinese_readmes_grade_command_runs_as_written(tmp_path, monkeypatch, capsys):
    """README.zh's quiz and grade lines, run as written in a fresh folder (the answers file is the
    English README's example, shipped in examples/); 5 variants for the 30, since variant k does
    not depend on how many there are, and the answers are those of variants 1 to 5."""
    from scalarnet.cli import main

    text = (ROOT / "README.zh.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if "scalarnet grade" in b)
    monkeypatch.chdir(tmp_path)
    for line in block.splitlines():
        argv = line.split("#")[0].split()
        assert argv[0] == "scalarnet"
        argv = [str(ROOT / a) if a.startswith("examples/") else "5" if a == "30" else a for a in argv[1:]]
        assert main(argv + (["--no-pdf"] if argv[0] == "quiz" else [])) == 0, (line, capsys.readouterr().err)
    assert "全班汇总" in (tmp_path / "class" / "grades" / "class.md").read_text(encoding="utf-8")


def test_no_readme_calls_a_tutorial_a_seed():
    for name in ("README.md", "README.zh.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert not re.search(r"seed ?00\d|seeds'|种子教程", text), name  # "seed" is for random seeds
