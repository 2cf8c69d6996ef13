"""[train]: the loss, learning rate, batch, trainable parameters, epochs and momentum."""

from __future__ import annotations

from typing import Any

from ..core import nn
from ..i18n import _
from . import formula
from .model import TRAIN_KEYS, ExerciseSpec, TrainSpec
from .reader import Reader, did_you_mean, value_text
from .reader import listed as name_list  # `listed` is a local name below


def read_train(r: Reader, table: Any, spec: ExerciseSpec) -> TrainSpec:
    table = r.table(table, "train", TRAIN_KEYS)
    train = TrainSpec()
    if spec.network is not None:
        if "loss" in table:
            raise r.error("[train] loss", _("a [network] file names its loss in [network] loss "
                                               "({losses})").format(losses=", ".join(nn.LOSSES)))
    else:
        assert spec.graph is not None
        loss = table.get("loss", list(spec.graph)[-1])
        if not isinstance(loss, str):
            raise r.error("[train] loss", _('expected the name of a [graph] entry in quotes, e.g. loss = '
                                               '"{last}", got {value}').format(
                last=list(spec.graph)[-1], value=formula.cut(repr(loss), 40)))
        train.loss = formula.normal_name(loss)
        if train.loss not in spec.graph:
            raise r.error("[train] loss", _("{name} is not a [graph] entry; the loss must be one of: "
                                               "{names}").format(name=formula.shown(loss, 40),
                                                                 names=name_list(spec.graph)))
    if "learning_rate" in table:
        train.learning_rate = r.number(table["learning_rate"], "[train] learning_rate")
        if train.learning_rate <= 0:
            raise r.error("[train] learning_rate", _("must be positive"))
    batch = table.get("batch", "full")
    if batch != "full":
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise r.error("[train] batch", _('expected a positive whole number or "full", got {value}').format(
                value=value_text(batch)))
        if batch > spec.n_examples:
            raise r.error("[train] batch", _('{batch} examples per batch, but the file has {n}; use at '
                                                'most {n} or "full"').format(batch=batch, n=spec.n_examples))
        train.batch = batch
    if "trainable" in table:
        names = table["trainable"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise r.error("[train] trainable", _("expected a list of parameter names"))
        listed: dict[str, str] = {}  # normalised -> as written: a set, so checking is linear
        for name in names:
            key = formula.normal_name(name)
            if key not in spec.params:
                raise r.error("[train] trainable", _("{name} is not a parameter{hint}; the parameters "
                                                        "are {names}").format(
                    name=formula.shown(name, 40), hint=did_you_mean(key, spec.params),
                    names=name_list(spec.params)))
            if key in listed:
                spelled = "" if listed[key] == name else _(" (as {first} and {second})").format(
                    first=repr(listed[key]), second=repr(name))
                raise r.error("[train] trainable", _("{name} is listed twice{spelled}; list each parameter "
                                                        "once (it would be updated twice per step)").format(
                    name=name, spelled=spelled))
            listed[key] = name
        train.trainable = list(listed)
    if "epochs" in table:
        epochs = table["epochs"]
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise r.error("[train] epochs", _("expected a positive whole number, got {value}").format(
                value=value_text(epochs)))
        train.epochs = epochs
    if "momentum" in table:
        train.momentum = r.number(table["momentum"], "[train] momentum")
        if not 0.0 <= train.momentum < 1.0:
            raise r.error("[train] momentum", _("must be in [0, 1)"))
    return train
