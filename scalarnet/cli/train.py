"""``scalarnet train``: epochs of training with a progress bar, the loss, the metrics and a plot."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from ..i18n import _
from .common import error, exercise_command, open_engine_of, positive, print_json

SHOWN_PARAMS = 40  # parameters listed after training; --json has them all

def run(args: argparse.Namespace) -> int:
    from ..engines.evaluate import PARTS, AccuracyPerEpoch, is_classification, train_test_metrics
    from ..views.table import display_width, number, pad

    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".pdf", ".svg"):
        return error(_("--plot {file}: give a file name ending in .png (or .pdf or .svg)").format(file=args.plot))
    if args.plot:  # before training: a missing matplotlib or folder must not cost the run
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return error(_("--plot needs matplotlib: pip install matplotlib (or pip install 'scalarnet[plot]')"))
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
    ex = open_engine_of(args)
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
        from ..views.plot import PlotError, plot_training

        try:
            plot_training(args.plot, ex, result, accuracy.values if accuracy else None)
        except PlotError as err:
            return error(str(err))
        print(_("scalarnet: wrote {file}").format(file=args.plot), file=sys.stderr)
    if args.json:
        print_json({"engine": ex.name, **result.to_json(), "seconds": seconds}, ensure_ascii=True)
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


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = exercise_command(sub, "train", _("train for some epochs and show the loss"), _(
        "scalar (nodes), matrix (numpy, [network] files) or compiled (the scalar graph replayed over numpy; any "
        "file); default: matrix for a [network] file of more than 2000 scalar nodes per batch, else scalar"))
    p.add_argument("--epochs", type=positive, help=_("how many epochs (default: the file's [train] epochs)"))
    p.add_argument("--plot", metavar="FILE.png", help=_("draw the loss curve, and the fitted curve (1-D regression) "
                                                      "or the accuracy per epoch (classification); needs matplotlib"))
    p.set_defaults(run=run)
