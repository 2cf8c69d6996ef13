"""The step-through viewer: training steps as frames, each a diagram beside the table of
values and gradients and the derivation of the highlighted parameter.

A step gives a forward frame, one frame per node of the backward walk (the diagrams'
``backward_frames``; a big network gets one backward frame at a readable level instead)
and an update frame. ``to_html`` writes it all into one self-contained page (inline SVG,
CSS and JavaScript, nothing fetched); ``show`` steps through the same frames in Jupyter,
with ipywidgets where installed and the page in an iframe where not.

The diagrams are drawn without a highlight; the page highlights the paths of the chosen
parameter itself (so the choice can change), from the SVG element ids listed per frame.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..derive import StepDerivations
from ..exercise import Exercise
from . import derivation, render
from .diagram import DiagramError, pictures
from .diagram.subject import from_exercise
from .table import number

WALK_LIMIT = 60  # named nodes up to which a step gets a frame per node of the backward walk
MAX_DERIVED = 40  # parameters whose derivations the page carries (the chosen one first)


@dataclass
class Frame:
    step: int  # index into Viewer.steps
    phase: str  # forward, backward or update
    label: str
    table: str  # HTML
    svg: str = ""
    highlights: dict[str, list[str]] = field(default_factory=dict)  # param -> SVG element ids on its paths


@dataclass
class StepView:
    step: int  # as `step --json` numbers it
    derivations: dict[str, str]  # param -> the text derivation
    paths: dict[str, list[tuple[str, ...]]]  # param -> the named paths of the example drawn


@dataclass
class Viewer:
    title: str
    param: str
    params: list[str]  # those with derivations, the chosen one first
    steps: list[StepView]
    frames: list[Frame]
    note: str = ""  # e.g. why the diagrams are missing


def build(exercise: Exercise, steps: int = 1, param: str | None = None) -> Viewer:
    """Run ``steps`` training steps of ``exercise`` (from where it is) and make their frames."""
    names = list(exercise.params)
    if param is not None and param not in names:
        raise KeyError(f"{param!r} is not a parameter; the parameters are {', '.join(names)}")
    chosen = param or names[0]
    derived = [chosen] + [n for n in names if n != chosen][: MAX_DERIVED - 1]
    views, frames, sources = [], [], []
    for k in range(exercise.steps_done + 1, exercise.steps_done + steps + 1):
        subject = from_exercise(exercise, k)
        shots = _pictures(subject, len(subject.names) <= WALK_LIMIT)
        record, batch = exercise.run_step(update=False)
        found = StepDerivations(exercise, record, batch)
        ds = {p: found.derive(p) for p in derived}
        views.append(StepView(k, {p: derivation.text(d) for p, d in ds.items()},
                              {p: sorted({path.nodes for path in d.paths or [] if path.example == record.examples[0]})
                               for p, d in ds.items()}))
        slot = batch.slots[0]
        seen: set[str] = set()
        for phase, picture in shots:
            seen.add(picture.current)
            where = f"step {k} · " + {"forward": "forward pass",
                                      "update": f"update (learning rate {number(record.learning_rate)})"}.get(
                phase, f"backward walk: at {picture.current}" if picture.current else "backward pass")
            known = None if phase == "forward" else (set(seen) if picture.current else set(slot))
            frames.append(Frame(len(views) - 1, phase, where, _table(exercise, record, slot, phase, known,
                                                                     picture.current)))
            sources.append(picture.graph.source)
        exercise.advance_to(k + 1)
    viewer = Viewer(exercise.title, chosen, derived, views, frames)
    render_frames(viewer, sources)
    return viewer


def render_frames(viewer: Viewer, sources: list[str]) -> None:
    """Render each frame's diagram (DOT ``sources``, one per frame) into the frame, with the
    ids of the boxes and arrows on each parameter's paths; or say why there are none."""
    try:
        svgs = render.render_many(sources, "svg")
    except render.RenderError as err:
        viewer.note = f"No diagrams: {err}."
        return
    for frame, svg in zip(viewer.frames, svgs):
        frame.svg = _inline(svg.decode("utf-8"))
        frame.highlights = {p: _on_paths(frame.svg, viewer.steps[frame.step].paths[p]) for p in viewer.params}


