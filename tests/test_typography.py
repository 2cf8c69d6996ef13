"""One typographic rule for every view (views/typography.py, core/infix.py): brackets exactly
where precedence needs them, from one printer; the true minus sign and never −0; names with
their subscript written once (w₁, net_h1, δ_h1, never net_h₁); small numbers in pictures as
3.64 × 10⁻⁵."""

from __future__ import annotations

import re

import pytest
from conftest import load_bundled

import scalarnet
from scalarnet import Node
from scalarnet.cli import main
from scalarnet.core import infix
from scalarnet.micrograd.engine import Value
from scalarnet.spec import from_dict
from scalarnet.views import typography
from scalarnet.views.diagram import diagram
from scalarnet.views.narration import Narrator

NEGATIVE_ZERO = re.compile(r"[−-]0(?![.\d])")
ASCII_MINUS = re.compile(r"(?<![\de])-(?=\d)")  # a minus before a number (not the exponent of 1e-12)
BOTH_SUBSCRIPTS = re.compile(r"_\w*[₀₁₂₃₄₅₆₇₈₉]")  # net_h₁: an underscore and subscript digits


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) in (0, 1)
    return capsys.readouterr().out


def labels(source: str) -> str:
    """The text a DOT source draws (its labels), without attributes such as coordinates."""
    return "\n".join(m.replace("\\n", "\n") for m in re.findall(r'label="((?:[^"\\]|\\.)*)"', source))


def dead_relu() -> Node:
    """o = relu(w·x + b) at a negative net input: ∂o/∂n = 0 sent back through −2, the −0 of old."""
    x, w, b = Node(-2.0, name="x"), Node(0.5, name="w"), Node(0.3, name="b")
    n = w * x + b
    n.name = "n"
    o = n.relu()
    o.name = "o"
    o.backward()
    return o


# -- one printer, brackets where precedence needs them ---------------------------------------------
@pytest.mark.parametrize("formula, written", [
    ("a - (b - c)", "a − (b − c)"), ("(a - b) - c", "a − b − c"), ("a + (b + c)", "a + b + c"),
    ("a / (b * c)", "a / (b·c)"), ("(a * b) / c", "a·b / c"), ("(a ** b) ** c", "(a^b)^c"),
    ("a + (-b)", "a + (−b)"), ("a * (-0.3)", "a·(−0.3)"), ("-(a + b)", "−(a + b)"), ("-(-a)", "−(−a)"),
    ("sigmoid(a + b)", "σ(a + b)"), ("(2 * a) ** 2", "(2·a)^2"), ("0.5 * (a - b) ** 2", "0.5·(a − b)^2"),
    ("a * b + c * d", "a·b + c·d"), ("(a + b) * (c + d)", "(a + b)·(c + d)"),
])
def test_the_printer_brackets_exactly_where_precedence_needs_it(formula, written):
    leaves = {n: Node(1.5, name=n) for n in "abcd"}
    node = eval(formula, {"sigmoid": lambda v: v.sigmoid()}, leaves)  # a formula of Nodes, as a user writes it
    assert infix.formula(node, lambda n: n.name, typography.number) == written


def test_a_name_that_is_a_formula_is_bracketed_where_it_is_an_operand():
    assert infix.precedence_of("x1*w1 + x2*w2") == infix.SUM and infix.is_atom("tanh(x + y)")
    assert infix.partial("n", "x1*w1 + x2*w2") == "∂n/∂(x1*w1 + x2*w2)" and infix.partial("o", "n") == "∂o/∂n"
    assert typography.partial("x1·w1", "x1") == "∂(x₁·w₁)/∂x₁"  # issue 21's example


def test_every_view_writes_a_formula_with_the_one_printer(capsys):
    """The loss of the classic example: its box, the viewer's sentence, the walk of the same
    graph built in Python; with the old printers, (0.5·((t1 − out_o1)²)) + … and ((x·y) + …)."""
    ex = load_bundled("mazur-2-2-2")
    _record, batch = ex.run_step(update=False)
    said = Narrator(batch.slots[0], "E_total").forward("E_total")
    written = "0.5·(t₁ − out_o1)² + 0.5·(t₂ − out_o2)²"
    assert said.startswith(f"E_total = {written} = 0.5·(0.01 − 0.751365)² + 0.5·(0.99 − 0.772928)² = ")
    assert written in labels(diagram("mazur-2-2-2").source)
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b + c
    e.label = "e"
    steps = [str(s) for s in scalarnet.walk(e)]
    assert steps[0].startswith("1. e = a·b + c") and "∂e/∂(a·b)" in steps[0]


