"""``scalarnet render``: the diagram of a training step, its walk's frames, or the walk as an animation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import _
from ..views.animation import ANIMATIONS
from .common import command, error, fit_argument, load_exercise, lr_argument, positive, typed_name


def run(args: argparse.Namespace) -> int:
    """Write the diagram(s) of one training step and print their paths."""
    from ..spec.limits import check_drawable
    from ..views import diagram

    ex = load_exercise(args, check_drawable)  # refused before the graph and its diagram are built
    try:
        subject = diagram.subject_of(ex, args.step, args.example)
        pics = diagram.pictures(subject, phase=args.phase, level=args.level, param=args.param,
                                symbolic=args.symbolic, frames=args.frames, fit=args.fit)
    except ValueError as err:  # DiagramError: too big, unknown parameter; a bad --example
        return error(f"{args.file}: {err}")
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
    from ..views import render
    from ..views.animation import DEFAULT_WIDTH, AnimationError, check_fps, walk

    if not args.frames:
        return error(_("--format {format} animates the backward walk: add --frames").format(format=args.format))
    try:
        check_fps(args.fps)
        data = walk(pics, args.format, args.fps, args.width or DEFAULT_WIDTH)
    except (AnimationError, render.RenderError) as err:
        return error(str(err), status=1)
    render.write_atomic(path, data)
    print(path)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "render", _("draw the diagram of a training step (values, gradients, partials)"), _(
        "Draw the node graph of one example at one training step with Graphviz: every value, every gradient "
        "and every local partial. Prints the paths written."))
    p.add_argument("--step", type=positive, default=1, help=_("the training step, as `step --json` numbers them "
                                                               "(default 1)"))
    p.add_argument("--example", type=int, default=0, help=_("which example of the step's batch (default 0)"))
    p.add_argument("--phase", choices=("forward", "backward", "update"), default="backward",
                   help=_("forward: values; backward: and gradients (default); update: and the updated params"))
    p.add_argument("--level", choices=("primitive", "named", "neuron", "layer"),
                   help=_("detail: every op node, named nodes, neurons or layers (default: the finest readable)"))
    p.add_argument("--param", type=typed_name, help=_("highlight every path from the loss to this parameter"))
    p.add_argument("--frames", action="store_true", help=_("one file per node of the backward walk, in its order"))
    p.add_argument("--symbolic", action="store_true", help=_("also write each partial as a formula"))
    p.add_argument("--format", choices=("svg", "png", "pdf", "dot", *ANIMATIONS), default="svg",
                   help=_("default svg; gif, apng and webp (with --frames) animate the walk in one file"))
    p.add_argument("--fps", type=float, default=2.0, help=_("with an animated --format: frames per second (default 2)"))
    p.add_argument("--width", type=positive, help=_("with an animated --format: its width in pixels (default 1100); "
                                                   "after the whole graph, each frame zooms to the walk's node so "
                                                   "that its numbers are 12 px high"))
    p.add_argument("--out", default=".", help=_("the folder to write into (default: the current folder)"))
    fit_argument(p)
    lr_argument(p)
    p.set_defaults(run=run)
