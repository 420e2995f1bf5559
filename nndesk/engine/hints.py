"""Hints while training: small rules over the history and the layers' health, each with a fix
that edits the spec.

Each rule looks at the run so far and returns a ``Hint`` or None:

    loss_rising     the last 10 batch losses average over 1.5x the median of the 100 before
                    them, or the median of the last 5 is over 3x that of the 20 before them
                    -> halve the learning rate
    not_finite      a batch loss is not a number -> a tenth of the learning rate
    dead_relus      half or more of a hidden ReLU layer's units are dead on the probe batch
                    -> He initialisation, or leaky ReLU for that layer once He is in use
    saturated       half or more of a hidden sigmoid/tanh layer's outputs are saturated
                    -> Glorot (Xavier) initialisation, or half the rate once it is in use
    overfitting     the validation loss rose two epochs running while the training loss
                    fell, and sits 2% over its best -> early stopping, then augmentation,
                    then weight decay
    flat_start      after 100 batches the last 20 batch losses average no
                    less than 98% of the first 20 -> the loss that suits the output layer,
                    or ten times the learning rate

A fix is a patch of the spec: ``{"optimizer": {"learning_rate": 0.05}}``, with layers patched
by index (``{"layers": {"1": {"activation": "leaky_relu"}}}``); ``apply_fix`` applies one.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Hint:
    rule: str
    message: str
    fix: dict | None
    fix_text: str

    def event(self) -> dict:
        return {"event": "hint", "rule": self.rule, "message": self.message, "fix": self.fix,
                "fix_text": self.fix_text}


def _lr(spec) -> float:
    return float(spec["optimizer"]["learning_rate"])


def _rate(spec, factor: float, why: str) -> tuple[dict, str]:
    new = float(f"{_lr(spec) * factor:.3g}")
    return {"optimizer": {"learning_rate": new}}, f"{why}: set the learning rate to {new:g}"


def loss_rising(history, spec, health):
    losses = np.asarray(history["batch_loss"][-110:], float)
    if len(losses) < 30 or not np.isfinite(losses).all():
        return None
    jump = np.median(losses[-5:]) > 3 * np.median(losses[-25:-5])
    if losses[-10:].mean() > 1.5 * np.median(losses[:-10]) or jump:
        fix, text = _rate(spec, 0.5, "Halve it")
        return Hint("loss_rising", f"The loss is {'jumping' if jump else 'rising'}: the learning "
                    f"rate ({_lr(spec):g}) is probably too high.", fix, text)
    return None


def not_finite(history, spec, health):
    if any(not math.isfinite(v) for v in history["batch_loss"][-50:]):
        fix, text = _rate(spec, 0.1, "Lower it")
        return Hint("not_finite", "The loss stopped being a number; training stops with the "
                    "last finite weights kept. The learning rate is too high for this network.",
                    fix, text)
    return None


def _hidden(health, spec):
    """The records of the hidden layers: an output layer's units answer to their targets."""
    return [r for r in health or () if r["layer"] < len(spec["layers"]) - 1]


def dead_relus(history, spec, health):
    for record in _hidden(health, spec):
        if record["dead_share"] is not None and record["dead_share"] >= 0.5:
            n = record["layer"]
            share = f"{record['dead_share']:.0%}"
            if not spec["initializer"].startswith("he_") or \
                    spec["layers"][n].get("initializer") not in (None, "he_normal", "he_uniform"):
                fix, text = {"initializer": "he_normal", "layers": {str(n): {"initializer": None}}}, \
                    "Use He initialisation"
            else:
                fix, text = {"layers": {str(n): {"activation": "leaky_relu"}}}, \
                    f"Use leaky ReLU in layer {n + 1}"
            return Hint("dead_relus", f"{share} of layer {n + 1}'s ReLU units never fire (dead "
                        f"units learn nothing). A lower learning rate, He initialisation or "
                        f"leaky ReLU keeps them alive.", fix, text)
    return None


