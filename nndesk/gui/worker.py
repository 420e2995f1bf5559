"""Training off the GUI thread.

:class:`TrainingWorker` is a QObject moved to a QThread (the canonical wiring: no parent,
``thread.started -> worker.run``, ``worker.finished -> thread.quit``). Instead of
``deleteLater`` the controller keeps both objects until the worker's ``finished`` reaches the
GUI thread and then releases them: with PySide, deleting the QThread or the worker through
``deleteLater`` could run before signals still queued from them were delivered, and those
signals were then silently dropped (a run that never reported its end).
It runs the engine's :class:`~nndesk.engine.Trainer`, whose listener is called on the
training thread between batches. The listener does as little as possible there: it appends
each batch to a list, hands the list over as a signal at most ~10 times a second, and takes a
weight snapshot (copies, via ``net.get_weights()``) twice a second. The worker never
touches a widget; everything it emits is a plain copy.

:class:`TrainingController` lives on the GUI thread, owns the thread and the worker, and
forwards the trainer's thread-safe controls (stop, pause, resume, learning rate).
"""

from __future__ import annotations

import threading
import time
import traceback

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot


BATCH_FLUSH_SECONDS = 0.1  # hand batches to the GUI at most ~10 times a second
SNAPSHOT_SECONDS = 0.5  # weight snapshots at most twice a second


def take_snapshot(net) -> dict:
    """Copies of the weights and of the last gradients, safe to hand to another thread."""
    return {"weights": net.get_weights(),
            "gradients": {k: v.copy() for k, v in net.named_gradients().items()}}


class TrainingWorker(QObject):
    """Runs one training run; create it, move it to a thread, connect, start the thread."""

    trainingStarted = Signal(dict)  # the trainer's "started" event
    batchesReady = Signal(list)  # [(epoch, batch, batches, loss, learning_rate, samples/s), ...]
    epochsEnded = Signal(list)  # the trainer's "epoch" events since the last hand-over
    pausedChanged = Signal(bool)
    weightsReady = Signal(dict)  # take_snapshot(net)
    trainingFinished = Signal(dict)  # {"reason", "history", "samples_per_second", "train_seconds"}
    trainingFailed = Signal(str)  # a plain message with what to try next
    finished = Signal()  # always last: the thread may quit

    def __init__(self, net, dataset, subset: int = 0, my_digits=None):
        super().__init__()
        self.net = net
        self.dataset = dataset
        self.subset = int(subset or 0)
        self.my_digits = my_digits  # a MyDigits of the worker's own, mixed into training
        self._lock = threading.Lock()
        self._trainer = None
        self._stop = False
        self._paused = False
        self._pending_lr: float | None = None
        self._batches: list[tuple] = []
        self._epochs: list[dict] = []
        self._last_flush = 0.0
        self._last_snapshot = 0.0
        self._failed = False

    # --- controls (any thread) ------------------------------------------------------

    def request_stop(self) -> None:
        with self._lock:
            self._stop = True
            if self._trainer is not None:
                self._trainer.request_stop()

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self._trainer is not None:
                self._trainer.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._trainer is not None:
                self._trainer.resume()

    def set_learning_rate(self, lr: float) -> None:
        with self._lock:
            if self._trainer is not None:
                self._trainer.set_learning_rate(lr)
            else:
                self._pending_lr = float(lr)

    # --- the run (training thread) ----------------------------------------------------

    @Slot()
    def run(self) -> None:
        from nndesk.workflow import prepare  # the same preparation as `nndesk train`
        try:
            prepared = prepare(self.net.spec, self.dataset, subset=self.subset or None,
                               listeners=[self._on_event], net=self.net, my_digits=self.my_digits)
            trainer = prepared.trainer
            with self._lock:
                self._trainer = trainer
                if self._pending_lr is not None:
                    trainer.set_learning_rate(self._pending_lr)
                if self._paused:
                    trainer.pause()
                if self._stop:
                    trainer.request_stop()
            result = trainer.run()
            self._flush()
            if result.get("error") is None:
                self._snapshot()
                self.trainingFinished.emit({
                    "reason": result.get("reason", "completed"),
                    "history": _copy_history(result.get("history", {})),
                    "samples_per_second": float(result.get("samples_per_second", 0.0)),
                    "train_seconds": float(result.get("train_seconds", 0.0)),
                    "training_samples": int(len(trainer.x)),
                    **self._test_metrics(),
                })
            elif not self._failed:
                self._fail(result["error"])
        except MemoryError:
            self._fail("Out of memory while preparing or running training. Try fewer training "
                       "samples, a smaller batch size, or fewer or narrower layers.")
        except ValueError as exc:  # the engine's and the data's plain messages
            self._fail(f"Training could not start: {exc}.")
        except Exception as exc:  # every error reaches the person, with what to try next
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._fail(f"Training stopped on an unexpected error: {detail}\n\nCheck that the "
                       f"dataset suits the network and the settings are sensible, then try again; "
                       f"the weights learned so far were kept.")
        finally:
            self._flush()
            # Hand the worker back to the GUI thread before the training thread ends, so the
            # controller can release it there.
            self.moveToThread(QCoreApplication.instance().thread())
            self.finished.emit()

    def _test_metrics(self) -> dict:
        """Loss and accuracy on the dataset's test split, which training never saw."""
        x = getattr(self.dataset, "x_test", None)
        if x is None or len(x) == 0:
            return {}
        try:
            loss, accuracy = self.net.evaluate(x, self.dataset.y_test)
        except Exception:  # a test set the network cannot take is not worth failing the run for
            return {}
        return {"test_loss": float(loss), "test_accuracy": float(accuracy)}

    def _fail(self, message: str) -> None:
        self._failed = True
        self._flush()
        try:
            self._snapshot()
        except Exception:  # the weights could be unreadable after a crash; the message matters more
            pass
        self.trainingFailed.emit(message)

    def _flush(self) -> None:
        if self._batches:
            batches, self._batches = self._batches, []
            self.batchesReady.emit(batches)
        if self._epochs:
            epochs, self._epochs = self._epochs, []
            self.epochsEnded.emit(epochs)
        self._last_flush = time.perf_counter()

    def _snapshot(self) -> None:
        self._last_snapshot = time.perf_counter()
        self.weightsReady.emit(take_snapshot(self.net))

    def _on_event(self, event: dict) -> None:
        """The trainer's listener, called on the training thread: keep it tiny."""
        kind = event["event"]
        if kind == "batch":
            self._batches.append((event["epoch"], event["batch"], event["batches"], event["loss"],
                                  event["learning_rate"], event["samples_per_second"]))
            now = time.perf_counter()
            if now - self._last_flush >= BATCH_FLUSH_SECONDS:
                self._flush()
            if now - self._last_snapshot >= SNAPSHOT_SECONDS:
                self._snapshot()
        elif kind == "epoch":  # tiny runs have thousands of epochs a second: coalesce them too
            self._epochs.append(dict(event))
            now = time.perf_counter()
            if now - self._last_flush >= BATCH_FLUSH_SECONDS:
                self._flush()
            if now - self._last_snapshot >= SNAPSHOT_SECONDS:
                self._snapshot()
        elif kind == "started":
            self._last_flush = self._last_snapshot = time.perf_counter()
            self.trainingStarted.emit(dict(event))
            self._snapshot()
        elif kind == "paused":
            self._flush()
            self._snapshot()
            self.pausedChanged.emit(True)
        elif kind == "resumed":
            self.pausedChanged.emit(False)
        elif kind == "failed":
            self._fail(event["message"])
        # "finished" is reported from run() with the trainer's timing figures.


