"""`check`: the seed-003 backprop is wrong exactly for w1..w4; a correct one passes; a bad
function gets a clear message."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from scalarnet.cli import main
from scalarnet.spec import load
from scalarnet.spec.bundled import resolve
from scalarnet.teach.check import CheckError, check, load_function

MOOC83 = Path(__file__).resolve().parent.parent / "examples" / "mooc83_backprop.py"
AGAINST = f"{MOOC83}:back_propagate"


def correct_backprop(v: dict) -> dict:
    """The MOOC 8.3 example's network done right: δ of each unit, then δ·input."""
    sig = lambda out: out * (1 - out)  # noqa: E731
    d_o1 = (v["out_o1"] - v["y1"]) * sig(v["out_o1"])
    d_o2 = (v["out_o2"] - v["y2"]) * sig(v["out_o2"])
    d_h1 = (d_o1 * v["w5"] + d_o2 * v["w6"]) * sig(v["out_h1"])
    d_h2 = (d_o1 * v["w7"] + d_o2 * v["w8"]) * sig(v["out_h2"])
    return {"w1": d_h1 * v["x1"], "w2": d_h2 * v["x1"], "w3": d_h1 * v["x2"], "w4": d_h2 * v["x2"],
            "w5": d_o1 * v["out_h1"], "w6": d_o2 * v["out_h1"], "w7": d_o1 * v["out_h2"], "w8": d_o2 * v["out_h2"]}


@pytest.mark.parametrize("name", ["sigmoid-2-2-2", "sigmoid-2-2-2-network"])
@pytest.mark.parametrize("step", [1, 4])
def test_the_mooc83_backprop_is_wrong_exactly_for_w1_to_w4(name, step):
    result = check(load(resolve(name)), load_function(AGAINST), step=step)
    assert result.wrong == ["w1", "w2", "w3", "w4"]
    assert not result.ok and result.step == step
    for p in ("w5", "w6", "w7", "w8"):
        assert result.params[p].abs_err <= 1e-15
    assert result.params["w1"].sign_flip  # (d_w5 + d_w6) has the wrong sign at step 1
    assert "path 1: E → out_o1" in result.derivation and "w₅" in result.derivation


@pytest.mark.parametrize("step", [1, 3])
def test_a_correct_backprop_passes(step):
    result = check(load(resolve("sigmoid-2-2-2")), correct_backprop, step=step)
    assert result.ok and result.wrong == [] and result.derivation == ""
    assert max(c.rel_err for c in result.params.values()) < 1e-12


def test_tolerance_options():
    spec = load(resolve("sigmoid-2-2-2"))
    # w2 and w4 are 3.4% off, w1 and w3 are off by 273%
    assert check(spec, load_function(AGAINST), rtol=0.05).wrong == ["w1", "w3"]
    nudged = lambda v: {k: g * (1 + 1e-7) for k, g in correct_backprop(v).items()}  # noqa: E731
    assert check(spec, nudged).ok
    assert check(spec, nudged, rtol=1e-8).wrong == [f"w{k}" for k in range(1, 9)]


def test_a_batch_passes_lists_over_the_examples():
    spec = load(resolve("quadratic-5-layer"))
    seen = {}

    def learner(v):
        seen.update(v)
        return {}

    result = check(spec, learner)
    assert isinstance(seen["x"], list) and len(seen["x"]) == 16 and seen["x"][10] == 0.0
    assert "E" in seen and "z1[0]" in seen and "W1[0,0]" in seen
    assert not result.ok and result.params["W1[0,0]"].problem == "missing"


def test_missing_extra_and_non_number_keys_get_messages():
    def learner(v):
        g = correct_backprop(v)
        del g["w8"]
        g["W5"] = g.pop("w5")
        g["w6"] = "0.1"
        g["w7"] = math.nan
        return g

    result = check(load(resolve("sigmoid-2-2-2")), learner)
    assert result.wrong == ["w5", "w6", "w7", "w8"]
    text = " | ".join(result.messages)
    assert "missing: w5, w8" in text
    assert "extra key 'W5' is not a parameter (did you mean w5?)" in text
    assert "w6: not a finite number: '0.1'" in text and "w7: not a finite number: nan" in text
    assert result.to_json()["params"]["w8"] == {"expected": result.params["w8"].expected, "got": None,
                                                 "abs_err": None, "rel_err": None, "ok": False,
                                                 "problem": "missing"}


