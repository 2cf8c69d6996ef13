"""The step-through viewer: training steps as frames, each a diagram beside the table of
values and gradients, one line of narration with the numbers, and the derivation of the
chosen parameter.

A step's frames: the given numbers, then one frame per named node of the forward pass
(layer by layer), one per node of the backward walk (the diagrams' ``backward_frames``, in
the textbook's order), and one per parameter of the update. A big network gets one frame
per phase instead. ``to_html`` writes it all into one self-contained page (SVG, CSS and
JavaScript inline, nothing fetched); ``show`` steps through the same frames in Jupyter, with
ipywidgets where installed and the page in an iframe where not.

The frames of a step share one layout, so the page keeps few whole SVG pictures and small
patches (``svg_patch``); the forward and update frames share one picture each and differ
only in which box is marked. The diagrams are drawn without a highlight: the page marks the
paths of the chosen parameter itself (so the choice can change; none until the reader picks
one, unless ``param`` was given), from element ids. The page's toolbar is the one frame
counter: the walk pictures' own "frame K of N" line is taken out.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.derive import Derivation, StepDerivations
from ..core.node import Node
from ..engines.scalar import Exercise
from ..i18n import _, language
from . import derivation, render
from .diagram import DiagramError, Sizing, pictures, sizing
from .diagram.subject import Subject, from_exercise
from .narration import Narrator, num
from .svg_patch import TOKEN_JS, PatchSet
from .table import number, shown

WALK_LIMIT = 60  # named nodes up to which a step gets a frame per node
MAX_DERIVED = 40  # parameters whose derivations the page carries (the chosen one first)
PHASE_WORDS = {"forward": "forward pass", "backward": "backward walk", "update": "update"}


@dataclass
class Frame:
    step: int  # index into Viewer.steps
    phase: str  # forward, backward or update
    node: str  # the named node (or parameter) the frame is at; "" for a whole phase
    label: str  # "step 1 · backward walk: at out_o1"
    narration: str  # what happens at this frame, with the numbers
    done: int  # forward: how many nodes of the step's forward order have values; backward: of its walk
    picture: int = -1  # index into Viewer.pictures; -1 without diagrams
    current: list[str] = field(default_factory=list)  # SVG element ids of the frame's box
    pending: list[str] = field(default_factory=list)  # forward: the boxes not computed yet
    path: list[str] = field(default_factory=list)  # the boxes and arrows the page opens on (see _frame_path)


@dataclass
class StepView:
    step: int  # as `step --json` numbers it
    forward: list[str]  # the named nodes with a formula, in the order the forward frames visit them
    table: str  # HTML: every named node; rows and cells carry their forward and walk positions
    derivations: dict[str, str]  # param -> the text derivation
    paths: dict[str, list[tuple[str, ...]]]  # param -> the named paths of the example drawn


@dataclass
class Viewer:
    title: str
    param: str  # the parameter whose paths and derivation show from the start; "" for none
    params: list[str]  # those with derivations, the chosen one first
    steps: list[StepView]
    frames: list[Frame]
    pictures: PatchSet = field(default_factory=PatchSet)
    highlights: list[dict[str, list[str]]] = field(default_factory=list)  # per picture: param -> ids
    note: str = ""  # e.g. why the diagrams are missing

    def svg(self, frame: Frame) -> str:
        return self.pictures.text(frame.picture) if frame.picture >= 0 else ""


def build(exercise: Exercise, steps: int = 1, param: str | None = None) -> Viewer:
    """Run ``steps`` training steps of ``exercise`` (from where it is) and make their frames."""
    names = list(exercise.params)
    if param is not None and param not in names:
        raise KeyError(f"{param!r} is not a parameter; the parameters are {', '.join(names)}")
    derived = (([param] if param else []) + [n for n in names if n != param])[:MAX_DERIVED]

    numbers = range(exercise.steps_done + 1, exercise.steps_done + steps + 1)
    # first the text every step will show, on a twin of the exercise, so that the steps of
    # one graph share one layout: a box stays where it is from step to step too
    twin = Exercise(exercise.spec, exercise.learning_rate)
    shared = []
    for k in numbers:
        try:
            shared.append(sizing(from_exercise(twin, k), frames=True))
        except DiagramError:  # too big for a diagram: the pictures will say so
            break

    def parts():
        for k in numbers:
            subject = from_exercise(exercise, k)
            found = StepDerivations.of_step(exercise, *exercise.run_step(update=False))
            yield subject, {p: found.derive(p) for p in derived}
            exercise.advance_to(k + 1)

    return assemble(exercise.title, derived[:MAX_DERIVED], parts(), shared, param)


def assemble(title: str, params: list[str], parts: Iterable[tuple[Subject, dict[str, Derivation]]],
             shared: Sequence[Sizing] = (), param: str | None = None) -> Viewer:
    """The viewer of the steps in ``parts``: each the subject a step's diagrams draw, with the
    derivations of ``params``; ``param`` (one of them) is shown from the start, none when it
    is None. ``shared``: the sizing of every step, so that they share one layout. Used for
    exercise files and for graphs built in Python alike."""
    viewer = Viewer(title, param or "", params, [], [])
    drawings: list[tuple[Frame, object]] = []  # each frame with its diagram
    for subject, derivations in parts:
        by_id = {id(node): node for node in subject.members}
        slot = {names[0]: by_id[key] for key, names in subject.names.items() if key in by_id}  # the file's order
        narrator = Narrator(slot, subject.loss_symbol, subject.batch_size)
        forward = _forward_order(narrator, [subject.names[id(n)][0] for n in subject.members if id(n) in subject.names])
        shots = _pictures(subject, len(subject.names) <= WALK_LIMIT, shared)
        walk = [p.current for p in shots["backward"] if p.current]
        drawn = subject.example
        viewer.steps.append(StepView(subject.step or 1, forward, _table(subject, slot, forward, walk),
                                     {p: derivation.text(d) for p, d in derivations.items()},
                                     {p: sorted({path.nodes for path in d.paths or [] if path.example == drawn})
                                      for p, d in derivations.items()}))
        for frame, picture in _step_frames(len(viewer.steps) - 1, subject, narrator, forward, walk, shots):
            viewer.frames.append(frame)
            drawings.append((frame, picture))
    _draw(viewer, drawings)
    return viewer


def _pictures(subject: Subject, walk: bool, shared: Sequence[Sizing]) -> dict[str, list]:
    """The forward and update pictures, and the backward walk's (one per node where it fits),
    all at one level and in one layout."""
    try:
        backward = pictures(subject, frames=True, size_with=shared) if walk else []
    except DiagramError:
        backward = []
    level = backward[0].level if backward else None
    one = {"level": level, "pinned": backward[0].layout} if backward else {}  # the walk's layout, for every phase
    return {"forward": pictures(subject, phase="forward", **one),
            "backward": backward or pictures(subject, phase="backward", **one),
            "update": pictures(subject, phase="update", **one) if subject.learning_rate is not None else []}


def _forward_order(narrator: Narrator, topological: list[str]) -> list[str]:
    """The named nodes with a formula, layer by layer: by their longest distance from the
    leaves (``topological``: the names, parents before children), ties in the file's order."""
    depth: dict[str, int] = {}
    for name in topological:
        uses = narrator.uses.get(name)
        depth[name] = 0 if uses is None else 1 + max((depth[p] for p, _ in uses), default=0)
    position = {name: k for k, name in enumerate(narrator.slot)}
    return sorted(narrator.uses, key=lambda n: (depth[n], position[n]))


