"""Optimizers, looked up by name in ``OPTIMIZERS``: each ``step`` is its published rule.

With parameters p, their gradient g, learning rate lr and step count t (from 1):

    sgd        p <- p - lr g
    momentum   v <- mu v + g;                         p <- p - lr v
    nesterov   v <- mu v + g;                         p <- p - lr (g + mu v)
    rmsprop    s <- rho s + (1 - rho) g^2;            p <- p - lr g / (sqrt(s) + eps)
    adam       m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
               m_hat = m / (1 - b1^t);   v_hat = v / (1 - b2^t)
               p <- p - lr m_hat / (sqrt(v_hat) + eps)               (Kingma & Ba)
    adamw      p <- p - lr wd p, then adam's update                  (Loshchilov & Hutter)

``weight_decay`` (wd) is classic L2 for every optimizer but AdamW: g <- g + wd p, on the
weight matrices only (``decay_slices``), not the biases. All parameters live in one flat
vector (the layers hold views into it), so each rule is a few whole-vector operations.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

# name -> the settings it takes, with their defaults (learning_rate first).
OPTIMIZERS: dict[str, dict[str, float]] = {
    "sgd": {"learning_rate": 0.1, "weight_decay": 0.0},
    "momentum": {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.0},
    "nesterov": {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.0},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7, "weight_decay": 0.0},
    "adam": {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0},
    "adamw": {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.01},
}

DESCRIPTIONS = {
    "sgd": "Plain stochastic gradient descent",
    "momentum": "SGD with classical momentum",
    "nesterov": "SGD with Nesterov momentum",
    "rmsprop": "Divides by a running RMS of the gradients",
    "adam": "Adaptive moments with bias correction (Kingma & Ba)",
    "adamw": "Adam with decoupled weight decay",
}

# (low, high, low_inclusive, high_inclusive) for each setting, used by spec validation.
RANGES = {
    "learning_rate": (0.0, 100.0, False, True),
    "weight_decay": (0.0, 1.0, True, True),
    "momentum": (0.0, 1.0, True, False),
    "rho": (0.0, 1.0, False, False),
    "beta1": (0.0, 1.0, True, False),
    "beta2": (0.0, 1.0, False, False),
    "epsilon": (0.0, 1.0, False, True),
}


class Optimizer(ABC):
    decoupled = False  # AdamW: weight decay shrinks the weights instead of adding to g

    def __init__(self, size: int, dtype, settings: dict, decay_slices: list[slice]):
        # Python floats: a NumPy float64 setting would turn float32 arithmetic into float64.
        self.settings = {k: float(v) for k, v in settings.items()}
        self.decay_slices = decay_slices
        self.size, self.dtype = size, np.dtype(dtype)
        self.t = 0

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float) -> None:
        """Update ``params`` in place from their gradients ``grads`` (L2 decay is added to
        ``grads``)."""
        self.t += 1
        lr = float(lr)
        wd = self.settings.get("weight_decay", 0.0)
        for s in self.decay_slices if wd else ():
            if self.decoupled:
                params[s] -= lr * wd * params[s]
            else:
                grads[s] += wd * params[s]
        self.update(params, grads, lr)

    @abstractmethod
    def update(self, p: np.ndarray, g: np.ndarray, lr: float) -> None:
        """The rule itself, on the parameters ``p`` and their gradients ``g``."""

    def state(self) -> dict[str, np.ndarray]:
        """The running averages by name: a run on the fast path steps these same arrays."""
        return {}

    def zeros(self) -> np.ndarray:
        return np.zeros(self.size, dtype=self.dtype)


class SGD(Optimizer):
    def update(self, p, g, lr):
        p -= lr * g


class Momentum(Optimizer):
    nesterov = False

    def __init__(self, size, dtype, settings, decay_slices):
        super().__init__(size, dtype, settings, decay_slices)
        self.v = self.zeros()

    def update(self, p, g, lr):
        mu = self.settings["momentum"]
        self.v[...] = mu * self.v + g
        p -= lr * (g + mu * self.v) if self.nesterov else lr * self.v

    def state(self):
        return {"v": self.v}


class Nesterov(Momentum):
    nesterov = True


class RMSProp(Optimizer):
    def __init__(self, size, dtype, settings, decay_slices):
        super().__init__(size, dtype, settings, decay_slices)
        self.s = self.zeros()

    def update(self, p, g, lr):
        rho, eps = self.settings["rho"], self.settings["epsilon"]
        self.s[...] = rho * self.s + (1.0 - rho) * g * g
        p -= lr * g / (np.sqrt(self.s) + eps)

    def state(self):
        return {"s": self.s}


class Adam(Optimizer):
    def __init__(self, size, dtype, settings, decay_slices):
        super().__init__(size, dtype, settings, decay_slices)
        self.m = self.zeros()
        self.v = self.zeros()

    def update(self, p, g, lr):
        b1, b2, eps, t = self.settings["beta1"], self.settings["beta2"], self.settings["epsilon"], self.t
        self.m[...] = b1 * self.m + (1.0 - b1) * g
        self.v[...] = b2 * self.v + (1.0 - b2) * g * g
        m_hat = self.m / (1.0 - b1**t)
        v_hat = self.v / (1.0 - b2**t)
        p -= lr * m_hat / (np.sqrt(v_hat) + eps)

    def state(self):
        return {"m": self.m, "v": self.v}


class AdamW(Adam):
    decoupled = True


CLASSES = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "rmsprop": RMSProp,
           "adam": Adam, "adamw": AdamW}


def make_optimizer(settings: dict, size: int, dtype, decay_slices: list[slice]) -> Optimizer:
    values = {k: v for k, v in settings.items() if k != "name"}
    return CLASSES[settings["name"]](size, dtype, values, decay_slices)
