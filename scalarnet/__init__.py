"""scalarnet: backpropagation made visible, one scalar node at a time.

The names below load on first use, so that ``import scalarnet`` (and ``scalarnet --version``)
costs almost nothing; the package's folders, and which may import which, are in the README's
"Layout".
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module it lives in (relative to this package); a module itself where the name is one
_WHERE = {"Exercise": "engines.scalar", "StepRecord": "engines.record", "Graph": "core.graph",
          "backward": "core.graph", "topological_order": "core.graph", "zero_grad": "core.graph",
          "Node": "core.node", "NumericError": "core.node", "SpecError": "spec.model",
          "derive": "teach.explore", "draw": "teach.explore", "viewer": "teach.explore", "walk": "teach.explore",
          "native": "core.native", "fast_gc": "core.collector"}
__all__ = ["Exercise", "Graph", "Node", "NumericError", "SpecError", "StepRecord", "backward", "derive", "draw",
           "fast_gc", "topological_order", "viewer", "walk", "zero_grad"]

if TYPE_CHECKING:
    from .core.collector import fast_gc
    from .core.graph import Graph, backward, topological_order, zero_grad
    from .core.node import Node, NumericError
    from .engines.record import StepRecord
    from .engines.scalar import Exercise
    from .spec.model import SpecError
    from .teach.explore import derive, draw, viewer, walk


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'scalarnet' has no attribute {name!r}")
    module = importlib.import_module(f".{_WHERE[name]}", __name__)
    value = module if module.__name__.endswith("." + name) else getattr(module, name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
