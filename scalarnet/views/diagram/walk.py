"""The backward walk replayed box by box, for frames: the walker visits the nodes in the
textbook's order (``Graph.backward_walk``: layer by layer from the loss, by longest distance
from it, ties in the file's order of names, a reverse topological order); at each visit the
node's gradient is complete and it passes its shares down its arrows. The replay recomputes
every gradient from the arrows' partials, so it never touches the engine's state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ...core.node import Node
from .levels import Structure
from .subject import Subject


@dataclass
class WalkState:
    """The gradients known when the walker is at one node (a ``Gradients`` view)."""

    known: dict[int, float]  # id(node) -> the gradient so far
    visited: set[int]

    def grad(self, node: Node) -> float | None:
        return self.known.get(id(node)) if node.requires_grad else None

    def final(self, node: Node) -> bool:
        return id(node) in self.visited

    def sent(self, node: Node) -> bool:
        return id(node) in self.visited


def walk_order(subject: Subject, st: Structure) -> list[Node]:
    """The boxes of this level in the order the backward pass visits them."""
    return [n for n in subject.walk if id(n) in st.keys]


def replay(subject: Subject, st: Structure) -> Iterator[tuple[Node, WalkState]]:
    links_into: dict[int, list] = {}
    for link in st.links:
        links_into.setdefault(id(link.child), []).append(link)
    known = {id(subject.top): 1.0}
    visited: set[int] = set()
    for node in walk_order(subject, st):
        visited.add(id(node))
        g = known.get(id(node), 0.0)
        for link in links_into.get(id(node), ()):
            if link.parent.requires_grad:
                known[id(link.parent)] = known.get(id(link.parent), 0.0) + g * link.partial
        yield node, WalkState(dict(known), set(visited))
