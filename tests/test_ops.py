"""Each op on its own: forward values and hand-written local partials against closed forms and
central finite differences, the symbolic templates, and the numerically delicate corners."""

from __future__ import annotations

import math

import pytest
from conftest import central_difference
from hypothesis import given, settings
from hypothesis import strategies as st

from scalarnet import Node
from scalarnet.core import ops
from scalarnet.core.node import apply


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def softmax(xs: tuple[float, ...]) -> list[float]:
    exps = [math.exp(x) for x in xs]
    return [e / sum(exps) for e in exps]


AWAY_FROM_ZERO = floats(-5, 5).filter(lambda v: abs(v) > 1e-3)  # ReLU's kink is no place for differences
ANY = floats(-5, 5)
POSITIVE = floats(0.05, 5)

# op -> (arguments, closed-form value, closed-form partials)
CASES = {
    ops.ADD: (st.tuples(ANY, ANY), lambda a, b: a + b, lambda a, b: (1, 1)),
    ops.SUB: (st.tuples(ANY, ANY), lambda a, b: a - b, lambda a, b: (1, -1)),
    ops.NEG: (st.tuples(ANY), lambda a: -a, lambda a: (-1,)),
    ops.MUL: (st.tuples(ANY, ANY), lambda a, b: a * b, lambda a, b: (b, a)),
    ops.DIV: (st.tuples(ANY, AWAY_FROM_ZERO.filter(lambda v: abs(v) > 0.1)),
              lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)),
    ops.POW: (st.tuples(POSITIVE, floats(-3, 3)),
              lambda a, b: a**b, lambda a, b: (b * a ** (b - 1), a**b * math.log(a))),
    ops.EXP: (st.tuples(ANY), math.exp, lambda a: (math.exp(a),)),
    ops.LOG: (st.tuples(POSITIVE), math.log, lambda a: (1 / a,)),
    ops.SIGMOID: (st.tuples(floats(-30, 30)), sigmoid, lambda a: (sigmoid(a) * (1 - sigmoid(a)),)),
    ops.TANH: (st.tuples(ANY), math.tanh, lambda a: (1 / math.cosh(a) ** 2,)),
    ops.RELU: (st.tuples(AWAY_FROM_ZERO), lambda a: max(a, 0.0), lambda a: (float(a > 0),)),
    ops.SUM: (st.lists(ANY, min_size=1, max_size=6).map(tuple), lambda *x: sum(x), lambda *x: (1,) * len(x)),
    ops.LOGSUMEXP: (st.lists(ANY, min_size=1, max_size=6).map(tuple),
                    lambda *x: math.log(sum(map(math.exp, x))), lambda *x: tuple(softmax(x))),
}


@pytest.mark.parametrize("op", list(CASES), ids=lambda op: op.name)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_forward_and_local_grads_match_closed_forms_and_central_differences(op, data):
    args_strategy, value, partials = CASES[op]
    x = data.draw(args_strategy)
    out = op.forward(*x)
    assert out == pytest.approx(value(*x), rel=1e-12, abs=1e-14)
    local = op.local_grads(out, *x)
    assert len(local) == len(x)
    assert local == pytest.approx(partials(*x), rel=1e-12, abs=1e-14)
    for i in range(len(x)):

        def f(v: float, i: int = i) -> float:
            return op.forward(*x[:i], v, *x[i + 1:])

        assert local[i] == pytest.approx(central_difference(f, x[i]), rel=1e-6, abs=1e-8)


def test_every_op_is_covered_and_formula_functions_are_node_methods():
    assert set(CASES) == {v for v in vars(ops).values() if isinstance(v, ops.Op)}
    for name, op in ops.FUNCTIONS.items():
        assert getattr(Node(0.5), name)().op is op


# -- the corners ---------------------------------------------------------------------
@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_relu_derivative_at_zero_is_zero(zero):
    assert ops.RELU.forward(zero) == 0.0
    assert ops.RELU.local_grads(0.0, zero) == (0.0,)
    x = Node(zero, name="x")
    x.relu().backward()
    assert x.grad == 0.0


