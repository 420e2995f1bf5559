"""The image layers' step, channels last: convolution, pooling, batch norm and flatten.

The formulas are the core's (``nndesk/engine/convolution.py``, ``batchnorm.py``). What differs
is the layout: here a batch of images is (N, H, W, C), so that

- a convolution's im2col rows are (kh, kw, C) windows copied once into a work array, its
  kernels one (kh·kw·C, F) matrix, and its output (N·OH·OW, F) is already the next layer's
  (N, OH, OW, C) input: one matrix product and no transposes of the activations;
- col2im adds kh·kw strided slices whose innermost axis, the channel, is contiguous;
- batch norm's per-channel statistics are reductions over every axis but the last, the same
  code after a convolution and after a dense layer;
- pooling takes the maximum (or mean) of k·k whole strided slices, and max pooling hands the
  gradient to the first largest value of each window with k·k comparisons of such slices
  instead of an argmax over a gathered copy.

Only ``flatten`` moves the values into the core's (C, H, W) order, where dense layers take
over. Kernels train the network's own parameters in place.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .activations import ACTIVATIONS


def _window_view(xp, kh, kw, s, oh, ow):
    """Every (kh, kw) window of xp (N, Hp, Wp, C), s apart: (N, OH, OW, kh, kw, C), a view."""
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    return as_strided(xp, (n, oh, ow, kh, kw, c), (sn, s * sh, s * sw, sh, sw, sc),
                      writeable=False)


class _Work:
    """Work arrays by batch size (the last batch of an epoch is smaller)."""

    def __init__(self, make):
        self._make, self._by_size = make, {}

    def get(self, n, dtype):
        work = self._by_size.get((n, dtype))
        if work is None:
            if len(self._by_size) > 3:
                self._by_size.clear()
            work = self._by_size[(n, dtype)] = self._make(n, dtype)
        return work


class ConvKernel:
    def __init__(self, layer):
        self.layer = layer
        self.activation = ACTIVATIONS[layer.activation.name]
        self.c, self.h, self.w = layer.input_shape
        self.f, self.oh, self.ow = layer.output_shape
        self.kh, self.kw, self.s, (self.ph, self.pw) = layer.kh, layer.kw, layer.stride, layer.pad
        k = self.kh * self.kw * self.c
        rows = self.oh * self.ow
        hp, wp = self.h + 2 * self.ph, self.w + 2 * self.pw
        self.work = _Work(lambda n, dt: {
            "xp": np.zeros((n, hp, wp, self.c), dt) if self.ph or self.pw else None,
            "cols": np.empty((n * rows, k), dt), "z": np.empty((n * rows, self.f), dt),
            "a": np.empty((n * rows, self.f), dt) if self.activation.needs_z else None,
            "dcols": None, "dxp": None, "ones": np.ones(n * rows, dt)})

    def forward(self, x):
        n = len(x)
        w = self.work.get(n, x.dtype)
        xp = w["xp"]
        if xp is not None:
            xp[:, self.ph:self.ph + self.h, self.pw:self.pw + self.w] = x
        else:
            xp = x
        self._w = w
        cols6 = w["cols"].reshape(n, self.oh, self.ow, self.kh, self.kw, self.c)
        np.copyto(cols6, _window_view(xp, self.kh, self.kw, self.s, self.oh, self.ow))
        # (kh·kw·C, F), contiguous: a strided view would send np.dot off BLAS
        self.W = np.ascontiguousarray(self.layer.W.transpose(2, 3, 1, 0).reshape(-1, self.f))
        z = np.dot(w["cols"], self.W, out=w["z"])
        z += self.layer.b
        self.z = z
        self.a = self.activation.forward(z, z if w["a"] is None else w["a"])
        return self.a.reshape(n, self.oh, self.ow, self.f)

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        w, n = self._w, len(grad)
        g = grad.reshape(-1, self.f)
        dz = self.activation.backward(g, self.z, self.a)
        dW = np.dot(w["cols"].T, dz)
        self.layer.dW[...] = dW.reshape(self.kh, self.kw, self.c, self.f).transpose(3, 2, 0, 1)
        np.dot(w["ones"], dz, out=self.layer.db)
        if not input_grad:
            return None
        if w["dcols"] is None:
            w["dcols"] = np.empty_like(w["cols"])
            w["dxp"] = np.empty((n, self.h + 2 * self.ph, self.w + 2 * self.pw, self.c), dz.dtype)
        dcols = np.dot(dz, self.W.T, out=w["dcols"]).reshape(
            n, self.oh, self.ow, self.kh, self.kw, self.c)
        dxp, s = w["dxp"], self.s
        dxp[...] = 0.0
        for u in range(self.kh):
            for v in range(self.kw):
                dxp[:, u:u + s * self.oh:s, v:v + s * self.ow:s] += dcols[:, :, :, u, v]
        return dxp[:, self.ph:self.ph + self.h, self.pw:self.pw + self.w]


class PoolKernel:
    def __init__(self, layer):
        self.max = layer.kind == "maxpool2d"
        self.k, self.s = layer.k, layer.stride
        self.c, self.h, self.w = layer.input_shape
        _, self.oh, self.ow = layer.output_shape

    def _offsets(self):
        k, s = self.k, self.s
        for u in range(k):
            for v in range(k):
                yield u, v, (slice(None), slice(u, u + s * self.oh, s), slice(v, v + s * self.ow, s))

    def forward(self, x):
        """The max (or the sum, then the mean) of the window's k·k offset slices, each a
        strided view with contiguous channels: k·k whole-array passes instead of a reduction
        over a 6-D view."""
        slices = (x[where] for _, _, where in self._offsets())
        out = np.array(next(slices))
        for part in slices:
            (np.maximum if self.max else np.add)(out, part, out=out)
        if not self.max:
            out *= 1.0 / (self.k * self.k)
        self.x, self.out = x, out
        return out

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        if not input_grad:
            return None
        tiled = self.s == self.k  # windows that do not overlap each own their slice of dx
        covered = tiled and self.oh * self.k == self.h and self.ow * self.k == self.w
        dx = (np.empty if covered and self.max else np.zeros)(self.x.shape, grad.dtype)
        if not self.max:
            share = grad * (1.0 / (self.k * self.k))
            for _, _, where in self._offsets():
                dx[where] += share
            return dx
        # In the core's order the first largest wins (won and not taken: won > taken).
        taken = np.zeros(self.out.shape, bool)
        won = np.empty(self.out.shape, bool)
        for _, _, where in self._offsets():
            np.equal(self.x[where], self.out, out=won)
            np.greater(won, taken, out=won)
            taken |= won
            if tiled:
                np.multiply(grad, won, out=dx[where])
            else:
                dx[where] += grad * won
        return dx


class BatchNormKernel:
    """Per channel, the last axis of (N, H, W, C) images or of (N, units) rows."""

    def __init__(self, layer):
        self.layer = layer
        self.activation = ACTIVATIONS[layer.activation.name]

    def forward(self, x):
        layer, axes = self.layer, tuple(range(x.ndim - 1))
        m = x.size // x.shape[-1]
        mu, var = x.mean(axis=axes), x.var(axis=axes)
        self.inv_std = 1.0 / np.sqrt(var + layer.eps)
        self.x_hat = (x - mu) * self.inv_std
        self.y = layer.gamma * self.x_hat + layer.beta
        self.a = self.activation.forward(
            self.y, np.empty_like(self.y) if self.activation.needs_z else self.y)
        unbiased = var * m / (m - 1) if m > 1 else var
        layer.running_mean[...] = (1 - layer.momentum) * layer.running_mean + layer.momentum * mu
        layer.running_var[...] = (1 - layer.momentum) * layer.running_var + layer.momentum * unbiased
        return self.a

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        layer, axes = self.layer, tuple(range(grad.ndim - 1))
        dy = self.activation.backward(grad, self.y, self.a)
        dy_xhat = dy * self.x_hat
        layer.dgamma[...] = dy_xhat.sum(axis=axes)
        layer.dbeta[...] = dy.sum(axis=axes)
        if not input_grad:
            return None
        return (layer.gamma * self.inv_std) * (dy - dy.mean(axis=axes)
                                               - self.x_hat * dy_xhat.mean(axis=axes))


class FlattenKernel:
    """(N, H, W, C) images to (N, C·H·W) rows in the core's (C, H, W) order, and back."""

    def __init__(self, layer):
        self.c, self.h, self.w = layer.input_shape

    def forward(self, x):
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2)).reshape(len(x), -1)

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        if not input_grad:
            return None
        return grad.reshape(len(grad), self.c, self.h, self.w).transpose(0, 2, 3, 1)
