"""Layers, looked up by type name in ``LAYER_TYPES``.

The contract follows Keras: settings in ``__init__``, shapes fixed in ``build``, parameters
bound to views of the network's flat parameter and gradient vectors in ``bind``, then
``forward(x, training)`` and ``backward(grad, need_input_grad)``. Data is batch-major:
``x`` is (N, features) and a dense layer computes ``x @ W + b`` with ``W`` shaped (in, out).
Inference (``forward(x, False)``, ``infer``) leaves the state of the last training step alone,
so predictions may run on another thread while a network trains.
"""

from __future__ import annotations

import threading

import numpy as np

from .activations import ACTIVATIONS
from .initializers import INITIALIZERS


class Layer:
    kind = ""
    param_count = 0

    def __init__(self, config: dict):
        self.config = dict(config)
        self.input_size = 0
        self.output_size = 0

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.output_size,)

    def build(self, input_size: int) -> int:
        self.input_size = self.output_size = input_size
        return self.output_size

    def bind(self, params, grads, rng, default_initializer: str) -> None:
        """Attach views of the flat parameter/gradient vectors and initialise them."""

    def infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The output for ``x`` in inference mode, and the pre-activation (None when there
        is none, or when the activation overwrote it)."""
        return x, None

    def weights(self, copy: bool = False) -> dict[str, np.ndarray]:
        """The parameters by name: views, or copies taken at one moment (``copy``)."""
        return {}

    def gradients(self) -> dict[str, np.ndarray]:
        return {}

    def assign(self, name: str, value) -> None:
        """Set the parameter ``name`` (a key of ``weights()``) to ``value``."""
        self.weights()[name][...] = value

    def get_config(self) -> dict:
        return {"type": self.kind, **{k: v for k, v in self.config.items() if k != "type"}}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(config)


class _Buffers:
    """Per-batch-size work arrays of a dense layer, reused from step to step."""

    __slots__ = ("z", "a", "tmp", "dx", "ones")

    def __init__(self, n, n_out, dtype, in_place, tmp):
        self.z = np.empty((n, n_out), dtype=dtype)
        self.a = self.z if in_place else np.empty_like(self.z)
        self.tmp = np.empty_like(self.z) if tmp else None  # for the activation's backward
        self.dx = None  # the input gradient, made on first use (the first layer needs none)
        self.ones = np.ones(n, dtype=dtype)  # column sums as one matrix-vector product


class Dense(Layer):
    """``x @ W + b``, then the activation.

    In training, the products go through ``np.dot`` into preallocated arrays when the dtypes
    match (half a microsecond less per call than ``np.matmul``, which counts at batch size 10),
    and the bias gradient is ``ones @ dz`` (a matrix-vector product, 2x faster than a sum over
    axis 0).

    ``input_span``, set for one training forward pass (``Network.train_step``), says that
    the batch's input columns outside ``lo:hi`` are all zero (the blank border of MNIST
    digits): both products then leave those columns and the matching rows of ``W`` out.

    A trainer may keep the rows of ``W`` and ``dW`` in another order of the input features
    for a run (``reorder_rows``, see ``inputorder.py``); training inputs then come in that
    order, while inference, ``weights()`` and ``gradients()`` keep the features' own.
    """

    kind = "dense"

    def __init__(self, config):
        super().__init__(config)
        self.activation = ACTIVATIONS[config.get("activation", "linear")]
        # relu, sigmoid, tanh and linear can overwrite z with a: backward needs only a.
        self._in_place = not self.activation.needs_z and self.activation.name != "softmax"
        self._buffers: dict[int, _Buffers] = {}
        self._bufs: _Buffers | None = None  # those of the last training forward pass
        self.x = self.z = self.a = None
        self.input_span: tuple[int, int] | None = None  # for the next forward pass only
        self._span: tuple[int, int] | None = None  # the one the last forward pass used
        self.row_order: np.ndarray | None = None  # see reorder_rows
        self._row_inverse: np.ndarray | None = None
        self._rows_lock = threading.Lock()  # inference on another thread vs. reorder_rows

    def build(self, input_size):
        self.input_size = input_size
        self.output_size = int(self.config["units"])
        self.param_count = self.input_size * self.output_size + self.output_size
        return self.output_size

    def bind(self, params, grads, rng, default_initializer):
        n_in, n_out = self.input_size, self.output_size
        self.W = params[: n_in * n_out].reshape(n_in, n_out)
        self.b = params[n_in * n_out:]
        self.dW = grads[: n_in * n_out].reshape(n_in, n_out)
        self.db = grads[n_in * n_out:]
        if rng is not None:
            init = INITIALIZERS[self.config.get("initializer") or default_initializer]
            w, b = init(rng, n_in, n_out)
            self.W[...] = w
            self.b[...] = b

    def _buffers_for(self, n: int, dtype) -> _Buffers:
        bufs = self._buffers.get(n)
        if bufs is None or bufs.z.dtype != dtype:
            if len(self._buffers) > 3:
                self._buffers.clear()
            bufs = self._buffers[n] = _Buffers(n, self.output_size, dtype, self._in_place,
                                               self.activation.uses_tmp)
        return bufs

    def reorder_rows(self, order: np.ndarray | None) -> None:
        """Keep the rows of ``W`` and ``dW`` in ``order`` of the input features (a
        permutation), or in their own order again (None); training inputs must then have
        their columns in the same order."""
        with self._rows_lock:
            if self._row_inverse is not None:
                self._permute_rows(self._row_inverse)
                self.row_order = self._row_inverse = None
            if order is not None:
                inverse = np.argsort(order)
                self._permute_rows(order)
                self.row_order, self._row_inverse = order, inverse

    def _permute_rows(self, rows: np.ndarray) -> None:
        w, dw = self.W[rows], self.dW[rows]  # both first: out of memory leaves them as they were
        self.W[...] = w
        self.dW[...] = dw

    def _natural(self, arr: np.ndarray) -> np.ndarray:
        """``W`` or ``dW`` with its rows in the input features' own order (a copy while
        they are reordered)."""
        return arr if self._row_inverse is None else arr[self._row_inverse]

    def infer(self, x):
        with self._rows_lock:
            z = x @ self._natural(self.W)
        z += self.b
        a = self.activation.forward(z, z if self._in_place else np.empty_like(z))
        return a, None if a is z else z

    def forward(self, x, training):
        if not training:
            return self.infer(x)[0]
        W = self.W
        span, self.input_span = self.input_span, None
        bufs = self._bufs
        if bufs is None or len(bufs.z) != len(x):
            bufs = self._bufs = self._buffers_for(len(x), W.dtype)
        if x.dtype != W.dtype:
            span = None
            z = np.matmul(x, W, out=bufs.z)
        elif span is None:
            z = np.dot(x, W, out=bufs.z)
        else:
            lo, hi = span
            z = np.matmul(x[:, lo:hi], W[lo:hi], out=bufs.z)
        z += self.b
        self.x, self.z, self._span = x, z, span
        self.a = self.activation.forward(z, bufs.a)
        return self.a

    def backward(self, grad, need_input_grad=True, pre_activation=False):
        """Gradients into ``dW``/``db``; returns dL/dx, in a work array of this layer that
        the next training step overwrites (None when ``need_input_grad`` is false)."""
        bufs, x = self._bufs, self.x
        if (bufs is None or grad.shape != bufs.z.shape or grad.dtype != bufs.z.dtype
                or x.dtype != grad.dtype):
            return self._backward_any(grad, need_input_grad, pre_activation)
        dz = grad if pre_activation else self.activation.backward(grad, self.z, self.a, bufs.tmp)
        if self._span is None:
            np.dot(x.T, dz, out=self.dW)
        else:
            lo, hi = self._span
            np.matmul(x[:, lo:hi].T, dz, out=self.dW[lo:hi])  # np.dot copies the slice
            self.dW[:lo] = 0.0
            self.dW[hi:] = 0.0
        np.dot(bufs.ones, dz, out=self.db)
        if not need_input_grad:
            return None
        dx = bufs.dx
        if dx is None:
            dx = bufs.dx = np.empty((len(dz), self.input_size), dtype=dz.dtype)
        return np.dot(dz, self.W.T, out=dx)

    def _backward_any(self, grad, need_input_grad, pre_activation):
        """The same, for whatever forward/backward arrays came in (no work arrays)."""
        dz = grad if pre_activation else self.activation.backward(grad, self.z, self.a)
        np.matmul(self.x.T, dz, out=self.dW)
        np.add.reduce(dz, axis=0, out=self.db)
        return dz @ self.W.T if need_input_grad else None

    def weights(self, copy=False):
        """Views of the parameters (a copy of ``W`` while its rows are reordered)."""
        with self._rows_lock:
            weight = self._natural(self.W)
            if copy and weight is self.W:
                weight = weight.copy()
            return {"weight": weight, "bias": self.b.copy() if copy else self.b}

    def gradients(self):
        with self._rows_lock:
            return {"weight": self._natural(self.dW), "bias": self.db}

    def assign(self, name, value):
        with self._rows_lock:
            if name == "weight":
                self.W[...] = value if self.row_order is None else np.asarray(value)[self.row_order]
            else:
                self.b[...] = value


class Dropout(Layer):
    """Inverted dropout: scales kept units by 1/(1-rate) while training, identity otherwise."""

    kind = "dropout"

    def __init__(self, config):
        super().__init__(config)
        self.rate = float(config.get("rate", 0.5))
        self.rng = None
        self.mask = None
        self._buffers: tuple | None = None

    def forward(self, x, training):
        if not training:
            return x
        if self.rate == 0.0:
            self.mask = None
            return x
        bufs = self._buffers
        if bufs is None or bufs[0].shape != x.shape or bufs[2].dtype != x.dtype:
            bufs = self._buffers = (np.empty(x.shape, np.float32), np.empty(x.shape, bool),
                                    np.empty(x.shape, x.dtype), np.empty(x.shape, x.dtype))
        uniform, keep, mask, out = bufs
        # The same numbers, in the same order, as rng.random(x.shape, dtype=np.float32).
        self.rng.random(dtype=np.float32, out=uniform)
        np.greater_equal(uniform, self.rate, out=keep)
        self.mask = np.multiply(keep, np.asarray(1.0 / (1.0 - self.rate), dtype=x.dtype), out=mask)
        return np.multiply(x, mask, out=out)

    def backward(self, grad, need_input_grad=True, pre_activation=False):
        if not need_input_grad:
            return None
        if self.mask is None:
            return grad
        if grad.shape == self.mask.shape and grad.dtype == self.mask.dtype:
            return np.multiply(grad, self.mask, out=grad)  # grad is a work array: reuse it
        return grad * self.mask


REQUIRED = object()

# type name -> (class, {field: default}). A dense layer's initializer of None means
# "use the spec's initializer".
LAYER_TYPES: dict[str, tuple[type[Layer], dict]] = {
    "dense": (Dense, {"units": REQUIRED, "activation": "relu", "initializer": None}),
    "dropout": (Dropout, {"rate": 0.5}),
}

DESCRIPTIONS = {
    "dense": "Fully connected: x·W + b, then an activation",
    "dropout": "Randomly zeroes a fraction of units while training",
}


def make_layer(config: dict) -> Layer:
    cls, _ = LAYER_TYPES[config["type"]]
    return cls.from_config(config)
