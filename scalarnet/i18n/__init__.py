"""Translations: GNU gettext catalogs, one ``.po`` source per language.

Everything a person reads goes through ``_("English text")`` (or ``ngettext`` for counts);
strings defined at import time are marked with ``N_`` and translated where they are shown.
The English text is the message id, so English needs no catalog. Placeholders are
``str.format`` fields (``_("loss {loss}").format(loss=…)``): a translation may move them but
must keep every one (a test checks).

The catalogs live in ``scalarnet/i18n/locale/<lang>/LC_MESSAGES/scalarnet.po``. They are compiled
in memory, on first use, into the ``.mo`` form that :class:`gettext.GNUTranslations` reads, so
neither installing nor running needs ``msgfmt``; ``msgfmt``, ``xgettext`` and Poedit still
work on the files. The tools that keep the catalogs in step with the code are in
``scalarnet/i18n/catalog.py`` (``python -m scalarnet.i18n.catalog update|missing|dedupe|prune``).

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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = ("en", "zh")
DOMAIN = "scalarnet"
LOCALE_DIR = Path(__file__).parent / "locale"

_language: str | None = None  # set by set_language; None: from the environment


class LanguageError(ValueError):
    """An unknown language asked for by name (--lang, SCALARNET_LANG)."""


def normal_language(name: str, where: str = "--lang") -> str:
    """'zh', 'ZH', 'zh_CN.UTF-8', 'ZH-hans' -> 'zh'; 'en_GB' -> 'en'; anything else is an error."""
    code = name.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    if code in LANGUAGES:
        return code
    # The message cannot ask for the current language: that is what failed (and asking again
    # would recurse). It is in the locale's language instead.
    message = translations(_locale_language(os.environ)).gettext(N_(
        "{where} {name!r}: unknown language; use one of {languages} (or zh_CN.UTF-8, en_US: the language is "
        "the part before _)"))
    raise LanguageError(message.format(where=where, name=name, languages=", ".join(LANGUAGES)))


def detect_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for (SCALARNET_LANG, then the locale); an unknown
    SCALARNET_LANG is a LanguageError."""
    env = os.environ if environ is None else environ
    if env.get("SCALARNET_LANG", "").strip():
        return normal_language(env["SCALARNET_LANG"], "SCALARNET_LANG")
    return _locale_language(env)


def _locale_language(env: Mapping[str, str]) -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):  # POSIX order: the first one set decides
        if env.get(var):
            return "zh" if env[var].lower().startswith("zh") else "en"
    return "en"


def language() -> str:
    """The language messages are shown in now. An unknown SCALARNET_LANG counts as unset here:
    a library's error message must not fail for the environment's sake (the command line
    refuses it, in one line, before it runs anything)."""
    if _language is not None:
        return _language
    try:
        return detect_language()
    except LanguageError:
        return _locale_language(os.environ)


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
