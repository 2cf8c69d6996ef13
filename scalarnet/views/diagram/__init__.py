"""Graphviz diagrams of a training step: every value, every gradient ∂L/∂node, and every
local partial ∂child/∂parent on the arrows, at four levels of detail.

    >>> from scalarnet.views.diagram import diagram, save
    >>> g = diagram("sigmoid-2-2-2", step=1)          # a graphviz.Digraph: Jupyter shows it
    >>> save(g, "out/sigmoid-2-2-2.svg")              # [PosixPath('out/sigmoid-2-2-2.svg')]

Levels: ``primitive`` (every op node), ``named`` (one box per named node), ``neuron`` (the
tutorials' network picture) and ``layer`` (one box per layer, for big networks). The default
is the finest level that stays readable."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import graphviz

from ...core.node import Node
from ...engines.scalar import Exercise
from ...i18n import N_, _
from .. import render
from . import dot, layout
from .levels import PHASES, EngineGradients, Gradients, NothingSent, WidestSoFar, detail_scene, structure
from .neurons import Network, find_network, layer_scene, neuron_scene
from .paths import paths_note
from .scene import DiagramError, Scene, check_size, highlight
from .subject import Subject, from_exercise, from_node
from .text import pretty
from .walk import replay, walk_order

LEVELS = ("primitive", "named", "neuron", "layer")
# the words a title uses for the levels and phases (the keys stay the option values)
LEVEL_WORDS = {"primitive": N_("primitive"), "named": N_("named"), "neuron": N_("neuron"), "layer": N_("layer")}
PHASE_WORDS = {"forward": N_("forward"), "backward": N_("backward"), "update": N_("update"),
               "backward walk": N_("backward walk")}
READABLE = 150  # boxes + arrows a default diagram may have
MAX_NOTES = 60  # parameters whose --param notes the layout makes room for (beyond: the one shown)

__all__ = ["LEVELS", "PHASES", "DiagramError", "Picture", "Sizing", "backward_frames", "diagram", "pictures", "save",
           "save_all", "sizing", "subject_of"]


@dataclass
class Picture:
    graph: graphviz.Digraph
    level: str
    notes: list[str] = field(default_factory=list)  # why a level was changed, for the user
    current: str = ""  # frames: the name of the node the walk is at
    layout: layout.Layout | None = None  # where everything is: pass it back as ``pinned`` to keep it


def subject_of(source: Exercise | Node | str | Path, step: int = 1, example: int = 0) -> Subject:
    """What to draw: an exercise (a loaded one, a file, or a bundled name) at ``step``, or a node's graph."""
    if isinstance(source, Node):
        return from_node(source)
    if not isinstance(source, Exercise):
        source = Exercise.load(source)
    return from_exercise(source, step, example)


def diagram(source: Exercise | Node | str | Path, *, step: int = 1, example: int = 0, phase: str = "backward",
            level: str | None = None, param: str | None = None, symbolic: bool = False) -> graphviz.Digraph:
    """The diagram of training step ``step`` (as ``scalarnet step --json`` numbers it) for one example."""
    return pictures(subject_of(source, step, example), phase=phase, level=level, param=param,
                    symbolic=symbolic)[0].graph


def backward_frames(source: Exercise | Node | str | Path, *, step: int = 1, example: int = 0,
                    level: str | None = None, param: str | None = None, symbolic: bool = False) -> list[Picture]:
    """One picture per node of the backward walk, in the order the walker visits them."""
    return pictures(subject_of(source, step, example), level=level, param=param, symbolic=symbolic, frames=True)


