"""The operations a node can be made by, each with its derivative written by hand.

Every op is a small class with
- ``forward(*x)``: the value from the parents' values,
- ``local_grads(out, *x)``: the partial derivative of the output with respect to each
  parent (``out`` is the op's own output, reused where the textbook rule uses it:
  σ'(z) = σ(z)(1 − σ(z))),
- symbolic templates of the value and of each local partial, in plain text and LaTeX.
  ``{0}``, ``{1}`` stand for the parents, ``{out}`` for the node itself, so a derivation
  can be printed from the ops' own rules in the exercise's own names.

An op holds no per-node state: one instance serves every node it makes. Ops know
nothing about nodes or graphs; ``node.py`` and ``graph.py`` apply them.

Domain errors (log of a non-positive value, division by zero, overflow) raise
``DomainError`` with a short reason; the caller names the node.
"""

from __future__ import annotations

import math
from typing import Any

from ..i18n import _


class DomainError(ArithmeticError):
    """An op was asked for a value outside its domain (the caller adds the node's name)."""


class Op:
    name: str = "op"
    arity: int | None = 1  # None: any number of parents
    # Templates: index 0 is plain text, 1 is LaTeX.
    value_template: tuple[str, str] = ("{0}", "{0}")
    partial_templates: tuple[tuple[str, str], ...] = ()

    def forward(self, *x: float) -> float:
        raise NotImplementedError

    def local_grads(self, out: float, *x: float) -> tuple[float, ...]:
        raise NotImplementedError

    # -- symbolic side -------------------------------------------------------------
    def format_value(self, args: list[str], latex: bool = False) -> str:
        """The op applied to ``args`` (already formatted), e.g. ``σ(in_h1)``."""
        return self.value_template[latex].format(*args)

    def format_partial(self, i: int, args: list[str], out: str, latex: bool = False) -> str:
        """The local partial ∂out/∂(parent i) in terms of ``args`` and ``out``."""
        template = self.partial_templates[min(i, len(self.partial_templates) - 1)]
        return template[latex].format(*args, out=out)

    def symbolic_grads(self, out: Any, *x: Any) -> tuple[Any, ...]:
        """The local partials with symbolic operands (``scalarnet.symbolic`` expressions):
        the same rule as ``local_grads``. The default *is* ``local_grads``, whose arithmetic
        works on symbolic operands unchanged; ops whose numeric rule branches on values or
        calls ``math`` write the rule out again here."""
        return self.local_grads(out, *x)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


class Add(Op):
    name, arity = "add", 2
    value_template = ("{0} + {1}", "{0} + {1}")
    partial_templates = (("1", "1"), ("1", "1"))

    def forward(self, a: float, b: float) -> float:
        return a + b

    def local_grads(self, out: float, a: float, b: float) -> tuple[float, ...]:
        return (1.0, 1.0)


class Sum(Op):
    """n-ary sum: a neuron's net input Σ w·a + b is one node, not a chain of adds."""

    name, arity = "sum", None
    partial_templates = (("1", "1"),)

    def forward(self, *x: float) -> float:
        try:
            return math.fsum(x)
        except OverflowError:
            raise DomainError(_("the sum overflows")) from None

    def local_grads(self, out: float, *x: float) -> tuple[float, ...]:
        return (1.0,) * len(x)

    def format_value(self, args: list[str], latex: bool = False) -> str:
        return " + ".join(args)


class Sub(Op):
    name, arity = "sub", 2
    value_template = ("{0} − {1}", "{0} - {1}")
    partial_templates = (("1", "1"), ("−1", "-1"))

    def forward(self, a: float, b: float) -> float:
        return a - b

    def local_grads(self, out: float, a: float, b: float) -> tuple[float, ...]:
        return (1.0, -1.0)


class Neg(Op):
    name = "neg"
    value_template = ("−{0}", "-{0}")
    partial_templates = (("−1", "-1"),)

    def forward(self, a: float) -> float:
        return -a

    def local_grads(self, out: float, a: float) -> tuple[float, ...]:
        return (-1.0,)


