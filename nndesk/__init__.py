"""nndesk: build, train and look inside neural networks written from scratch in NumPy."""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# OpenBLAS's idle worker threads spin for about 0.1 s after every product, holding a core
# that the fast path's second thread (engine/fast/halves.py) or the window could use. Told before
# NumPy loads OpenBLAS, they spin for 2^16 clock ticks (tens of microseconds: across the
# short gaps between a training step's products, not through the optimizer's update) and
# then sleep. Only when nothing set it already.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "16")
