"""Which installed font draws CJK names (Chinese, Japanese, Korean), for the diagrams and plots.

The diagrams' and plots' own fonts (DejaVu) have no CJK glyphs: a name like 权重1 drawn with
them shows as empty boxes. The in-process renderer (resvg, cairosvg) and matplotlib are
therefore given a CJK font to fall back to: the best one of those installed, found with
fontconfig's ``fc-list`` (the fonts Graphviz, cairo and resvg see), else in matplotlib's own
font list (macOS, Windows); the system Graphviz falls back through fontconfig by itself.
matplotlib is handed the font's file (``matplotlib_family``), since its own font cache may
have been made before the font was installed.
When a picture holds CJK text and no CJK font is installed, ``warn_if_missing`` says once
which package to install; the picture is still drawn.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from functools import lru_cache

from ..i18n import _

# Families that draw Simplified Chinese well, best first; any other installed font that
# covers Chinese comes after them.
PREFERRED = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
             "WenQuanYi Zen Hei", "Sarasa Gothic SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
             "SimHei", "Heiti SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Droid Sans Fallback")
INSTALL = "apt-get install fonts-noto-cjk"
# words in the names of CJK fonts, to recognise them in a font list that says nothing of languages
_CJK_WORDS = ("CJK", "Han Sans", "Han Serif", "WenQuanYi", "Sarasa", "Hei", "SimSun", "Song", "Ming", "Kai",
              "PingFang", "Hiragino", "Droid Sans Fallback")
# hangul jamo, CJK radicals to Yi, hangul syllables, compatibility ideographs, fullwidth forms
# (wasm_worker.py, which imports nothing of scalarnet, cuts lines at the same characters)
WIDE = re.compile("[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_warned = False


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a character the diagrams' font lacks for want of CJK glyphs."""
    return WIDE.search(text) is not None


@lru_cache(maxsize=1)
def installed() -> tuple[str, ...]:
    """The families of the installed fonts that cover Chinese (``fc-list :lang=zh``); without
    fontconfig, the CJK-looking families matplotlib knows; empty when there is none."""
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            done = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            done = None
        if done is not None and done.returncode == 0:
            # a line per font, its family names comma-separated ("Noto Sans CJK SC,Noto Sans CJK SC Regular")
            return _unique(name.strip() for line in done.stdout.splitlines() for name in line.split(",")[:1])
    try:
        from matplotlib import font_manager
    except ImportError:
        return ()
    return _unique(f.name for f in font_manager.fontManager.ttflist if any(w in f.name for w in _CJK_WORDS))


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({n for n in names if n}))


def cjk_family(among: Iterable[str] | None = None) -> str | None:
    """The best family for CJK text among ``among`` (default: every installed CJK font): a
    preferred one, else a sans-serif one, else any; None when there is none."""
    names = [n for n in (installed() if among is None else among) if n in installed()]
    return (sans_families(names) or names or [None])[0]


def sans_families(names: Iterable[str] | None = None) -> list[str]:
    """The sans-serif CJK families among ``names`` (default: every installed CJK font), best
    first: the preferred ones in their order, then the others that are neither serif nor
    monospaced (the diagrams' own fonts are sans-serif and proportional)."""
    names = list(installed() if names is None else names)
    preferred = [n for n in PREFERRED if n in names]
    return preferred + [n for n in names if n not in preferred and "Serif" not in n and "Mono" not in n]


def font_file(family: str) -> str | None:
    """The file fontconfig draws ``family`` from (its regular face), or None without fontconfig."""
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return None
    try:
        done = subprocess.run([fc_match, "-f", "%{file}", f"{family}:lang=zh"], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def matplotlib_family(font_manager) -> str | None:
    """The CJK family for matplotlib (``font_manager``: its module). matplotlib knows the fonts of
    its font cache, which may predate the CJK font: so the file fontconfig finds is registered
    with it (``addfont``), under the family name matplotlib reads from the file; without
    fontconfig, the best CJK family of matplotlib's own list. None when there is none."""
    family = cjk_family()
    path = font_file(family) if family and shutil.which("fc-list") else None
    if path:
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):  # a file matplotlib cannot read: its own list, then
            pass
    return cjk_family(f.name for f in font_manager.fontManager.ttflist)


def warn_if_missing(texts: Iterable[str], family: str | None = None) -> bool:
    """Say once, on stderr, which package to install when ``texts`` hold CJK characters and no
    installed font has them (they will show as boxes): ``family``, the CJK font the caller
    draws with, else ``cjk_family()``. True when a CJK font is missing."""
    global _warned
    if not any(has_cjk(t) for t in texts) or (family or cjk_family()) is not None:
        return False
    if not _warned:
        _warned = True
        print("scalarnet: " + _("the picture holds CJK text but no CJK font is installed, so it shows as empty "
                                "boxes; install one: {command}").format(command=INSTALL), file=sys.stderr)
    return True
