"""The optimizers of ``nndesk.engine.optimizers``, as in-place passes on two cores.

Each update rule is the published one (see the core module), written as a sequence of
in-place passes over the flat vectors with one preallocated scratch vector, and run by
``Halves`` over two halves of the vector on two threads when that measures faster. Every
element goes through the same operations either way, so the result does not depend on it.

Two more things only this path does:

- ``fixed``: leading elements the update leaves alone. The plan puts the first layer's
  weights from inputs that are zero in every sample there (``inputorder.py``): their
  gradients are always zero, so without weight decay no rule would move them.
- Running averages of gradients that stay zero decay geometrically towards subnormal numbers,
  which make every later pass over them many times slower. Every FLUSH_EVERY steps, the
  subnormal ones (below the dtype's smallest normal number) are set to zero.

The running averages are the core optimizer's own arrays (``Optimizer.state``), so that a
trainer's later runs, on either path, go on from them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

import numpy as np

from .halves import Halves

FLUSH_EVERY = 64


class Update(ABC):
    """An optimizer's rule over ``params[fixed:]``; subclasses write ``_passes``."""

    decoupled = False
    slots: tuple[str, ...] = ()  # the names of its running averages in ``state``

    def __init__(self, size: int, dtype, settings: dict, decay_slices: list[slice],
                 two_threads: str = "auto", state: dict | None = None, t: int = 0):
        self.settings = {k: float(v) for k, v in settings.items() if k != "name"}
        self.decay_slices = decay_slices
        self.t = t
        self._tmp = np.empty(size, dtype=dtype)
        state = state or {}
        self._state = [state[name] if name in state else np.zeros(size, dtype=dtype)
                       for name in self.slots]
        self._tiny = float(np.finfo(dtype).tiny)
        self._mask: np.ndarray | None = None
        self._halves = Halves(size, mode=two_threads)

    @property
    def fixed(self) -> int:
        return self._halves.start

    @fixed.setter
    def fixed(self, n: int) -> None:
        self._halves.start = int(n)

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float,
             meanwhile: Callable[[], object] | None = None) -> None:
        """Update ``params`` in place from ``grads``; ``meanwhile``, a job that touches
        neither (gathering the next batch), runs once, while the second thread finishes."""
        self.t += 1
        lr = float(lr)  # a NumPy float64 scalar would make float32 passes run in float64
        wd = self.settings.get("weight_decay", 0.0)
        for s in self.decay_slices if wd else ():
            if self.decoupled:
                params[s] *= 1.0 - lr * wd
            else:
                np.multiply(params[s], wd, out=self._tmp[s])
                grads[s] += self._tmp[s]
        self._halves(self._passes, params, grads, self._constants(lr), meanwhile=meanwhile)
        if self._state and self.t % FLUSH_EVERY == 0:
            self._flush_subnormals()

    def _constants(self, lr: float):
        return lr

    @abstractmethod
    def _passes(self, lo, hi, params, grads, consts) -> None:
        """The rule's passes over elements ``lo:hi`` (independent of the others')."""

    def _flush_subnormals(self) -> None:
        if self._mask is None:
            self._mask = np.empty(self._tmp.size, dtype=bool)
        tmp, mask = self._tmp, self._mask
        for arr in self._state:
            np.abs(arr, out=tmp)
            np.greater_equal(tmp, self._tiny, out=mask)  # False for NaN, which stays NaN
            np.multiply(arr, mask, out=arr)  # 10x faster than np.copyto(..., where=)


class SGD(Update):
    def _passes(self, lo, hi, params, grads, lr):
        tmp = self._tmp[lo:hi]
        np.multiply(grads[lo:hi], lr, out=tmp)
        params[lo:hi] -= tmp


class Momentum(Update):
    nesterov = False
    slots = ("v",)

    def _passes(self, lo, hi, params, grads, lr):
        mu, v, tmp = self.settings["momentum"], self._state[0][lo:hi], self._tmp[lo:hi]
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


class RMSProp(Update):
    slots = ("s",)

    def _passes(self, lo, hi, params, grads, lr):
        rho, eps = self.settings["rho"], self.settings["epsilon"]
        sq, tmp, params, grads = self._state[0][lo:hi], self._tmp[lo:hi], params[lo:hi], grads[lo:hi]
        sq *= rho
        np.square(grads, out=tmp)
        tmp *= 1.0 - rho
        sq += tmp
        np.sqrt(sq, out=tmp)
        tmp += eps
        np.divide(grads, tmp, out=tmp)
        tmp *= lr
        params -= tmp


class Adam(Update):
    slots = ("m", "v")

    def _constants(self, lr):
        b1, b2, t = self.settings["beta1"], self.settings["beta2"], self.t
        return lr / (1.0 - b1**t), 1.0 / (1.0 - b2**t)  # lr * m_hat / m, v_hat / v

    def _passes(self, lo, hi, params, grads, consts):
        lr_m, v_scale = consts
        b1, b2, eps = self.settings["beta1"], self.settings["beta2"], self.settings["epsilon"]
        m, v, tmp = self._state[0][lo:hi], self._state[1][lo:hi], self._tmp[lo:hi]
        params, grads = params[lo:hi], grads[lo:hi]
        m *= b1  # m = b1 m + (1 - b1) g
        np.multiply(grads, 1.0 - b1, out=tmp)
        m += tmp
        v *= b2  # v = b2 v + (1 - b2) g^2
        np.square(grads, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        np.multiply(v, v_scale, out=tmp)  # sqrt(v_hat) + eps
        np.sqrt(tmp, out=tmp)
        tmp += eps
        np.divide(m, tmp, out=tmp)  # p -= lr m_hat / (sqrt(v_hat) + eps)
        tmp *= lr_m
        params -= tmp


class AdamW(Adam):
    decoupled = True


CLASSES = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "rmsprop": RMSProp,
           "adam": Adam, "adamw": AdamW}


def make_update(settings: dict, size: int, dtype, decay_slices: list[slice],
                two_threads: str = "auto", state: dict | None = None, t: int = 0) -> Update:
    return CLASSES[settings["name"]](size, dtype, settings, decay_slices, two_threads, state, t)
