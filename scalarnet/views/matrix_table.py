"""The matrix engine's step table: each layer's matrices (A, W, Z, δ, dW, db) with their
numbers, and which named scalar is which matrix entry (w5 = W2[0,0]), so the scalar
derivation can be laid onto the matrix one."""

from __future__ import annotations

import re

import numpy as np

from ..engines.matrix import MatrixExercise, MatrixTrace
from ..engines.record import StepRecord, which_examples
from ..i18n import N_, _
from .table import aligned_rows, number, printable, update_rows

MAX_ROWS = 6  # examples (rows) shown of a matrix; a bigger batch shows the first ones
MAX_COLS = 8  # units (columns) shown
MAX_PARAMS = 40  # parameters listed in the update table

_SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "linear": N_("identity"), "softmax": "softmax"}
_DERIVATIVE = {"sigmoid": "A(1 − A)", "tanh": "1 − A²", "relu": "[Z > 0]", "linear": "1"}


def _matrix(label: str, M: np.ndarray, rows: list[str], cols: list[str], names: list[list[str]] | None = None,
            prefix: str = "") -> list[str]:
    """A labelled matrix, cut to MAX_ROWS × MAX_COLS with a note of what is left out; with
    ``names`` each cell says whose value it is (w5 = 0.1, or ∂L/∂w5 = … with a prefix)."""
    M = np.atleast_2d(M)
    shown = M[:MAX_ROWS, :MAX_COLS]
    cell = (lambda i, j, v: f"{prefix}{names[i][j]} = {number(v, 6)}") if names else \
        (lambda i, j, v: number(v, 6))  # noqa: E731
    body = [[rows[i], *(cell(i, j, v) for j, v in enumerate(shown[i]))] for i in range(shown.shape[0])]
    out = [f"  {label}  ({M.shape[0]}×{M.shape[1]})"]
    out += aligned_rows(["", *cols[:MAX_COLS]], body, indent="    ")
    if M.shape[0] > MAX_ROWS or M.shape[1] > MAX_COLS:
        out.append("    " + _("(showing {rows} of {all_rows} rows, {cols} of {all_cols} columns; --json shows every "
                              "value)").format(rows=shown.shape[0], all_rows=M.shape[0], cols=shown.shape[1],
                                               all_cols=M.shape[1]))
    return out


def _textbook(grid: list[list[str]]) -> list[list[str]] | None:
    """The names of a matrix's entries when the file gives textbook names (w5), else None
    (the default names W2[0,0] say no more than the row and column do)."""
    default = all(re.fullmatch(r"[Wb]\d+\[[\d,]+\]", n) for row in grid for n in row)
    return None if default else grid


def _entry_map(ex: MatrixExercise) -> list[str]:
    """Lines 'w5 = W2[0,0]' for textbook names; one line of explanation for default names."""
    entries = ex.layout.entries()
    named = {n: e for n, e in entries.items() if e != [n]}
    if not named:
        return [_("parameters: W{l}[i,j] is row i, column j of Wˡ (from unit i of layer l−1 to unit j of layer l); "
                  "b{l}[j] is entry j of bˡ")]
    out = [_("named parameters → matrix entries (W: row = unit below, column = unit above)")]
    cells = []
    for name, places in named.items():
        cell = f"{name} = {' = '.join(places)}"
        if len(places) > 1:
            cell += " " + _("(shared: {sum})").format(sum=f"∂L/∂{name} = " + " + ".join(f"∂L/∂{p}" for p in places))
        cells.append(cell)
    out += [f"  {c}" for c in cells]
    return out