class Mul(Op):
    name, arity = "mul", 2
    value_template = ("{0}·{1}", r"{0} \cdot {1}")
    partial_templates = (("{1}", "{1}"), ("{0}", "{0}"))

    def forward(self, a: float, b: float) -> float:
        return a * b

    def local_grads(self, out: float, a: float, b: float) -> tuple[float, ...]:
        return (b, a)


class Div(Op):
    name, arity = "div", 2
    value_template = ("{0} / {1}", r"\frac{{{0}}}{{{1}}}")
    partial_templates = (("1 / {1}", r"\frac{{1}}{{{1}}}"), ("−{0} / {1}²", r"-\frac{{{0}}}{{{1}^2}}"))

    def forward(self, a: float, b: float) -> float:
        if b == 0.0:
            raise DomainError(_("division by zero ({a} / 0)").format(a=repr(a)))
        return a / b

    def local_grads(self, out: float, a: float, b: float) -> tuple[float, ...]:
        return (1.0 / b, -a / b / b)  # not b*b, which underflows to 0 for |b| < 1e-162


class Pow(Op):
    """base ** exponent. A constant exponent is the common case (x², x³); a node exponent
    needs a positive base, since ∂/∂e bᵉ = bᵉ·ln b."""

    name, arity = "pow", 2
    value_template = ("{0}^{1}", "{0}^{{{1}}}")
    partial_templates = (("{1}·{0}^({1} − 1)", "{1} {0}^{{{1} - 1}}"), ("{out}·ln {0}", r"{out} \ln {0}"))

    def forward(self, base: float, exponent: float) -> float:
        try:
            return math.pow(base, exponent)
        except ValueError:
            if base == 0.0:  # 0 to a negative power: 1 / 0
                raise DomainError(_("{power} divides by zero (0 to a negative power)").format(
                    power=f"{base!r} ** {exponent!r}")) from None
            raise DomainError(_("{power} is not a real number").format(power=f"{base!r} ** {exponent!r}")) from None
        except OverflowError:
            raise DomainError(_("{power} overflows").format(power=f"{base!r} ** {exponent!r}")) from None

    def local_grads(self, out: float, base: float, exponent: float) -> tuple[float, ...]:
        if exponent == 0.0:
            d_base = 0.0
        elif exponent == 1.0:
            d_base = 1.0
        elif exponent == 2.0:
            d_base = 2.0 * base
        else:
            try:
                d_base = exponent * math.pow(base, exponent - 1.0)
            except (ValueError, ZeroDivisionError, OverflowError):
                d_base = math.inf  # a vertical slope (√x at 0): backward names the node
        if base > 0.0:
            d_exponent = out * math.log(base)
        else:  # 0 at b = 0 (0ᵉ = 0 for e > 0); for b < 0 not real: NaN, reported if e needs a gradient
            d_exponent = 0.0 if base == 0.0 else math.nan
        return (d_base, d_exponent)

    def symbolic_grads(self, out: Any, base: Any, exponent: Any) -> tuple[Any, ...]:
        # A number base <= 0 has no logarithm: its exponent is then a constant (power()
        # refuses a trainable one), so that partial is never used; 0 keeps it printable.
        constant_base = getattr(base, "value", None)
        d_exponent = 0.0 if constant_base is not None and constant_base <= 0.0 else out * base.log()
        return (exponent * base ** (exponent - 1), d_exponent)


class Exp(Op):
    name = "exp"
    value_template = ("exp({0})", "e^{{{0}}}")
    partial_templates = (("exp({0})", "e^{{{0}}}"),)

    def forward(self, a: float) -> float:
        try:
            return math.exp(a)
        except OverflowError:
            raise DomainError(_("{power} overflows").format(power=f"exp({a!r})")) from None

    def local_grads(self, out: float, a: float) -> tuple[float, ...]:
        return (out,)


