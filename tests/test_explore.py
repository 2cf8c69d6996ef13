"""Views of graphs built in Python (scalarnet.draw/derive/walk/viewer), the Node habits
micrograd users bring (.data, label=, numpy scalars), nn's constructor errors, and the
gradients of every named node of a step (node_grads), against torch and finite differences."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re

import graphviz
import numpy as np
import pytest
from conftest import central_difference, load_bundled
from lecture import lecture_neuron

import scalarnet
from scalarnet import Node
from scalarnet.core import nn
from scalarnet.micrograd.engine import Value


def torch_grads(torch, values: dict[str, float], f) -> dict[str, float]:
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    f(**leaves).backward()
    return {k: t.grad.item() for k, t in leaves.items()}


def neuron_torch(x1, x2, w1, w2, b):
    return (x1 * w1 + x2 * w2 + b).tanh()


# -- Node habits ---------------------------------------------------------------------------------
def test_node_data_and_label_are_micrographs_names():
    a = Node(-4.0, label="a")
    assert (a.data, a.name, a.label) == (-4.0, "a", "a")
    a.data = 2.5
    a.label = "alpha"
    assert (a.value, a.name) == (2.5, "alpha")
    assert Node(1.0, label="").name is None and Node(1.0, name="n", label="l").name == "n"
    assert scalarnet.Node(3.0).display_name() == "3"


def test_numpy_scalars_on_either_side_and_the_issues_sum():
    w = Node(0.7, name="w")
    for k in (np.int64(3), np.float32(3), np.float64(3), np.int32(3), 3, 3.0):
        assert (w * k).value == pytest.approx(2.1) and (k * w).value == pytest.approx(2.1)
        assert (w / k).value == pytest.approx(0.7 / 3) and (k / w).value == pytest.approx(3 / 0.7)
        assert (w**k).value == pytest.approx(0.343)
    loss = sum((w * x - 1) ** 2 for x in np.arange(-3, 3))
    loss.backward()
    f = lambda v: sum((v * x - 1.0) ** 2 for x in range(-3, 3))  # noqa: E731
    assert loss.value == pytest.approx(f(0.7), rel=1e-14)
    assert w.grad == pytest.approx(central_difference(f, 0.7), rel=1e-7)
    with pytest.raises(TypeError, match="str 'x'.*real number"):
        w * "x"
    with pytest.raises(TypeError, match="bool"):
        w + True


def test_nn_constructors_say_what_is_wrong():
    with pytest.raises(TypeError, match=r"MLP\.initialised\(\[3, 4, 4, 1\].*scalarnet\.micrograd\.nn\.MLP\(3"):
        nn.MLP(3, [4, 4, 1])
    with pytest.raises(ValueError, match="layer 1 has 2 outputs but layer 2's weights expect 3 inputs"):
        nn.MLP([np.ones((2, 2)), np.ones((3, 1))], [None, None])
    with pytest.raises(ValueError, match="2 weight matrices but 1 biases"):
        nn.MLP([np.ones((2, 2)), np.ones((2, 1))], [None])
    with pytest.raises(ValueError, match="hidden='softmax'"):
        nn.MLP([np.ones((2, 1))], [None], hidden="softmax")
    with pytest.raises(ValueError, match="sizes are the layer widths"):
        nn.MLP.initialised(3)


# -- walk ----------------------------------------------------------------------------------------
def test_walk_applies_each_local_rule_once_and_ends_at_torchs_gradients(torch):
    o, leaves = lecture_neuron()
    for v in leaves.values():
        v.grad = 123.0  # stale gradients: the walk starts from zero
    steps = list(scalarnet.walk(o))
    assert [s.name for s in steps] == ["o", "n", "x1*w1 + x2*w2", "x2*w2", "x1*w1"]
    expected = torch_grads(torch, {k: v.data for k, v in leaves.items()}, neuron_torch)
    for name, v in leaves.items():
        assert v.grad == pytest.approx(expected[name], rel=1e-12, abs=1e-15)
    first = steps[0]
    assert first.grad == 1.0 and first.sent[0][0] == "n"
    assert first.sent[0][2] == pytest.approx(1 - math.tanh(0.8813735870195432) ** 2)  # ∂o/∂n = 0.5
    text = str(steps[-1])
    assert "x₁.grad += 0.5 × ∂(x₁*w₁)/∂x₁ [w₁ = −3] = −1.5" in text and "w₁.grad += 0.5" in text
    # each share is the child's gradient times the local partial
    for s in steps:
        for _, _, local, share, _ in s.sent:
            assert share == s.grad * local


def test_walk_equals_backward_on_a_graph_with_shared_nodes():
    a, b = Node(1.3), Node(-0.4)
    c = a * b
    d = (c + a).exp() * c - b / (a + 2.0)
    list(scalarnet.walk(d))
    walked = (a.grad, b.grad)
    a.grad = b.grad = 0.0
    d.backward()
    assert walked == pytest.approx((a.grad, b.grad), rel=1e-14)


# -- derive --------------------------------------------------------------------------------------
def test_derive_sums_paths_to_torchs_gradient(torch):
    x, w = Node(0.5, name="x"), Node(-1.2, name="w")
    h = (w * x).tanh()
    h.name = "h"
    y = h * w + (h * x).relu()
    y.name = "y"
    d = scalarnet.derive(y, "w")
    expected = torch_grads(torch, {"x": 0.5, "w": -1.2},
                           lambda x, w: (w * x).tanh() * w + ((w * x).tanh() * x).relu())["w"]
    assert d.value == pytest.approx(expected, rel=1e-12)
    assert d.derivation.agrees and d.derivation.n_paths == 2
    text = str(d)
    assert text.startswith("∂y/∂w at the current values: 2 paths from y to w")
    assert "y → h → w" in text and "y → w" in text
    assert r"\frac{\partial y}{\partial w}" in d.latex() and "#### ∂y/∂w" in d.markdown()
    assert x.grad == 0.0 and w.grad == 0.0  # the views leave the nodes' gradients alone


def test_derive_names_unnamed_nodes_from_their_formula(torch):
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    L = (a * b + c) * Value(-2.0)
    names = scalarnet.teach.explore.formula_names(L)
    assert names[id(L)] == "(v1·v2 + v3)·v4"  # brackets exactly where precedence needs them
    d = scalarnet.derive(L, a)
    assert d.value == pytest.approx(6.0) and d.derivation.param == "v1"
    with pytest.raises(ValueError, match="not in the graph"):
        scalarnet.derive(L, Value(1.0))
    k = Node.constant(3.0)
    with pytest.raises(ValueError, match="constant 3 gets no gradient"):
        scalarnet.derive(a * k, k)
    with pytest.raises(KeyError, match="no node named 'q'"):
        scalarnet.derive(L, "q")
    assert a.label is None  # the names were only for the view


# -- draw ----------------------------------------------------------------------------------------
def _labels(dot: str) -> str:
    return re.sub(r"<[^>]*>", " ", dot)


def test_draw_shows_names_values_gradients_and_partials_of_the_neuron(torch):
    o, leaves = lecture_neuron()
    graph = scalarnet.draw(o, level="named")
    assert isinstance(graph, graphviz.Digraph)
    text = _labels(graph.source)
    expected = torch_grads(torch, {k: v.data for k, v in leaves.items()}, neuron_torch)
    assert f"∂o/∂w₁ = {expected['w1']:.6g}" in text and f"∂o/∂x₁ = {expected['x1']:.6g}".replace("-", "−") in text
    assert "∂o/∂n = 0.5" in text and "value = 0.707107" in text
    assert all(v.grad == 0.0 for v in leaves.values())
    anonymous = scalarnet.draw(Value(2.0) * Value(-3.0) + Value(10.0))
    assert "v₁·v₂" in _labels(anonymous.source)


def test_viewer_page_has_a_frame_per_walk_step(tmp_path):
    o, _ = lecture_neuron()
    page = scalarnet.viewer(o, param="w1")
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page.html, re.S)[1])
    phases = [f["phase"] for f in data["frames"]]
    # the given numbers, the 5 op nodes forward, then at least one frame per op node walked back; no update
    assert phases.count("forward") == 1 + 5 and phases.count("backward") >= 5 and "update" not in phases
    said = {f["node"]: f["narration"] for f in data["frames"] if f["phase"] == "backward"}
    assert said["o"] == "∂o/∂o = 1" and said["n"].endswith("= 0.5")  # 1 − tanh²(n) = 1 − 0.7071² = 0.5
    assert "∂o/∂w₁ at the current values" in page.html
    assert '<option value="w1" selected>w1</option>' in page.html  # w1's red paths from the start
    assert '<option value="" selected>none</option>' in scalarnet.viewer(o).html  # none until picked
    path = page.save(tmp_path / "neuron.html")
    assert path.read_text(encoding="utf-8") == page.html
    with pytest.raises(KeyError, match="not a parameter"):
        scalarnet.viewer(o, param="nope")


# -- node_grads ------------------------------------------------------------------------------------
def test_node_grads_of_inputs_and_targets_match_finite_differences():
    ex = load_bundled("mazur-2-2-2")
    record = ex.run_step(update=False)[0]
    grads = record.to_json()["node_grads"]
    assert grads["out_o1"] == pytest.approx(0.74136507, abs=1e-8)  # Mazur's ∂E/∂out_o1
    assert grads["w5"] == pytest.approx(0.082167041, abs=1e-9) and grads["E_total"] == 1.0
    spec = ex.spec

    def loss_with(table: str, name: str, v: float) -> float:
        moved = dataclasses.replace(spec, **{table: {**getattr(spec, table), name: [v]}})
        return scalarnet.Exercise(moved).run_step(update=False)[0].loss

    for table, name in (("inputs", "i1"), ("inputs", "i2"), ("targets", "t1"), ("targets", "t2")):
        v0 = getattr(spec, table)[name][0]
        moved = functools.partial(loss_with, table, name)
        assert grads[name] == pytest.approx(central_difference(moved, v0), rel=1e-6)
    assert ex.params["w1"].value == spec.params["w1"]  # nothing trained yet; inputs never are


def test_node_grads_of_a_batch_are_per_example_and_the_table_shows_them():
    ex = load_bundled("quadratic-5-layer")
    record = ex.run_step(update=False)[0]
    x_grads = record.node_grads["x"]
    assert len(x_grads) == len(record.examples) == 16
    # ∂L/∂(the output of example k) = (ŷ − y)/n for L = mean of ½(ŷ − y)²
    y_hat, y = np.array(record.values["a5[0]"]), np.array(record.values["y"])
    assert record.node_grads["a5[0]"] == pytest.approx((y_hat - y) / 16, rel=1e-12)
    assert record.node_grads["y"] == pytest.approx((y - y_hat) / 16, rel=1e-12)
    from scalarnet.views.table import step_table

    table = step_table(record)
    assert "∂L/∂node, the share of each example's node" in table