def _step_frames(index: int, subject: Subject, narrator: Narrator, forward: list[str], walk: list[str],
                 shots: dict[str, list]):
    """(frame, picture) for every frame of one step."""
    where = _("step {step}").format(step=subject.step) + " · " if subject.step is not None else ""
    per_node = bool(walk)
    given = [n for n in narrator.slot if n not in narrator.uses]
    first = ", ".join(f"{shown(n)} = {num(narrator.slot[n].value)}" for n in given[:12])
    first += " …" if len(given) > 12 else ""
    yield Frame(index, "forward", "", where + _("forward pass: the given numbers"),
                _("given: {values}").format(values=first), 0), shots["forward"][0]
    if per_node:
        for j, name in enumerate(forward, start=1):
            yield Frame(index, "forward", name, where + _("forward pass: {name}").format(name=shown(name)),
                        narrator.forward(name), j), shots["forward"][0]
    else:
        top = subject.top
        yield Frame(index, "forward", "", where + _("forward pass"),
                    _("forward pass: every value, up to {loss} = {value}").format(loss=subject.loss_symbol,
                                                                                 value=num(top.value)),
                    len(forward)), shots["forward"][0]
    if per_node:
        for j, (name, picture) in enumerate(zip(walk, shots["backward"]), start=1):
            yield Frame(index, "backward", name, where + _("backward walk: at {name}").format(name=shown(name)),
                        narrator.backward(name), j), picture
    else:
        yield Frame(index, "backward", "", where + _("backward pass"),
                    _("backward pass: every gradient ∂{loss}/∂node, from the loss back to the parameters").format(
                        loss=narrator.loss), len(narrator.slot)), shots["backward"][0]
    if subject.learning_rate is None:  # a graph built in Python: no update
        return
    rate = subject.learning_rate
    update = where + _("update (learning rate {rate})").format(rate=number(rate))
    params = subject.param_names() if per_node else []
    for name in params:
        node = narrator.slot[name]
        trained = name in subject.updated
        line = narrator.update(name, node.value, node.grad, subject.updated.get(name, node.value), rate, trained)
        yield Frame(index, "update", name, _("{update}: {name}").format(update=update, name=shown(name)), line,
                    len(walk)), shots["update"][0]
    if not params:
        yield Frame(index, "update", "", update, _("update: every trained parameter moves against its gradient, "
                                                   "p⁺ = p − η·∂{loss}/∂p with η = {rate}").format(
            loss=narrator.loss, rate=num(rate)), len(walk)), shots["update"][0]


