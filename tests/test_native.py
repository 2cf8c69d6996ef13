"""The native build (scalarnet/native.py, setup.py): node.py and graph.py compiled by mypyc.

The rest of the suite runs on whichever engine is installed (the native one wherever the
install had a C compiler, CI included); here the Python source is held to the same numbers,
bit for bit, and to the engine's own tests, and the fallbacks are tried: an edited source, a
build that does not load."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scalarnet
from scalarnet.core import native

ROOT = Path(__file__).resolve().parent.parent
BUILT = all(path.exists() for path in native._compiled_files())
needs_build = pytest.mark.skipif(not BUILT, reason="no native build here (installed without a C compiler)")

# Three steps of micrograd's demo (a fresh graph each step), then every parameter's gradient:
# every op the engine writes out (products, sums, ReLU), the tape and the walk.
TRAINING = """
import json, random, sys
from scalarnet.core import native
from scalarnet.micrograd import MLP, Value
random.seed(1337)
model = MLP(2, [16, 16, 1])
rows = [[random.uniform(-2, 2), random.uniform(-1, 1)] for _ in range(20)]
labels = [1 if x * x > y else -1 for x, y in rows]
losses = []
for step in range(3):
    scores = [model(list(map(Value, row))) for row in rows]
    loss = sum((1 + -y * s).relu() for y, s in zip(labels, scores)) * (1.0 / len(rows))
    loss = loss + 1e-4 * sum(p * p for p in model.parameters()) + scores[0].tanh() - (scores[1] / 3) ** 2
    model.zero_grad()
    loss.backward()
    losses.append(loss.data)
    for p in model.parameters():
        p.data -= 0.5 * p.grad
json.dump({"native": native.ACTIVE, "losses": [x.hex() for x in losses],
           "grads": [p.grad.hex() for p in model.parameters()]}, sys.stdout)
"""


def run_python(code: str, env: dict[str, str], path: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(path), **env},
                          cwd=path, capture_output=True, text=True, timeout=300)


def training(env: dict[str, str]) -> dict:
    done = run_python(TRAINING, env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@needs_build
def test_the_native_build_runs_where_it_was_built() -> None:
    assert native.ACTIVE, native.REASON
    assert scalarnet.core.node.__file__.endswith(native._compiled_files()[0].name)
    assert not scalarnet.core.graph.__file__.endswith(".py")


def test_ci_runs_the_native_build() -> None:
    """The install in CI has a compiler, so the suite there tests what users get."""
    if os.environ.get("CI", "").lower() != "true":
        pytest.skip("checked in CI only, where the install compiles the engine")
    assert BUILT and native.ACTIVE, native.REASON


@needs_build
def test_the_source_gives_the_native_builds_numbers_to_the_last_bit() -> None:
    compiled, source = training({}), training({"SCALARNET_PURE": "1"})
    assert compiled["native"] and not source["native"]
    assert len(compiled["grads"]) == 337 and len(compiled["losses"]) == 3
    assert compiled["losses"] == source["losses"]
    assert compiled["grads"] == source["grads"]


@needs_build
def test_the_engines_own_tests_pass_on_the_source() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "tests/test_graph.py", "tests/test_tape.py", "tests/test_collector.py"],
                          cwd=ROOT, env={**os.environ, "SCALARNET_PURE": "1", "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_scalarnet_pure_runs_the_source() -> None:
    code = ("import scalarnet, scalarnet.core.node, scalarnet.core.graph; from scalarnet.core import native; "
            "print(native.ACTIVE, scalarnet.core.node.__file__.endswith('.py'), "
            "scalarnet.core.graph.__file__.endswith('.py'))")
    done = run_python(code, {"SCALARNET_PURE": "1"})
    assert done.stdout.split() == ["False", "True", "True"], done.stderr


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the installed package (native build included), to break."""
    shutil.copytree(ROOT / "scalarnet", tmp_path / "scalarnet", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@needs_build
def test_an_edited_source_runs_as_python_with_a_note(package_copy: Path) -> None:
    node = package_copy / "scalarnet" / "core" / "node.py"
    node.write_text(node.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    code = ("import scalarnet, scalarnet.core.node; from scalarnet.core import native; "
            "print(native.ACTIVE, native.REASON)")
    done = run_python(code, {"SCALARNET_LANG": "en"}, package_copy)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False scalarnet/core/node.py changed after it was compiled"
    assert "scalarnet/core/node.py changed after the engine was compiled" in done.stderr
    assert "pip install -e ." in done.stderr


@needs_build
def test_a_build_that_does_not_load_leaves_the_source_running(package_copy: Path) -> None:
    for shared in (package_copy / "scalarnet" / "core").glob("native__mypyc*"):
        shared.write_bytes(b"not a shared library")
    code = ("import scalarnet, scalarnet.core.node; from scalarnet.core import native; "
            "print(native.ACTIVE, scalarnet.core.node.__file__.endswith('.py')); "
            "print((scalarnet.Node(2.0) * 3).value)")
    done = run_python(code, {"SCALARNET_LANG": "en"}, package_copy)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "6.0"]
    assert "the compiled engine does not load" in done.stderr


def test_without_a_build_the_source_runs_and_says_why(package_copy: Path) -> None:
    for built in native._compiled_files():
        (package_copy / "scalarnet" / "core" / built.name).unlink()
    code = "from scalarnet.core import native; print(native.ACTIVE); print(native.REASON)"
    done = run_python(code, {"SCALARNET_LANG": "en"}, package_copy)
    assert done.stdout.splitlines() == ["False", "there is no native build (it needs a C compiler when scalarnet is "
                                                 "installed)"], done.stderr
    assert done.stderr == ""
