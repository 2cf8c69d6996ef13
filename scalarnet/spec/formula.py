"""Formulas of exercise files (``"0.5*(out_o1 - y1)^2"``), read with ``ast`` (never
``eval``) and turned into nodes.

Allowed: numbers, names, ``+ - * / ** ^`` (``^`` is power, as on paper), unary minus,
parentheses and the functions ``sigmoid tanh relu exp log``. A chain of three or more
``+`` terms becomes one n-ary sum node, as a neuron's net input Σ w·a + b is written.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from typing import TypeVar

from ..core import ops
from ..core.node import Node, apply, power
from ..i18n import _

_BINARY = {ast.Add: ops.ADD, ast.Sub: ops.SUB, ast.Mult: ops.MUL, ast.Div: ops.DIV}
_SYMBOL = {ast.Mod: "%", ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|", ast.MatMult: "@",
           ast.LShift: "<<", ast.RShift: ">>"}


# The stated limits of one formula (README "Limits"): Python's parser recurses once per
# operator of a chain, so a longer formula is refused before it is parsed.
MAX_FORMULA_CHARS = 10_000
MAX_OPERATORS = 1_000  # + - * / ^ and ( together; a bigger model is a [network] file
_OPERATOR_CHARS = frozenset("+-*/^(")
SHOWN_CHARS = 80  # a formula in a message is cut to this many characters


T = TypeVar("T")


class FormulaError(ValueError):
    """A formula that cannot be read; the message says what and how to fix it. ``unknown``:
    the name it uses but may not (so a reader can tell a formula that uses its own name)."""

    def __init__(self, message: str, unknown: str | None = None) -> None:
        super().__init__(message)
        self.unknown = unknown


def cut(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, the last an ellipsis."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` quoted for a message, cut to about ``limit`` characters."""
    return repr(cut(text, limit))


def label(name: object, limit: int = 40) -> str:
    """A name for a message as it is, or quoted with escapes when it holds control or other
    unprintable characters (a terminal escape sequence is shown, never sent)."""
    text = cut(str(name), limit)
    return text if text.isprintable() and text.strip() == text and text else repr(text)


def name_error(name: object) -> str | None:
    """Why ``name`` cannot name a value that formulas refer to (None when it can).
    ``name`` should already be NFKC-normalised (``normal_name``)."""
    if not isinstance(name, str):
        return _("expected a name in quotes, got {value}").format(value=repr(name))
    if not name:
        return _("the name is empty")
    printable = name.isascii() and name.isprintable()  # the usual name: no character to look up
    bad = None if printable else next((c for c in name if unicodedata.category(c)[0] == "C"), None)
    if bad is not None:
        return _("{name} holds the control character {char}; use letters, digits and _").format(
            name=shown(name), char=f"U+{ord(bad):04X}")
    if not name.isidentifier():
        return _("{name} is not a name: a name must be a letter or _ followed by letters, digits or _ "
                 "(formulas refer to it)").format(name=shown(name))
    if keyword.iskeyword(name):
        return _("{name} is a Python keyword; choose another name").format(name=name)
    if name in ops.FUNCTIONS:
        return _("{name} is a function name; choose another name").format(name=name)
    return None


def normal_name(name: str) -> str:
    """``name`` as Python's parser reads it: NFKC-normalised, so '𝑤' is 'w' and the micro
    sign 'µ' is the Greek letter 'μ' (PEP 3131)."""
    return unicodedata.normalize("NFKC", name)


