"""Element-wise passes over the two halves of a vector, on two cores.

NumPy releases the GIL inside each ufunc, so a second thread can run the same passes over
the other half of the parameter vector while this one works on the first: an optimizer's
update, ten passes for Adam, then takes about 60% of the time. Whether it pays depends on the
machine (handing work to another thread costs tens of microseconds under virtualization, and
OpenBLAS's idle workers may hold the other core), so ``Halves`` measures: it times its first
steps both ways, keeps the faster, and measures again now and then. Either way each element
goes through the same operations, so the results are the same to the bit.

A caller may hand over a side job (``meanwhile``, e.g. gathering the next training batch)
for this thread to do once its part is done; its part is then sized, from both threads'
measured speeds, so that both finish together, which makes the side job nearly free.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from typing import Callable

MIN_SIZE = 65536  # elements: half of Adam's passes over these take about as long as a hand-over
WARM_UP = 8  # steps before a trial (the first ones are slow either way)
TRIAL_STEPS = 16  # steps timed each way
# Steps from one trial to the next: soon after a trial that changed the choice (it may have
# been made during a slow spell of the host), twice as long after each one that kept it.
RETRY_EVERY, RETRY_MAX = 512, 4096
MIN_SHARE, MAX_SHARE = 0.25, 0.75  # of the elements this thread takes with a side job


class _Helper:
    """One daemon thread that runs one job at a time (shared by every ``Halves``)."""

    def __init__(self):
        self._go, self._done = threading.Lock(), threading.Lock()
        self._go.acquire()
        self._done.acquire()
        self._job: tuple | None = None
        self._error: BaseException | None = None
        self.busy = threading.Lock()  # held by whichever Halves is using the helper
        self.broken = False  # a wait for it was interrupted: its job may still be running
        self.started = self.finished = 0.0  # perf_counter() around its last job
        threading.Thread(target=self._loop, name="nndesk-halves", daemon=True).start()

    def _loop(self):
        while True:
            self._go.acquire()
            fn, args = self._job
            self.started = time.perf_counter()
            try:
                fn(*args)
            except BaseException as exc:  # handed back to the caller by ``join``
                self._error = exc
            self.finished = time.perf_counter()
            self._done.release()

    def start(self, fn, args) -> None:
        self._job, self._error = (fn, args), None
        self._go.release()

    def join(self) -> None:
        try:
            self._done.acquire()
        except BaseException:  # e.g. Ctrl+C: never hand this thread another job
            self.broken = True
            raise
        self._job = None
        if self._error is not None:
            raise self._error


_helper: _Helper | None = None
_helper_lock = threading.Lock()


def _shared_helper() -> _Helper:
    global _helper
    with _helper_lock:
        if _helper is None or _helper.broken:
            _helper = _Helper()
        return _helper


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Halves:
    """Runs ``fn(lo, hi, *args)`` over ``[start, size)``: in one call, or as two halves on
    two threads, whichever measured faster (``mode="auto"``); ``"always"`` splits every
    call, ``"never"`` none."""

    def __init__(self, size: int, align: int = 16, mode: str = "auto"):
        self.size = size
        self.align = align
        self.start = 0  # the elements before it are left out
        always = mode == "always"
        self.enabled = not always and mode != "never" and size >= MIN_SIZE and _cores() >= 2
        self.split = always
        self.share = 0.5  # of the elements this thread takes when it also has a side job
        self._steps = 0
        self._trial_at, self._every = WARM_UP, RETRY_EVERY  # the next trial's first step
        self._times: tuple[list[float], list[float]] = ([], [])

    def __call__(self, fn: Callable, *args, meanwhile: Callable[[], object] | None = None) -> None:
        """``fn(lo, hi, *args)`` over every element, then (or while the other thread is still
        at work) ``meanwhile()``, once."""
        if not self.enabled:
            self._run(fn, args, self.split, meanwhile)
            return
        phase = self._steps - self._trial_at  # 0 to 2 * TRIAL_STEPS - 1: a trial
        self._steps += 1
        if not 0 <= phase < 2 * TRIAL_STEPS:
            self._run(fn, args, self.split, meanwhile)
            return
        split = phase % 2 == 1  # alternate, so that a slow spell hits both ways alike
        t0 = time.perf_counter()
        self._run(fn, args, split, meanwhile)
        self._times[split].append(time.perf_counter() - t0)
        if phase == 2 * TRIAL_STEPS - 1:
            single, halves = (statistics.median(t) for t in self._times)
            kept = (halves < single) == self.split
            self.split = halves < single
            self._every = min(2 * self._every, RETRY_MAX) if kept else RETRY_EVERY
            self._trial_at = self._steps + self._every
            self._times = ([], [])

    def _run(self, fn, args, split: bool, meanwhile) -> None:
        helper = _shared_helper() if split else None
        if helper is None or not helper.busy.acquire(blocking=False):
            fn(self.start, self.size, *args)  # another Halves has the helper: do it all here
            if meanwhile is not None:
                meanwhile()
            return
        try:
            mid = self.mid if meanwhile is None else self._mid_for(self.share)
            t0 = time.perf_counter()
            helper.start(fn, (mid, self.size) + args)
            try:
                fn(self.start, mid, *args)
                if meanwhile is not None:
                    t1 = time.perf_counter()
                    meanwhile()
                    t2 = time.perf_counter()
            except BaseException:
                try:  # the helper is done with the vector before the error goes up
                    helper.join()
                except BaseException:
                    pass  # this thread's error is the one to report
                raise
            helper.join()
            if meanwhile is not None:
                self._balance(mid, t1 - t0, t2 - t1, helper.started - t0,
                              helper.finished - helper.started)
        finally:
            helper.busy.release()

    @property
    def mid(self) -> int:
        """Where the vector splits when there is no side job."""
        return self._mid_for(0.5)

    def _mid_for(self, share: float) -> int:
        mid = (self.start + int((self.size - self.start) * share)) // self.align * self.align
        return min(max(mid, self.start + self.align), self.size)

    def _balance(self, mid: int, passes: float, side: float, wake: float, other: float) -> None:
        """This thread ran the elements up to ``mid`` in ``passes`` seconds, then the side
        job in ``side``; the helper started ``wake`` seconds after this thread and took
        ``other`` for the rest. Both finish together when this thread takes the share f with
        f * n * r1 + side = wake + (1 - f) * n * r2 (n elements, r1 and r2 each thread's
        time per element); move towards it a little each step (the times are noisy)."""
        n, rest = self.size - self.start, self.size - mid
        if passes <= 0.0 or other <= 0.0 or rest <= 0:
            return
        r1, r2 = passes / (mid - self.start), other / rest
        target = (max(wake, 0.0) + n * r2 - side) / (n * (r1 + r2))
        self.share += 0.1 * (min(MAX_SHARE, max(MIN_SHARE, target)) - self.share)
