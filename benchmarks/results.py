"""RESULTS.md is shared by several benchmarks: each owns one section between its own marker
comments (``<!-- NAME:begin -->`` … ``<!-- NAME:end -->``), replaced whole, the rest kept."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_section(path: Path, text: str, begin: str, end: str) -> None:
    """Replace the section of ``path`` between ``begin`` and ``end`` with ``text`` (which holds
    both markers), or append it; the file is written whole or not at all."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start, stop = old.find(begin), old.find(end)
    new = (old[:start] + text.rstrip("\n") + old[stop + len(end):] if 0 <= start < stop
           else (old.rstrip("\n") + "\n\n" if old.strip() else "") + text)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(new)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
