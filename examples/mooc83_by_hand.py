"""The MOOC 8.3 BP example written with the Python API instead of an exercise file:
the 2-2-2 sigmoid network without biases, ten rounds of gradient descent with step size 1.

Run: python examples/mooc83_by_hand.py
"""

from scalarnet import Node

w1, w2, w3, w4 = Node(0.2, name="w1"), Node(-0.4, name="w2"), Node(0.5, name="w3"), Node(0.6, name="w4")
w5, w6, w7, w8 = Node(0.1, name="w5"), Node(-0.5, name="w6"), Node(-0.3, name="w7"), Node(0.8, name="w8")
weights = [w1, w2, w3, w4, w5, w6, w7, w8]
x1, x2 = 0.5, 0.3  # inputs: plain numbers are constants
y1, y2 = 0.23, -0.07  # targets

for round_ in range(10):
    out_h1 = (w1 * x1 + w3 * x2).sigmoid()
    out_h2 = (w2 * x1 + w4 * x2).sigmoid()
    out_o1 = (w5 * out_h1 + w7 * out_h2).sigmoid()
    out_o2 = (w6 * out_h1 + w8 * out_h2).sigmoid()
    loss = 0.5 * (out_o1 - y1) ** 2 + 0.5 * (out_o2 - y2) ** 2
    for w in weights:
        w.grad = 0.0
    loss.backward()
    print(f"round {round_}: out = ({out_o1.value:.5f}, {out_o2.value:.5f})  loss = {loss.value:.6f}  "
          f"dE/dw1 = {w1.grad:.6g}  dE/dw5 = {w5.grad:.6g}")
    for w in weights:
        w.value -= 1.0 * w.grad
