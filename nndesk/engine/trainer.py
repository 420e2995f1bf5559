"""The training loop: plain Python, no Qt.

``Trainer.run`` shuffles each epoch, steps through mini-batches and reports events (plain,
JSON-serializable dicts) to its listeners, which are called on the training thread between
batches. Another thread may call ``request_stop``, ``pause``, ``resume`` and
``set_learning_rate`` at any time; they take effect before the next batch.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from .deferred import DeferredFirstLayer, block_batches
from .inputorder import ByteInputs
from .network import Network, seed_sequences
from .optimizers import make_optimizer
from .schedules import scheduled_rate

Listener = Callable[[dict], None]
Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]

HISTORY_KEYS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                "learning_rate", "seconds")


class TrainingFailed(RuntimeError):
    """Training stopped on an error a person can act on; the message says what to try."""


def new_history() -> dict:
    return {**{k: [] for k in HISTORY_KEYS}, "batch_loss": []}


SPAN_MIN_MACS = 1 << 20  # first-layer multiply-adds per batch from which input spans pay


def column_spans(x: np.ndarray, chunk: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``x``: the first non-zero column and the last one (the number of
    columns and -1 for a row of zeros). Works through ``chunk`` rows at a time (by default
    as many as make a 4 MB temporary)."""
    n, d = x.shape
    chunk = chunk or max(1, (1 << 22) // max(d, 1))
    first, last = np.empty(n, np.int32), np.empty(n, np.int32)
    for s in range(0, n, chunk):
        nonzero = x[s:s + chunk] != 0
        some = nonzero.any(axis=1)
        first[s:s + chunk] = np.where(some, nonzero.argmax(axis=1), d)
        last[s:s + chunk] = np.where(some, d - 1 - nonzero[:, ::-1].argmax(axis=1), -1)
    return first, last


class Trainer:
    def __init__(self, net: Network, x_train, y_train, x_val=None, y_val=None,
                 listeners: list[Listener] | tuple = (), augment: Augment | None = None,
                 epochs: int | None = None, batch_size: int | None = None,
                 learning_rate: float | None = None, deferred_updates: bool = True):
        """``deferred_updates=False`` turns off the deferred first-layer updates of plain
        SGD at small batch sizes (``deferred.py``; the same arithmetic, for comparisons)."""
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
        self.history = new_history()
        self.deferred_updates = deferred_updates
        self._spans: tuple[np.ndarray, np.ndarray] | None = None  # see _run
        self._inputs: ByteInputs | None = None  # see _run
        self._deferred: DeferredFirstLayer | None = None
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()

    # --- control from any thread ----------------------------------------------------

    def request_stop(self) -> None:
        self._stop.set()
        self._unpaused.set()

    def pause(self) -> None:
        self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    def set_learning_rate(self, lr: float) -> None:
        """New base learning rate from the next batch on (the schedule still applies)."""
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            raise ValueError(f"expected a positive learning rate, got {lr!r}")
        self.base_lr = float(lr)

    # --- the loop --------------------------------------------------------------------

    def _emit(self, event: dict) -> None:
        for listener in self.listeners:
            listener(event)

    def run(self) -> dict:
        """Train; returns {"reason", "history", "error", "train_seconds", "samples_per_second"}."""
        self._train_seconds = 0.0
        self._samples = 0
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                try:
                    reason = self._run()
                finally:
                    if self._deferred is not None:
                        self._deferred.detach()
                        self._deferred = None
                    if self._inputs is not None:
                        self.net.layers[0].reorder_rows(None)
                        self.optimizer.fixed = 0
                        self._inputs = None
            error = None
        except TrainingFailed as exc:
            reason, error = "failed", str(exc)
        except MemoryError:
            reason = "failed"
            error = ("Out of memory while training. Try a smaller batch size, fewer or narrower "
                     "layers, or a smaller training set; the last good weights were kept.")
        if error is not None:
            self._emit({"event": "failed", "message": error})
        else:
            self._emit({"event": "finished", "reason": reason, "history": self.history})
        return {"reason": reason, "error": error, "history": self.history,
                "train_seconds": self._train_seconds,
                "samples_per_second": self._samples / self._train_seconds if self._train_seconds else 0.0}

    def _run(self) -> str:
        net, n, bs = self.net, len(self.x), self.batch_size
        batches = math.ceil(n / bs)
        full_batch = bs == n and self.augment is None
        params, grads = net.params, net.grads
        blocks_of = 0 if full_batch or not self.deferred_updates else \
            block_batches(net, bs, self.augment is not None)
        if blocks_of:
            self._deferred = DeferredFirstLayer(net, self.x, self.y, bs, blocks_of)
            self._deferred.attach()
            params, grads = params[self._deferred.rest], grads[self._deferred.rest]
        optimizer, deferred = self.optimizer, self._deferred
        # Where each sample's non-zero inputs start and end, so that a dense first layer can
        # skip the columns that are zero across a batch; not for first-layer products too
        # small to repay the few microseconds per batch. For mini-batches, the inputs are
        # reordered to make those columns more (``inputorder.py``): about 9% of MNIST's at
        # batch 128 in its own pixel order, 19% reordered.
        first = net.layers[0]
        spans = (not blocks_of and self.augment is None and first.kind == "dense"
                 and bs * first.input_size * first.output_size >= SPAN_MIN_MACS)
        try:
            self._inputs = ByteInputs.of(self.x) if spans and not full_batch else None
        except MemoryError:  # the reordered copy only saves time
            self._inputs = None
        if self._inputs is not None:
            first.reorder_rows(self._inputs.order)
            if not net.spec["optimizer"].get("weight_decay"):  # their weights never change
                self.optimizer.fixed = self._inputs.blank * first.output_size
        self._spans = None if not spans else column_spans(
            self.x if self._inputs is None else self._inputs.codes)
        last_good = net.params.copy()
        best = (math.inf, None)
        since_best = 0
        self._emit({"event": "started", "epochs": self.epochs, "batches_per_epoch": batches,
                    "samples": n, "batch_size": bs})
        for epoch in range(self.epochs):
            order = None if full_batch else self.rng.permutation(n)
            loss_sum, correct, seen = 0.0, 0, 0
            epoch_seconds, t0 = 0.0, time.perf_counter()
            lr = self.base_lr
            for b, (xb, yb, span, fetch_next) in enumerate(self._epoch_batches(order, batches)):
                if not self._unpaused.is_set():
                    epoch_seconds += time.perf_counter() - t0
                    self._emit({"event": "paused", "epoch": epoch + 1, "batch": b})
                    self._unpaused.wait()
                    t0 = time.perf_counter()
                    if not self._stop.is_set():
                        self._emit({"event": "resumed", "epoch": epoch + 1, "batch": b})
                if self._stop.is_set():
                    self._finish_time(epoch_seconds + time.perf_counter() - t0, seen)
                    return "stopped"
                lr = scheduled_rate(self.schedule, self.base_lr, epoch + b / batches, self.epochs)
                scale = optimizer.gradient_scale(lr)
                loss, out = net.train_step(xb, yb, scale, span)
                if not math.isfinite(loss):
                    self._finish_time(epoch_seconds + time.perf_counter() - t0, seen)
                    self._fail_non_finite(loss, epoch, b, last_good, lr)
                optimizer.step(params, grads, lr, scale, fetch_next)
                if deferred is not None:
                    deferred.commit(lr / scale)
                m = len(yb)
                seen += m
                loss_sum += loss * m
                correct += net.count_correct(out, yb)
                self.history["batch_loss"].append(loss)
                if self.listeners:
                    elapsed = epoch_seconds + time.perf_counter() - t0
                    self._emit({"event": "batch", "epoch": epoch + 1, "batch": b + 1,
                                "batches": batches, "loss": loss, "learning_rate": lr,
                                "samples_per_second": seen / elapsed if elapsed > 0 else 0.0})
            epoch_seconds += time.perf_counter() - t0
            self._finish_time(epoch_seconds, seen)
            if not np.isfinite(net.params).all():
                self._fail_non_finite(math.nan, epoch, batches - 1, last_good, lr)
            last_good[...] = net.params
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
            if self.patience and val_loss is not None:
                if val_loss < best[0]:
                    best, since_best = (val_loss, net.params.copy()), 0
                else:
                    since_best += 1
                    if since_best >= self.patience:
                        net.params[...] = best[1]
                        return "early_stopping"
        if self.patience and best[1] is not None:
            net.params[...] = best[1]
        return "completed"

    def _epoch_batches(self, order, batches):
        """(x, y, input span or None, fetch_next or None) for each batch of an epoch, in
        ``order`` (None: the whole set each time).

        ``fetch_next()`` gathers the next batch; the optimizer calls it while its second
        thread finishes the update (``halves.py``), or the next batch is gathered when it is
        due. With augmentation the next batch is gathered and distorted on a helper thread
        while the current one trains, using the core that sits idle during the element-wise
        steps.
        """
        if order is None:
            span = (self._batch_spans(None) or [None])[0]
            for _ in range(batches):
                yield self.x, self.y, span, None
            return
        if self._deferred is not None:
            for xb, yb in self._deferred.batches(order, batches):
                yield xb, yb, None, None
            return
        buffers = [np.empty((self.batch_size, self.x.shape[1]), self.net.dtype) for _ in range(2)]
        if self.augment is None:
            spans = self._batch_spans(order) or [None] * batches
            fetched = {}

            def fetch(b):
                fetched[b] = self._gather(order, b, buffers[b % 2])

            for b in range(batches):
                xb, yb = fetched.pop(b, None) or self._gather(order, b, buffers[b % 2])
                yield xb, yb, spans[b], (lambda b=b + 1: fetch(b)) if b + 1 < batches else None
            return
        with ThreadPoolExecutor(1, thread_name_prefix="nndesk-augment") as pool:
            pending = pool.submit(self._augmented, order, 0, buffers[0])
            for b in range(batches):
                batch = pending.result()
                if b + 1 < batches:
                    pending = pool.submit(self._augmented, order, b + 1, buffers[(b + 1) % 2])
                yield *batch, None, None

    def _gather(self, order, b, buffer):
        idx = order[b * self.batch_size:(b + 1) * self.batch_size]
        if self._inputs is not None:
            return self._inputs.take(idx, buffer), self.y[idx]
        # mode="clip" skips the bounds check (the indices are a permutation) and with it
        # the copy through a temporary that np.take makes for out= in the default mode.
        return np.take(self.x, idx, axis=0, out=buffer[:len(idx)], mode="clip"), self.y[idx]

    def _batch_spans(self, order) -> list | None:
        """For each batch of an epoch in ``order`` (None: one batch of the whole set),
        (lo, hi) such that its inputs are zero outside columns lo:hi, or None where that
        leaves nothing out; None when spans are off. Worked out once per epoch."""
        if self._spans is None:
            return None
        first, last = self._spans
        if order is None:
            lo, hi = first.min(keepdims=True), last.max(keepdims=True)
        else:
            starts = np.arange(0, len(order), self.batch_size)
            lo, hi = np.minimum.reduceat(first[order], starts), np.maximum.reduceat(last[order], starts)
        d = self.x.shape[1]
        # hi < lo: every input of the batch is zero, and any one column gives the same products.
        return [None if h + 1 - l >= d else (l, h + 1) if h >= l else (0, 1)
                for l, h in zip(lo.tolist(), hi.tolist())]

    def _augmented(self, order, b, buffer):
        xb, yb = self._gather(order, b, buffer)
        return self.augment(xb, self.augment_rng), yb

    def _finish_time(self, seconds: float, samples: int) -> None:
        self._train_seconds += seconds
        self._samples += samples

    def _fail_non_finite(self, loss, epoch, batch, last_good, lr) -> None:
        self.net.sync()
        kept = "the current weights were kept"
        if not np.isfinite(self.net.params).all():
            self.net.params[...] = last_good
            done = len(self.history["epoch"])
            kept = (f"the weights from the end of epoch {done} were restored" if done
                    else "the initial weights were restored")
        raise TrainingFailed(
            f"Training stopped at epoch {epoch + 1}, batch {batch + 1}: the loss became {loss} "
            f"(not a finite number); {kept}. Try a smaller learning rate (it was {lr:g}), "
            f"a smaller-scale initializer, or a loss that suits the output layer.")
