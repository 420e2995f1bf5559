"""Layers on images: convolution, max and average pooling, and flatten.

A batch of images x is (N, C, H, W); between layers it travels flat (see ``layers.py``) and is
viewed as (N, C, H, W) here. With kernels W (F, C, kh, kw), biases b (F,), stride s and zero
padding p, the output is (N, F, OH, OW) with OH = (H + 2p - kh) / s + 1 (OW alike):

    im2col:    cols[n, c, i, j, u, v] = xp[n, c, s·i + u, s·j + v]
               (every kernel-sized window of the padded input xp: a strided view, no copy)
    forward:   z[n, f, i, j] = sum over c, u, v of cols[n, c, i, j, u, v] · W[f, c, u, v] + b[f]
               (one matrix product)
               a = f(z)
    backward:  dW[f, c, u, v] = sum over n, i, j of dz[n, f, i, j] · cols[n, c, i, j, u, v]
               db[f] = sum over n, i, j of dz[n, f, i, j]
               dcols[n, c, i, j, u, v] = sum over f of dz[n, f, i, j] · W[f, c, u, v]
    col2im:    dxp[n, c, s·i + u, s·j + v] += dcols[n, c, i, j, u, v]; dx is dxp without p

Pooling takes the same windows of its input, unpadded, with a stride that defaults to the pool
size: max pooling keeps each window's largest value and hands the gradient back to it (to the
first, when several tie, as PyTorch does); average pooling keeps the mean and spreads the
gradient evenly over the window.
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS
from .initializers import INITIALIZERS
from .layers import Layer, shape_text


def windows(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """Every (kh, kw) window of x (N, C, H, W), ``stride`` apart: (N, C, OH, OW, kh, kw), a view."""
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def col2im(dcols: np.ndarray, shape: tuple, stride: int) -> np.ndarray:
    """The adjoint of ``windows``: each window's gradient added back where it was taken."""
    _, _, oh, ow, kh, kw = dcols.shape
    dx = np.zeros(shape, dcols.dtype)
    for u in range(kh):
        for v in range(kw):
            dx[:, :, u:u + stride * oh:stride, v:v + stride * ow:stride] += dcols[:, :, :, :, u, v]
    return dx


def image_shape(input_shape, what: str) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise ValueError(f"{what} takes images shaped channels x height x width, and its input "
                         f"is {shape_text(input_shape)}" + (
                             ": set the input shape to [1, 28, 28] for MNIST"
                             if len(input_shape) == 1 else ""))
    return tuple(int(d) for d in input_shape)


def kernel_pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else (int(value[0]), int(value[1]))


def window_count(size: int, kernel: int, stride: int, what: str, where: str) -> int:
    """How many windows of ``kernel`` fit ``stride`` apart in ``size``; ``what`` names the
    window's side ("the kernel height"), ``where`` the input's ("padded height")."""
    if kernel > size:
        raise ValueError(f"{what} of {kernel} is larger than its input's {where} of {size}")
    return (size - kernel) // stride + 1


