"""``train --plot FILE.png``: what people look at after training. The loss per epoch;
for a 1-D regression the data and the fitted curve; for a classification the accuracy per
epoch. Needs matplotlib (pip install 'scalarnet[plot]')."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..engines.evaluate import PARTS, data_matrices, evaluate, is_classification, output_names
from ..engines.record import Engine, TrainResult
from ..i18n import _
from . import fonts
from .render import write_atomic


class PlotError(RuntimeError):
    """The plot cannot be drawn (matplotlib missing, a file that cannot be written)."""


def is_curve_fit(ex: Engine) -> bool:
    """One input, one output, not a classification: the fit can be drawn as a curve."""
    spec = ex.spec
    return (len(spec.inputs) == 1 and len(spec.targets) == 1 and not is_classification(spec)
            and len(output_names(spec)) == 1)


def plot_training(path: str | Path, ex: Engine, result: TrainResult,
                  accuracy: dict[str, list[float]] | None = None) -> None:
    """Write the PNG: the loss curve, and beside it the fitted curve or the accuracy."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import font_manager
    except ImportError:
        raise PlotError(_("--plot needs matplotlib: pip install matplotlib (or pip install 'scalarnet[plot]')")
                        ) from None
    # DejaVu Sans has no CJK glyphs: matplotlib falls back, glyph by glyph, to the installed CJK font
    cjk = fonts.matplotlib_family(font_manager)
    fonts.warn_if_missing([ex.title, ex.loss_name, *ex.spec.inputs, *ex.spec.targets, *(accuracy or {})], cjk)
    # (named, not "sans-serif": matplotlib falls back only along the families it is given by name)
    with plt.rc_context({"font.family": ["DejaVu Sans", *([cjk] if cjk else []), "sans-serif"]}):
        _plot_training(plt, path, ex, result, accuracy)


def _plot_training(plt, path: str | Path, ex: Engine, result: TrainResult,
                   accuracy: dict[str, list[float]] | None) -> None:
    second = is_curve_fit(ex) or bool(accuracy)
    fig, axes = plt.subplots(1, 2 if second else 1, figsize=(12 if second else 6.5, 4.8), squeeze=False)
    epochs = np.arange(1, len(result.epoch_losses) + 1)
    ax = axes[0, 0]
    losses = np.array(result.epoch_losses)
    ax.plot(epochs, losses, color="tab:blue")
    if losses.min() > 0 and losses.max() / losses.min() > 100:
        ax.set_yscale("log")
    ax.set(title=_("loss per epoch (engine: {name})").format(name=ex.name), xlabel=_("epoch"),
           ylabel=_("mean of {name} over the epoch's batches").format(name=ex.loss_name))
    ax.grid(True, alpha=0.3)
    if is_curve_fit(ex):
        _fitted_curve(axes[0, 1], ex)
    elif accuracy:
        ax = axes[0, 1]
        for label, values in accuracy.items():
            ax.plot(np.arange(1, len(values) + 1), 100 * np.array(values),
                    label=_("{part} ({percent}%)").format(part=_(PARTS.get(label, label)),
                                                          percent=f"{100 * values[-1]:.1f}"))
        ax.set(title=_("accuracy per epoch"), xlabel=_("epoch"), ylabel=_("accuracy (%)"), ylim=(0, 102))
        ax.legend(loc="lower right")
        ax.grid(True, alpha=0.3)
    fig.suptitle(ex.title, fontsize=10)
    fig.tight_layout()
    picture = io.BytesIO()  # drawn in memory, then written whole: an interrupt leaves no broken file
    try:
        fig.savefig(picture, dpi=110, format=Path(path).suffix.lstrip(".").lower())
        write_atomic(Path(path), picture.getvalue())
    except OSError as err:
        raise PlotError(_("cannot write {path}: {reason}").format(path=path, reason=err.strerror or err)) from None
    finally:
        plt.close(fig)


def _fitted_curve(ax, ex: Engine) -> None:
    x_name, y_name = next(iter(ex.spec.inputs)), next(iter(ex.spec.targets))
    X, Y = data_matrices(ex.spec)
    X_test, Y_test = data_matrices(ex.spec, test=True)
    everything = np.vstack([X, X_test])
    lo, hi = everything.min(), everything.max()
    grid = np.linspace(lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo), 400)[:, None]
    fitted, _losses = evaluate(ex, grid, np.zeros((len(grid), 1)))
    ax.scatter(X[:, 0], Y[:, 0], color="tab:red", zorder=3, label=_("training data"))
    if len(X_test):
        ax.scatter(X_test[:, 0], Y_test[:, 0], color="tab:orange", marker="s", zorder=3, label=_("test data"))
    ax.plot(grid[:, 0], fitted[:, 0], color="tab:blue", linewidth=2, label=_("the trained network"))
    ax.set(title=_("data and fitted curve"), xlabel=x_name, ylabel=y_name)
    ax.legend()
    ax.grid(True, alpha=0.3)
