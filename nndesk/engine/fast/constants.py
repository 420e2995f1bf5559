"""Small read-only arrays the training loop reuses from batch to batch.

Zeros to compare with, ones to sum with, identity rows for one-hot targets, row indices:
made once per (kind, shape, dtype), shared by all threads (they are read-only).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

_CACHE: dict[tuple, np.ndarray] = {}
_MAX_ENTRIES = 64


def constant(kind: str, shape: tuple, dtype, make: Callable[[], np.ndarray]) -> np.ndarray:
    """The cached ``make()`` for this key, made read-only the first time."""
    key = (kind, shape, dtype)
    arr = _CACHE.get(key)
    if arr is None:
        if len(_CACHE) >= _MAX_ENTRIES:
            _CACHE.clear()
        arr = make()
        arr.flags.writeable = False
        _CACHE[key] = arr
    return arr
