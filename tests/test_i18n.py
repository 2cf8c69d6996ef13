"""The translation machinery: catalogs complete and well-formed, the language chosen as
documented, argparse's own words translated, ``_`` never shadowed."""

from __future__ import annotations

import ast
import gettext
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scalarnet import i18n
from scalarnet.cli import main
from scalarnet.i18n import catalog

ROOT = Path(__file__).resolve().parents[1]
PO = i18n.po_path("zh")


def test_every_marked_message_has_a_chinese_translation() -> None:
    gaps = catalog.missing("zh")
    assert not gaps, "untranslated (run `python -m scalarnet.catalog update`, then translate):\n" + "\n".join(
        f"{m.where}: {m.msgid!r}" for m in gaps[:40])


def test_catalog_has_no_duplicates_and_no_stale_messages() -> None:
    entries = [e for e in i18n.read_po(PO) if e.msgid]
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})
    marked = {m.key for m in catalog.marked_messages()}
    stale = [e.msgid for e in entries if e.key not in marked]
    assert not stale, f"messages no code marks any more (delete them from {PO.name}): {stale[:20]}"


BRACE = re.compile(r"\{[^{}]*\}")
PERCENT = re.compile(r"%(?:\([a-z_]+\))?[sdrf]")


@pytest.mark.parametrize("pattern", [BRACE, PERCENT], ids=["brace", "percent"])
def test_translations_keep_every_placeholder(pattern: re.Pattern[str]) -> None:
    wrong = []
    for e in i18n.read_po(PO):
        if not e.msgid or not e.translated:
            continue
        targets = [e.msgstr] if e.msgid_plural is None else list(e.msgstr_plural.values())
        for target in targets:
            if sorted(pattern.findall(e.msgid)) != sorted(pattern.findall(target)):
                wrong.append((e.msgid, target))
    assert not wrong, wrong[:10]


def test_translations_are_chinese() -> None:
    """A msgstr copied from its msgid (or left in English) is not a translation."""
    english = []
    for e in i18n.read_po(PO):
        if e.msgid and e.translated and e.msgid_plural is None:
            letters = re.sub(r"\{[^{}]*\}|%(?:\([a-z_]+\))?[sdrf]", "", e.msgid)
            if re.search(r"[A-Za-z]{3}", letters) and not re.search(r"[\u4e00-\u9fff]", e.msgstr):
                english.append(e.msgid)
    allowed = {"SVG", "PNG", "PDF", "DOT", "JSON", "GIF"}  # the rare message that is all names
    assert [m for m in english if m.strip() not in allowed] == []


def test_catalog_compiles_as_msgfmt_and_gettext_read_it() -> None:
    mo = i18n.compile_mo(i18n.read_po(PO))
    catalog = gettext.GNUTranslations(io.BytesIO(mo))
    assert catalog.gettext("options") == "选项"
    assert catalog.info()["language"] == "zh"
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (GNU gettext) is not installed; the in-memory compiler was checked")
    ours = gettext.GNUTranslations(io.BytesIO(subprocess.run(
        ["msgfmt", "--check", "-o", "-", str(PO)], capture_output=True, check=True).stdout))
    for e in i18n.read_po(PO):
        if e.msgid and e.translated and e.msgid_plural is None:
            if e.context is None:
                assert ours.gettext(e.msgid) == catalog.gettext(e.msgid) == e.msgstr
            else:
                assert ours.pgettext(e.context, e.msgid) == catalog.pgettext(e.context, e.msgid) == e.msgstr


def test_po_reader_handles_continuations_plurals_context_and_fuzzy(tmp_path: Path) -> None:
    po = tmp_path / "x.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: zh\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
                  '#, fuzzy\nmsgid "a"\nmsgstr "甲"\n\n'
                  'msgctxt "menu"\nmsgid "b"\nmsgstr "乙"\n\n'
                  'msgid ""\n"long "\n"line\\n"\nmsgstr ""\n"长"\n"行\\n"\n\n'
                  'msgid "{n} step"\nmsgid_plural "{n} steps"\nmsgstr[0] "{n} 步"\n', encoding="utf-8")
    entries = i18n.read_po(po)
    assert [e.msgid for e in entries] == ["", "a", "b", "long line\n", "{n} step"]
    catalog = gettext.GNUTranslations(io.BytesIO(i18n.compile_mo(entries)))
    assert catalog.gettext("a") == "a"  # fuzzy: not used
    assert catalog.pgettext("menu", "b") == "乙"
    assert catalog.gettext("long line\n") == "长行\n"
    assert catalog.ngettext("{n} step", "{n} steps", 5) == "{n} 步"
    bad = tmp_path / "bad.po"
    bad.write_text('msgid "a"\nmsgstr 5\n', encoding="utf-8")
    with pytest.raises(i18n.CatalogError, match="bad.po:2"):
        i18n.read_po(bad)


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US"}, "zh"),
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),  # the first one set decides, as in POSIX
    ({"LC_MESSAGES": "zh_CN", "LANG": "en_US"}, "zh"),
    ({"SCALARNET_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"SCALARNET_LANG": "zh"}, "zh"),
])
def test_language_from_the_environment(env: dict[str, str], expected: str) -> None:
    assert i18n.detect_language(env) == expected


