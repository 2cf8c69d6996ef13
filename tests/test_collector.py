"""scalarnet and CPython's garbage collector (scalarnet/core/collector.py): importing or using
scalarnet leaves the collector as it was; ``fast_gc()``, the training loops and the command
raise the youngest generation's threshold around their own work and put it back.

The claim that licenses the change: a graph of nodes holds no reference cycles, so
reference counting alone frees it and the cyclic collector finds nothing in it to collect."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import scalarnet
from scalarnet.cli import main
from scalarnet.core.collector import FAST_THRESHOLD
from scalarnet.core.node import Node
from scalarnet.engines.scalar import Exercise
from scalarnet.micrograd import MLP, Value

ROOT = Path(__file__).resolve().parent.parent
USE_NODES = ("from scalarnet import Node; w = Node(0.5, name='w'); loss = (w * 3.0 - 1.0) ** 2; loss.backward(); "
             "import scalarnet.views.diagram")


def thresholds_after(code: str) -> tuple[list[int], list[int]]:
    """gc.get_threshold() in a fresh interpreter before and after ``code``."""
    script = f"import gc; before = gc.get_threshold(); {code}; print(list(before)); print(list(gc.get_threshold()))"
    out = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True).stdout.split("\n")
    return eval(out[0]), eval(out[1])  # two printed lists of ints


@pytest.fixture
def python_thresholds() -> Iterator[tuple[int, int, int]]:
    """The test runs with Python's own thresholds, whatever ran before; put back afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield gc.get_threshold()
    finally:
        gc.set_threshold(*before)


def test_importing_scalarnet_leaves_the_collector_as_it_was() -> None:
    for code in ("import scalarnet", "import scalarnet.micrograd.engine", "import scalarnet.core.node", USE_NODES):
        before, after = thresholds_after(code)
        assert after == before, code
        assert before[0] < FAST_THRESHOLD  # Python's own (700), so the check can tell


def test_using_nodes_and_the_micrograd_drop_in_leaves_the_collector_alone(python_thresholds) -> None:
    model = MLP(2, [4, 1])
    loss = sum(((model([Value(0.5), Value(-1.0)]) - 1.0) ** 2 for _ in range(3)), Value(0.0))
    loss.backward()
    assert gc.get_threshold() == python_thresholds


def test_fast_gc_raises_the_threshold_inside_and_restores_it_after(python_thresholds) -> None:
    with scalarnet.fast_gc():
        assert gc.get_threshold() == (FAST_THRESHOLD, 10, 10)
    assert gc.get_threshold() == python_thresholds
    with pytest.raises(ZeroDivisionError), scalarnet.fast_gc():  # restored on the way out of an error too
        raise ZeroDivisionError
    assert gc.get_threshold() == python_thresholds


def test_a_threshold_the_user_set_is_left_alone(python_thresholds) -> None:
    for mine in ((10**6, 10, 10), (0, 10, 10), (1000, 5, 3)):
        gc.set_threshold(*mine)
        with scalarnet.fast_gc():
            inside = gc.get_threshold()
        assert gc.get_threshold() == mine
        assert inside == (mine if mine[0] == 0 or mine[0] >= FAST_THRESHOLD else (FAST_THRESHOLD, *mine[1:]))


def test_training_scopes_fast_gc_around_its_own_epochs(python_thresholds) -> None:
    ex = Exercise.load("mazur-2-2-2")
    seen = []
    ex.train(2, on_epoch=lambda epoch, loss: seen.append(gc.get_threshold()))
    assert seen == [(FAST_THRESHOLD, 10, 10)] * 2
    assert gc.get_threshold() == python_thresholds


def test_the_command_raises_it_for_its_run_only(python_thresholds, capsys, monkeypatch) -> None:
    seen = []
    original = Exercise.run_step

    def spy(self, update: bool = True):
        seen.append(gc.get_threshold())
        return original(self, update)

    monkeypatch.setattr(Exercise, "run_step", spy)
    assert main(["step", "mazur-2-2-2"]) == 0
    assert seen == [(FAST_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == python_thresholds  # main() called in-process puts it back


def test_a_training_step_leaves_nothing_for_the_collector() -> None:
    """micrograd's loop on Value and on Node: after the step's names are gone, the cyclic
    collector finds no unreachable object (reference counting freed the whole graph)."""
    model = MLP(2, [4, 4, 1])
    xs = [[0.5, -1.0], [1.5, 2.0], [-0.3, 0.8]]
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for kind in (Value, Node):
            rows = [[kind(v) for v in x] for x in xs]
            loss = sum(((model(x) - 1.0) ** 2 for x in rows), kind(0.0))
            loss.backward()
            assert any(p.grad != 0.0 for p in model.parameters())
            del rows, loss
            assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
