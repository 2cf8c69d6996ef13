"""Input files: what may be read (checked with stat before opening), and the stated size limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..i18n import _

MAX_FILE_BYTES = 16 * 2**20  # an exercise or CSV file (README "Limits")


def NO_SUCH_FILE() -> str:  # noqa: N802 - a message, compared by the CSV reader
    return _("no such file")


def check_input_file(path: Path, what: str | None = None) -> str | None:
    """Why ``path`` cannot be read as an input file (None when it can). Looks with stat
    only, so a FIFO or a device is refused without being opened (opening a FIFO blocks).
    ``what`` says what to give instead of a folder (default: an exercise file)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return NO_SUCH_FILE()
    except OSError as err:
        return _("cannot be read ({reason})").format(reason=err.strerror or err)
    if stat.S_ISDIR(info.st_mode):
        return _("is a folder; give {what}").format(
            what=what or _("an exercise file (TOML) or a bundled exercise's name"))
    if not stat.S_ISREG(info.st_mode):
        return _("is not a regular file (a pipe, a device or a socket); give a file")
    if info.st_size > MAX_FILE_BYTES:
        return _("is {size} MB, over the limit of {limit} MB").format(size=f"{info.st_size / 2**20:.1f}",
                                                                      limit=MAX_FILE_BYTES // 2**20)
    return None
