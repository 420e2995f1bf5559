"""The training loop: plain Python, no Qt.

    for each epoch:
        shuffle the training set
        for each mini-batch (x, y):
            out = forward(x);  loss = L(out, y)
            backward(dL/d(out));  optimizer step
            report the batch; stop or pause if asked

``Trainer.run`` reports events (plain, JSON-serializable dicts) to its listeners, which are
called on the training thread between batches. Another thread may call ``request_stop``,
``pause``, ``resume`` and ``set_learning_rate`` at any time; they take effect before the next
batch. ``advance(batches)`` resumes a paused run for that many batches (Step), ``pace`` slows
it to a few batches a second, and with ``recording`` set a reference-path run keeps what its
latest step started from (``last_step``), so ``stepmath`` can replay it with every number.

The engine is chosen per run: ``"reference"`` trains with the step written below, the formulas
and nothing else; ``"fast"`` (the default) asks ``nndesk.engine.fast`` for a plan that takes
the same steps with its speed techniques, attached for the run and released at its end.
Both give the same training.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from typing import Callable

import numpy as np

from . import checkup, divergence, fast
from .network import Network, seed_sequences
from .optimizers import make_optimizer
from .schedules import scheduled_rate
from .spec import ENGINES

Listener = Callable[[dict], None]
Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]

HISTORY_KEYS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                "learning_rate", "seconds")


class TrainingFailed(RuntimeError):
    """Training stopped on an error a person can act on; the message says what to try."""


class _Diverged(Exception):
    """The run diverged (see ``divergence``); handled in ``run``."""

    def __init__(self, what, epoch, batch, lr, loss=float("nan"), rate_hint=True):
        super().__init__(what)
        self.what, self.epoch, self.batch, self.lr, self.loss = what, epoch, batch, lr, loss
        self.rate_hint = rate_hint  # a run stuck at chance is not one whose rate is too high


def new_history() -> dict:
    return {**{k: [] for k in HISTORY_KEYS}, "batch_loss": []}


class Trainer:
    def __init__(self, net: Network, x_train, y_train, x_val=None, y_val=None,
                 listeners: list[Listener] | tuple = (), augment: Augment | None = None,
                 epochs: int | None = None, batch_size: int | None = None,
                 learning_rate: float | None = None, engine: str | fast.Options | None = None,
                 keep_going: bool = False):
        """``engine``: "fast", "reference" or a ``fast.Options`` (default: the spec's
        ``training.engine``). ``keep_going``: a run that diverges only warns (once) and trains
        on, unless its loss or weights stop being finite numbers."""
        training = net.spec["training"]
        self.net = net
        self.x = np.ascontiguousarray(x_train, dtype=net.dtype).reshape(len(x_train), -1)
        self.y = np.ascontiguousarray(y_train, dtype=np.int64)
        if len(self.x) != len(self.y) or len(self.x) == 0:
            raise ValueError(f"expected as many labels as inputs (at least one), got "
                             f"{len(self.x)} inputs and {len(self.y)} labels")
        if self.x.shape[1] != net.input_size:
            raise ValueError(f"the network takes {net.input_size} features per sample but the "
                             f"data has {self.x.shape[1]}")
        if self.y.min() < 0 or self.y.max() >= net.num_classes:
            raise ValueError(f"labels must be 0 to {net.num_classes - 1} for this network's "
                             f"{net.output_size} output units, got {self.y.min()} to {self.y.max()}")
        engine = training["engine"] if engine is None else engine
        if not (engine in ENGINES or isinstance(engine, fast.Options)):
            raise ValueError(f"expected the engine 'fast' or 'reference', got {engine!r}")
        self.engine = engine
        has_val = x_val is not None and len(x_val) > 0
        self.x_val = np.asarray(x_val, dtype=net.dtype).reshape(len(x_val), -1) if has_val else None
        self.y_val = np.asarray(y_val, dtype=np.int64) if has_val else None
        self.listeners = list(listeners)
        self.augment = augment
        self.epochs = int(epochs or training["epochs"])
        size = int(training["batch_size"] if batch_size is None else batch_size)
        self.batch_size = len(self.x) if size <= 0 else min(size, len(self.x))
        self.patience = training["early_stopping_patience"]
        self.schedule = net.spec["schedule"]
        self.base_lr = float(learning_rate or net.spec["optimizer"]["learning_rate"])
        self.optimizer = make_optimizer(net.spec["optimizer"], net.params.size, net.dtype,
                                        net.decay_slices)
        shuffle_seq = seed_sequences(net.spec["seed"])[2]
        self.rng = np.random.default_rng(shuffle_seq)
        self.augment_rng = np.random.default_rng(shuffle_seq.spawn(1)[0])
        self.keep_going = keep_going
        self.history = new_history()
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._budget: int | None = None  # batches left before pausing again (a Step)
        self._budget_lock = threading.Lock()  # Step and Resume come from another thread
        self.pace: float | None = None  # batches a second, None for full speed
        self.recording = False
        self.last_step: dict | None = None
        self._plan = None

    # --- control from any thread ----------------------------------------------------

    def request_stop(self) -> None:
        self._stop.set()
        self._unpaused.set()

    def pause(self) -> None:
        self._unpaused.clear()

    def resume(self) -> None:
        """Run on at full length: what was left of a Step is forgotten."""
        with self._budget_lock:
            self._budget = None
            self._unpaused.set()

    def publish(self) -> None:
        """Bring the network up to the run's latest weights and gradients (the fast path steps
        a copy of its own); for listeners, on the training thread."""
        if self._plan is not None:
            self._plan.publish()

    def advance(self, batches: int = 1) -> None:
        """Take ``batches`` more batches, then pause (a paused run's Step)."""
        with self._budget_lock:
            self._budget = max(1, int(batches))
            self._unpaused.set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    def set_learning_rate(self, lr: float) -> None:
        """New base learning rate from the next batch on (the schedule still applies)."""
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            raise ValueError(f"expected a positive learning rate, got {lr!r}")
        self.base_lr = float(lr)

    # --- one step, as the formulas ---------------------------------------------------

    def batches(self, order):
        """The epoch's mini-batches (x, y) in ``order`` (None: the whole set, once)."""
        if order is None:
            yield self.x, self.y
            return
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            x = self.x[idx]
            if self.augment is not None:
                x = self.augment(x, self.augment_rng)
            yield x, self.y[idx]

    def _step(self, x, y, lr):
        """Forward, loss, backward and the optimizer's update on one batch."""
        net = self.net
        out = net.forward(x, training=True)
        loss = net.loss.value(out, net.logits, y)
        net.backward(net.loss.delta(out, y))
        self.optimizer.step(net.params, net.grads, lr)
        return loss, out

    # --- the loop --------------------------------------------------------------------

    def _emit(self, event: dict) -> None:
        for listener in self.listeners:
            listener(event)

    def run(self) -> dict:
        """Train; returns {"reason", "history", "error", "warnings", "train_seconds",
        "samples_per_second"}. ``reason`` is "completed", "stopped", "early_stopping",
        "diverged" or "failed"; ``error`` says what went wrong for the last two."""
        self._train_seconds, self._samples = 0.0, 0
        self._watch = divergence.Watch(self.net.loss, self.y, self.net.output_size)
        self.checkup = checkup.Checkup(self.net, self.x if self.x_val is None else self.x_val,
                                       self.net.spec)
        # The best weights so far (and running statistics): of the epoch with the lowest
        # validation loss (training loss without a validation set), or the initial ones
        # before the first epoch ends.
        self._best = [arr.copy() for arr in self._state()]
        self._best_loss, self._best_epoch = math.inf, 0
        self._warnings = []
        error = None
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                plan = None if self.engine == "reference" else fast.attach(self, self.engine)
                self._plan = plan
                try:
                    reason = self._run(plan)
                finally:
                    self._plan = None
                    if plan is not None:
                        plan.release()  # the network holds the run's latest weights again
        except _Diverged as exc:
            reason, error = "diverged", self._diverged_message(exc)
            for event in self.checkup.diverged(exc.loss) if exc.rate_hint else ():
                self._emit(event)
        except TrainingFailed as exc:
            reason, error = "failed", str(exc)
        except MemoryError:
            reason = "failed"
            error = ("Out of memory while training. Try a smaller batch size, fewer or narrower "
                     "layers, or a smaller training set; the last good weights were kept.")
        patient = self.patience and self.x_val is not None
        if reason == "early_stopping" or (reason == "completed" and patient):
            self._restore_best()
        self._emit({"event": "finished", "reason": reason, "message": error,
                    "history": self.history})
        return {"reason": reason, "error": error, "warnings": self._warnings,
                "history": self.history, "train_seconds": self._train_seconds,
                "samples_per_second": self._samples / self._train_seconds if self._train_seconds else 0.0}

    def _run(self, plan) -> str:
        net, n, bs = self.net, len(self.x), self.batch_size
        batches_per_epoch = math.ceil(n / bs)
        whole_set = bs == n and self.augment is None  # the same single batch every epoch
        batches, step = (plan.batches, plan.step) if plan is not None else (self.batches, self._step)
        since_best = 0
        self._emit({"event": "started", "epochs": self.epochs, "batches_per_epoch": batches_per_epoch,
                    "samples": n, "batch_size": bs})
        for epoch in range(self.epochs):
            order = None if whole_set else self.rng.permutation(n)
            loss_sum, correct, seen = 0.0, 0, 0
            epoch_seconds, t0 = 0.0, time.perf_counter()
            lr = self.base_lr
            for b, (xb, yb) in enumerate(batches(order)):
                if not self._unpaused.is_set():
                    epoch_seconds += time.perf_counter() - t0
                    if plan is not None:
                        plan.publish()
                    self._emit({"event": "paused", "epoch": epoch + 1, "batch": b})
                    self._unpaused.wait()
                    t0 = time.perf_counter()
                    if not self._stop.is_set():
                        self._emit({"event": "resumed", "epoch": epoch + 1, "batch": b})
                if self._stop.is_set():
                    self._finish_time(epoch_seconds + time.perf_counter() - t0, seen)
                    return "stopped"
                lr = scheduled_rate(self.schedule, self.base_lr, epoch + b / batches_per_epoch,
                                    self.epochs)
                started, steps = time.perf_counter(), len(self.history["batch_loss"])
                if self.recording and plan is None:
                    self.last_step = self._before_step(xb, yb, lr, epoch, b)
                if self.listeners:
                    self.checkup.before_step(steps, self.publish)
                loss, out = step(xb, yb, lr)
                self._after_step(started)
                problem = self._watch.batch(loss)
                if problem and not self._keeps_going(problem, epoch, lr, math.isfinite(loss)):
                    self._finish_time(epoch_seconds + time.perf_counter() - t0, seen)
                    raise _Diverged(problem, epoch, b, lr, loss)
                m = len(yb)
                seen += m
                loss_sum += loss * m
                correct += net.count_correct(out, yb)
                self.history["batch_loss"].append(loss)
                if self.listeners:
                    elapsed = epoch_seconds + time.perf_counter() - t0
                    self._emit({"event": "batch", "epoch": epoch + 1, "batch": b + 1,
                                "batches": batches_per_epoch, "loss": loss, "learning_rate": lr,
                                "samples_per_second": seen / elapsed if elapsed > 0 else 0.0})
                    for event in self.checkup.after_step(steps, epoch + 1, self.history,
                                                         self.publish):
                        self._emit(event)
            epoch_seconds += time.perf_counter() - t0
            self._finish_time(epoch_seconds, seen)
            if not all(np.isfinite(arr).all() for arr in self._state()):
                raise _Diverged("the weights stopped being finite numbers", epoch,
                                batches_per_epoch - 1, lr)
            val_loss, val_acc = (net.evaluate(self.x_val, self.y_val) if self.x_val is not None
                                 else (None, None))
            record = {"epoch": epoch + 1, "train_loss": loss_sum / seen,
                      "train_accuracy": correct / seen, "val_loss": val_loss,
                      "val_accuracy": val_acc, "learning_rate": lr, "seconds": epoch_seconds}
            for key in HISTORY_KEYS:
                self.history[key].append(record[key])
            self._emit({"event": "epoch", "epochs": self.epochs,
                        "samples_per_second": seen / epoch_seconds if epoch_seconds else 0.0,
                        **record})
            for event in self.checkup.epoch_end(epoch + 1, batches_per_epoch, self.history) \
                    if self.listeners else ():
                self._emit(event)
            monitored = record["train_loss"] if val_loss is None else val_loss
            if monitored < self._best_loss:
                self._keep_best()
                self._best_loss, self._best_epoch, since_best = monitored, epoch + 1, 0
            else:
                since_best += 1
                if self.patience and val_loss is not None and since_best >= self.patience:
                    return "early_stopping"
            problem = self._watch.epoch(record["train_accuracy"], val_acc, record["train_loss"])
            if problem and not self._keeps_going(problem, epoch, lr):
                raise _Diverged(problem, epoch, batches_per_epoch - 1, lr, record["train_loss"],
                                rate_hint=False)
        return "completed"

    def _before_step(self, x, y, lr, epoch, batch) -> dict:
        """What a step starts from, for ``stepmath.replay``: its batch and rate, the weights,
        running statistics, optimizer and dropout generators before it."""
        return {"x": x.copy(), "y": y.copy(), "learning_rate": lr, "epoch": epoch + 1,
                "batch": batch + 1, "state": [arr.copy() for arr in self._state()],
                "optimizer": copy.deepcopy(self.optimizer),
                # One deep copy of them all: the dropout layers share one generator.
                "dropout_rngs": copy.deepcopy([layer.rng for layer in self.net.layers
                                               if layer.kind == "dropout"])}

    def _after_step(self, started: float) -> None:
        """Pause when a Step's batches are done; wait out the pace of a slow run."""
        with self._budget_lock:
            if self._budget is not None:
                self._budget -= 1
                if self._budget <= 0:
                    self._budget = None
                    self._unpaused.clear()
        if self.pace:
            time.sleep(max(0.0, 1.0 / self.pace - (time.perf_counter() - started)))

    def _keeps_going(self, what: str, epoch: int, lr: float, finite: bool = True) -> bool:
        """Whether a diverging run trains on: only with ``keep_going``, while its numbers stay
        finite, and with a warning the first time."""
        if not (self.keep_going and finite):
            return False
        if not self._warnings:
            message = (f"The run is diverging at epoch {epoch + 1}: {what}. Training goes on "
                       f"as asked; a smaller learning rate (it is {lr:g}) would help.")
            self._warnings.append(message)
            self._emit({"event": "warning", "message": message})
        return True

    def _state(self) -> list[np.ndarray]:
        """The weights and the layers' running statistics: what putting back the best puts back."""
        return [self.net.params, *self.net.buffers()]

    def _keep_best(self) -> None:
        for kept, now in zip(self._best, self._state()):
            np.copyto(kept, now)

    def _restore_best(self) -> None:
        for kept, now in zip(self._best, self._state()):
            now[...] = kept

    def _finish_time(self, seconds: float, samples: int) -> None:
        self._train_seconds += seconds
        self._samples += samples

    def _diverged_message(self, exc: _Diverged) -> str:
        """Put back the best weights of the run and say what happened and what to try."""
        epoch = self._best_epoch
        self._restore_best()
        self.optimizer = make_optimizer(self.net.spec["optimizer"], self.net.params.size,
                                        self.net.dtype, self.net.decay_slices)  # afresh
        kept = (f"the best weights, from the end of epoch {epoch}, were kept" if epoch
                else "the initial weights were put back")
        rate = f"{exc.lr:g}" + (f" at that step, from a base rate of {self.base_lr:g}"
                                 if abs(exc.lr - self.base_lr) > 1e-3 * self.base_lr else "")
        return (f"Training diverged at epoch {exc.epoch + 1}, batch {exc.batch + 1}: {exc.what}; "
                f"{kept}. Try a smaller learning rate (it was {rate}), a smaller-scale "
                f"initializer, or a loss that suits the output layer.")
