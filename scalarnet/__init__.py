"""scalarnet: backpropagation made visible, one scalar node at a time."""

from . import native  # noqa: F401 (first: it decides whether the engine runs compiled or as Python)
from .exercise import Exercise, StepRecord
from .explore import derive, draw, viewer, walk  # noqa: F811 (``derive`` the function, not the module derive.py)
from .graph import Graph, backward, topological_order, zero_grad
from .node import Node, NumericError
from .spec import SpecError

__all__ = ["Exercise", "Graph", "Node", "NumericError", "SpecError", "StepRecord", "backward", "derive", "draw",
           "topological_order", "viewer", "walk", "zero_grad"]
__version__ = "0.1.0"

