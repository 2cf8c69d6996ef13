"""[graph]: named formulas in order, each parsed into a tree that may use only the names above it."""

from __future__ import annotations

import ast
from typing import Any

from ..i18n import _
from . import formula
from .reader import Reader


def read_graph(r: Reader, table: Any, defined: dict[str, str]) -> tuple[dict[str, str], dict[str, ast.expr]]:
    if not isinstance(table, dict) or not table:
        raise r.error("[graph]", _('must list named nodes in order, each name = "formula"'))
    formulas, trees = {}, {}
    for name, text in table.items():
        key = formula.normal_name(name)
        try:  # parsed before ``name`` is defined: the names above it, without building a list per entry
            tree = formula.parse(text, defined)
        except formula.FormulaError as err:
            message = str(err)
            if err.unknown == key:
                message = _("{formula} uses {name} itself; a formula may only use the names defined above "
                            "it").format(formula=formula.shown(text), name=name)
            r.define(defined, name, "graph")  # a bad or taken name is the first thing to say
            raise r.error(f"[graph] {formula.label(name)}", message) from None
        key = r.define(defined, name, "graph")
        trees[key], formulas[key] = tree, text
    return formulas, trees
