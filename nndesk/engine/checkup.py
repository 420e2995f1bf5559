"""The run's checkup between steps: every ``EVERY`` batches the layers' health on a probe batch
(``diagnostics``), and at those moments and at each epoch's end the hints that follow
(``hints``). The trainer reports both as events: ``{"event": "health", ...}`` and
``{"event": "hint", ...}``; a hint is given once a run.
"""

from __future__ import annotations

from . import diagnostics, hints

EVERY = 50  # batches between two health checks
PROBE = 128  # samples the dead and saturated shares are measured on


class Checkup:
    def __init__(self, net, probe, spec: dict):
        self.net, self.probe = net, probe[:PROBE]
        self.advisor = hints.Advisor(spec)
        self.health: list[dict] | None = None
        self._before: dict | None = None

    def before_step(self, step: int, sync) -> None:
        """Keep the weights before every ``EVERY``-th step, for its update ratio."""
        if step % EVERY == 0:
            sync()
            self._before = {i: w.copy() for i, w in diagnostics.weight_arrays(self.net).items()}

    def after_step(self, step: int, epoch: int, history: dict, sync) -> list[dict]:
        if self._before is None:
            return []
        sync()
        self.health = diagnostics.health(self.net, self.probe, self._before)
        self._before = None
        return [{"event": "health", "epoch": epoch, "step": step, "layers": self.health},
                *self.hints(history)]

    def hints(self, history: dict) -> list[dict]:
        return [hint.event() for hint in self.advisor.check(history, self.health)]

    def diverged(self, loss: float) -> list[dict]:
        """The learning-rate hint for a run stopped by its last loss."""
        return [hint.event() for hint in self.advisor.diverged(loss)]
