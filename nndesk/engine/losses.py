"""Losses, looked up by name in ``LOSSES``.

Targets are integer class labels ``y``; ``t`` below is their one-hot rows (a single 0/1
column for a one-unit output), ``a`` the network's output and ``N`` the batch size.

    softmax_cross_entropy   L = -(1/N) sum_n log a[n, y_n]      dL/dz = (a - t) / N
    mse                     L = mean over n, j of (a - t)^2     dL/da = 2 (a - t) / (N * units)
    sum_of_squares          L = (1/N) sum_n 0.5 ||a_n - t_n||^2 dL/da = (a - t) / N

Cross-entropy is fused with its softmax output: its ``delta`` is taken with respect to the
logits ``z``, where the softmax's Jacobian and the log's derivative cancel to ``a - t``, which
is both simpler and numerically stable. The other losses give dL/da, which the output layer
turns into dL/dz with its activation's derivative.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


def targets(y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The targets ``t`` shaped like ``out``: one-hot rows, or a 0/1 column for one unit."""
    if out.shape[1] == 1:
        return y.reshape(-1, 1).astype(out.dtype)
    return np.eye(out.shape[1], dtype=out.dtype)[y]


class Loss(ABC):
    name = ""
    fused_activation: str | None = None  # ``delta`` is then dL/dz of the output layer

    @abstractmethod
    def value(self, out: np.ndarray, logits: np.ndarray | None, y: np.ndarray) -> float:
        """The mean loss over the batch (``logits``: the output layer's z, for stability)."""

    @abstractmethod
    def delta(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dL/d(out), or dL/dz of the output layer when fused."""


class SoftmaxCrossEntropy(Loss):
    name = "softmax_cross_entropy"
    fused_activation = "softmax"

    def value(self, out, logits, y):
        p_true = out[np.arange(len(y)), y]
        if logits is None or p_true.min() > 1e-30:
            return -float(np.log(p_true).sum()) / len(y)
        # A probability underflowed to 0: log a_y = z_y - log sum_k exp(z_k), in float64.
        z = logits.astype(np.float64)
        m = z.max(axis=1)
        log_sum_exp = np.log(np.exp(z - m[:, None]).sum(axis=1)) + m
        return float((log_sum_exp - z[np.arange(len(y)), y]).mean())

    def delta(self, out, y):
        return (out - targets(y, out)) / len(y)


class MeanSquaredError(Loss):
    name = "mse"

    def value(self, out, logits, y):
        diff = out - targets(y, out)
        return float(np.mean(diff * diff))

    def delta(self, out, y):
        return 2.0 * (out - targets(y, out)) / out.size


class SumOfSquares(Loss):
    """The quadratic cost of the classic tutorials."""

    name = "sum_of_squares"

    def value(self, out, logits, y):
        diff = out - targets(y, out)
        return 0.5 * float(np.sum(diff * diff)) / len(y)

    def delta(self, out, y):
        return (out - targets(y, out)) / len(y)


LOSSES: dict[str, Loss] = {cls.name: cls() for cls in (SoftmaxCrossEntropy, MeanSquaredError, SumOfSquares)}

DESCRIPTIONS = {
    "softmax_cross_entropy": "Cross-entropy on a softmax output (fused, numerically stable)",
    "mse": "Mean squared error over outputs and samples",
    "sum_of_squares": "Quadratic cost 0.5·||a − y||² per sample (classic tutorials)",
}
