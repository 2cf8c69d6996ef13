"""Keeping the catalogs in step with the code (a translator's tools; nothing here runs when
scalarnet does).

    python -m scalarnet.i18n.catalog update [LANG]    append the marked messages a catalog lacks
    python -m scalarnet.i18n.catalog missing [LANG]   list the marked messages without a translation
    python -m scalarnet.i18n.catalog dedupe [LANG]    drop the copies a union merge of two branches made
    python -m scalarnet.i18n.catalog prune [LANG]     … and the messages no code marks any more

``update`` appends, so catalogs changed on parallel branches merge (``*.po merge=union`` in
.gitattributes); ``dedupe`` tidies what the union kept twice.
"""

from __future__ import annotations

import ast
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from . import LANGUAGES, Entry, po_path, read_po

PACKAGE_DIR = Path(__file__).parents[1]  # the package: the messages are marked all over it


# -- the messages marked in the code ----------------------------------------------------
MARKERS = {"_": 1, "N_": 1, "ngettext": 2, "pgettext": 2}  # function -> how many leading literal arguments


@dataclass(frozen=True)
class Message:
    msgid: str
    msgid_plural: str | None
    where: str  # file:line, for the catalog's reference comments
    context: str | None = None

    @property
    def key(self) -> str:
        return self.msgid if self.context is None else f"{self.context}\x04{self.msgid}"


def marked_messages(root: Path = PACKAGE_DIR) -> list[Message]:
    """Every literal passed to _(), N_() or ngettext() in the package's code, in file order."""
    found: list[Message] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            count = MARKERS.get(name)
            args = node.args[:count] if count else []
            if not count or len(args) < count or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                continue
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            if name == "pgettext":
                found.append(Message(args[1].value, None, where, context=args[0].value))
            else:
                found.append(Message(args[0].value, args[1].value if count == 2 else None, where))
    found.sort(key=lambda m: (m.where.split(":")[0], int(m.where.split(":")[1])))
    return found


def _quote(text: str) -> str:
    """A .po string literal (long ones split after newlines, as msgmerge does)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    lines = escaped.split("\n")
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    if len(parts) <= 1:
        return f'"{parts[0] if parts else ""}"'
    return '""\n' + "\n".join(f'"{p}"' for p in parts)


def update(lang: str) -> int:
    """Append the marked messages missing from ``lang``'s catalog; how many were added."""
    path = po_path(lang)
    known = {e.key for e in read_po(path)} if path.exists() else set()
    new: dict[str, list[Message]] = {}
    for m in marked_messages():
        if m.key not in known:
            new.setdefault(m.key, []).append(m)
    if not new:
        return 0
    blocks = []
    for messages in new.values():
        msgid, plural, context = messages[0].msgid, messages[0].msgid_plural, messages[0].context
        block = f"#: {' '.join(m.where for m in messages[:3])}\n"
        if "{" in msgid:
            block += "#, python-brace-format\n"
        if context is not None:
            block += f"msgctxt {_quote(context)}\n"
        block += f"msgid {_quote(msgid)}\n"
        if plural is None:
            block += 'msgstr ""\n'
        else:
            block += f'msgid_plural {_quote(plural)}\nmsgstr[0] ""\n'
        blocks.append(block)
    text = path.read_text(encoding="utf-8") if path.exists() else _header(lang)
    tmp = path.with_suffix(".po.tmp")
    tmp.write_text(text.rstrip("\n") + "\n\n" + "\n".join(blocks), encoding="utf-8")
    os.replace(tmp, path)
    return len(new)


def dedupe(lang: str, prune: bool = False) -> list[str]:
    """Rewrite ``lang``'s catalog without the later copies of a message that appears twice
    (two branches added it and git's union merge kept both, sometimes without the blank line
    between entries), and with ``prune`` without the messages no code marks any more. A copy
    translated differently is dropped too, and reported: check which translation to keep."""
    path = po_path(lang)
    marked = {m.key for m in marked_messages()}
    kept: dict[str, Entry] = {}
    conflicts = []
    for e in read_po(path):
        if prune and e.msgid and e.key not in marked:
            continue
        first = kept.get(e.key)
        if first is None:
            kept[e.key] = e
        elif (first.msgstr, first.msgstr_plural) != (e.msgstr, e.msgstr_plural):
            conflicts.append(f"{e.msgid!r}: kept {first.msgstr!r}, dropped {e.msgstr!r}")
    write_po(path, list(kept.values()))
    return conflicts


def write_po(path: Path, entries: list[Entry]) -> None:
    """The entries as a .po file (whole or not at all)."""
    blocks = []
    for e in entries:
        block = "".join(f"#: {ref}\n" for ref in e.references)
        if e.flags:
            block += f"#, {', '.join(sorted(e.flags))}\n"
        if e.context is not None:
            block += f"msgctxt {_quote(e.context)}\n"
        block += f"msgid {_quote(e.msgid)}\n"
        if e.msgid_plural is None:
            block += f"msgstr {_quote(e.msgstr)}\n"
        else:
            block += f"msgid_plural {_quote(e.msgid_plural)}\n"
            block += "".join(f"msgstr[{i}] {_quote(e.msgstr_plural[i])}\n" for i in sorted(e.msgstr_plural))
        blocks.append(block)
    tmp = path.with_suffix(".po.tmp")
    tmp.write_text("\n".join(blocks), encoding="utf-8")
    os.replace(tmp, path)


def _header(lang: str) -> str:
    return (f'msgid ""\nmsgstr ""\n"Project-Id-Version: scalarnet\\n"\n"PO-Revision-Date: 2026-12-02 00:00+0000\\n"\n'
            f'"Last-Translator: scalarnet developers\\n"\n"Language-Team: Chinese\\n"\n"Language: {lang}\\n"\n'
            '"MIME-Version: 1.0\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
            '"Content-Transfer-Encoding: 8bit\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n')


def missing(lang: str) -> list[Message]:
    """The marked messages that ``lang``'s catalog does not translate."""
    path = po_path(lang)
    done = {e.key for e in read_po(path) if e.translated} if path.exists() else set()
    return [m for m in marked_messages() if m.key not in done]


def main(argv: list[str] | None = None) -> int:
    """python -m scalarnet.i18n.catalog update|missing|dedupe|prune [LANG]"""
    args = sys.argv[1:] if argv is None else argv
    command, langs = (args[0] if args else "missing"), (args[1:] or [code for code in LANGUAGES if code != "en"])
    for lang in langs:
        if command == "update":
            print(f"{po_path(lang)}: {update(lang)} messages added")
        elif command in ("dedupe", "prune"):
            for conflict in dedupe(lang, prune=command == "prune"):
                print(f"{lang}: translated twice, differently: {conflict}")
        elif command == "missing":
            gaps = missing(lang)
            for m in gaps:
                print(f"{m.where}: {m.msgid!r}")
            print(f"{lang}: {len(gaps)} messages without a translation")
        else:
            print(main.__doc__)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
