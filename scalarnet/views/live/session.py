"""One exercise, live: recomputed for any values of its parameters, inputs, targets and
learning rate, and drawn in one pinned layout, so that a change moves numbers, never boxes.

``Live`` holds the file as last read well (``Source`` follows it), the layout of each graph
shape the steps have (a shape per batch size: steps with as many examples share one graph),
and small caches. ``state`` gives everything the page shows for a set of values, as JSON:
the frames of every step (the viewer's, after one overview frame per step), the tables, the
derivation of the chosen parameter, and the picture of the frame on show; ``picture`` gives
any other frame's. Only the picture asked for is drawn: text is cheap, Graphviz is not, and
once Graphviz has drawn a kind of picture (the update picture, a frame of the walk) the same
kind at other values is its SVG with the new texts (``patch.py``).

The layout is sized once for any number a box may show: a twin of the step with every value
and gradient set to the widest number the diagrams write.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ...analysis.derive import StepDerivations
from ...engines.scalar import Exercise
from ...i18n import _
from ...spec import ExerciseSpec, SpecError, load
from .. import derivation, render
from ..diagram import DiagramError, Sizing, dot, pictures, sizing
from ..diagram.plan import plan
from ..diagram.subject import Subject, from_exercise
from ..narration import Narrator, num
from ..viewer import WALK_LIMIT, Frame, _Drawn, _forward_order, _inline, _step_frames, _table, frame_style
from .patch import Template

MAX_EXAMPLES = 12  # examples whose inputs and targets get a control each (a data set gets the first ones)
CACHE = 24  # steps computed and pictures drawn that are kept (a slider dragged back and forth)
# the widest text number(v, 6) writes ("-0.000888889"; "-8.88889e-05" is as long): the layout
# gives every value and gradient this much room, so no number the page may show moves a box
WIDE = -0.000888888888
RATE = "@lr"  # the learning rate's control key (never a name in a file: names are identifiers)


class LiveError(ValueError):
    """A value the page sent that cannot be used; the message says which and why."""


def cli_words(err: Exception) -> str:
    """An error as the command line says it (``scalarnet: error: …``), in the same words."""
    return _("scalarnet: error: {message}").format(message=str(err))


@dataclass(frozen=True)
class Control:
    key: str  # "w5", "x[3]" (an input of example 3 of several), "lr"
    kind: str  # param, input, target or rate
    name: str  # the name in the file ("x" for "x[3]")
    example: int  # which example an input or target is of (0 otherwise)
    value: float  # the file's value
    low: float
    high: float
    step: float

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def nice_bound(v: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``v``: a slider's end."""
    exponent = math.floor(math.log10(v))
    for m in (1, 2, 5, 10):
        if m * 10 ** exponent >= v * (1 - 1e-12):
            return m * 10.0 ** exponent
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def controls_of(spec: ExerciseSpec, learning_rate: float) -> list[Control]:
    """A control for every parameter, input and target (per example, for the first
    MAX_EXAMPLES examples), then the learning rate. A slider spans ±(twice the value, at
    least 1); the learning rate from 0 to twice its value."""
    out = []
    params = Exercise(spec).param_values()  # a [network] file's parameters come from its matrices
    several = spec.n_examples > 1
    tables = [("param", {n: [v] for n, v in params.items()}), ("input", spec.inputs), ("target", spec.targets)]
    for kind, table in tables:
        for name, values in table.items():
            for e, v in enumerate(values[:MAX_EXAMPLES]):
                bound = nice_bound(max(1.0, 2 * abs(v)))
                key = f"{name}[{e + 1}]" if several and kind != "param" else name
                out.append(Control(key, kind, name, e, float(v), -bound, bound, bound / 1000))
    high = nice_bound(2 * learning_rate)
    out.append(Control(RATE, "rate", "η", 0, learning_rate, 0.0, high, high / 1000))
    return out


