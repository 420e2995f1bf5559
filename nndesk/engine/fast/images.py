"""The image layers' step with the batch innermost: convolution, pooling, batch norm, flatten.

The formulas are the core's (``nndesk/engine/convolution.py``, ``batchnorm.py``). What differs
is the layout: here a batch of images is (C, H, W, N), so that every shifted or strided slice
of it is made of runs of at least N contiguous numbers, and

- a convolution's im2col matrix is (C·kh·kw, OH·OW·N), filled by kh·kw copies of whole
  shifted slices of the input; one product with the (F, C·kh·kw) kernels gives the output
  (F, OH·OW·N), which is already the next layer's (C, H, W, N) input (``ConvKernel`` takes
  blocks of B output columns as one position, which makes its products faster);
- col2im adds the blocks of the input gradient's matrix, each contiguous, back into shifted
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


def _shifted(x, u, v, s, sw, oh, ow):
    """x[:, s·i + u, sw·j + v, :] for every output position (i, j): a view."""
    return x[:, u:u + s * oh:s, v:v + sw * ow:sw]


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
    """im2col and two GEMMs, with the bias folded into them (a row of ones under the columns,
    the bias beside the kernels: no pass over the output to add it, nor one to sum db).

    Column blocks: ``B`` adjacent output columns make one position. The columns then hold
    the ``s·(B-1) + kw`` input columns a block reads, the kernel matrix is ``B`` shifted
    copies of the kernels (zeros elsewhere), and the products have B times more rows over a
    B times shorter K. That pays twice: a thin kernel matrix (a first layer on one channel,
    (6, 25) by (25, 100352)) runs at a seventh of OpenBLAS's peak, and with B = 4 ((24, 41)
    by (41, 25088)) about 1.5x faster; and the im2col and col2im copies shrink (B = 2 on
    LeNet's second layer: 40% fewer numbers, as fast products). The price, one transposing
    copy of dz and an activation that reads the product through a view, grows with the
    output map, so kernels of fewer than 25 weights get no blocks (B = 4 up to 8 kernels,
    else 2)."""

    def __init__(self, layer):
        self.layer = layer
        self.activation = ACTIVATIONS[layer.activation.name]
        self.c, self.h, self.w = layer.input_shape
        self.f, self.oh, self.ow = layer.output_shape
        self.kh, self.kw, self.s, (self.ph, self.pw) = layer.kh, layer.kw, layer.stride, layer.pad
        weights = self.c * self.kh * self.kw  # blocks of tiny kernels cost more than they save
        widths = (1,) if weights < 25 else (4, 2, 1) if self.f <= 8 else (2, 1)
        self.bw = next(b for b in widths if self.ow % b == 0)  # B
        self.wr = self.s * (self.bw - 1) + self.kw  # input columns a block reads
        self.k = k = self.c * self.kh * self.wr
        self.owb = self.ow // self.bw
        blocks = self.oh * self.owb
        self.wb = np.zeros((self.f, self.bw, k + 1), layer.W.dtype)  # kernels, then bias
        hp, wp = self.h + 2 * self.ph, self.w + 2 * self.pw

        def make(n, dt):
            cols = np.empty((k + 1, n * blocks), dt)
            cols[k] = 1.0
            apart = self.bw > 1 or self.activation.needs_z  # z and a in their own arrays
            return {"xp": np.zeros((self.c, hp, wp, n), dt) if self.ph or self.pw else None,
                    "cols": cols, "z": np.empty((self.f * self.bw, n * blocks), dt),
                    "a": np.empty((self.f, self.oh, self.owb, self.bw, n), dt) if apart else None,
                    "dz": np.empty((self.f * self.bw, n * blocks), dt) if self.bw > 1 else None,
                    "dwb": np.empty((self.f * self.bw, k + 1), dt),
                    "dcols": None, "dxp": None}
        self.work = _Work(make)

    def _blocked(self, a):
        """(F·B, OH·(OW/B)·N) as (F, OH, OW/B, B, N): output (i, B·jb + t) at row (f, t)."""
        return a.reshape(self.f, self.bw, self.oh, self.owb, -1).transpose(0, 2, 3, 1, 4)

    def forward(self, x):
        n, s, k = x.shape[-1], self.s, self.k
        w = self._w = self.work.get(n, x.dtype)
        xp = w["xp"]
        if xp is not None:
            xp[:, self.ph:self.ph + self.h, self.pw:self.pw + self.w] = x
        else:
            xp = x
        cols = w["cols"][:k].reshape(self.c, self.kh, self.wr, self.oh, self.owb, n)
        for u in range(self.kh):
            for v in range(self.wr):
                cols[:, u, v] = _shifted(xp, u, v, s, s * self.bw, self.oh, self.owb)
        kernels = self.wb[:, :, :k].reshape(self.f, self.bw, self.c, self.kh, self.wr)
        for t in range(self.bw):
            kernels[:, t, :, :, s * t:s * t + self.kw] = self.layer.W
        self.wb[:, :, k] = self.layer.b[:, None]
        z = self.z = self._blocked(np.matmul(self.wb.reshape(len(w["z"]), -1), w["cols"],
                                             out=w["z"]))
        self.a = self.activation.forward(z, z if w["a"] is None else w["a"])
        return self.a.reshape(self.f, self.oh, self.ow, n)

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        w, n, s, k = self._w, grad.shape[-1], self.s, self.k
        dz = self.activation.backward(grad.reshape(self.a.shape), self.z, self.a)
        if w["dz"] is not None:
            self._blocked(w["dz"])[...] = dz
            dz = w["dz"]
        dz = dz.reshape(len(w["z"]), -1)
        cols = w["cols"]
        dwb = np.matmul(dz, cols.T, out=w["dwb"]).reshape(self.f, self.bw, k + 1)
        self.layer.db[...] = dwb[:, :, k].sum(axis=1)
        per_block = dwb[:, :, :k].reshape(self.f, self.bw, self.c, self.kh, self.wr)
        dW = self.layer.dW
        dW[...] = per_block[:, 0, :, :, :self.kw]
        for t in range(1, self.bw):
            dW += per_block[:, t, :, :, s * t:s * t + self.kw]
        if not input_grad:
            return None
        if w["dcols"] is None:
            w["dcols"] = np.empty((k, cols.shape[1]), dz.dtype)
            w["dxp"] = np.empty((self.c, self.h + 2 * self.ph, self.w + 2 * self.pw, n), dz.dtype)
        kernels = self.wb.reshape(len(dz), -1)[:, :k]
        dcols = np.matmul(kernels.T, dz, out=w["dcols"]).reshape(
            self.c, self.kh, self.wr, self.oh, self.owb, n)
        dxp = w["dxp"]
        dxp[...] = 0.0
        for u in range(self.kh):
            for v in range(self.wr):
                _shifted(dxp, u, v, s, s * self.bw, self.oh, self.owb)[...] += dcols[:, u, v]
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
