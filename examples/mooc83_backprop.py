"""The hand-written backprop published with the MOOC 8.3 BP example (the tutorial that checks
the 2-2-2 exercise by program), rewritten as a function of the dict of named values that `scalarnet check`
passes in. Its mistakes are kept on purpose:

    scalarnet check sigmoid-2-2-2 --against examples/mooc83_backprop.py:back_propagate

flags w1, w2, w3 and w4 and passes w5 … w8. The output-layer gradients are right:
∂E/∂w5 = (out_o1 − y1)·out_o1·(1 − out_o1)·out_h1. The hidden-layer ones are not: the error
reaching out_h1 is δ_o1·w5 + δ_o2·w6 (each output's δ = (out − y)·out·(1 − out) times the
weight from h1), but the code adds d_w5 + d_w6, the *weight gradients*, which carry a
factor out_h1 instead of the weights w5 and w6.
"""


def back_propagate(v: dict) -> dict:
    out_o1, out_o2, out_h1, out_h2 = v["out_o1"], v["out_o2"], v["out_h1"], v["out_h2"]
    x1, x2, y1, y2 = v["x1"], v["x2"], v["y1"], v["y2"]
    d_o1 = out_o1 - y1
    d_o2 = out_o2 - y2
    d_w5 = d_o1 * out_o1 * (1 - out_o1) * out_h1
    d_w7 = d_o1 * out_o1 * (1 - out_o1) * out_h2
    d_w6 = d_o2 * out_o2 * (1 - out_o2) * out_h1
    d_w8 = d_o2 * out_o2 * (1 - out_o2) * out_h2
    d_w1 = (d_w5 + d_w6) * out_h1 * (1 - out_h1) * x1  # should be (δ_o1·w5 + δ_o2·w6)·…
    d_w3 = (d_w5 + d_w6) * out_h1 * (1 - out_h1) * x2
    d_w2 = (d_w7 + d_w8) * out_h2 * (1 - out_h2) * x1  # should be (δ_o1·w7 + δ_o2·w8)·…
    d_w4 = (d_w7 + d_w8) * out_h2 * (1 - out_h2) * x2
    return {"w1": d_w1, "w2": d_w2, "w3": d_w3, "w4": d_w4, "w5": d_w5, "w6": d_w6, "w7": d_w7, "w8": d_w8}
