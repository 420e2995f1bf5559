"""The run's checkup between steps: now and then the layers' health on a probe batch
(``diagnostics``), and at those moments and at each epoch's end the hints that follow
(``hints``). The trainer reports both as events: ``{"event": "health", ...}`` and
``{"event": "hint", ...}``; a hint is given once a run.

A check comes every ``EVERY`` steps, or more rarely when it costs more than ``BUDGET`` of the
training time (a convolutional network's probe pass is dearer than a step's share of it).
"""

from __future__ import annotations

import math
import time

from . import diagnostics, hints

EVERY = 20  # steps between two health checks at the most
BUDGET = 0.03  # the share of training time the checks may take
PROBE = 64  # samples the dead and saturated shares are measured on


class Checkup:
    def __init__(self, net, probe, spec: dict):
        self.net, self.probe = net, probe[:PROBE]
        self.advisor = hints.Advisor(spec)
        self.health: list[dict] | None = None
        self._before: dict | None = None
        self._next = 0  # the step of the next check
        self._cost = self._started = 0.0

    def before_step(self, step: int, sync) -> None:
        """Keep the weights before a checked step, for its update ratio."""
        if step < self._next:
            return
        t = time.perf_counter()
        sync()
        self._before = {i: w.copy() for i, w in diagnostics.weight_arrays(self.net).items()}
        self._started = time.perf_counter()
        self._cost = self._started - t

    def after_step(self, step: int, epoch: int, history: dict, sync) -> list[dict]:
        if self._before is None:
            return []
        t = time.perf_counter()
        step_seconds = t - self._started
        sync()
        self.health = diagnostics.health(self.net, self.probe, self._before)
        self._before = None
        cost = self._cost + time.perf_counter() - t
        self._next = step + max(EVERY, math.ceil(cost / (BUDGET * max(step_seconds, 1e-9))))
        return [{"event": "health", "epoch": epoch, "step": step, "layers": self.health},
                *self.hints(history)]

    def epoch_end(self, epoch: int, batches: int, history: dict) -> list[dict]:
        """The hints at an epoch's end: every epoch of ``EVERY`` batches or more, else every
        ``EVERY``-th epoch (a run of one batch an epoch has thousands)."""
        return self.hints(history) if batches >= EVERY or epoch % EVERY == 0 else []

    def hints(self, history: dict) -> list[dict]:
        return [hint.event() for hint in self.advisor.check(history, self.health)]

    def diverged(self, loss: float) -> list[dict]:
        """The learning-rate hint for a run stopped by its last loss."""
        return [hint.event() for hint in self.advisor.diverged(loss)]
