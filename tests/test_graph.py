"""Backward over whole graphs: random graphs against finite differences and torch, deep chains,
shared subexpressions, calling backward twice, zero_grad, Graph.forward, constants, parameters
and the topological order."""

from __future__ import annotations

import dataclasses
import math

import pytest
from conftest import central_difference
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import LEAF_VALUES, Recipe, build_nodes, build_torch, recipes

from scalarnet import Graph, Node, backward, topological_order, zero_grad
from scalarnet.core import ops

FAST = settings(max_examples=150, deadline=None)


def params_of(recipe: Recipe, nodes: list[Node]) -> list[Node]:
    return [node for leaf, node in zip(recipe.leaves, nodes) if leaf.trainable]


def reachable(root: Node) -> dict[int, Node]:
    """Every node below ``root``, found without the engine's own walk."""
    found, todo = {id(root): root}, [root]
    while todo:
        for parent in todo.pop().parents:
            if id(parent) not in found:
                found[id(parent)] = parent
                todo.append(parent)
    return found


# -- random graphs -----------------------------------------------------------------
@FAST
@given(recipes())
def test_every_leaf_gradient_matches_central_differences(recipe):
    nodes = build_nodes(recipe)
    graph = Graph(nodes[-1])
    # Finite differences straddling a ReLU kink measure an average of two slopes.
    assume(all(abs(n.parents[0].value) > 1e-3 for n in graph.order if n.op is ops.RELU))
    graph.backward()
    scale = 1.0 + max(abs(n.value) for n in graph.order)
    for x in params_of(recipe, nodes):
        value, grad = x.value, x.grad

        def f(v: float, x: Node = x) -> float:
            x.value = v
            return graph.forward()

        fd = central_difference(f, value)
        x.value = value
        assert math.isclose(grad, fd, rel_tol=1e-5, abs_tol=1e-7 * scale), (x.name, grad, fd)


@FAST
@given(recipe=recipes())
def test_values_and_gradients_match_torch_autograd(recipe, torch):
    nodes = build_nodes(recipe)
    tensors = build_torch(recipe, torch)
    nodes[-1].backward()
    tensors[-1].backward()
    for node, t in zip(nodes, tensors):
        assert math.isclose(node.value, t.item(), rel_tol=1e-12, abs_tol=1e-12)
    scale = max(1.0, *(abs(x.grad) for x in params_of(recipe, nodes)))
    for leaf, node, t in zip(recipe.leaves, nodes, tensors):
        if leaf.trainable:
            assert math.isclose(node.grad, t.grad.item(), rel_tol=1e-10, abs_tol=1e-12 * scale), leaf.name
        else:
            assert t.grad is None and node.grad == 0.0


@FAST
@given(recipes())
def test_constants_get_no_gradient_and_only_params_make_nodes_need_one(recipe):
    nodes = build_nodes(recipe)
    root = nodes[-1]
    root.backward()
    for node in topological_order(root):
        expected = any(p.op is None and p.requires_grad for p in reachable(node).values())
        assert node.requires_grad == expected
        if not node.requires_grad and node is not root:
            assert node.grad == 0.0


@FAST
@given(recipes())
def test_topological_order_has_parents_first_and_each_node_once(recipe):
    root = build_nodes(recipe)[-1]
    order = topological_order(root)
    position = {id(n): k for k, n in enumerate(order)}
    assert len(position) == len(order), "a node appears twice"
    assert position.keys() == reachable(root).keys()
    assert order[-1] is root
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)


@FAST
@given(recipes(), st.data())
def test_graph_forward_after_new_leaf_values_equals_a_rebuild(recipe, data):
    nodes = build_nodes(recipe)
    graph = Graph(nodes[-1])
    new_values = [data.draw(LEAF_VALUES) for _ in recipe.leaves]
    moved = Recipe(tuple(dataclasses.replace(x, value=v) for x, v in zip(recipe.leaves, new_values)), recipe.steps)
    rebuilt = build_nodes(moved)
    for node, v in zip(nodes, new_values):
        node.value = v
    assert graph.forward() == rebuilt[-1].value
    assert [n.value for n in nodes] == [n.value for n in rebuilt]
    graph.zero_grad()
    graph.backward()
    rebuilt[-1].backward()
    assert [n.grad for n in nodes] == [n.grad for n in rebuilt]


@FAST
@given(recipes())
def test_parameters_are_the_trainable_leaves_once_each(recipe):
    nodes = build_nodes(recipe)
    root = nodes[-1]
    expected = {id(n) for n in params_of(recipe, nodes)}
    for found in (root.parameters(), Graph(root).parameters()):
        assert len(found) == len({id(n) for n in found}) == len(expected)
        assert {id(n) for n in found} == expected


