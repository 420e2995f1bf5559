"""Layers, looked up by type name in ``LAYER_TYPES``.

The contract follows Keras: settings in ``__init__``, shapes fixed in ``build``, parameters
bound to views of the network's flat parameter and gradient vectors in ``bind``, then
``forward(x, training)`` and ``backward(grad, need_input_grad)``. Data is batch-major:
``x`` is (N, features) and a dense layer computes ``x @ W + b`` with ``W`` shaped (in, out).
"""

from __future__ import annotations

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

    def weights(self) -> dict[str, np.ndarray]:
        return {}

    def gradients(self) -> dict[str, np.ndarray]:
        return {}

    def get_config(self) -> dict:
        return {"type": self.kind, **{k: v for k, v in self.config.items() if k != "type"}}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(config)


class Dense(Layer):
    kind = "dense"

    def __init__(self, config):
        super().__init__(config)
        self.activation = ACTIVATIONS[config.get("activation", "linear")]
        # relu, sigmoid, tanh and linear can overwrite z with a: backward needs only a.
        self._in_place = not self.activation.needs_z and self.activation.name != "softmax"
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.x = self.z = self.a = None

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

    def _buffers_for(self, n: int, dtype):
        bufs = self._buffers.get(n)
        if bufs is None or bufs[0].dtype != dtype:
            z = np.empty((n, self.output_size), dtype=dtype)
            a = z if self._in_place else np.empty_like(z)
            bufs = (z, a)
            if len(self._buffers) > 3:
                self._buffers.clear()
            self._buffers[n] = bufs
        return bufs

    def forward(self, x, training):
        if training:
            z, a = self._buffers_for(len(x), self.W.dtype)
            np.matmul(x, self.W, out=z)
        else:
            z = x @ self.W
            a = z if self._in_place else np.empty_like(z)
        z += self.b
        self.x, self.z = x, z
        self.a = self.activation.forward(z, a)
        return self.a

    def backward(self, grad, need_input_grad=True, pre_activation=False):
        dz = grad if pre_activation else self.activation.backward(grad, self.z, self.a)
        np.matmul(self.x.T, dz, out=self.dW)
        np.add.reduce(dz, axis=0, out=self.db)
        return dz @ self.W.T if need_input_grad else None

    def weights(self):
        return {"weight": self.W, "bias": self.b}

    def gradients(self):
        return {"weight": self.dW, "bias": self.db}


class Dropout(Layer):
    """Inverted dropout: scales kept units by 1/(1-rate) while training, identity otherwise."""

    kind = "dropout"

    def __init__(self, config):
        super().__init__(config)
        self.rate = float(config.get("rate", 0.5))
        self.rng = None
        self.mask = None

    def forward(self, x, training):
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
        self.mask = keep * np.asarray(1.0 / (1.0 - self.rate), dtype=x.dtype)
        return x * self.mask

    def backward(self, grad, need_input_grad=True, pre_activation=False):
        if not need_input_grad:
            return None
        return grad if self.mask is None else grad * self.mask


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
