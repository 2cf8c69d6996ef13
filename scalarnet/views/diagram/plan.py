"""What to draw: the scenes of one step, before anything is placed or drawn.

The first stage of a diagram (``subject`` → **plan** → ``place`` → ``dot``): it chooses the
level, builds the scene of the phase asked for (or one per node of the backward walk), sets
each picture's title, legend and ``--param`` note, and collects everything the one layout of
the step must make room for (``Sizing``): every phase and frame, every title, every note.
The levels' own scene builders are ``levels.py`` (primitive, named) and ``neurons.py``
(neuron, layer); ``walk.py`` replays the backward walk, ``paths.py`` writes the notes."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ...core.node import Node
from ...i18n import N_, _
from .levels import PHASES, EngineGradients, Gradients, NothingSent, WidestSoFar, detail_scene, structure
from .neurons import Network, find_network, layer_scene, neuron_scene
from .paths import paths_note
from .scene import DiagramError, Scene, check_crowding, check_size, highlight
from .subject import Subject
from .text import pretty
from .walk import replay, walk_order

LEVELS = ("primitive", "named", "neuron", "layer")
# the words a title uses for the levels and phases (the keys stay the option values)
LEVEL_WORDS = {"primitive": N_("primitive"), "named": N_("named"), "neuron": N_("neuron"), "layer": N_("layer")}
PHASE_WORDS = {"forward": N_("forward"), "backward": N_("backward"), "update": N_("update"),
               "backward walk": N_("backward walk")}
READABLE = 150  # boxes + arrows a default diagram may have
MAX_NOTES = 60  # parameters whose --param notes the layout makes room for (beyond: the one shown)
ROLES = ("param", "input", "target", "node", "loss", "batch", "op", "const", "neuron", "layer")  # the legend's order
MEANINGS = {  # translated where shown
    "param": N_("parameter (trained)"), "input": N_("input"), "target": N_("target"), "node": N_("named node"),
    "loss": N_("loss of the example"), "batch": N_("batch loss (mean)"), "op": N_("op node (no name)"),
    "const": N_("constant"), "neuron": N_("neuron: net input, activation"), "layer": N_("layer of neurons"),
}


@dataclass
class Sizing:
    """What one step's layout is sized with: every scene it may show, every title and every
    ``--param`` note."""

    scenes: list[Scene]
    titles: list[list[str]]
    notes: list[list[str]]


@dataclass
class Plan:
    """The scenes to draw (each with its title, legend and note, and the name of the node a
    frame is at), and what their one layout must hold."""

    level: str
    notes: list[str]  # why a level was changed, for the user
    shown: list[tuple[Scene, str]]
    sizing: Sizing | None  # None: the caller brings a layout (``pinned``)


def plan(subject: Subject, *, phase: str = "backward", level: str | None = None, param: str | None = None,
         symbolic: bool = False, frames: bool = False, size_with: Sequence[Sizing] = (),
         sized: bool = True) -> Plan:
    """The pictures of one step at one level. ``size_with``: the sizing of other steps of
    the same graph, so that all of them share one layout (a viewer of several steps);
    ``sized=False``: no sizing (the layout is given)."""
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
    step = _Step(subject, chosen, chooser, symbolic)
    check_crowding(step.scene("backward"))  # before the layout's search for label places begins
    heads = {what: _title(subject, chosen, what, notes) for what in (*PHASES, "backward walk")}
    sizing = None
    if sized:
        sizing = _sizing(step, heads, subject)
        longest = max(subject.param_names(), key=len, default="")
        sizing.titles += [_with_param(t, longest) for t in sizing.titles]
        sizing.notes = step.param_notes(param)
        for other in size_with:  # other steps: only where they draw the very same boxes and arrows
            first = sizing.scenes[0]
            same = [sc for sc in other.scenes if sc.boxes.keys() == first.boxes.keys()
                    and [(a.parent, a.child) for a in sc.arrows] == [(a.parent, a.child) for a in first.arrows]]
            sizing.scenes += same
            sizing.titles += other.titles if same else []
            sizing.notes += other.notes if same else []  # then every step's layout is the same one
    if not frames:
        shown = [(step.scene(phase), "", heads[phase])]
    else:
        walk = step.walk_names()
        shown = [(scene, name, [*heads["backward walk"], _frame_title(k, len(walk), name)])
                 for k, (scene, name) in enumerate(step.frames(), start=1)]
    for scene, _name, title in shown:
        _finish(scene, title, param, step)
    return Plan(chosen, notes, [(scene, name) for scene, name, _title_lines in shown], sizing)


def sizing(subject: Subject, *, level: str | None = None, frames: bool = False, symbolic: bool = False) -> Sizing:
    """The sizing of ``subject``'s pictures, to lay several steps out as one (``size_with``)."""
    chooser = _Levels(subject)
    chosen, notes = chooser.choose(level, frames)
    step = _Step(subject, chosen, chooser, symbolic)
    found = _sizing(step, {what: _title(subject, chosen, what, notes) for what in (*PHASES, "backward walk")}, subject)
    found.notes = step.param_notes(None)
    return found


def _sizing(step: _Step, heads: dict[str, list[str]], subject: Subject) -> Sizing:
    walk = step.walk_names()
    titles = [*heads.values(), *([*heads["backward walk"], _frame_title(k, len(walk), name)]
                                 for k, name in enumerate(walk, start=1))]
    scenes = step.sizing()
    for scene in scenes:  # the widest legend text any picture shows (red and orange lines included)
        scene.legend, scene.help = legend(scene), arrow_help(scene, widest=True)
    return Sizing(scenes, titles, [])


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


def _finish(scene: Scene, title: list[str], param: str | None, step: _Step) -> None:
    scene.title = title if param is None else _with_param(title, param)
    if param is not None:
        highlight(scene, param, step.top)
        scene.note = step.param_note(param)
    scene.legend, scene.help = legend(scene), arrow_help(scene)


def legend(scene: Scene) -> list[tuple[str, str]]:
    """(role, meaning) of every kind of box the scene shows, in the legend's order."""
    return [(r, _(MEANINGS[r])) for r in ROLES if any(b.role == r for b in scene.boxes.values())]


def arrow_help(scene: Scene, widest: bool = False) -> list[str]:
    loss = scene.loss
    if scene.level in ("neuron", "layer"):
        lines = [_("arrow: a connection, with its weight's"), _("value and gradient; → its share of"),
                 _("the gradient below")]
    else:
        lines = [_("arrow: data flows along it;"), _("label: local partial ∂child/∂parent"),
                 _("→ its share of ∂{loss}/∂parent").format(loss=loss),
                 _("   (= ∂{loss}/∂child × partial)").format(loss=loss), _("a gradient = the sum of its shares")]
    if scene.highlight or widest:
        lines.append(_("red: the paths to the highlighted parameter"))
    if scene.current or widest:
        lines.append(_("orange: where the backward walk is"))
    return lines


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
