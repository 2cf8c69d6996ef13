"""The tape eager backward walks (scalarnet/node.py, graph.py): gradients equal to an
independent computation in every situation the tape can be in, nodes the root does not
depend on left alone, nothing kept alive after a step, a bounded tape without backward."""

from __future__ import annotations

import gc
import math
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import build_nodes, recipes

import scalarnet.core.node as node_module
from scalarnet import Graph, Node, NumericError, topological_order
from scalarnet.core.graph import _Walk, all_gradients
from scalarnet.micrograd import MLP, Value

FAST = settings(max_examples=100, deadline=None)


def assert_gradients(root: Node) -> None:
    """Every node below ``root`` that needs a gradient holds d(root)/d(node) as
    ``all_gradients`` computes it (its own walk over a depth-first order, writing no ``grad``);
    leaves are assumed to have started from zero."""
    order = topological_order(root)
    expected = all_gradients(root, order)
    scale = 1.0 + max(abs(g) for g in expected.values())
    for node in order:
        if node.requires_grad:
            assert math.isclose(node.grad, expected.get(id(node), 0.0), rel_tol=1e-12, abs_tol=1e-13 * scale), node


def fresh_leaves(nodes: list[Node]) -> None:
    for n in nodes:
        if n.op is None:
            n.grad = 0.0


def no_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the search for nodes that are not on the tape fail the test if it runs."""
    def refuse(self, starts):
        raise AssertionError("searched for nodes the tape should have given")
    monkeypatch.setattr(_Walk, "propagate_older", refuse)


# -- the tape alone ------------------------------------------------------------------
@FAST
@given(recipes())
def test_a_fresh_graph_walks_the_tape_alone(recipe):
    node_module._restart_tape()  # graphs of earlier tests, backward-ed by Graph, hold gradients on it
    nodes = build_nodes(recipe)
    with pytest.MonkeyPatch.context() as mp:
        no_search(mp)
        nodes[-1].backward()
    assert_gradients(nodes[-1])


def test_nodes_the_root_does_not_depend_on_are_left_alone(monkeypatch):
    node_module._restart_tape()
    x, w = Node(0.5, name="x"), Node(-1.5, name="w")
    other = (x * 3.0).tanh()  # made before the root, on the same stretch of tape: not below it
    other.parents[0].grad = 0.0
    y = (x * w).relu() + x * x
    no_search(monkeypatch)
    y.backward()
    assert other.grad == 0.0 and other.parents[0].grad == 0.0
    assert (x.grad, w.grad) == (2 * 0.5, 0.0)  # relu(−0.75) = 0: only x² sends to x


def test_gradients_a_cached_graph_holds_on_the_tape_are_kept_and_not_leaked():
    """A Graph's backward leaves gradients on nodes still on the tape; an eager backward whose
    stretch of tape holds them finds its own nodes by the search instead, and leaves them be."""
    node_module._restart_tape()
    x = Node(0.3, name="x")
    cached = Graph((x * 2.0).sigmoid())
    cached.backward()
    held = [n.grad for n in cached.order]
    y = (x * x).tanh() * 3.0
    x.grad = 0.0
    y.backward()
    assert_gradients(y)
    assert [n.grad for n in cached.order if n is not x] == [g for n, g in zip(cached.order, held) if n is not x]


def test_a_node_below_the_root_behind_a_dead_relu_gets_zero():
    x = Node(-2.0, name="x")
    h = x * 3.0
    y = h.relu() * 5.0
    y.backward()
    assert (h.grad, x.grad) == (0.0, 0.0)  # ReLU'(−6) = 0, and ReLU'(0) = 0 as well
    z = (x * 0.0).relu()
    z.backward()
    assert x.grad == 0.0


# -- what is not on the tape any more ---------------------------------------------------
@FAST
@given(recipes(), st.data())
def test_a_graph_built_on_nodes_an_earlier_backward_walked(recipe, data):
    """Nodes walked by one backward are off the tape, with that walk's gradients; a second
    root built on them must start them from zero, found by the search."""
    nodes = build_nodes(recipe)
    nodes[-1].backward()
    picks = data.draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=4))
    root = picks[0] * 0.5
    for p in picks[1:]:
        root = root + p.tanh()
    fresh_leaves(nodes)
    root.backward()
    assert_gradients(root)


@FAST
@given(recipes(), st.integers(0, 40))
def test_a_tape_dropped_in_the_middle_of_a_graph(recipe, cut):
    """The tape dropped (TAPE_LIMIT) while a graph is built: its older part is found by the
    search, after the tape's part, and the gradients are the same."""
    k = len(recipe.leaves) + min(cut, len(recipe.steps))
    nodes = build_nodes(recipe)
    node_module._restart_tape()  # as if TAPE_LIMIT had been reached here
    root = nodes[-1] * nodes[min(k, len(nodes) - 1)] + nodes[0]
    root.backward()
    assert_gradients(root)


