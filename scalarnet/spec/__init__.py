"""Exercise files: TOML read with the standard reader, checked, turned into an ``ExerciseSpec``.

Every problem is reported as one ``SpecError`` that names the file, the section and key,
what is wrong and how to fix it. See the README for the format.

One module per section (``examples`` for [inputs]/[targets]/[params]/[data], ``graph``,
``network``, ``train``, ``vary``), on the checks they share (``reader``); ``model`` holds the
result, ``limits`` the stated limits; ``formula`` parses formulas, ``data`` reads data
files, ``files`` checks what may be read, ``bundled`` finds the shipped exercises.

May import: ``core``, ``i18n``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from ..i18n import _
from . import formula
from .examples import example_count, read_data, read_numbers
from .files import check_input_file
from .graph import read_graph
from .limits import (
    MAX_MATRIX_BYTES,
    MAX_PARAMETERS,
    MAX_SCALAR_NODES,
    check_matrix_memory,
    check_scalar_size,
    matrix_bytes,
    scalar_nodes,
)
from .model import (
    NETWORK_KEYS,
    NETWORK_LOSS_NAME,
    SECTIONS,
    TRAIN_KEYS,
    ExerciseSpec,
    NetworkSpec,
    SpecError,
    TrainSpec,
)
from .network import check_node_names, network_params, read_network
from .reader import Reader, did_you_mean
from .train import read_train
from .vary import read_vary

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["MAX_MATRIX_BYTES", "MAX_PARAMETERS", "MAX_SCALAR_NODES", "NETWORK_KEYS", "NETWORK_LOSS_NAME", "SECTIONS",
           "TRAIN_KEYS", "ExerciseSpec", "NetworkSpec", "SpecError", "TrainSpec", "check_scalar_size", "from_dict",
           "load", "matrix_bytes", "scalar_nodes"]


def load(path: str | Path) -> ExerciseSpec:
    """Read and check an exercise file."""
    path = Path(path)
    problem = check_input_file(path)
    if problem:
        raise SpecError(f"{path}: {problem}")
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as err:
        raise SpecError(f"{path}: " + _("cannot be read ({reason})").format(reason=err.strerror or err)) from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: " + _("not a text file (TOML must be UTF-8)")) from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError(_bare_key_message(path, err)
                        or f"{path}: " + _("not valid TOML: {reason}").format(reason=err)) from None
    except RecursionError:
        raise SpecError(f"{path}: " + _("not valid TOML: {reason}").format(reason=_("nested too deeply"))) from None
    except ValueError as err:  # a whole number of more than 4300 digits
        raise SpecError(f"{path}: " + _("not valid TOML: {reason}").format(reason=formula.cut(str(err), 100))) from None
    return from_dict(doc, str(path))


def _bare_key_message(path: Path, err: ValueError) -> str | None:
    """The fix for TOML's 'Invalid statement' on a key like 输入1: TOML allows only A-Z a-z
    0-9 _ - in a key without quotes. None when the error is about something else."""
    where = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
    if where is None:
        return None
    line, column = int(where.group(1)), int(where.group(2))
    try:
        text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    key = re.match(r"[\w-]+", text[column - 1:])  # letters of any script, digits, _ and -
    if key is None or key.group(0).isascii():
        return None
    return _("{path}: not valid TOML: line {line}: the key {key} must be in double quotes (TOML allows only "
             "A-Z, a-z, 0-9, _ and - in a bare key): write \"{key}\" instead of {key}").format(
        path=path, line=line, key=key.group(0))


def from_dict(doc: dict[str, Any], path: str = "<exercise>") -> ExerciseSpec:
    """The exercise a TOML document describes, every section read by its own reader."""
    r = Reader(path)
    for key in doc:
        if key not in SECTIONS:
            raise r.error(f"[{key}]" if isinstance(doc[key], dict) else key,
                             _("unknown section{hint}; the sections are {sections}").format(
                                 hint=did_you_mean(key, SECTIONS), sections=", ".join(SECTIONS)))
    if ("graph" in doc) == ("network" in doc):
        raise r.error("file", _("needs exactly one of [graph] (named formulas) or [network] "
                                   "(a layered network)"))
    title = r.in_language(doc, "title", Path(r.path).stem)
    description = r.in_language(doc, "description", "")
    dataset = read_data(r, doc) if "data" in doc else None
    inputs = dataset.inputs if dataset else read_numbers(r, doc, "inputs")
    targets = dataset.targets if dataset else read_numbers(r, doc, "targets")
    n = example_count(r, inputs, targets)
    inputs = {k: v * n if len(v) == 1 else v for k, v in inputs.items()}
    targets = {k: v * n if len(v) == 1 else v for k, v in targets.items()}
    spec = ExerciseSpec(r.path, title, description, {}, inputs, targets, n, TrainSpec())
    if dataset:
        spec.test_inputs, spec.test_targets = dataset.test_inputs, dataset.test_targets
        spec.data_source = dataset.source
    defined: dict[str, str] = {}
    if "network" not in doc:
        spec.params = {k: v[0] for k, v in read_numbers(r, doc, "params", lists=False).items()}
        for name in spec.params:
            r.define(defined, name, "params")
    for section, table in (("inputs", inputs), ("targets", targets)):
        for name in table:
            r.define(defined, name, section)
    if "network" in doc:
        if "params" in doc:
            raise r.error("[params]", _("a [network] file gets its parameters from [network] "
                                           "(init, weights, biases); remove [params]"))
        spec.network = read_network(r, doc["network"], inputs, targets)
        r.define(defined, NETWORK_LOSS_NAME, "loss")
        spec.params = network_params(r, spec.network)
        check_node_names(r, spec, defined)
    else:
        spec.formulas, spec.graph = read_graph(r, doc["graph"], defined)
    spec.train = read_train(r, doc.get("train", {}), spec)
    check_matrix_memory(r, spec)
    if "vary" in doc:
        spec.vary, spec.vary_decimals = read_vary(r, doc["vary"], spec)
    return spec
