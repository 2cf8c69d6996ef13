"""The stated limits (README "Limits"), checked before anything is built."""

from __future__ import annotations

from ..i18n import _, ngettext
from . import formula
from .model import ExerciseSpec, SpecError
from .reader import Reader, size_text

MAX_PARAMETERS = 1_000_000  # of a [network]
MAX_SCALAR_NODES = 2_000_000  # scalar nodes in the graph of one batch (the scalar and compiled engines)
MAX_MATRIX_BYTES = 2 * 2**30  # the matrix engine's arrays for one batch
# derive and compare write out or check every named node of a batch in Python, at some 30 µs a
# node: this many is about 20 s (Iris's full batch, 651,360 nodes, is within it)
MAX_ANALYSED_NODES = 700_000
# render and the step viewer draw one example: past this many nodes a picture is neither readable
# nor quick to make ([1, 6000, 1] is within it)
MAX_DRAWN_NODES = 50_000


def check_matrix_memory(r: Reader, spec: ExerciseSpec) -> None:
    """Refuse a [network] whose arrays for one batch cannot fit, even on the matrix engine."""
    if spec.network is None:
        return
    batch = spec.train.batch or spec.n_examples
    needed = matrix_bytes(spec.network.sizes, batch)
    if needed > MAX_MATRIX_BYTES:
        raise r.error("[network] sizes", _(
            "one batch of {batch} examples through {sizes} needs about {needed} of arrays, over the limit "
            "of {limit}; use a smaller [train] batch (batch = 1) or fewer examples").format(
            batch=f"{batch:,}", sizes=spec.network.sizes, needed=size_text(needed), limit=size_text(MAX_MATRIX_BYTES)))


def matrix_bytes(sizes: list[int], batch: int) -> int:
    """About the memory of the matrix engine's arrays: the weights (with their gradients and
    velocities) and, per example of a batch, each layer's net inputs, activations and gradients."""
    weights = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    return 8 * (3 * weights + 4 * batch * sum(sizes))


def scalar_nodes(spec: ExerciseSpec) -> int:
    """About how many scalar nodes the graph of one batch has (an estimate from the spec,
    made before anything is built): per example, a [network]'s products, sums and
    activations, or a [graph]'s operators, numbers and leaves; times the batch size."""
    if spec.network is not None:
        sizes, bias = spec.network.sizes, spec.network.bias
        per_example = sum(2 * a * b + (b if bias else 0) + 3 * b for a, b in zip(sizes[:-1], sizes[1:]))
        per_example += 4 * sizes[-1] + sizes[0]  # the loss and the inputs
    else:
        assert spec.formulas is not None
        per_example = len(spec.inputs) + len(spec.targets) + sum(map(formula.size, spec.formulas.values()))
    return per_example * (spec.train.batch or spec.n_examples)


def check_scalar_size(spec: ExerciseSpec) -> None:
    """Refuse, before building anything, a batch graph too big for the scalar engines."""
    nodes = scalar_nodes(spec)
    if nodes <= MAX_SCALAR_NODES:
        return
    batch = spec.train.batch or spec.n_examples
    cheaper = ["--engine matrix"] if spec.network is not None else []
    if batch > 1:
        cheaper += [_("fewer examples"), _("batch = 1 in [train]")]
    else:
        cheaper.append(_("smaller layers") if spec.network is not None else _("a smaller graph"))
    examples = ngettext("{n} example", "{n} examples", batch).format(n=f"{batch:,}")
    raise SpecError(f"{spec.path}: " + _("one batch ({examples}) would be about {nodes} scalar nodes (about "
                                         "{size}), over the scalar engine's limit of {limit}; use {cheaper}").format(
        examples=examples, nodes=f"{nodes:,}", size=size_text(nodes * 200), limit=f"{MAX_SCALAR_NODES:,}",
        cheaper=_(", or ").join(cheaper)))


def check_analysable(spec: ExerciseSpec, command: str) -> None:
    """Refuse, before building anything, a batch too big for ``derive`` or ``compare``."""
    check_scalar_size(spec)  # the scalar engine's own limit first: its message names the cheaper engines
    nodes = scalar_nodes(spec)
    if nodes > MAX_ANALYSED_NODES:
        raise SpecError(f"{spec.path}: " + _(
            "{command} would go through about {nodes} scalar nodes of one batch, over its limit of {limit} (about "
            "20 s of work); use a smaller network or batch = 1 in [train], or `scalarnet step --json` for the "
            "gradients alone").format(command=command, nodes=f"{nodes:,}", limit=f"{MAX_ANALYSED_NODES:,}"))


def check_drawable(spec: ExerciseSpec, command: str) -> None:
    """Refuse, before building anything, an example too big to draw (``render``, the viewer)."""
    check_scalar_size(spec)
    nodes = scalar_nodes(spec) // max(1, spec.train.batch or spec.n_examples)
    if nodes > MAX_DRAWN_NODES:
        raise SpecError(f"{spec.path}: " + _(
            "{command} would draw about {nodes} scalar nodes of one example, over its limit of {limit}, which is "
            "neither readable nor quick to lay out; draw a smaller network, or read the numbers with `scalarnet "
            "step` or `derive`").format(command=command, nodes=f"{nodes:,}", limit=f"{MAX_DRAWN_NODES:,}"))
