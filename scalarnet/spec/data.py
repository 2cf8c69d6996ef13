"""Examples from a data file: the ``[data]`` section of an exercise file.

    [data]
    csv = "iris.csv"              # a CSV file with a header row, relative to the exercise file
    sklearn = "iris"              # or a scikit-learn data set (iris, diabetes, california_housing);
                                  # with both, the CSV is used when it exists
    inputs = ["sepal_length", "sepal_width", "petal_length", "petal_width"]   # default: every other column
    targets = ["species"]
    one_hot = ["species"]         # class labels → one 0/1 column per class, species_setosa, ...
    test = 0.2                    # hold out this fraction of the rows as the test set ...
    seed = 42                     # ... shuffled as scikit-learn's train_test_split(random_state=42) does
    standardize = ["inputs"]      # (x − mean) / std per column, fitted on the training rows;
                                  # ["inputs", "targets"] scales the targets too

Column names become names in the exercise, so they are turned into identifiers:
``sepal length (cm)`` is ``sepal_length_cm``.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..i18n import _
from .files import NO_SUCH_FILE, check_input_file
from .formula import cut

DATA_KEYS = ("csv", "sklearn", "inputs", "targets", "one_hot", "test", "seed", "standardize")
SKLEARN_SETS = ("iris", "diabetes", "california_housing")


class DataError(ValueError):
    """A problem with [data]; ``key`` is the key of [data] it is about."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass
class Dataset:
    inputs: dict[str, list[float]]  # the training rows, column by column
    targets: dict[str, list[float]]
    test_inputs: dict[str, list[float]] = field(default_factory=dict)  # the held-out rows
    test_targets: dict[str, list[float]] = field(default_factory=dict)
    source: str = ""  # where the rows came from, for messages
    scaling: dict[str, tuple[float, float]] = field(default_factory=dict)  # column → (mean, std) subtracted, divided


def _shown(value: Any) -> str:
    """A value from the file for a message, its repr cut to 60 characters."""
    return cut(repr(value), 60)


def identifier(text: str) -> str:
    """A column name as an identifier: 'sepal length (cm)' → 'sepal_length_cm'."""
    # NFKC first, as Python reads names: 'µ' (micro sign) is 'μ', '𝑤' is 'w'
    name = re.sub(r"\W+", "_", unicodedata.normalize("NFKC", text).strip()).strip("_") or "column"
    return f"c_{name}" if name[0].isdigit() else name


def load(table: Any, base: Path) -> Dataset:
    """Read ``[data]``; file names are relative to ``base`` (the exercise file's folder)."""
    if not isinstance(table, dict):
        raise DataError("", _('must be a table, e.g. csv = "iris.csv", targets = ["species"]'))
    for key in table:
        if key not in DATA_KEYS:
            close = difflib.get_close_matches(key, DATA_KEYS, n=1)
            raise DataError(key, _("unknown key{hint}; the keys are {keys}").format(
                hint=_(" (did you mean {name}?)").format(name=close[0]) if close else "", keys=", ".join(DATA_KEYS)))
    columns, source = _read_source(table, base)
    targets = _names(table, "targets", columns, required=True)
    inputs = _names(table, "inputs", columns, required=False) or [c for c in columns if c not in targets]
    if not inputs:
        raise DataError("inputs", _("no input columns left: name them in inputs = [...]"))
    if set(inputs) & set(targets):
        raise DataError("inputs", _("{names} is both an input and a target").format(
            names=", ".join(sorted(set(inputs) & set(targets)))))
    one_hot = _names(table, "one_hot", {c: columns[c] for c in targets}, required=False, what="target column")
    data = {name: _numbers(name, columns[name]) for name in inputs}
    target_columns: list[str] = []
    numeric_targets = [name for name in targets if name not in one_hot]  # those standardize may scale
    for name in targets:
        if name in one_hot:
            encoded = _one_hot(name, columns[name])
            data.update(encoded)
            target_columns += list(encoded)
        else:
            data[name] = _numbers(name, columns[name])
            target_columns.append(name)
    n = len(next(iter(columns.values())))
    train, test = _split(table, n)
    scaling = _scaling(table, data, inputs, numeric_targets, train)
    for name, (mean, std) in scaling.items():
        data[name] = (data[name] - mean) / std
    pick = lambda names, rows: {k: data[k][rows].tolist() for k in names}  # noqa: E731
    return Dataset(pick(inputs, train), pick(target_columns, train),
                   pick(inputs, test) if len(test) else {}, pick(target_columns, test) if len(test) else {},
                   source=source, scaling=scaling)


