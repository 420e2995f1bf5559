"""Seeded, deterministic splits of a labelled set."""

from __future__ import annotations

import numbers

import numpy as np

MAX_VALIDATION_FRACTION = 0.9
HOLDOUT_EVERY = 6


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hold out a random ``fraction`` of the samples for validation.

    Returns ``(x_train, y_train, x_val, y_val)``, new arrays in the original order.
    ``round(fraction * N)`` samples, chosen by ``numpy.random.default_rng(seed)``, go to
    validation, always leaving at least one for training. ``fraction`` must be from 0
    to 0.9; 0 gives empty validation arrays of the right shapes. Raises ValueError for a
    bad fraction or seed, or if x and y hold different numbers of samples.
    """
    if (isinstance(fraction, bool) or not isinstance(fraction, numbers.Real)
            or not 0 <= fraction <= MAX_VALIDATION_FRACTION):
        raise ValueError(f"the validation fraction must be a number from 0 to "
                         f"{MAX_VALIDATION_FRACTION}, got {fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"the seed must be a whole number 0 or more, got {seed!r}")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
    n = len(x)
    n_val = min(round(float(fraction) * n), max(n - 1, 0))
    order = np.random.default_rng(int(seed)).permutation(n)
    val = np.sort(order[:n_val])
    train = np.sort(order[n_val:])
    return x[train], y[train], x[val], y[val]


def holdout_test(y: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` holding out every 6th sample of each class as test.

    The samples are shuffled with ``numpy.random.default_rng(seed)``, grouped by label
    (stable sort), and positions 6, 12, 18, ... of that order form the test set:
    ``N // 6`` samples, every class represented in proportion (to within one sample).
    Both index arrays are sorted, so each part keeps the original order.
    """
    order = np.random.default_rng(seed).permutation(len(y))
    order = order[np.argsort(y[order], kind="stable")]
    picked = np.zeros(len(y), dtype=bool)
    picked[order[HOLDOUT_EVERY - 1::HOLDOUT_EVERY]] = True
    return np.flatnonzero(~picked), np.flatnonzero(picked)
