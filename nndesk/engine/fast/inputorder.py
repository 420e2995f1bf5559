"""Input spans, and training inputs kept as bytes with their features ordered from the most
often non-zero to the least.

A dense first layer skips the input columns that are zero across a whole batch (the
``span`` of ``DenseKernel.forward``). In an image's own pixel order those columns are mostly
the blank rows at the top and the bottom: a batch of 128 MNIST digits spans 712 of its 784
columns on average. With the pixels ordered from the most often inked to the least, a
batch's inked pixels crowd to the front and its span shrinks to 634 columns (527 of them
inked): about 11% less work in the two products with the first layer's weights, the biggest
of a step. The plan keeps its copy of that layer's weight rows in the same order for the run.

The features that are zero in every sample (67 of MNIST's pixels) come first, ahead of the
most often inked: their weights lead the parameter vector, and since their gradients are
always zero, the update can leave them out (``Update.fixed``).

The reordered copy is kept as bytes, which takes a quarter of the memory of a float32 copy
and gathers a batch (rows of bytes, then one division) as fast as rows of float32. That
needs inputs that are 8-bit values divided by 255, as every dataset nndesk reads is; other
inputs are used as they are.
"""

from __future__ import annotations

import numpy as np

CHUNK_BYTES = 1 << 22  # of float work array while the inputs are converted


class ByteInputs:
    """``x`` as bytes (``x == codes / 255`` exactly), its columns in ``order``."""

    def __init__(self, codes: np.ndarray, order: np.ndarray, blank: int, dtype):
        self.codes, self.order, self.dtype = codes, order, np.dtype(dtype)
        self.blank = blank  # the first ``blank`` features are zero in every sample
        self._scale = self.dtype.type(255)
        self._batch = np.empty(0, np.uint8)

    @classmethod
    def of(cls, x: np.ndarray) -> ByteInputs | None:
        """The inputs ``x`` (N, features), as bytes: first the features that are zero in every
        sample, then the others from the most often non-zero to the least; None if some value
        of ``x`` is not a byte divided by 255."""
        n, d = x.shape
        codes = np.empty((n, d), np.uint8)
        scale = x.dtype.type(255)
        chunk = max(1, CHUNK_BYTES // (d * x.itemsize))
        work = np.empty((min(chunk, n), d), x.dtype)
        inked = np.zeros(d, np.int64)
        for s in range(0, n, chunk):
            xs, c = x[s:s + chunk], codes[s:s + chunk]
            w = work[:len(xs)]
            np.multiply(xs, scale, out=w)
            np.rint(w, out=w)
            with np.errstate(invalid="ignore"):  # out of range or NaN: caught just below
                np.copyto(c, w, casting="unsafe")
            np.divide(c, scale, out=w, dtype=x.dtype)
            if not np.array_equal(w, xs):
                return None
            inked += np.count_nonzero(c, axis=0)
        order = np.argsort(np.where(inked == 0, -n - 1, -inked), kind="stable")
        for s in range(0, n, chunk):
            c = codes[s:s + chunk]
            c[...] = np.take(c, order, axis=1)
        return cls(codes, order, int(np.count_nonzero(inked == 0)), x.dtype)

    def take(self, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The inputs of ``rows`` (reordered, as ``dtype``) in the first ``len(rows)`` rows
        of ``out``."""
        n, d = len(rows), self.codes.shape[1]
        if self._batch.size < n * d:
            self._batch = np.empty(n * d, np.uint8)
        batch = self._batch[:n * d].reshape(n, d)
        # mode="clip" skips the bounds check (rows come from a permutation of the samples).
        np.take(self.codes, rows, axis=0, out=batch, mode="clip")
        return np.divide(batch, self._scale, out=out[:n], dtype=self.dtype)


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


def batch_spans(spans: tuple[np.ndarray, np.ndarray], order: np.ndarray | None,
                batch_size: int, d: int) -> list:
    """For each batch of an epoch in ``order`` (None: one batch of the whole set), (lo, hi)
    such that its inputs are zero outside columns lo:hi, or None where that leaves nothing
    out. ``spans``: ``column_spans`` of the inputs. Worked out once per epoch."""
    first, last = spans
    if order is None:
        lo, hi = first.min(keepdims=True), last.max(keepdims=True)
    else:
        starts = np.arange(0, len(order), batch_size)
        lo, hi = np.minimum.reduceat(first[order], starts), np.maximum.reduceat(last[order], starts)
    # hi < lo: every input of the batch is zero, and any one column gives the same products.
    return [None if h + 1 - l >= d else (l, h + 1) if h >= l else (0, 1)
            for l, h in zip(lo.tolist(), hi.tolist())]
