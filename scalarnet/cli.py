"""The ``scalarnet`` command. Each subcommand is a few lines calling the library.

With ``--json`` standard output holds the JSON document alone; progress, warnings and
messages go to standard error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .bundled import bundled_titles, dataset_names, resolve
from .engine import Engine
from .exercise import Exercise, ExerciseError
from .i18n import LANGUAGES, N_, LanguageError, _, detect_language, ngettext, normal_language, using_language
from .matrix import MatrixExercise, open_engine
from .spec import SpecError, load
from .views.animation import ANIMATIONS
from .views.table import display_width, number, pad, step_table

ENGINES = ("scalar", "matrix", "compiled")

# argparse's own words that a user of the command can meet, for the catalog (argparse
# %-formats them itself, so they keep its %-placeholders)
ARGPARSE_MESSAGES = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("show program's version number and exit"), N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"), N_("expected one argument"), N_("ignored explicit argument %r"),
    N_("expected at least one argument"), N_("expected at most one argument"),
    N_("not allowed with argument %s"), N_("one of the arguments %s is required"),
    N_("ambiguous option: %(option)s could match %(matches)s"), N_("unexpected option string: %s"),
)


def _exercise(args: argparse.Namespace) -> Exercise:
    return Exercise.load(args.file, learning_rate=args.lr)


def _error(message: str, status: int = 2) -> int:
    """Say what went wrong on standard error; the exit status to return."""
    print(_("scalarnet: error: {message}").format(message=message), file=sys.stderr)
    return status


def _print_json(doc: object, ensure_ascii: bool = False) -> None:
    """The JSON document alone on standard output, one line. Never Infinity or NaN, which
    are not JSON: a document holding one is an error (nothing is printed)."""
    try:
        text = json.dumps(doc, ensure_ascii=ensure_ascii, allow_nan=False)
    except ValueError:
        raise ExerciseError(_("a number in the result is not finite (the loss diverged?); "
                              "try a smaller learning rate (--lr)")) from None
    sys.stdout.write(text + "\n")


def _engine(args: argparse.Namespace, default: str | None = None) -> Engine:
    """The exercise on the engine of --engine, else on ``default``, else (None) on the matrix
    engine for a big [network] file and the scalar engine otherwise; standard error says which."""
    spec = load(resolve(args.file))
    if args.engine == "compiled":  # the scalar engine training on a tape (steps still walk the nodes)
        from .compiled import CompiledExercise

        ex, note = CompiledExercise(spec, args.lr), _("engine: {name}").format(name="compiled")
    else:
        ex, note = open_engine(spec, args.engine or default, args.lr)
    print(f"scalarnet: {note}", file=sys.stderr)
    return ex


def cmd_step(args: argparse.Namespace) -> int:
    ex = _engine(args, default="scalar")  # stepping shows the scalar nodes unless asked otherwise
    if args.json:
        records = [r.to_json() for r in ex.steps(args.steps)]
        _print_json({"engine": ex.name, "steps": records}, ensure_ascii=True)
        return 0
    for _step in range(args.steps):
        record, trace = ex.run_step()
        if isinstance(ex, MatrixExercise):
            from .views.matrix_table import matrix_step_table

            sys.stdout.write(matrix_step_table(record, trace, ex) + "\n")
        else:
            sys.stdout.write(step_table(record, ex.title) + "\n")
    return 0


SHOWN_PARAMS = 40  # parameters listed after training; --json has them all


def cmd_train(args: argparse.Namespace) -> int:
    from .evaluate import PARTS, AccuracyPerEpoch, is_classification, train_test_metrics

    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".pdf", ".svg"):
        return _error(_("--plot {file}: give a file name ending in .png (or .pdf or .svg)").format(file=args.plot))
    if args.plot:  # before training: a missing matplotlib or folder must not cost the run
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return _error(_("--plot needs matplotlib: pip install matplotlib (or pip install 'scalarnet[plot]')"))
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
    ex = _engine(args)
    epochs = args.epochs if args.epochs is not None else ex.spec.train.epochs
    bar = progress_bar(epochs, sys.stderr)
    accuracy = AccuracyPerEpoch(ex) if args.plot and is_classification(ex.spec) else None
    callbacks = [c for c in (bar.update if bar else None, accuracy) if c is not None]
    started = time.monotonic()
    result = ex.train(epochs, on_epoch=(lambda e, loss: [c(e, loss) for c in callbacks]) if callbacks else None)
    seconds = time.monotonic() - started
    if bar:
        bar.close()
    result.metrics = train_test_metrics(ex)
    if args.plot:
        from .views.plot import PlotError, plot_training

        try:
            plot_training(args.plot, ex, result, accuracy.values if accuracy else None)
        except PlotError as err:
            return _error(str(err))
        print(_("scalarnet: wrote {file}").format(file=args.plot), file=sys.stderr)
    if args.json:
        _print_json({"engine": ex.name, **result.to_json(), "seconds": seconds}, ensure_ascii=True)
        return 0
    losses = result.epoch_losses
    marks = sorted({1, *range(max(1, epochs // 10), epochs + 1, max(1, epochs // 10)), epochs})
    print(_("{title}: {epochs} epochs, learning rate {rate}, {engine} engine, {seconds} s").format(
        title=ex.title, epochs=epochs, rate=number(ex.learning_rate), engine=ex.name, seconds=f"{seconds:.1f}"))
    for k in marks:
        print("  " + _("epoch {epoch}  loss {loss}").format(epoch=f"{k:>{len(str(epochs))}}",
                                                           loss=number(losses[k - 1])))
    for part, m in result.metrics.items():
        score = _(", accuracy {percent}%").format(percent=f"{100 * m['accuracy']:.1f}") if "accuracy" in m else \
            (_(", MSE {mse}").format(mse=number(m["mse"], 6)) if "mse" in m else "")
        print(_("{part} ({n} examples): loss {loss}").format(part=_(PARTS.get(part, part)), n=m["examples"],
                                                             loss=number(m["loss"], 6)) + score)
    print(_("parameters after training:"))
    width = max(display_width(n) for n in list(result.params)[:SHOWN_PARAMS])
    for name, value in list(result.params.items())[:SHOWN_PARAMS]:
        print(f"  {pad(name, width)}  {number(value)}")
    if len(result.params) > SHOWN_PARAMS:
        print("  " + _("(+{n} more; --json lists them all)").format(n=len(result.params) - SHOWN_PARAMS))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from . import compare

    if not 0.0 < args.tol < 1.0:  # also refuses nan
        return _error(_("--tol {tol}: expected a relative tolerance between 0 and 1, e.g. 1e-10").format(tol=args.tol))
    spec = load(resolve(args.file))
    result = compare.compare(spec, args.steps, args.lr, args.tol)
    if args.json:
        _print_json(result.to_json())
    else:
        sys.stdout.write(compare.table(result))
    return 0 if result.ok else 1


def cmd_check(args: argparse.Namespace) -> int:
    from . import check

    for option in ("rtol", "atol"):
        value = getattr(args, option)
        if not 0.0 <= value < math.inf:  # also refuses nan
            return _error(_("--{option} {value}: expected a finite number ≥ 0, e.g. --{option} 1e-6").format(
                option=option, value=value))
    if not 0.0 < args.timeout < math.inf:
        return _error(_("--timeout {seconds}: expected a positive number of seconds, e.g. --timeout 10").format(
            seconds=args.timeout))
    spec = load(resolve(args.file))
    try:
        function = check.LearnerProcess(args.against, args.timeout)
        result = check.check(spec, function, args.step, args.rtol, args.atol)
    except check.CheckError as err:
        return _error(str(err))
    if args.json:
        _print_json(result.to_json())
    else:
        sys.stdout.write(check.report(result))
        if result.derivation:
            print("\n" + _("the correct derivation of {name}:").format(name=result.wrong[0]) + "\n" + result.derivation,
                  file=sys.stderr)
    return 0 if result.ok else 1


def cmd_examples(args: argparse.Namespace) -> int:
    rows = bundled_titles()
    width = max(len(n) for n, _title in rows)
    for name, title in rows:
        print(f"{name:<{width}}  {title}")
    print("\n" + _("at the seeds' scale, on data files (scalarnet train NAME): ") + ", ".join(dataset_names()))
    return 0


DEMO = ("sigmoid-2-2-2", "mazur-2-2-2", "sigmoid-2-2-1", "curve-fit-1-5-1", "quadratic-5-layer")
DEMO_ROWS, DEMO_COLUMNS, DEMO_WIDTH = 24, 3, 80  # the demo fits an 80-column terminal

def cmd_demo(args: argparse.Namespace) -> int:
    """Step once through each of the seeds' textbook exercises and print its tables."""
    for name in DEMO:
        ex = Exercise.load(name)
        print(f"$ scalarnet step {name}")
        for record in ex.steps(1):
            sys.stdout.write(step_table(record, ex.title, DEMO_ROWS, DEMO_COLUMNS, DEMO_WIDTH) + "\n")
    print(_("Next: {first}\n      {second}\n      {third}").format(  # the translation aligns the commands
        first="scalarnet step sigmoid-2-2-2 --steps 10", second="scalarnet derive mazur-2-2-2 --param w1",
        third="scalarnet render mazur-2-2-2 · scalarnet train iris · scalarnet examples"))
    return 0


