"""What every section's reader shares: where an error is, names taken, numbers and tables checked,
and the small texts messages are made of."""

from __future__ import annotations

import difflib
from typing import Any

from ..i18n import LANGUAGES, _, language
from . import formula
from .model import SpecError


class Reader:
    """The file being read: its path, for messages, and the checks every section uses."""

    def __init__(self, path: str) -> None:
        self.path = path

    def error(self, where: str, message: str) -> SpecError:
        return SpecError(f"{self.path}: {where}: {message}")


    def in_language(self, doc: dict[str, Any], key: str, default: str) -> str:
        """``key`` (title, description) as a string, or a table of one per language
        (``title = { en = "…", zh = "…" }``) read in the current language, else English,
        else the first one given."""
        value = doc.get(key, default)
        if isinstance(value, str):
            return value
        if not isinstance(value, dict) or not value:
            raise self.error(key, _('must be a string, or one string per language: {key} = {{ en = "…", zh = "…" }}')
                             .format(key=key))
        for lang, text in value.items():
            if lang not in LANGUAGES:
                raise self.error(f"{key}.{lang}", _("unknown language{hint}; the languages are {languages}").format(
                    hint=did_you_mean(lang, LANGUAGES), languages=", ".join(LANGUAGES)))
            if not isinstance(text, str):
                raise self.error(f"{key}.{lang}", _("must be a string, got {value}").format(value=value_text(text)))
        return value.get(language(), value.get("en", next(iter(value.values()))))

    def define(self, defined: dict[str, str], name: str, section: str) -> str:
        """Record ``name`` (of ``section``) as taken and return it as formulas read it
        (NFKC-normalised); a bad name, or one that reads as a name already taken, is an error."""
        key = formula.normal_name(name) if isinstance(name, str) else name
        problem = formula.name_error(key)
        if problem is None and key in defined:
            earlier = defined[key]
            written = earlier.rpartition(" ")[2]  # the name as the earlier entry spells it
            problem = (_("{name} is already defined in {earlier}; give it another name").format(
                name=name, earlier=earlier) if written == name else
                _("{name} and {written} ({earlier}) are the same name to Python, which reads both as {key} "
                  "(NFKC); rename one of them").format(name=repr(name), written=repr(written), earlier=earlier,
                                                       key=repr(key)))
        if problem:
            raise self.error(f"[{section}] {formula.label(name)}" if section != "loss" else "[network] loss", problem)
        defined[key] = (f"[{section}] {name}" if section != "loss"
                        else _("the network's per-example loss {name}").format(name=name))
        return key

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            shown = ("true" if value else "false") if isinstance(value, bool) else formula.cut(repr(value), 40)
            raise self.error(where, _("expected a number, got {value}").format(value=shown))
        try:
            value = float(value)
        except OverflowError:
            raise self.error(where, _("the number is too big for a float (at most about 1.8e308)")) from None
        if value - value != 0.0:
            raise self.error(where, _("{value} is not a finite number").format(value=value_text(value)))
        return value

    def table(self, value: Any, section: str, keys: tuple[str, ...]) -> dict:
        """``value`` checked to be a table whose keys are among ``keys``."""
        if not isinstance(value, dict):
            raise self.error(f"[{section}]", _("must be a table"))
        for key in value:
            if key not in keys:
                raise self.error(f"[{section}] {key}", _("unknown key{hint}; the keys are {keys}").format(
                    hint=did_you_mean(key, keys), keys=", ".join(keys)))
        return value


def size_text(n_bytes: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n_bytes < 1024 or unit == "TB":
            return _("{n} bytes").format(n=f"{n_bytes:,.0f}") if unit == "bytes" else f"{n_bytes:,.1f} {unit}"
        n_bytes /= 1024
    return ""


def listed(names: Any, limit: int = 30) -> str:
    """Names for a message, the first ``limit`` of them."""
    names = list(names)
    more = _(", … ({n} more)").format(n=len(names) - limit) if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def value_text(value: Any) -> str:
    """A value from the file for a message, its repr cut to 60 characters."""
    return formula.cut(repr(value), 60)


def did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return _(" (did you mean {name}?)").format(name=close[0]) if close else ""