def test_sigmoid_is_stable_and_exact_at_plus_minus_1000():
    assert ops.SIGMOID.forward(1000.0) == 1.0
    assert ops.SIGMOID.forward(-1000.0) == 0.0
    assert ops.SIGMOID.local_grads(1.0, 1000.0) == (0.0,)
    assert ops.SIGMOID.local_grads(0.0, -1000.0) == (0.0,)
    x = Node(-1000.0, name="x")
    y = x.sigmoid()
    y.backward()
    assert (y.value, x.grad) == (0.0, 0.0)
    assert ops.SIGMOID.forward(0.0) == 0.5
    assert ops.SIGMOID.forward(-40.0) == pytest.approx(math.exp(-40.0), rel=1e-15)


@given(floats(-700, 700))
@settings(max_examples=100, deadline=None)
def test_sigmoid_is_symmetric(z):
    assert ops.SIGMOID.forward(-z) == pytest.approx(1 - ops.SIGMOID.forward(z), rel=1e-12, abs=1e-15)


def test_logsumexp_is_stable_for_large_inputs():
    assert ops.LOGSUMEXP.forward(1000.0, 1000.0) == pytest.approx(1000.0 + math.log(2), rel=1e-15)
    assert ops.LOGSUMEXP.forward(-1000.0, -1000.0) == pytest.approx(-1000.0 + math.log(2), rel=1e-15)
    assert ops.LOGSUMEXP.forward(1000.0, 0.0, -1000.0) == 1000.0
    out = ops.LOGSUMEXP.forward(1000.0, 1000.0)
    assert ops.LOGSUMEXP.local_grads(out, 1000.0, 1000.0) == pytest.approx((0.5, 0.5), rel=1e-15)
    assert ops.LOGSUMEXP.local_grads(1000.0, 1000.0, 0.0, -1000.0) == (1.0, 0.0, 0.0)
    node = apply(ops.LOGSUMEXP, Node(800.0), Node(790.0))
    assert node.value == pytest.approx(800.0 + math.log1p(math.exp(-10.0)), rel=1e-15)


def test_pow_partials_at_the_special_exponents():
    assert ops.POW.local_grads(1.0, 3.0, 0.0) == (0.0, math.log(3.0))
    assert ops.POW.local_grads(3.0, 3.0, 1.0) == (1.0, 3.0 * math.log(3.0))
    assert ops.POW.local_grads(9.0, -3.0, 2.0)[0] == -6.0
    assert ops.POW.local_grads(-27.0, -3.0, 3.0)[0] == 27.0  # a negative base with an integer exponent


# -- symbolic templates --------------------------------------------------------------
def test_sigmoid_templates_read_like_the_textbook():
    assert ops.SIGMOID.format_value(["z"]) == "σ(z)"
    assert ops.SIGMOID.format_partial(0, ["z"], "out") == "σ(z)(1 − σ(z))"
    assert r"\sigma(z)" in ops.SIGMOID.format_partial(0, ["z"], "out", latex=True)


@pytest.mark.parametrize(("op", "i", "text"), [
    (ops.ADD, 1, "1"),
    (ops.SUB, 1, "−1"),
    (ops.NEG, 0, "−1"),
    (ops.MUL, 0, "b"),
    (ops.MUL, 1, "a"),
    (ops.DIV, 0, "1 / b"),
    (ops.DIV, 1, "−a / b²"),
    (ops.POW, 0, "b·a^(b − 1)"),
    (ops.POW, 1, "out·ln a"),
    (ops.EXP, 0, "exp(a)"),
    (ops.LOG, 0, "1 / a"),
    (ops.TANH, 0, "1 − tanh²(a)"),
    (ops.RELU, 0, "[a > 0]"),
    (ops.SUM, 2, "1"),
    (ops.LOGSUMEXP, 1, "exp(b − out)"),
], ids=lambda v: getattr(v, "name", None))
def test_partial_templates_in_plain_text(op, i, text):
    assert op.format_partial(i, ["a", "b", "c"][: op.arity or 3], "out") == text


@pytest.mark.parametrize("op", list(CASES), ids=lambda op: op.name)
def test_templates_use_every_argument_and_leave_no_placeholder(op):
    args = ["a", "b", "c"][: op.arity or 3]
    for latex in (False, True):
        value = op.format_value(args, latex=latex)
        assert all(a in value for a in args)
        texts = [value] + [op.format_partial(i, args, "out", latex=latex) for i in range(len(args))]
        for text in texts:
            assert "{0}" not in text and "{out}" not in text and text.strip()
            if latex:
                assert text.count("{") == text.count("}")