def parse(text: str, known: Collection[str]) -> ast.expr:
    """Check ``text`` and return its expression tree. ``known`` are the names it may use
    (a set or a dict's keys: looked up, not copied, so reading many formulas stays linear)."""
    if not isinstance(text, str):
        raise FormulaError(_("expected a formula in quotes, got {type} {value}").format(
            type=type(text).__name__, value=shown(repr(text))))
    if not text.strip():
        raise FormulaError(_("the formula is empty"))
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaError(_("{formula} has {n} characters, over the limit of {limit}; split it into several "
                             "[graph] entries, or use a [network] file").format(
            formula=shown(text), n=f"{len(text):,}", limit=f"{MAX_FORMULA_CHARS:,}"))
    operators = sum(text.count(c) for c in _OPERATOR_CHARS)
    if operators > MAX_OPERATORS:
        raise FormulaError(_("{formula} has {n} operators and parentheses, over the limit of {limit}; split it "
                             "into several [graph] entries, or use a [network] file").format(
            formula=shown(text), n=f"{operators:,}", limit=f"{MAX_OPERATORS:,}"))
    try:
        # '^' is power on paper; in Python it is xor with the wrong precedence, so swap it
        # before parsing (formulas hold no strings, so a textual swap is safe).
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval").body
    except SyntaxError as err:
        raise FormulaError(_("{formula} is not a formula ({reason}); write it with numbers, names, + - * / ^, "
                             "parentheses and sigmoid tanh relu exp log").format(
            formula=shown(text), reason=err.msg)) from None
    except (RecursionError, MemoryError):  # below the limits this should not happen; say so plainly
        raise FormulaError(_("{formula} is nested too deeply to read; split it into several [graph] "
                             "entries").format(formula=shown(text))) from None
    _check(tree, text, known)
    return tree


def names_in(tree: ast.expr) -> list[str]:
    """The names a parsed formula uses, in order of first appearance."""
    seen: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in ops.FUNCTIONS:
            seen.setdefault(node.id)
    return list(seen)


