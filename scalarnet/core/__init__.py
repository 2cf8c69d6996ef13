"""The engine's core: ``Node`` (node.py), the topological walks and backward (graph.py), one
class per op with its hand-written local derivatives (ops.py), symbolic expressions for those
derivatives (symbolic.py), neurons, layers, losses and SGD made of nodes (nn.py), and which
build of node.py and graph.py runs (native.py: mypyc compiles those two at install).

May import: nothing of scalarnet but ``i18n``.
"""

from . import native  # noqa: F401 (first: it decides whether node.py and graph.py run compiled or as Python)
