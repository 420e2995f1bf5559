"""Optimizers, looked up by name in ``OPTIMIZERS``.

An optimizer updates the network's parameters in place. All parameters live in one flat
vector (the layers hold views into it), so each update is a handful of whole-vector NumPy
operations with preallocated buffers rather than a loop over tensors. ``decay_slices`` marks
the weight matrices (not the biases) that weight decay applies to.

``weight_decay`` is classic L2 (added to the gradient) for every optimizer except AdamW,
where it is decoupled (Loshchilov & Hutter): the weights shrink by ``lr * weight_decay``.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .halves import Halves

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


# Running averages of gradients that stay zero decay geometrically towards subnormal numbers,
# which make every later pass over them many times slower. Every FLUSH_EVERY steps, values
# below FLUSH_BELOW (far under anything that moves a weight) are set to zero; in between,
# a decay factor of 0.9 cannot take them from 1e-30 to the subnormal range (1.2e-38).
FLUSH_EVERY = 64
FLUSH_BELOW = 1e-30


class Optimizer:
    def __init__(self, size: int, dtype, settings: dict, decay_slices: list[slice]):
        # Python floats: a NumPy float64 setting would make float32 passes run in float64.
        self.settings = {k: float(v) for k, v in settings.items()}
        self.decay_slices = decay_slices
        self.dtype = np.dtype(dtype)
        self.steps = 0
        self._tmp = np.empty(size, dtype=dtype)
        self._mask: np.ndarray | None = None
        self._state: list[np.ndarray] = []  # running averages, flushed of subnormals
        self._halves = Halves(size)  # runs ``_passes`` on two cores when that is faster

    @property
    def fixed(self) -> int:
        """How many leading elements the update leaves as they are: for a caller that knows
        their gradients stay zero, so that without weight decay no update would change them
        or the running averages (zero as well). Plain SGD, one pass, updates them anyway."""
        return self._halves.start

    @fixed.setter
    def fixed(self, n: int) -> None:
        self._halves.start = int(n)

    def _apply_l2(self, params, grads, grad_scale=1.0):
        """L2 decay added to ``grads``, in their units (``grad_scale`` times gradients)."""
        wd = self.settings.get("weight_decay", 0.0)
        if wd:
            for s in self.decay_slices:
                tmp = self._tmp[s]
                np.multiply(params[s], wd * float(grad_scale), out=tmp)
                grads[s] += tmp

    def gradient_scale(self, lr: float) -> float:
        """The factor to ask ``Network.train_step`` to scale the gradients by: 1 here;
        plain SGD takes ``lr`` (folded into the loss gradient, it saves a pass)."""
        return 1.0

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float,
             grad_scale: float = 1.0, meanwhile: Callable[[], object] | None = None) -> None:
        """Update ``params`` in place from ``grads``, which hold ``grad_scale`` times the
        gradients (and may be overwritten). ``meanwhile``, a job that does not touch them
        (the trainer gathers the next batch), is run once, while the optimizer's second
        thread finishes the update when there is one."""
        self.steps += 1
        lr = float(lr)  # a NumPy float64 scalar would make float32 passes run in float64
        if grad_scale != 1.0:
            grads *= 1.0 / float(grad_scale)
        self._apply_l2(params, grads)
        self._update(params, grads, self._constants(lr), meanwhile)
        if self._state and self.steps % FLUSH_EVERY == 0:
            self._flush_subnormals()

    def _constants(self, lr):
        return lr

    def _update(self, params, grads, consts, meanwhile=None) -> None:
        """Runs the subclass's ``_passes(lo, hi, params, grads, consts)``: the update of
        elements ``lo:hi``, whose arithmetic is independent of the other elements', so the
        two halves of the vector can run on two threads."""
        self._halves(self._passes, params, grads, consts, meanwhile=meanwhile)

    def _flush_subnormals(self) -> None:
        if self._mask is None:
            self._mask = np.empty(self._tmp.size, dtype=bool)
        tmp, mask = self._tmp, self._mask
        for arr in self._state:
            np.abs(arr, out=tmp)
            np.greater_equal(tmp, FLUSH_BELOW, out=mask)  # False for NaN, which stays NaN
            np.multiply(arr, mask, out=arr)  # 10x faster than np.copyto(..., where=)


class SGD(Optimizer):
    def gradient_scale(self, lr):
        return float(lr) if lr > 0 else 1.0  # a schedule may reach exactly 0

    def step(self, params, grads, lr, grad_scale=1.0, meanwhile=None):
        # With gradients already scaled by lr (``gradient_scale``) the update is a single
        # subtraction; at batch size 10 the update is most of the time spent outside the
        # products. Without weight decay ``params`` may be a part of the whole vector
        # (deferred.py updates the first layer's weights itself).
        self.steps += 1
        self._apply_l2(params, grads, grad_scale)
        factor = float(lr) / float(grad_scale)
        if factor == 1.0:
            params -= grads
        else:
            tmp = self._tmp[:grads.size]
            np.multiply(grads, factor, out=tmp)
            params -= tmp
        if meanwhile is not None:
            meanwhile()


class Momentum(Optimizer):
    """v = mu * v + g;  p -= lr * v  (Nesterov: p -= lr * (g + mu * v))."""

    nesterov = False

    def __init__(self, size, dtype, settings, decay_slices):
        super().__init__(size, dtype, settings, decay_slices)
        self._velocity = np.zeros(size, dtype=dtype)
        self._state = [self._velocity]

    def _passes(self, lo, hi, params, grads, lr):
        mu, v, tmp = self.settings["momentum"], self._velocity[lo:hi], self._tmp[lo:hi]
        params, grads = params[lo:hi], grads[lo:hi]
        v *= mu
        v += grads
        if self.nesterov:
            np.multiply(v, mu, out=tmp)
            tmp += grads
            tmp *= lr
        else:
            np.multiply(v, lr, out=tmp)
        params -= tmp


class Nesterov(Momentum):
    nesterov = True


class RMSProp(Optimizer):
    def __init__(self, size, dtype, settings, decay_slices):
        super().__init__(size, dtype, settings, decay_slices)
        self._sq = np.zeros(size, dtype=dtype)
        self._state = [self._sq]

    def _passes(self, lo, hi, params, grads, lr):
        rho, eps = self.settings["rho"], self.settings["epsilon"]
        sq, tmp, params, grads = self._sq[lo:hi], self._tmp[lo:hi], params[lo:hi], grads[lo:hi]
        sq *= rho
        np.square(grads, out=tmp)
        tmp *= 1.0 - rho
        sq += tmp
        np.sqrt(sq, out=tmp)
        tmp += eps
        np.divide(grads, tmp, out=tmp)
        tmp *= lr
        params -= tmp


class Adam(Optimizer):
    """Adam with bias correction, the same arithmetic as PyTorch's.

    The moments are kept unnormalised (m' = m / (1 - beta1), v' = v / (1 - beta2)), which
    saves two passes over the parameters per step; the constants fold into one scale.
    """

    decoupled = False

    def __init__(self, size, dtype, settings, decay_slices):
        super().__init__(size, dtype, settings, decay_slices)
        self._m = np.zeros(size, dtype=dtype)
        self._v = np.zeros(size, dtype=dtype)
        self._state = [self._m, self._v]

    def _apply_l2(self, params, grads, grad_scale=1.0):
        if not self.decoupled:
            super()._apply_l2(params, grads, grad_scale)
            return
        wd = self.settings["weight_decay"]
        if wd:
            for s in self.decay_slices:
                params[s] *= 1.0 - self._lr * wd

    def step(self, params, grads, lr, grad_scale=1.0, meanwhile=None):
        self._lr = float(lr)
        super().step(params, grads, lr, grad_scale, meanwhile)

    def _constants(self, lr):
        b1, b2, eps = self.settings["beta1"], self.settings["beta2"], self.settings["epsilon"]
        t = self.steps
        s = math.sqrt((1.0 - b2) / (1.0 - b2**t))
        scale = lr * (1.0 - b1) / ((1.0 - b1**t) * s)
        # Python floats, not NumPy float64 scalars: with those, every pass over a float32
        # vector would run in float64 with a conversion per element (about 5x slower).
        return float(b1), float(b2), float(eps / s), float(scale)

    def _passes(self, lo, hi, params, grads, consts):
        b1, b2, eps, scale = consts
        m, v, tmp = self._m[lo:hi], self._v[lo:hi], self._tmp[lo:hi]
        params, grads = params[lo:hi], grads[lo:hi]
        m *= b1
        m += grads
        np.square(grads, out=tmp)
        v *= b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= scale
        params -= tmp


class AdamW(Adam):
    decoupled = True


_CLASSES = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "rmsprop": RMSProp,
            "adam": Adam, "adamw": AdamW}


def make_optimizer(settings: dict, size: int, dtype, decay_slices: list[slice]) -> Optimizer:
    name = settings["name"]
    values = {k: v for k, v in settings.items() if k != "name"}
    return _CLASSES[name](size, dtype, values, decay_slices)
