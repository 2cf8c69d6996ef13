"""The house rule (README "Layout"): each folder of the package imports only from the folders
below it, so that the engine never depends on a view and a view never drives a command."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scalarnet"
# bottom to top; a folder may import its own modules and any folder of a lower layer
LAYERS = [("i18n",), ("core",), ("spec", "micrograd"), ("engines",), ("analysis",), ("views",), ("teach",), ("cli",)]
LAYER = {folder: k for k, folders in enumerate(LAYERS) for folder in folders}
TOP_LEVEL = {"__init__", "__main__"}  # the package's front door may name anything


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def target_of(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a ``from … import`` in ``path`` reads from."""
    if not node.level:
        return node.module or ""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every scalarnet import in the file, lazy ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "scalarnet"]
        elif isinstance(node, ast.ImportFrom):
            target = target_of(path, node)
            if target == "scalarnet":  # `from .. import views` names a folder; `__version__` the front door's
                found += [(node.lineno, f"scalarnet.{a.name}" if a.name in LAYER else "scalarnet") for a in node.names]
            elif target.split(".")[0] == "scalarnet":
                found.append((node.lineno, target))
    return found


def folder_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_package_has_only_its_front_door_and_folders_at_the_top() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert set(top) <= TOP_LEVEL | {"_version"}, top
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert set(folders) == set(LAYER), folders


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_reaches_up_a_layer(path: Path) -> None:
    here = folder_of(module_name(path))
    if here in TOP_LEVEL:
        return
    wrong = [f"line {line}: {target}" for line, target in imported(path)
             if folder_of(target) not in TOP_LEVEL and LAYER[folder_of(target)] > LAYER[here]]
    assert not wrong, f"{path.relative_to(PACKAGE)} ({here}, layer {LAYER[here]}) imports from above: {wrong}"


def test_a_sideways_import_between_folders_of_one_layer_is_refused_too() -> None:
    """spec and micrograd share a layer: neither may import the other."""
    for path in PACKAGE.rglob("*.py"):
        here = folder_of(module_name(path))
        if here in TOP_LEVEL:
            continue
        for line, target in imported(path):
            there = folder_of(target)
            if there not in TOP_LEVEL and there != here:
                assert LAYER[there] != LAYER[here], f"{path}: line {line}: {target}"


def test_no_module_takes_the_front_doors_lazy_names() -> None:
    """``from scalarnet import Node`` inside the package would load names from the front door
    (which loads them from below): every module imports what it needs from where it lives."""
    import scalarnet

    for path in PACKAGE.rglob("*.py"):
        if folder_of(module_name(path)) in TOP_LEVEL:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and target_of(path, node) == "scalarnet":
                lazy = [a.name for a in node.names if a.name in scalarnet._WHERE]
                assert not lazy, f"{path}: line {node.lineno}: {lazy}"