def test_numpy_and_torch_scalars_are_numbers(torch):
    import numpy as np

    def learner(v):
        g = correct_backprop(v)
        return {k: (np.float32(x) if k < "w5" else torch.tensor([x], dtype=torch.float64)) for k, x in g.items()}

    result = check(load(resolve("sigmoid-2-2-2")), learner, rtol=1e-6)
    assert result.ok


def test_bad_functions_get_clear_errors(tmp_path):
    spec = load(resolve("sigmoid-2-2-2"))
    code = tmp_path / "mine.py"
    code.write_text("def grads(v):\n    d = v['out_o1'] - v['y1']\n    return d / 0\n\n"
                    "def pairs(v):\n    return (1.0, 2.0)\n")
    with pytest.raises(CheckError, match=r"ZeroDivisionError.*mine\.py, line 3: return d / 0"):
        check(spec, load_function(f"{code}:grads"), path=code)
    with pytest.raises(CheckError, match=r"returned a tuple of 2 values; return a dict"):
        check(spec, load_function(f"{code}:pairs"))
    with pytest.raises(CheckError, match=r"no function grad \(did you mean grads\?\)"):
        load_function(f"{code}:grad")
    with pytest.raises(CheckError, match="is not a file"):
        load_function(f"{tmp_path / 'nope.py'}:f")
    with pytest.raises(CheckError, match="path/to/file.py:function_name"):
        load_function(str(code))
    broken = tmp_path / "broken.py"
    broken.write_text("def f(v)\n    return {}\n")
    with pytest.raises(CheckError, match=r"broken\.py, line 1: syntax error"):
        load_function(f"{broken}:f")


def test_cli_json_contract_and_exit_statuses(capsys, tmp_path):
    assert main(["check", "sigmoid-2-2-2", "--against", AGAINST, "--json"]) == 1
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["ok"] is False and err == ""
    assert [n for n, p in doc["params"].items() if not p["ok"]] == ["w1", "w2", "w3", "w4"]
    for p in doc["params"].values():
        assert set(p) >= {"expected", "got", "abs_err", "rel_err", "ok"}
    assert doc["first_wrong"] == "w1" and doc["derivation"]["param"] == "w1"
    assert main(["check", "sigmoid-2-2-2", "--against", AGAINST]) == 1
    out, err = capsys.readouterr()
    assert "4 wrong: w₁, w₂, w₃, w₄" in out and "WRONG, sign flipped" in out
    assert "the correct derivation of w1" in err
    good = tmp_path / "good.py"
    good.write_text("from test_check import correct_backprop as f\n")
    assert main(["check", "sigmoid-2-2-2", "--against", f"{good}:f"]) == 0
    assert "all 8 gradients agree" in capsys.readouterr().out
    assert main(["check", "sigmoid-2-2-2", "--against", f"{good}:g"]) == 2
    assert "has no function g" in capsys.readouterr().err


