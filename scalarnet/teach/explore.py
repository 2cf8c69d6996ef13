"""Views of graphs built in Python: the picture, the derivation, the step-through page and
the backward pass walked by hand, for any root node (plain ``Node``s or
``scalarnet.micrograd`` ``Value``s).

    >>> import scalarnet
    >>> scalarnet.draw(loss)                    # a graphviz.Digraph (Jupyter shows it)
    >>> print(scalarnet.derive(loss, w1))       # the chain rule, path by path; .markdown(), .latex()
    >>> scalarnet.viewer(loss).save("walk.html")
    >>> for step in scalarnet.walk(loss):       # the lecture's o._backward(), n._backward(), ...
    ...     print(step)

Every view shows ∂root/∂node computed afresh from the current values; the nodes' own
``grad`` are left as they were. Nodes without a name are named from their formula
(``a·b + c``), leaves by their value; a formula longer than ``MAX_FORMULA`` characters
is called ``n<k>`` (its place in the graph) instead.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from ..analysis.derive import Derivation as _Derivation
from ..analysis.derive import StepDerivations
from ..core.graph import Graph, apply_local_rule, topological_order
from ..core.infix import needs_brackets, operand, precedence_of
from ..core.node import Node
from ..i18n import _
from ..views import derivation as derivation_view
from ..views import render
from ..views.diagram import diagram
from ..views.diagram.subject import from_node
from ..views.table import number, shown

MAX_FORMULA = 32

__all__ = ["Derivation", "Page", "WalkStep", "derive", "draw", "formula_names", "viewer", "walk"]


# -- names ---------------------------------------------------------------------------------------
def formula_names(root: Node) -> dict[int, str]:
    """id(node) -> what the views call it: its name, else its formula in its parents' names,
    bracketed where precedence needs it (``(v1·v2 + v3)·v4``, the shared printer of
    core/infix.py). A leaf that takes a gradient is ``v1``, ``v2``, … in the order the graph
    meets them; constants (leaves without a gradient) stay numbers in the formulas and get no entry."""
    names: dict[int, str] = {}
    taken = {n.name for n in topological_order(root) if n.name is not None}
    leaves = 0
    for k, node in enumerate(topological_order(root)):
        if node.name is not None:
            names[id(node)] = node.name
            continue
        if node.op is None:
            if not node.requires_grad:
                continue
            leaves += 1
            name = f"v{leaves}"
        else:
            name = node.op.format_value(_operands(node, names))
            if len(name) > MAX_FORMULA:
                name = f"n{k}"
        while name in taken:  # a name the user gave already
            name += "′"
        taken.add(name)
        names[id(node)] = name
    return names


def _operands(node: Node, names: dict[int, str]) -> list[str]:
    """The texts of ``node``'s operands (names, or numbers for constants), each bracketed where
    precedence needs it inside ``node``'s op."""
    texts = [names.get(id(p), number(p.value)) for p in node.parents]
    return [f"({t})" if needs_brackets(node.op.name, i, precedence_of(t)) else t for i, t in enumerate(texts)]


@contextmanager
def _named_and_derived(root: Node, also: tuple[Node, ...] | None = None) -> Iterator[dict[int, str]]:
    """While inside: every node named (``formula_names``) and every grad = ∂root/∂node.
    Afterwards the names and gradients are what they were. With ``also``, the unnamed op
    nodes stay unnamed but the root and those in ``also`` (a derivation folds the others
    into the factors of the named nodes around them)."""
    order = topological_order(root)
    names = formula_names(root)
    named = {id(n) for n in order if also is None or n.op is None or n is root or any(n is a for a in also)}
    before = [(n, n.name, n.grad) for n in order]
    try:
        for n in order:
            if id(n) in named:
                n.name = names.get(id(n), n.name)
            n.grad = 0.0
        Graph(root, order).backward()
        yield names
    finally:
        for n, name, grad in before:
            n.name, n.grad = name, grad


def _node_of(root: Node, wrt: Node | str, names: dict[int, str]) -> Node:
    order = topological_order(root)
    if isinstance(wrt, Node):
        if not any(n is wrt for n in order):
            raise ValueError(f"{names.get(id(wrt), wrt.display_name())} is not in the graph of "
                             f"{names[id(root)]}: derive needs a node that the root depends on")
        if id(wrt) not in names:
            raise ValueError(f"the constant {wrt.display_name()} gets no gradient; derive with respect to a "
                             "Value/Node made by the user or by an op")
        return wrt
    found = [n for n in order if names.get(id(n)) == wrt]
    if not found:
        known = ", ".join(names[id(n)] for n in order if n.op is None and id(n) in names)
        raise KeyError(f"no node named {wrt!r} in the graph of {names[id(root)]}; its leaves are {known}")
    return found[0]


# -- draw ----------------------------------------------------------------------------------------
def draw(root: Node, level: str | None = None, *, phase: str = "backward", param: str | None = None,
         symbolic: bool = False) -> graphviz.Digraph:
    """micrograd's ``draw_dot``, with names, the local partial and share on every arrow and
    the gradient as the sum of its shares: the diagram of ``scalarnet step`` for any graph.
    ``level``: primitive, named, neuron or layer (default: the finest readable one);
    ``phase``: forward, backward or update; ``param``: a parameter whose paths to highlight."""
    with _named_and_derived(root):
        return diagram(root, level=level, phase=phase, param=param, symbolic=symbolic)