def _pictures(subject, walk: bool) -> list[tuple[str, object]]:
    """(phase, picture) for the forward pass, the backward walk and the update."""
    try:
        backward = [("backward", p) for p in pictures(subject, frames=True)] if walk else []
    except DiagramError:
        backward = []
    if not backward:
        backward = [("backward", pictures(subject, phase="backward")[0])]
    return [("forward", pictures(subject, phase="forward")[0]), *backward,
            ("update", pictures(subject, phase="update")[0])]


def _table(exercise: Exercise, record, slot: dict, phase: str, known: set[str] | None, current: str) -> str:
    """Every named node of the example drawn: value, gradient (once the walk has reached it) and,
    at the update, the parameters' new values."""
    loss = "L" if len(record.examples) > 1 else record.loss_name
    head = ["node", "value", f"∂{loss}/∂node"] + (["after update"] if phase == "update" else [])
    rows = []
    for name, values in record.values.items():
        node = slot[name]
        grad = number(node.grad) if known is not None and name in known and node.requires_grad else ""
        cells = [name, number(values[0]), grad]
        if phase == "update":
            cells.append(number(record.params[name]) if name in record.trainable else "")
        rows.append((cells, exercise.role(name), name == current))
    return html_table(head, rows)


CURRENT = ' class="current"'


