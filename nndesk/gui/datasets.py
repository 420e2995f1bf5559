"""One dataset cache for every page of the window, and loading into it in the background.

Datasets stay loaded for the life of the process: switching back and forth costs nothing, and
the drawing pad's test digits are the same MNIST the form trains on.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from .tasks import Task

_CACHE: dict[str, object] = {}
_LOCK = threading.Lock()


def cached(name: str):
    """The dataset ``name`` if it is loaded, else None."""
    with _LOCK:
        return _CACHE.get(name)


def load_cached(name: str):
    """The dataset ``name``, loaded now (on the calling thread) if it is not yet."""
    dataset = cached(name)
    if dataset is None:
        from nndesk.data import load_dataset

        dataset = load_dataset(name)
        with _LOCK:
            dataset = _CACHE.setdefault(name, dataset)
    return dataset


def dataset_title(name: str) -> str:
    return {"mnist": "MNIST", "xor": "XOR"}.get(name, Path(name).name or name)


class DatasetLoader(QObject):
    """Loads datasets into the cache on a background task, one at a time, the latest asked
    for next. ``loaded(name, dataset)`` or ``failed(name, message)`` follows each ``load``."""

    loaded = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._task = Task("nndesk-dataset", self)
        self._task.finished.connect(self._on_task_finished)
        self._task.failed.connect(self._on_task_failed)
        self._task.ended.connect(self._on_task_ended)
        self._current: str | None = None  # being loaded
        self._next: str | None = None  # asked for while another was loading

    def load(self, name: str) -> bool:
        """Start loading ``name``; True if it is loaded already (``loaded`` fires soon either way)."""
        ready = cached(name)
        if ready is not None:
            QTimer.singleShot(0, lambda: self.loaded.emit(name, ready))
            return True
        if name == self._current:
            self._next = None  # the one asked for last is on its way
            return False
        if self._task.is_running():
            self._next = name
        else:
            self._start(name)
        return False

    def shutdown(self) -> None:
        """Wait for a load under way (it cannot be cancelled) and forget any queued one."""
        self._next = None
        self._task.wait()

    def is_loading(self, name: str) -> bool:
        return name in (self._current, self._next)

    def _start(self, name: str) -> None:
        self._current = name
        self._task.start(lambda _report: load_cached(name))

    def _on_task_finished(self, dataset) -> None:
        self.loaded.emit(self._current, dataset)

    def _on_task_failed(self, message: str) -> None:
        self.failed.emit(self._current, message)

    def _on_task_ended(self) -> None:
        self._current = None
        name, self._next = self._next, None
        if name is not None:
            self.load(name)
