"""Values and gradients that leave the real numbers raise ``NumericError``, and the message
names the node (by its name, or by its formula when it has none) and the offending value."""

from __future__ import annotations

import math
import re

import pytest

from scalarnet import Graph, Node, NumericError
from scalarnet.core import ops
from scalarnet.core.node import apply, sum_nodes


def raises_naming(*fragments: str):
    """``pytest.raises(NumericError)`` whose message must contain every fragment."""
    return pytest.raises(NumericError, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


# -- forward -----------------------------------------------------------------------
def test_log_of_a_non_positive_value_names_the_node_and_the_value():
    u = Node(-1.5, name="u")
    with raises_naming("ln(u)", "-1.5"):
        u.log()
    with raises_naming("node L", "0.0"):
        apply(ops.LOG, Node(0.0, name="z"), name="L")


def test_an_anonymous_node_is_named_by_its_formula():
    x = Node(1.0, name="x")
    with raises_naming("x − 3", "-2.0", "ln"):
        (x - 3).log()


def test_division_by_zero_names_the_node_and_the_zero():
    x, y = Node(2.0, name="x"), Node(0.5, name="y")
    with raises_naming("x / (y − y)", "0.0"):
        x / (y - y)
    with raises_naming("node q", "x", "0.0"):
        apply(ops.DIV, x, Node(0.0, name="zero"), name="q")
    with raises_naming("1 / (x·0)", "0.0"):
        1 / (x * 0)


def test_exp_overflow_names_the_node_and_the_value():
    x = Node(1.0, name="x")
    with raises_naming("exp", "x", "1000.0", "overflow"):
        (x * 1000).exp()


@pytest.mark.parametrize("build", [
    lambda big: big * big,
    lambda big: big + big,
    lambda big: sum_nodes([big, big, big]),
    lambda big: big - (-big),
    lambda big: big / 1e-10,
    lambda big: big ** 2,
], ids=["mul", "add", "sum", "sub", "div", "pow"])
def test_overflow_to_inf_is_reported_not_returned(build):
    big = Node(1e308, name="big")
    with raises_naming("big", "1e+308"):
        build(big)


def test_pow_of_a_negative_base_with_a_fractional_exponent():
    b = Node(-8.0, name="b")
    with raises_naming("b^0.5", "-8.0", "not a real number"):
        b ** 0.5


@pytest.mark.parametrize("base", [-2.0, 0.0])
def test_node_exponent_needs_a_positive_base(base):
    b, e = Node(base, name="base"), Node(2.0, name="e")
    with raises_naming("base^e", repr(base), "positive base"):
        b ** e


def test_node_exponent_with_a_constant_base_may_be_negative_if_nothing_needs_its_gradient():
    b, e = Node(-2.0, name="base"), Node.constant(3.0, name="e")
    y = b**e
    y.backward()
    assert (y.value, b.grad, e.grad) == (-8.0, 12.0, 0.0)


def test_node_exponent_whose_base_turns_negative_after_graph_forward_is_reported():
    x = Node.constant(2.0, name="x")
    w = Node(1.5, name="w")
    graph = Graph(x**w)
    x.value = -3.0
    with raises_naming("x^w", "-3.0", "not a real number"):
        graph.forward()  # (−3)^1.5
    w.value = 2.0
    assert graph.forward() == 9.0
    with raises_naming("w", "nan"):  # ∂/∂w (−3)^w = 9·ln(−3) is not a real number
        graph.backward()


def test_graph_forward_reports_a_nan_leaf_value_by_the_node_that_uses_it():
    x = Node(0.5, name="x")
    graph = Graph((x * 2).sigmoid())
    x.value = math.nan
    with raises_naming("x", "nan"):
        graph.forward()


# -- gradients ---------------------------------------------------------------------
def test_infinite_gradient_of_a_square_root_at_zero():
    x = Node(0.0, name="x")
    y = x**0.5
    assert y.value == 0.0
    with raises_naming("x", "inf"):
        y.backward()


def test_infinite_gradient_of_a_division_by_a_tiny_value():
    x = Node(1e-170, name="x")
    y = 1 / x  # 1e170 is finite, but dy/dx = −1/x² = −1e340 is not
    with raises_naming("x", "inf"):
        y.backward()


def test_infinite_gradient_of_log_at_the_smallest_float():
    x = Node(5e-324, name="x")
    y = x.log()
    with raises_naming("x", "inf"):
        y.backward()


def test_an_infinite_gradient_is_reported_at_the_node_nearest_the_root():
    x = Node(1e-170, name="x")
    h = apply(ops.MUL, x, Node.constant(1.0), name="h")
    y = 1 / h  # dy/dh = −1e340, and so is dy/dx
    with raises_naming("node h", "inf"):
        y.backward()


# -- leaves ------------------------------------------------------------------------
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_leaf_must_be_a_finite_number(value):
    with raises_naming(repr(value), "w"):
        Node(value, name="w")
    with pytest.raises(NumericError, match="not a finite number"):
        Node.constant(value)
