"""Training off the GUI thread, as a job of the window's one kind of background task.

:class:`TrainingJob` is plain Python: it prepares and runs the engine's
:class:`~nndesk.engine.Trainer`, whose listener is called on the training thread between
batches. The listener does as little as possible there: it appends each batch to a list,
hands the list over at most ~10 times a second, and takes a weight snapshot (copies, via
``net.get_weights()``) twice a second. Everything it reports is a plain copy.

:class:`TrainingController` lives on the GUI thread, runs the job in a :class:`~.tasks.Task`,
turns its reports into named signals and forwards the trainer's thread-safe controls (stop,
pause, resume, learning rate). ``runEnded`` comes after every other signal of a run, also
when the window waits for the run to end (``shutdown``).
"""

from __future__ import annotations

import threading
import time
import traceback

from PySide6.QtCore import QObject, Signal

from .tasks import JobFailed, Task

BATCH_FLUSH_SECONDS = 0.1  # hand batches to the GUI at most ~10 times a second
SNAPSHOT_SECONDS = 0.5  # weight snapshots at most twice a second


def take_snapshot(net) -> dict:
    """Copies of the weights and of the last gradients, safe to hand to another thread."""
    return {"weights": net.get_weights(),
            "gradients": {k: v.copy() for k, v in net.named_gradients().items()}}


class TrainingJob:
    """One training run; call it with a ``report(kind, payload)`` on the training thread."""

    def __init__(self, net, dataset, subset: int = 0, my_digits=None):
        self.net = net
        self.dataset = dataset
        self.subset = int(subset or 0)
        self.my_digits = my_digits  # a MyDigits of the job's own, mixed into training
        self._lock = threading.Lock()
        self._trainer = None
        self._stop = self._paused = False
        self._pending_lr: float | None = None
        self._pending_steps = 0
        self._pace: float | None = None
        self._recording = False
        self._report = None
        self._batches: list[tuple] = []
        self._epochs: list[dict] = []
        self._last_flush = self._last_snapshot = 0.0

    # --- controls (any thread) ------------------------------------------------------

    def request_stop(self) -> None:
        with self._lock:
            self._stop = True
            if self._trainer is not None:
                self._trainer.request_stop()

    def pause(self) -> None:
        with self._lock:
            if self._stop:  # a stopped run pauses no more: it would wait for ever
                return
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

    def advance(self, batches: int) -> None:
        """Take ``batches`` more batches of a paused run, then pause again (Step)."""
        with self._lock:
            self._paused = True
            if self._trainer is not None:
                self._trainer.advance(batches)
            else:
                self._pending_steps = int(batches)

    def set_pace(self, batches_per_second: float | None) -> None:
        with self._lock:
            self._pace = batches_per_second
            if self._trainer is not None:
                self._trainer.pace = batches_per_second

    def set_recording(self, on: bool) -> None:
        """Keep each step's numbers (on the reference path) for the step math view."""
        with self._lock:
            self._recording = bool(on)
            if self._trainer is not None:
                self._trainer.recording = bool(on)

    # --- the run (training thread) ----------------------------------------------------

    def __call__(self, report) -> dict:
        from nndesk.workflow import prepare  # the same preparation as `nndesk train`

        self._report = report
        try:
            trainer = self._prepared_trainer(prepare)
            result = trainer.run()
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
        if result.get("reason") == "failed":
            self._fail(result["error"])
        self._flush()
        self._snapshot()
        return {"reason": result.get("reason", "completed"), "message": result.get("error"),
                "history": {k: list(v) for k, v in result.get("history", {}).items()},
                "samples_per_second": float(result.get("samples_per_second", 0.0)),
                "train_seconds": float(result.get("train_seconds", 0.0)),
                "training_samples": int(len(trainer.x)), **self._test_metrics()}

    def _prepared_trainer(self, prepare):
        prepared = prepare(self.net.spec, self.dataset, subset=self.subset or None,
                           listeners=[self._on_event], net=self.net, my_digits=self.my_digits)
        trainer = prepared.trainer
        with self._lock:
            self._trainer = trainer
            if self._pending_lr is not None:
                trainer.set_learning_rate(self._pending_lr)
            trainer.pace, trainer.recording = self._pace, self._recording
            if self._pending_steps:
                trainer.advance(self._pending_steps)
            elif self._paused:
                trainer.pause()
            if self._stop:
                trainer.request_stop()
        return trainer

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

    def _fail(self, message: str):
        self._flush()
        try:
            self._snapshot()
        except Exception:  # the weights could be unreadable after a crash; the message matters more
            pass
        raise JobFailed(message)

    def _flush(self) -> None:
        if self._batches:
            batches, self._batches = self._batches, []
            self._report("batches", batches)
        if self._epochs:
            epochs, self._epochs = self._epochs, []
            self._report("epochs", epochs)
        self._last_flush = time.perf_counter()

    def _snapshot(self) -> None:
        self._last_snapshot = time.perf_counter()
        self._report("weights", take_snapshot(self.net))

    def _on_event(self, event: dict) -> None:
        """The trainer's listener, called on the training thread: keep it tiny."""
        kind = event["event"]
        if kind in ("batch", "epoch"):  # tiny runs have thousands of epochs a second
            if kind == "batch":
                self._batches.append((event["epoch"], event["batch"], event["batches"],
                                      event["loss"], event["learning_rate"],
                                      event["samples_per_second"]))
            else:
                self._epochs.append(dict(event))
            now = time.perf_counter()
            if now - self._last_flush >= BATCH_FLUSH_SECONDS:
                self._flush()
            if now - self._last_snapshot >= SNAPSHOT_SECONDS:
                self._snapshot()
        elif kind == "started":
            self._last_flush = self._last_snapshot = time.perf_counter()
            self._report("started", dict(event))
            self._snapshot()
        elif kind == "paused":
            self._flush()
            self._snapshot()
            step = self._trainer.last_step if self._trainer is not None else None
            if step is not None:
                self._report("step", step)  # the trainer makes a new record for every step
            self._report("paused", True)
        elif kind in ("health", "hint"):
            self._report(kind, dict(event))
        elif kind == "resumed":
            self._report("paused", False)
        # "finished" and "failed" are reported from __call__, with the trainer's figures.


