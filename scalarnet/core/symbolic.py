"""Symbolic expressions: just enough algebra to write a local derivative as a textbook does.

Expressions are built with the ordinary operators (``x * (1 - x)``) and simplify as they
are built: numbers fold (``0.5·2`` is ``1``), a factor 1 or a term 0 disappears, equal
factors become powers and equal terms add up, and a minus sign in front of a difference
turns it round (``−(t1 − out_o1)`` is ``out_o1 − t1``). That is all: no expansion, no
factoring, so a result keeps the shape of the op's own rule.

The ops' hand-written rules are applied to expressions through ``Op.symbolic_grads``,
which is ``local_grads`` itself wherever that rule is plain arithmetic. So the symbolic
derivative of sigmoid is the same line of code as the numeric one: ``out * (1.0 - out)``.

Printing: ``text(e)`` for terminals (Unicode), ``latex(e, name)`` for LaTeX and Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..i18n import _
from . import infix, ops


class Expr:
    """A symbolic expression. Subclasses are frozen dataclasses, so equal shapes compare equal."""

    __slots__ = ()

    def __add__(self, other: Operand) -> Expr:
        return add(self, lift(other))

    def __radd__(self, other: Operand) -> Expr:
        return add(lift(other), self)

    def __sub__(self, other: Operand) -> Expr:
        return add(self, mul(MINUS_ONE, lift(other)))

    def __rsub__(self, other: Operand) -> Expr:
        return add(lift(other), mul(MINUS_ONE, self))

    def __mul__(self, other: Operand) -> Expr:
        return mul(self, lift(other))

    def __rmul__(self, other: Operand) -> Expr:
        return mul(lift(other), self)

    def __truediv__(self, other: Operand) -> Expr:
        return mul(self, power(lift(other), MINUS_ONE))

    def __rtruediv__(self, other: Operand) -> Expr:
        return mul(lift(other), power(self, MINUS_ONE))

    def __pow__(self, other: Operand) -> Expr:
        return power(self, lift(other))

    def __rpow__(self, other: Operand) -> Expr:
        return power(lift(other), self)

    def __neg__(self) -> Expr:
        return mul(MINUS_ONE, self)

    # The methods a node has, so an op's rule written for nodes works on expressions too.
    def exp(self) -> Expr:
        return call(ops.EXP, self)

    def log(self) -> Expr:
        return call(ops.LOG, self)

    def sigmoid(self) -> Expr:
        return call(ops.SIGMOID, self)

    def tanh(self) -> Expr:
        return call(ops.TANH, self)

    def relu(self) -> Expr:
        return call(ops.RELU, self)

    def positive(self) -> Expr:
        """The indicator [self > 0]: ReLU's derivative."""
        return Positive(self)

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The number this expression stands for, with each name's value from ``values``."""
        raise NotImplementedError


Operand = Expr | int | float


@dataclass(frozen=True)
class Num(Expr):
    value: float

    def evaluate(self, values: Mapping[str, float]) -> float:
        return self.value


@dataclass(frozen=True)
class Sym(Expr):
    """A named node of the exercise."""

    name: str

    def evaluate(self, values: Mapping[str, float]) -> float:
        return values[self.name]


@dataclass(frozen=True)
class Sum(Expr):
    terms: tuple[Expr, ...]  # two or more, none of them a Sum

    def evaluate(self, values: Mapping[str, float]) -> float:
        return math.fsum(t.evaluate(values) for t in self.terms)


@dataclass(frozen=True)
class Product(Expr):
    coeff: float
    factors: tuple[Expr, ...]  # none of them a number or a Product

    def evaluate(self, values: Mapping[str, float]) -> float:
        return self.coeff * math.prod(f.evaluate(values) for f in self.factors)


@dataclass(frozen=True)
class Power(Expr):
    base: Expr
    exponent: Expr

    def evaluate(self, values: Mapping[str, float]) -> float:
        return math.pow(self.base.evaluate(values), self.exponent.evaluate(values))


@dataclass(frozen=True)
class Call(Expr):
    """A function op (sigmoid, exp, log, ..., logsumexp) applied to its arguments."""

    op: ops.Op
    args: tuple[Expr, ...]

    def evaluate(self, values: Mapping[str, float]) -> float:
        return self.op.forward(*[a.evaluate(values) for a in self.args])


@dataclass(frozen=True)
class Positive(Expr):
    arg: Expr

    def evaluate(self, values: Mapping[str, float]) -> float:
        return 1.0 if self.arg.evaluate(values) > 0.0 else 0.0


ZERO, ONE, MINUS_ONE = Num(0.0), Num(1.0), Num(-1.0)