def _draw(viewer: Viewer, drawings: list[tuple[Frame, object]]) -> None:
    """Render every distinct picture once, store them as patches, and find each frame's boxes."""
    distinct: dict[int, int] = {}  # id(picture) -> position in sources
    sources = []
    for _frame, picture in drawings:
        if id(picture) not in distinct:
            distinct[id(picture)] = len(sources)
            sources.append(picture.graph.source)
    try:
        svgs = render.render_many(sources, "svg")
    except render.RenderError as err:
        viewer.note = _("No diagrams: {error}.").format(error=err)
        return
    stored, drawn = [], []
    for svg in svgs:
        text = _without_frame_counter(_inline(svg.decode("utf-8")))
        stored.append(viewer.pictures.add(text))
        drawn.append(_Drawn(text))
    viewer.highlights = [{} for _ in viewer.pictures.pictures]
    for frame, picture in drawings:
        j = distinct[id(picture)]
        frame.picture, ids = stored[j], drawn[j].boxes()
        frame.current = ids.get(frame.node, [])
        if frame.phase == "forward":
            frame.pending = [i for name in viewer.steps[frame.step].forward[frame.done:] for i in ids.get(name, [])]
        frame.path = _frame_path(frame, drawn[j], viewer.steps[frame.step])
        if not viewer.highlights[frame.picture]:  # a picture belongs to one step: its paths
            viewer.highlights[frame.picture] = {p: drawn[j].on_paths(paths)
                                               for p, paths in viewer.steps[frame.step].paths.items()}


