"""The exercise files ``scalarnet serve`` may show: the one it was started with and the other
TOML files beside it, never a file outside that folder (no ``..``, no absolute path, no link
that leads out of it)."""

from __future__ import annotations

from pathlib import Path

from ...i18n import _
from ...spec import SpecError
from .session import Live, cli_words


class Refused(ValueError):
    """A file the server will not show; the message says why."""


class Folder:
    """The live sessions of one folder's exercise files, opened on first use."""

    def __init__(self, path: Path, steps: int = 3, param: str | None = None,
                 learning_rate: float | None = None) -> None:
        path = Path(path).absolute()
        self.root = path.parent.resolve()
        self.default = path.name
        self.steps, self.learning_rate = steps, learning_rate
        self._sessions = {self.default: Live(path, steps, param, learning_rate)}  # a bad file: the command's error

    def names(self) -> list[str]:
        """The exercise files one can switch to: the TOML files of the folder."""
        return sorted({self.default, *(p.name for p in self.root.glob("*.toml") if p.is_file())})

    def open(self, name: str | None) -> Live:
        """The session of file ``name`` (a file name in the folder; None: the first file)."""
        name = name or self.default
        if name in self._sessions:
            return self._sessions[name]
        target = (self.root / name).resolve()
        if target.parent != self.root or Path(name).name != name:
            raise Refused(_("{name}: outside the exercise's folder {folder}; scalarnet serve shows only the "
                            "exercise files in it").format(name=name, folder=self.root))
        if target.suffix != ".toml" or not target.is_file():
            raise Refused(_("{name}: no exercise file of that name in {folder}").format(name=name, folder=self.root))
        try:
            live = Live(target, self.steps, None, self.learning_rate)
        except SpecError as err:
            raise Refused(cli_words(err)) from None
        self._sessions[name] = live
        return live
