"""The layer contract, and the dense and dropout layers (the registry is ``layer_types.py``).

Data is batch-major: ``x`` is (N, features). Between layers a batch of images travels as
(N, C·H·W) with its features in (C, H, W) order, PyTorch's flatten order; a layer that works
on images (``convolution.py``) reshapes it to its (N, C, H, W) view. A dense layer with weights ``W`` (in, out) and
bias ``b`` (out,) computes, for the batch,

    forward:   z = x @ W + b
               a = f(z)
    backward:  dz = dL/da * f'(z)      (the activation's backward)
               dW = x.T @ dz
               db = sum of dz over the batch
               dx = dz @ W.T           (passed on to the layer below)

The contract follows Keras: settings in ``__init__``, shapes fixed in ``build`` (which says
in a ValueError why a shape cannot be taken), parameters
bound to views of the network's flat parameter and gradient vectors in ``bind``, then
``forward(x, training)`` and ``backward(grad)``. A training forward pass keeps ``x``, ``z``
and ``a`` for the backward pass; inference (``infer``) keeps nothing, so predictions may run
on another thread while the network trains.
"""

from __future__ import annotations

import math

import numpy as np

from .activations import ACTIVATIONS
from .initializers import INITIALIZERS


class Layer:
    kind = ""
    param_count = 0
    weight_count = 0  # the leading parameters that weight decay shrinks (not biases)
    macs = 0  # multiply-adds per sample, for the spec's FLOPs figure
    workspace = 0  # numbers a training step holds per sample besides the layer's output

    def __init__(self, config: dict):
        self.config = dict(config)
        self.input_shape: tuple[int, ...] = ()
        self.output_shape: tuple[int, ...] = ()

    @property
    def input_size(self) -> int:
        return math.prod(self.input_shape)

    @property
    def output_size(self) -> int:
        return math.prod(self.output_shape)

    def build(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Fix the shapes for one sample's ``input_shape``; returns the output shape."""
        self.input_shape = self.output_shape = tuple(input_shape)
        return self.output_shape

    def bind(self, params, grads, rng, default_initializer: str) -> None:
        """Attach views of the flat parameter/gradient vectors and initialise them."""

    def infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The output for ``x`` in inference mode, and the pre-activation (None if none)."""
        return x, None

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray, input_grad: bool = True,
                 grad_is_dz: bool = False) -> np.ndarray | None:
        """Gradients of this layer's parameters from dL/d(output); returns dL/d(input)
        (None when ``input_grad`` is false)."""
        return grad

    def input_gradient(self, x: np.ndarray, dz: np.ndarray) -> np.ndarray:
        """dL/d(input) in inference mode, for input ``x``, from ``dz``: dL/dz for a layer with
        an activation, dL/d(output) for one without. It reads only the parameters, never what a
        training step keeps, so an inspection may call it while the network trains."""
        return dz

    def weights(self) -> dict[str, np.ndarray]:
        """The parameters by name (views)."""
        return {}

    def gradients(self) -> dict[str, np.ndarray]:
        return {}

    def buffers(self) -> list[np.ndarray]:
        """State the layer keeps besides its parameters (batch norm's running statistics)."""
        return []

    def get_config(self) -> dict:
        return {"type": self.kind, **{k: v for k, v in self.config.items() if k != "type"}}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(config)


class Dense(Layer):
    """``z = x @ W + b``, then ``a = f(z)``."""

    kind = "dense"

    def __init__(self, config):
        super().__init__(config)
        self.activation = ACTIVATIONS[config.get("activation", "linear")]
        self.x = self.z = self.a = None

    def build(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"a dense layer takes a flat input, and its input is "
                             f"{shape_text(input_shape)}: put a flatten layer before it")
        self.input_shape, self.output_shape = tuple(input_shape), (int(self.config["units"]),)
        self.weight_count = self.macs = self.input_size * self.output_size
        self.param_count = self.weight_count + self.output_size
        return self.output_shape

    def bind(self, params, grads, rng, default_initializer):
        n_in, n_out = self.input_size, self.output_size
        self.W = params[: n_in * n_out].reshape(n_in, n_out)
        self.b = params[n_in * n_out:]
        self.dW = grads[: n_in * n_out].reshape(n_in, n_out)
        self.db = grads[n_in * n_out:]
        if rng is not None:
            init = INITIALIZERS[self.config.get("initializer") or default_initializer]
            self.W[...], self.b[...] = init(rng, n_in, n_out)

    def infer(self, x):
        z = x @ self.W + self.b
        return self.activation.forward(z), z

    def forward(self, x, training):
        if not training:
            return self.infer(x)[0]
        self.x = x
        self.z = x @ self.W + self.b
        self.a = self.activation.forward(self.z)
        return self.a

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        """``grad_is_dz``: ``grad`` is already dL/dz (a loss fused with the activation)."""
        dz = grad if grad_is_dz else self.activation.backward(grad, self.z, self.a)
        self.dW[...] = self.x.T @ dz
        self.db[...] = dz.sum(axis=0)
        return self.input_gradient(self.x, dz) if input_grad else None

    def input_gradient(self, x, dz):
        return dz @ self.W.T

    def weights(self):
        return {"weight": self.W, "bias": self.b}

    def gradients(self):
        return {"weight": self.dW, "bias": self.db}


class Dropout(Layer):
    """Inverted dropout: while training, each unit is kept with probability 1 - rate and
    scaled by 1 / (1 - rate), so that inference (the identity) sees the same expected value."""

    kind = "dropout"

    def __init__(self, config):
        super().__init__(config)
        self.rate = float(config.get("rate", 0.5))
        self.rng: np.random.Generator | None = None  # set by the network
        self.mask = None

    def forward(self, x, training):
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
        self.mask = (keep / (1.0 - self.rate)).astype(x.dtype)
        return x * self.mask

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        if not input_grad:
            return None
        return grad if self.mask is None else grad * self.mask


def shape_text(shape) -> str:
    """A shape as the window shows it: 16 x 28 x 28."""
    return " x ".join(str(d) for d in shape)
