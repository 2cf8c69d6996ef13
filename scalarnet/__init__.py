"""scalarnet: backpropagation made visible, one scalar node at a time."""

from .exercise import Exercise, StepRecord
from .graph import Graph, backward, topological_order, zero_grad
from .node import Node, NumericError
from .spec import SpecError

__all__ = ["Exercise", "Graph", "Node", "NumericError", "SpecError", "StepRecord", "backward",
           "topological_order", "zero_grad"]
__version__ = "0.1.0"
