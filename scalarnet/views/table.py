"""Step tables for the terminal, laid out like a textbook printout: the forward values,
the loss, then each parameter's value, gradient and updated value."""

from __future__ import annotations

import re
import textwrap
import unicodedata

from ..engines.quantities import is_the_word_loss
from ..engines.record import StepRecord, which_examples
from ..i18n import _
from .typography import name as shown
from .typography import number

__all__ = ["aligned_rows", "display_width", "number", "pad", "printable", "shown", "step_table", "update_rows"]

MAX_COLUMNS = 6  # examples shown side by side; a bigger batch shows the first ones


def printable(text: str) -> str:
    """``text`` with control characters (a terminal escape sequence, a newline) shown as
    escapes like \\x1b instead of being sent to the terminal."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def one_line(text: str) -> str:
    """A user's string for one line of a document or a terminal: every line break and other
    white space a space, the other control characters (a terminal escape) shown as escapes."""
    return printable(re.sub(r"\s", " ", text))


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian wide and fullwidth characters (权, ０) two,
    combining marks none, the rest one."""
    if text.isascii():  # nearly every cell: one column a character (a 300,000-row table is 9 M characters)
        return len(text)
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` filled with spaces to ``width`` terminal columns (``str.ljust`` counts characters)."""
    return text + " " * (width - display_width(text))


def aligned_rows(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    """A plain-text table: the header, a rule, then the rows, each column as wide as its widest
    cell in terminal columns, so CJK names line up. (Each cell is measured once: a network's
    table can have half a million rows.)"""
    table = [header, *rows]
    cell_widths = [[display_width(c) for c in r] for r in table]
    widths = [max(w[k] for w in cell_widths) for k in range(len(header))]

    def line(row: list[str], measured: list[int]) -> str:
        return indent + "  ".join(c + " " * (w - m) for c, m, w in zip(row, measured, widths)).rstrip()

    lines = [line(r, m) for r, m in zip(table, cell_widths)]
    return [lines[0], indent + "  ".join("─" * w for w in widths), *lines[1:]]


def step_table(record: StepRecord, title: str = "", rows: int | None = None, columns: int = MAX_COLUMNS,
               width: int | None = None) -> str:
    """The step as text. ``rows``: at most this many nodes and parameters listed (a summary
    line says how many more); ``columns``: examples side by side; ``width``: wrap the heading."""
    examples = record.examples
    side_by_side = examples[:columns]
    head = _("step {step} · epoch {epoch} · {examples}").format(step=record.step, epoch=record.epoch,
                                                                examples=which_examples(examples))
    title = printable(title)
    heading = f"══ {title} · {head} ══" if title else f"══ {head} ══"
    if width is not None and len(heading) > width:
        heading = "\n".join([*textwrap.wrap(f"══ {title}", width), f"   {head} ══"])
    out = [heading, "", _("forward")]
    names = [n for n in record.values if n not in record.grads]
    loss = "L" if len(examples) > 1 else shown(record.loss_name)
    grads = record.node_grads
    listed = names[:rows]
    if len(examples) == 1:  # value and gradient side by side
        table = [[shown(name), number(record.values[name][0]), *([number(grads[name][0])] if name in grads else [])]
                 for name in listed]
        out += aligned_rows([_("node"), _("value"), *([_("∂{loss}/∂node").format(loss=loss)] if grads else [])],
                            table)
    else:
        headers = [_("example {n}").format(n=e) for e in side_by_side]
        table = [[shown(name), *(number(v) for v in record.values[name][: len(side_by_side)])] for name in listed]
        out += aligned_rows([_("node"), *headers], table)
        if grads:
            out += ["", _("∂{loss}/∂node, the share of each example's node (inputs and targets included)").format(
                loss=loss)]
            out += aligned_rows([_("node"), *headers],
                                [[shown(name), *(number(v) for v in grads[name][: len(side_by_side)])]
                                 for name in listed if name in grads])
    if len(names) > len(listed):
        out.append("  " + _("(+{n} more nodes; `scalarnet step` lists them all)").format(n=len(names) - len(listed)))
    if len(examples) > len(side_by_side):
        out.append("  " + _("(+{n} more examples in this batch; --json shows them all)").format(
            n=len(examples) - len(side_by_side)))
    out.append("")
    if len(examples) == 1 and is_the_word_loss(record.loss_name):
        out.append(f"{shown(record.loss_name)} = {number(record.loss)}")
    elif len(examples) == 1:
        out.append(_("loss {name} = {value}").format(name=shown(record.loss_name), value=number(record.loss)))
    else:
        out.append(_("batch loss = mean of {name} over {n} examples = {value}").format(
            name=shown(record.loss_name), n=len(examples), value=number(record.loss)))
    out += ["", _("backward and update (learning rate {rate})").format(rate=number(record.learning_rate))]
    out += update_rows(record, "L" if len(examples) > 1 else shown(record.loss_name), rows)
    if rows is not None and len(record.grads) > rows:
        out.append("  " + _("(+{n} more parameters; `scalarnet step` lists them all)").format(
            n=len(record.grads) - rows))
    return "\n".join(out) + "\n"


def update_rows(record: StepRecord, loss: str, limit: int | None = None) -> list[str]:
    """The table of the first ``limit`` parameters' values, gradients and updated values."""
    before = record.params_before()
    trained = set(record.trainable)  # a set: one lookup per parameter, not a scan of the list
    rows = [[shown(name), number(before[name]), number(g), number(record.params[name]),
             "" if name in trained else _("not trained")]
            for name, g in list(record.grads.items())[:limit]]
    return aligned_rows([_("param"), _("value"), _("∂{loss}/∂param").format(loss=loss), _("after update"), _("note")],
                        rows)
