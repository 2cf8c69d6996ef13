"""Neurons, MLPs, softmax and the losses, the batch mean and SGD: against published numbers,
closed forms, central finite differences and torch (float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import central_difference
from hypothesis import given, settings
from hypothesis import strategies as st

from scalarnet import Graph, Node
from scalarnet.core import ops
from scalarnet.core.nn import (
    MLP,
    SGD,
    Neuron,
    cross_entropy,
    half_squared_error,
    initial_weights,
    log_softmax,
    loss_of,
    mean,
    softmax,
    squared_error,
)

# The classic 2-2-2 example (Mazur): textbook names, one bias shared per layer.
MAZUR_NAMES = {"W1": [["w1", "w3"], ["w2", "w4"]], "b1": ["b1", "b1"],
               "W2": [["w5", "w7"], ["w6", "w8"]], "b2": ["b2", "b2"]}
MAZUR_WEIGHTS = [np.array([[0.15, 0.25], [0.20, 0.30]]), np.array([[0.40, 0.50], [0.45, 0.55]])]
MAZUR_BIASES = [np.array([0.35, 0.35]), np.array([0.60, 0.60])]


def constants(values) -> list[Node]:
    return [Node.constant(float(v)) for v in values]


def mazur() -> tuple[MLP, Node]:
    net = MLP(MAZUR_WEIGHTS, MAZUR_BIASES, hidden="sigmoid", output="sigmoid", names=MAZUR_NAMES)
    traces = net.trace(constants([0.05, 0.10]), unit_names=[["h1", "h2"], ["o1", "o2"]])
    return net, loss_of("half_squared_error", traces, constants([0.01, 0.99]), name="E_total")


# -- parameters and their names -----------------------------------------------------
def test_mlp_parameter_names_and_values_follow_the_documented_scheme():
    net = MLP.initialised([2, 3, 1], seed=5, scale=0.5)
    weights, _ = initial_weights([2, 3, 1], seed=5, scale=0.5, bias=True)
    names = [p.name for p in net.parameters()]
    assert names == ["W1[0,0]", "W1[0,1]", "W1[0,2]", "W1[1,0]", "W1[1,1]", "W1[1,2]", "b1[0]", "b1[1]", "b1[2]",
                     "W2[0,0]", "W2[1,0]", "W2[2,0]", "b2[0]"]
    for layer, w in enumerate(weights, start=1):
        for (i, j), value in np.ndenumerate(w):
            node = net.W[layer - 1][i][j]
            assert node.name == f"W{layer}[{i},{j}]" and node.value == value and node.requires_grad
    assert [b.value for b in net.b[0]] == [0.0, 0.0, 0.0]


def test_mlp_without_biases_has_only_weights():
    net = MLP.initialised([2, 2, 2], bias=False)
    assert net.b == [None, None]
    assert len(net.parameters()) == 8 and all(p.name.startswith("W") for p in net.parameters())


def test_textbook_names_and_a_shared_name_is_one_node():
    net, loss = mazur()
    assert [p.name for p in net.parameters()] == ["w1", "w3", "w2", "w4", "b1", "w5", "w7", "w6", "w8", "b2"]
    assert net.b[0][0] is net.b[0][1] and net.b[1][0] is net.b[1][1]
    assert {p.name for p in loss.parameters()} == {p.name for p in net.parameters()}
    loss.backward()
    b1 = net.b[0][0]

    def f(v: float) -> float:
        b1.value = v
        return Graph(loss).forward()

    assert b1.grad == pytest.approx(central_difference(f, 0.35), rel=1e-7)  # both units' paths added


def test_a_shared_name_with_two_values_is_refused():
    biases = [np.array([0.35, 0.36]), np.array([0.6, 0.6])]
    with pytest.raises(ValueError, match="b1"):
        MLP(MAZUR_WEIGHTS, biases, names=MAZUR_NAMES)


def test_mazur_forward_pass_and_gradients_match_the_published_numbers():
    net, loss = mazur()
    loss.backward()
    nodes = {n.name: n for n in Graph(loss).order if n.name}
    assert nodes["net_h1"].value == pytest.approx(0.3775, rel=1e-12)
    assert nodes["out_h1"].value == pytest.approx(0.593269992, rel=1e-8)
    assert nodes["out_o1"].value == pytest.approx(0.75136507, rel=1e-8)
    assert nodes["out_o2"].value == pytest.approx(0.772928465, rel=1e-8)
    assert loss.value == pytest.approx(0.298371109, rel=1e-8)
    assert nodes["w5"].grad == pytest.approx(0.082167041, rel=1e-7)
    assert nodes["w1"].grad == pytest.approx(0.000438568, rel=1e-5)
    SGD(net.parameters(), lr=0.5).step()
    assert nodes["w5"].value == pytest.approx(0.35891648, rel=1e-8)
    assert nodes["w1"].value == pytest.approx(0.149780716, rel=1e-8)


def test_initial_weights_follow_the_documented_convention_exactly():
    rng = np.random.default_rng(7)  # one generator, layer by layer, shape (n_in, n_out)
    expected = [0.3 * rng.standard_normal((3, 4)), 0.3 * rng.standard_normal((4, 2))]
    weights, biases = initial_weights([3, 4, 2], seed=7, scale=0.3, bias=True)
    assert [w.shape for w in weights] == [(3, 4), (4, 2)]
    assert all(np.array_equal(w, e) for w, e in zip(weights, expected))
    assert all(np.array_equal(b, np.zeros(n)) for b, n in zip(biases, [4, 2]))
    assert initial_weights([3, 4, 2], seed=7, scale=0.3, bias=False)[1] == [None, None]
    net = MLP.initialised([3, 4, 2], seed=7, scale=0.3)
    assert [[[w.value for w in row] for row in layer] for layer in net.W] == [e.tolist() for e in expected]


# -- neurons -------------------------------------------------------------------------
def test_a_neurons_net_input_is_one_sum_node():
    w = [Node(0.1, name="w1"), Node(0.2, name="w2"), Node(0.3, name="w3")]
    b = Node(0.5, name="b")
    x = constants([1.0, 2.0, 3.0])
    neuron = Neuron(w, b, "sigmoid")
    z = neuron.net(x, name="z")
    assert z.op is ops.SUM and z.name == "z" and len(z.parents) == 4
    assert [p.op for p in z.parents[:3]] == [ops.MUL] * 3
    assert [p.parents for p in z.parents[:3]] == list(zip(w, x))
    assert z.parents[3] is b and z.value == pytest.approx(1.9, rel=1e-15)
    out = neuron(x)
    assert out.op is ops.SIGMOID and out.parents[0].op is ops.SUM
    assert neuron.parameters() == [*w, b]


def test_mlp_trace_names_each_net_input_and_activation():
    net = MLP.initialised([2, 3, 1], hidden="tanh", output="linear", seed=1)
    traces = net.trace(constants([0.5, -1.0]))
    assert [z.name for z in traces[0].nets] == ["z1[0]", "z1[1]", "z1[2]"]
    assert [a.name for a in traces[0].outs] == ["a1[0]", "a1[1]", "a1[2]"]
    assert all(z.op is ops.SUM for t in traces for z in t.nets)
    assert all(a.op is ops.TANH for a in traces[0].outs)
    assert traces[1].outs[0] is traces[1].nets[0]  # linear: the activation is the net input itself


# -- softmax, cross-entropy ----------------------------------------------------------
LOGITS = st.lists(st.floats(-30, 30, allow_nan=False), min_size=2, max_size=5)


@st.composite
def logits_and_targets(draw):
    z = draw(LOGITS)
    if draw(st.booleans()):  # one-hot
        y = [0.0] * len(z)
        y[draw(st.integers(0, len(z) - 1))] = 1.0
    else:  # a probability vector
        w = draw(st.lists(st.floats(0.01, 1.0), min_size=len(z), max_size=len(z)))
        y = [v / sum(w) for v in w]
    return z, y


@settings(max_examples=100, deadline=None)
@given(case=logits_and_targets())
def test_softmax_and_cross_entropy_match_torch(case, torch):
    z_values, y_values = case
    z = [Node(v, name=f"z{j}") for j, v in enumerate(z_values)]
    loss = cross_entropy(z, constants(y_values))
    loss.backward()
    zt = torch.tensor(z_values, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(y_values, dtype=torch.float64)
    expected = torch.nn.functional.cross_entropy(zt[None], yt[None])
    expected.backward()
    assert loss.value == pytest.approx(expected.item(), rel=1e-10, abs=1e-12)
    assert [n.grad for n in z] == pytest.approx(zt.grad.tolist(), rel=1e-10, abs=1e-12)
    assert [n.value for n in softmax(z)] == pytest.approx(torch.softmax(zt, 0).tolist(), rel=1e-12, abs=1e-300)
    assert [n.value for n in log_softmax(z)] == pytest.approx(torch.log_softmax(zt, 0).tolist(), rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(case=logits_and_targets())
def test_cross_entropy_gradient_is_softmax_minus_target_and_matches_differences(case):
    z_values, y_values = case
    z = [Node(v) for v in z_values]
    loss = cross_entropy(z, constants(y_values))
    loss.backward()
    p = [math.exp(v - max(z_values)) for v in z_values]
    assert [n.grad for n in z] == pytest.approx([pi / sum(p) - yi for pi, yi in zip(p, y_values)], abs=1e-12)
    for j, node in enumerate(z):

        def f(v: float, j: int = j) -> float:
            moved = [Node(u) for u in z_values[:j] + [v] + z_values[j + 1:]]
            return cross_entropy(moved, constants(y_values)).value

        assert node.grad == pytest.approx(central_difference(f, z_values[j]), abs=1e-7)


def test_softmax_and_cross_entropy_are_stable_for_huge_logits(torch):
    z = [Node(1000.0), Node(0.0), Node(-1000.0)]
    assert [n.value for n in log_softmax(z)] == [0.0, -1000.0, -2000.0]
    assert [n.value for n in softmax(z)] == [1.0, 0.0, 0.0]
    loss = cross_entropy(z, constants([0.0, 0.0, 1.0]))
    loss.backward()
    assert loss.value == 2000.0
    assert [n.grad for n in z] == [1.0, 0.0, -1.0]
    zt = torch.tensor([1000.0, 0.0, -1000.0], dtype=torch.float64)
    assert torch.nn.functional.cross_entropy(zt[None], torch.tensor([2])).item() == loss.value


# -- the three losses and the batch mean -----------------------------------------------
def test_the_three_losses_and_their_gradients():
    o, y = [Node(0.8, name="o1"), Node(-0.3, name="o2")], constants([0.5, 0.2])
    cases = [
        (half_squared_error, 0.5 * (0.3**2 + 0.5**2), [0.3, -0.5]),
        (squared_error, 0.3**2 + 0.5**2, [0.6, -1.0]),
        (cross_entropy, -(0.5 * math.log(math.exp(0.8) / (math.exp(0.8) + math.exp(-0.3)))
                          + 0.2 * math.log(math.exp(-0.3) / (math.exp(0.8) + math.exp(-0.3)))), None),
    ]
    for loss_fn, value, grads in cases:
        for node in o:
            node.grad = 0.0
        loss = loss_fn(o, y)
        loss.backward()
        assert loss.value == pytest.approx(value, rel=1e-14)
        if grads is not None:
            assert [n.grad for n in o] == pytest.approx(grads, rel=1e-14)


def test_loss_of_names_the_loss_and_refuses_unknown_kinds():
    net = MLP.initialised([2, 2], output="softmax", seed=3)
    traces = net.trace(constants([1.0, 2.0]))
    targets = constants([0.0, 1.0])
    loss = loss_of("cross_entropy", traces, targets, name="E")
    assert loss.name == "E"
    assert loss.value == pytest.approx(-math.log(traces[-1].outs[1].value), rel=1e-12)
    assert sum(a.value for a in traces[-1].outs) == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(ValueError, match="half_squared_error"):
        loss_of("hinge", traces, targets)


def test_batch_loss_is_the_mean_of_the_per_example_losses():
    w = Node(0.7, name="w")
    xs, ys = [1.0, -2.0, 0.5], [0.3, 0.1, 0.9]
    losses = [half_squared_error([w * x], constants([y])) for x, y in zip(xs, ys)]
    batch = mean(losses, name="E_batch")
    batch.backward()
    assert batch.name == "E_batch"
    assert batch.value == pytest.approx(sum(0.5 * (0.7 * x - y) ** 2 for x, y in zip(xs, ys)) / 3, rel=1e-14)
    assert w.grad == pytest.approx(sum((0.7 * x - y) * x for x, y in zip(xs, ys)) / 3, rel=1e-14)
    assert mean(losses[:1]) is losses[0]


def torch_model(net: MLP, torch):
    """The same network in torch: weights (in, out), Z = A·W + b."""
    weights = [torch.tensor([[w.value for w in row] for row in layer], dtype=torch.float64, requires_grad=True)
               for layer in net.W]
    biases = [torch.tensor([b.value for b in layer], dtype=torch.float64, requires_grad=True) for layer in net.b]
    return weights, biases


TORCH_ACTIVATIONS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "linear": None}


def torch_batch_loss(net: MLP, weights, biases, x, y, loss: str, torch):
    a = torch.tensor(x, dtype=torch.float64)
    target = torch.tensor(y, dtype=torch.float64)
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        z = a @ w + b
        act = net.layer_activation(layer)
        a = z if act in ("linear", "softmax") else getattr(torch, act)(z)
    if loss == "cross_entropy":
        return torch.nn.functional.cross_entropy(a, target)
    per_example = ((a - target) ** 2).sum(dim=1)
    return (0.5 * per_example if loss == "half_squared_error" else per_example).mean()


def scalar_batch_loss(net: MLP, x, y, loss: str) -> Node:
    return mean([loss_of(loss, net.trace(constants(xi)), constants(yi)) for xi, yi in zip(x, y)])


BATCH_X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]
BATCH_Y = [[0.2, 0.8], [0.9, 0.1], [0.5, 0.5]]


@pytest.mark.parametrize(("hidden", "output", "loss"), [
    ("sigmoid", "linear", "half_squared_error"),
    ("tanh", "sigmoid", "squared_error"),
    ("relu", "softmax", "cross_entropy"),
])
def test_mlp_batch_loss_and_gradients_match_torch(hidden, output, loss, torch):
    net = MLP.initialised([2, 4, 3, 2], hidden=hidden, output=output, seed=11, scale=0.8)
    for p in net.parameters():  # non-zero biases, so their gradients are tested in earnest
        if p.name.startswith("b"):
            p.value = 0.1 * len(p.name)
    batch = scalar_batch_loss(net, BATCH_X, BATCH_Y, loss)
    batch.backward()
    weights, biases = torch_model(net, torch)
    expected = torch_batch_loss(net, weights, biases, BATCH_X, BATCH_Y, loss, torch)
    expected.backward()
    assert batch.value == pytest.approx(expected.item(), rel=1e-12)
    for layer, w in enumerate(weights):
        assert np.array([[p.grad for p in row] for row in net.W[layer]]) == pytest.approx(w.grad.numpy(), rel=1e-10)
        assert [p.grad for p in net.b[layer]] == pytest.approx(biases[layer].grad.tolist(), rel=1e-10)


# -- SGD -----------------------------------------------------------------------------
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_torch_over_several_steps(momentum, torch):
    net = MLP.initialised([2, 3, 2], hidden="tanh", output="sigmoid", seed=2, scale=1.0)
    graph = Graph(scalar_batch_loss(net, BATCH_X, BATCH_Y, "half_squared_error"))
    sgd = SGD(net.parameters(), lr=0.3, momentum=momentum)
    weights, biases = torch_model(net, torch)
    torch_sgd = torch.optim.SGD([*weights, *biases], lr=0.3, momentum=momentum)
    for _ in range(6):
        sgd.zero_grad()
        graph.forward()
        graph.backward()
        sgd.step()
        torch_sgd.zero_grad()
        torch_batch_loss(net, weights, biases, BATCH_X, BATCH_Y, "half_squared_error", torch).backward()
        torch_sgd.step()
        for layer, w in enumerate(weights):
            values = np.array([[p.value for p in row] for row in net.W[layer]])
            assert values == pytest.approx(w.detach().numpy(), rel=1e-12)
            assert [p.value for p in net.b[layer]] == pytest.approx(biases[layer].tolist(), rel=1e-12, abs=1e-15)


def test_sgd_plain_step_is_p_minus_lr_times_grad():
    a, b = Node(1.0, name="a"), Node(-2.0, name="b")
    a.grad, b.grad = 0.5, -4.0
    SGD([a, b], lr=0.1).step()
    assert (a.value, b.value) == (1.0 - 0.1 * 0.5, -2.0 + 0.1 * 4.0)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_sgd_preview_is_exactly_what_step_does(momentum):
    net = MLP.initialised([2, 3, 1], hidden="sigmoid", seed=4, scale=1.0)
    graph = Graph(scalar_batch_loss(net, BATCH_X, [[0.3], [0.6], [0.9]], "squared_error"))
    sgd = SGD(net.parameters(), lr=0.2, momentum=momentum)
    for _ in range(4):
        sgd.zero_grad()
        graph.forward()
        graph.backward()
        before = ([p.value for p in sgd.params], list(sgd.velocity))
        preview = sgd.preview()
        assert ([p.value for p in sgd.params], list(sgd.velocity)) == before  # preview changes nothing
        sgd.step()
        assert {p.name: p.value for p in sgd.params} == preview
        assert preview != dict(zip([p.name for p in sgd.params], before[0]))
