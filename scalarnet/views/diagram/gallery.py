"""The repository's ``diagrams/`` folder: a fixed set of diagrams of the bundled exercises,
each written as its DOT source and as SVG (stamped with the hash of that source, so a test
can check the folder is up to date with the code whichever Graphviz drew the SVG)."""

from __future__ import annotations

from pathlib import Path

import graphviz

from ...spec.bundled import bundled_names
from . import diagram, save_all

# (file name, exercise, options); every bundled exercise also gets its default diagram.
EXTRA = [
    ("sigmoid-2-2-2-primitive", "sigmoid-2-2-2", {"level": "primitive"}),
    ("sigmoid-2-2-2-neuron", "sigmoid-2-2-2", {"level": "neuron"}),
    ("sigmoid-2-2-2-w1", "sigmoid-2-2-2", {"param": "w1"}),
    ("sigmoid-2-2-2-update", "sigmoid-2-2-2", {"phase": "update"}),
    ("mazur-2-2-2-neuron", "mazur-2-2-2", {"level": "neuron"}),
    ("curve-fit-1-5-1-neuron", "curve-fit-1-5-1", {"level": "neuron"}),
]


def gallery() -> list[tuple[str, str, dict]]:
    return [(name, name, {}) for name in bundled_names()] + [e for e in EXTRA if e[1] in bundled_names()]


def graphs(fit: str | None = None) -> dict[str, graphviz.Digraph]:
    """File name -> diagram, for every diagram of the gallery (``fit``: the canvas's shape)."""
    return {name: diagram(exercise, fit=fit, **options) for name, exercise, options in gallery()}


def sources(fit: str | None = None) -> dict[str, str]:
    return {name: g.source for name, g in graphs(fit).items()}


def regenerate(out: str | Path, fmt: str = "svg", backend: str | None = None, fit: str | None = None) -> list[Path]:
    """Write every gallery diagram as ``.dot`` and as ``fmt`` into ``out``; returns the paths."""
    found = graphs(fit)
    paths = [Path(out) / name for name in found]
    return save_all(list(found.values()), paths, "dot") + save_all(list(found.values()), paths, fmt, backend)