def html_table(head: list[str], rows: list[tuple[list[str], str, bool]]) -> str:
    """The side table of a frame: rows of (cells, the node's role, whether the walk is at it)."""
    body = "".join(f'<tr{CURRENT if current else ""} data-role="{html.escape(role)}">'
                   + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>" for cells, role, current in rows)
    return ("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + body + "</tbody></table>")


def _inline(svg: str) -> str:
    """An SVG file's text as an element inside HTML: no XML prolog or doctype."""
    return svg[svg.index("<svg"):] if "<svg" in svg else svg


_SVG_NODE = re.compile(r'<g id="([^"]+)" class="node[^"]*">\s*<title>[^<]*</title>\s*'
                       r'<g id="[^"]*"><a xlink:title="([^"]*)"')
_SVG_EDGE = re.compile(r'<g id="([^"]+)" class="edge[^"]*">\s*<title>([^<]*)</title>')


def _on_paths(svg: str, paths: list[tuple[str, ...]]) -> list[str]:
    """The ids of the SVG boxes and arrows on these named paths."""
    names = {n for path in paths for n in path}
    steps = {frozenset(pair) for path in paths for pair in zip(path, path[1:])}
    key_name, ids = {}, []
    for gid, title in _SVG_NODE.findall(svg):
        key_name[gid] = html.unescape(title)
        if key_name[gid] in names:
            ids.append(gid)
    for gid, title in _SVG_EDGE.findall(svg):
        ends = html.unescape(title).split("->")
        if len(ends) == 2 and frozenset(key_name.get(e.split(":")[0]) for e in ends) in steps:
            ids.append(gid)
    return ids


# -- the page ----------------------------------------------------------------------------------
_CSS = """
body { font-family: system-ui, sans-serif; margin: 0.8rem; color: #222; }
h1 { font-size: 1.15rem; margin: 0 0 0.5rem; }
.controls { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; margin-bottom: 0.6rem; }
.controls input[type=range] { flex: 1; min-width: 12rem; }
#where { font-variant-numeric: tabular-nums; min-width: 9rem; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(18rem, 2fr); gap: 1rem; align-items: start; }
#diagrams { overflow: auto; max-height: 88vh; }
#diagrams svg { width: 100%; height: auto; }
#diagrams.actual svg { width: auto; }
#label { font-size: 1rem; margin: 0 0 0.4rem; }
table { border-collapse: collapse; font-size: 0.8rem; font-variant-numeric: tabular-nums; }
td, th { padding: 0.1rem 0.5rem; text-align: left; border-bottom: 1px solid #eee; }
tr.current { background: #ffe08a; }
tr[data-role=param] td:first-child { font-weight: 600; }
pre { font-size: 0.78rem; background: #f6f6f6; padding: 0.5rem; overflow-x: auto; white-space: pre; }
.hl polygon, .hl path, .hl ellipse { stroke: #d62728 !important; stroke-width: 3px !important; }
.note { color: #a33; }
"""

_JS = """
(function () {
  const data = JSON.parse(document.getElementById('data').textContent);
  const n = data.frames.length;
  const $ = (id) => document.getElementById(id);
  const slider = $('slider'), where = $('where'), label = $('label'), choose = $('param');
  const prev = $('prev'), next = $('next'), play = $('play');
  let k = 0, timer = null;
  function show(i) {
    k = Math.max(0, Math.min(n - 1, i));
    const frame = data.frames[k];
    document.querySelectorAll('#diagrams > [data-frame], #tables > [data-frame]').forEach((el) => {
      el.hidden = +el.dataset.frame !== k;
    });
    document.querySelectorAll('#derivations > [data-step]').forEach((el) => {
      el.hidden = !(+el.dataset.step === frame.step && el.dataset.param === choose.value);
    });
    document.querySelectorAll('.hl').forEach((el) => el.classList.remove('hl'));
    const box = document.querySelector('#diagrams [data-frame="' + k + '"]');
    for (const id of (frame.highlights[choose.value] || [])) {
      const el = box && box.querySelector('[id="' + id + '"]');
      if (el) el.classList.add('hl');
    }
    slider.value = k;
    where.textContent = 'frame ' + (k + 1) + ' of ' + n;
    label.textContent = frame.label;
    prev.disabled = k === 0;
    next.disabled = k === n - 1;
    document.body.dataset.current = k;  // for tests and scripts: the frame on show
  }
  function stop() { clearInterval(timer); timer = null; play.textContent = '\\u25B6 play'; }
  prev.addEventListener('click', () => { stop(); show(k - 1); });
  next.addEventListener('click', () => { stop(); show(k + 1); });
  slider.addEventListener('input', () => { stop(); show(+slider.value); });
  choose.addEventListener('change', () => show(k));
  $('zoom').addEventListener('click', () => {
    const actual = $('diagrams').classList.toggle('actual');
    $('zoom').textContent = actual ? 'fit' : 'actual size';
  });
  play.addEventListener('click', () => {
    if (timer) { stop(); return; }
    if (k === n - 1) show(0);
    play.textContent = '\\u275A\\u275A pause';
    timer = setInterval(() => { if (k >= n - 1) stop(); else show(k + 1); }, data.interval);
  });
  document.addEventListener('keydown', (e) => {
    if (e.target === slider) return;
    if (e.key === 'ArrowRight') { stop(); show(k + 1); }
    if (e.key === 'ArrowLeft') { stop(); show(k - 1); }
  });
  show(0);
})();
"""


def to_html(viewer: Viewer, interval_ms: int = 700) -> str:
    """One self-contained page: every frame inline, no network access needed."""
    esc = html.escape
    n = len(viewer.frames)
    data = {"interval": interval_ms,
            "frames": [{"step": f.step, "phase": f.phase, "label": f.label, "highlights": f.highlights}
                       for f in viewer.frames]}
    payload = script_json(data)
    options = "".join(f'<option value="{esc(p)}"{" selected" if p == viewer.param else ""}>{esc(p)}</option>'
                      for p in viewer.params)
    note = f'<p class="note">{esc(viewer.note)}</p>' if viewer.note else ""
    diagrams = "".join(f'<div data-frame="{k}" hidden>{f.svg}</div>' for k, f in enumerate(viewer.frames))
    tables = "".join(f'<div data-frame="{k}" hidden>{f.table}</div>' for k, f in enumerate(viewer.frames))
    derivations = "".join(f'<pre data-step="{s}" data-param="{esc(p)}" hidden>{esc(text)}</pre>'
                          for s, view in enumerate(viewer.steps) for p, text in view.derivations.items())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(viewer.title)} · scalarnet</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{esc(viewer.title)}</h1>
<div class="controls">
<button id="prev" type="button">&#9664; prev</button>
<button id="play" type="button">&#9654; play</button>
<button id="next" type="button">next &#9654;</button>
<button id="zoom" type="button" title="the diagram at its actual size, or fitted to the column">actual size</button>
<input id="slider" type="range" min="0" max="{n - 1}" value="0" aria-label="frame">
<span id="where">frame 1 of {n}</span>
<label>parameter <select id="param">{options}</select></label>
</div>
{note}
<main>
<section id="diagrams">{diagrams}</section>
<section id="side"><h2 id="label"></h2><div id="tables">{tables}</div>
<h2 id="derivation-title">derivation</h2><div id="derivations">{derivations}</div></section>
</main>
<script type="application/json" id="data">{payload}</script>
<script>{_JS}</script>
</body>
</html>
"""


_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data: object) -> str:
    """JSON to put inside a <script> element: <, >, & and the line separators U+2028/9 written
    as \\u escapes (the same string to JSON.parse), so no name can close the script, open an
    HTML comment ("<!--" would stop the script from running) or end a line of JavaScript."""
    text = json.dumps(data, ensure_ascii=False)
    return "".join(_SCRIPT_UNSAFE.get(c, c) for c in text) if any(c in text for c in _SCRIPT_UNSAFE) else text


def write_html(exercise: Exercise, steps: int, path: str | Path, param: str | None = None) -> Path:
    """Build the viewer of ``steps`` steps and write the page to ``path`` (complete or not at all)."""
    path = Path(path)
    render.write_atomic(path, to_html(build(exercise, steps, param)).encode("utf-8"))
    return path


# -- Jupyter ---------------------------------------------------------------------------------------
def show(exercise: Exercise | str | Path, steps: int = 1, param: str | None = None) -> object:
    """Step through the frames in a notebook: a widget where ipywidgets is installed, else
    the static page in an iframe. ``exercise``: a loaded one, a file, or a bundled name.

        >>> from scalarnet.views.viewer import show
        >>> show("mazur-2-2-2", steps=2, param="w1")
    """
    if not isinstance(exercise, Exercise):
        exercise = Exercise.load(exercise)
    viewer = build(exercise, steps, param)
    try:
        import ipywidgets as widgets
    except ImportError:
        from IPython.display import HTML

        page = html.escape(to_html(viewer), quote=True)
        return HTML(f'<div><iframe srcdoc="{page}" style="width: 100%; height: 760px; border: 0"></iframe></div>')
    return _widget(viewer, widgets)


def _widget(viewer: Viewer, widgets):
    last = len(viewer.frames) - 1
    play = widgets.Play(min=0, max=last, interval=700, description="play")
    slider = widgets.IntSlider(min=0, max=last, description="frame")
    widgets.jslink((play, "value"), (slider, "value"))
    choose = widgets.Dropdown(options=viewer.params, value=viewer.param, description="parameter")
    picture = widgets.HTML(layout=widgets.Layout(width="60%"))
    side = widgets.HTML(layout=widgets.Layout(width="40%"))

    def update(_change=None) -> None:
        frame = viewer.frames[slider.value]
        ids = frame.highlights.get(choose.value, [])
        style = "".join(f'[id="{i}"] polygon, [id="{i}"] path {{ stroke: #d62728; stroke-width: 3px; }}'
                        for i in ids)  # one frame on show at a time, so its ids are unique
        picture.value = (f"<style>{style}</style>{frame.svg}" if frame.svg
                         else f"<p>{html.escape(viewer.note)}</p>")
        text = viewer.steps[frame.step].derivations[choose.value]
        side.value = f"<h4>{html.escape(frame.label)}</h4>{frame.table}<pre>{html.escape(text)}</pre>"

    slider.observe(update, "value")
    choose.observe(update, "value")
    update()
    return widgets.VBox([widgets.HBox([play, slider, choose]), widgets.HBox([picture, side])])
