"""The README's promises: two commands up front, CI running the second, examples that run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block and text.index(first_block.group(0)) < text.index("\n\n", len("# scalarnet") + 2) + 2
    return [line for line in first_block.group(1).splitlines() if line.strip()]


def test_the_readme_opens_with_a_demo_command_and_a_test_command():
    demo, tests = readme_commands()
    assert demo.endswith("scalarnet demo") and "python3 -m venv" in demo
    assert "pytest" in tests and "python3 -m venv" in tests and "[all]" in tests


def test_ci_runs_the_readmes_test_command():
    _, tests = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines()


def test_the_api_example_prints_the_same_first_round_as_the_exercise_file():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "seed003_by_hand.py")],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    rounds = out.strip().splitlines()
    assert len(rounds) == 10
    assert "loss = 0.209710" in rounds[0] and "dE/dw1 = -0.00842148" in rounds[0]
