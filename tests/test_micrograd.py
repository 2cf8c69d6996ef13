"""scalarnet.micrograd as a drop-in for micrograd 0.1.0: the same API, the same numbers.

micrograd's own test suite (its test/test_engine.py, taken from micrograd 0.1.0's source
distribution, or the file MICROGRAD_TESTS names) runs against scalarnet.micrograd with only
the import changed: see ``test_micrograds_own_suite``. The demo notebook's training loop
is compared step by step with micrograd itself, which must be installed (a test-only
dependency, ``pip install micrograd==0.1.0``).
"""

from __future__ import annotations

import gc
import math
import os
import random
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from scalarnet import Node
from scalarnet.micrograd.engine import Value
from scalarnet.micrograd.nn import MLP, Layer, Neuron

ROOT = Path(__file__).resolve().parent.parent
NO_MICROGRAD = "micrograd is not installed (pip install micrograd==0.1.0)"


# -- micrograd's own suite, only the import changed --------------------------------------------
def _micrograds_test_file(tmp_path: Path) -> Path:
    """micrograd's own test/test_engine.py: MICROGRAD_TESTS (the file, or a checkout of
    karpathy/micrograd), else the copy in micrograd 0.1.0's source distribution on PyPI."""
    given = os.environ.get("MICROGRAD_TESTS")
    if given:
        source = Path(given)
        return source / "test" / "test_engine.py" if source.is_dir() else source
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "micrograd==0.1.0", "-d", str(tmp_path)], capture_output=True, timeout=120, check=True)
        (sdist,) = tmp_path.glob("micrograd-0.1.0.tar.gz")
        with tarfile.open(sdist) as tar:
            member = tar.extractfile("micrograd-0.1.0/test/test_engine.py")
            target = tmp_path / "upstream_test_engine.py"
            target.write_bytes(member.read())
            return target
    except (subprocess.SubprocessError, OSError, ValueError, KeyError, tarfile.TarError) as err:
        pytest.skip(f"micrograd's test/test_engine.py is not at hand ({type(err).__name__}): set MICROGRAD_TESTS "
                    "to it, or let pip download micrograd 0.1.0's source distribution")


def test_micrograds_own_suite(tmp_path):
    source = _micrograds_test_file(tmp_path)
    text = source.read_text(encoding="utf-8")
    ported, swaps = re.subn(r"^from micrograd\.", "from scalarnet.micrograd.", text, flags=re.M)
    assert swaps >= 1 and ported.replace("scalarnet.micrograd.", "micrograd.") == text  # only the import changed
    (tmp_path / "test_engine.py").write_text(ported, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stdout + run.stderr


# -- the engine against torch ----------------------------------------------------------------
def test_value_matches_torch_on_a_mixed_expression(torch):
    def f(a, b):
        c = 3 * a - b / 4.0 + 1
        d = (c * b + a**2).relu() + (2.0 - a) * c
        return d / (1 + b**2) + (-c).relu() * 0.5 + (a * 0.3).tanh() + (b * 0.2).exp() + 7 / (d + 10)

    a, b = Value(1.5), Value(-2.25)
    y = f(a, b)
    y.backward()
    at, bt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.5, -2.25))
    yt = f(at, bt)
    yt.backward()
    assert y.data == pytest.approx(yt.item(), rel=1e-14)
    assert a.grad == pytest.approx(at.grad.item(), rel=1e-13)
    assert b.grad == pytest.approx(bt.grad.item(), rel=1e-13)


def test_value_has_micrographs_attributes():
    a, b = Value(2.0, label="a"), Value(-3.0)
    c = a * b
    c.label = "c"
    d = c + 1
    assert (a.data, a.grad, a.label, b.label, c.label) == (2.0, 0.0, "a", None, "c")
    assert c._prev == {a, b} and c._op == "*" and d._op == "+" and a._op == "" and (a**3)._op == "**3"
    assert (a.relu()._op, a.tanh()._op, a.exp()._op) == ("ReLU", "tanh", "exp")
    assert repr(a) == "Value(data=2.0, grad=0.0)"
    assert isinstance(d, Value) and isinstance(2 * a, Value) and isinstance(a, Node)
    # the lecture's manual backward: o._backward() sends o.grad · local partial to the children
    d.grad = 1.0
    d._backward()
    c._backward()
    assert (c.grad, a.grad, b.grad) == (1.0, -3.0, 2.0)


