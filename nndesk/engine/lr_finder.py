"""The learning-rate range test (Smith 2017; fastai's ``lr_find``): a short run on a copy of the
network whose learning rate grows exponentially, one mini-batch at a time,

    lr_k = start · (end / start)^(k / (steps - 1))

recording the loss after each step, smoothed as s_k = β s_{k-1} + (1 - β) L_k with the bias
correction s_k / (1 - β^k). It stops early once the smoothed loss is four times its lowest.
The suggestion is the rate where the smoothed loss falls fastest (the steepest downward slope
against log lr), a tenth of the rate at the lowest loss when the curve never falls.
"""

from __future__ import annotations

import math

import numpy as np

from .network import Network
from .trainer import Trainer

BETA = 0.98
SKIP = 10  # the first points, where the smoothing has seen too little, are not judged


def find_learning_rate(spec: dict, x: np.ndarray, y: np.ndarray, start: float = 1e-6,
                       end: float = 10.0, steps: int = 100, progress=None) -> dict:
    """{"learning_rate": [...], "loss": [...] (smoothed), "suggestion": lr or None}, from a
    fresh network of ``spec`` trained on (x, y) by the spec's own engine, batch size and
    optimizer. ``progress(k, steps)`` is called after each step."""
    if not (0 < start < end):
        raise ValueError(f"expected 0 < start < end, got {start:g} and {end:g}")
    spec = {**spec, "schedule": {"name": "constant"}}
    net = Network(spec)
    rates = start * (end / start) ** (np.arange(steps) / max(steps - 1, 1))
    lrs, losses = [], []
    state = {"smooth": 0.0, "best": math.inf}
    batches = math.ceil(len(x) / min(len(x), spec["training"]["batch_size"] or len(x)))
    trainer = Trainer(net, x, y, epochs=math.ceil(steps / batches), learning_rate=start)

    def listen(event):
        if event["event"] != "batch":
            return
        k, loss = len(lrs), event["loss"]
        if not math.isfinite(loss):
            trainer.request_stop()
            return
        state["smooth"] = BETA * state["smooth"] + (1 - BETA) * loss
        value = state["smooth"] / (1 - BETA ** (k + 1))
        lrs.append(float(rates[k]))
        losses.append(float(value))
        state["best"] = min(state["best"], value)
        if progress is not None:
            progress(k + 1, steps)
        if k + 1 >= steps or value > 4 * state["best"]:
            trainer.request_stop()
        else:
            trainer.set_learning_rate(float(rates[k + 1]))

    trainer.listeners.append(listen)
    with np.errstate(over="ignore", invalid="ignore"):
        trainer.run()
    return {"learning_rate": lrs, "loss": losses, "suggestion": suggest(lrs, losses)}


def suggest(lrs: list[float], losses: list[float]) -> float | None:
    if len(lrs) < SKIP + 5:
        return None
    judged = np.asarray(losses[SKIP:])
    lowest = int(np.argmin(judged))
    slopes = np.gradient(judged, np.log(lrs[SKIP:]))
    falling = int(np.argmin(slopes[:lowest + 1]))
    if slopes[falling] >= 0:
        return float(f"{lrs[SKIP + lowest] / 10:.2g}")
    return float(f"{lrs[SKIP + falling]:.2g}")
