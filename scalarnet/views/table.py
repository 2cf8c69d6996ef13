"""Step tables for the terminal, laid out like a textbook printout: the forward values,
the loss, then each parameter's value, gradient and updated value."""

from __future__ import annotations

from ..engine import StepRecord, which_examples

MAX_COLUMNS = 6  # examples shown side by side; a bigger batch shows the first ones


def number(v: float, digits: int = 9) -> str:
    """Up to ``digits`` significant digits (trailing zeros dropped), scientific notation for very
    small or large values."""
    return f"{v:.{digits}g}"


def aligned_rows(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    """A plain-text table: the header, a rule, then the rows, each column as wide as its widest cell."""
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    line = lambda r: indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return [line(header), indent + "  ".join("─" * w for w in widths), *map(line, rows)]


def step_table(record: StepRecord, title: str = "") -> str:
    examples = record.examples
    shown = examples[:MAX_COLUMNS]
    head = f"step {record.step} · epoch {record.epoch} · {which_examples(examples)}"
    out = [f"══ {title} · {head} ══" if title else f"══ {head} ══", "", "forward"]
    names = [n for n in record.values if n not in record.grads]
    loss = "L" if len(examples) > 1 else record.loss_name
    grads = record.node_grads
    if len(examples) == 1:  # value and gradient side by side
        rows = [[name, number(record.values[name][0]), *([number(grads[name][0])] if name in grads else [])]
                for name in names]
        out += aligned_rows(["node", "value", *([f"∂{loss}/∂node"] if grads else [])], rows)
    else:
        columns = [f"example {e}" for e in shown]
        rows = [[name, *(number(v) for v in record.values[name][: len(shown)])] for name in names]
        out += aligned_rows(["node", *columns], rows)
        if grads:
            out += ["", f"∂{loss}/∂node, the share of each example's node (inputs and targets included)"]
            rows = [[name, *(number(v) for v in grads[name][: len(shown)])] for name in names if name in grads]
            out += aligned_rows(["node", *columns], rows)
    if len(examples) > len(shown):
        out.append(f"  (+{len(examples) - len(shown)} more examples in this batch; --json shows them all)")
    out.append("")
    if len(examples) == 1:
        out.append(f"loss {record.loss_name} = {number(record.loss)}")
    else:
        out.append(f"batch loss = mean of {record.loss_name} over {len(examples)} examples = {number(record.loss)}")
    out += ["", f"backward and update (learning rate {number(record.learning_rate)})"]
    out += update_rows(record, "L" if len(examples) > 1 else record.loss_name)
    return "\n".join(out) + "\n"


def update_rows(record: StepRecord, loss: str, limit: int | None = None) -> list[str]:
    """The table of the first ``limit`` parameters' values, gradients and updated values."""
    before = record.params_before()
    rows = [[name, number(before[name]), number(g), number(record.params[name]),
             "" if name in record.trainable else "not trained"]
            for name, g in list(record.grads.items())[:limit]]
    return aligned_rows(["param", "value", f"∂{loss}/∂param", "after update", "note"], rows)