# -- derive --------------------------------------------------------------------------------------
@dataclass
class Derivation:
    """∂root/∂wrt as the chain rule gives it: the paths through the named nodes, each a product
    of local partials, and their sum, checked against the engine. ``print`` shows the text."""

    derivation: _Derivation

    @property
    def value(self) -> float:
        """The sum over the paths (equal to the engine's gradient: ``derivation.agrees``)."""
        return self.derivation.total

    def __str__(self) -> str:
        return derivation_view.text(self.derivation)

    def markdown(self) -> str:
        return derivation_view.markdown(self.derivation)

    def latex(self) -> str:
        return derivation_view.latex(self.derivation)

    def _repr_markdown_(self) -> str:
        return self.markdown()


def derive(root: Node, wrt: Node | str, max_paths: int = 64) -> Derivation:
    """The derivation of ∂root/∂wrt; ``wrt`` is a node of root's graph or its name."""
    names = formula_names(root)
    node = _node_of(root, wrt, names)
    with _named_and_derived(root, also=(node,)):
        return Derivation(_derivations(root).derive(names[id(node)], max_paths))


def _derivations(root: Node) -> StepDerivations:
    """Inside ``_named_and_derived``: the derivations of root's graph, every node named
    there a possible ``wrt``."""
    nodes = {n.name: n for n in topological_order(root) if n.name is not None and n is not root}
    return StepDerivations.of_graph(root, nodes)


# -- walk ----------------------------------------------------------------------------------------
@dataclass
class WalkStep:
    """One node's turn in the backward pass: its gradient is complete, and its local rule has
    just sent ``grad · ∂node/∂parent`` to each parent."""

    index: int  # counted from 1
    node: Node
    name: str
    formula: str  # the node as its op applied to its parents' names
    grad: float  # ∂root/∂node
    # per parent: (its name, ∂node/∂parent as a rule, its value, the share sent, the parent's grad now)
    sent: list[tuple[str, str, float, float, float]]

    def __str__(self) -> str:
        head = f"{self.index}. {self.name}" + (f" = {self.formula}" if self.formula != self.name else "")
        lines = [f"{head}   " + _("(grad {value})").format(value=number(self.grad))]
        for parent, rule, local, share, total in self.sent:
            lines.append(f"   {operand(parent)}.grad += {number(self.grad)} × ∂{operand(self.name)}/∂{operand(parent)} "
                         f"[{rule} = {number(local)}] = {number(share)}   → {number(total)}")
        return shown("\n".join(lines))  # the names as every view writes them (views/typography.py)


def walk(root: Node) -> Iterator[WalkStep]:
    """The backward pass, one node at a time, as the lecture runs it by hand (``o.grad = 1.0;
    o._backward(); n._backward(); …``): every gradient is set to zero, ``root.grad`` to 1,
    then each step applies one node's local rule, in the order ``backward()`` visits them
    (``Graph.backward_walk``). After the last step every ``grad`` is ∂root/∂node, as
    ``root.backward()`` leaves it on a fresh graph.

        >>> for step in scalarnet.walk(o):
        ...     print(step)
    """
    graph = Graph(root)
    names = formula_names(root)
    graph.zero_grad()
    root.grad = 1.0
    index = 0
    for node in graph.backward_walk():
        if node.op is None:
            continue
        index += 1
        operands = _operands(node, names)
        local = node.op.local_grads(node.value, *[p.value for p in node.parents])
        rules = {id(p): (node.op.format_partial(i, operands, operand(names[id(node)])), local[i])
                 for i, p in enumerate(node.parents)}
        sent = [(names[id(p)], *rules[id(p)], share, p.grad) for p, share in apply_local_rule(node)]
        yield WalkStep(index, node, names[id(node)], node.op.format_value(operands), node.grad, sent)


# -- the step-through page -----------------------------------------------------------------------
@dataclass
class Page:
    """The step-through page of a graph: ``save(path)`` writes it, Jupyter shows it inline."""

    html: str
    viewer: Any = None  # the views.viewer.Viewer behind the page

    def widget(self) -> object:
        """The same frames as a notebook widget (ipywidgets), or the page where it is missing."""
        from ..views.viewer import display

        return display(self.viewer)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        render.write_atomic(path, self.html.encode("utf-8"))
        return path

    def _repr_html_(self) -> str:
        page = html.escape(self.html, quote=True)
        return f'<iframe srcdoc="{page}" style="width: 100%; height: 760px; border: 0"></iframe>'


def viewer(root: Node, param: str | None = None, title: str = "") -> Page:
    """The step-through page of ``scalarnet viewer`` for a graph built in Python: the forward
    values, then one frame per node of the backward walk, beside the table of values and
    gradients and the derivation of each parameter (``param``'s paths and derivation shown from
    the start; without it, none until the reader picks one)."""
    from ..views import viewer as page

    with _named_and_derived(root) as names:
        subject = from_node(root, title)
        params = subject.param_names()
        if param is not None and param not in params:
            raise KeyError(f"{param!r} is not a parameter of the graph; the parameters are {', '.join(params)}")
        chosen = ([param] if param else []) + [p for p in params if p != param][: page.MAX_DERIVED - 1]
        derivations = _derivations(root)
        ds = {p: derivations.derive(p) for p in chosen}
        shown = page.assemble(title or _("the graph of {name}").format(name=names[id(root)]), chosen, [(subject, ds)],
                              param=param)
        return Page(page.to_html(shown), shown)
