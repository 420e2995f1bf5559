"""Losses, looked up by name in ``LOSSES``.

Targets are integer class labels. A loss turns them into what it compares against
(one-hot rows, or a single 0/1 column for a one-unit output) and returns the mean loss
over the batch together with its gradient. Softmax cross-entropy is fused with the
softmax output: its gradient is taken with respect to the logits, ``(p - y) / N``, which is
both cheaper and numerically stable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .constants import constant


def _eye(n_out: int, dtype) -> np.ndarray:
    return constant("eye", (n_out, n_out), dtype, lambda: np.eye(n_out, dtype=dtype))


def _rows(n: int) -> np.ndarray:
    return constant("arange", (n,), np.intp, lambda: np.arange(n))


def _minus_targets(out: np.ndarray, y: np.ndarray, buf: np.ndarray | None) -> np.ndarray:
    """``out`` minus the targets (one-hot rows, or a 0/1 column for one output unit), into
    ``buf`` when it fits. One-hot rows come from a cached identity matrix: no zero-filling."""
    if buf is not None and (buf.shape != out.shape or buf.dtype != out.dtype):
        buf = None
    if out.shape[1] == 1:
        return np.subtract(out, y.reshape(-1, 1), out=buf, dtype=out.dtype)
    return np.subtract(out, _eye(out.shape[1], out.dtype)[y], out=buf)


class Loss(ABC):
    name = ""
    fused_activation: str | None = None  # the delta is then with respect to the logits

    @abstractmethod
    def value_and_delta(self, out, logits, y, buf=None, scale=1.0) -> tuple[float, np.ndarray]:
        """Mean loss over the batch and ``scale`` times dL/d(out) (dL/d(logits) when fused).
        ``buf``, an array shaped like ``out``, receives the delta when given. Backpropagation
        is linear in the delta, so ``scale`` multiplies every gradient of the step at no cost
        (plain SGD folds its learning rate in here)."""

    @abstractmethod
    def value(self, out, logits, y) -> float:
        """Mean loss over the batch, without the gradient."""


class SoftmaxCrossEntropy(Loss):
    name = "softmax_cross_entropy"
    fused_activation = "softmax"

    def value(self, out, logits, y):
        p_true = out[_rows(len(y)), y]
        if np.minimum.reduce(p_true) > 1e-30:
            return -float(np.add.reduce(np.log(p_true))) / len(y)
        # Some probabilities underflowed: use log-sum-exp on the logits.
        rows = np.arange(len(y))
        z = logits.astype(np.float64)
        m = z.max(axis=1)
        lse = np.log(np.exp(z - m[:, None]).sum(axis=1)) + m
        return float((lse - z[rows, y]).mean())

    def value_and_delta(self, out, logits, y, buf=None, scale=1.0):
        delta = _minus_targets(out, y, buf)
        delta *= scale / len(y)
        return self.value(out, logits, y), delta


class MeanSquaredError(Loss):
    """mean over samples and outputs of (a - t)^2."""

    name = "mse"

    def value(self, out, logits, y):
        diff = _minus_targets(out, y, None)
        return float(np.mean(diff * diff))

    def value_and_delta(self, out, logits, y, buf=None, scale=1.0):
        diff = _minus_targets(out, y, buf)
        loss = float(np.vdot(diff, diff)) / diff.size
        diff *= 2.0 * scale / diff.size
        return loss, diff


class SumOfSquares(Loss):
    """The quadratic cost of the classic tutorials: mean over samples of 0.5 * ||a - t||^2."""

    name = "sum_of_squares"

    def value(self, out, logits, y):
        diff = _minus_targets(out, y, None)
        return float(0.5 * np.einsum("ij,ij->", diff, diff) / len(y))

    def value_and_delta(self, out, logits, y, buf=None, scale=1.0):
        diff = _minus_targets(out, y, buf)
        loss = 0.5 * float(np.vdot(diff, diff)) / len(y)
        diff *= scale / len(y)
        return loss, diff


LOSSES: dict[str, Loss] = {cls.name: cls() for cls in (SoftmaxCrossEntropy, MeanSquaredError, SumOfSquares)}

DESCRIPTIONS = {
    "softmax_cross_entropy": "Cross-entropy on a softmax output (fused, numerically stable)",
    "mse": "Mean squared error over outputs and samples",
    "sum_of_squares": "Quadratic cost 0.5·||a − y||² per sample (classic tutorials)",
}
