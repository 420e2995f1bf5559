"""Activation functions, looked up by name in ``ACTIVATIONS``.

Each one computes ``a = f(z)`` into a buffer and turns the gradient with respect to
``a`` into the gradient with respect to ``z`` in place, reusing ``z`` or ``a`` (whichever
is cheaper) so that no temporary arrays are made in the training loop.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Activation(ABC):
    name = ""
    needs_z = False  # backward reads z (otherwise only a), so z must be kept

    @abstractmethod
    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write f(z) into ``out`` (which may be ``z`` itself) and return it."""

    @abstractmethod
    def backward(self, grad: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Return dL/dz given dL/da; may overwrite ``grad``."""


class Linear(Activation):
    name = "linear"

    def forward(self, z, out):
        if out is not z:
            out[...] = z
        return out

    def backward(self, grad, z, a):
        return grad


class Sigmoid(Activation):
    name = "sigmoid"

    def forward(self, z, out):
        # 1 / (1 + exp(-z)) without overflow warnings for very negative z.
        np.negative(z, out=out)
        np.clip(out, -88.0, 88.0, out=out)
        np.exp(out, out=out)
        out += 1.0
        np.reciprocal(out, out=out)
        return out

    def backward(self, grad, z, a):
        grad *= a
        grad -= grad * a  # g * a * (1 - a)
        return grad


class Tanh(Activation):
    name = "tanh"

    def forward(self, z, out):
        return np.tanh(z, out=out)

    def backward(self, grad, z, a):
        return grad - grad * a * a


class ReLU(Activation):
    name = "relu"

    def forward(self, z, out):
        return np.maximum(z, 0.0, out=out)

    def backward(self, grad, z, a):
        grad *= a > 0
        return grad


class LeakyReLU(Activation):
    name = "leaky_relu"
    needs_z = True
    slope = 0.01

    def forward(self, z, out):
        return np.multiply(z, np.where(z > 0, 1.0, self.slope).astype(z.dtype), out=out)

    def backward(self, grad, z, a):
        grad *= np.where(z > 0, 1.0, self.slope).astype(grad.dtype)
        return grad


class ELU(Activation):
    name = "elu"
    needs_z = True
    alpha = 1.0

    def forward(self, z, out):
        neg = np.expm1(np.minimum(z, 0.0)) * self.alpha
        return _select(z > 0, z, neg, out)

    def backward(self, grad, z, a):
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

    def backward(self, grad, z, a):
        # Jacobian-vector product: a * (g - sum(g * a))
        return a * (grad - (grad * a).sum(axis=1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    cls.name: cls() for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softmax, Linear)
}
