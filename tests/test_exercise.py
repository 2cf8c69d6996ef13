"""Exercises against published numbers and against independent hand-written backprop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import load_bundled

from scalarnet import Exercise
from scalarnet.spec import from_dict


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_mazur_first_step_matches_the_published_numbers():
    # Matt Mazur, "A Step by Step Backpropagation Example": every figure below is printed there.
    record = load_bundled("mazur-2-2-2").step()
    v = record.values
    assert v["net_h1"][0] == pytest.approx(0.3775, abs=1e-12)
    assert v["out_h1"][0] == pytest.approx(0.593269992, abs=5e-10)
    assert v["out_h2"][0] == pytest.approx(0.596884378, abs=5e-10)
    assert v["out_o1"][0] == pytest.approx(0.75136507, abs=5e-9)
    assert v["out_o2"][0] == pytest.approx(0.772928465, abs=5e-10)
    assert record.loss == pytest.approx(0.298371109, abs=5e-10)
    assert record.grads["w5"] == pytest.approx(0.082167041, abs=5e-10)
    assert record.grads["w1"] == pytest.approx(0.000438568, abs=5e-10)
    published_after = {"w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
                       "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121}
    for name, value in published_after.items():
        assert record.params[name] == pytest.approx(value, abs=5e-9), name
    # The shared biases are not trained, but their gradients are still reported.
    assert record.params["b1"] == 0.35 and record.params["b2"] == 0.60
    assert record.grads["b1"] != 0.0 and record.grads["b2"] != 0.0


def mooc83_correct_backprop(w, x1=0.5, x2=0.3, y1=0.23, y2=-0.07):
    """The MOOC 8.3 example network's gradients, derived by hand independently of scalarnet
    (hidden weights sum over both output paths, which the seed's own code forgets)."""
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    h1, h2 = sigmoid(w1 * x1 + w3 * x2), sigmoid(w2 * x1 + w4 * x2)
    o1, o2 = sigmoid(w5 * h1 + w7 * h2), sigmoid(w6 * h1 + w8 * h2)
    loss = 0.5 * (o1 - y1) ** 2 + 0.5 * (o2 - y2) ** 2
    d_o1, d_o2 = (o1 - y1) * o1 * (1 - o1), (o2 - y2) * o2 * (1 - o2)
    d_h1 = (d_o1 * w5 + d_o2 * w6) * h1 * (1 - h1)
    d_h2 = (d_o1 * w7 + d_o2 * w8) * h2 * (1 - h2)
    grads = [d_h1 * x1, d_h2 * x1, d_h1 * x2, d_h2 * x2, d_o1 * h1, d_o2 * h1, d_o1 * h2, d_o2 * h2]
    return loss, (o1, o2), grads


def test_mooc83_ten_rounds_match_an_independent_hand_derivation():
    ex = load_bundled("sigmoid-2-2-2")
    w = [0.2, -0.4, 0.5, 0.6, 0.1, -0.5, -0.3, 0.8]
    names = [f"w{k}" for k in range(1, 9)]
    for round_ in range(10):
        loss, (o1, o2), grads = mooc83_correct_backprop(w)
        record = ex.step()
        assert record.step == round_ + 1
        assert record.loss == pytest.approx(loss, rel=1e-13)
        assert record.values["out_o1"][0] == pytest.approx(o1, rel=1e-13)
        assert record.values["out_o2"][0] == pytest.approx(o2, rel=1e-13)
        for name, g in zip(names, grads):
            assert record.grads[name] == pytest.approx(g, rel=1e-11, abs=1e-15), (round_, name)
        w = [wk - 1.0 * gk for wk, gk in zip(w, grads)]  # step size 1
        for name, wk in zip(names, w):
            assert record.params[name] == pytest.approx(wk, rel=1e-13)
    assert loss < 0.2097097937078311  # it learns


def test_mooc83_first_round_forward_values():
    v = load_bundled("sigmoid-2-2-2").step().values
    assert v["in_h1"][0] == pytest.approx(0.25)
    assert v["in_h2"][0] == pytest.approx(-0.02)
    assert v["out_h1"][0] == pytest.approx(sigmoid(0.25), rel=1e-15)


def test_seed002_gradients_follow_the_seeds_formulas():
    # Seed 002 writes each gradient as a product: Δw21 = (out − y)σ(z)(1 − σ(z))α1, and
    # Δw12 = (out − y)σ(z)(1 − σ(z)) w22 σ(h2)(1 − σ(h2)) x1.
    ex = load_bundled("sigmoid-2-2-1")
    p = {k: n.value for k, n in ex.params.items()}
    record = ex.step()
    v = {k: vals[0] for k, vals in record.values.items()}
    delta_out = (v["out"] - v["y"]) * v["out"] * (1 - v["out"])
    assert record.grads["w21"] == pytest.approx(delta_out * v["alpha1"], rel=1e-13)
    assert record.grads["b21"] == pytest.approx(delta_out, rel=1e-13)
    delta_h2 = delta_out * p["w22"] * v["alpha2"] * (1 - v["alpha2"])
    assert record.grads["w12"] == pytest.approx(delta_h2 * v["x1"], rel=1e-13)
    assert record.grads["w14"] == pytest.approx(delta_h2 * v["x2"], rel=1e-13)
    assert record.grads["b12"] == pytest.approx(delta_h2, rel=1e-13)
    assert record.params["w11"] == pytest.approx(p["w11"] - 0.5 * record.grads["w11"], rel=1e-15)


def test_curve_fit_sgd_visits_examples_in_data_order_epoch_after_epoch():
    ex = load_bundled("curve-fit-1-5-1")
    assert ex.epoch_batches() == [[k] for k in range(10)]
    seen = [ex.step().examples for _ in range(23)]
    assert seen == [[k % 10] for k in range(23)]
    assert ex.batch_of_step(23) == (3, [2])


def tiny_regression(batch, n=5, **train):
    xs = [0.5 * k - 1.0 for k in range(n)]
    return from_dict({
        "params": {"w": 0.3, "b": -0.2},
        "inputs": {"x": xs},
        "targets": {"y": [2 * x + 1 for x in xs]},
        "graph": {"o": "tanh(w*x + b)", "E": "(o - y)^2"},
        "train": {"learning_rate": 0.1, "batch": batch, **train},
    })


def per_example_grads(w, b, x, y):
    o = math.tanh(w * x + b)
    d = 2 * (o - y) * (1 - o * o)
    return (o - y) ** 2, d * x, d


def test_batches_are_means_and_the_last_batch_of_an_epoch_may_be_smaller():
    ex = Exercise(tiny_regression(batch=2))
    assert ex.epoch_batches() == [[0, 1], [2, 3], [4]]
    w, b = 0.3, -0.2
    xs = ex.spec.inputs["x"]
    ys = ex.spec.targets["y"]
    for k, batch in enumerate([[0, 1], [2, 3], [4], [0, 1]], start=1):
        record = ex.step()
        assert record.examples == batch
        parts = [per_example_grads(w, b, xs[e], ys[e]) for e in batch]
        loss = sum(p[0] for p in parts) / len(batch)
        gw = sum(p[1] for p in parts) / len(batch)
        gb = sum(p[2] for p in parts) / len(batch)
        assert record.loss == pytest.approx(loss, rel=1e-13)
        assert record.grads["w"] == pytest.approx(gw, rel=1e-12)
        assert record.grads["b"] == pytest.approx(gb, rel=1e-12)
        assert record.values["x"] == [xs[e] for e in batch]
        assert record.values["w"] == [w] * len(batch)
        w, b = w - 0.1 * gw, b - 0.1 * gb
        assert record.params == pytest.approx({"w": w, "b": b}, rel=1e-13)
        assert record.epoch == (k - 1) // 3 + 1


def test_epoch_loss_is_the_mean_of_the_batch_losses_before_each_update():
    by_steps = Exercise(tiny_regression(batch=2))
    losses = [by_steps.step().loss for _ in range(6)]
    trained = Exercise(tiny_regression(batch=2)).train(2)
    assert trained.epoch_losses == pytest.approx([np.mean(losses[:3]), np.mean(losses[3:])], rel=1e-14)
    assert trained.params == pytest.approx({n: p.value for n, p in by_steps.params.items()}, rel=1e-14)


def test_full_batch_is_the_default_and_its_epoch_loss_is_the_loss_before_the_update():
    ex = Exercise(tiny_regression(batch="full"))
    assert ex.epoch_batches() == [[0, 1, 2, 3, 4]]
    first = ex.step()
    result = Exercise(tiny_regression(batch="full")).train(1)
    assert result.epoch_losses == [first.loss]


def test_trainable_params_are_updated_and_the_others_are_not():
    ex = Exercise(tiny_regression(batch=1, trainable=["w"]))
    record = ex.step()
    assert record.params["b"] == -0.2 and record.grads["b"] != 0.0
    assert record.params["w"] == pytest.approx(0.3 - 0.1 * record.grads["w"])


def test_momentum_accumulates_velocity():
    ex = Exercise(tiny_regression(batch="full", momentum=0.9))
    r1, r2 = ex.step(), ex.step()
    v = r1.grads["w"]
    assert r1.params["w"] == pytest.approx(0.3 - 0.1 * v)
    v = 0.9 * v + r2.grads["w"]
    assert r2.params["w"] == pytest.approx(r1.params["w"] - 0.1 * v, rel=1e-14)


def test_run_step_without_update_previews_and_does_not_count():
    ex = Exercise(tiny_regression(batch=2))
    preview, batch = ex.run_step(update=False)
    assert ex.steps_done == 0 and ex.params["w"].value == 0.3
    assert batch.slots[1]["x"].value == ex.spec.inputs["x"][1]
    real = ex.step()
    assert real.params == pytest.approx(preview.params, rel=1e-15)
    assert real.grads == preview.grads


def test_advance_to_reaches_the_same_state_as_stepping():
    a, b = Exercise(tiny_regression(batch=2)), Exercise(tiny_regression(batch=2))
    for _ in range(4):
        a.step()
    b.advance_to(5)
    assert a.step().to_json() == b.step().to_json()
    with pytest.raises(ValueError, match="already run"):
        b.advance_to(2)


def test_learning_rate_override():
    ex = Exercise(tiny_regression(batch="full"), learning_rate=0.5)
    record = ex.step()
    assert record.params["w"] == pytest.approx(0.3 - 0.5 * record.grads["w"], rel=1e-15)


def test_step_json_shape_for_one_and_for_several_examples():
    one = load_bundled("sigmoid-2-2-2").step().to_json()
    assert set(one) == {"step", "examples", "loss", "values", "grads", "params", "node_grads"}
    assert one["examples"] == [0] and isinstance(one["values"]["out_o1"], float)
    assert list(one["grads"]) == [f"w{k}" for k in range(1, 9)]
    several = Exercise(tiny_regression(batch=2)).step().to_json()
    assert several["values"]["o"] == pytest.approx([math.tanh(0.3 * x - 0.2) for x in (-1.0, -0.5)])


def test_network_exercise_names_every_node():
    ex = load_bundled("quadratic-5-layer")
    record = ex.step()
    assert record.examples == list(range(16))
    names = set(record.values)
    assert {"x", "y", "W1[0,0]", "b5[0]", "z1[9]", "a4[9]", "z5[0]", "a5[0]", "E"} <= names
    assert len(record.grads) == 1 * 10 + 10 + 3 * (10 * 10 + 10) + 10 * 1 + 1
    # 0.5·mean((ŷ − y)²) with ŷ the linear output
    y_hat = np.array(record.values["a5[0]"])
    y = np.array(record.values["y"])
    assert record.loss == pytest.approx(0.5 * np.mean((y_hat - y) ** 2), rel=1e-13)
    # ReLU'(0) = 0: x = 0 gives z1 = 0 exactly at the first step, and the first layer's weights
    # get no gradient from that example.
    assert record.values["z1[0]"][10] == 0.0