def lift(x: Operand) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Num(float(x))
    raise TypeError(_("cannot use {type} {value} in an expression").format(type=type(x).__name__, value=repr(x)))


# -- building, with simplification ----------------------------------------------------
def split(e: Expr) -> tuple[float, tuple[Expr, ...]]:
    """(coefficient, factors): 3·x·y is (3, (x, y)), a number is (value, ())."""
    if isinstance(e, Num):
        return e.value, ()
    if isinstance(e, Product):
        return e.coeff, e.factors
    return 1.0, (e,)


def mul(a: Expr, b: Expr) -> Expr:
    ca, fa = split(a)
    cb, fb = split(b)
    coeff = ca * cb
    if coeff == 0.0:
        return ZERO
    powers: list[list] = []  # [base, numeric exponent], equal bases merged: x·x is x²
    for f in fa + fb:
        base, e = (f.base, f.exponent.value) if isinstance(f, Power) and isinstance(f.exponent, Num) else (f, 1.0)
        same = next((p for p in powers if p[0] == base), None)
        if same is None:
            powers.append([base, e])
        else:
            same[1] += e
    return product(coeff, [b if e == 1.0 else Power(b, Num(e)) for b, e in powers if e != 0.0])


def product(coeff: float, factors: list[Expr]) -> Expr:
    if not factors:
        return Num(coeff)
    sums = [k for k, f in enumerate(factors) if isinstance(f, Sum)]
    if coeff < 0.0 and len(sums) == 1 and any(split(t)[0] < 0.0 for t in factors[sums[0]].terms):
        # −(t − o) reads better as (o − t): move the sign into the one difference.
        factors = list(factors)
        factors[sums[0]] = Sum(tuple(mul(MINUS_ONE, t) for t in factors[sums[0]].terms))
        coeff = -coeff
    if coeff == 1.0 and len(factors) == 1:
        return factors[0]
    return Product(coeff, tuple(factors))


def add(a: Expr, b: Expr) -> Expr:
    return add_all([a, b])


def add_all(exprs: Iterable[Expr]) -> Expr:
    """The sum of ``exprs``, in one pass (a neuron's net input can have thousands of terms,
    and adding them one at a time rebuilt the sum each time)."""
    # [coefficient, factors] by the factors in a canonical order, equal factors merged: x + x is 2·x
    terms: dict[tuple[Expr, ...], list] = {}
    for e in exprs:
        for t in e.terms if isinstance(e, Sum) else (e,):
            c, factors = split(t)
            key = tuple(sorted(factors, key=repr))
            same = terms.get(key)
            if same is None:
                terms[key] = [c, factors]
            else:
                same[0] += c
    kept = [product(c, list(f)) for c, f in terms.values() if c != 0.0]
    if not kept:
        return ZERO
    return kept[0] if len(kept) == 1 else Sum(tuple(kept))


def power(base: Expr, exponent: Expr) -> Expr:
    if isinstance(exponent, Num):
        e = exponent.value
        if e == 0.0:
            return ONE
        if e == 1.0:
            return base
        if isinstance(base, Num) and (base.value > 0.0 or e.is_integer()):
            return Num(math.pow(base.value, e))
        if isinstance(base, Power) and isinstance(base.exponent, Num):
            return power(base.base, Num(base.exponent.value * e))
        if isinstance(base, Product) and (base.coeff > 0.0 or e.is_integer()):
            return product(math.pow(base.coeff, e), [power(f, exponent) for f in base.factors])
    return Power(base, exponent)


def call(op: ops.Op, *args: Expr) -> Expr:
    if all(isinstance(a, Num) for a in args):
        return Num(op.forward(*[a.value for a in args]))
    return Call(op, tuple(args))


def apply(op: ops.Op, args: list[Expr]) -> Expr:
    """The expression of ``op`` applied to ``args``: what a node made by ``op`` stands for."""
    if op is ops.ADD or op is ops.SUM:
        return add_all(args)
    if op is ops.SUB:
        return args[0] - args[1]
    if op is ops.NEG:
        return -args[0]
    if op is ops.MUL:
        return args[0] * args[1]
    if op is ops.DIV:
        return args[0] / args[1]
    if op is ops.POW:
        return power(args[0], args[1])
    return call(op, *args)


