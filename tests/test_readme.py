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


def test_the_first_exercises_sample_output_is_what_the_command_prints(capsys):
    """README "A first exercise" shows `scalarnet step mazur-2-2-2` as it prints, title and all."""
    from scalarnet.cli import main

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## A first exercise"):]
    start = section.index("```\n") + 4
    shown = section[start:section.index("```\n", start)]
    assert main(["step", "mazur-2-2-2", "--lang", "en"]) == 0
    assert capsys.readouterr().out.rstrip("\n") == shown.rstrip("\n")