def progress_bar(total: int, stream: TextIO) -> TqdmBar | ProgressBar | None:
    """A progress bar with the loss on a terminal (tqdm when installed), nothing on a pipe."""
    if not stream.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return ProgressBar(total, stream)
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        columns = 0
    if columns <= 0:  # a terminal that reports 0 columns: tqdm's bar would vanish
        return ProgressBar(total, stream)
    return TqdmBar(tqdm(total=total, file=stream, unit=_("epoch"), dynamic_ncols=True, mininterval=0.1))


class TqdmBar:
    """tqdm behind ProgressBar's two methods."""

    def __init__(self, bar) -> None:
        self.bar = bar

    def update(self, done: int, loss: float) -> None:
        self.bar.set_postfix_str(_("loss {loss}").format(loss=f"{loss:.6g}"), refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


class ProgressBar:
    """A one-line progress bar with the latest loss, redrawn at most ten times a second."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.last = total, stream, 0.0

    def update(self, done: int, loss: float) -> None:
        now = time.monotonic()
        if done < self.total and now - self.last < 0.1:
            return
        self.last = now
        filled = int(30 * done / self.total)
        self.stream.write(f"\r[{'█' * filled}{'·' * (30 - filled)}] " + _("epoch {done}/{total}  loss {loss}").format(
            done=done, total=self.total, loss=f"{loss:.6g}"))
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def _unknown_param(ex: Exercise, name: str | None) -> bool:
    """True (after saying so) when ``name`` is given but is not one of the exercise's parameters."""
    if name is None or name in ex.params:
        return False
    import difflib

    close = difflib.get_close_matches(name, list(ex.params), n=1)
    hint = " " + _("(did you mean {name}?)").format(name=close[0]) if close else ""
    _error(_("--param {name}: not a parameter of {path}{hint}; the parameters are {names}").format(
        name=name, path=ex.spec.path, hint=hint, names=", ".join(ex.params)))
    return True


def cmd_derive(args: argparse.Namespace) -> int:
    """Write out the chain rule for one parameter's gradient (or every one's) at one step."""
    from .derive import StepDerivations
    from .views import derivation

    ex = _exercise(args)
    if args.all and args.param is not None:
        return _error(_("give --param NAME or --all, not both"))
    if not args.all and args.param is None:
        return _error(_("say which parameter: --param NAME (or --all); the parameters are {names}").format(
            names=", ".join(ex.params)))
    if _unknown_param(ex, args.param):
        return 2
    steps = StepDerivations.at(ex, args.step)
    fmt = "json" if args.json else args.format
    if args.delta:
        from .derive import delta_form

        forms = [delta_form(steps, name) for name in (steps.params if args.all else [args.param])]
        if fmt == "json":
            _print_json(derivation.delta_json(forms[0]) if not args.all else {
                "step": args.step, "derivations": [derivation.delta_json(f) for f in forms]})
        else:
            sys.stdout.write("\n".join(derivation.render_delta(f, steps.record.values, fmt) for f in forms))
        return 0 if all(f.agrees for f in forms) else 1
    found = [steps.derive(name, args.max_paths) for name in (steps.params if args.all else [args.param])]
    if fmt == "json":
        doc = derivation.to_json(found[0]) if not args.all else {
            "step": args.step, "derivations": [derivation.to_json(d) for d in found]}
        _print_json(doc)
    else:
        sys.stdout.write("\n".join(derivation.render(d, fmt) for d in found))
    return 0 if all(d.agrees for d in found) else 1


def cmd_step_html(args: argparse.Namespace) -> int:
    """``step --html OUT.html``: the step-through viewer; without --html, the usual step."""
    if args.html is None:
        return cmd_step(args)
    if args.json:
        return _error(_("--html writes the viewer and --json prints the steps: give one of them"))
    from .views.diagram import DiagramError
    from .views.viewer import write_html

    ex = _exercise(args)
    if _unknown_param(ex, args.param):
        return 2
    from .views import render

    if not render.can_render("svg"):
        print(_("scalarnet: note: no Graphviz renderer, so the viewer has no diagrams; {hint}").format(
            hint=render.install_hint("svg")), file=sys.stderr)
    try:
        path = write_html(ex, args.steps, args.html, param=args.param)
    except DiagramError as err:
        return _error(str(err))
    print(path)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    """Write the diagram(s) of one training step and print their paths."""
    from .views import diagram

    ex = _exercise(args)
    try:
        subject = diagram.subject_of(ex, args.step, args.example)
        pics = diagram.pictures(subject, phase=args.phase, level=args.level, param=args.param,
                                symbolic=args.symbolic, frames=args.frames)
    except ValueError as err:  # DiagramError: too big, unknown parameter; a bad --example
        return _error(f"{args.file}: {err}")
    for note in pics[0].notes:
        print(_("scalarnet: note: {note}").format(note=note), file=sys.stderr)
    stem = Path(args.file).stem
    name = f"{stem}-step{args.step}-" + ("frames" if args.frames else args.phase) + f"-{pics[0].level}"
    name += f"-{args.param}" if args.param else ""
    out = Path(args.out)
    if args.format in ANIMATIONS:
        return _write_animation(pics, out / f"{name}.{'png' if args.format == 'apng' else args.format}", args)
    if args.frames:
        width = max(3, len(str(len(pics))))
        paths = [out / name / f"frame-{k:0{width}d}" for k in range(1, len(pics) + 1)]
    else:
        paths = [out / name]
    targets = [p.with_suffix(f".{args.format}") for p in paths] + [p.with_suffix(".dot") for p in paths]
    existed = {p for p in [*targets, paths[0].parent] if p.exists()}
    try:
        written = diagram.save_all([p.graph for p in pics], paths, args.format)
    except KeyboardInterrupt:  # no partial frame set: remove what this run had written
        for p in targets:
            if p not in existed:
                p.unlink(missing_ok=True)
        if args.frames and paths[0].parent not in existed:
            paths[0].parent.rmdir()
        raise
    except diagram.NotRendered as err:
        print("\n".join(str(p) for p in err.written))
        print(f"scalarnet: {err}", file=sys.stderr)
        return 1
    print("\n".join(str(p) for p in written))
    return 0


def _write_animation(pics: list, path: Path, args: argparse.Namespace) -> int:
    """``render --frames --format gif``: the walk's frames as one animated image."""
    from .views import render
    from .views.animation import AnimationError, animate, check_fps

    if not args.frames:
        return _error(_("--format {format} animates the backward walk: add --frames").format(format=args.format))
    try:
        check_fps(args.fps)
        pngs = render.render_many([p.graph.source for p in pics], "png")
        data = animate(pngs, args.format, args.fps, args.width)
    except (AnimationError, render.RenderError) as err:
        return _error(str(err), status=1)
    render.write_atomic(path, data)
    print(path)
    return 0


def cmd_diagrams(args: argparse.Namespace) -> int:
    """Regenerate the gallery of diagrams (the repository's diagrams/ folder)."""
    from .views.diagram import source_hash
    from .views.diagram.gallery import regenerate, sources
    from .views.render import RenderError

    out = args.out
    if out is None:  # the repository's diagrams/ folder: never created silently somewhere else
        if not Path("diagrams").is_dir() or not Path("pyproject.toml").is_file():
            return _error(_("run `scalarnet diagrams` from the repository's top folder (where diagrams/ is), "
                            "or say where to write: --out FOLDER"))
        out = "diagrams"
    if args.format == "svg" and _up_to_date(Path(out), sources(), source_hash):
        print(_("scalarnet: {folder}: every diagram is up to date; nothing to redraw").format(folder=out),
              file=sys.stderr)
        return 0
    try:
        written = regenerate(out, args.format)
    except RenderError as err:
        return _error(str(err), status=1)
    print("\n".join(str(p) for p in written))
    return 0


def _up_to_date(folder: Path, sources: dict[str, str], source_hash: Callable[[str], str]) -> bool:
    """True when every diagram's .dot holds its current source and its .svg carries that
    source's stamp: then nothing needs a renderer."""
    for name, source in sources.items():
        dot, svg = folder / f"{name}.dot", folder / f"{name}.svg"
        try:
            if dot.read_text(encoding="utf-8") != source or source_hash(source) not in svg.read_text("utf-8"):
                return False
        except (OSError, UnicodeDecodeError):
            return False
    return True


def cmd_quiz(args: argparse.Namespace) -> int:
    """Write N variants of an exercise: exercise file, question sheet and answer key each."""
    from . import quiz

    if args.seed < 0:
        return _error(_("--seed {seed}: give a whole number ≥ 0").format(seed=args.seed))
    asked = [q.strip() for q in args.ask.split(",") if q.strip()] if args.ask else None
    try:
        made = quiz.make(args.file, args.variants, args.out, seed=args.seed, asked=asked, pdf=not args.no_pdf)
    except quiz.QuizError as err:
        return _error(str(err))
    if args.json:
        _print_json({"variants": [v.to_json() for v in made]})
        return 0
    for v in made:
        print(_("variant {id}: ").format(id=v.id) + "  ".join(str(p) for p in v.files.values()))
    out = Path(args.out)
    print(_("class summary: {csv}  {json}; answers for `scalarnet grade`: {template}").format(
        csv=out / "summary.csv", json=out / "summary.json", template=out / "answers-template.csv"))
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    """Mark the answers, name the mistakes, write a report per student and a class summary."""
    from . import grade

    if not 1 <= args.sig <= 15:
        return _error(_("--sig {sig}: give a number of significant figures from 1 to 15").format(sig=args.sig))
    try:
        grades = grade.grade(args.dir, args.answers, args.sig)
    except grade.GradeError as err:
        return _error(str(err))
    written = grade.write_reports(grades)
    if args.json:
        _print_json(grades.to_json())
        return 0
    for s in grades.students.values():
        sys.stdout.write(grade.student_report(s, grades.loss) + "\n")
    sys.stdout.write(grade.class_report(grades))
    print(_("scalarnet: wrote {n} files into {folder}").format(n=len(written), folder=written[-1].parent),
          file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scalarnet", description=_("Backpropagation made visible."))
    parser.add_argument("--version", action="version", version=f"scalarnet {__version__}",
                        help=_("show program's version number and exit"))  # argparse's default is English
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def exercise_command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _file_argument(p)
        _lr_argument(p)
        _json_argument(p)
        p.add_argument("--engine", choices=ENGINES, help=_(
            "scalar (nodes), matrix (numpy, [network] files) or compiled (the scalar graph replayed over numpy, any "
            "file); default: scalar for step; for train the matrix engine when a [network] file has more than 2000 "
            "scalar nodes per batch"))
        return p

    p = exercise_command("step", _("run training steps and show every value and gradient of each"))
    p.add_argument("--steps", type=_positive, default=1, help=_("how many steps (default 1)"))
    p.set_defaults(run=cmd_step)
    p = exercise_command("train", _("train for some epochs and show the loss"))
    p.add_argument("--epochs", type=_positive, help=_("how many epochs (default: the file's [train] epochs)"))
    p.add_argument("--plot", metavar="FILE.png", help=_("draw the loss curve, and the fitted curve (1-D regression) "
                                                      "or the accuracy per epoch (classification); needs matplotlib"))
    p.set_defaults(run=cmd_train)
    sub.add_parser("examples", help=_("list the bundled exercises")).set_defaults(run=cmd_examples)
    sub.add_parser("demo", help=_("step through every bundled exercise")).set_defaults(run=cmd_demo)
    p = sub.add_parser("derive", help=_("write out the chain rule for a parameter's gradient, path by path"),
                       description=_("Write out the chain rule for a parameter's gradient at one training step: "
                                   "every path from the loss through the named nodes, each local derivative as "
                                   "a symbol, a formula and a number, and a check against the engine."))
    _file_argument(p)
    p.add_argument("--param", help=_("the parameter, e.g. w1"))
    p.add_argument("--all", action="store_true", help=_("every parameter"))
    p.add_argument("--step", type=_positive, default=1, help=_("the training step, as `step --json` numbers them "
                                                                  "(default 1)"))
    p.add_argument("--format", choices=("text", "markdown", "latex", "json"), default="text",
                   help=_("text for a terminal (default), markdown with LaTeX, a LaTeX fragment, or JSON"))
    p.add_argument("--delta", action="store_true", help=_("the delta form, as the tutorials write it: "
                   "δ_o1 = (out_o1 − t1)·out_o1(1 − out_o1), then ∂E/∂w5 = δ_o1·out_h1"))
    p.add_argument("--max-paths", type=_positive, default=64,
                   help=_("list at most this many paths; more are summarised in the delta form (default 64)"))
    _lr_argument(p)
    _json_argument(p, _("the same as --format json"))
    p.set_defaults(run=cmd_derive)
    p = sub.choices["step"]
    p.add_argument("--html", metavar="OUT.html", help=_("write a self-contained step-through viewer of the steps"))
    p.add_argument("--param", help=_("with --html: the parameter whose derivation the viewer shows first"))
    p.set_defaults(run=cmd_step_html)
    p = sub.add_parser("render", help=_("draw the diagram of a training step (values, gradients, partials)"),
                       description=_("Draw the node graph of one example at one training step with Graphviz: every "
                                   "value, every gradient and every local partial. Prints the paths written."))
    _file_argument(p)
    p.add_argument("--step", type=_positive, default=1, help=_("the training step, as `step --json` numbers them"))
    p.add_argument("--example", type=int, default=0, help=_("which example of the step's batch (default 0)"))
    p.add_argument("--phase", choices=("forward", "backward", "update"), default="backward",
                   help=_("forward: values; backward: and gradients (default); update: and the updated params"))
    p.add_argument("--level", choices=("primitive", "named", "neuron", "layer"),
                   help=_("detail: every op node, named nodes, neurons or layers (default: the finest readable)"))
    p.add_argument("--param", help=_("highlight every path from the loss to this parameter"))
    p.add_argument("--frames", action="store_true", help=_("one file per node of the backward walk, in its order"))
    p.add_argument("--symbolic", action="store_true", help=_("also write each partial as a formula"))
    p.add_argument("--format", choices=("svg", "png", "pdf", "dot", *ANIMATIONS), default="svg",
                   help=_("default svg; gif, apng and webp (with --frames) animate the walk in one file"))
    p.add_argument("--fps", type=float, default=2.0, help=_("with an animated --format: frames per second (default 2)"))
    p.add_argument("--width", type=_positive, help=_("with an animated --format: scale the frames down to this many "
                                                   "pixels across (default: full size)"))
    p.add_argument("--out", default=".", help=_("the folder to write into (default: the current folder)"))
    _lr_argument(p)
    p.set_defaults(run=cmd_render)
    p = sub.add_parser("diagrams", help=_("regenerate the diagrams/ folder for the bundled exercises"))
    p.add_argument("--out", help=_("the folder (default: diagrams/ of the repository, run from its top folder)"))
    p.add_argument("--format", choices=("svg", "png", "pdf"), default="svg", help=_("default svg"))
    p.set_defaults(run=cmd_diagrams)
    p = sub.add_parser("compare", help=_("run the exercise on every engine and compare the numbers"),
                       description=_("From the same weights, run N update steps on every engine available (scalar; "
                                   "matrix for [network] files; PyTorch when installed) and compare every loss, "
                                   "gradient and updated parameter pair by pair; central finite differences of the "
                                   "first step are shown beside them. Exit status 1 when two engines differ."))
    _file_argument(p)
    p.add_argument("--steps", type=_positive, default=1, help=_("how many update steps (default 1)"))
    p.add_argument("--tol", type=float, default=1e-10, help=_("engines agree when |a − b| ≤ tol·max(1, |a|, |b|) "
                                                           "(default 1e-10)"))
    _lr_argument(p)
    _json_argument(p)
    p.set_defaults(run=cmd_compare)
    p = sub.add_parser("check", help=_("check a hand-written backprop function against the engine"),
                       description=_("Call your function with a dict of every named value of one training step and "
                                   "compare the dict of gradients it returns with the engine's, parameter by "
                                   "parameter. Exit status 1 when a gradient is wrong."))
    _file_argument(p)
    p.add_argument("--against", required=True, metavar="FILE.py:FUNCTION", help=_("your function, e.g. "
                                                                                "my_backprop.py:back_propagate"))
    p.add_argument("--step", type=_positive, default=1, help=_("the training step to check (default 1)"))
    p.add_argument("--rtol", type=float, default=1e-6, help=_("relative tolerance (default 1e-6)"))
    p.add_argument("--atol", type=float, default=1e-10, help=_("absolute tolerance floor (default 1e-10)"))
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help=_("seconds your code may run, loading and call together (default 10); it runs in a separate "
                        "process, stopped after that"))
    _json_argument(p)
    p.set_defaults(run=cmd_check)
    p = sub.add_parser("quiz", help=_("write N variants of an exercise with question sheets and answer keys"),
                       description=_("Draw new numbers for an exercise (its [vary] ranges, else params in [-1, 1] and "
                                   "inputs and targets in [0, 1], rounded to 2 decimals) and write, per variant, the "
                                   "exercise file, a question sheet with the network picture and an answer key with "
                                   "the worked derivation (Markdown; LaTeX and PDF when pdflatex is installed), and "
                                   "a class summary (CSV and JSON)."))
    _file_argument(p)
    p.add_argument("--variants", type=_positive, required=True, help=_("how many variants, numbered 1..N"))
    p.add_argument("--seed", type=int, default=0, help=_("the seed the numbers are drawn from (default 0)"))
    p.add_argument("--ask", metavar="QUANTITIES", help=_("comma-separated: a node or param name for its value "
                   "(out_o1, E), grad:w1, new:w1; default: the loss, every gradient and every updated weight"))
    p.add_argument("--out", required=True, metavar="DIR", help=_("the folder to write into"))
    p.add_argument("--no-pdf", action="store_true", help=_("skip the PDFs even when pdflatex is installed"))
    _json_argument(p, _("print {document} only").format(document='{"variants": [{"id", "exercise", "sheet", "key"}, '
                                                                  '...]}'))
    p.set_defaults(run=cmd_quiz)
    p = sub.add_parser("grade", help=_("mark students' answers to a quiz and name the mistakes behind wrong ones"),
                       description=_("Read answers as CSV rows student,variant,quantity,value (with that header), "
                                   "compute each variant again, mark each answer right when it agrees to --sig "
                                   "significant figures, and name the catalogue mistakes that reproduce the wrong "
                                   "ones. Writes DIR/grades/ (a report per student, the class summary, JSON)."))
    p.add_argument("dir", help=_("the folder `scalarnet quiz` wrote"))
    p.add_argument("--answers", required=True, metavar="FILE.csv", help=_("the answers"))
    p.add_argument("--sig", type=int, default=3, help=_("significant figures an answer must agree to (default 3)"))
    _json_argument(p)
    p.set_defaults(run=cmd_grade)
    for command in (parser, *sub.choices.values()):  # every command speaks either language
        _lang_argument(command)
    return parser


def _lang_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=LANGUAGES, help=_("the language of everything printed and drawn (default: "
                                                       "SCALARNET_LANG, else the locale: LANG=zh_CN… means zh)"))