class Log(Op):
    name = "log"
    value_template = ("ln({0})", r"\ln {0}")
    partial_templates = (("1 / {0}", r"\frac{{1}}{{{0}}}"),)

    def forward(self, a: float) -> float:
        if a <= 0.0:
            raise DomainError(_("log of a non-positive value ({a})").format(a=repr(a)))
        return math.log(a)

    def local_grads(self, out: float, a: float) -> tuple[float, ...]:
        return (1.0 / a,)


class Sigmoid(Op):
    name = "sigmoid"
    value_template = ("σ({0})", r"\sigma({0})")
    partial_templates = (("σ({0})(1 − σ({0}))", r"\sigma({0})\left(1 - \sigma({0})\right)"),)

    def forward(self, a: float) -> float:
        # Two branches so that exp never overflows: exp(-a) for a >= 0, exp(a) otherwise.
        if a >= 0.0:
            return 1.0 / (1.0 + math.exp(-a))
        e = math.exp(a)
        return e / (1.0 + e)

    def local_grads(self, out: float, a: float) -> tuple[float, ...]:
        return (out * (1.0 - out),)


class Tanh(Op):
    name = "tanh"
    value_template = ("tanh({0})", r"\tanh({0})")
    partial_templates = (("1 − tanh²({0})", r"1 - \tanh^2({0})"),)

    def forward(self, a: float) -> float:
        return math.tanh(a)

    def local_grads(self, out: float, a: float) -> tuple[float, ...]:
        return (1.0 - out * out,)


class Relu(Op):
    name = "relu"
    value_template = ("relu({0})", r"\mathrm{{ReLU}}({0})")
    # ReLU'(0) = 0, as PyTorch does: the kink belongs to the flat side.
    partial_templates = (("[{0} > 0]", r"\mathbb{{1}}[{0} > 0]"),)

    def forward(self, a: float) -> float:
        return a if a > 0.0 else 0.0

    def local_grads(self, out: float, a: float) -> tuple[float, ...]:
        return (1.0 if a > 0.0 else 0.0,)

    def symbolic_grads(self, out: Any, a: Any) -> tuple[Any, ...]:
        return (a.positive(),)  # the indicator [a > 0]


class LogSumExp(Op):
    """log Σ exp(xᵢ), computed as m + log Σ exp(xᵢ − m) with m = max xᵢ so it never
    overflows. Its partials are the softmax: ∂/∂xᵢ = exp(xᵢ − out)."""

    name, arity = "logsumexp", None
    partial_templates = (("softmax", r"\mathrm{softmax}"),)

    def forward(self, *x: float) -> float:
        m = max(x)
        return m + math.log(math.fsum(math.exp(v - m) for v in x))

    def local_grads(self, out: float, *x: float) -> tuple[float, ...]:
        return tuple(math.exp(v - out) for v in x)

    def symbolic_grads(self, out: Any, *x: Any) -> tuple[Any, ...]:
        return tuple((v - out).exp() for v in x)

    def format_value(self, args: list[str], latex: bool = False) -> str:
        if latex:
            return r"\log \sum e^{" + "}, e^{".join(args) + "}"
        return "logsumexp(" + ", ".join(args) + ")"

    def format_partial(self, i: int, args: list[str], out: str, latex: bool = False) -> str:
        if latex:
            return f"e^{{{args[i]} - {out}}}"
        return f"exp({args[i]} − {out})"


ADD, SUM, SUB, NEG, MUL, DIV, POW = Add(), Sum(), Sub(), Neg(), Mul(), Div(), Pow()
EXP, LOG, SIGMOID, TANH, RELU, LOGSUMEXP = Exp(), Log(), Sigmoid(), Tanh(), Relu(), LogSumExp()

# The functions a formula may call, by the name it uses.
FUNCTIONS: dict[str, Op] = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU, "exp": EXP, "log": LOG}
