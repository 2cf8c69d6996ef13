"""``Node``: one scalar of a computation, with its value, its gradient, its parents and
the op that made it.

A node made by the user (``Node(0.2, name="w1")``) is a leaf that receives a gradient,
as in micrograd; plain numbers mixed into formulas become constants, which get no
gradient work. Nodes are slotted and hold no closures, so a graph is a plain DAG that
Python frees by reference counting alone (no cycles for the garbage collector to chase).

This module and graph.py are compiled to C by mypyc at install where a C compiler is found
(setup.py; native.py decides which runs): hence the exact type annotations, and ``other:
object`` on the operators, so that a wrong operand reaches ``_real``'s message.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterable

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # its hints speak only to mypyc (setup.py), so without it they change nothing
    def mypyc_attr(**_hints: bool) -> Callable[[type], type]:  # type: ignore[misc]
        return lambda cls: cls

from ..i18n import N_, _
from . import ops
from .ops import DomainError, Op


@mypyc_attr(native_class=False)  # an exception: a plain Python class, compiled or not
class NumericError(ArithmeticError):
    """A value or gradient left the real numbers; the message names the node."""


Number = int | float  # any numbers.Real is accepted (numpy scalars included); these are the usual ones


@mypyc_attr(allow_interpreted_subclasses=True)  # scalarnet.micrograd's Value is a Node
class Node:
    # ``seq`` numbers the op results in the order they were made (parents always before their
    # children, so sorting by it gives a topological order without a depth-first walk; it is
    # also the node's place on the tape, below); leaves have -1. ``mark`` says which walk the
    # node's ``grad`` belongs to: an op result that needs a gradient is made with the tape's
    # mark, and backward compares marks instead of looking nodes up (graph.py).
    # value, grad, name and requires_grad are properties over these fields, so that what is
    # assigned to them from outside is checked and converted the same way in both builds (the
    # compiled one would refuse a numpy int with mypyc's words, the Python one take a string);
    # the engine itself uses the fields.
    __slots__ = ("_value", "_grad", "parents", "op", "_name", "_requires_grad", "seq", "mark")

    def __init__(self, value: object, name: object = None, *, label: object = None,
                 requires_grad: object = True) -> None:
        """``value``: any real number (int, float, numpy scalars, Fraction: any numbers.Real but
        bool), kept as a float. ``label`` is micrograd's word for ``name`` (either may be given;
        '' means unnamed). The parameters are ``object`` so that a wrong one reaches our message
        in the compiled build too."""
        node_name = _name_of(name, "name") or _name_of(label, "label")
        real = _real(value, node_name)
        if real - real != 0.0:  # inf - inf and nan - nan are nan
            raise NumericError(_("node {name}: value {value} is not a finite number").format(
                name=node_name or _("(unnamed)"), value=repr(real)))
        self._value = real
        self._grad = 0.0
        self.parents: tuple[Node, ...] = ()
        self.op: Op | None = None
        self._name = node_name
        self._requires_grad = _flag(requires_grad)
        self.seq = -1
        self.mark: object = None

    @classmethod
    def constant(cls, value: object, name: object = None) -> Node:
        """A leaf that takes part in the computation but never receives a gradient."""
        return cls(value, name, requires_grad=False)

    @property
    def value(self) -> float:
        return self._value

    @value.setter
    def value(self, value: object) -> None:
        self._value = _real(value, self._name)

    @property
    def grad(self) -> float:
        return self._grad

    @grad.setter
    def grad(self, grad: object) -> None:
        self._grad = _real(grad, self._name, A_GRADIENT)

    @property
    def name(self) -> str | None:
        return self._name

    @name.setter
    def name(self, name: object) -> None:
        self._name = _name_of(name, "name")

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad: object) -> None:
        self._requires_grad = _flag(requires_grad)

    @property
    def is_leaf(self) -> bool:
        """Made by the user or a constant, not by an op (PyTorch's ``is_leaf``)."""
        return self.op is None

    def display_name(self) -> str:
        """The node's name, or else its formula: what error messages and views call it."""
        return self._name if self._name is not None else formula(self)

    # micrograd's names for the same things: ``x.data`` is ``x.value``, ``x.label`` is ``x.name``
    @property
    def data(self) -> float:
        return self._value

    @data.setter
    def data(self, value: object) -> None:
        self._value = _real(value, self._name)

    @property
    def label(self) -> str | None:
        return self._name

    @label.setter
    def label(self, name: object) -> None:
        self._name = _name_of(name, "label")

    def __repr__(self) -> str:
        name = f"{self.name}, " if self.name else ""
        kind = "" if self.op is None else f", op={self.op.name}"
        return f"Node({name}value={self.value:.6g}, grad={self.grad:.6g}{kind})"

    # -- graph-wide conveniences (the work is in graph.py) -------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with d(self)/d(node).

        Leaves accumulate (as in PyTorch: a second call without ``zero_grad`` adds the
        same gradient again); interior nodes are recomputed from scratch on every call."""
        from .graph import backward

        backward(self)

    def zero_grad(self) -> None:
        """Set the gradient of this node and of everything it depends on to zero."""
        from .graph import topological_order, zero_grad

        zero_grad(topological_order(self))

    def parameters(self) -> list[Node]:
        """The leaves below this node that receive gradients, in first-use order."""
        from .graph import topological_order

        return [n for n in topological_order(self) if n.op is None and n.requires_grad]

    # -- operators -----------------------------------------------------------------
    # The hot path of every eager loop: each operator computes its value inline and makes
    # its node with one call (``_binary``/``_unary``), the numbers met on either side
    # become constants. The result has the class of the node it is called on, so that a
    # subclass (scalarnet.micrograd's ``Value``) gets its own kind back.
    def __add__(self, other: object) -> Node:
        b = other if isinstance(other, Node) else _constant(other)
        return _binary(self.__class__, ops.ADD, self._value + b._value, self, b)

    def __radd__(self, other: object) -> Node:
        a = _constant(other)
        return _binary(self.__class__, ops.ADD, a._value + self._value, a, self)

    def __sub__(self, other: object) -> Node:
        b = other if isinstance(other, Node) else _constant(other)
        return _binary(self.__class__, ops.SUB, self._value - b._value, self, b)

    def __rsub__(self, other: object) -> Node:
        a = _constant(other)
        return _binary(self.__class__, ops.SUB, a._value - self._value, a, self)

    def __mul__(self, other: object) -> Node:
        b = other if isinstance(other, Node) else _constant(other)
        return _binary(self.__class__, ops.MUL, self._value * b._value, self, b)

    def __rmul__(self, other: object) -> Node:
        a = _constant(other)
        return _binary(self.__class__, ops.MUL, a._value * self._value, a, self)

    def __truediv__(self, other: object) -> Node:
        return apply(ops.DIV, self, as_node(other), cls=self.__class__)

    def __rtruediv__(self, other: object) -> Node:
        return apply(ops.DIV, _constant(other), self, cls=self.__class__)

    def __pow__(self, other: object) -> Node:
        return power(self, as_node(other), cls=self.__class__)

    def __rpow__(self, other: object) -> Node:
        return power(_constant(other), self, cls=self.__class__)

    def __neg__(self) -> Node:
        return _unary(self.__class__, ops.NEG, -self._value, self)

    def __pos__(self) -> Node:
        return self

    def sigmoid(self) -> Node:
        return apply(ops.SIGMOID, self, cls=self.__class__)

    def tanh(self) -> Node:
        return _unary(self.__class__, ops.TANH, math.tanh(self._value), self)

    def relu(self) -> Node:
        v = self._value
        return _unary(self.__class__, ops.RELU, v if v > 0.0 else 0.0, self)

    def exp(self) -> Node:
        return apply(ops.EXP, self, cls=self.__class__)

    def log(self) -> Node:
        return apply(ops.LOG, self, cls=self.__class__)


_new = Node.__new__  # a node with no attributes set yet: the operators set them all


# -- the tape ----------------------------------------------------------------------
# Every op result is appended, as it is made, to the tape (a Wengert list): the nodes in the
# order they were made, so the tape up to a root, read backwards, is a topological order of
# everything the root may depend on, found without a search or a sort. backward() walks it
# (graph.py) and then forgets the part it walked, so that the tape does not keep the step's
# graph alive. A loop that never calls backward (inference) would grow it without end: past
# TAPE_LIMIT nodes the tape is dropped, and backward finds what fell off it by a search.
# Nodes made with the tape's current ``_tape_mark`` are on it; whenever nodes leave it, the
# mark changes, so a node that is no longer on the tape is told apart by its mark alone.
# One tape per process: scalarnet's graphs are not meant to be built from several threads.
TAPE_LIMIT = 200_000
_tape: list[Node] = []
_record = _tape.append
_tape_mark = object()
_tape_base = 0  # the seq of _tape[0]: a node with seq s is at _tape[s - _tape_base]
_tape_end = TAPE_LIMIT  # the seq at which the tape is dropped
_next_seq = itertools.count().__next__


def recorded_through(root: Node) -> tuple[list[Node], object, int] | None:
    """(the tape from its start through ``root``, oldest first; the tape's mark; the seq of its
    first node), or None when ``root`` is not on the tape (walked already, or dropped)."""
    k = root.seq - _tape_base
    if k < 0 or k >= len(_tape) or _tape[k] is not root:
        return None
    return (_tape if k == len(_tape) - 1 else _tape[:k + 1]), _tape_mark, _tape_base


def forget_through(root: Node) -> None:
    """Take ``root`` and every node made before it off the tape, if ``root`` is on it
    (backward has walked them, or a ``Graph`` keeps them)."""
    global _tape_mark, _tape_base
    k = root.seq - _tape_base + 1
    if k <= 0 or k > len(_tape) or _tape[k - 1] is not root:
        return
    del _tape[:k]
    _tape_base += k
    _tape_mark = mark = object()
    for node in _tape:  # the nodes made after root stay on the tape, under its new mark
        if node.mark is not None:
            node.mark = mark


def _restart_tape() -> None:
    """Drop the whole tape (it reached TAPE_LIMIT nodes without a backward)."""
    global _tape_mark, _tape_base, _tape_end
    _tape_base += len(_tape)
    _tape_end = _tape_base + TAPE_LIMIT
    _tape.clear()
    _tape_mark = object()


def _binary(cls: type, op: Op, value: float, a: Node, b: Node) -> Node:
    """The node ``op(a, b)`` whose value the caller computed (checked here: a non-finite
    value is evaluated again by ``evaluate``, whose error names the node)."""
    if value - value != 0.0:
        evaluate(op, (a, b))  # raises
    return _result(cls, op, value, (a, b), a._requires_grad or b._requires_grad)


def _unary(cls: type, op: Op, value: float, a: Node) -> Node:
    if value - value != 0.0:
        evaluate(op, (a,))  # raises
    return _result(cls, op, value, (a,), a._requires_grad)


def _result(cls: type, op: Op, value: float, parents: tuple[Node, ...], requires_grad: bool,
            name: str | None = None) -> Node:
    """A new op result (a ``cls``), on the tape; its value is checked already."""
    node: Node = _new(cls)
    node._value = value
    node._grad = 0.0
    node.parents = parents
    node.op = op
    node._name = name
    node._requires_grad = requires_grad
    node.mark = _tape_mark if requires_grad else None
    node.seq = seq = _next_seq()
    _record(node)
    if seq >= _tape_end:
        _restart_tape()
    return node


A_VALUE, A_GRADIENT = N_("a value"), N_("a gradient")  # what _real was given a number for (translated on error)


def _real(x: object, name: str | None = None, what: str = A_VALUE) -> float:
    """``x`` as a float when it is a real number (int, float, numpy scalars, Fraction: any
    numbers.Real but bool), else a TypeError that says what was given (``what``: as what;
    default a value). An int too big for a float is a NumericError."""
    if x.__class__ is float:
        return x  # type: ignore[return-value]  # the hot path: most values are floats already
    if x.__class__ is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        try:
            return float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise NumericError(_("{where}{value} is too big for a float (beyond ±1.8e308)").format(
                where=_("node {name}: ").format(name=name) if name else "", value=_short(repr(x)))) from None
    where = _("node {name}: ").format(name=name) if name else ""
    raise TypeError(where + _("cannot use {type} {value} as {what}: expected a Node or a real number (int, float, "
                              "numpy scalar)").format(type=type(x).__name__, value=_short(repr(x)),
                                                      what=_(what)))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _name_of(name: object, what: str) -> str | None:
    """A node's name: a string, or None (as is ''); anything else is a TypeError."""
    if name is None or name.__class__ is str:
        return name or None  # type: ignore[return-value]
    if isinstance(name, str):
        return str(name) or None
    raise TypeError(_("{what}={value}: a node's name is a string (or None), not {type}").format(
        what=what, value=_short(repr(name)), type=type(name).__name__))


def _flag(requires_grad: object) -> bool:
    if requires_grad is True or requires_grad is False:
        return requires_grad  # type: ignore[return-value]
    raise TypeError(_("requires_grad={value}: expected True or False").format(value=_short(repr(requires_grad))))


def _constant(x: object) -> Node:
    """A number met in a formula, as a constant leaf."""
    node: Node = _new(Node)
    node._value = value = _real(x)
    if value - value != 0.0:
        raise NumericError(_("constant {value} in a formula is not a finite number").format(value=repr(value)))
    node._grad = 0.0
    node.parents = ()
    node.op = None
    node._name = None
    node._requires_grad = False
    node.seq = -1
    node.mark = None
    return node


def as_node(x: object) -> Node:
    """Nodes pass through; real numbers become constants."""
    return x if isinstance(x, Node) else _constant(x)


def evaluate(op: Op, parents: tuple[Node, ...], name: str | None = None) -> float:
    """Run ``op`` on the parents' values; a domain error or a non-finite result is
    reported as a ``NumericError`` that names the node."""
    try:
        # One and two parents are nearly every node: pass their values without building
        # an argument list (which would cost five times the op itself).
        n = len(parents)
        if n == 2:
            value = op.forward(parents[0]._value, parents[1]._value)
        elif n == 1:
            value = op.forward(parents[0]._value)
        else:
            value = op.forward(*[p._value for p in parents])
    except DomainError as err:
        raise NumericError(_("{node}: {problem}").format(node=_describe(op, parents, name), problem=err)) from None
    if value - value != 0.0:
        raise NumericError(_("{node}: the value {value} is not finite").format(node=_describe(op, parents, name),
                                                                               value=repr(value)))
    return value


def apply(op: Op, *parents: Node, name: str | None = None, cls: type = Node) -> Node:
    """The node ``op(*parents)``, with its value computed now (a ``cls``, a Node by default)."""
    requires_grad = False
    for parent in parents:  # a plain loop: any() over a generator costs more than the op
        if parent._requires_grad:
            requires_grad = True
            break
    return _result(cls, op, evaluate(op, parents, name), parents, requires_grad, name)


def power(base: Node, exponent: Node, name: str | None = None, cls: type = Node) -> Node:
    if exponent._requires_grad and base._value <= 0.0:
        raise NumericError(
            _("{node}: a power with a trainable exponent needs a positive base (d/de bᵉ = bᵉ·ln b), got base "
              "{value}").format(node=_describe(ops.POW, (base, exponent), name), value=repr(base._value))
        )
    return apply(ops.POW, base, exponent, name=name, cls=cls)


def sum_nodes(terms: Iterable[Node | Number], name: str | None = None) -> Node:
    """One n-ary sum node over ``terms`` (a single term is returned as it is)."""
    parents = tuple(as_node(t) for t in terms)
    if not parents:
        raise ValueError(_("sum_nodes needs at least one term"))
    if len(parents) == 1 and name is None:
        return parents[0]
    return apply(ops.SUM, *parents, name=name)


def formula(node: Node, depth: int = 4) -> str:
    """A node written as a formula of its named ancestors (for messages and labels)."""
    if node.op is None or depth == 0:
        return node.name if node.name is not None else _number(node._value)
    return node.op.format_value(_operands(node.op, node.parents, depth - 1))


def _operands(op: Op, parents: tuple[Node, ...], depth: int) -> list[str]:
    # A function's own parentheses suffice: ln(x − 3), not ln((x − 3)).
    bare = op.arity == 1 and "({0})" in op.value_template[0]
    return [_operand(p, depth, bare) for p in parents]


def _operand(node: Node, depth: int, bare: bool = False) -> str:
    if node.name is not None or node.op is None:
        return node.name if node.name is not None else _number(node._value)
    text = formula(node, depth)
    return f"({text})" if not bare and (node.op.arity != 1 or node.op is ops.NEG) else text


def _number(v: float) -> str:
    return f"{v:.6g}"


def _describe(op: Op, parents: tuple[Node, ...], name: str | None) -> str:
    shown = op.format_value(_operands(op, parents, 3))
    values = ", ".join(f"{p.display_name()} = {p._value!r}" for p in parents if p.name is not None or p.op is not None)
    head = _("node {name} = {formula}").format(name=name, formula=shown) if name else _("node {formula}").format(
        formula=shown)
    return _("{node} (with {values})").format(node=head, values=values) if values else head