# -- rewriting ---------------------------------------------------------------------------
def substitute(e: Expr, table: Mapping[Expr, Expr], rule: Callable[[Expr], Expr | None] = lambda e: None) -> Expr:
    """``e`` with each subexpression found in ``table`` replaced by its entry (a named node's
    formula by the node's name: exp(z − logsumexp(z, …)) by the softmax output's), and
    each subexpression ``rule`` rewrites (it returns None to leave one alone); rebuilt with
    the simplifying constructors, so a factor 1 that appears disappears."""
    if e in table:
        return table[e]
    if isinstance(e, Sum):
        out = add_all([substitute(t, table, rule) for t in e.terms])
    elif isinstance(e, Product):
        out = Num(e.coeff)
        for f in e.factors:
            out = mul(out, substitute(f, table, rule))
    elif isinstance(e, Power):
        out = power(substitute(e.base, table, rule), substitute(e.exponent, table, rule))
    elif isinstance(e, Call):
        out = call(e.op, *[substitute(a, table, rule) for a in e.args])
    elif isinstance(e, Positive):
        out = Positive(substitute(e.arg, table, rule))
    else:
        out = e
    found = rule(out)
    return out if found is None else found


def together(e: Expr) -> Expr:
    """A sum of quotients over one common denominator, its numerator multiplied out, when that
    reads shorter: (1 − e)/(e + 1)² + 1/(e + 1) is 2/(e + 1)²."""
    if isinstance(e, Product):
        inner = [together(f) for f in e.factors]
        return product(e.coeff, inner) if inner != list(e.factors) else e
    if isinstance(e, Power):
        return power(together(e.base), e.exponent)
    if not isinstance(e, Sum):
        return e
    terms = [together(t) for t in e.terms]
    common: dict[Expr, float] = {}  # base → the highest power it divides a term by
    parts = []
    for t in terms:
        coeff, factors = split(t)
        top, bottom = [], {}
        for f in factors:
            if isinstance(f, Power) and isinstance(f.exponent, Num) and f.exponent.value < 0:
                bottom[f.base] = -f.exponent.value
                common[f.base] = max(common.get(f.base, 0.0), -f.exponent.value)
            else:
                top.append(f)
        parts.append((coeff, top, bottom))
    rebuilt = add_all(terms)
    if not common or not all(k.is_integer() for k in common.values()):
        return rebuilt
    numerator = ZERO
    for coeff, top, bottom in parts:
        term = product(coeff, top) if top else Num(coeff)
        for base, k in common.items():
            term = mul(term, power(base, Num(k - bottom.get(base, 0.0))))
        numerator = add(numerator, _expand(term))
    joined = mul(numerator, product(1.0, [power(b, Num(-k)) for b, k in common.items()]))
    return joined if len(text(joined)) < len(text(rebuilt)) else rebuilt


MAX_EXPAND = 4  # (a + b)ⁿ is multiplied out up to this n


def _expand(e: Expr) -> Expr:
    """Products of sums multiplied out: (e + 1)(1 − e) is 1 − e²."""
    terms: list[Expr] = [ONE]
    coeff, factors = split(e)
    if isinstance(e, Sum):
        return add_all([_expand(t) for t in e.terms])
    for f in factors:
        if isinstance(f, Sum):
            parts = list(f.terms)
        elif (isinstance(f, Power) and isinstance(f.base, Sum) and isinstance(f.exponent, Num)
              and f.exponent.value.is_integer() and 0 < f.exponent.value <= MAX_EXPAND):
            parts = [ONE]
            for _i in range(int(f.exponent.value)):
                parts = [mul(a, b) for a in parts for b in f.base.terms]
        else:
            parts = [f]
        terms = [mul(a, b) for a in terms for b in parts]
    return mul(Num(coeff), add_all(terms))


# -- printing -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Style:
    latex: bool
    name: Callable[[str], str]
    minus: str
    dot: str
    open: str
    close: str

    def number(self, v: float) -> str:
        text = f"{abs(v):.10g}"
        return (self.minus if v < 0 else "") + (latex_exponent(text) if self.latex else text)


def latex_exponent(number: str) -> str:
    """A formatted number's scientific notation in LaTeX: 1.5e-05 → 1.5 \\times 10^{-5}."""
    if "e" not in number:
        return number
    mantissa, exponent = number.split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def text(e: Expr, name: Callable[[str], str] = lambda n: n) -> str:
    """Plain text with Unicode, each name written by ``name``: ``out_o1(1 − out_o1)``."""
    return _show(e, _Style(False, name, "−", "·", "(", ")"))


def latex(e: Expr, name: Callable[[str], str] = lambda n: n) -> str:
    """LaTeX (math mode), each name written by ``name``."""
    return _show(e, _Style(True, name, "-", r" \cdot ", r"\left(", r"\right)"))


