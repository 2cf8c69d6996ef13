"""Issue 23, item 11: a terminal whose encoding lacks scalarnet's symbols (PYTHONIOENCODING=ascii
or latin-1) gets them in ASCII, with one note, never a UnicodeEncodeError; JSON stays exact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scalarnet.cli import main

ROOT = Path(__file__).resolve().parent.parent
NOTE = "cannot show the math symbols of the tables"


def run(encoding: str, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "SCALARNET_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "scalarnet", *argv], capture_output=True, env=env, cwd=ROOT,
                          timeout=120)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_tables_fall_back_to_ascii_symbols_with_one_note(encoding):
    done = run(encoding, "step", "mazur-2-2-2")
    out, err = done.stdout.decode("ascii"), done.stderr.decode("ascii")  # nothing beyond ASCII was written
    assert done.returncode == 0 and "Traceback" not in err
    assert err.count(NOTE) == 1 and f"encoding ({'ascii' if encoding == 'ascii' else 'iso8859-1'})" in err
    assert "  param  value  dE_total/dparam  after update  note" in out and "  -----  -----  " in out
    assert "  w5     0.4    0.0821670406     0.35891648" in out  # the columns still line up
    derived = run(encoding, "derive", "mazur-2-2-2", "--param", "w1", "--format", "text")
    assert derived.returncode == 0 and derived.stderr.decode("ascii").count(NOTE) == 1
    assert "dE_total/dw1 = 0.000668396021 + (-0.000229828287) = 0.000438567734" in derived.stdout.decode("ascii")


def test_json_on_an_ascii_terminal_is_the_same_document(capsys):
    chinese = str(ROOT / "examples" / "中文-2-2-1.toml")
    done = run("ascii", "step", chinese, "--json")
    assert done.returncode == 0 and NOTE not in done.stderr.decode("ascii")
    assert main(["step", chinese, "--json"]) == 0
    assert json.loads(done.stdout) == json.loads(capsys.readouterr().out)