class TrainingController(QObject):
    """Runs training jobs; its signals arrive on the GUI thread."""

    trainingStarted = Signal(dict)  # the trainer's "started" event
    batchesReady = Signal(list)  # [(epoch, batch, batches, loss, learning_rate, samples/s), ...]
    epochsEnded = Signal(list)  # the trainer's "epoch" events since the last hand-over
    pausedChanged = Signal(bool)
    weightsReady = Signal(dict)  # take_snapshot(net)
    healthReady = Signal(dict)  # the trainer's "health" event: every layer's health
    hintGiven = Signal(dict)  # the trainer's "hint" event
    stepRecorded = Signal(dict)  # Trainer.last_step at a pause (recording runs only)
    trainingFinished = Signal(dict)  # {"reason", "history", "samples_per_second", ...}
    trainingFailed = Signal(str)  # a plain message with what to try next
    runEnded = Signal()  # always last

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._task = Task("nndesk-training", self)
        self._job: TrainingJob | None = None
        self._paused = False
        signals = {"started": self.trainingStarted, "batches": self.batchesReady,
                   "epochs": self.epochsEnded, "paused": self.pausedChanged,
                   "weights": self.weightsReady, "health": self.healthReady,
                   "hint": self.hintGiven, "step": self.stepRecorded}
        self._task.progress.connect(lambda kind, payload: signals[kind].emit(payload))
        self._task.finished.connect(lambda result: self.trainingFinished.emit(result))
        self._task.failed.connect(self.trainingFailed)
        self._task.ended.connect(self._on_task_ended)

    def is_running(self) -> bool:
        return self._task.is_running()

    def is_paused(self) -> bool:
        return self._paused

    def start(self, net, dataset, subset: int = 0, my_digits=None) -> None:
        if self._task.is_running():
            raise RuntimeError("training is already running")
        self._job, self._paused = TrainingJob(net, dataset, subset, my_digits), False
        self._task.start(self._job)

    def pause(self) -> None:
        if self._job is not None:
            self._paused = True
            self._job.pause()

    def resume(self) -> None:
        if self._job is not None:
            self._paused = False
            self._job.resume()

    def stop(self) -> None:
        if self._job is not None:
            self._job.request_stop()

    def set_learning_rate(self, lr: float) -> None:
        if self._job is not None:
            self._job.set_learning_rate(lr)

    def advance(self, batches: int = 1) -> None:
        """Step a paused run by ``batches`` batches; it pauses again after them."""
        if self._job is not None:
            self._paused = True
            self._job.advance(batches)

    def set_pace(self, batches_per_second: float | None) -> None:
        if self._job is not None:
            self._job.set_pace(batches_per_second)

    def set_recording(self, on: bool) -> None:
        if self._job is not None:
            self._job.set_recording(on)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop the run and wait until it has ended and every one of its signals has
        arrived (``runEnded`` last). True when it has ended."""
        if not self._task.is_running():
            return True
        self.stop()
        self.resume()
        return self._task.wait(timeout_ms)

    def _on_task_ended(self) -> None:
        self._job, self._paused = None, False
        self.runEnded.emit()
