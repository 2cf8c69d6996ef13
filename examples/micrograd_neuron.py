"""The neuron of Karpathy's micrograd lecture, with scalarnet.micrograd: the lecture's code with
only the import changed, then scalarnet's views of it.

    python examples/micrograd_neuron.py            # prints the walk and the derivation of ∂o/∂w1
    python examples/micrograd_neuron.py diagrams   # also writes diagrams/micrograd-neuron.svg and .png
"""

import sys
from pathlib import Path

import scalarnet
from scalarnet.micrograd.engine import Value  # was: from micrograd.engine import Value
from scalarnet.views.diagram import save

# inputs x1, x2; weights w1, w2; bias b
x1 = Value(2.0, label="x1")
x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1")
w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1
x1w1.label = "x1*w1"
x2w2 = x2 * w2
x2w2.label = "x2*w2"
x1w1x2w2 = x1w1 + x2w2
x1w1x2w2.label = "x1*w1 + x2*w2"
n = x1w1x2w2 + b
n.label = "n"
o = n.tanh()
o.label = "o"

# the lecture's manual backward (o.grad = 1.0; o._backward(); n._backward(); ...), one step each
for step in scalarnet.walk(o):
    print(step)
print()
print(scalarnet.derive(o, w1))

if sys.argv[1:] == ["diagrams"]:
    out = Path(__file__).resolve().parent.parent / "diagrams"
    graph = scalarnet.draw(o)
    for fmt in ("svg", "png"):
        print(*save(graph, out / f"micrograd-neuron.{fmt}"))
