"""The command line: output contracts, exit statuses and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import load_bundled

from scalarnet.cli import main
from scalarnet.spec.bundled import bundled_names


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_step_prints_ten_rounds_of_the_mooc83_exercise(capsys):
    code, out, _ = run(capsys, "step", "sigmoid-2-2-2", "--steps", "10")
    assert code == 0
    for k in range(1, 11):
        assert f"step {k} · epoch {k} · example 0" in out
    assert "step 11" not in out
    assert out.count("loss E = ") == 10
    assert "w₈" in out and "out_o1" in out


def test_step_json_is_the_only_thing_on_stdout(capsys):
    code, out, err = run(capsys, "step", "mazur-2-2-2", "--steps", "2", "--json")
    assert code == 0
    doc = json.loads(out)
    assert [s["step"] for s in doc["steps"]] == [1, 2]
    first = doc["steps"][0]
    assert first["loss"] == pytest.approx(0.298371109, abs=5e-10)
    assert first["values"]["E_total"] == first["loss"]
    assert first["grads"]["w5"] == pytest.approx(0.082167041, abs=5e-10)
    assert first["params"]["w5"] == pytest.approx(0.35891648, abs=5e-9)
    assert doc["steps"][1]["values"]["w5"] == first["params"]["w5"]
    assert "engine: scalar" in err


def test_step_json_equals_the_library(capsys):
    _, out, _ = run(capsys, "step", "curve-fit-1-5-1", "--steps", "3", "--json")
    ex = load_bundled("curve-fit-1-5-1")
    assert json.loads(out)["steps"] == [r.to_json() for r in ex.steps(3)]


def test_train_json(capsys):
    code, out, _ = run(capsys, "train", "sigmoid-2-2-2", "--epochs", "10", "--json")
    assert code == 0
    doc = json.loads(out)
    assert [e["epoch"] for e in doc["epochs"]] == list(range(1, 11))
    steps = load_bundled("sigmoid-2-2-2").steps(10)
    records = list(steps)
    # one example per epoch: an epoch's loss is that step's loss before its update
    assert [e["loss"] for e in doc["epochs"]] == [r.loss for r in records]
    assert doc["params"] == records[-1].params


def test_train_table_and_lr_override(capsys):
    code, out, _ = run(capsys, "train", "sigmoid-2-2-1", "--epochs", "20", "--lr", "2.0")
    assert code == 0
    assert "20 epochs, learning rate 2" in out and "epoch 20" in out
    _, out_json, _ = run(capsys, "step", "sigmoid-2-2-1", "--lr", "2.0", "--json")
    step = json.loads(out_json)["steps"][0]
    assert step["params"]["w21"] == pytest.approx(0.5 - 2.0 * step["grads"]["w21"], rel=1e-15)


def test_examples_lists_every_bundled_exercise(capsys):
    code, out, _ = run(capsys, "examples")
    assert code == 0
    for name in bundled_names():
        assert name in out
    assert {"sigmoid-2-2-2", "mazur-2-2-2", "sigmoid-2-2-1", "curve-fit-1-5-1", "quadratic-5-layer"} <= set(
        bundled_names())


def test_a_bundled_name_with_or_without_toml(capsys):
    _, a, _ = run(capsys, "step", "sigmoid-2-2-2.toml", "--json")
    _, b, _ = run(capsys, "step", "sigmoid-2-2-2", "--json")
    assert a == b


def test_a_bundled_name_wins_over_a_folder_of_that_name(capsys, tmp_path, monkeypatch):
    """`render iris` beside a folder `iris` said "is a folder"; the bare name is the bundled
    exercise, the folder is asked for by its path and told how to choose."""
    from scalarnet.spec.bundled import bundled_dir, dataset_dir, resolve

    monkeypatch.chdir(tmp_path)
    for name in ("iris", "sigmoid-2-2-1", "mine"):
        (tmp_path / name).mkdir()
    assert resolve("iris") == dataset_dir() / "iris.toml"
    assert resolve("sigmoid-2-2-1") == resolve("sigmoid-2-2-1.toml") == bundled_dir() / "sigmoid-2-2-1.toml"
    code, out, err = run(capsys, "render", "sigmoid-2-2-1", "--format", "dot", "--out", "drawn")
    assert code == 0 and err == "" and out.strip() == "drawn/sigmoid-2-2-1-step1-backward-named.dot"
    assert "2-2-1 sigmoid network" in (tmp_path / out.strip()).read_text(encoding="utf-8")
    code, _, err = run(capsys, "step", "./iris")
    assert code == 2 and err == ("scalarnet: error: ./iris: is a folder; write iris for the bundled exercise, or a "
                                 "file in the folder (./iris/FILE.toml)\n")
    (tmp_path / "iris" / "FILE.toml").write_text(resolve("sigmoid-2-2-1").read_text(encoding="utf-8"))
    assert resolve("./iris/FILE.toml") == Path("iris/FILE.toml")
    (tmp_path / "sigmoid-2-2-1.toml").write_text("[params]\n")  # a file written out still wins
    assert resolve("sigmoid-2-2-1.toml") == Path("sigmoid-2-2-1.toml")
    code, _, err = run(capsys, "step", "mine")  # a folder that is no bundled name: as before
    assert code == 2 and "mine: is a folder; give an exercise file (TOML) or a bundled exercise's name" in err


def test_bad_input_gets_a_message_and_exit_status_2(capsys, tmp_path):
    code, out, err = run(capsys, "step", "no-such-exercise")
    assert code == 2 and out == ""
    assert "no-such-exercise: no such file" in err and "sigmoid-2-2-2" in err
    bad = tmp_path / "bad.toml"
    bad.write_text('[params]\nw = 1\n[inputs]\nx = 2\n[graph]\nE = "log(w - x)"\n')
    code, _, err = run(capsys, "step", str(bad))
    assert code == 2
    assert "log of a non-positive value" in err and "(w − x)" in err and "Traceback" not in err
    assert str(bad) in err


def test_divergence_is_reported_not_hidden_as_nan(capsys, tmp_path):
    bad = tmp_path / "diverge.toml"
    bad.write_text('[params]\nw = 1.0\n[inputs]\nx = 10.0\n[graph]\nE = "(w*x)^2"\n'
                   '[train]\nlearning_rate = 100.0\n')
    code, out, err = run(capsys, "train", str(bad), "--epochs", "500", "--json")
    assert code == 2 and out == ""
    # |w| grows 20000-fold a step, so (w·x)² overflows at step 37 (w ≈ 6.9e154)
    for part in ("scalarnet: error:", "step 37 (epoch 37, example 0)", "overflows", "smaller learning rate"):
        assert part in err


def test_the_console_script_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "scalarnet", "step", "mazur-2-2-2", "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["steps"][0]["grads"]["w1"] == pytest.approx(0.000438568, abs=5e-10)


def test_demo_prints_every_bundled_exercise(capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0
    for name in ("sigmoid-2-2-2", "mazur-2-2-2", "sigmoid-2-2-1", "curve-fit-1-5-1", "quadratic-5-layer"):
        assert f"$ scalarnet step {name}" in out
    assert "loss E_total = 0.298371109" in out


def test_files_that_cannot_be_read_get_a_message_not_a_traceback(capsys, tmp_path):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\x00\xff")
    for argv, expected in ((["step", str(tmp_path)], "is a folder"),
                           (["step", str(binary)], "not a text file"),
                           (["render", "sigmoid-2-2-2", "--format", "dot", "--out", str(binary)], str(binary))):
        code, out, err = run(capsys, *argv)
        assert code == 2, argv
        assert err.startswith("scalarnet: error:") and expected in err and "Traceback" not in err, err


def test_options_that_contradict_each_other_are_refused(capsys, tmp_path):
    assert run(capsys, "step", "mazur-2-2-2", "--html", str(tmp_path / "v.html"), "--json")[0] == 2
    assert run(capsys, "derive", "mazur-2-2-2", "--param", "w1", "--all")[0] == 2
    assert run(capsys, "compare", "sigmoid-2-2-2", "--tol", "nan")[0] == 2
    assert run(capsys, "train", "sigmoid-2-2-2", "--plot", str(tmp_path / "no-suffix"))[0] == 2