# -- reading ------------------------------------------------------------------------------
def _read_source(table: dict, base: Path) -> tuple[dict[str, list[str]], str]:
    """name → the column's cells (text), and a description of the source."""
    path = table.get("csv")
    dataset = table.get("sklearn")
    if path is None and dataset is None:
        raise DataError("csv", _('say where the rows are: csv = "file.csv" or sklearn = "iris"'))
    if path is not None:
        if not isinstance(path, str):
            raise DataError("csv", _("expected a file name in quotes, got {value}").format(value=_shown(path)))
        full = base / path
        if full.exists() or dataset is None:
            return _read_csv(full), str(full)
    if not isinstance(dataset, str) or dataset not in SKLEARN_SETS:
        raise DataError("sklearn", _("unknown data set {value}; scalarnet knows {names}").format(
            value=_shown(dataset), names=", ".join(SKLEARN_SETS)))
    return _read_sklearn(dataset, path), f"scikit-learn {dataset}"


def _read_csv(path: Path) -> dict[str, list[str]]:
    problem = check_input_file(path, _("a CSV file"))
    if problem and problem != NO_SUCH_FILE():
        raise DataError("csv", f"{path}: {problem}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if row]
    except FileNotFoundError:
        raise DataError("csv", f"{path}: " + _("no such file (a relative name is taken from the exercise file's "
                                               "folder)")) from None
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError("csv", f"{path}: " + _("cannot be read as CSV ({reason})").format(reason=err)) from None
    if len(rows) < 2:
        raise DataError("csv", f"{path}: " + _("needs a header row of column names and at least one row of values"))
    header = [identifier(h) for h in rows[0]]
    first: dict[str, int] = {}
    for column, name in enumerate(header, start=1):
        if name in first:
            raise DataError("csv", f"{path}: " + _("columns {first} and {second} of the header are both named "
                                                   "{name}; give every column its own name").format(
                first=first[name], second=column, name=repr(name)))
        first[name] = column
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError("csv", _("{path}, line {line}: {n} values, but the header names {columns} "
                                     "columns").format(path=path, line=line, n=len(row), columns=len(header)))
    return {name: [row[k].strip() for row in rows[1:]] for k, name in enumerate(header)}


def _read_sklearn(name: str, csv_name: str | None) -> dict[str, list[str]]:
    try:
        from sklearn import datasets
    except ImportError:
        raise DataError("sklearn", _("the {name} data comes with scikit-learn, which is not installed: "
                                     "pip install scikit-learn (or pip install 'scalarnet[data]')").format(
            name=name)) from None
    if name == "california_housing":
        try:
            bunch = datasets.fetch_california_housing(download_if_missing=False)
        except OSError:
            given = _("{file} is not there either; ").format(file=csv_name) if csv_name else ""
            raise DataError("sklearn", _(
                "the California housing data is not in scikit-learn's cache ({cache}) and "
                "scalarnet does not download it; {given}on a machine with internet run\n"
                "    {command}\n"
                "  once (it caches the data), or save the data as a CSV with a header row and set "
                "csv = \"that.csv\" in [data].\n  Offline, the regression example on scikit-learn's bundled "
                "diabetes data runs anywhere: scalarnet train diabetes").format(
                cache=datasets.get_data_home(), given=given,
                command="python -c 'from sklearn.datasets import fetch_california_housing as f; f()'")) from None
    else:
        bunch = datasets.load_iris() if name == "iris" else datasets.load_diabetes(scaled=False)
    names = [identifier(n) for n in bunch.feature_names]
    columns = {n: [repr(float(v)) for v in bunch.data[:, k]] for k, n in enumerate(names)}
    target_names = list(getattr(bunch, "target_names", []))
    if name == "iris":  # the class labels by name, as in a CSV
        columns["species"] = [str(target_names[int(t)]) for t in bunch.target]
    else:
        label = identifier(target_names[0]) if len(target_names) == 1 else "target"
        columns[label] = [repr(float(t)) for t in bunch.target]
    return columns


def _names(table: dict, key: str, columns: dict, required: bool, what: str = "column") -> list[str]:
    value = table.get(key)
    if value is None:
        if required:
            raise DataError(key, _("name the {key} columns: {key} = [...]; the columns are {columns}").format(
                key=key, columns=", ".join(columns)))
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise DataError(key, _("expected a list of column names, got {value}").format(value=_shown(value)))
    value = [unicodedata.normalize("NFKC", v) for v in value]  # as the column names are (identifier)
    for name in value:
        if name not in columns:
            close = difflib.get_close_matches(name, list(columns), n=1)
            hint = _(" (did you mean {name}?)").format(name=close[0]) if close else ""
            message = (_("no column {name}{hint}; the columns are {columns}") if what == "column" else
                       _("no target column {name}{hint}; the target columns are {columns}"))
            raise DataError(key, message.format(name=_shown(name), hint=hint, columns=", ".join(columns)))
    return value


def _numbers(name: str, cells: list[str]) -> np.ndarray:
    out = np.empty(len(cells))
    for row, cell in enumerate(cells):
        try:
            out[row] = float(cell)
        except ValueError:
            raise DataError("inputs", _('column {name}, row {row}: {value} is not a number (for class labels '
                                        'use one_hot = ["{name}"] on a target column)').format(
                name=name, row=row + 1, value=_shown(cell))) from None
        if not math.isfinite(out[row]):
            raise DataError("inputs", _("column {name}, row {row}: {value} is not a finite number").format(
                name=name, row=row + 1, value=_shown(cell)))
    return out


def _one_hot(name: str, cells: list[str]) -> dict[str, np.ndarray]:
    """One 0/1 column per class, the classes in sorted order (numbers numerically)."""
    try:
        labels = sorted(set(cells), key=float)
    except ValueError:
        labels = sorted(set(cells))
    columns = {f"{name}_{identifier(label)}": np.array([1.0 if c == label else 0.0 for c in cells])
               for label in labels}
    if len(columns) != len(labels):
        raise DataError("one_hot", _("column {name}: two class labels give the same column name; rename "
                                     "them").format(name=name))
    return columns


def _split(table: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, test rows). With ``test`` the rows are shuffled exactly as
    scikit-learn's train_test_split(test_size=test, random_state=seed) shuffles them."""
    test = table.get("test")
    seed = table.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DataError("seed", _("expected a non-negative whole number, got {value}").format(value=_shown(seed)))
    if test is None:
        return np.arange(n), np.arange(0)
    if isinstance(test, bool) or not isinstance(test, (int, float)) or not 0 < test < 1:
        raise DataError("test", _("expected the fraction of rows held out, between 0 and 1 (0.2), got "
                                  "{value}").format(value=_shown(test)))
    n_test = math.ceil(test * n)
    if n_test >= n:
        raise DataError("test", _("holding out {n_test} of {n} rows leaves none to train on").format(
            n_test=n_test, n=n))
    order = np.random.RandomState(seed).permutation(n)
    return order[n_test:], order[:n_test]


def _scaling(table: dict, data: dict[str, np.ndarray], inputs: list[str], targets: list[str],
             train: np.ndarray) -> dict[str, tuple[float, float]]:
    which = table.get("standardize", [])
    if which is True:
        which = ["inputs"]
    if which is False:
        which = []
    if isinstance(which, str):
        which = [which]
    if not isinstance(which, list) or any(w not in ("inputs", "targets") for w in which):
        raise DataError("standardize", _('expected ["inputs"], ["inputs", "targets"] or false, got {value}').format(
            value=_shown(which)))
    names = (inputs if "inputs" in which else []) + (targets if "targets" in which else [])
    scaling = {}
    for name in names:
        column = data[name][train]
        std = float(column.std())
        scaling[name] = (float(column.mean()), std if std > 0 else 1.0)
    return scaling
