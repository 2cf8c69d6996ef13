"""Compiled mode against the node-by-node engine: the same batch losses, gradients and
updated parameters to 1e-12, on every bundled exercise and on random graphs; and the
same error, naming the node, when a number leaves the real line."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load_bundled
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import LEAF_BOUND, build_nodes, recipes

from scalarnet import Graph
from scalarnet.engines.compiled import CompiledExercise, Tape
from scalarnet.engines.scalar import BatchGraph, Exercise, ExerciseError
from scalarnet.spec import from_dict

TOL = dict(rtol=1e-12, atol=1e-12)


def both(name: str) -> tuple:
    node = load_bundled(name)
    return node, CompiledExercise(node.spec)


def assert_same_params(node, compiled) -> None:
    np.testing.assert_allclose(list(compiled.param_values().values()), list(node.param_values().values()), **TOL)


def test_steps_give_the_same_losses_gradients_and_params(bundled_name):
    node, compiled = both(bundled_name)
    for _ in range(6):  # several batches (the per-example files step one example at a time)
        _, examples = node.batch_of_step(node.steps_done + 1)
        loss_node, loss_compiled = node._train_batch(examples), compiled._train_batch(examples)
        np.testing.assert_allclose(loss_compiled, loss_node, **TOL)
        np.testing.assert_allclose([p.grad for p in compiled.params.values()],
                                   [p.grad for p in node.params.values()], **TOL)
        assert_same_params(node, compiled)
    assert compiled.steps_done == node.steps_done == 6


def test_a_short_training_run_is_the_same(bundled_name):
    node, compiled = both(bundled_name)
    epochs = 3
    expected, got = node.train(epochs), compiled.train(epochs)
    np.testing.assert_allclose(got.epoch_losses, expected.epoch_losses, **TOL)
    assert list(got.params) == list(expected.params)
    np.testing.assert_allclose(list(got.params.values()), list(expected.params.values()), **TOL)


def test_step_tables_still_come_from_the_node_graph():
    node, compiled = both("sigmoid-2-2-2")
    compiled.train(2)
    node.train(2)
    record, batch = compiled.run_step()
    expected, _ = node.run_step()
    assert isinstance(batch, BatchGraph)
    assert record.values.keys() == expected.values.keys()
    for name, values in expected.values.items():
        np.testing.assert_allclose(record.values[name], values, **TOL)


@settings(max_examples=80, deadline=None)
@given(recipe=recipes(max_steps=12), seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 5))
def test_random_graphs_replay_like_the_node_engine(recipe, seed, batch):
    """Constants play the data leaves (a new value per example), trainable leaves the params."""
    nodes = build_nodes(recipe)
    root = nodes[-1]
    params = [n for leaf, n in zip(recipe.leaves, nodes) if leaf.trainable]
    data = {leaf.name: n for leaf, n in zip(recipe.leaves, nodes) if not leaf.trainable}
    tape = Tape(root, params, data)
    columns = np.random.default_rng(seed).uniform(-LEAF_BOUND, LEAF_BOUND, (len(tape.data_names), batch))

    graph, losses, grads = Graph(root), [], np.zeros(len(params))
    for column in columns.T:
        for name, value in zip(tape.data_names, column):
            data[name].value = float(value)
        losses.append(graph.forward())
        for p in params:
            p.grad = 0.0
        graph.backward()
        grads += [p.grad / batch for p in params]

    assert tape.params == params  # every trainable leaf is used: recipes() sum every unused node into the root
    result = tape.run(columns, np.array([p.value for p in params]))
    assert result is not None
    got_losses, got_grads = result
    scale = max(1.0, *(abs(n.value) for n in graph.order))
    np.testing.assert_allclose(got_losses, losses, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(got_grads, grads, rtol=1e-12, atol=1e-11 * scale)


def test_a_parameter_the_loss_does_not_use_gets_no_gradient():
    doc = {"params": {"w": 0.5, "unused": 2.0}, "inputs": {"x": [1.0, 2.0]}, "targets": {"y": [0.3, 0.6]},
           "graph": {"E": "0.5*(tanh(w*x) - y)^2"}, "train": {"loss": "E", "learning_rate": 0.1}}
    node, compiled = Exercise(from_dict(doc)), CompiledExercise(from_dict(doc))
    assert compiled.tape.params == [compiled.params["w"]]
    node.train(1)
    compiled.train(1)
    assert compiled.params["unused"].grad == node.params["unused"].grad == 0.0
    np.testing.assert_allclose(compiled.params["w"].grad, node.params["w"].grad, **TOL)
    assert_same_params(node, compiled)


def overflowing() -> dict:
    return {"params": {"w": 1.0}, "inputs": {"x": [1.0, 2.0]}, "targets": {"y": [50.0, 60.0]},
            "graph": {"out": "exp(w*x)", "E": "0.5*(out - y)^2"},
            "train": {"loss": "E", "learning_rate": 10.0, "batch": 1}}


def test_a_non_finite_number_gives_the_node_engines_error():
    def error(engine: type) -> str:
        ex = engine(from_dict(overflowing(), "overflow.toml"))
        with pytest.raises(ExerciseError) as err:
            ex.train(5)
        return str(err.value)

    # The same step, example, op and values. (The node engine names the node "out" only
    # once its graph has been built: a graph built at the bad step has it anonymous.)
    compiled, node = error(CompiledExercise), error(Exercise)
    assert compiled.replace("node out = ", "node ") == node.replace("node out = ", "node ")
    assert compiled.startswith("overflow.toml: step ") and "exp(" in compiled and "overflows" in compiled


def test_uneven_batches_and_momentum_are_the_same():
    """Batches of 2, 2 and 1 example (one tape buffer per batch size), with momentum."""
    doc = {"params": {"a": 0.3, "b": -0.2}, "inputs": {"x": [0.0, 0.5, 1.0, 1.5, 2.0]},
           "targets": {"y": [0.1, 0.4, 0.9, 1.2, 1.9]},
           "graph": {"h": "sigmoid(a*x + b)", "E": "(h*2 - y)^2 + log(1 + exp(-a*a))"},
           "train": {"loss": "E", "learning_rate": 0.2, "batch": 2, "momentum": 0.9}}
    node, compiled = Exercise(from_dict(doc)), CompiledExercise(from_dict(doc))
    expected, got = node.train(4), compiled.train(4)
    np.testing.assert_allclose(got.epoch_losses, expected.epoch_losses, **TOL)
    assert_same_params(node, compiled)
