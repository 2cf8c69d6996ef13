"""micrograd's ``Value`` as a scalarnet node.

micrograd stores a closure per node (``_backward``) and a set of children (``_prev``);
here those are read off the node's op and parents when asked for, so a ``Value`` is a
slotted ``Node`` (no closures, no reference cycles) that behaves as micrograd's does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..core import ops
from ..core.graph import apply_local_rule
from ..core.node import Node, Number, power
from ..i18n import _

# micrograd's ``_op`` strings, for the ops it makes
_SYMBOLS = {ops.ADD: "+", ops.SUB: "-", ops.MUL: "*", ops.DIV: "/", ops.NEG: "neg", ops.RELU: "ReLU",
            ops.TANH: "tanh", ops.EXP: "exp", ops.SIGMOID: "sigmoid", ops.LOG: "log", ops.SUM: "sum"}


class Value(Node):
    """stores a single scalar value and its gradient (micrograd's docstring, and its signature:
    ``Value(data, _children=(), _op='', label='')``)."""

    __slots__ = ()

    def __init__(self, data: Number, _children: Iterable[Node] = (), _op: str = "", label: str = "") -> None:
        if tuple(_children):
            raise TypeError(f"Value({data!r}, _children=...): " + _(
                "scalarnet makes a node's children from its op; build it with the operators (+ - * / **) or "
                ".relu(), .tanh(), .exp() instead"))
        super().__init__(data, label=label)

    # micrograd's inner attributes, computed from the node
    @property
    def _prev(self) -> set[Node]:
        return set(self.parents)

    @property
    def _op(self) -> str:
        if self.op is ops.POW:
            return f"**{self.parents[1].value:g}"
        return "" if self.op is None else _SYMBOLS.get(self.op, self.op.name)

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's local rule as a function, as micrograd's closure: calling it adds
        ``self.grad`` · ∂self/∂child to each child's grad (the lecture's ``o._backward()``)."""
        return lambda: apply_local_rule(self)

    # micrograd computes these from ``*`` and ``**``; so do we, for the same numbers
    def __truediv__(self, other: Node | Number) -> Node:  # self * other**-1
        return self * other**-1

    def __rtruediv__(self, other: Number) -> Node:  # other * self**-1
        return other * self**-1

    def __pow__(self, other: Node | Number) -> Node:
        if isinstance(other, Node):
            raise TypeError("Value ** Value: " + _("only int/float powers are supported, as in micrograd"))
        return power(self, Node.constant(other), cls=Value)

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"