def pictures(subject: Subject, *, phase: str = "backward", level: str | None = None, param: str | None = None,
             symbolic: bool = False, frames: bool = False, size_with: Sequence[Sizing] = (),
             pinned: layout.Layout | None = None) -> list[Picture]:
    """The pictures of one step, in one pass: the subject, then its scenes (what to draw),
    then their one layout (where), then DOT (how). ``size_with``: the ``sizing`` of other
    steps of the same graph, so that all of them share one layout (a viewer of several steps).
    ``pinned``: a layout made before (``Picture.layout``) for the same boxes and arrows, used
    as it is, so that only texts change (a live page); its boxes must hold the new texts."""
    if phase not in PHASES:
        raise DiagramError(f"unknown phase {phase!r}; expected one of {', '.join(PHASES)}")
    if level is not None and level not in LEVELS:
        raise DiagramError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    if param is not None and subject.param(param) is None:
        close = difflib.get_close_matches(param, subject.param_names(), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise DiagramError(f"no parameter {param!r}{hint}; the parameters are {', '.join(subject.param_names())}")
    chooser = _Levels(subject)
    chosen, notes = chooser.choose(level, frames)
    draw = _Step(subject, chosen, chooser, symbolic)
    heads = {what: _title(subject, chosen, what, notes) for what in (*PHASES, "backward walk")}
    walk = draw.walk_names()
    titles = [*heads.values(), *([*heads["backward walk"], _frame_title(k, len(walk), name)]
                                 for k, name in enumerate(walk, start=1))]
    longest = max(subject.param_names(), key=len, default="")
    titles += [_with_param(t, longest) for t in titles]
    scenes = draw.sizing()
    for other in size_with:  # other steps: only where they draw the very same boxes and arrows
        same = [sc for sc in other.scenes if sc.boxes.keys() == scenes[0].boxes.keys()
                and [(a.parent, a.child) for a in sc.arrows] == [(a.parent, a.child) for a in scenes[0].arrows]]
        scenes += same
        titles += other.titles if same else []
    lay = pinned if pinned is not None else dot.plan(scenes, titles, draw.param_notes(param))
    if not frames:
        scene = draw.scene(phase)
        return [Picture(_finish(scene, heads[phase], param, draw, lay), chosen, notes, layout=lay)]
    out = []
    for k, (scene, name) in enumerate(draw.frames(), start=1):
        title = [*heads["backward walk"], _frame_title(k, len(walk), name)]
        out.append(Picture(_finish(scene, title, param, draw, lay), chosen, notes, name, lay))
    return out


@dataclass
class Sizing:
    """What one step's layout is sized with: every scene it may show, and every title."""

    scenes: list[Scene]
    titles: list[list[str]]


def sizing(subject: Subject, *, level: str | None = None, frames: bool = False, symbolic: bool = False) -> Sizing:
    """The sizing of ``subject``'s pictures, to lay several steps out as one (``size_with``)."""
    chooser = _Levels(subject)
    chosen, notes = chooser.choose(level, frames)
    draw = _Step(subject, chosen, chooser, symbolic)
    walk = draw.walk_names()
    heads = [_title(subject, chosen, what, notes) for what in (*PHASES, "backward walk")]
    return Sizing(draw.sizing(), [*heads, *([*heads[-1], _frame_title(k, len(walk), name)]
                                            for k, name in enumerate(walk, start=1))])


def _frame_title(k: int, n: int, name: str) -> str:
    return _("frame {k} of {n}: at {name}").format(k=k, n=n, name=pretty(name))


def _with_param(title: list[str], param: str) -> list[str]:
    """The title naming the highlighted parameter (on the line that names the step)."""
    marks = [level_text(level) for level in LEVELS]
    k = next((i for i, line in enumerate(title) if any(m in line for m in marks)), len(title) - 1)
    red = _("red: every path from the loss to {param}").format(param=pretty(param))
    return [*title[:k], f"{title[k]} · {red}", *title[k + 1:]]


def level_text(level: str) -> str:
    """'named level', in the language shown."""
    return _("{level} level").format(level=_(LEVEL_WORDS[level]))


def _finish(scene: Scene, title: list[str], param: str | None, draw: _Step, lay: layout.Layout) -> graphviz.Digraph:
    scene.title = title if param is None else _with_param(title, param)
    if param is not None:
        highlight(scene, param, draw.top)
        scene.note = draw.param_note(param)
    return dot.to_digraph(scene, lay)


def _title(subject: Subject, level: str, what: str, notes: list[str]) -> list[str]:
    where = []
    if subject.step is not None:  # an exercise (a bare node graph has no steps or examples)
        where = [_("step {step}").format(step=subject.step), _("example {example}").format(example=subject.example) + (
            _(" of a batch of {n}").format(n=subject.batch_size) if subject.batch_size > 1 else "")]
    lines = [subject.title] if subject.title else []
    return lines + [" · ".join([*where, _(PHASE_WORDS[what]), level_text(level)]), *notes]


class _Step:
    """The scenes of one step at one level: every phase, the frames of the walk, and the
    widest text a frame can show (for the layout)."""

    def __init__(self, subject: Subject, level: str, chooser: _Levels, symbolic: bool) -> None:
        self.subject, self.level, self.symbolic, self.coarser = subject, level, symbolic, chooser.coarser(level)
        self.network = chooser.network if level in ("neuron", "layer") else None
        if self.network is None:
            self.structure = structure(subject, level)
            check_size(level, self.structure.size, self.coarser)
            self.top = self.structure.keys[id(subject.top)]
        else:
            self.structure = None
            self.top = "batch" if subject.batch_loss is not None else "loss"
        self._scenes: dict[str, Scene] = {}

    def scene(self, phase: str, grads: Gradients | None = None) -> Scene:
        if self.network is not None:
            build = neuron_scene if self.level == "neuron" else layer_scene
            scene = build(self.subject, self.network, phase)  # type: ignore[arg-type]
            check_size(self.level, scene.size, self.coarser)
        else:
            scene = detail_scene(self.subject, self.structure, phase, grads or EngineGradients(), self.symbolic)
        scene.loss = pretty(self.subject.loss_symbol)
        for box in scene.boxes.values():
            box.rank = self.subject.file_rank(box.node)
        return scene

    def sizing(self) -> list[Scene]:
        scenes = [self.scene(phase) for phase in PHASES]
        if self.structure is not None:  # frames: gradients "so far", as wide as a number gets, or none yet
            scenes += [self.scene("backward", WidestSoFar()), self.scene("backward", NothingSent())]
        return scenes

    def walk_names(self) -> list[str]:
        if self.structure is None:
            return []
        return [self._name(node) for node in walk_order(self.subject, self.structure)]

    def _name(self, node: Node) -> str:
        names = self.subject.names.get(id(node))
        if node is self.subject.batch_loss:
            return "L"
        return " = ".join(names) if names else (self.subject.loss_name if node is self.subject.root
                                                   else node.op.name)  # type: ignore[union-attr]

    def frames(self) -> Iterator[tuple[Scene, str]]:
        assert self.structure is not None
        for node, state in replay(self.subject, self.structure):
            scene = self.scene("backward", state)
            scene.current = self.structure.keys[id(node)]
            yield scene, self._name(node)

    def param_notes(self, param: str | None) -> list[list[str]]:
        """The notes of every parameter (the layout leaves room for the longest), or only of
        ``param`` when there are too many parameters to try them all."""
        names = self.subject.param_names()
        chosen = names if len(names) <= MAX_NOTES else [param] if param else []
        return [self.param_note(p) for p in chosen]

    def param_note(self, param: str) -> list[str]:
        return paths_note(self.subject, self.scene("backward"), param, self.top)


class _Levels:
    """Which levels this subject has, and the default."""

    def __init__(self, subject: Subject) -> None:
        self.subject = subject
        self._network: Network | str | None = None

    @property
    def network(self) -> Network | str:
        if self._network is None:
            self._network = find_network(self.subject)
        return self._network

    def available(self, level: str) -> bool:
        return level in ("primitive", "named") or isinstance(self.network, Network)

    def coarser(self, level: str) -> list[str]:
        return [lv for lv in LEVELS[LEVELS.index(level) + 1:] if self.available(lv)]

    def choose(self, level: str | None, frames: bool) -> tuple[str, list[str]]:
        notes = []
        if level in ("neuron", "layer") and not self.available(level):
            notes.append(_("no {level} here ({why}): showing the {named}").format(
                level=level_text(level), why=_(self.network), named=level_text("named")))  # type: ignore[arg-type]
            level = "named"
        if frames and level in ("neuron", "layer"):
            notes.append(_("frames follow the backward walk node by node: showing the {named}").format(
                named=level_text("named")))
            level = "named"
        if level is None:
            level = self._default(frames)
        return level, notes

    def _default(self, frames: bool) -> str:
        if frames or structure(self.subject, "named").size <= READABLE or not self.available("neuron"):
            return "named"
        neurons = neuron_scene(self.subject, self.network, "forward")  # type: ignore[arg-type]
        return "neuron" if neurons.size <= READABLE else "layer"


# -- files ------------------------------------------------------------------------------
class NotRendered(render.RenderError):
    """The requested format could not be made here; the DOT sources were written instead."""

    def __init__(self, message: str, written: list[Path]) -> None:
        super().__init__(message)
        self.written = written


def save(graph: graphviz.Digraph, path: str | Path, fmt: str | None = None, backend: str | None = None) -> list[Path]:
    """Write one diagram; the format is ``fmt`` or the file's suffix (svg, png, pdf, dot)."""
    path = Path(path)
    return save_all([graph], [path], fmt or path.suffix.lstrip(".") or "svg", backend)


def save_all(graphs: Sequence[graphviz.Digraph], paths: Sequence[Path], fmt: str,
             backend: str | None = None) -> list[Path]:
    """Write each graph to its path, rendered to ``fmt``. Where nothing here can render ``fmt``,
    write the DOT sources next to the paths and raise ``NotRendered`` saying what to install."""
    sources = [g.source for g in graphs]
    paths = [Path(p).with_suffix(f".{fmt}") for p in paths]
    try:
        outputs = render.render_many(sources, fmt, backend)
    except render.RenderError as err:
        written = [p.with_suffix(".dot") for p in paths]
        for p, s in zip(written, sources):
            render.write_atomic(p, s.encode("utf-8"))
        raise NotRendered(f"{err}; wrote the DOT source instead", written) from None
    for p, s, data in zip(paths, sources, outputs):
        render.write_atomic(p, stamp(data, s) if fmt == "svg" else data)
    return paths


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def stamp(svg: bytes, source: str) -> bytes:
    """The SVG with the hash of its DOT source in a comment, so a test can tell that an SVG
    is up to date with the code without depending on which Graphviz drew it."""
    comment = f"<!-- scalarnet dot sha256 {source_hash(source)} -->\n".encode("ascii")
    head, sep, rest = svg.partition(b"?>\n")
    return head + sep + comment + rest if sep else comment + svg