def _show(e: Expr, s: _Style) -> str:
    if isinstance(e, Num):
        return s.number(e.value)
    if isinstance(e, Sym):
        return s.name(e.name)
    if isinstance(e, Sum):
        return _show_sum(e, s)
    if isinstance(e, (Product, Power)):
        return _show_product(*split(e), s)
    if isinstance(e, Call):
        return e.op.format_value([_show(a, s) for a in e.args], s.latex)
    if isinstance(e, Positive):
        return f"[{_show(e.arg, s)} > 0]"
    raise TypeError(_("not an expression: {value}").format(value=repr(e)))


def _show_sum(e: Sum, s: _Style) -> str:
    # Positive terms first: "out_o1 − t1", not "−t1 + out_o1".
    terms = sorted(e.terms, key=lambda t: split(t)[0] < 0.0)
    out = ""
    for k, t in enumerate(terms):
        c, factors = split(t)
        body = _show_product(abs(c), factors, s)
        if c < 0 and not s.latex and infix.precedence_of(body) == infix.SUM:  # a name that is a sum: − (a + b)
            body = f"{s.open}{body}{s.close}"
        if k == 0:
            out = (s.minus if c < 0 else "") + body
        else:
            out += f" {s.minus if c < 0 else '+'} {body}"
    return out


def _show_product(coeff: float, factors: tuple[Expr, ...], s: _Style) -> str:
    top, bottom = [], []
    for f in factors:
        if isinstance(f, Power) and isinstance(f.exponent, Num) and f.exponent.value < 0:
            bottom.append(power(f.base, Num(-f.exponent.value)))
        else:
            top.append(f)
    sign = s.minus if coeff < 0 else ""
    magnitude = abs(coeff)
    numbered = [] if magnitude == 1.0 and top else [Num(magnitude)]
    numerator = _chain(numbered + top, [s.number(magnitude) for _n in numbered] + [_factor(f, s) for f in top], s)
    if not bottom:
        return sign + numerator
    denominator = _chain(bottom, [_factor(f, s) for f in bottom], s)
    if s.latex:  # \frac needs no brackets around a lone sum
        if len(top) == 1 and magnitude == 1.0:
            numerator = _show(top[0], s)
        if len(bottom) == 1:
            denominator = _show(bottom[0], s)
        return rf"{sign}\frac{{{numerator}}}{{{denominator}}}"
    if len(bottom) > 1:
        denominator = f"({denominator})"
    return f"{sign}{numerator} / {denominator}"


def _chain(factors: list[Expr], parts: list[str], s: _Style) -> str:
    """Factors side by side (``parts``: each factor as written): juxtaposed before a bracket
    after a number or a bracket (``2(y − t)``), and after a name the bracket holds
    (``x(1 − x)``, the textbook's σ′); else with a dot, so that ``w5·(1 − h1²)`` does not read
    as a function call."""
    out = parts[0]
    for before, factor, part in zip(factors, factors[1:], parts[1:]):
        out += part if part.startswith(s.open) and _juxtaposed(before, factor) else s.dot + part
    return out


def _juxtaposed(before: Expr, factor: Expr) -> bool:
    if isinstance(before, (Num, Sum)):
        return True
    return isinstance(before, Sym) and before in _symbols(factor)


def _symbols(e: Expr) -> set[Expr]:
    """The names an expression holds."""
    if isinstance(e, Sym):
        return {e}
    if isinstance(e, Sum):
        parts: tuple[Expr, ...] = e.terms
    elif isinstance(e, Product):
        parts = e.factors
    elif isinstance(e, Power):
        parts = (e.base, e.exponent)
    elif isinstance(e, Call):
        parts = e.args
    elif isinstance(e, Positive):
        parts = (e.arg,)
    else:
        return set()
    return set().union(*(_symbols(p) for p in parts))


def _factor(f: Expr, s: _Style) -> str:
    if isinstance(f, Power):
        base = _show(f.base, s)
        if isinstance(f.base, (Sum, Product, Power)) or (isinstance(f.base, Num) and f.base.value < 0) or (
                isinstance(f.base, Sym) and not s.latex and not infix.is_atom(base)):  # a name that is a formula
            base = f"{s.open}{base}{s.close}"
        exponent = f.exponent
        if s.latex:
            return f"{base}^{{{_show(exponent, s)}}}"
        if isinstance(exponent, Num) and exponent.value.is_integer() and exponent.value > 0:
            return base + str(int(exponent.value)).translate(_SUPERSCRIPTS)
        shown = _show(exponent, s)
        return f"{base}^{shown}" if isinstance(exponent, (Num, Sym)) else f"{base}^({shown})"
    shown = _show(f, s)
    named_formula = isinstance(f, Sym) and not s.latex and infix.precedence_of(shown) in (infix.SUM, infix.SIGN)
    return f"{s.open}{shown}{s.close}" if isinstance(f, Sum) or named_formula else shown