def _file_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help=_("an exercise file (TOML), or the name of a bundled exercise"))


def _lr_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lr", type=float, help=_("learning rate (default: the file's [train] learning_rate)"))


def _json_argument(p: argparse.ArgumentParser, help: str | None = None) -> None:
    p.add_argument("--json", action="store_true",
                   help=_("print JSON only on standard output") if help is None else help)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("expected a positive whole number, got {value}").format(
            value=repr(text))) from None
    if value < 1:
        raise argparse.ArgumentTypeError(_("expected a positive whole number, got {value}").format(value=value))
    return value


def commands_help(parser: argparse.ArgumentParser) -> str:
    """The usage and every command with its one-line help (``scalarnet`` alone prints it)."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    rows = [(c.dest, c.help or "") for c in sub._choices_actions]
    width = max(len(name) for name, _text in rows)
    lines = [_("usage: scalarnet COMMAND [options]   (scalarnet COMMAND --help for its options)"), "",
             _("Backpropagation made visible. Commands:")]
    lines += [f"  {name:<{width}}  {text}" for name, text in rows]
    lines += ["", _("scalarnet --version prints the version.")]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        lang = _requested_language(argv)
    except LanguageError as err:
        return _error(str(err))
    with using_language(lang), _argparse_in_language():
        return _main(argv)


def _requested_language(argv: list[str]) -> str | None:
    """--lang X or --lang=X anywhere on the line (read before the parser is built, so that its
    help is in that language), else SCALARNET_LANG or the locale; None: English by default."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return normal_language(argv[i + 1])
        if arg.startswith("--lang="):
            return normal_language(arg.split("=", 1)[1])
    return detect_language()


