"""The activations of ``nndesk.engine.activations``, computed in place.

The same formulas, but each ``forward`` writes ``f(z)`` into a given buffer (which may be
``z`` itself) and each ``backward`` turns dL/da into dL/dz in place, reusing ``z``, ``a`` or a
scratch array ``tmp``, so that a training step makes no temporary arrays.

Speed notes (NumPy 2, float32): every call costs about half a microsecond before any
arithmetic, so the small-batch path counts calls; ``np.maximum`` with a scalar operand takes
a slow path (about 3x slower than against an array of zeros of the same shape).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .constants import constant

_ZEROS_MAX_SIZE = 1 << 20  # elements; bigger arrays are compared with a row of zeros


def _zeros_for(z: np.ndarray) -> np.ndarray:
    """Read-only zeros to compare ``z`` with: the same shape up to 4 MB (float32), else one
    broadcast row (still 2x faster than a scalar zero)."""
    shape = z.shape if z.size <= _ZEROS_MAX_SIZE else (1,) * (z.ndim - 1) + z.shape[-1:]
    return constant("zeros", shape, z.dtype, lambda: np.zeros(shape, z.dtype))


class Activation(ABC):
    name = ""
    needs_z = False  # backward reads z (otherwise only a), so z must be kept
    uses_tmp = False  # backward can use a scratch array (``tmp``) instead of allocating

    @abstractmethod
    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write f(z) into ``out`` (which may be ``z`` itself) and return it."""

    @abstractmethod
    def backward(self, grad: np.ndarray, z: np.ndarray, a: np.ndarray,
                 tmp: np.ndarray | None = None) -> np.ndarray:
        """Return dL/dz given dL/da; may overwrite ``grad`` (and ``tmp``)."""


class Linear(Activation):
    name = "linear"

    def forward(self, z, out):
        if out is not z:
            out[...] = z
        return out

    def backward(self, grad, z, a, tmp=None):
        return grad


class Sigmoid(Activation):
    name = "sigmoid"
    uses_tmp = True

    def forward(self, z, out):
        # 1 / (1 + exp(-z)). For z below about -88 (float32), exp(-z) overflows to inf and
        # the result is 0, the right limit (the trainer's run ignores that overflow flag).
        np.negative(z, out=out)
        np.exp(out, out=out)
        out += 1.0
        np.reciprocal(out, out=out)
        return out

    def backward(self, grad, z, a, tmp=None):
        grad *= a
        if tmp is None:
            tmp = grad * a
        else:
            np.multiply(grad, a, out=tmp)
        grad -= tmp  # g * a * (1 - a)
        return grad


class Tanh(Activation):
    name = "tanh"
    uses_tmp = True

    def forward(self, z, out):
        return np.tanh(z, out=out)

    def backward(self, grad, z, a, tmp=None):
        if tmp is None:
            return grad - grad * a * a
        np.multiply(a, a, out=tmp)
        tmp *= grad
        grad -= tmp  # g * (1 - a^2)
        return grad


class ReLU(Activation):
    name = "relu"

    def forward(self, z, out):
        return np.maximum(z, _zeros_for(z), out=out)

    def backward(self, grad, z, a, tmp=None):
        grad *= a > 0
        return grad


class LeakyReLU(Activation):
    name = "leaky_relu"
    needs_z = True
    slope = 0.01

    def forward(self, z, out):
        return np.multiply(z, np.where(z > 0, 1.0, self.slope).astype(z.dtype), out=out)

    def backward(self, grad, z, a, tmp=None):
        grad *= np.where(z > 0, 1.0, self.slope).astype(grad.dtype)
        return grad


class ELU(Activation):
    name = "elu"
    needs_z = True
    alpha = 1.0

    def forward(self, z, out):
        neg = np.expm1(np.minimum(z, 0.0)) * self.alpha
        return _select(z > 0, z, neg, out)

    def backward(self, grad, z, a, tmp=None):
        # d/dz elu = 1 for z > 0, a + alpha otherwise
        grad *= np.where(z > 0, 1.0, a + self.alpha).astype(grad.dtype)
        return grad


def _select(cond, x, y, out):
    np.copyto(out, y)
    np.copyto(out, x, where=cond)
    return out


class Softmax(Activation):
    name = "softmax"

    def forward(self, z, out):
        np.subtract(z, z.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def backward(self, grad, z, a, tmp=None):
        # Jacobian-vector product: a * (g - sum(g * a))
        return a * (grad - (grad * a).sum(axis=1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    cls.name: cls() for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softmax, Linear)
}
