"""The matrix engine against the scalar engine, published numbers and finite differences."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import central_difference, load_bundled

import scalarnet
from scalarnet.cli import main
from scalarnet.engines.matrix import MatrixExercise, open_engine
from scalarnet.engines.scalar import Exercise, ExerciseError
from scalarnet.spec import SpecError, from_dict, load
from scalarnet.spec.bundled import bundled_names, resolve
from scalarnet.views.matrix_table import matrix_step_table

NETWORKS = [n for n in bundled_names() if load(resolve(n)).network is not None]
AGREE = 1e-12


def assert_same_records(a, b, tol: float = AGREE) -> None:
    assert list(a.values) == list(b.values)  # the same names, in the same order
    assert (a.step, a.epoch, a.examples, a.trainable) == (b.step, b.epoch, b.examples, b.trainable)
    scale = lambda x, y: tol * max(1.0, abs(x), abs(y))  # noqa: E731
    assert abs(a.loss - b.loss) <= scale(a.loss, b.loss)
    for name in a.values:
        for x, y in zip(a.values[name], b.values[name], strict=True):
            assert abs(x - y) <= scale(x, y), name
    for table_a, table_b in ((a.grads, b.grads), (a.params, b.params)):
        assert list(table_a) == list(table_b)
        for name, x in table_a.items():
            assert abs(x - table_b[name]) <= scale(x, table_b[name]), name


def network(**overrides) -> dict:
    """A small [network] exercise of 7 examples, two inputs and two outputs."""
    rng = np.random.default_rng(5)
    doc = {
        "inputs": {"x1": rng.normal(size=7).tolist(), "x2": rng.normal(size=7).tolist()},
        "targets": {"y1": rng.uniform(0, 1, 7).tolist(), "y2": rng.uniform(0, 1, 7).tolist()},
        "network": {"sizes": [2, 3, 2], "hidden": "tanh", "output": "sigmoid", "init": {"seed": 3, "scale": 0.8}},
        "train": {"learning_rate": 0.3, "batch": 3},
    }
    for key, value in overrides.items():
        section, _, name = key.partition("__")
        doc[section][name] = value
    return doc


@pytest.mark.parametrize("name", NETWORKS)
def test_matrix_steps_equal_scalar_steps_on_bundled_networks(name):
    scalar, matrix = load_bundled(name), MatrixExercise.load(resolve(name))
    for _ in range(3):
        assert_same_records(scalar.step(), matrix.step(), tol=1e-12)


def test_published_mazur_numbers_on_the_matrix_engine():
    record = MatrixExercise.load(resolve("mazur-2-2-2-network")).step()
    assert record.loss == pytest.approx(0.298371109, abs=5e-10)
    assert record.grads["w5"] == pytest.approx(0.082167041, abs=5e-10)
    assert record.params["w5"] == pytest.approx(0.35891648, abs=5e-9)
    assert record.params["w1"] == pytest.approx(0.149780716, abs=5e-10)


@pytest.mark.parametrize("graph, net", [("sigmoid-2-2-2", "sigmoid-2-2-2-network"),
                                        ("mazur-2-2-2", "mazur-2-2-2-network"),
                                        ("sigmoid-2-2-1", "sigmoid-2-2-1-network")])
def test_network_versions_have_the_graph_versions_gradients(graph, net):
    a, b = load_bundled(graph), MatrixExercise.load(resolve(net))
    for _ in range(3):
        ra, rb = a.step(), b.step()
        assert ra.loss == pytest.approx(rb.loss, abs=1e-15)
        assert ra.grads == pytest.approx(rb.grads, abs=1e-15)


def test_shared_bias_gradient_is_the_sum_of_its_entries_and_stays_fixed():
    ex = MatrixExercise.load(resolve("mazur-2-2-2-network"))
    record, trace = ex.run_step()
    assert record.grads["b1"] == pytest.approx(trace.layers[0].db.sum(), abs=1e-16)
    assert record.grads["b2"] == pytest.approx(trace.layers[1].db.sum(), abs=1e-16)
    assert record.grads["b2"] != 0.0
    for _ in range(3):
        record = ex.step()
    assert record.params["b1"] == 0.35 and record.params["b2"] == 0.60
    assert "b1" not in record.trainable


@pytest.mark.parametrize("overrides", [
    {},
    {"network__hidden": "relu", "network__output": "linear", "network__loss": "squared_error"},
    {"network__output": "softmax", "network__loss": "cross_entropy"},
    {"network__output": "softmax", "network__loss": "half_squared_error"},  # the softmax Jacobian
    {"network__bias": False, "train__momentum": 0.9},
    {"network__sizes": [2, 4, 3, 2], "network__hidden": "sigmoid", "train__batch": "full"},
])
def test_matrix_equals_scalar_across_activations_losses_batches_and_momentum(overrides):
    spec = from_dict(network(**overrides))
    scalar, matrix = Exercise(spec), MatrixExercise(spec)
    for _ in range(7):  # 7 examples in batches of 3: the last batch of each epoch is smaller
        assert_same_records(scalar.step(), matrix.step())


@pytest.mark.parametrize("overrides", [{}, {"network__output": "softmax", "network__loss": "cross_entropy"}])
def test_matrix_gradients_match_central_differences(overrides):
    ex = MatrixExercise(from_dict(network(**overrides)))
    record, trace = ex.run_step(update=False)
    start = ex.param_values()

    def loss_with(name):
        def f(value):
            ex.load_params({**start, name: value})
            return ex.forward_backward(trace.examples).loss
        return f

    for name, grad in record.grads.items():
        assert grad == pytest.approx(central_difference(loss_with(name), start[name]), abs=1e-8), name


def test_cross_entropy_stays_finite_for_huge_logits():
    doc = network(**{"network__output": "softmax", "network__loss": "cross_entropy",
                     "network__init": {"seed": 1, "scale": 400.0}})
    record = MatrixExercise(from_dict(doc)).step()
    assert np.isfinite(record.loss) and record.loss > 10
    assert all(np.isfinite(g) for g in record.grads.values())


def test_relu_derivative_at_exactly_zero_is_zero():
    doc = {"inputs": {"x": [0.0]}, "targets": {"y": [1.0]},
           "network": {"sizes": [1, 1, 1], "hidden": "relu", "weights": [[[1.0]], [[2.0]]]}}
    record = MatrixExercise(from_dict(doc)).step()
    assert record.values["z1[0]"] == [0.0]
    assert record.grads["W1[0,0]"] == 0.0 and record.grads["b1[0]"] == 0.0
    assert record.grads["b2[0]"] == pytest.approx(-1.0)  # the output is linear: ∂E/∂b2 = ŷ − y


def test_weights_transfer_exactly_both_ways():
    spec = from_dict(network())
    scalar, matrix = Exercise(spec), MatrixExercise(spec)
    for _ in range(4):
        matrix.step()
    scalar.load_params(matrix.param_values())
    assert scalar.param_values() == matrix.param_values()
    scalar.steps_done = matrix.steps_done  # the same batch next
    assert_same_records(scalar.step(), matrix.step())
    for _ in range(3):
        scalar.step()
    matrix.load_params(scalar.param_values())
    assert matrix.param_values() == scalar.param_values()


def test_advance_to_and_train_agree_with_the_scalar_engine():
    spec = from_dict(network())
    scalar, matrix = Exercise(spec), MatrixExercise(spec)
    scalar.advance_to(5)
    matrix.advance_to(5)
    assert_same_records(scalar.step(), matrix.step())
    a, b = scalar.train(3), matrix.train(3)
    assert a.epoch_losses == pytest.approx(b.epoch_losses, rel=1e-12)
    assert a.params == pytest.approx(b.params, rel=1e-12, abs=1e-15)


def test_a_diverging_run_names_the_step():
    doc = network(**{"network__hidden": "relu", "network__output": "linear", "train__learning_rate": 1e6})
    ex = MatrixExercise(from_dict(doc))
    with pytest.raises(ExerciseError, match=r"step \d+"):
        ex.train(50)


def test_engine_choice():
    small = load(resolve("sigmoid-2-2-2-network"))
    assert open_engine(small)[0].name == "scalar"
    assert open_engine(small, "matrix")[0].name == "matrix"
    big = load(resolve("quadratic-5-layer"))
    engine, note = open_engine(big)
    assert engine.name == "matrix" and "2000" in note
    assert open_engine(big, "scalar")[0].name == "scalar"
    graph = load(resolve("sigmoid-2-2-2"))
    assert open_engine(graph)[0].name == "scalar"
    with pytest.raises(SpecError, match=r"\[graph\] file.*--engine scalar"):
        open_engine(graph, "matrix")


def test_matrix_step_table_maps_names_to_entries():
    ex = MatrixExercise.load(resolve("sigmoid-2-2-2-network"))
    text = matrix_step_table(*ex.run_step(), ex)
    assert "w5 = W2[0,0]" in text and "w2 = W1[0,1]" in text
    assert "dW2 = A1ᵀ·δ2" in text and "δ1 = δ2·W2ᵀ ⊙ f′(Z1)" in text
    assert "∂L/∂w5 = 0.034633" in text  # the seed-003 gradient, inside dW2
    mazur = MatrixExercise.load(resolve("mazur-2-2-2-network"))
    text = matrix_step_table(*mazur.run_step(), mazur)
    assert "b1 = b1[0] = b1[1]" in text and "∂L/∂w5 = 0.082167" in text


def test_cli_matrix_engine_json_equals_the_scalar_engine(capsys):
    assert main(["step", "mazur-2-2-2-network", "--steps", "2", "--json", "--engine", "matrix"]) == 0
    matrix, err = capsys.readouterr()
    assert "engine: matrix" in err
    assert main(["step", "mazur-2-2-2-network", "--steps", "2", "--json"]) == 0
    scalar = json.loads(capsys.readouterr().out)
    matrix = json.loads(matrix)
    assert (matrix["engine"], scalar["engine"]) == ("matrix", "scalar")
    for a, b in zip(matrix["steps"], scalar["steps"], strict=True):
        assert a.keys() == b.keys() and list(a["values"]) == list(b["values"])
        assert a["grads"] == pytest.approx(b["grads"], abs=1e-15)
        assert a["values"] == pytest.approx(b["values"], abs=1e-15)
        assert list(a["node_grads"]) == list(b["node_grads"])
        assert a["node_grads"] == pytest.approx(b["node_grads"], abs=1e-15)


def test_cli_graph_file_on_the_matrix_engine_is_a_clear_error(capsys):
    assert main(["step", "sigmoid-2-2-2", "--engine", "matrix"]) == 2
    err = capsys.readouterr().err
    assert "[graph] file" in err and "--engine scalar" in err and "Traceback" not in err


def test_cli_trains_big_networks_on_the_matrix_engine(capsys):
    assert main(["train", "quadratic-5-layer", "--epochs", "3", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["engine"] == "matrix" and "engine: matrix" in err
    assert main(["step", "quadratic-5-layer", "--engine", "matrix"]) == 0
    assert "layer 5 (identity)" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["quadratic-5-layer", "sigmoid-2-2-1-network", "data/iris.toml"])
def test_node_grads_of_every_named_node_equal_the_scalar_engines(name):
    """∂L/∂node of inputs, targets, nets, activations and the loss: linear, sigmoid and
    softmax + cross-entropy outputs, batches of 1 to 16."""
    path = resolve(name) if "/" not in name else Path(scalarnet.__file__).parent / "exercises" / name
    scalar = Exercise.load(path).run_step()[0].node_grads
    matrix = MatrixExercise.load(path).run_step()[0].node_grads
    assert list(matrix) == list(scalar)
    for key, values in scalar.items():
        assert matrix[key] == pytest.approx(values, rel=1e-12, abs=1e-15), key
