"""Background work for the window: one kind of worker, on a thread of its own.

A :class:`Task` (on the GUI thread) runs one job at a time in a :class:`Worker`, a QObject
moved to a QThread with the canonical wiring (no parent, ``thread.started -> worker.run``,
``worker.ended -> thread.quit``), like superqt's ``GeneratorWorker``. The job is a plain
function ``job(report)``: it may call ``report(kind, payload)`` any number of times (the
``progress`` signal), and returns its result (``finished``) or raises (``failed``, with a
plain message). ``ended`` always comes last, after every other signal of the job, even when
the window waits for the job to end (``Task.wait``).

The worker never touches a widget; everything it emits is what the job hands it, which must be
plain data or copies. Instead of ``deleteLater`` the task keeps both objects until ``ended``
reaches the GUI thread: with PySide, deleting the QThread or the worker early could drop
signals still queued from them.
"""

from __future__ import annotations

import traceback
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

Report = Callable[[str, object], None]


class JobFailed(Exception):
    """A job's failure, with a message already written for a person."""


def plain_message(exc: BaseException) -> str:
    """What went wrong, for a person: the engine's and the data's messages are plain already."""
    if isinstance(exc, JobFailed):
        return str(exc)
    if isinstance(exc, MemoryError):
        return ("Out of memory. Try fewer training samples, a smaller batch size, or fewer or "
                "narrower layers.")
    if isinstance(exc, (ValueError, OSError)):
        return str(exc) or type(exc).__name__
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


class Worker(QObject):
    started = Signal()
    progress = Signal(str, object)
    finished = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, job: Callable[[Report], object]):
        super().__init__()
        self._job = job

    @Slot()
    def run(self) -> None:
        self.started.emit()
        try:
            result = self._job(self.progress.emit)
        except Exception as exc:  # every error reaches the person
            self.failed.emit(plain_message(exc))
        else:
            self.finished.emit(result)
        finally:
            # Back to the GUI thread before this one ends, so that the task frees it there.
            self.moveToThread(QCoreApplication.instance().thread())
            self.ended.emit()


class Task(QObject):
    """Runs jobs one at a time on a background thread; its signals arrive on the GUI thread."""

    started = Signal()
    progress = Signal(str, object)
    finished = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self._name = name
        self._thread: QThread | None = None
        self._worker: Worker | None = None

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, job: Callable[[Report], object]) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self._name} is already running")
        thread = QThread()
        thread.setObjectName(self._name)
        worker = Worker(job)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # quit() is thread-safe; called from the worker's thread, the thread ends even while
        # the GUI thread is blocked in wait().
        worker.ended.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        for name in ("started", "progress", "finished", "failed"):
            getattr(worker, name).connect(getattr(self, name))
        worker.ended.connect(self._on_worker_ended)
        self._thread, self._worker = thread, worker
        thread.start()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the job has ended and its last signals have been delivered (``ended``
        included). False if it did not end in time; the thread is then kept, never destroyed
        while it runs."""
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(timeout_ms):
            _ORPHANS.append((thread, self._worker))
            return False
        # The worker's signals are queued to this thread: deliver them now, in order, so
        # that whoever waited sees the job's result before ``ended``.
        QCoreApplication.sendPostedEvents()
        self._clean_up()
        return True

    @Slot()
    def _on_worker_ended(self) -> None:
        self._clean_up()

    def _clean_up(self) -> None:
        thread = self._thread
        if thread is None:
            return
        thread.wait()  # the worker has returned; the thread's event loop ends at once
        self._thread = self._worker = None
        self.ended.emit()


_ORPHANS: list = []  # threads that outlived a wait's timeout are kept, never destroyed running