def _table(subject: Subject, slot: dict[str, Node], forward: list[str], walk: list[str]) -> str:
    """Every named node of the example drawn: value, gradient and, for the parameters, the
    value after the update. Each row carries its place in the forward order (data-f, 0 for a
    given number) and in the walk (data-b, 0 when the walk does not visit it), so a frame
    shows exactly what is known at it."""
    head = [_("node"), _("value"), _("∂{loss}/∂node").format(loss=subject.loss_symbol)] + (
        [_("after update")] if subject.updated else [])
    f_pos = {n: j for j, n in enumerate(forward, start=1)}
    b_pos = {n: j for j, n in enumerate(walk, start=1)}
    rows = []
    for name, node in slot.items():
        grad = number(node.grad) if node.requires_grad else ""
        cells = [f"<td>{html.escape(shown(name))}</td>", f'<td class="v">{number(node.value)}</td>',
                 f'<td class="g">{grad}</td>']
        if subject.updated:
            cells.append(f'<td class="a">{number(subject.updated[name]) if name in subject.updated else ""}</td>')
        rows.append(f'<tr data-name="{html.escape(name)}" data-f="{f_pos.get(name, 0)}" '
                    f'data-b="{b_pos.get(name, 0)}" data-role="{subject.role(node)}">{"".join(cells)}</tr>')
    return ('<div class="scroll"><table><thead><tr>' + "".join(f"<th>{html.escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")


def frame_style(frame: Frame, table_id: str = "") -> str:
    """CSS that shows a step's table as it is at ``frame`` (for the notebook widget; the page's
    script applies the same rules): values not computed yet, gradients not reached yet and
    updated values before the update are hidden; the frame's row is marked."""
    scope = f"#{table_id} " if table_id else ""
    rules = []
    if frame.phase == "forward":
        rules.append(f"{scope}td.g, {scope}td.a {{ visibility: hidden; }}")
        rules.append(f'{scope}tr:not([data-f="0"]) td.v {{ visibility: hidden; }}')
        rules += [f'{scope}tr[data-f="{j}"] td.v {{ visibility: visible; }}' for j in range(1, frame.done + 1)]
    elif frame.phase == "backward":
        rules.append(f"{scope}td.a, {scope}tr td.g {{ visibility: hidden; }}")
        rules += [f'{scope}tr[data-b="{j}"] td.g {{ visibility: visible; }}' for j in range(1, frame.done + 1)]
    if frame.node:
        rules.append(f'{scope}tr[data-name="{_css_string(frame.node)}"] {{ background: #ffe08a; }}')
    return "\n".join(rules)


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _inline(svg: str) -> str:
    """An SVG file's text as an element inside HTML: no XML prolog, doctype or comments, and no
    white space between tags (only the drawing is kept)."""
    svg = svg[svg.index("<svg"):] if "<svg" in svg else svg
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return re.sub(r">\s+<", "><", svg)


_SVG_NODE = re.compile(r'<g id="([^"]+)" class="node[^"]*"><title>([^<]*)</title><g id="[^"]*">'
                       r'<a xlink:title="([^"]*)"')  # a named box: its id, Graphviz key and name
_SVG_EDGE = re.compile(r'<g id="([^"]+)" class="edge[^"]*"><title>([^<]*)</title>')
_TITLE_LINE = re.compile(r'<g id="title_\d+" class="node"><title>[^<]*</title><text[^>]*>([^<]*)</text></g>')


def _without_frame_counter(svg: str) -> str:
    """The picture without the walk's own "frame K of N: at NAME" title line: the page counts
    the frames of every step and phase in its toolbar, and a second count (of the walk's
    frames only) beside it disagreed with it. Everything else stays where it is (Graphviz
    places every element on its own)."""
    shape = re.escape(_("frame {k} of {n}: at {name}"))
    counter = re.compile(shape.replace(re.escape("{k}"), r"\d+").replace(re.escape("{n}"), r"\d+")
                         .replace(re.escape("{name}"), ".+"))

    def drop(m: re.Match) -> str:
        return "" if counter.fullmatch(html.unescape(m.group(1))) else m.group(0)

    return _TITLE_LINE.sub(drop, svg)


class _Drawn:
    """The boxes and arrows of one rendered picture, as the SVG names them: each box's
    element id, Graphviz key and node name, and each arrow's id and ends."""

    def __init__(self, svg: str) -> None:
        self.box_of_key: dict[str, str] = {}  # Graphviz key -> the box's element id
        self.name_of_key: dict[str, str] = {}
        for gid, key, name in _SVG_NODE.findall(svg):
            self.box_of_key[html.unescape(key)] = gid
            self.name_of_key[html.unescape(key)] = html.unescape(name)
        self.arrows: list[tuple[str, str, str]] = []  # (id, from key, to key)
        for gid, title in _SVG_EDGE.findall(svg):
            ends = [e.split(":")[0] for e in html.unescape(title).split("->")]
            if len(ends) == 2 and all(e in self.box_of_key for e in ends):
                self.arrows.append((gid, ends[0], ends[1]))

    def boxes(self) -> dict[str, list[str]]:
        """The element ids of each named node's box."""
        found: dict[str, list[str]] = {}
        for key, name in self.name_of_key.items():
            found.setdefault(name, []).append(self.box_of_key[key])
        return found

    def on_paths(self, paths: list[tuple[str, ...]]) -> list[str]:
        """The ids of the boxes and arrows on these named paths."""
        names = {n for path in paths for n in path}
        steps = {frozenset(pair) for path in paths for pair in zip(path, path[1:])}
        return ([self.box_of_key[k] for k, name in self.name_of_key.items() if name in names]
                + [gid for gid, a, b in self.arrows
                   if frozenset((self.name_of_key[a], self.name_of_key[b])) in steps])

    def keys_of(self, names: set[str]) -> set[str]:
        return {key for key, name in self.name_of_key.items() if name in names}

    def reach(self, start: set[str], forward: bool) -> set[str]:
        """``start`` and every box an arrow leads to from it (``forward``) or back from it."""
        seen, todo = set(start), list(start)
        while todo:
            here = todo.pop()
            for _gid, a, b in self.arrows:
                src, dst = (a, b) if forward else (b, a)
                if src == here and dst not in seen:
                    seen.add(dst)
                    todo.append(dst)
        return seen

    def ids(self, keys: set[str]) -> list[str]:
        """The element ids of these boxes and of the arrows between them."""
        return ([self.box_of_key[k] for k in sorted(keys)]
                + [gid for gid, a, b in self.arrows if a in keys and b in keys])


def _frame_path(frame: Frame, drawn: _Drawn, view: StepView) -> list[str]:
    """The part of the picture the page opens on at ``frame``: its forward path. At a node
    of the forward pass, the node and everything it is computed from; at a node of the walk,
    the node and everything from it to the loss (its gradient's paths); at an update, the
    parameter; at the given numbers, the given boxes; a whole phase, nothing (the whole
    picture)."""
    if frame.node:
        start = drawn.keys_of({frame.node})
        if frame.phase == "update":
            return drawn.ids(start)
        return drawn.ids(drawn.reach(start, forward=frame.phase != "forward"))
    if frame.phase == "forward" and frame.done == 0:
        computed = set(view.forward)
        return drawn.ids({k for k, name in drawn.name_of_key.items() if name not in computed})
    return []


def script_json(doc: object) -> str:
    """JSON that is safe inside a <script> element: <, >, & and the line separators U+2028/9
    written as \\u escapes, so no name can close the element or open a comment in it."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


# -- the page ----------------------------------------------------------------------------------
ASSETS = Path(__file__).with_name("assets")  # the page's style and script, inlined into every page


def page_assets() -> tuple[str, str]:
    """The viewer page's CSS and JavaScript (the script's token pattern filled in)."""
    css = (ASSETS / "viewer.css").read_text(encoding="utf-8")
    js = (ASSETS / "viewer.js").read_text(encoding="utf-8").replace("TOKEN", TOKEN_JS)
    return css, js




def to_html(viewer: Viewer, interval_ms: int = 900) -> str:
    """One self-contained page: every picture inline, no network access needed."""
    esc = html.escape
    css, js = page_assets()
    n = len(viewer.frames)
    data = {"interval": interval_ms, "steps": [s.step for s in viewer.steps],
            "pictures": viewer.pictures.to_json(), "highlights": viewer.highlights,
            "frames": [{"step": f.step, "phase": f.phase, "node": f.node, "label": f.label, "narration": f.narration,
                        "done": f.done, "picture": f.picture, "current": f.current, "pending": f.pending,
                        "path": f.path}
                       for f in viewer.frames],
            "words": {"where": _("frame {k} of {n}"), "play": _("play"), "pause": _("pause")}}
    options = "".join(f'<option value="{esc(v)}"{" selected" if v == viewer.param else ""}>{esc(shown)}</option>'
                      for v, shown in _param_choices(viewer))
    note = f'<p class="note">{esc(viewer.note)}</p>' if viewer.note else ""
    tables = "".join(f'<div data-step="{k}" hidden>{s.table}</div>' for k, s in enumerate(viewer.steps))
    derivations = "".join(f'<pre data-step="{s}" data-param="{esc(p)}" hidden>{esc(text)}</pre>'
                          for s, view in enumerate(viewer.steps) for p, text in view.derivations.items())
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if language() == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(viewer.title)} · scalarnet</title>
<style>{css}</style>
</head>
<body>
<h1>{esc(viewer.title)}</h1>
<div class="controls">
<button id="prev" type="button" title="{esc(_("previous frame (←)"))}">&#9664; {esc(_("prev"))}</button>
<button id="play" type="button" title="{esc(_("play or pause (space)"))}">&#9654; {esc(_("play"))}</button>
<button id="next" type="button" title="{esc(_("next frame (→)"))}">{esc(_("next"))} &#9654;</button>
<input id="slider" type="range" min="0" max="{n - 1}" value="0" aria-label="{esc(_("frame"))}">
<span id="where">{esc(_("frame {k} of {n}").format(k=1, n=n))}</span>
<label>{esc(_("parameter"))} <select id="param">{options}</select></label>
<button id="zoomout" type="button" title="{esc(_("zoom out (or the mouse wheel)"))}">&minus;</button>
<span id="zoomlevel"></span>
<button id="zoomin" type="button" title="{esc(_("zoom in (or the mouse wheel)"))}">+</button>
<button id="fit" type="button" title="{esc(_("the whole diagram in view"))}">{esc(_("fit"))}</button>
<button id="actual" type="button" title="{esc(_("the diagram at its actual size"))}">100 %</button>
</div>
<p id="narration" aria-live="polite"></p>
{note}
<main>
<section id="stage" title="{esc(_("drag to move, wheel to zoom"))}"><div id="canvas"></div></section>
<section id="side"><h2 id="label"></h2><div id="tables">{tables}</div>
<h2 id="derivation-title">{esc(_("derivation"))}</h2><div id="derivations"><p class="pick">{esc(_pick_hint())}</p>
{derivations}</div></section>
</main>
<script type="application/json" id="data">{script_json(data)}</script>
<script>{js}</script>
</body>
</html>
"""


