"""What scalarnet does to CPython's garbage collector, and why it may (scalarnet/node.py).

The claim that licenses the change: a graph of nodes holds no reference cycles, so
reference counting alone frees it and the cyclic collector finds nothing in it to collect."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from scalarnet.core.node import GC_THRESHOLD, Node
from scalarnet.micrograd import MLP, Value

ROOT = Path(__file__).resolve().parent.parent


def first_threshold(env: dict[str, str], code: str = "import scalarnet.core.node") -> int:
    """The youngest generation's threshold in a fresh interpreter after ``code``."""
    out = subprocess.run([sys.executable, "-c", f"import gc; {code}; print(gc.get_threshold()[0])"],
                         env={**os.environ, "PYTHONPATH": str(ROOT), **env}, capture_output=True, text=True,
                         check=True)
    return int(out.stdout)


def test_import_raises_the_threshold_and_scalarnet_gc_default_leaves_it() -> None:
    python_default = first_threshold({"SCALARNET_GC": "default"}, "pass")
    assert python_default < GC_THRESHOLD
    assert first_threshold({"SCALARNET_GC": ""}) == GC_THRESHOLD
    assert first_threshold({"SCALARNET_GC": "default"}) == python_default


def test_a_threshold_the_user_set_is_left_alone() -> None:
    assert first_threshold({"SCALARNET_GC": ""}, "gc.set_threshold(10**6); import scalarnet.core.node") == 10**6
    assert first_threshold({"SCALARNET_GC": ""}, "gc.set_threshold(0); import scalarnet.core.node") == 0


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