class Source:
    """The exercise file as last read well, followed: ``poll`` looks at its modification
    time and size, and reads it again (comparing a hash) when they change."""

    def __init__(self, path: Path, spec: ExerciseSpec | None = None) -> None:
        self.path = path
        self.spec = spec if spec is not None else load(path)  # a bad file at the start: the command's error
        self.version = 1
        self.error = ""  # the file's problem since its last good version, as the CLI says it
        self._seen = self._stamp()
        self._digest = self._hash()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def _hash(self) -> str:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return ""

    def poll(self) -> bool:
        """Read the file again if it changed; True when there is a new good version."""
        stamp = self._stamp()
        if stamp == self._seen:
            return False
        self._seen = stamp
        digest = self._hash()
        if digest == self._digest:
            return False
        self._digest = digest
        try:
            spec = load(self.path)
            Exercise(spec)  # what running it checks (a graph too big is refused here)
        except SpecError as err:
            self.error = cli_words(err)
            return False
        self.spec, self.error = spec, ""
        self.version += 1
        return True


@dataclass
class Shape:
    """The layout of one graph shape and what is read off its picture once: the level, the
    names the backward walk's frames are at, each named node's SVG ids, and one drawn SVG
    (for the ids of the boxes and arrows on a parameter's paths)."""

    layout: object | None  # the pinned layout (None: no pictures, see note)
    level: str | None = None
    walk: list[str] = field(default_factory=list)
    boxes: dict[str, list[str]] = field(default_factory=dict)
    reference: str = ""
    note: str = ""

    def fits(self, other: Shape) -> bool:
        """Whether ``other``'s boxes and labels fit into this layout (so it can stay)."""
        a, b = self.layout, other.layout
        if a is None or b is None or a.boxes.keys() != b.boxes.keys() or len(a.labels) != len(b.labels):
            return False
        if self.walk != other.walk or self.level != other.level:
            return False
        rects = [(a.boxes[k], b.boxes[k]) for k in a.boxes] + list(zip(a.labels, b.labels))
        rects += [(a.extras[k], b.extras.get(k)) for k in a.extras]
        return all((mine is None) == (theirs is None) and (mine is None or (theirs.w <= mine.w + 1e-9
                                                                            and theirs.h <= mine.h + 1e-9))
                   for mine, theirs in rects)


@dataclass
class StepText:
    """What one step shows besides pictures."""

    frames: list[Frame]
    keys: list[str]  # per frame: its picture's key ("1:forward", "1:walk:3", "1:update")
    table: str
    derivation: str
    highlight: list[str]  # SVG ids on the chosen parameter's paths


