"""[inputs], [targets] and [params] (tables of numbers), or the examples of [data]."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..i18n import _
from . import data, formula
from .reader import Reader


def read_data(r: Reader, doc: dict[str, Any]) -> data.Dataset:
    """The examples of [data] (a CSV file or a scikit-learn data set), split and scaled."""
    if "inputs" in doc or "targets" in doc:
        raise r.error("[data]", _("give the examples either in [inputs]/[targets] or in [data], not both"))
    try:
        return data.load(doc["data"], Path(r.path).parent)
    except data.DataError as err:
        raise r.error(f"[data] {err.key}".rstrip(), str(err)) from None


def read_numbers(r: Reader, doc: dict[str, Any], section: str, lists: bool = True) -> dict[str, list[float]]:
    table = doc.get(section, {})
    if not isinstance(table, dict):
        raise r.error(f"[{section}]", _("must be a table of name = value"))
    out = {}
    defined: dict[str, str] = {}
    for name, value in table.items():
        where = f"[{section}] {formula.label(name)}"
        key = r.define(defined, name, section)
        if isinstance(value, list):
            if not lists:
                raise r.error(where, _("a parameter has one initial value, not a list"))
            if not value:
                raise r.error(where, _("the list is empty; give one value per example"))
            out[key] = [r.number(v, where) for v in value]
        else:
            out[key] = [r.number(value, where)]
    return out


def example_count(r: Reader, inputs: dict[str, list[float]], targets: dict[str, list[float]]) -> int:
    lengths = {f"[{s}] {k}": len(v) for s, t in (("inputs", inputs), ("targets", targets))
               for k, v in t.items() if len(v) > 1}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(_("{key} has {n}").format(key=k, n=n) for k, n in lengths.items())
        raise r.error("[inputs]/[targets]", _("lists of different lengths ({lengths}); every list needs "
                                                 "one value per example").format(lengths=shown))
    return next(iter(lengths.values()), 1)