def test_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(i18n.LanguageError, match="SCALARNET_LANG 'fr'.*en, zh"):
        i18n.detect_language({"SCALARNET_LANG": "fr"})


def test_help_and_argparse_errors_follow_lang(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCALARNET_LANG", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    with pytest.raises(SystemExit):
        main(["step", "--help", "--lang", "zh"])
    out = capsys.readouterr().out
    assert out.startswith("用法：scalarnet step") and "选项" in out
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # no flag: the locale
    with pytest.raises(SystemExit):
        main(["step", "mazur-2-2-2", "--bogus"])
    assert "无法识别的参数：--bogus" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["step", "--help", "--lang=en"])  # the flag wins over the locale
    assert capsys.readouterr().out.startswith("usage: scalarnet step")
    import argparse

    assert argparse._("options") == "options"  # put back for the rest of the process


def test_no_module_shadows_the_translation_function() -> None:
    """``for _ in …`` or ``_, x = …`` in a function that also calls ``_("…")`` makes ``_``
    local to the whole function, and the call fails (UnboundLocalError)."""
    offenders = []
    for path in sorted((ROOT / "scalarnet").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports_it = any(isinstance(n, ast.ImportFrom) and any(a.name == "_" for a in n.names)
                         for n in ast.walk(tree))
        if not imports_it:
            continue
        for func in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            in_comprehensions = {id(n) for c in ast.walk(func) if isinstance(c, ast.comprehension)
                                 for n in ast.walk(c.target)}  # those have a scope of their own
            for n in ast.walk(func):
                if (isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)
                        and id(n) not in in_comprehensions):
                    offenders.append(f"{path.relative_to(ROOT)}:{n.lineno}")
    assert not offenders, offenders


def test_lang_zh_from_the_command_line_in_a_fresh_process() -> None:
    run = subprocess.run([sys.executable, "-m", "scalarnet", "--lang", "zh", "nosuchcommand"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2
    assert "无效的选项" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("value", ["garbage", "fr", "C", "en:zh"])
def test_an_unknown_scalarnet_lang_is_one_line_and_library_errors_still_work(value, capsys, monkeypatch):
    from scalarnet import Node
    from scalarnet.core.node import NumericError

    monkeypatch.setenv("SCALARNET_LANG", value)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["examples"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (f"scalarnet: error: SCALARNET_LANG {value!r}: unknown language; use one of en, zh "
                                 "(or zh_CN.UTF-8, en_US: the language is the part before _)\n")
    with pytest.raises(NumericError, match="division by zero"):  # not RecursionError
        Node(1.0) / Node(0.0)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # the message in the locale's language
    assert main(["examples"]) == 2
    assert capsys.readouterr().err == (f"scalarnet：错误：SCALARNET_LANG {value!r}：未知的语言；请用 en, zh 之一"
                                       "（或 zh_CN.UTF-8、en_US：取 _ 之前的部分）\n")


@pytest.mark.parametrize("flag", ["ZH", "zh_CN.UTF-8", "zh-Hans"])
def test_lang_reads_what_the_variable_reads(flag, capsys, monkeypatch):
    monkeypatch.delenv("SCALARNET_LANG", raising=False)
    assert main(["step", "sigmoid-2-2-2", "--lang", flag]) == 0
    assert "正向传播" in capsys.readouterr().out
    monkeypatch.setenv("SCALARNET_LANG", flag)
    assert main(["step", "sigmoid-2-2-2"]) == 0
    assert "正向传播" in capsys.readouterr().out