class Live:
    """An exercise file (or a loaded spec), live. ``steps``: the training steps shown;
    ``param``: the parameter whose derivation is shown first; ``learning_rate``: instead of
    the file's (the command's --lr)."""

    def __init__(self, path: str | Path | None = None, steps: int = 3, param: str | None = None,
                 learning_rate: float | None = None, spec: ExerciseSpec | None = None) -> None:
        if path is None and spec is None:
            raise ValueError("give an exercise file or a spec")
        self.source = Source(Path(path if path is not None else spec.path), spec) if path is not None else None
        self._spec = spec
        self.steps = steps
        self.learning_rate = learning_rate
        self._lock = threading.Lock()  # the server's worker threads share the caches
        self._shapes: dict[int, Shape] = {}
        self._texts: OrderedDict = OrderedDict()  # (version, values, param, step) -> StepText
        self._pictures: OrderedDict = OrderedDict()  # (version, values, key) -> {"key", "svg"}
        self._walks: OrderedDict = OrderedDict()  # the scenes of a walk's frames, each drawn when shown
        self._keys: dict[int, list[list[str]]] = {}  # per version of the file: each step's picture keys
        self._templates: dict[tuple[int, str], Template] = {}  # pictures drawn, to take other numbers
        self.relaid: list[int] = []  # the shapes the last reload laid out again
        self.param = ""
        self._set_up(param)

    @property
    def spec(self) -> ExerciseSpec:
        return self.source.spec if self.source is not None else self._spec

    @property
    def version(self) -> int:
        return self.source.version if self.source is not None else 1

    @property
    def error(self) -> str:
        return self.source.error if self.source is not None else ""

    def _set_up(self, param: str | None) -> None:
        ex = Exercise(self.spec, self.learning_rate)
        names = list(ex.params)
        if param is not None and param not in names:
            raise LiveError(_("{name}: not a parameter of {path}; the parameters are {names}").format(
                name=param, path=self.spec.path, names=", ".join(names)))
        self.params = names
        self.param = param or (self.param if self.param in names else names[0])
        self.title = ex.title
        self.controls = {c.key: c for c in controls_of(self.spec, ex.learning_rate)}

    # -- following the file ----------------------------------------------------------------
    def poll(self) -> dict:
        """Read the file again if it changed. A new good version gets a new layout only where
        its boxes or arrows changed (or no longer fit); a bad one is reported and the last
        good one kept."""
        with self._lock:
            if self.source is not None and self.source.poll():
                old = self._shapes
                for cache in (self._texts, self._pictures, self._walks, self._keys):
                    cache.clear()
                self._shapes = {}
                self._set_up(None)
                self.relaid = []
                for size, shape in old.items():  # keep each layout the new file still fits
                    try:
                        new = self._shape_for(self._subject(self._exercise({}), 1, size), size)
                    except (SpecError, ArithmeticError):
                        continue
                    if shape.fits(new):
                        self._shapes[size] = shape
                    else:
                        self.relaid.append(size)
                kept = {id(shape) for shape in self._shapes.values()}  # a kept layout keeps its drawings:
                self._templates = {k: t for k, t in self._templates.items() if k[0] in kept}  # no Graphviz
            return self.file_json()

    def file_json(self) -> dict:
        return {"version": self.version, "error": self.error, "title": self.title, "params": self.params,
                "param": self.param, "controls": [c.to_json() for c in self.controls.values()]}

    # -- values ----------------------------------------------------------------------------
    def values(self, given: Mapping[str, object]) -> dict[str, float]:
        """The values that differ from the file's, checked: every key a control's, every
        value a finite number (a learning rate above 0)."""
        out = {}
        for key, raw in given.items():
            control = self.controls.get(key)
            if control is None:
                raise LiveError(_("{key}: not a parameter, input, target or the learning rate of {path}").format(
                    key=key, path=self.spec.path))
            try:
                value = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                value = math.nan
            if not math.isfinite(value):
                raise LiveError(_("{key} = {value}: expected a finite number").format(key=key, value=raw))
            if control.kind == "rate" and value <= 0:
                raise LiveError(_("{key} = {value}: expected a learning rate above 0").format(key=key, value=raw))
            if value != control.value:
                out[key] = value
        return out

    def _exercise(self, values: Mapping[str, float]) -> Exercise:
        spec = self.spec
        tables = {"input": {n: list(v) for n, v in spec.inputs.items()},
                  "target": {n: list(v) for n, v in spec.targets.items()}}
        params, rate = {}, self.learning_rate
        for key, value in values.items():
            c = self.controls[key]
            if c.kind == "param":
                params[c.name] = value
            elif c.kind == "rate":
                rate = value
            else:
                tables[c.kind][c.name][c.example] = value
        ex = Exercise(dataclasses.replace(spec, inputs=tables["input"], targets=tables["target"]), rate)
        ex.load_params(params)
        return ex

    def _subject(self, ex: Exercise, step: int, size: int | None = None) -> Subject:
        """The subject of ``step`` (``size``: of the first step with that many examples)."""
        if size is not None:
            step = next((k for k in range(1, self.steps + 1) if len(ex.batch_of_step(k)[1]) == size), step)
        return from_exercise(ex, step)

    # -- layouts ---------------------------------------------------------------------------
    def _shape_for(self, subject: Subject, size: int) -> Shape:
        """The layout of this graph shape, made the first time it is needed."""
        if size not in self._shapes:
            self._shapes[size] = self._make_shape(subject)
        return self._shapes[size]

    def _make_shape(self, subject: Subject) -> Shape:
        per_node = len(subject.names) <= WALK_LIMIT
        widest = self._widest(subject, per_node)
        try:
            drawn = pictures(subject, frames=True, size_with=widest) if per_node else []
        except DiagramError:
            drawn = []
        try:
            first = drawn[0] if drawn else pictures(subject, phase="backward", size_with=widest)[0]
        except DiagramError as err:
            return Shape(None, note=str(err))
        shape = Shape(first.layout, first.level, [p.current for p in drawn if p.current])
        try:
            shape.reference = _inline(render.render(first.graph.source, "svg").decode("utf-8"))
        except render.RenderError as err:
            return Shape(None, note=_("No diagrams: {error}.").format(error=err))
        shape.boxes = _Drawn(shape.reference).boxes()
        return shape

    def _widest(self, subject: Subject, per_node: bool) -> list[Sizing]:
        """The sizing of a twin of the step whose every value and gradient is as wide as a
        number gets (negative, or, where an op takes no negative number, positive)."""
        for wide in (WIDE, -WIDE):
            twin = self._subject(Exercise(self.spec, self.learning_rate), subject.step or 1)
            for node in twin.members:
                if node.op is not None or id(node) in twin.names:
                    node.value, node.grad = wide, wide
            twin.updated = dict.fromkeys(twin.updated, wide)
            twin.learning_rate, twin.step = -wide, max(self.steps, twin.step or 1)
            try:
                return [sizing(twin, frames=per_node)]
            except (ArithmeticError, ValueError, TypeError):  # e.g. log or a root of a negative number
                continue
        return []

    # -- states ----------------------------------------------------------------------------
    def state(self, given: Mapping[str, object] | None = None, param: str | None = None,
              at: int | tuple[int, int] = 0) -> dict:
        """What the page shows of one step at these values: ``at`` is a frame (counted from 0
        over all steps) or (step, frame in it), both counted from 1 as the page's address
        does. Only that step is computed (the others when the page goes there), and Graphviz
        draws the frame's picture meanwhile."""
        with self._lock:
            values = self.values(given or {})
            param = param if param in self.params else self.param
            if self.version not in self._keys:  # the frames of every step, once per version of the file
                self._all_steps(values, param)
            keys = self._keys[self.version]
            counts = [len(step) for step in keys]
            k = self._index(counts, at)
            index = next(i for i in range(len(counts)) if k < sum(counts[:i + 1]))
            first = sum(counts[:index])
            ex = self._exercise(values)  # the picture and the texts read the same step of one exercise
            subject = from_exercise(ex, index + 1)
            finish = self._start_picture(values, index, keys[index][k - first], subject)
            text = self._step(values, param, index, ex, subject)
            return {"version": self.version, "error": "", "title": self.title, "param": param,
                    "values": {c.key: values.get(c.key, c.value) for c in self.controls.values()},
                    "counts": counts, "step": index, "first": first, "frame": k,
                    "frames": [frame_json(f, key) for f, key in zip(text.frames, text.keys)],
                    "table": text.table, "derivation": text.derivation, "highlight": text.highlight,
                    "picture": finish(), "note": self._note()}

    def picture(self, given: Mapping[str, object] | None, key: str) -> dict:
        """The picture of frame key ``key`` ("1:update", "2:walk:5") at these values."""
        with self._lock:
            values = self.values(given or {})
            step, _sep, _rest = key.partition(":")
            if not step.isdigit() or not 1 <= int(step) <= self.steps:
                raise LiveError(_("{key}: no such picture").format(key=key))
            return self._start_picture(values, int(step) - 1, key)()

    def _note(self) -> str:
        return next((s.note for s in self._shapes.values() if s.note), "")

    @staticmethod
    def _index(counts: list[int], at: int | tuple[int, int]) -> int:
        if isinstance(at, tuple):
            step = min(max(at[0], 1), len(counts))
            return sum(counts[:step - 1]) + min(max(at[1], 1), counts[step - 1]) - 1
        return min(max(at, 0), sum(counts) - 1)

    def _all_steps(self, values: Mapping[str, float], param: str) -> None:
        ex = self._exercise(values)  # one exercise, stepped through: each step trains the one before
        self._keys[self.version] = [self._step(values, param, index, ex).keys for index in range(self.steps)]

    def _step(self, values: Mapping[str, float], param: str, index: int, ex: Exercise | None = None,
              subject: Subject | None = None) -> StepText:
        """The texts of step ``index`` (from 0); ``ex``: an exercise at or before this step,
        ``subject``: its subject of this step, when made already."""
        key = (self.version, tuple(sorted(values.items())), param, index)
        if key not in self._texts:
            ex = ex or self._exercise(values)
            subject = subject or from_exercise(ex, index + 1)
            shape = self._shape_for(subject, subject.batch_size)
            found = StepDerivations.of_step(ex, *ex.run_step(update=False)).derive(param)
            self._texts[key] = self._step_text(index, subject, shape, param, found)
            _trim(self._texts)
        return self._texts[key]

    def _step_text(self, index: int, subject: Subject, shape: Shape, param: str, found) -> StepText:
        by_id = {id(node): node for node in subject.members}
        slot = {names[0]: by_id[key] for key, names in subject.names.items() if key in by_id}
        narrator = Narrator(slot, subject.loss_symbol, subject.batch_size)
        forward = _forward_order(narrator, [subject.names[id(n)][0] for n in subject.members if id(n) in subject.names])
        walk = shape.walk
        shots = {"forward": [f"{index + 1}:forward"],
                 "backward": [f"{index + 1}:walk:{j}" for j in range(len(walk))] or [f"{index + 1}:backward"],
                 "update": [f"{index + 1}:update"]}
        where = _("step {step}").format(step=subject.step) + " · "
        overview = Frame(index, "update", "", where + _("the whole step: every value, gradient and update"),
                         f"{subject.loss_symbol} = {num(subject.top.value)} · {narrator.backward(param)}",
                         len(walk))
        frames = [overview]
        keys = [shots["update"][0]]
        for frame, shot in _step_frames(index, subject, narrator, forward, walk, shots):
            frames.append(frame)
            keys.append(shot)
        for frame in frames:
            frame.picture = -1 if shape.layout is None else 0
            frame.current = shape.boxes.get(frame.node, [])
            if frame.phase == "forward":
                frame.pending = [i for name in forward[frame.done:] for i in shape.boxes.get(name, [])]
        drawn = subject.example
        paths = sorted({path.nodes for path in found.paths or [] if path.example == drawn})
        return StepText(frames, keys, _table(subject, slot, forward, walk), derivation.text(found),
                        _Drawn(shape.reference).on_paths(paths) if shape.reference else [])

    # -- pictures --------------------------------------------------------------------------
    def _start_picture(self, values: Mapping[str, float], index: int, key: str,
                       subject: Subject | None = None) -> Callable[[], dict | None]:
        """Start drawing picture ``key`` of step ``index`` (from 0) in its shape's layout; the
        function returned waits for it. A picture of a kind drawn before takes the new texts
        into that drawing (``patch``); else Graphviz draws it, in another process meanwhile."""
        cache_key = (self.version, tuple(sorted(values.items())), key)
        if cache_key in self._pictures:
            return lambda: self._pictures[cache_key]
        subject = subject or from_exercise(self._exercise(values), index + 1)
        shape = self._shape_for(subject, subject.batch_size)
        if shape.layout is None:
            return lambda: None
        kind = key.split(":")[1]
        if kind == "walk":  # the plan makes every frame's scene at once (once per change of values);
            walk_key = (*cache_key[:2], index)  # only the frame shown becomes DOT, the others when shown
            if walk_key not in self._walks:
                self._walks[walk_key] = [scene for scene, _name in
                                         plan(subject, frames=True, level=shape.level, sized=False).shown]
                _trim(self._walks)
            source = dot.to_digraph(self._walks[walk_key][int(key.split(":")[2])], shape.layout).source
        else:
            source = pictures(subject, phase=kind, level=shape.level, pinned=shape.layout)[0].graph.source
        kind_key = (id(shape), key.partition(":")[2])  # "update", "walk:3": one template each per shape
        template = self._templates.get(kind_key)
        svg = template.patch(source) if template is not None else None
        if svg is not None:  # only texts changed: into the SVG Graphviz drew before (patch.py)
            found = self._pictures[cache_key] = {"key": key, "svg": svg}
            _trim(self._pictures)
            return lambda: found
        drawing = _drawer().submit(render.render, source, "svg")

        def finish() -> dict | None:
            try:
                svg = _inline(drawing.result().decode("utf-8"))
            except render.RenderError as err:
                shape.note = _("No diagrams: {error}.").format(error=err)
                return None
            self._templates[kind_key] = Template(source, svg)
            found = self._pictures[cache_key] = {"key": key, "svg": svg}
            _trim(self._pictures)
            return found

        return finish


@functools.cache
def _drawer() -> ThreadPoolExecutor:
    """The thread that waits for Graphviz while the texts are computed."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="scalarnet-draw")


def frame_json(frame: Frame, key: str) -> dict:
    return {"step": frame.step, "phase": frame.phase, "node": frame.node, "label": frame.label,
            "narration": frame.narration, "picture": key if frame.picture >= 0 else "",
            "current": frame.current, "pending": frame.pending, "style": frame_style(frame, "tables")}


def _trim(cache: OrderedDict) -> None:
    while len(cache) > CACHE:
        cache.popitem(last=False)