def test_derive_on_a_micrograd_graph_brackets_the_names_that_are_formulas(capsys):
    x1, x2, w1, w2 = Value(2.0, label="x1"), Value(0.0, label="x2"), Value(-3.0, label="w1"), Value(1.0, label="w2")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + Value(6.8813735870195432, label="b")
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    text = str(scalarnet.derive(o, w1))
    assert "∂n/∂(x₁*w₁ + x₂*w₂) · ∂(x₁*w₁ + x₂*w₂)/∂(x₁*w₁) · ∂(x₁*w₁)/∂w₁" in text
    assert "∂n/∂x1*w1" not in text
    unlabelled = Value(2.0, label="x1") * Value(-3.0, label="w1")
    drawn = labels(scalarnet.draw(unlabelled.tanh()).source)
    assert "∂(x₁·w₁)/∂x₁" in drawn  # issue 21's example: a formula's name bracketed in a partial


def test_the_delta_form_does_not_read_like_a_function_call(capsys):
    doc = {"params": {"w1": 0.5, "w5": -0.8, "b": 0.1}, "inputs": {"x": 1.5}, "targets": {"t": 0.2},
           "graph": {"z": "w1*x", "h1": "tanh(z)", "o": "w5*h1 + b", "E": "0.5*(o - t)^2"}}
    from scalarnet.analysis.derive import StepDerivations, delta_form
    from scalarnet.engines.scalar import Exercise
    from scalarnet.views import derivation

    ex = Exercise(from_dict(doc, "<tanh>"))
    steps = StepDerivations.at(ex, 1)
    text = derivation.delta_text(delta_form(steps, "w1"), steps.record.values)
    assert "∂E/∂w₁ = δ_o·w₅·(1 − h₁²)·x" in text and "w₅(1" not in text
    assert "out_o1(1 − out_o1)" in run(capsys, "derive", "mazur-2-2-2", "--param", "w5")  # σ′ stays out(1 − out)


# -- the minus sign, and no −0 ------------------------------------------------------------------
def test_no_view_prints_a_negative_zero(capsys):
    o = dead_relu()
    views = [labels(scalarnet.draw(o, level=level).source) for level in ("primitive", "named")]
    views += [str(scalarnet.derive(o, "w")), "\n".join(str(s) for s in scalarnet.walk(o))]
    assert all(not NEGATIVE_ZERO.search(v) for v in views), [NEGATIVE_ZERO.findall(v) for v in views]
    assert "→ 0" in views[0]  # the share sent back: 0 × (−2), once drawn as -0
    assert typography.number(-0.0) == "0" and typography.picture_number(-0.0) == "0"
    from scalarnet.views.narration import num

    assert num(-0.0) == "0" and num(-1e-7) == "−1 × 10⁻⁷"


def test_every_view_writes_the_true_minus_sign(capsys):
    outputs = {"step": run(capsys, "step", "sigmoid-2-2-2"), "derive": run(capsys, "derive", "sigmoid-2-2-2",
               "--param", "w1"), "delta": run(capsys, "derive", "sigmoid-2-2-2", "--param", "w1", "--delta"),
               "diagram": labels(diagram("sigmoid-2-2-2").source),
               "neuron": labels(diagram("mazur-2-2-2", level="neuron").source)}
    for view, text in outputs.items():
        assert not ASCII_MINUS.search(text), (view, ASCII_MINUS.findall(text)[:3])
        assert "−0." in text, view
    assert '"grad": -0.00842148' in run(capsys, "derive", "sigmoid-2-2-2", "--param", "w1", "--json").replace(
        '"value": ', '"grad": ')  # JSON keeps its own minus


# -- names ------------------------------------------------------------------------------------------
def test_names_are_written_one_way_everywhere(capsys):
    outputs = {"step": run(capsys, "step", "mazur-2-2-2"), "derive": run(capsys, "derive", "mazur-2-2-2",
               "--param", "w1", "--delta"), "named": labels(diagram("mazur-2-2-2").source),
               "neuron": labels(diagram("mazur-2-2-2", level="neuron").source)}
    for view, text in outputs.items():
        assert not BOTH_SUBSCRIPTS.search(text), (view, BOTH_SUBSCRIPTS.findall(text)[:3])
        assert "w₁" in text and "net_h1" in text and "w1 " not in text, view
    assert "δ_h1 = ∂E_total/∂net_h1" in outputs["neuron"] and "δ_h1 = ∂E_total/∂net_h1" in outputs["derive"]
    assert typography.name("W1[0,2] + 输入1 + h10 + E_total + δ_o1 + x1.grad") == \
        "W₁[0,2] + 输入₁ + h₁₀ + E_total + δ_o1 + x₁.grad"


# -- numbers in pictures ------------------------------------------------------------------------------
def test_small_numbers_in_pictures_are_written_as_powers_of_ten():
    drawn = labels(diagram("curve-fit-1-5-1").source)
    assert "value = 3.64 × 10⁻⁵" in drawn  # a₁ at step 1: 3.63675e-05
    assert not re.search(r"\de[-+]\d", drawn)
    assert typography.scientific(3.63675e-05) == "3.64 × 10⁻⁵" and typography.scientific(-2.5e7) == "−2.5 × 10⁷"
    assert typography.picture_number(0.000438568) == "0.000438568"  # digits while they need no exponent