def matrix_step_table(record: StepRecord, trace: MatrixTrace, ex: MatrixExercise) -> str:
    examples = record.examples
    m = len(examples)
    head = _("step {step} · epoch {epoch} · {examples}").format(step=record.step, epoch=record.epoch,
                                                                examples=which_examples(examples))
    out = [f"══ {printable(ex.title)} · {head} · {_('matrix engine')} ══", ""]
    out += _entry_map(ex)
    rows = [_("ex {n}").format(n=e) for e in examples[:MAX_ROWS]]
    inputs, targets = list(ex.spec.inputs), list(ex.spec.targets)
    out += ["", _("forward: Zˡ = Aˡ⁻¹·Wˡ + bˡ, Aˡ = f(Zˡ); one row per example")]
    for layer in trace.layers:
        k = layer.layer
        below = inputs if k == 1 else ex.a_names[k - 2]
        kind = layer.activation
        out += ["", _("layer {k} ({function})").format(k=k, function=_(_SYMBOL[kind]))]
        if k == 1:
            out += _matrix(_("A0 = the inputs"), layer.A_prev, rows, below)
        out += _matrix(f"W{k}", layer.W, below, ex.z_names[k - 1], _textbook(ex.layout.W_names[k - 1]))
        if layer.b is not None:
            out += _matrix(f"b{k}", layer.b[None, :], ["b"], ex.z_names[k - 1],
                           _textbook([ex.layout.b_names[k - 1] or []]))
        out += _matrix(f"Z{k} = A{k - 1}·W{k}" + (f" + b{k}" if layer.b is not None else ""), layer.Z, rows,
                       ex.z_names[k - 1])
        out += _matrix(f"A{k} = {_(_SYMBOL[kind])}(Z{k})", layer.A, rows, ex.a_names[k - 1])
    out += ["", _("loss: {loss} per example, L = mean over the {m} example(s) = {value}").format(
        loss=ex.network.loss, m=m, value=number(record.loss))]
    out += _matrix(_("Y = the targets, {name} per example").format(name=record.loss_name),
                   np.column_stack([ex.Y[examples], np.array(record.values[record.loss_name])]), rows,
                   [*targets, record.loss_name])
    last = trace.layers[-1]
    out += ["", _("backward: δˡ = ∂L/∂Zˡ; dWˡ = (Aˡ⁻¹)ᵀ·δˡ, dbˡ = Σ rows of δˡ, δˡ⁻¹ = δˡ·(Wˡ)ᵀ ⊙ f′(Zˡ⁻¹)")]
    if ex.network.loss == "cross_entropy":
        first = f"δ{last.layer} = (softmax(Z{last.layer}) − Y) / m"
    else:
        scale = "" if ex.network.loss == "half_squared_error" else "2·"
        first = f"δ{last.layer} = {scale}(A{last.layer} − Y) ⊙ f′(Z{last.layer}) / m"
    for layer in reversed(trace.layers):
        k = layer.layer
        below = inputs if k == 1 else ex.a_names[k - 2]
        how = first if k == len(trace.layers) else \
            f"δ{k} = δ{k + 1}·W{k + 1}ᵀ ⊙ f′(Z{k}), f′ = {_DERIVATIVE[layer.activation]}"
        out += ["", _("layer {k}: {how}").format(k=k, how=how)]
        out += _matrix(f"δ{k}", layer.delta, rows, [f"∂L/∂{z}" for z in ex.z_names[k - 1]])
        out += _matrix(f"dW{k} = A{k - 1}ᵀ·δ{k}", layer.dW, below, ex.z_names[k - 1],
                       _textbook(ex.layout.W_names[k - 1]), prefix="∂L/∂")
        if layer.db is not None:
            out += _matrix(_("db{k} = Σ rows of δ{k}").format(k=k), layer.db[None, :], ["db"], ex.z_names[k - 1])
    out += ["", _("update (learning rate {rate}), by parameter name").format(rate=number(record.learning_rate))]
    out += update_rows(record, "L", MAX_PARAMS)
    if len(record.grads) > MAX_PARAMS:
        out.append("  " + _("(+{n} more parameters; --json shows them all)").format(n=len(record.grads) - MAX_PARAMS))
    return "\n".join(out) + "\n"
