"""[vary]: the ranges a quiz variant draws its numbers from."""

from __future__ import annotations

from typing import Any

from ..i18n import _
from .model import ExerciseSpec
from .reader import Reader, did_you_mean


def read_vary(r: Reader, table: Any, spec: ExerciseSpec) -> tuple[dict[str, tuple[float, float]], int | None]:
    """[vary]: ``name = [low, high]`` per param, input or target; ``decimals = 2`` optional."""
    if not isinstance(table, dict):
        raise r.error("[vary]", _("must be a table of name = [low, high], e.g. w1 = [-1, 1]"))
    given = [*spec.params, *spec.inputs, *spec.targets]
    ranges, decimals = {}, None
    for name, value in table.items():
        where = f"[vary] {name}"
        if name == "decimals" and name not in given:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 12:
                raise r.error(where, _("expected a whole number of decimals from 0 to 12, got {value}").format(
                    value=repr(value)))
            decimals = value
            continue
        if name not in given:
            raise r.error(where, _("{name} is not a param, input or target{hint}; [vary] gives a range "
                                      "for the numbers a quiz variant draws").format(
                name=repr(name), hint=did_you_mean(name, given)))
        if not isinstance(value, list) or len(value) != 2:
            raise r.error(where, _("expected [low, high], e.g. {name} = [-1, 1], got {value}").format(
                name=name, value=repr(value)))
        low, high = (r.number(v, where) for v in value)
        if low > high:
            raise r.error(where, _("low {low} is above high {high}; write [{high}, {low}]").format(
                low=f"{low:g}", high=f"{high:g}"))
        ranges[name] = (low, high)
    return ranges, decimals
