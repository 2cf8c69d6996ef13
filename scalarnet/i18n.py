"""Translations: GNU gettext catalogs, one ``.po`` source per language.

Everything a person reads goes through ``_("English text")`` (or ``ngettext`` for counts);
strings defined at import time are marked with ``N_`` and translated where they are shown.
The English text is the message id, so English needs no catalog. Placeholders are
``str.format`` fields (``_("loss {loss}").format(loss=…)``): a translation may move them but
must keep every one (a test checks).

The catalogs live in ``scalarnet/locale/<lang>/LC_MESSAGES/scalarnet.po``. They are compiled
in memory, on first use, into the ``.mo`` form that :class:`gettext.GNUTranslations` reads, so
neither installing nor running needs ``msgfmt``; ``msgfmt``, ``xgettext`` and Poedit still
work on the files. ``python -m scalarnet.i18n update`` adds the messages marked in the code
and missing from the catalogs (appended, so parallel branches merge); ``… missing`` lists
those without a translation.

The language: ``--lang`` (``set_language``), else ``SCALARNET_LANG``, else the locale
(LC_ALL, LC_MESSAGES, LANG, the first one set: ``zh…`` means Chinese), else English.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gettext
import io
import os
import struct
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = ("en", "zh")
DOMAIN = "scalarnet"
LOCALE_DIR = Path(__file__).parent / "locale"
PACKAGE_DIR = Path(__file__).parent

_language: str | None = None  # set by set_language; None: from the environment


class LanguageError(ValueError):
    """An unknown language asked for by name (--lang, SCALARNET_LANG)."""


def normal_language(name: str, where: str = "--lang") -> str:
    """'zh', 'zh_CN.UTF-8', 'ZH-hans' -> 'zh'; 'en_GB' -> 'en'; anything else is an error."""
    code = name.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    if code in LANGUAGES:
        return code
    raise LanguageError(_("{where} {name!r}: unknown language; use one of {languages}").format(
        where=where, name=name, languages=", ".join(LANGUAGES)))


def detect_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for (SCALARNET_LANG, then the locale)."""
    env = os.environ if environ is None else environ
    if env.get("SCALARNET_LANG"):
        return normal_language(env["SCALARNET_LANG"], "SCALARNET_LANG")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):  # POSIX order: the first one set decides
        if env.get(var):
            return "zh" if env[var].lower().startswith("zh") else "en"
    return "en"


def language() -> str:
    """The language messages are shown in now."""
    return _language if _language is not None else detect_language()


def set_language(lang: str | None) -> None:
    """Show messages in ``lang`` ('en', 'zh'); None goes back to the environment's choice."""
    global _language
    _language = None if lang is None else normal_language(lang)


@contextlib.contextmanager
def using_language(lang: str | None) -> Iterator[None]:
    """Within the block, messages are in ``lang`` (None: unchanged)."""
    global _language
    before = _language
    if lang is not None:
        set_language(lang)
    try:
        yield
    finally:
        _language = before


def _(message: str) -> str:
    """``message`` (English) in the current language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    return translations(language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, as meant in ``context`` (the same English word can
    need two translations: 'ok' in a gradient check is 一致, in a grade report 对)."""
    return translations(language()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it yet (import-time constants)."""
    return message


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: the messages as written)."""
    path = po_path(lang)
    if lang == "en" or not path.exists():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compile_mo(read_po(path))))


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


# -- .po files --------------------------------------------------------------------------
@dataclass
class Entry:
    """One message of a catalog: its id, its translation(s) and the comments around it."""

    msgid: str
    msgstr: str = ""
    msgid_plural: str | None = None
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    context: str | None = None
    flags: set[str] = field(default_factory=set)
    line: int = 0
    references: list[str] = field(default_factory=list)  # the "#: file:line" comments

    @property
    def translated(self) -> bool:
        if "fuzzy" in self.flags:
            return False
        if self.msgid_plural is not None:
            return bool(self.msgstr_plural) and all(self.msgstr_plural.values())
        return bool(self.msgstr)

    @property
    def key(self) -> str:
        return self.msgid if self.context is None else f"{self.context}\x04{self.msgid}"