def test_value_arithmetic_is_micrographs_to_the_bit():
    """Division is a · b⁻¹ and subtraction a + (−b) in micrograd: the same bits here."""
    micrograd = pytest.importorskip("micrograd.engine", reason=NO_MICROGRAD)
    rng = random.Random(7)
    for _ in range(200):
        x, y = rng.uniform(-5, 5), rng.uniform(0.1, 5)
        for V in (Value, micrograd.Value):
            a, b = V(x), V(y)
            out = [a / b, 3.0 / b, a - b, 2 - a, -a, a**2.5 if x > 0 else a**3, a / 7.0]
            if V is Value:
                ours = [v.data for v in out]
            else:
                theirs = [v.data for v in out]
        assert ours == theirs


def test_numbers_of_every_kind_on_either_side():
    a = Value(2.0)
    for k in (3, 3.0, np.int64(3), np.float32(3), np.float64(3), np.int8(3)):
        assert (a * k).data == (k * a).data == 6.0
        assert (a + k).data == (k + a).data == 5.0
        assert (a - k).data == -1.0 and (k - a).data == 1.0
    with pytest.raises(TypeError, match="only int/float powers"):
        a ** Value(2.0)
    with pytest.raises(TypeError, match="children from its op"):
        Value(1.0, (a,), "+")


# -- nn: the same draws, the same sums ----------------------------------------------------------
def test_nn_draws_and_computes_as_micrograd():
    mg = pytest.importorskip("micrograd.nn", reason=NO_MICROGRAD)
    for Model, args in ((MLP, (3, [4, 4, 1])), (Layer, (3, 2)), (Neuron, (3,))):
        random.seed(42)
        ours = Model(*args)
        random.seed(42)
        theirs = getattr(mg, Model.__name__)(*args)
        assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
        assert repr(ours) == repr(theirs)
        x = [2.0, -1.0, 0.5]
        y_ours, y_theirs = ours(x), theirs(x)
        y_ours = y_ours if isinstance(y_ours, list) else [y_ours]
        y_theirs = y_theirs if isinstance(y_theirs, list) else [y_theirs]
        assert [v.data for v in y_ours] == [v.data for v in y_theirs]
    model = MLP(2, [3, 1])
    out = model([1.0, 2.0])
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# -- the demo notebook's training loop ----------------------------------------------------------
def demo(Value, MLP, steps: int) -> list[tuple[float, float]]:
    """micrograd's demo.ipynb: make_moons, MLP(2, [16, 16, 1]), the max-margin loss with
    1e-4·L2, SGD with lr 1.0 − 0.9·k/100. (loss, accuracy) per step."""
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((float(total_loss.data), float(acc)))
    return history


def test_demo_notebook_gives_micrographs_losses_and_accuracy():
    """All 100 steps under CI=true; 10 by default, since micrograd itself takes about a quarter
    of a second a step even with its collector off (and seconds with it on)."""
    mg_engine = pytest.importorskip("micrograd.engine", reason=NO_MICROGRAD)
    mg_nn = pytest.importorskip("micrograd.nn")
    pytest.importorskip("sklearn", reason="scikit-learn is not installed")
    steps = 100 if os.environ.get("CI") == "true" else 10
    ours = demo(Value, MLP, steps)
    gc.disable()  # micrograd's nodes are reference cycles: without this it is ten times slower
    try:
        theirs = demo(mg_engine.Value, mg_nn.MLP, steps)
    finally:
        gc.enable()
    for k, ((loss, acc), (loss_mg, acc_mg)) in enumerate(zip(ours, theirs)):
        assert math.isclose(loss, loss_mg, rel_tol=1e-9), f"step {k}: loss {loss!r}, micrograd {loss_mg!r}"
        assert acc == acc_mg, f"step {k}"
    assert theirs[0][0] > 0.5 and theirs[-1][0] < theirs[0][0]  # it trains