def test_the_root_not_last_on_the_tape_and_a_second_root_sharing_its_nodes():
    x, w = Node(0.7, name="x"), Node(-0.4, name="w")
    h = (x * w).tanh()
    y1 = h * h + x
    y2 = h * 3.0 + w * h  # made after y1: stays on the tape when y1's stretch is forgotten
    y1.backward()
    assert_gradients(y1)
    x.grad = w.grad = 0.0
    y2.backward()  # h was walked by y1 (off the tape, holding y1's gradient): found again
    assert_gradients(y2)
    t = math.tanh(0.7 * -0.4)
    assert h.grad == pytest.approx(3.0 + -0.4, rel=1e-15)
    assert x.grad == pytest.approx((3.0 + -0.4) * (1 - t * t) * -0.4, rel=1e-14)


def test_backward_twice_recomputes_interior_nodes_and_accumulates_on_leaves():
    w, x = Node(0.5, name="w"), Node(-2.0, name="x")
    h = (w * x).relu() + w * x
    y = h * h
    y.backward()
    first = {id(n): n.grad for n in topological_order(y)}
    y.backward()  # y is off the tape now: the search walks it
    for n in topological_order(y):
        assert n.grad == (2 * first[id(n)] if n.op is None else first[id(n)]), n


def test_a_hand_run_walk_before_backward_does_not_leak_into_it():
    """Gradients a hand-run walk left on nodes still on the tape (micrograd's lecture calls
    ``o._backward()`` node by node, then ``o.backward()``) are not added to: backward starts
    every interior node from zero, also one that receives nothing (behind a dead ReLU)."""
    x, w = Value(0.7, label="x"), Value(-0.4, label="w")
    n = x * w
    dead = (x * -1.0).relu()  # relu(−0.7) = 0: sends nothing back
    o = n.tanh() + dead * 2.0
    o.grad = 1.0
    for node in reversed(topological_order(o)):
        if isinstance(node, Value):  # the constants (−1, 2) are plain leaves: nothing to send
            node._backward()
    assert n.grad != 0.0
    behind = dead.parents[0]
    behind.grad = 5.0  # by hand, as the lecture does
    x.grad = w.grad = 0.0
    o.backward()
    assert (dead.grad, behind.grad) == (2.0, 0.0)
    assert_gradients(o)


# -- memory -----------------------------------------------------------------------------
class Tracked(Node):
    """A Node that weak references can follow (ops return the class of their left operand)."""

    __slots__ = ("__weakref__",)


def test_a_training_step_frees_its_graph_once_its_names_are_gone():
    model = MLP(2, [4, 1])
    for neuron in (n for layer in model.layers for n in layer.neurons):
        neuron.w = [Tracked(w.value) for w in neuron.w]
        neuron.b = Tracked(0.0)
    enabled = gc.isenabled()
    gc.disable()  # reference counting alone must free it
    try:
        refs = []
        for step in range(3):
            x = [Tracked(0.5), Tracked(-1.0 + step)]
            loss = (model(x) - 1.0) ** 2
            refs.append(weakref.ref(loss))
            refs.append(weakref.ref(loss.parents[0]))
            loss.backward()
            for p in model.parameters():
                p.value -= 0.1 * p.grad
                p.grad = 0.0
            del x, loss
            assert all(r() is None for r in refs)
    finally:
        if enabled:
            gc.enable()


def test_an_inference_loop_keeps_the_tape_within_its_limit(monkeypatch):
    monkeypatch.setattr(node_module, "TAPE_LIMIT", 1000)
    node_module._restart_tape()
    x = Node(0.3, name="x")
    first = None
    for step in range(40):  # 40 graphs of 100 nodes, never a backward
        y = Tracked(0.1 * step)
        for _unused in range(50):
            y = (y * x).tanh()
        first = first or weakref.ref(y)
        assert len(node_module._tape) <= 1000
        del y
    assert first() is None  # dropped with the tape, then freed
    monkeypatch.undo()
    node_module._restart_tape()


# -- numerics -------------------------------------------------------------------------
def test_a_gradient_that_overflows_on_a_leaf_names_it():
    c, e, f = Node(1e300, name="c"), Node(1e-300, name="e"), Node(1e10, name="f")
    y = c * (e * f)  # every value finite; ∂y/∂e = c·f = 1e310
    with pytest.raises(NumericError, match="node e: its gradient inf is not finite"):
        y.backward()
    z = Node(2.0, name="z") * 3.0  # the tape is usable afterwards
    z.backward()
    assert z.parents[0].grad == 3.0


def test_a_graph_takes_its_nodes_off_the_tape():
    """A ``Graph`` keeps its nodes itself; once it is let go of, they are freed (the node-by-node
    engine rebuilds graphs, never calling Node.backward: the tape must not hold them)."""
    x = Tracked(0.4)
    y = (x * x).tanh() + x
    graph = Graph(y)
    graph.backward()
    ref = weakref.ref(y)
    del y, graph
    assert ref() is None
