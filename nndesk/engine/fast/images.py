"""The image layers' step with the batch innermost: convolution, pooling, batch norm, flatten.

The formulas are the core's (``nndesk/engine/convolution.py``, ``batchnorm.py``). What differs
is the layout: here a batch of images is (C, H, W, N), so that every shifted or strided slice
of it is made of runs of at least N contiguous numbers, and

- a convolution's im2col matrix is (C·kh·kw, OH·OW·N), filled by kh·kw copies of whole
  shifted slices of the input; its kernels are the network's own (F, C·kh·kw) matrix, with no
  transpose; one product gives the output (F, OH·OW·N), which is already the next layer's
  (C, H, W, N) input, and another the kernels' gradient in their own layout;
- col2im adds kh·kw blocks of the input gradient's matrix, each contiguous, back into shifted
  slices;
- pooling takes the maximum (or mean) of k·k whole strided slices, and max pooling hands the
  gradient to the first largest value of each window with k·k comparisons of such slices
  instead of an argmax over a gathered copy;
- batch norm's per-channel statistics are reductions along the rows of a (C, everything else)
  view, the same code after a convolution and (transposed) after a dense layer.

(cuda-convnet kept its images so, for the same reason.)

Only ``flatten`` moves the values into the core's (N, C·H·W) rows, where dense layers take
over. Kernels train the network's own parameters in place.
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS


def _shifted(x, u, v, s, oh, ow):
    """x[:, s·i + u, s·j + v, :] for every output position (i, j): a view."""
    return x[:, u:u + s * oh:s, v:v + s * ow:s]


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
        k = self.c * self.kh * self.kw
        rows = self.oh * self.ow
        hp, wp = self.h + 2 * self.ph, self.w + 2 * self.pw
        self.work = _Work(lambda n, dt: {
            "xp": np.zeros((self.c, hp, wp, n), dt) if self.ph or self.pw else None,
            "cols": np.empty((k, n * rows), dt), "z": np.empty((self.f, n * rows), dt),
            "a": np.empty((self.f, n * rows), dt) if self.activation.needs_z else None,
            "dcols": None, "dxp": None, "ones": np.ones(n * rows, dt)})

    def forward(self, x):
        n = x.shape[-1]
        w = self._w = self.work.get(n, x.dtype)
        xp = w["xp"]
        if xp is not None:
            xp[:, self.ph:self.ph + self.h, self.pw:self.pw + self.w] = x
        else:
            xp = x
        cols = w["cols"].reshape(self.c, self.kh, self.kw, self.oh, self.ow, n)
        for u in range(self.kh):
            for v in range(self.kw):
                cols[:, u, v] = _shifted(xp, u, v, self.s, self.oh, self.ow)
        z = np.dot(self.layer.W.reshape(self.f, -1), w["cols"], out=w["z"])
        z += self.layer.b[:, None]
        self.z = z
        self.a = self.activation.forward(z, z if w["a"] is None else w["a"])
        return self.a.reshape(self.f, self.oh, self.ow, n)

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        w, n = self._w, grad.shape[-1]
        dz = self.activation.backward(grad.reshape(self.f, -1), self.z, self.a)
        np.dot(dz, w["cols"].T, out=self.layer.dW.reshape(self.f, -1))
        np.dot(dz, w["ones"], out=self.layer.db)
        if not input_grad:
            return None
        if w["dcols"] is None:
            w["dcols"] = np.empty_like(w["cols"])
            w["dxp"] = np.empty((self.c, self.h + 2 * self.ph, self.w + 2 * self.pw, n), dz.dtype)
        dcols = np.dot(self.layer.W.reshape(self.f, -1).T, dz, out=w["dcols"]).reshape(
            self.c, self.kh, self.kw, self.oh, self.ow, n)
        dxp = w["dxp"]
        dxp[...] = 0.0
        for u in range(self.kh):
            for v in range(self.kw):
                _shifted(dxp, u, v, self.s, self.oh, self.ow)[...] += dcols[:, u, v]
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
                yield u, v, (slice(None), slice(u, u + s * self.oh, s),
                             slice(v, v + s * self.ow, s))

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
    """Per channel: the rows of a (C, everything else) view of (C, H, W, N) images, or of
    the transpose of (N, units) rows."""

    def __init__(self, layer):
        self.layer = layer
        self.activation = ACTIVATIONS[layer.activation.name]

    @staticmethod
    def _rows(x):
        return x.reshape(len(x), -1) if x.ndim == 4 else x.T

    def forward(self, x):
        layer, x2 = self.layer, self._rows(x)
        self.shape, m = x.shape, x2.shape[1]
        mu, var = x2.mean(axis=1), x2.var(axis=1)
        self.inv_std = 1.0 / np.sqrt(var + layer.eps)
        self.x_hat = (x2 - mu[:, None]) * self.inv_std[:, None]
        self.y = layer.gamma[:, None] * self.x_hat + layer.beta[:, None]
        self.a = self.activation.forward(
            self.y, np.empty_like(self.y) if self.activation.needs_z else self.y)
        unbiased = var * m / (m - 1) if m > 1 else var
        layer.running_mean[...] = (1 - layer.momentum) * layer.running_mean + layer.momentum * mu
        layer.running_var[...] = (1 - layer.momentum) * layer.running_var + layer.momentum * unbiased
        return self.a.reshape(self.shape) if len(self.shape) == 4 else self.a.T

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        layer = self.layer
        dy = self.activation.backward(np.array(self._rows(grad)), self.y, self.a)
        dy_xhat = dy * self.x_hat
        layer.dgamma[...] = dy_xhat.sum(axis=1)
        layer.dbeta[...] = dy.sum(axis=1)
        if not input_grad:
            return None
        dx = (layer.gamma * self.inv_std)[:, None] * (
            dy - dy.mean(axis=1)[:, None] - self.x_hat * dy_xhat.mean(axis=1)[:, None])
        return dx.reshape(self.shape) if len(self.shape) == 4 else dx.T


class FlattenKernel:
    """(C, H, W, N) images to (N, C·H·W) rows in the core's (C, H, W) order, and back."""

    def __init__(self, layer):
        self.c, self.h, self.w = layer.input_shape

    def forward(self, x):
        return np.ascontiguousarray(x.transpose(3, 0, 1, 2)).reshape(x.shape[-1], -1)

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        if not input_grad:
            return None
        return grad.reshape(len(grad), self.c, self.h, self.w).transpose(1, 2, 3, 0)