def _pick_hint() -> str:  # shown where no parameter is chosen yet
    return _("Pick a parameter above: its paths from the loss turn red here and its derivation is written out.")


def _param_choices(viewer: Viewer) -> list[tuple[str, str]]:
    """The parameter menu: (value, shown), "none" first (no red paths, no derivation)."""
    return [("", _("none")), *((p, p) for p in viewer.params)]


def write_html(exercise: Exercise, steps: int, path: str | Path, param: str | None = None) -> Path:
    """Build the viewer of ``steps`` steps and write the page to ``path`` (complete or not at all)."""
    path = Path(path)
    render.write_atomic(path, to_html(build(exercise, steps, param)).encode("utf-8"))
    return path


# -- Jupyter ---------------------------------------------------------------------------------------
def show(exercise: Exercise | str | Path, steps: int = 1, param: str | None = None, live: bool = False) -> object:
    """Step through the frames in a notebook: a widget where ipywidgets is installed, else
    the static page in an iframe. ``exercise``: a loaded one, a file, or a bundled name.
    ``live=True``: a slider for every parameter, input, target and the learning rate, the
    step recomputed as they move (ipywidgets needed; see ``views/live``).

        >>> from scalarnet.views.viewer import show
        >>> show("mazur-2-2-2", steps=2, param="w1")
        >>> show("mazur-2-2-2", live=True)
    """
    if live:  # the live widget: views/live/notebook.py
        from .live.notebook import live_widget

        return live_widget(exercise, steps, param)
    if not isinstance(exercise, Exercise):
        exercise = Exercise.load(exercise)
    return display(build(exercise, steps, param))


