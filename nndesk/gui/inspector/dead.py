"""Dead units, found on a background thread: per layer, the units (channels) that never
respond to the first test inputs, for the latest weights asked about."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from nndesk.engine import build_network
from nndesk.engine.inspection import dead_units

from ..tasks import Task

SAMPLES = 2000
GAP_MS = 2000  # between two searches while the weights keep changing (a run)


class DeadUnitWatcher(QObject):
    """``request(token, spec, weights, x)``: find the dead units of a network of ``spec``
    holding ``weights`` on the inputs ``x``; ``found(token, masks)`` follows (only for the
    latest request: those made while a search runs replace each other)."""

    found = Signal(object, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.task = Task("dead units", self)
        self.task.finished.connect(self._on_finished)
        self.task.ended.connect(self._on_ended)
        self._pending = None
        self._token = None
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.timeout.connect(self._start)
        self.gap_ms = 0

    def request(self, token, spec: dict, weights: dict, x) -> None:
        self._pending = (token, spec, weights, x[:SAMPLES])
        self._start()

    def _start(self) -> None:
        if self._pending is None or self.task.is_running() or self._rest.isActive():
            return
        self._token, spec, weights, x = self._pending
        self._pending = None

        def job(_report):
            net = build_network(spec)  # its own network: the page's may change meanwhile
            net.set_weights(weights)
            return dead_units(net, x)

        self.task.start(job)

    def _on_finished(self, masks) -> None:
        self.found.emit(self._token, masks)

    def _on_ended(self) -> None:
        if self.gap_ms:
            self._rest.start(self.gap_ms)
        else:
            self._start()

    def wait(self) -> None:
        """Block until the current search has ended (closing the window)."""
        self.task.wait()