@contextlib.contextmanager
def _argparse_in_language() -> Iterator[None]:
    """argparse's own words (usage:, options, its errors) through our catalog. argparse looks
    up its module-level ``_`` and ``ngettext`` at each use; put back afterwards, since other
    programs in this process (pytest) use argparse too."""
    before = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _, ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = before


def _main(argv: list[str]) -> int:
    parser = build_parser()
    rest = [a for k, a in enumerate(argv) if not a.startswith("--lang") and (k == 0 or argv[k - 1] != "--lang")]
    if not rest:  # `scalarnet` alone (in a language, perhaps)
        sys.stdout.write(commands_help(parser))
        return 0
    args = parser.parse_args(argv)
    if getattr(args, "lr", None) is not None and not 0 < args.lr < math.inf:  # also refuses nan
        return _error(_("--lr {lr}: expected a positive, finite learning rate, e.g. --lr 0.5").format(lr=args.lr))
    try:
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C: one line; files are written whole or not at all
        fresh = "\n" if sys.stderr.isatty() else ""  # after the ^C (or a progress bar) on a terminal
        print(fresh + _("scalarnet: interrupted"), file=sys.stderr)
        return 130
    except (SpecError, ExerciseError) as err:
        return _error(str(err))
    except BrokenPipeError:  # `scalarnet step ... | head`
        sys.stderr.close()
        return 0
    except OSError as err:  # a file or folder we were asked to read or write: say which and why
        where = err.filename if err.filename is not None else ""
        return _error(f"{where}{': ' if where else ''}{err.strerror or err}")