def display(viewer: Viewer) -> object:
    """A built viewer in a notebook: the widget where ipywidgets is installed, else the page."""
    try:
        import ipywidgets as widgets
    except ImportError:
        from IPython.display import HTML

        page = html.escape(to_html(viewer), quote=True)
        return HTML(f'<div><iframe srcdoc="{page}" style="width: 100%; height: 760px; border: 0"></iframe></div>')
    return _widget(viewer, widgets)


def _widget(viewer: Viewer, widgets):
    last = len(viewer.frames) - 1
    play = widgets.Play(min=0, max=last, interval=900, description=_("play"))
    slider = widgets.IntSlider(min=0, max=last, description=_("frame"))
    widgets.jslink((play, "value"), (slider, "value"))
    choose = widgets.Dropdown(options=[(shown, value) for value, shown in _param_choices(viewer)],
                              value=viewer.param, description=_("parameter"))
    narration = widgets.HTML()
    picture = widgets.HTML(layout=widgets.Layout(width="62%", overflow="auto"))
    side = widgets.HTML(layout=widgets.Layout(width="38%"))

    def update(_change=None) -> None:
        frame = viewer.frames[slider.value]
        marks = [(i, "stroke: #d62728; stroke-width: 3px;")
                 for i in (viewer.highlights[frame.picture].get(choose.value, []) if frame.picture >= 0 else [])]
        marks += [(i, "stroke: #e07000; stroke-width: 4px;") for i in frame.current]
        style = "".join(f'[id="{i}"] polygon, [id="{i}"] path {{ {rule} }}' for i, rule in marks)
        style += "".join(f'[id="{i}"] {{ opacity: 0.3; }}' for i in frame.pending)
        picture.value = (f"<style>{style}</style>{viewer.svg(frame)}" if frame.picture >= 0
                         else f"<p>{html.escape(viewer.note)}</p>")
        narration.value = f"<b>{html.escape(frame.narration)}</b>"
        view = viewer.steps[frame.step]
        text = html.escape(view.derivations.get(choose.value, _pick_hint()))
        side.value = (f"<style>{frame_style(frame, 'sn-table')}</style><h4>{html.escape(frame.label)}</h4>"
                      f'<div id="sn-table">{view.table}</div><pre>{text}</pre>')

    slider.observe(update, "value")
    choose.observe(update, "value")
    update()
    return widgets.VBox([widgets.HBox([play, slider, choose]), narration, widgets.HBox([picture, side])])
