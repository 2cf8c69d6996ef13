"""What a diagram draws: the node graph of one example at one training step, with the
names and roles of its nodes. Made from an ``Exercise`` (the usual case) or from any
root ``Node`` (a graph built by hand, micrograd style)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.graph import Graph, topological_order
from ...core.node import Node
from ...engines.scalar import Exercise

ROLES = ("param", "input", "target", "node", "loss", "op", "const")


@dataclass
class Subject:
    root: Node  # the loss of the example shown
    names: dict[int, list[str]]  # id(node) -> its names (a formula that is a bare name aliases a node)
    roles: dict[int, str]  # id(node) -> one of ROLES
    loss_name: str
    title: str = ""
    walk: list[Node] = field(default_factory=list)  # the order the backward pass visits nodes
    batch_loss: Node | None = None  # the mean over the batch, when the batch has several examples
    batch_size: int = 1
    example: int = 0  # which example of the data set is shown
    step: int | None = None
    learning_rate: float | None = None
    updated: dict[str, float] = field(default_factory=dict)  # param -> its value after the update
    members: list[Node] = field(default_factory=list)  # the root's graph, parents first
    _ranks: dict[int, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.members:
            self.members = topological_order(self.root)

    def name(self, node: Node) -> str | None:
        found = self.names.get(id(node))
        return found[0] if found else None

    def role(self, node: Node) -> str:
        return self.roles.get(id(node)) or ("const" if node.op is None else "op")

    @property
    def top(self) -> Node:
        """The node every gradient is of: the batch loss, or the example's loss."""
        return self.batch_loss if self.batch_loss is not None else self.root

    @property
    def loss_symbol(self) -> str:
        return "L" if self.batch_loss is not None else self.loss_name

    def file_rank(self, node: Node | None) -> int:
        """The place of the node's first name in the exercise file; unnamed nodes after all
        names, in the graph's order."""
        if self._ranks is None:
            self._ranks = {key: k for k, key in enumerate(self.names)}
            self._ranks.update({id(n): len(self.names) + k for k, n in enumerate(self.members)
                                if id(n) not in self.names})
        return self._ranks.get(id(node), len(self._ranks)) if node is not None else len(self._ranks)

    def param(self, name: str) -> Node | None:
        for node in self.members:
            if node.op is None and node.requires_grad and name in self.names.get(id(node), ()):
                return node
        return None

    def param_names(self) -> list[str]:
        """In the exercise's order (the order of ``names``)."""
        return [names[0] for key, names in self.names.items() if self.roles.get(key) == "param"]


def from_exercise(ex: Exercise, step: int = 1, example: int = 0) -> Subject:
    """Training step ``step`` as ``scalarnet step --json`` numbers it: its forward values and
    gradients before its update, ``updated`` holding what the update gives."""
    ex.advance_to(step)
    record, batch = ex.run_step(update=False)
    if not 0 <= example < len(batch.slots):
        raise ValueError(f"step {step} has {len(batch.slots)} example(s) in its batch; "
                         f"choose --example from 0 to {len(batch.slots) - 1}")
    slot = batch.slots[example]
    names: dict[int, list[str]] = {}
    roles: dict[int, str] = {}
    for name, node in slot.items():
        names.setdefault(id(node), []).append(name)
        roles.setdefault(id(node), ex.role(name))
    roles[id(slot[ex.loss_name])] = "loss"
    several = len(batch.slots) > 1
    return Subject(
        root=slot[ex.loss_name], names=names, roles=roles, loss_name=ex.loss_name, title=ex.title,
        walk=batch.graph.backward_walk(list(slot)), batch_loss=batch.loss if several else None,
        batch_size=len(batch.slots), example=record.examples[example], step=record.step,
        learning_rate=record.learning_rate, updated={k: v for k, v in record.params.items() if k in record.trainable},
    )


def from_node(root: Node, title: str = "") -> Subject:
    """Any graph: named leaves that take gradients are params, other named leaves inputs."""
    order = topological_order(root)
    names = {id(n): [n.name] for n in order if n.name is not None}
    roles = {}
    for n in order:
        if n.name is None:
            continue
        roles[id(n)] = ("param" if n.requires_grad else "input") if n.op is None else "node"
    roles[id(root)] = "loss"
    return Subject(root=root, names=names, roles=roles, loss_name=root.name or "f", title=title,
                   walk=Graph(root).backward_walk(), members=order)
