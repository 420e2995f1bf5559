"""Optimizer passes on two threads give the same results, to the bit."""

import threading

import numpy as np
import pytest

from nndesk.engine import halves
from nndesk.engine.halves import Halves
from nndesk.engine.optimizers import OPTIMIZERS, make_optimizer

SIZE = 200_003  # odd, above MIN_SIZE


@pytest.mark.parametrize("name", ["adam", "adamw", "rmsprop", "momentum", "nesterov"])
def test_two_threads_update_exactly_as_one(name, monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    rng = np.random.default_rng(0)
    settings = {"name": name, **OPTIMIZERS[name]}
    p0 = rng.standard_normal(SIZE).astype(np.float32)
    grads = [rng.standard_normal(SIZE).astype(np.float32) * 1e-2 for _ in range(6)]
    used = []
    start = halves._Helper.start
    monkeypatch.setattr(halves._Helper, "start",
                        lambda self, fn, args: (used.append(args[:2]), start(self, fn, args))[1])
    results = []
    for split in (False, True):
        opt = make_optimizer(settings, SIZE, np.float32, [slice(0, SIZE - 100)])
        opt._halves.split = split
        opt._halves._steps = halves.WARM_UP + 2 * halves.TRIAL_STEPS  # past the trial
        used.clear()
        p = p0.copy()
        for g in grads:
            opt.step(p, g.copy(), 1e-3)
        assert bool(used) == split and all(r == (opt._halves.mid, SIZE) for r in used)
        results.append(p)
    assert np.array_equal(results[0], results[1])


def test_small_vectors_and_single_cores_stay_on_one_thread(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    assert not Halves(halves.MIN_SIZE - 1).enabled and Halves(halves.MIN_SIZE).enabled
    monkeypatch.setattr(halves, "_cores", lambda: 1)
    assert not Halves(10 * halves.MIN_SIZE).enabled


def test_the_faster_way_is_measured_and_kept(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    h = Halves(halves.MIN_SIZE)
    ways = []

    def clock():  # advanced by fn: a call over both halves takes 0.5 s, a whole one 5 s
        return clock.now

    clock.now = 0.0
    monkeypatch.setattr(halves.time, "perf_counter", clock)

    def fn(lo, hi):
        ways.append(hi - lo != h.size)
        clock.now += 0.5 if hi - lo != h.size else 5.0

    for _ in range(halves.WARM_UP):
        h(fn)
    assert ways == [False] * halves.WARM_UP  # one thread until the trial
    for _ in range(2 * halves.TRIAL_STEPS):
        h(fn)
    assert h.split  # halves measured faster
    trial = ways[halves.WARM_UP:]
    assert trial.count(False) == halves.TRIAL_STEPS  # the trial alternated
    ways.clear()
    h(fn)
    assert ways == [True, True]  # both halves, from now on


def test_an_error_on_the_helper_thread_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    h = Halves(halves.MIN_SIZE)
    h.split, h._steps = True, halves.WARM_UP + 2 * halves.TRIAL_STEPS

    def fn(lo, hi):
        if lo > 0:
            raise FloatingPointError("boom")

    with pytest.raises(FloatingPointError):
        h(fn)
    seen = []
    h(lambda lo, hi: seen.append((lo, hi)))  # the helper still works afterwards
    assert sorted(seen) == [(0, h.mid), (h.mid, h.size)]


def test_a_busy_helper_means_doing_it_all_here(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    h = Halves(halves.MIN_SIZE)
    h.split, h._steps = True, halves.WARM_UP + 2 * halves.TRIAL_STEPS
    helper = halves._shared_helper()
    seen = []
    with helper.busy:  # another optimizer is using it (e.g. two trainings at once)
        h(lambda lo, hi: seen.append((lo, hi, threading.current_thread().name)))
    assert seen == [(0, h.size, threading.current_thread().name)]


def test_an_interrupted_wait_retires_the_helper(monkeypatch):
    """Ctrl+C while waiting for the helper: its job may still be running, so the next
    split step must get a new helper rather than a stale 'done'."""
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    h = Halves(halves.MIN_SIZE)
    h.split, h._steps = True, halves.WARM_UP + 2 * halves.TRIAL_STEPS
    old = halves._shared_helper()

    class Interrupted:  # the wait is interrupted; the helper still signals when it is done
        def __init__(self, lock):
            self.lock = lock

        def acquire(self):
            raise KeyboardInterrupt

        def release(self):
            self.lock.release()

    old._done = Interrupted(old._done)
    with pytest.raises(KeyboardInterrupt):
        h(lambda lo, hi: None)
    assert old.broken
    seen = []
    h(lambda lo, hi: seen.append((lo, hi)))
    assert halves._shared_helper() is not old
    assert sorted(seen) == [(0, h.mid), (h.mid, h.size)]