def _check(node: ast.expr, text: str, known: Collection[str]) -> None:
    # An explicit stack: a formula nested a few hundred levels deep must not hit the recursion limit.
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise FormulaError(_("{formula}: {value} is not a number").format(
                    formula=shown(text), value=shown(repr(node.value), 40)))
            if isinstance(node.value, int) and abs(node.value) > 2 ** 1023:  # float() would overflow
                raise FormulaError(_("{formula}: a whole number is too big for a float (at most about "
                                     "1.8e308)").format(formula=shown(text)))
            if isinstance(node.value, float) and node.value - node.value != 0.0:  # 1e999 reads as inf
                raise FormulaError(_("{formula}: a number is too big for a float (at most about 1.8e308)").format(
                    formula=shown(text)))
        elif isinstance(node, ast.Name):
            if node.id not in known:
                raise FormulaError(_unknown_name(node.id, text, list(known)), unknown=node.id)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY and not isinstance(node.op, ast.Pow):
                symbol = _SYMBOL.get(type(node.op), type(node.op).__name__)
                raise FormulaError(_("{formula}: the operator {symbol} is not supported; use + - * / ^ (or "
                                     "**)").format(formula=shown(text), symbol=symbol))
            stack += [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise FormulaError(_("{formula}: only unary minus and plus are supported").format(
                    formula=shown(text)))
            stack.append(node.operand)
        elif isinstance(node, ast.Call):
            func = node.func.id if isinstance(node.func, ast.Name) else None
            if func not in ops.FUNCTIONS:
                called = func or _unparse(node.func)
                hint = difflib.get_close_matches(called, ops.FUNCTIONS, n=1)
                raise FormulaError(_("{formula}: unknown function {called}{hint}; the functions are "
                                     "{functions}").format(
                    formula=shown(text), called=called, functions=", ".join(ops.FUNCTIONS),
                    hint=_(" (did you mean {name}?)").format(name=hint[0]) if hint else ""))
            if len(node.args) != 1 or node.keywords:
                raise FormulaError(_("{formula}: {function}() takes exactly one argument").format(
                    formula=shown(text), function=func))
            stack.append(node.args[0])
        else:
            raise FormulaError(_("{formula}: {part} is not part of a formula; write it with numbers, names, "
                                 "+ - * / ^, parentheses and sigmoid tanh relu exp log").format(
                formula=shown(text), part=_unparse(node)))


def _unparse(node: ast.AST) -> str:
    """A piece of a formula, quoted and shortened, for a message (ast.unparse recurses)."""
    try:
        return shown(ast.unparse(node), 40)
    except RecursionError:
        return _("(a deeply nested expression)")


def _unknown_name(name: str, text: str, known: list[str]) -> str:
    if name in ops.FUNCTIONS:
        return _("{formula}: {name} is a function; call it as {name}(...)").format(formula=shown(text), name=name)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = _(" (did you mean {name}?)").format(name=_(" or ").join(close)) if close else ""
    more = _(", … ({n} more)").format(n=len(known) - 30) if len(known) > 30 else ""
    listed = ", ".join(known[:30]) + more
    return _("{formula}: unknown name {name}{hint}; a formula may use the params, inputs, targets and the graph "
             "entries above it: {names}").format(formula=shown(text), name=name, hint=hint,
                                                 names=listed or _("(none)"))


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
    top = tree
    while isinstance(top, ast.UnaryOp) and isinstance(top.op, ast.UAdd) and not isinstance(top.operand, ast.Constant):
        top = top.operand  # +x is x: the name goes to x's node
    return fold(tree, lambda t, parents: _make(t, parents, env, name if t is top else None))


def fold(tree: ast.expr, combine: Callable[[ast.expr, list[T]], T]) -> T:
    """``combine(t, values of t's sub-expressions)`` for every sub-expression t of a parsed
    formula, children first; the value of ``tree``. Iterative (an explicit stack), so a chain
    of a thousand operators needs no recursion. A chain of three or more ``+`` terms is one
    sub-expression with every term as a child (see ``_children``)."""
    done: dict[int, T] = {}
    stack: list[tuple[ast.expr, list[ast.expr] | None]] = [(tree, None)]
    while stack:
        node, children = stack.pop()
        if children is None:  # first visit: its children go on top, it comes back after them
            children = _children(node)
            if children:
                stack.append((node, children))
                stack.extend((child, None) for child in children)
                continue
        done[id(node)] = combine(node, [done[id(c)] for c in children])
    return done[id(tree)]


_TOKEN = re.compile(r"[\w.]+|[-+*/^(]")


def size(text: str) -> int:
    """About how many nodes a formula makes (its numbers, names, operators and calls),
    counted from the text without parsing it: cheap enough for a quick estimate."""
    return len(_TOKEN.findall(text))


def _children(tree: ast.expr) -> list[ast.expr]:
    """The sub-expressions whose nodes ``tree``'s node is made of."""
    if isinstance(tree, ast.UnaryOp):
        return [] if isinstance(tree.operand, ast.Constant) else [tree.operand]
    if isinstance(tree, ast.Call):
        return [tree.args[0]]
    if isinstance(tree, ast.BinOp):
        if isinstance(tree.op, ast.Add):
            terms = _sum_terms(tree)
            if len(terms) > 2:
                return terms
        return [tree.left, tree.right]
    return []


def _make(tree: ast.expr, parents: list[Node], env: Mapping[str, Node], name: str | None) -> Node:
    """The node of ``tree`` from its children's nodes."""
    if isinstance(tree, ast.Constant):
        return Node.constant(float(tree.value))
    if isinstance(tree, ast.Name):
        return env[tree.id]
    if isinstance(tree, ast.UnaryOp):
        if not parents:  # -2 is a number, not neg(2)
            value = float(tree.operand.value)  # type: ignore[attr-defined]
            return Node.constant(-value if isinstance(tree.op, ast.USub) else value)
        if isinstance(tree.op, ast.UAdd):
            return parents[0]
        return apply(ops.NEG, parents[0], name=name)
    if isinstance(tree, ast.Call):
        return apply(ops.FUNCTIONS[tree.func.id], parents[0], name=name)  # type: ignore[attr-defined]
    assert isinstance(tree, ast.BinOp)
    if len(parents) > 2:
        return apply(ops.SUM, *parents, name=name)
    if isinstance(tree.op, ast.Pow):
        return power(parents[0], parents[1], name=name)
    return apply(_BINARY[type(tree.op)], parents[0], parents[1], name=name)


def _sum_terms(tree: ast.expr) -> list[ast.expr]:
    """a + b + c parses as (a + b) + c: collect the terms of the whole chain."""
    terms = []
    while isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Add):
        terms.append(tree.right)
        tree = tree.left
    terms.append(tree)
    return terms[::-1]
