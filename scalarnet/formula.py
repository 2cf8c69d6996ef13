"""Formulas of exercise files (``"0.5*(out_o1 - y1)^2"``), read with ``ast`` (never
``eval``) and turned into nodes.

Allowed: numbers, names, ``+ - * / ** ^`` (``^`` is power, as on paper), unary minus,
parentheses and the functions ``sigmoid tanh relu exp log``. A chain of three or more
``+`` terms becomes one n-ary sum node, as a neuron's net input Σ w·a + b is written.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable, Mapping

from . import ops
from .node import Node, apply, power

_BINARY = {ast.Add: ops.ADD, ast.Sub: ops.SUB, ast.Mult: ops.MUL, ast.Div: ops.DIV}
_SYMBOL = {ast.Mod: "%", ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|", ast.MatMult: "@",
           ast.LShift: "<<", ast.RShift: ">>"}


class FormulaError(ValueError):
    """A formula that cannot be read; the message says what and how to fix it."""


def parse(text: str, known: Iterable[str]) -> ast.expr:
    """Check ``text`` and return its expression tree. ``known`` are the names it may use."""
    if not isinstance(text, str):
        raise FormulaError(f"expected a formula in quotes, got {type(text).__name__} {text!r}")
    if not text.strip():
        raise FormulaError("the formula is empty")
    try:
        # '^' is power on paper; in Python it is xor with the wrong precedence, so swap it
        # before parsing (formulas hold no strings, so a textual swap is safe).
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval").body
    except SyntaxError as err:
        raise FormulaError(f"{text!r} is not a formula ({err.msg}); write it with numbers, names, "
                           "+ - * / ^, parentheses and sigmoid tanh relu exp log") from None
    known = list(known)
    _check(tree, text, set(known), known)
    return tree


def names_in(tree: ast.expr) -> list[str]:
    """The names a parsed formula uses, in order of first appearance."""
    seen: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in ops.FUNCTIONS:
            seen.setdefault(node.id)
    return list(seen)


def _check(node: ast.expr, text: str, known_set: set[str], known: list[str]) -> None:
    # An explicit stack: a formula nested a few hundred levels deep must not hit the recursion limit.
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise FormulaError(f"{text!r}: {node.value!r} is not a number")
        elif isinstance(node, ast.Name):
            if node.id not in known_set:
                raise FormulaError(_unknown_name(node.id, text, known))
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY and not isinstance(node.op, ast.Pow):
                symbol = _SYMBOL.get(type(node.op), type(node.op).__name__)
                raise FormulaError(f"{text!r}: the operator {symbol} is not supported; use + - * / ^ (or **)")
            stack += [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise FormulaError(f"{text!r}: only unary minus and plus are supported")
            stack.append(node.operand)
        elif isinstance(node, ast.Call):
            func = node.func.id if isinstance(node.func, ast.Name) else None
            if func not in ops.FUNCTIONS:
                shown = func or ast.unparse(node.func)
                hint = difflib.get_close_matches(shown, ops.FUNCTIONS, n=1)
                raise FormulaError(f"{text!r}: unknown function {shown}"
                                   + (f" (did you mean {hint[0]}?)" if hint else "")
                                   + f"; the functions are {', '.join(ops.FUNCTIONS)}")
            if len(node.args) != 1 or node.keywords:
                raise FormulaError(f"{text!r}: {func}() takes exactly one argument")
            stack.append(node.args[0])
        else:
            raise FormulaError(f"{text!r}: {ast.unparse(node)!r} is not part of a formula; write it with "
                               "numbers, names, + - * / ^, parentheses and sigmoid tanh relu exp log")


def _unknown_name(name: str, text: str, known: list[str]) -> str:
    if name in ops.FUNCTIONS:
        return f"{text!r}: {name} is a function; call it as {name}(...)"
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return (f"{text!r}: unknown name {name}{hint}; a formula may use the params, inputs, targets "
            f"and the graph entries above it: {', '.join(known) or '(none)'}")


def build(tree: ast.expr, env: Mapping[str, Node], name: str | None = None) -> Node:
    """The node of a parsed formula, its leaves looked up in ``env``; the top node gets ``name``
    (a formula that is a bare name is that node itself)."""
    node = _build(tree, env, name)
    if name is not None and node.name is None:
        node.name = name
    return node


def _build(tree: ast.expr, env: Mapping[str, Node], name: str | None = None) -> Node:
    """The node of ``tree``; ``name`` goes to the top node as it is made, so that an error
    in computing it names it."""
    if isinstance(tree, ast.Constant):
        return Node.constant(float(tree.value))
    if isinstance(tree, ast.Name):
        return env[tree.id]
    if isinstance(tree, ast.UnaryOp):
        if isinstance(tree.operand, ast.Constant):  # -2 is a number, not neg(2)
            value = float(tree.operand.value)
            return Node.constant(-value if isinstance(tree.op, ast.USub) else value)
        if isinstance(tree.op, ast.UAdd):
            return _build(tree.operand, env, name)
        return apply(ops.NEG, _build(tree.operand, env), name=name)
    if isinstance(tree, ast.Call):
        return apply(ops.FUNCTIONS[tree.func.id], _build(tree.args[0], env), name=name)
    assert isinstance(tree, ast.BinOp)
    if isinstance(tree.op, ast.Add):
        terms = _sum_terms(tree)
        if len(terms) > 2:
            return apply(ops.SUM, *[_build(t, env) for t in terms], name=name)
    if isinstance(tree.op, ast.Pow):
        return power(_build(tree.left, env), _build(tree.right, env), name=name)
    return apply(_BINARY[type(tree.op)], _build(tree.left, env), _build(tree.right, env), name=name)


def _sum_terms(tree: ast.expr) -> list[ast.expr]:
    """a + b + c parses as (a + b) + c: collect the terms of the whole chain."""
    terms = []
    while isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Add):
        terms.append(tree.right)
        tree = tree.left
    terms.append(tree)
    return terms[::-1]
