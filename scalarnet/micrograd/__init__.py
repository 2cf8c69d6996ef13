"""A drop-in for Karpathy's micrograd: change ``from micrograd...`` to ``from scalarnet.micrograd...``.

``engine.Value`` and ``nn.Module/Neuron/Layer/MLP`` have micrograd's names, signatures and
arithmetic (the same operations in the same order, the same random draws), so a program
with the same seed gives micrograd's numbers. The values are scalarnet nodes, so every view
works on them: ``scalarnet.draw(loss)``, ``scalarnet.derive(loss, w)``, ``scalarnet.walk(loss)``.

May import: ``core``, ``i18n``.
"""

from .engine import Value
from .nn import MLP, Layer, Module, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value"]