def test_the_learners_prints_do_not_reach_the_json(tmp_path, capsys):
    from scalarnet.cli import main

    user = tmp_path / "chatty.py"
    user.write_text('print("loading")\n'
                    'def backprop(v):\n'
                    '    print("debug", v["w1"])\n'
                    '    return {f"w{k}": 0.0 for k in range(1, 9)}\n'
                    'def quits(v):\n'
                    '    raise SystemExit(3)\n')
    code = main(["check", "sigmoid-2-2-2", "--against", f"{user}:backprop", "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and json.loads(out)["ok"] is False
    assert "loading" in err and "debug" in err
    code = main(["check", "sigmoid-2-2-2", "--against", f"{user}:quits", "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "sys.exit(3)" in err


# -- issue 23: check is a time limit that nothing outlives, with an answer the learner cannot forge --
FORKS = """import os, sys, time
def f(v):
    child = os.fork()
    if child == 0:  # a child of the learner that keeps the pipes open, and would outlive the check
        time.sleep(60)
        os._exit(0)
    open(sys.argv[0] if False else {pidfile!r}, "w").write(str(child))
    return {{f"w{{k}}": 0.0 for k in range(1, 9)}}
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in "ZX"  # a zombie is dead: it waits only to be reaped


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_a_learners_child_neither_delays_the_answer_nor_outlives_the_check(tmp_path, capsys):
    import time

    pidfile = tmp_path / "child.pid"
    learner = tmp_path / "forks.py"
    learner.write_text(FORKS.format(pidfile=str(pidfile)))
    start = time.monotonic()
    assert main(["check", "sigmoid-2-2-2", "--against", f"{learner}:f", "--json", "--timeout", "20"]) == 1
    assert time.monotonic() - start < 15  # answered, not "did not finish within 20 s" (no timing beyond that)
    doc = json.loads(capsys.readouterr().out)
    assert doc["params"]["w1"]["got"] == 0.0
    child = int(pidfile.read_text())
    for _ in range(100):
        if not alive(child):
            break
        time.sleep(0.05)
    assert not alive(child)


FORGES = """import os
FORGED = b'{"gradients": {"w1": 123.0, "w2": 123.0}}\\n'
def at_import():
    for fd in range(64):
        try:
            os.write(fd, FORGED)
        except OSError:
            pass
if os.environ.get("FORGE_AT_IMPORT"):
    at_import()
    os._exit(0)
def f(v):
    at_import()
    return {f"w{k}": 0.5 for k in range(1, 9)}
"""


def test_an_answer_written_by_the_learners_code_is_not_taken_as_the_answer(tmp_path, capsys, monkeypatch):
    learner = tmp_path / "forges.py"
    learner.write_text(FORGES)
    assert main(["check", "sigmoid-2-2-2", "--against", f"{learner}:f", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert {p["got"] for p in doc["params"].values()} == {0.5}  # what the function returned, not the forgery
    monkeypatch.setenv("FORGE_AT_IMPORT", "1")
    assert main(["check", "sigmoid-2-2-2", "--against", f"{learner}:f", "--json"]) == 2
    assert "the check stopped without an answer" in capsys.readouterr().err


def test_a_learners_flood_of_output_is_cut_and_a_huge_dict_is_summed_up(tmp_path, capsys):
    learner = tmp_path / "loud.py"
    learner.write_text("import sys\n"
                       "def f(v):\n"
                       "    sys.stderr.write('x' * 5_000_000)\n"
                       "    g = {f'w{k}': 0.0 for k in range(1, 9)}\n"
                       "    g.update({f'key{k}': 1.0 for k in range(200_000)})\n"
                       "    return g\n")
    assert main(["check", "sigmoid-2-2-2", "--against", f"{learner}:f", "--json"]) == 1
    out, err = capsys.readouterr()
    assert 1_000_000 <= len(err) < 1_100_000 and "[4,000,000 more bytes of your code's output not shown]" in err
    messages = [m for m in json.loads(out)["messages"] if "extra key" in m]
    assert len(messages) == 11 and messages[-1] == ("and 199,990 more extra keys, none of them a parameter; they "
                                                    "are ignored")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_ctrl_c_during_check_is_scalarnets_interrupt(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    pidfile = tmp_path / "worker.pid"
    learner = tmp_path / "slow.py"
    learner.write_text(f"import os\nopen({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
                       "def f(v):\n    while True:\n        pass\n")
    run = subprocess.Popen([sys.executable, "-m", "scalarnet", "check", "sigmoid-2-2-2", "--against",
                            f"{learner}:f", "--timeout", "60"], stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "SCALARNET_LANG": "en"})
    for _ in range(400):
        if pidfile.exists() and pidfile.read_text():
            break
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    assert run.wait(timeout=30) == 130
    assert run.stderr.read().strip().endswith("scalarnet: interrupted")
    worker = int(pidfile.read_text())
    for _ in range(100):
        if not alive(worker):
            break
        time.sleep(0.05)
    assert not alive(worker)
