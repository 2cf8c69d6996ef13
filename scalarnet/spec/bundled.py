"""The exercises shipped inside the package, found by name."""

from __future__ import annotations

import os
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
    """A file path as it is, or the path of the bundled exercise of that name. A bare name
    (no folder in it) that is bundled wins over a folder of that name in the working folder:
    ``iris`` is the bundled exercise even beside a folder ``iris``; ``./iris/FILE.toml`` is a
    file in the folder. A file of that name still wins (``iris.toml`` written out)."""
    if str(name_or_path) == "":  # Path("") is the current folder
        raise SpecError(_("no exercise given (an empty name); give an exercise file (TOML) or a bundled "
                          "exercise's name (see `scalarnet examples`)"))
    path = Path(name_or_path)
    bundled = _bundled(path) if str(path.parent) == "." else None
    if path.exists() and not path.is_dir():
        return path
    if bundled is not None and path.is_dir() and not _bare(name_or_path):  # ./iris: the folder, by its path
        raise SpecError(f"{name_or_path}: " + _("is a folder; write {name} for the bundled exercise, or a file in "
                                                "the folder ({path})").format(
            name=path.name, path=os.path.join(str(name_or_path), _("FILE") + ".toml")))
    if bundled is not None:
        return bundled
    if path.exists():
        return path  # a folder: the reader says so
    raise SpecError(f"{name_or_path}: " + _("no such file, and no bundled exercise of that name; the bundled "
                                            "exercises are {names} (see `scalarnet examples`)").format(
        names=", ".join(bundled_names() + dataset_names())))


def _bare(name_or_path: str | Path) -> bool:
    """Whether a name was written without a folder (``iris``, ``iris.toml``; not ``./iris``)."""
    return not any(sep and sep in str(name_or_path) for sep in ("/", os.sep, os.altsep))


def _bundled(path: Path) -> Path | None:
    """The bundled exercise named like the last part of ``path`` (with or without .toml)."""
    stem = path.name[:-5] if path.name.endswith(".toml") else path.name
    if stem in bundled_names():
        return bundled_dir() / f"{stem}.toml"
    if stem in dataset_names():
        return dataset_dir() / f"{stem}.toml"
    return None