class CatalogError(ValueError):
    """A .po file that cannot be read; the message names the file and line."""


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header (msgid "") first, in file order."""
    return parse_po(path.read_text(encoding="utf-8"), path)


def parse_po(text: str, path: Path | str = "<po>") -> list[Entry]:
    """The entries of .po text; ``path`` names it in errors."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    references: list[str] = []
    target: tuple[str, int | None] | None = None  # the field the next "…" line continues
    start = 0

    def finish() -> None:
        if current is not None:
            entries.append(current)

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#:"):
            references += line[2:].split()
            continue
        if line.startswith("#"):
            continue
        keyword, _sep, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = "", line
        try:
            text = ast.literal_eval(rest) if rest.startswith('"') else None
        except (SyntaxError, ValueError):
            text = None
        if not isinstance(text, str):
            raise CatalogError(f"{path}:{number}: expected a quoted string, found {rest!r}") from None
        if keyword in ("msgctxt", "msgid") and (current is None or target is None
                                                 or target[0] in ("msgstr", "msgstr_plural")):
            finish()
            current, start = Entry(msgid="", flags=flags, line=number, references=references), number
            flags, references = set(), []
        if current is None:
            raise CatalogError(f"{path}:{number}: {keyword or 'a string'} before any msgid")
        if keyword == "":
            if target is None:
                raise CatalogError(f"{path}:{number}: a string continues nothing")
            name, index = target
            if index is None:
                setattr(current, name, (getattr(current, name) or "") + text)
            else:
                current.msgstr_plural[index] += text
            continue
        if keyword == "msgctxt":
            current.context, target = text, ("context", None)
        elif keyword == "msgid":
            current.msgid, current.line, target = text, start, ("msgid", None)
        elif keyword == "msgid_plural":
            current.msgid_plural, target = text, ("msgid_plural", None)
        elif keyword == "msgstr":
            current.msgstr, target = text, ("msgstr", None)
        elif keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            current.msgstr_plural[index], target = text, ("msgstr_plural", index)
        else:
            raise CatalogError(f"{path}:{number}: unknown keyword {keyword!r}")
    finish()
    return entries


def compile_mo(entries: list[Entry]) -> bytes:
    """The GNU .mo form of the translated entries (and the header), as msgfmt writes it."""
    pairs: dict[bytes, bytes] = {}
    for e in entries:
        if e.msgid == "" and e.context is None:  # the header; we always write UTF-8
            header = e.msgstr if "charset=" in e.msgstr else e.msgstr + "Content-Type: text/plain; charset=UTF-8\n"
            pairs[b""] = header.encode()
        elif e.translated:
            if e.msgid_plural is None:
                key, value = e.key, e.msgstr
            else:
                key = e.key + "\0" + e.msgid_plural
                value = "\0".join(e.msgstr_plural[i] for i in sorted(e.msgstr_plural))
            pairs[key.encode()] = value.encode()
    keys = sorted(pairs)
    ids = b"".join(k + b"\0" for k in keys)
    strs = b"".join(pairs[k] + b"\0" for k in keys)
    header = 7 * 4
    ids_start = header + 16 * len(keys)
    strs_start = ids_start + len(ids)
    offsets, id_pos, str_pos = [], 0, 0
    for k in keys:
        offsets.append((len(k), ids_start + id_pos, len(pairs[k]), strs_start + str_pos))
        id_pos += len(k) + 1
        str_pos += len(pairs[k]) + 1
    out = struct.pack("<7I", 0x950412DE, 0, len(keys), header, header + 8 * len(keys), 0, 0)
    out += b"".join(struct.pack("<2I", n, o) for n, o, _, _ in offsets)
    out += b"".join(struct.pack("<2I", n, o) for _, _, n, o in offsets)
    return out + ids + strs


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
    """python -m scalarnet.i18n update|missing|dedupe|prune [LANG]"""
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
