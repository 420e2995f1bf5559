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


def targets_for(y: np.ndarray, n_out: int, dtype) -> np.ndarray:
    """One-hot rows for ``n_out`` > 1, a 0/1 column for a single output unit."""
    if n_out == 1:
        return y.astype(dtype).reshape(-1, 1)
    t = np.zeros((len(y), n_out), dtype=dtype)
    t[np.arange(len(y)), y] = 1.0
    return t


class Loss(ABC):
    name = ""
    fused_activation: str | None = None  # the delta is then with respect to the logits

    @abstractmethod
    def value_and_delta(self, out, logits, y) -> tuple[float, np.ndarray]:
        """Mean loss over the batch and dL/d(out) (dL/d(logits) when fused)."""

    @abstractmethod
    def value(self, out, logits, y) -> float:
        """Mean loss over the batch, without the gradient."""


class SoftmaxCrossEntropy(Loss):
    name = "softmax_cross_entropy"
    fused_activation = "softmax"

    def value(self, out, logits, y):
        rows = np.arange(len(y))
        p_true = out[rows, y]
        if p_true.min() > 1e-30:
            return float(-np.log(p_true).mean())
        # Some probabilities underflowed: use log-sum-exp on the logits.
        z = logits.astype(np.float64)
        m = z.max(axis=1)
        lse = np.log(np.exp(z - m[:, None]).sum(axis=1)) + m
        return float((lse - z[rows, y]).mean())

    def value_and_delta(self, out, logits, y):
        loss = self.value(out, logits, y)
        delta = out.copy()
        delta[np.arange(len(y)), y] -= 1.0
        delta *= 1.0 / len(y)
        return loss, delta


class MeanSquaredError(Loss):
    """mean over samples and outputs of (a - t)^2."""

    name = "mse"

    def value(self, out, logits, y):
        diff = out - targets_for(y, out.shape[1], out.dtype)
        return float(np.mean(diff * diff))

    def value_and_delta(self, out, logits, y):
        diff = out - targets_for(y, out.shape[1], out.dtype)
        loss = float(np.mean(diff * diff))
        diff *= 2.0 / diff.size
        return loss, diff


class SumOfSquares(Loss):
    """The quadratic cost of the classic tutorials: mean over samples of 0.5 * ||a - t||^2."""

    name = "sum_of_squares"

    def value(self, out, logits, y):
        diff = out - targets_for(y, out.shape[1], out.dtype)
        return float(0.5 * np.einsum("ij,ij->", diff, diff) / len(y))

    def value_and_delta(self, out, logits, y):
        diff = out - targets_for(y, out.shape[1], out.dtype)
        loss = float(0.5 * np.einsum("ij,ij->", diff, diff) / len(y))
        diff *= 1.0 / len(y)
        return loss, diff


LOSSES: dict[str, Loss] = {cls.name: cls() for cls in (SoftmaxCrossEntropy, MeanSquaredError, SumOfSquares)}

DESCRIPTIONS = {
    "softmax_cross_entropy": "Cross-entropy on a softmax output (fused, numerically stable)",
    "mse": "Mean squared error over outputs and samples",
    "sum_of_squares": "Quadratic cost 0.5·||a − y||² per sample (classic tutorials)",
}
