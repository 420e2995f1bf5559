"""Learning-rate schedules, looked up by name in ``SCHEDULES``.

A schedule maps the base learning rate lr_0 and the progress e through training (in epochs,
fractional within an epoch, out of E) to the rate used for the next batch:

    constant   lr = lr_0
    step       lr = lr_0 * gamma ** floor(e / step_epochs)
    cosine     lr = low + (lr_0 - low) * (1 + cos(pi * e / E)) / 2,  low = min(min_lr, lr_0)
"""

from __future__ import annotations

import math

SCHEDULES: dict[str, dict[str, float]] = {
    "constant": {},
    "step": {"step_epochs": 10, "gamma": 0.1},
    "cosine": {"min_lr": 0.0},
}

DESCRIPTIONS = {
    "constant": "The same learning rate throughout",
    "step": "Multiply the rate by gamma every step_epochs epochs",
    "cosine": "Cosine decay from the base rate to min_lr over the run",
}


def scheduled_rate(schedule: dict, base_lr: float, progress: float, total_epochs: int) -> float:
    name = schedule["name"]
    if name == "step":
        return base_lr * schedule["gamma"] ** int(progress // schedule["step_epochs"])
    if name == "cosine":
        low = min(schedule["min_lr"], base_lr)
        frac = min(progress / max(total_epochs, 1), 1.0)
        return low + (base_lr - low) * 0.5 * (1.0 + math.cos(math.pi * frac))
    return base_lr
