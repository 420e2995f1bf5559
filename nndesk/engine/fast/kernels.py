"""A training step's arithmetic for each layer kind, into work arrays reused from step to step.

The formulas are the core layers' (``nndesk/engine/layers.py``); here the products go
through ``np.dot`` into preallocated arrays (half a microsecond less per call than
``np.matmul``, which counts at batch size 10), activations run in place, the bias gradient
is ``ones @ dz`` (a matrix-vector product, 2x faster than a sum over axis 0), and a dense
first layer can leave out the input columns that are zero across the batch (``span``).

Kernels work on the plan's own copies of the parameters, never on the network's.
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS
from .constants import constant


class _Buffers:
    """Per-batch-size work arrays of a dense layer."""

    __slots__ = ("z", "a", "tmp", "dx", "ones")

    def __init__(self, n, n_out, dtype, in_place, tmp):
        self.z = np.empty((n, n_out), dtype=dtype)
        self.a = self.z if in_place else np.empty_like(self.z)
        self.tmp = np.empty_like(self.z) if tmp else None  # for the activation's backward
        self.dx = None  # the input gradient, made on first use (the first layer needs none)
        self.ones = np.ones(n, dtype=dtype)


class DenseKernel:
    """``z = x @ W + b; a = f(z)`` and its backward pass, on the given parameter views."""

    def __init__(self, activation: str, W, b, dW, db):
        self.activation = ACTIVATIONS[activation]
        # relu, sigmoid, tanh and linear can overwrite z with a: backward needs only a.
        self.in_place = not self.activation.needs_z and activation != "softmax"
        self.W, self.b, self.dW, self.db = W, b, dW, db
        self._buffers: dict[int, _Buffers] = {}
        self._bufs: _Buffers | None = None
        self.x = self.z = self.a = None
        self.span: tuple[int, int] | None = None

    def _buffers_for(self, n: int) -> _Buffers:
        bufs = self._bufs
        if bufs is None or len(bufs.z) != n:
            bufs = self._buffers.get(n)
            if bufs is None:
                if len(self._buffers) > 3:
                    self._buffers.clear()
                bufs = self._buffers[n] = _Buffers(n, self.W.shape[1], self.W.dtype,
                                                   self.in_place, self.activation.uses_tmp)
            self._bufs = bufs
        return bufs

    def forward(self, x, span=None):
        """``span=(lo, hi)``: the columns of ``x`` outside lo:hi are all zero."""
        bufs, W = self._buffers_for(len(x)), self.W
        if span is None:
            z = np.dot(x, W, out=bufs.z)
        else:
            lo, hi = span
            z = np.matmul(x[:, lo:hi], W[lo:hi], out=bufs.z)
        z += self.b
        self.x, self.z, self.span = x, z, span
        self.a = self.activation.forward(z, bufs.a)
        return self.a

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        bufs, x = self._bufs, self.x
        dz = grad if grad_is_dz else self.activation.backward(grad, self.z, self.a, bufs.tmp)
        if self.span is None:
            np.dot(x.T, dz, out=self.dW)
        else:
            lo, hi = self.span
            np.matmul(x[:, lo:hi].T, dz, out=self.dW[lo:hi])  # np.dot copies the slice
            self.dW[:lo] = 0.0
            self.dW[hi:] = 0.0
        np.dot(bufs.ones, dz, out=self.db)
        if not input_grad:
            return None
        if bufs.dx is None:
            bufs.dx = np.empty((len(dz), self.W.shape[0]), dtype=dz.dtype)
        return np.dot(dz, self.W.T, out=bufs.dx)


class DropoutKernel:
    """The core dropout layer's masks (the same random numbers), into work arrays."""

    def __init__(self, layer):
        self.layer = layer
        self.mask = None
        self._buffers: tuple | None = None

    def forward(self, x, span=None):
        rate = self.layer.rate
        if rate == 0.0:
            self.mask = None
            return x
        bufs = self._buffers
        if bufs is None or bufs[0].shape != x.shape or bufs[2].dtype != x.dtype:
            bufs = self._buffers = (np.empty(x.shape, np.float32), np.empty(x.shape, bool),
                                    np.empty(x.shape, x.dtype), np.empty(x.shape, x.dtype))
        uniform, keep, mask, out = bufs
        # The same numbers, in the same order, as rng.random(x.shape, dtype=np.float32).
        self.layer.rng.random(dtype=np.float32, out=uniform)
        np.greater_equal(uniform, rate, out=keep)
        self.mask = np.multiply(keep, np.asarray(1.0 / (1.0 - rate), dtype=x.dtype), out=mask)
        return np.multiply(x, mask, out=out)

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        if not input_grad:
            return None
        if self.mask is None:
            return grad
        return np.multiply(grad, self.mask, out=grad)  # grad is a work array: reuse it


def loss_and_delta(loss, out: np.ndarray, logits: np.ndarray, y: np.ndarray,
                   buf: np.ndarray) -> tuple[float, np.ndarray]:
    """The core ``loss``'s value and ``delta`` at once, the delta into ``buf``: both from one
    ``out - t``, whose one-hot rows come from a cached identity matrix (no zero-filling)."""
    n, k = out.shape
    if k == 1:
        diff = np.subtract(out, y.reshape(-1, 1), out=buf, dtype=out.dtype)
    else:
        eye = constant("eye", (k, k), out.dtype, lambda: np.eye(k, dtype=out.dtype))
        diff = np.subtract(out, eye[y], out=buf)
    if loss.name == "softmax_cross_entropy":
        rows = constant("arange", (n,), np.intp, lambda: np.arange(n))
        p_true = out[rows, y]
        value = (-float(np.add.reduce(np.log(p_true))) / n
                 if np.minimum.reduce(p_true) > 1e-30 else loss.value(out, logits, y))
        diff *= 1.0 / n
    elif loss.name == "mse":
        value = float(np.vdot(diff, diff)) / diff.size
        diff *= 2.0 / diff.size
    else:  # sum_of_squares
        value = 0.5 * float(np.vdot(diff, diff)) / n
        diff *= 1.0 / n
    return value, diff
