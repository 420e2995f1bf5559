"""Activation functions, looked up by name in ``ACTIVATIONS``.

Each one is a pair of formulas on a batch of pre-activations ``z`` (N, units):

    forward:   a = f(z)
    backward:  dL/dz = dL/da * f'(z)          (element-wise; softmax: a Jacobian product)

=========== ================================ =======================================
name        f(z)                             f'(z), written with a = f(z) where simpler
=========== ================================ =======================================
linear      z                                1
sigmoid     1 / (1 + exp(-z))                a * (1 - a)
tanh        tanh(z)                          1 - a^2
relu        max(z, 0)                        1 if z > 0 else 0
leaky_relu  z if z > 0 else 0.01 z           1 if z > 0 else 0.01
elu         z if z > 0 else exp(z) - 1       1 if z > 0 else a + 1
softmax     exp(z_j) / sum_k exp(z_k)        dL/dz = a * (g - sum_k g_k a_k)
=========== ================================ =======================================
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Activation(ABC):
    name = ""

    @abstractmethod
    def forward(self, z: np.ndarray) -> np.ndarray:
        """a = f(z)."""

    @abstractmethod
    def backward(self, grad: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """dL/dz from dL/da (``grad``), the pre-activation ``z`` and the output ``a``."""


class Linear(Activation):
    name = "linear"

    def forward(self, z):
        return z

    def backward(self, grad, z, a):
        return grad


class Sigmoid(Activation):
    name = "sigmoid"

    def forward(self, z):
        # exp(-z) overflows to inf for z below about -88 (float32), giving the right limit 0.
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-z))

    def backward(self, grad, z, a):
        return grad * a * (1.0 - a)


class Tanh(Activation):
    name = "tanh"

    def forward(self, z):
        return np.tanh(z)

    def backward(self, grad, z, a):
        return grad * (1.0 - a * a)


class ReLU(Activation):
    name = "relu"

    def forward(self, z):
        return np.maximum(z, 0.0)

    def backward(self, grad, z, a):
        return grad * (z > 0)


class LeakyReLU(Activation):
    name = "leaky_relu"
    slope = 0.01

    def forward(self, z):
        return np.where(z > 0, z, self.slope * z)

    def backward(self, grad, z, a):
        return grad * np.where(z > 0, 1.0, self.slope).astype(grad.dtype)


class ELU(Activation):
    name = "elu"
    alpha = 1.0

    def forward(self, z):
        return np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0.0)))

    def backward(self, grad, z, a):
        return grad * np.where(z > 0, 1.0, a + self.alpha).astype(grad.dtype)


class Softmax(Activation):
    name = "softmax"

    def forward(self, z):
        # Subtracting each row's largest logit changes nothing mathematically and keeps
        # exp from overflowing.
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def backward(self, grad, z, a):
        return a * (grad - (grad * a).sum(axis=1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    cls.name: cls() for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softmax, Linear)
}
