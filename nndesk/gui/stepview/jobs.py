"""The step math view's background work: replaying a recorded step and checking gradients.

Replaying a step (a forward and backward pass of the whole batch) takes up to half a second for
a small CNN, a gradient check a few seconds, so both run on a ``Task`` of their own. Each
result comes back with the generation it was asked for; one asked for before the network
changed is dropped.
"""

from __future__ import annotations

import inspect
import textwrap

import numpy as np
from PySide6.QtCore import QObject, Signal

from nndesk.engine import stepmath

from ..tasks import Task

CHECKED_WEIGHTS = 16  # the weights with the largest gradients, besides the bias


class StepJobs(QObject):
    replayed = Signal(object)  # a stepmath.Replay, for the latest step asked for
    replayFailed = Signal(str)
    checked = Signal(dict)  # gradient_check's result, with "key" and "names" added
    checkFailed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.generation = 0
        self._queued = None  # (generation, spec, record, dtype) waiting for the replay task
        self._replay = Task("nndesk-step-replay", self)
        self._replay.finished.connect(self._on_replayed)
        self._replay.failed.connect(self.replayFailed)
        self._replay.ended.connect(self._start_queued)
        self._check = Task("nndesk-gradient-check", self)
        self._outcome = None  # the check's result or failure, handed on once its task ended
        self._check.finished.connect(lambda result: setattr(self, "_outcome", result))
        self._check.failed.connect(lambda text: setattr(self, "_outcome", text))
        self._check.ended.connect(self._on_check_ended)

    def forget(self) -> None:
        """The network changed: results still on their way are for nobody."""
        self.generation += 1
        self._queued = None

    def replay(self, spec: dict, record: dict, dtype) -> None:
        """Take the recorded step again (the latest one asked for wins)."""
        self._queued = (self.generation, spec, record, dtype)
        if not self._replay.is_running():
            self._start_queued()

    def _start_queued(self) -> None:
        if self._queued is None:
            return
        generation, spec, record, dtype = self._queued
        self._queued = None
        self._replay.start(lambda report: (generation, stepmath.Replay(spec, record, dtype)))

    def _on_replayed(self, result) -> None:
        generation, replay = result
        if generation == self.generation:
            self.replayed.emit(replay)

    def is_checking(self) -> bool:
        return self._check.is_running()

    def check(self, spec: dict, record: dict, indices: np.ndarray, names: list[str], key) -> None:
        """Run ``gradient_check`` for these parameters (``key`` says whose they are)."""
        if self._check.is_running():
            return
        generation = self.generation

        def job(report):
            result = stepmath.gradient_check(spec, record, indices)
            return {**result, "generation": generation, "key": key, "names": names}

        self._check.start(job)

    def _on_check_ended(self) -> None:
        outcome, self._outcome = self._outcome, None
        if isinstance(outcome, str):
            self.checkFailed.emit(outcome)
        elif outcome is not None and outcome["generation"] == self.generation:
            self.checked.emit(outcome)

    def shutdown(self) -> None:
        self._queued = None
        self._replay.wait()
        self._check.wait()


def checked_indices(update: dict, w_idx: np.ndarray, b_idx: int):
    """Which of a unit's parameters to check: all its weights if few, else the ones with the
    largest gradients, then its bias. Returns their positions among the unit's weights and
    the flat indices of all of them (the bias last)."""
    grads = np.abs(update["gradient"][:-1])
    if len(w_idx) <= CHECKED_WEIGHTS:
        chosen = np.arange(len(w_idx))
    else:
        chosen = np.sort(np.argsort(-grads, kind="stable")[:CHECKED_WEIGHTS])
    return chosen, np.append(w_idx[chosen], b_idx)


def code_text(layer, optimizer) -> str:
    """The reference path's code of a layer, its activation and the optimizer's rule."""
    passes = stepmath.source(layer).replace("\ndef ", "\n\ndef ")
    parts = [f"# {type(layer).__name__}: the layer's passes", passes]
    activation = getattr(layer, "activation", None)
    if activation is not None:
        parts += [f"\n# {type(activation).__name__}: its activation",
                  textwrap.dedent(inspect.getsource(type(activation)))]
    for klass in type(optimizer).__mro__:
        if "update" in vars(klass):
            parts += [f"\n# {type(optimizer).__name__}: the optimizer's rule",
                      textwrap.dedent(inspect.getsource(vars(klass)["update"]))]
            break
    return "\n".join(parts)