def test_parameters_come_in_first_use_order_without_constants():
    a, b = Node(1.0, name="a"), Node(2.0, name="b")
    k = Node.constant(5.0, name="k")
    y = (b * a + b) * 2 + k
    assert y.parameters() == [b, a]
    assert Graph(y).parameters() == [b, a]


# -- deep chains -------------------------------------------------------------------
def test_chain_of_a_million_nodes_backpropagates_without_recursion():
    x = Node(1.0, name="x")
    y = x
    for _ in range(10**6):
        y = y + x  # each step uses the leaf again: y = (n + 1)·x
    y.backward()
    assert y.value == 1_000_001.0
    assert x.grad == 1_000_001.0


# -- shared subexpressions -----------------------------------------------------------
def test_a_times_a_adds_both_paths():
    a = Node(3.0, name="a")
    y = a * a
    y.backward()
    assert a.grad == 6.0


def test_b_is_a_plus_a_and_c_is_b_plus_b():
    a = Node(1.5, name="a")
    b = a + a
    c = b + b
    c.backward()
    assert c.value == 6.0
    assert (a.grad, b.grad, c.grad) == (4.0, 2.0, 1.0)


def test_a_node_used_by_several_children():
    x = Node(0.3, name="x")
    s = x.sigmoid()
    y = s * s + s.exp() + 3 * s + s.tanh()
    y.backward()
    sv = 1 / (1 + math.exp(-0.3))
    dy_ds = 2 * sv + math.exp(sv) + 3 + (1 - math.tanh(sv) ** 2)
    assert s.grad == pytest.approx(dy_ds, rel=1e-14)
    assert x.grad == pytest.approx(dy_ds * sv * (1 - sv), rel=1e-14)


# -- backward twice, zero_grad ---------------------------------------------------------
def test_backward_twice_accumulates_on_leaves_and_recomputes_interior_nodes():
    w, x = Node(0.5, name="w"), Node(-2.0, name="x")
    h = w * x
    y = h * h + w  # dy/dh = 2h = -2, dy/dw = 2h·x + 1 = 5, dy/dx = 2h·w = -1
    y.backward()
    y.backward()
    assert (w.grad, x.grad) == (10.0, -2.0)  # leaves: twice the gradient, as in PyTorch
    assert (h.grad, y.grad) == (-2.0, 1.0)  # interior: the gradient of one call


def test_backward_twice_on_a_leaf_root_accumulates():
    x = Node(4.0, name="x")
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_zero_grad_clears_every_node_and_lets_backward_start_afresh():
    w, x = Node(0.5, name="w"), Node(-2.0, name="x")
    y = (w * x).tanh() * w
    y.backward()
    first = (w.grad, x.grad)
    y.backward()
    y.zero_grad()
    assert all(n.grad == 0.0 for n in topological_order(y))
    y.backward()
    assert (w.grad, x.grad) == first


def test_graph_zero_grad_and_function_zero_grad():
    w = Node(0.5, name="w")
    y = (w * 3.0).exp()
    graph = Graph(y)
    graph.backward()
    assert w.grad == pytest.approx(3 * math.exp(1.5), rel=1e-15)
    graph.zero_grad()
    assert all(n.grad == 0.0 for n in graph.order)
    backward(y)
    zero_grad([w])
    assert w.grad == 0.0 and y.grad == 1.0


# -- constants ---------------------------------------------------------------------
def test_constants_and_constant_only_nodes_get_no_gradient_work():
    x = Node(2.0, name="x")
    c = Node.constant(3.0, name="c")
    k = c * c + 1  # made of constants only
    y = x * k + x * 4.0
    assert not k.requires_grad and not c.requires_grad and y.requires_grad
    y.backward()
    assert x.grad == 14.0
    assert (c.grad, k.grad) == (0.0, 0.0)
    four = y.parents[1].parents[1]
    assert four.op is None and four.value == 4.0 and not four.requires_grad and four.grad == 0.0


def test_backward_walk_starts_at_the_root_and_skips_constants():
    x = Node(2.0, name="x")
    c = Node.constant(3.0, name="c")
    y = (x * c).exp()
    walk = Graph(y).backward_walk()
    assert walk[0] is y and walk[-1] is x
    assert c not in walk and len(walk) == 3


def test_is_leaf_as_in_pytorch():
    w = Node(0.5, name="w")
    y = w * 2.0
    assert w.is_leaf and Node.constant(1.0).is_leaf and not y.is_leaf


def test_backward_walk_goes_layer_by_layer_in_name_order():
    a, b = Node(1.0, name="a"), Node(2.0, name="b")
    u = a * b
    v = a + b
    y = u * v
    walk = Graph(y).backward_walk(["b", "a"])
    assert walk[0] is y
    assert walk.index(b) < walk.index(a)  # same distance from y: the names' order decides
    far = {n: k for k, n in enumerate(walk)}
    for n in walk:  # a reverse topological order: every child before its parents
        assert all(far[n] < far[p] for p in n.parents if p in far)