class Conv2D(Layer):
    kind = "conv2d"

    def __init__(self, config):
        super().__init__(config)
        self.activation = ACTIVATIONS[config.get("activation", "relu")]
        self.kh, self.kw = kernel_pair(config.get("kernel_size", 3))
        self.stride = int(config.get("stride", 1))
        self.cols = self.z = self.a = None

    def build(self, input_shape):
        c, h, w = image_shape(input_shape, "a conv2d layer")
        padding = self.config.get("padding", "valid")
        if padding == "same":
            if self.stride != 1 or self.kh % 2 == 0 or self.kw % 2 == 0:
                raise ValueError("'same' padding needs stride 1 and an odd kernel size; give "
                                 "the padding as a number instead")
            self.pad = (self.kh - 1) // 2, (self.kw - 1) // 2
        else:
            self.pad = (0, 0) if padding == "valid" else (int(padding), int(padding))
        f = int(self.config["filters"])
        oh = window_count(h + 2 * self.pad[0], self.kh, self.stride, "the kernel height",
                          "padded height")
        ow = window_count(w + 2 * self.pad[1], self.kw, self.stride, "the kernel width",
                          "padded width")
        self.input_shape, self.output_shape = (c, h, w), (f, oh, ow)
        self.weight_count = f * c * self.kh * self.kw
        self.param_count = self.weight_count + f
        self.macs = self.weight_count * oh * ow
        self.workspace = 2 * oh * ow * c * self.kh * self.kw  # im2col copies, per sample
        return self.output_shape

    def bind(self, params, grads, rng, default_initializer):
        f, c, kh, kw = self.output_shape[0], self.input_shape[0], self.kh, self.kw
        n = self.weight_count
        self.W, self.b = params[:n].reshape(f, c, kh, kw), params[n:]
        self.dW, self.db = grads[:n].reshape(f, c, kh, kw), grads[n:]
        if rng is not None:
            init = INITIALIZERS[self.config.get("initializer") or default_initializer]
            self.W[...], self.b[...] = init(rng, c * kh * kw, f * kh * kw, self.W.shape)

    def _cols_and_z(self, x):
        x = x.reshape(len(x), *self.input_shape)
        ph, pw = self.pad
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        cols = windows(xp, self.kh, self.kw, self.stride)
        z = np.tensordot(cols, self.W, axes=([1, 4, 5], [1, 2, 3]))  # (N, OH, OW, F)
        z = z.transpose(0, 3, 1, 2) + self.b[:, None, None]
        return cols, z.reshape(len(x), -1)

    def infer(self, x):
        _, z = self._cols_and_z(x)
        return self.activation.forward(z), z

    def forward(self, x, training):
        if not training:
            return self.infer(x)[0]
        self.cols, self.z = self._cols_and_z(x)
        self.a = self.activation.forward(self.z)
        return self.a

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        dz = grad if grad_is_dz else self.activation.backward(grad, self.z, self.a)
        n = len(dz)
        dz = dz.reshape(n, *self.output_shape)
        self.dW[...] = np.tensordot(dz, self.cols, axes=([0, 2, 3], [0, 2, 3]))
        self.db[...] = dz.sum(axis=(0, 2, 3))
        return self.input_gradient(None, dz) if input_grad else None

    def input_gradient(self, x, dz):
        n = len(dz)
        dz = dz.reshape(n, *self.output_shape)
        dcols = np.tensordot(dz, self.W, axes=([1], [0])).transpose(0, 3, 1, 2, 4, 5)
        c, h, w = self.input_shape
        ph, pw = self.pad
        dxp = col2im(dcols, (n, c, h + 2 * ph, w + 2 * pw), self.stride)
        return dxp[:, :, ph:ph + h, pw:pw + w].reshape(n, -1)

    def weights(self):
        return {"weight": self.W, "bias": self.b}

    def gradients(self):
        return {"weight": self.dW, "bias": self.db}


class Pool2D(Layer):
    """What max and average pooling share: the windows and the shapes."""

    def __init__(self, config):
        super().__init__(config)
        self.k = int(config.get("pool_size", 2))
        self.stride = int(config.get("stride") or self.k)

    def build(self, input_shape):
        c, h, w = image_shape(input_shape, f"a {self.kind} layer")
        oh = window_count(h, self.k, self.stride, "the pool size", "height")
        ow = window_count(w, self.k, self.stride, "the pool size", "width")
        self.input_shape, self.output_shape = (c, h, w), (c, oh, ow)
        self.macs = c * oh * ow * self.k * self.k
        return self.output_shape

    def _windows(self, x):
        return windows(x.reshape(len(x), *self.input_shape), self.k, self.k, self.stride)

    def _spread(self, g, weight_of):
        """dx from the output gradient g: each window offset (u, v) gets g times its weight."""
        n, k, s = len(g), self.k, self.stride
        _, oh, ow = self.output_shape
        g = g.reshape(n, *self.output_shape)
        dx = np.zeros((n, *self.input_shape), g.dtype)
        for u in range(k):
            for v in range(k):
                dx[:, :, u:u + s * oh:s, v:v + s * ow:s] += g * weight_of(u, v)
        return dx.reshape(n, -1)


class MaxPool2D(Pool2D):
    kind = "maxpool2d"

    def infer(self, x):
        return self._windows(x).max(axis=(4, 5)).reshape(len(x), -1), None

    def _flat_windows(self, x):
        win = self._windows(x)
        return win.reshape(*win.shape[:4], self.k * self.k)

    def forward(self, x, training):
        if not training:
            return self.infer(x)[0]
        flat = self._flat_windows(x)
        self.argmax = flat.argmax(axis=-1)  # which offset u·k + v won, per window
        return np.take_along_axis(flat, self.argmax[..., None], -1).reshape(len(x), -1)

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        if not input_grad:
            return None
        return self._spread(grad, lambda u, v: self.argmax == u * self.k + v)

    def input_gradient(self, x, dz):
        argmax = self._flat_windows(x).argmax(axis=-1)
        return self._spread(dz, lambda u, v: argmax == u * self.k + v)


class AvgPool2D(Pool2D):
    kind = "avgpool2d"

    def infer(self, x):
        return self._windows(x).mean(axis=(4, 5)).reshape(len(x), -1), None

    def forward(self, x, training):
        return self.infer(x)[0]

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        return self.input_gradient(None, grad) if input_grad else None

    def input_gradient(self, x, dz):
        share = 1.0 / (self.k * self.k)
        return self._spread(dz, lambda u, v: share)


class Flatten(Layer):
    """An image's C·H·W values as one row, in (C, H, W) order: the batch already travels so."""

    kind = "flatten"

    def build(self, input_shape):
        self.input_shape, self.output_shape = tuple(input_shape), (int(np.prod(input_shape)),)
        return self.output_shape
