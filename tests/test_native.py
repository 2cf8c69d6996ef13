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
    assert done.stderr == ("scalarnet: scalarnet/core/node.py changed after the engine was compiled, so it runs as "
                           "Python; `pip install -e .` compiles it again\n")  # one line, no source line under it


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


# Issue 23: every operand case, run on the build installed here and on the Python source; each
# line is what the case gave, a value or the error's type and message. Both builds must give
# the same lines, and the real numbers (numpy's, Fraction) must be taken, as floats.
OPERANDS = r'''
import json, sys
from fractions import Fraction
import numpy as np
from scalarnet import Node
from scalarnet.core import native
from scalarnet.micrograd import Value

def setting(attr, value):
    n = Node(1.0, name="n")
    setattr(n, attr, value)
    got = getattr(n, attr)
    return [type(got).__name__, got]

CASES = {
    "Node(np.int64(2))": lambda: Node(np.int64(2)).value,
    "Node(np.float32(0.5))": lambda: Node(np.float32(0.5)).value,
    "Node(np.float64(0.5))": lambda: type(Node(np.float64(0.5)).value).__name__,
    "Node(Fraction(1, 2))": lambda: Node(Fraction(1, 2)).value,
    "Node(np.uint8(3), name='w')": lambda: Node(np.uint8(3), name="w").value,
    "Node.constant(np.int32(4))": lambda: Node.constant(np.int32(4)).value,
    "Value(np.int64(2))": lambda: Value(np.int64(2)).data,
    "Value(1.5) ** np.int64(2)": lambda: (Value(1.5) ** np.int64(2)).data,
    "Value(1.5) ** Fraction(1, 2)": lambda: (Value(1.5) ** Fraction(1, 2)).data,
    "Value(2.0) / np.int64(4)": lambda: (Value(2.0) / np.int64(4)).data,
    "np.int64(2) - Value(0.5)": lambda: (np.int64(2) - Value(0.5)).data,
    "Node(1.5) * Fraction(1, 2)": lambda: (Node(1.5) * Fraction(1, 2)).value,
    "Fraction(1, 2) + Node(1.5)": lambda: (Fraction(1, 2) + Node(1.5)).value,
    "Node(2.0) ** np.float32(0.5)": lambda: (Node(2.0) ** np.float32(0.5)).value,
    "np.float64(3) ** Node(2.0)": lambda: (np.float64(3) ** Node(2.0)).value,
    "node.value = np.int64(3)": lambda: setting("value", np.int64(3)),
    "node.data = Fraction(3, 4)": lambda: setting("data", Fraction(3, 4)),
    "node.grad = np.float32(0.25)": lambda: setting("grad", np.float32(0.25)),
    "node.name = 'w1'": lambda: setting("name", "w1"),
    "node.label = ''": lambda: setting("label", ""),
    "node.requires_grad = False": lambda: setting("requires_grad", False),
    "Node(True)": lambda: Node(True).value,
    "Node('3')": lambda: Node("3").value,
    "Node(None)": lambda: Node(None).value,
    "Node(1j)": lambda: Node(1j).value,
    "Node(np.bool_(True))": lambda: Node(np.bool_(True)).value,
    "Node(10**400)": lambda: Node(10**400).value,
    "Node(float('nan'))": lambda: Node(float("nan")).value,
    "Node(1.0, name=5)": lambda: Node(1.0, name=5).name,
    "Node(1.0, label=b'x')": lambda: Node(1.0, label=b"x").name,
    "Node(1.0, requires_grad=1)": lambda: Node(1.0, requires_grad=1).requires_grad,
    "node.value = '3'": lambda: setting("value", "3"),
    "node.data = None": lambda: setting("data", None),
    "node.grad = None": lambda: setting("grad", None),
    "node.grad = '0'": lambda: setting("grad", "0"),
    "node.name = 5": lambda: setting("name", 5),
    "node.requires_grad = 'yes'": lambda: setting("requires_grad", "yes"),
    "Node(1.0) + '2'": lambda: (Node(1.0) + "2").value,
    "Node(1.0) * None": lambda: (Node(1.0) * None).value,
    "Value(1.0) ** Value(2.0)": lambda: (Value(1.0) ** Value(2.0)).data,
    "Value(1.0, _children=(Value(2.0),))": lambda: Value(1.0, (Value(2.0),)).data,
}
out = {}
for case, run in CASES.items():
    try:
        out[case] = run()
    except Exception as err:
        out[case] = f"{type(err).__name__}: {err}"
json.dump({"native": native.ACTIVE, "cases": out}, sys.stdout)
'''

REFUSED = ["Node(True)", "Node('3')", "Node(None)", "Node(1j)", "Node(np.bool_(True))", "Node(1.0, name=5)",
           "Node(1.0, label=b'x')", "Node(1.0, requires_grad=1)", "node.value = '3'", "node.data = None",
           "node.grad = None", "node.grad = '0'", "node.name = 5", "node.requires_grad = 'yes'", "Node(1.0) + '2'",
           "Node(1.0) * None", "Value(1.0) ** Value(2.0)", "Value(1.0, _children=(Value(2.0),))"]


def operand_cases(env: dict[str, str]) -> dict:
    done = run_python(OPERANDS, {"SCALARNET_LANG": "en", **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_both_builds_take_every_real_number_and_refuse_the_same_things_with_the_same_words() -> None:
    here, source = operand_cases({}), operand_cases({"SCALARNET_PURE": "1"})
    assert not source["native"] and here["native"] == BUILT
    assert here["cases"] == source["cases"]
    got = source["cases"]
    assert got["Node(np.int64(2))"] == 2.0 and got["Node(Fraction(1, 2))"] == 0.5
    assert got["Node(np.float64(0.5))"] == "float"  # a float, not numpy's subclass of it
    assert got["Value(1.5) ** np.int64(2)"] == 2.25 and got["np.int64(2) - Value(0.5)"] == 1.5
    assert got["node.value = np.int64(3)"] == ["float", 3.0] and got["node.data = Fraction(3, 4)"] == ["float", 0.75]
    assert got["node.grad = np.float32(0.25)"] == ["float", 0.25] and got["node.label = ''"] == ["NoneType", None]
    for case in REFUSED:
        assert got[case].split(":")[0] in ("TypeError", "NumericError"), (case, got[case])
        assert "object expected" not in got[case]  # mypyc's words, not ours
    assert got["node.value = '3'"] == ("TypeError: node n: cannot use str '3' as a value: expected a Node or a real "
                                       "number (int, float, numpy scalar)")
    assert got["node.name = 5"] == "TypeError: name=5: a node's name is a string (or None), not int"
    assert got["Node(10**400)"].startswith("NumericError: 1000") and "too big for a float" in got["Node(10**400)"]
