"""Input files: what may be read (checked with stat before opening), and the stated size limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 16 * 2**20  # an exercise or CSV file (README "Limits")


def check_input_file(path: Path, what: str = "an exercise file (TOML) or a bundled exercise's name") -> str | None:
    """Why ``path`` cannot be read as an input file (None when it can). Looks with stat
    only, so a FIFO or a device is refused without being opened (opening a FIFO blocks)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"
    if stat.S_ISDIR(info.st_mode):
        return f"is a folder; give {what}"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a pipe, a device or a socket); give a file"
    if info.st_size > MAX_FILE_BYTES:
        return f"is {info.st_size / 2**20:.1f} MB, over the limit of {MAX_FILE_BYTES // 2**20} MB"
    return None
