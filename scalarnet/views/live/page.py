"""The live page: the viewer's parts (diagram, step table, narration, derivation) beside a
slider and a number box for every value of the exercise. Its script (``assets/live.js``)
asks the server for the state at the values set and patches the page with it."""

from __future__ import annotations

import html
from pathlib import Path

from ...i18n import N_, _, language
from ..viewer import page_assets, script_json
from .session import Live

ASSETS = Path(__file__).with_name("assets")
POLL_MS = 300  # how often the page asks whether the file changed
GROUPS = {"param": N_("parameters"), "input": N_("inputs"), "target": N_("targets"), "rate": N_("learning rate")}


def words() -> dict[str, str]:
    """The script's own words, in the language shown."""
    return {"where": _("frame {k} of {n}"), "play": _("play"), "pause": _("pause"),
            "reloaded": _("reloaded {time}: the file changed"),
            "lost": _("the server does not answer (is scalarnet serve still running?)"),
            "groups": {kind: _(word) for kind, word in GROUPS.items()}}


def page(live: Live, file: str, files: list[str]) -> str:
    """The page of one exercise file (``file``: its name in the folder; ``files``: the others)."""
    esc = html.escape
    css = page_assets()[0] + (ASSETS / "live.css").read_text(encoding="utf-8")  # the viewer's style, then ours
    js = (ASSETS / "live.js").read_text(encoding="utf-8")
    data = {"file": file, "poll": POLL_MS, "words": words(), **live.file_json()}
    chooser = ""
    if len(files) > 1:
        options = "".join(f'<option value="{esc(f)}"{" selected" if f == file else ""}>{esc(f)}</option>'
                          for f in files)
        chooser = f'<label>{esc(_("file"))} <select id="file">{options}</select></label>'
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if language() == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(live.title)} · scalarnet serve</title>
<style>{css}</style>
</head>
<body>
<header><h1 id="title">{esc(live.title)}</h1>{chooser}
<span id="status">{esc(_("live: move a value, or save the file, and every number follows"))}</span></header>
<p id="error" role="alert" hidden></p>
<div class="controls">
<button id="prev" type="button" title="{esc(_("previous frame (←)"))}">&#9664; {esc(_("prev"))}</button>
<button id="play" type="button" title="{esc(_("play or pause (space)"))}">&#9654; {esc(_("play"))}</button>
<button id="next" type="button" title="{esc(_("next frame (→)"))}">{esc(_("next"))} &#9654;</button>
<input id="slider" type="range" min="0" max="0" value="0" aria-label="{esc(_("frame"))}">
<span id="where"></span>
<label>{esc(_("parameter"))} <select id="param"></select></label>
<button id="zoomout" type="button" title="{esc(_("zoom out"))}">&minus;</button>
<button id="fit" type="button" title="{esc(_("the whole diagram in view"))}">{esc(_("fit"))}</button>
<button id="zoomin" type="button" title="{esc(_("zoom in"))}">+</button>
<button id="reset" type="button" title="{esc(_("back to the numbers in the file"))}">{esc(_("reset values"))}</button>
</div>
<p id="narration" aria-live="polite"></p>
<main>
<section id="values" aria-label="{esc(_("values"))}"></section>
<section id="stage"><div id="canvas"></div><p class="note" id="note" hidden></p></section>
<section id="side"><h2 id="label"></h2><div id="tables"></div>
<h2 id="derivation-title">{esc(_("derivation"))}</h2><pre id="derivation"></pre></section>
</main>
<style id="frame-style"></style>
<script type="application/json" id="data">{script_json(data)}</script>
<script>{js}</script>
</body>
</html>
"""


def refused(message: str) -> str:
    """The page for a file the server will not show."""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>scalarnet serve</title></head>'
            f'<body><p role="alert">{html.escape(message)}</p></body></html>')