def _copy_history(history: dict) -> dict:
    return {k: list(v) for k, v in history.items()}


class TrainingController(QObject):
    """Owns the training thread; lives on the GUI thread.

    Signals mirror the worker's and arrive on the GUI thread. ``runEnded`` fires once the
    thread has finished and been cleaned up, whatever the outcome, after every other signal
    of the run.
    """

    trainingStarted = Signal(dict)
    batchesReady = Signal(list)
    epochsEnded = Signal(list)
    pausedChanged = Signal(bool)
    weightsReady = Signal(dict)
    trainingFinished = Signal(dict)
    trainingFailed = Signal(str)
    runEnded = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._paused = False

    def is_running(self) -> bool:
        return self._thread is not None

    def is_paused(self) -> bool:
        return self._paused

    def start(self, net, dataset, subset: int = 0, my_digits=None) -> None:
        if self._thread is not None:
            raise RuntimeError("training is already running")
        thread = QThread()
        thread.setObjectName("nndesk-training")
        worker = TrainingWorker(net, dataset, subset, my_digits)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # quit() is thread-safe; calling it directly from the worker's thread means the thread
        # ends even while the GUI thread is blocked in wait() (closing the window).
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # Clean-up follows the worker's last signal, in order, on the GUI thread. The objects
        # are kept alive by this controller until then rather than by deleteLater(): a sender
        # deleted early makes PySide drop the signals still queued from it.
        # The worker's signals are forwarded as the controller's own (queued to this thread).
        worker.finished.connect(self._on_worker_finished)
        for name in ("trainingStarted", "batchesReady", "epochsEnded", "pausedChanged",
                     "weightsReady", "trainingFinished", "trainingFailed"):
            getattr(worker, name).connect(getattr(self, name))
        self._thread, self._worker, self._paused = thread, worker, False
        thread.start()

    def pause(self) -> None:
        if self._worker is not None:
            self._paused = True
            self._worker.pause()

    def resume(self) -> None:
        if self._worker is not None:
            self._paused = False
            self._worker.resume()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.request_stop()

    def set_learning_rate(self, lr: float) -> None:
        if self._worker is not None:
            self._worker.set_learning_rate(lr)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop and wait for the thread (closing the window). True when it has ended."""
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        self.resume()
        thread.quit()  # ends the thread's event loop as soon as the worker returns
        ended = thread.wait(timeout_ms)
        if ended:
            self._clean_up()
        else:  # keep the objects alive rather than destroy a running thread
            _ORPHANS.append((thread, self._worker))
        return ended

    @Slot()
    def _on_worker_finished(self) -> None:
        self._clean_up()

    def _clean_up(self) -> None:
        thread = self._thread
        if thread is None:
            return
        thread.wait()  # the worker has returned; the thread's event loop ends at once
        self._thread = None
        self._worker = None  # the worker moved itself back to this thread; Python frees both
        self._paused = False
        self.runEnded.emit()


_ORPHANS: list = []  # threads that outlived a shutdown timeout are kept, never destroyed running
