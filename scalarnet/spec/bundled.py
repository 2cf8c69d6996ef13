"""The exercises shipped inside the package, found by name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..i18n import _
from . import SpecError, load


def bundled_dir() -> Path:
    return Path(str(resources.files("scalarnet") / "exercises"))


def bundled_names() -> list[str]:
    return sorted(p.stem for p in bundled_dir().glob("*.toml"))


def dataset_dir() -> Path:
    """Exercises at the tutorials' scale, on data files (Iris, ...): found by name like the others,
    but not in ``bundled_names()``, whose exercises are small enough to step through by hand."""
    return bundled_dir() / "data"


def dataset_names() -> list[str]:
    return sorted(p.stem for p in dataset_dir().glob("*.toml"))


def bundled_titles() -> list[tuple[str, str]]:
    return [(name, load(bundled_dir() / f"{name}.toml").title) for name in bundled_names()]


def resolve(name_or_path: str | Path) -> Path:
    """A file path as it is, or the path of the bundled exercise of that name."""
    if str(name_or_path) == "":  # Path("") is the current folder
        raise SpecError(_("no exercise given (an empty name); give an exercise file (TOML) or a bundled "
                          "exercise's name (see `scalarnet examples`)"))
    path = Path(name_or_path)
    if path.exists():
        return path
    stem = path.name[:-5] if path.name.endswith(".toml") else path.name
    if str(path.parent) == "." and stem in bundled_names():
        return bundled_dir() / f"{stem}.toml"
    if str(path.parent) == "." and stem in dataset_names():
        return dataset_dir() / f"{stem}.toml"
    raise SpecError(f"{name_or_path}: " + _("no such file, and no bundled exercise of that name; the bundled "
                                            "exercises are {names} (see `scalarnet examples`)").format(
        names=", ".join(bundled_names() + dataset_names())))
