"""Telling a run that has diverged from one that is learning, as a person reading its curves
would. The trainer asks after every batch and at the end of every epoch.

A run has diverged when

    its loss is not a finite number;
    its loss exploded: the mean of its last 10 batch losses is over 100 times its reference,
        the larger of its first batch's loss and the loss of guessing (below);
    it is stuck at chance: at the end of an epoch, once it has taken 100 steps on at least
        100 samples, its accuracy is no better than always answering the most common class
        (plus 2 points), its loss no lower than guessing's, and its loss over its last 50
        steps not 0.1% lower than over the 50 before them.

"Guessing" is answering every sample with the class frequencies of the training labels: the
best a network can do without looking at its input. A run that learns slowly beats it, if
only a little, and its loss keeps falling; the last two conditions keep such runs going.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from .losses import Loss

EXPLOSION_FACTOR = 100.0
RECENT_BATCHES = 10
MIN_STEPS, MIN_SAMPLES = 100, 100
CHANCE_MARGIN = 0.02
FALLING_WINDOW, FALLING_BY = 50, 0.001


def guessing_loss(loss: Loss, y: np.ndarray, outputs: int) -> float:
    """The loss of answering every sample with the class frequencies of ``y``."""
    classes = max(outputs, 2)
    freq = np.bincount(y, minlength=classes) / len(y)
    guess = freq[1:2] if outputs == 1 else freq  # one unit outputs P(class 1)
    out = np.broadcast_to(guess.astype(np.float64), (len(y), len(guess)))
    return float(loss.value(out, None, y))


class Watch:
    """Says what went wrong when a run diverges, in words that fit after "Training diverged:"."""

    def __init__(self, loss: Loss, y: np.ndarray, outputs: int):
        self.guess = guessing_loss(loss, y, outputs)
        self.chance = float(np.bincount(y).max() / len(y))
        self.judge_chance = len(y) >= MIN_SAMPLES
        self.start: float | None = None
        self.recent: deque[float] = deque(maxlen=RECENT_BATCHES)
        self.trend: deque[float] = deque(maxlen=2 * FALLING_WINDOW)
        self.steps = 0

    def batch(self, loss: float) -> str | None:
        """After each batch, with its loss."""
        if not math.isfinite(loss):
            return f"the loss became {loss}, not a finite number"
        self.steps += 1
        if self.start is None:
            self.start = loss
        self.recent.append(loss)
        self.trend.append(loss)
        recent = sum(self.recent) / len(self.recent)
        reference = max(self.start, self.guess)
        if recent > EXPLOSION_FACTOR * reference:
            return (f"the loss exploded from {self.start:.3g} at the start to {recent:.3g} over "
                    f"the last {len(self.recent)} batches")
        return None

    def epoch(self, accuracy: float, val_accuracy: float | None, loss: float) -> str | None:
        """At the end of each epoch, with its training accuracy, its validation accuracy
        (None without a validation set) and its mean training loss."""
        if not self.judge_chance or self.steps < MIN_STEPS:
            return None
        best = max(accuracy, val_accuracy if val_accuracy is not None else 0.0)
        if best > self.chance + CHANCE_MARGIN or loss < self.guess:
            return None
        trend = list(self.trend)
        earlier, later = trend[:FALLING_WINDOW], trend[FALLING_WINDOW:]
        if later and sum(later) / len(later) < (1 - FALLING_BY) * sum(earlier) / len(earlier):
            return None
        return (f"after {self.steps} steps the accuracy is {best:.1%}, no better than always "
                f"answering the most common class ({self.chance:.1%}), and the loss "
                f"({loss:.4g}) has stopped falling and is no lower than guessing's "
                f"({self.guess:.4g})")