def saturated(history, spec, health):
    for record in _hidden(health, spec):
        if record["saturated_share"] is not None and record["saturated_share"] >= 0.5:
            n = record["layer"]
            if spec["initializer"].startswith("glorot_") and \
                    spec["layers"][n].get("initializer") in (None, "glorot_normal", "glorot_uniform"):
                fix, text = _rate(spec, 0.5, "Halve the learning rate")
            else:
                fix, text = {"initializer": "glorot_normal",
                             "layers": {str(n): {"initializer": None}}}, "Use Glorot initialisation"
            return Hint("saturated", f"{record['saturated_share']:.0%} of layer {n + 1}'s "
                        f"{record['activation']} outputs sit at the flat ends of the curve, where "
                        f"the gradient vanishes: the weights start too large.", fix, text)
    return None


def overfitting(history, spec, health):
    val, train = history["val_loss"], history["train_loss"]
    if len(val) < 3 or any(v is None for v in val[-3:]):
        return None
    if not (val[-1] > val[-2] > val[-3] and train[-1] < train[-2] < train[-3]
            and val[-1] > 1.02 * min(v for v in val if v is not None)):
        return None
    training = spec["training"]
    if not training["early_stopping_patience"]:
        fix, text = {"training": {"early_stopping_patience": 3}}, "Stop early (patience 3)"
    elif not training["augment"] and len(spec["input_shape"]) in (1, 3):
        fix, text = {"training": {"augment": True}}, "Distort the training images"
    elif not spec["optimizer"].get("weight_decay"):
        fix, text = {"optimizer": {"weight_decay": 5e-4}}, "Add weight decay (5e-4)"
    else:
        fix, text = None, ""
    return Hint("overfitting", "The validation loss is rising while the training loss falls: the "
                "network is learning the training set by heart (overfitting). Dropout, weight "
                "decay, early stopping or augmentation help.", fix, text)


def flat_start(history, spec, health):
    losses = history["batch_loss"]
    if len(losses) < 100:
        return None
    first, last = np.mean(losses[:20]), np.mean(losses[-20:])
    if not (math.isfinite(first) and last >= 0.98 * first):
        return None
    out = spec["layers"][-1].get("activation")
    if spec["loss"] == "softmax_cross_entropy" and out != "softmax":
        fix, text = {"layers": {str(len(spec["layers"]) - 1): {"activation": "softmax"}}}, \
            "Make the output layer softmax"
        why = "cross-entropy expects a softmax output layer"
    elif spec["loss"] != "softmax_cross_entropy" and out == "softmax":
        fix, text = {"loss": "softmax_cross_entropy"}, "Use the softmax cross-entropy loss"
        why = "a softmax output learns best with the cross-entropy loss"
    else:
        fix, text = _rate(spec, 10, "Raise it tenfold")
        why = f"the learning rate ({_lr(spec):g}) is probably too low"
    return Hint("flat_start", f"The loss has not moved since the start: {why}.", fix, text)


RULES = (not_finite, loss_rising, dead_relus, saturated, overfitting, flat_start)


def diverged(spec, loss: float) -> Hint:
    """The learning-rate hint for a run the trainer stopped: its loss exploded or stopped
    being a number."""
    if not math.isfinite(loss):
        return not_finite({"batch_loss": [loss]}, spec, None)
    fix, text = _rate(spec, 0.1, "Lower it tenfold")
    return Hint("loss_rising", f"The loss exploded: the learning rate ({_lr(spec):g}) is far too "
                f"high for this network.", fix, text)


class Advisor:
    """The rules, each heard at most once a run."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.given: set[str] = set()

    def diverged(self, loss: float) -> list[Hint]:
        """The rate hint for the run's end, even when a rule of the same name came before."""
        hint = diverged(self.spec, loss)
        self.given.add(hint.rule)
        return [hint]

    def check(self, history: dict, health: list[dict] | None = None) -> list[Hint]:
        new = []
        for rule in RULES:
            if rule.__name__ in self.given:
                continue
            hint = rule(history, self.spec, health)
            if hint is not None:
                self.given.add(hint.rule)
                new.append(hint)
        return new


def apply_fix(spec: dict, fix: dict) -> dict:
    """A copy of ``spec`` with the patch ``fix`` merged in (layers patched by index)."""
    out = copy.deepcopy(spec)
    for key, value in fix.items():
        if key == "layers":
            for index, patch in value.items():
                out["layers"][int(index)].update(patch)
        elif isinstance(value, dict):
            out.setdefault(key, {}).update(value)
        else:
            out[key] = value
    return out
