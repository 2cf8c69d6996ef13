"""Step tables for the terminal, laid out like a textbook printout: the forward values,
the loss, then each parameter's value, gradient and updated value."""

from __future__ import annotations

from ..exercise import StepRecord

MAX_COLUMNS = 6  # examples shown side by side; a bigger batch shows the first ones


def number(v: float, digits: int = 9) -> str:
    """At least 4 significant digits, scientific notation for very small or large values."""
    return f"{v:.{digits}g}"


def _rows(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    line = lambda r: indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return [line(header), indent + "  ".join("─" * w for w in widths), *map(line, rows)]


def step_table(record: StepRecord, title: str = "") -> str:
    examples = record.examples
    shown = examples[:MAX_COLUMNS]
    where = f"example {examples[0]}" if len(examples) == 1 else f"examples {examples[0]}–{examples[-1]}"
    head = f"step {record.step} · epoch {record.epoch} · {where}"
    out = [f"══ {title} · {head} ══" if title else f"══ {head} ══", "", "forward"]
    names = [n for n in record.values if n not in record.grads]
    columns = [f"example {e}" for e in shown] if len(examples) > 1 else ["value"]
    rows = [[name, *(number(v) for v in record.values[name][: len(shown)])] for name in names]
    out += _rows(["node", *columns], rows)
    if len(examples) > len(shown):
        out.append(f"  (+{len(examples) - len(shown)} more examples in this batch; --json shows them all)")
    out.append("")
    if len(examples) == 1:
        out.append(f"loss {record.loss_name} = {number(record.loss)}")
    else:
        out.append(f"batch loss = mean of {record.loss_name} over {len(examples)} examples = {number(record.loss)}")
    out += ["", f"backward and update (learning rate {number(record.learning_rate)})"]
    before = record.params_before()
    loss = "L" if len(examples) > 1 else record.loss_name
    rows = [[name, number(before[name]), number(g), number(record.params[name]),
             "" if name in record.trainable else "not trained"]
            for name, g in record.grads.items()]
    out += _rows(["param", "value", f"∂{loss}/∂param", "after update", "note"], rows)
    return "\n".join(out) + "\n"
