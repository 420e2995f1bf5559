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


def _past_the_trial(h, split=True):
    h.split, h._steps = split, halves.WARM_UP + 2 * halves.TRIAL_STEPS
    return h


@pytest.mark.parametrize("enabled,split", [(False, False), (True, False), (True, True)])
def test_a_side_job_runs_once_after_this_threads_part(monkeypatch, enabled, split):
    monkeypatch.setattr(halves, "_cores", lambda: 2 if enabled else 1)
    h = _past_the_trial(Halves(halves.MIN_SIZE), split)
    events = []
    h(lambda lo, hi: events.append(("part", lo, hi, threading.current_thread().name)),
      meanwhile=lambda: events.append(("side", threading.current_thread().name)))
    here = threading.current_thread().name
    assert events.count(("side", here)) == 1 and len(
        [e for e in events if e[0] == "side"]) == 1
    parts = sorted((e[1], e[2]) for e in events if e[0] == "part")
    assert parts[0][0] == 0 and parts[-1][1] == h.size
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))  # every element, once
    first_here = next(i for i, e in enumerate(events) if e[0] == "part" and e[3] == here)
    assert events.index(("side", here)) > first_here  # after this thread's own part


@pytest.mark.parametrize("wake,helper_rate,expected", [
    (0.0, 1.0, 0.4),  # alike: (400 - 80) / 800
    (20.0, 1.0, 0.425),  # the helper starts 20 late: (20 + 400 - 80) / 800
    (0.0, 2.0, 0.6),  # the helper is twice as slow: (800 - 80) / 1200
    (0.0, 0.1, halves.MIN_SHARE),  # ... or ten times as fast: no less than MIN_SHARE
])
def test_the_share_moves_so_that_both_threads_finish_together(wake, helper_rate, expected):
    """All passes take 400 (time units) on this thread and the side job 80: the share
    settles where both threads finish at the same time."""
    h = Halves(halves.MIN_SIZE)
    for _ in range(150):
        mid = h._mid_for(h.share)
        passes = 400.0 * mid / h.size
        other = 400.0 * helper_rate * (h.size - mid) / h.size
        h._balance(mid, passes, 80.0, wake, other)
    assert h.share == pytest.approx(expected, abs=0.005)


def test_the_share_stays_in_bounds_with_odd_timings():
    h = Halves(halves.MIN_SIZE)
    for timings in [(0.0, 1.0, 0.0, 1.0), (-1.0, 1.0, 0.0, 1.0), (1e-9, 0.0, -5.0, 1e-9),
                    (1.0, 1e9, 0.0, 1.0), (1.0, 0.0, 1e9, 1.0), (1.0, 0.0, 0.0, 0.0)]:
        for _ in range(50):
            h._balance(h._mid_for(h.share), *timings)
            assert halves.MIN_SHARE <= h.share <= halves.MAX_SHARE


def test_an_error_in_the_side_job_reaches_the_caller_after_the_helper_is_done(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    h = _past_the_trial(Halves(halves.MIN_SIZE))
    done = []

    def fn(lo, hi):
        if lo > 0:
            done.append(hi)

    def side():
        raise MemoryError

    with pytest.raises(MemoryError):
        h(fn, meanwhile=side)
    assert done == [h.size]  # the helper's part finished before the error came out
    seen = []
    h(lambda lo, hi: seen.append((lo, hi)))
    assert sorted(seen) == [(0, h.mid), (h.mid, h.size)]


def test_a_side_job_leaves_the_results_to_the_bit(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    rng = np.random.default_rng(1)
    settings = {"name": "adam", **OPTIMIZERS["adam"]}
    p0 = rng.standard_normal(SIZE).astype(np.float32)
    grads = [rng.standard_normal(SIZE).astype(np.float32) * 1e-2 for _ in range(8)]
    results, calls = [], []
    for meanwhile in (None, lambda: calls.append(1)):
        opt = make_optimizer(settings, SIZE, np.float32, [slice(0, SIZE)])
        _past_the_trial(opt._halves)
        p = p0.copy()
        for i, g in enumerate(grads):
            opt._halves.share = 0.3 + 0.02 * i  # a different split point every step
            opt.step(p, g.copy(), 1e-3, meanwhile=meanwhile)
        results.append(p)
    assert len(calls) == len(grads)
    assert np.array_equal(results[0], results[1])


def test_the_side_jobs_error_is_the_one_reported_when_both_fail(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    h = _past_the_trial(Halves(halves.MIN_SIZE))

    def fn(lo, hi):
        if lo > 0:
            raise ValueError("helper")

    def side():
        raise MemoryError("side job")

    with pytest.raises(MemoryError):
        h(fn, meanwhile=side)
    assert not halves._shared_helper().busy.locked()


def test_trials_come_less_often_while_they_keep_the_choice(monkeypatch):
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    h = Halves(halves.MIN_SIZE)
    clock = {"now": 0.0, "halves_faster": True}
    monkeypatch.setattr(halves.time, "perf_counter", lambda: clock["now"])

    def fn(lo, hi):
        split = hi - lo != h.size
        clock["now"] += 0.5 if split == clock["halves_faster"] else 5.0

    def run(steps):
        for _ in range(steps):
            h(fn)

    run(halves.WARM_UP + 2 * halves.TRIAL_STEPS)
    assert h.split and h._every == halves.RETRY_EVERY  # a change: the next trial comes soon
    gaps = []
    for _ in range(4):  # each trial keeps the choice: the gap doubles, up to RETRY_MAX
        run(h._trial_at - h._steps + 2 * halves.TRIAL_STEPS)
        gaps.append(h._every)
        assert h.split
    assert gaps == [2 * halves.RETRY_EVERY, 4 * halves.RETRY_EVERY, halves.RETRY_MAX,
                    halves.RETRY_MAX]
    clock["halves_faster"] = False  # the host changes: the next trial flips the choice
    run(h._trial_at - h._steps + 2 * halves.TRIAL_STEPS)
    assert not h.split and h._every == halves.RETRY_EVERY


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("name", ["adam", "rmsprop", "momentum", "nesterov"])
def test_leading_elements_whose_gradients_stay_zero_can_be_left_out(name, split, monkeypatch):
    """Their updates and running averages stay zero, so leaving them out (``fixed``)
    changes nothing, to the bit, whether the update runs on one thread or two."""
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    rng = np.random.default_rng(3)
    fixed = 4099  # not a multiple of the split's alignment
    settings = {"name": name, **OPTIMIZERS[name]}
    p0 = rng.standard_normal(SIZE).astype(np.float32)
    grads = [rng.standard_normal(SIZE).astype(np.float32) * 1e-2 for _ in range(5)]
    for g in grads:
        g[:fixed] = 0.0
    results = []
    for leave_out in (0, fixed):
        opt = make_optimizer(settings, SIZE, np.float32, [slice(0, SIZE)])
        _past_the_trial(opt._halves, split)
        opt.fixed = leave_out
        ranges = []
        passes = opt._passes
        opt._passes = lambda lo, hi, *args: (ranges.append((lo, hi)), passes(lo, hi, *args))
        p = p0.copy()
        for i, g in enumerate(grads):
            opt._halves.share = 0.3 + 0.1 * i
            opt.step(p, g.copy(), 1e-3, meanwhile=(lambda: None) if i % 2 else None)
        assert min(lo for lo, _ in ranges) == leave_out and max(hi for _, hi in ranges) == SIZE
        assert len(ranges) == len(grads) * (2 if split else 1)
        results.append(p)
    np.testing.assert_array_equal(results[0], results[1])
