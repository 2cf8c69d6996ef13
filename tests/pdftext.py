"""A PDF's text, read back with mutool (mupdf-tools), to check what a reader of the page sees."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def pdf_text(path: Path) -> str | None:
    """The text of every page of ``path``, or None when mutool is not installed."""
    if not shutil.which("mutool"):
        return None
    return subprocess.run(["mutool", "draw", "-F", "txt", "-o", "-", str(path)], capture_output=True, text=True,
                          timeout=60).stdout
