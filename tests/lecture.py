"""The micrograd lecture's neuron, built as the lecture builds it, for the tests that need a
graph of labelled Values (the explore API, the typography of a micrograd graph)."""

from __future__ import annotations

from typing import Any

from scalarnet.micrograd.engine import Value


def lecture_neuron(V: Any = Value) -> tuple[Any, dict[str, Any]]:
    """The lecture's neuron: o = tanh(x1·w1 + x2·w2 + b), every node labelled (the sums with their
    formula as the label, as the lecture writes them). Returns o and its leaves by name."""
    x1, x2 = V(2.0, label="x1"), V(0.0, label="x2")
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}
