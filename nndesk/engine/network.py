"""A feed-forward network built from a spec.

    forward:   a_0 = x;  a_l = layer_l(a_{l-1});  the output is a_L
    backward:  g_L = dL/da_L (from the loss);  g_{l-1} = layer_l.backward(g_l)

All parameters sit in one flat vector and all gradients in another; each layer holds
reshaped views into them. An optimizer then updates every parameter with a few whole-vector
operations, and a model file is a handful of named views of the same memory.
"""

from __future__ import annotations

import math

import numpy as np

from .layer_types import make_layer
from .layers import Dropout
from .losses import LOSSES
from .spec import check


INFERENCE_BATCH = 8192
INFERENCE_WORK_BYTES = 64 << 20


def inference_batch(workspace: int) -> int:
    """Samples per inference batch: 8,192, or fewer when a layer's work arrays of
    ``workspace`` numbers a sample (a convolution's windows) would pass 64 MB for them."""
    return max(1, min(INFERENCE_BATCH, INFERENCE_WORK_BYTES // (4 * max(workspace, 1))))


def seed_sequences(seed: int) -> list[np.random.SeedSequence]:
    """Independent streams for weight init, dropout and shuffling/augmentation."""
    return np.random.SeedSequence(seed).spawn(3)


class Network:
    def __init__(self, spec: dict, dtype=np.float32, initialize: bool = True):
        self.spec = check(spec)
        self.dtype = np.dtype(dtype)
        self.input_shape = tuple(self.spec["input_shape"])
        self.input_size = math.prod(self.input_shape)
        self.layers = [make_layer(cfg) for cfg in self.spec["layers"]]
        self.loss = LOSSES[self.spec["loss"]]
        self.metadata: dict = {}

        shape = self.input_shape
        for layer in self.layers:
            shape = layer.build(shape)
        self.output_size = math.prod(shape)
        total = sum(layer.param_count for layer in self.layers)
        self.params = np.zeros(total, dtype=self.dtype)
        self.grads = np.zeros(total, dtype=self.dtype)

        init_seq, dropout_seq, _ = seed_sequences(self.spec["seed"])
        init_rng = np.random.default_rng(init_seq) if initialize else None
        dropout_rng = np.random.default_rng(dropout_seq)
        offset = 0
        self.decay_slices: list[slice] = []  # the weight matrices (not biases) that decay
        for layer in self.layers:
            n = layer.param_count
            layer.bind(self.params[offset:offset + n], self.grads[offset:offset + n], init_rng,
                       self.spec["initializer"])
            if layer.weight_count:
                self.decay_slices.append(slice(offset, offset + layer.weight_count))
            if isinstance(layer, Dropout):
                layer.rng = dropout_rng
            offset += n
        # The loss's delta is dL/dz of the output layer when it is fused with its activation.
        self.fused_output = self.loss.fused_activation == self.spec["layers"][-1].get("activation")

    @property
    def num_classes(self) -> int:
        return 2 if self.output_size == 1 else self.output_size

    @property
    def logits(self) -> np.ndarray | None:
        """The output layer's pre-activation z from the last training forward pass."""
        return self.layers[-1].z

    # --- the two passes ------------------------------------------------------------

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:
            return self._infer(x)[0]
        for layer in self.layers:
            x = layer.forward(x, training=True)
        return x

    def backward(self, delta: np.ndarray) -> None:
        """Fill ``grads`` from the loss's ``delta`` for the last training forward pass."""
        grad = delta
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            layer = self.layers[i]
            grad_is_dz = self.fused_output and i == last
            # The layers below the first one with parameters need no input gradient.
            input_grad = any(l.param_count for l in self.layers[:i])
            grad = layer.backward(grad, input_grad, grad_is_dz)

    def _infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Output and the last layer's pre-activation, in inference mode: nothing a training
        step keeps is touched, so it is safe from another thread."""
        z = None
        for layer in self.layers:
            x, z = layer.infer(x)
        return x, z

    # --- inference -----------------------------------------------------------------

    def layer_outputs(self, x) -> list[np.ndarray]:
        """Every layer's output for inputs ``x`` in inference mode, each shaped
        (N, *layer.output_shape): feature maps (N, C, H, W) for image layers. Safe from
        another thread while the network trains."""
        x = self.as_batch(x)
        outputs = []
        for layer in self.layers:
            x = layer.infer(x)[0]
            outputs.append(x.reshape(len(x), *layer.output_shape))
        return outputs

    def as_batch(self, x) -> np.ndarray:
        x = np.asarray(x)
        if x.shape == self.input_shape:
            x = x[None]
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.input_size:
            raise ValueError(f"expected inputs shaped (N, {self.input_size}) or "
                             f"(N, {', '.join(map(str, self.input_shape))}), got {x.shape}")
        return np.ascontiguousarray(x.reshape(len(x), -1), dtype=self.dtype)

    @property
    def inference_batch(self) -> int:
        return inference_batch(max(layer.workspace for layer in self.layers))

    def predict_proba(self, x, batch_size: int | None = None) -> np.ndarray:
        """Class probabilities (N, classes) for inputs (N, features) or (N, *input_shape)."""
        x = self.as_batch(x)
        batch_size = batch_size or self.inference_batch
        out = np.concatenate([self.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]) \
            if len(x) else np.zeros((0, self.output_size), self.dtype)
        if self.output_size == 1:
            return np.hstack([1.0 - out, out])
        if self.spec["layers"][-1]["activation"] != "softmax":
            out = np.clip(out, 0.0, None)
            sums = out.sum(axis=1, keepdims=True)
            out = np.divide(out, sums, out=np.full_like(out, 1.0 / out.shape[1]), where=sums > 0)
        return out

    def predict(self, x) -> np.ndarray:
        return self.predict_proba(x).argmax(axis=1)

    def evaluate(self, x, y, batch_size: int | None = None) -> tuple[float, float]:
        """Mean loss and accuracy (fraction) on (x, y), in inference mode."""
        x = self.as_batch(x)
        batch_size = batch_size or self.inference_batch
        if len(x) == 0:
            return float("nan"), float("nan")
        total_loss, correct = 0.0, 0
        for i in range(0, len(x), batch_size):
            xb, yb = x[i:i + batch_size], y[i:i + batch_size]
            out, logits = self._infer(xb)
            total_loss += self.loss.value(out, logits, yb) * len(xb)
            correct += self.count_correct(out, yb)
        return total_loss / len(x), correct / len(x)

    @staticmethod
    def count_correct(out: np.ndarray, y: np.ndarray) -> int:
        pred = (out[:, 0] > 0.5) if out.shape[1] == 1 else out.argmax(axis=1)
        return int(np.count_nonzero(pred == y))

    # --- weights -------------------------------------------------------------------

    def named_weights(self) -> dict[str, np.ndarray]:
        """Views of every parameter, named ``layers.{i}.weight`` / ``layers.{i}.bias``."""
        return {f"layers.{i}.{name}": arr for i, layer in enumerate(self.layers)
                for name, arr in layer.weights().items()}

    def named_gradients(self) -> dict[str, np.ndarray]:
        """The last training step's gradients, named like the weights (views)."""
        return {f"layers.{i}.{name}": arr for i, layer in enumerate(self.layers)
                for name, arr in layer.gradients().items()}

    def buffers(self) -> list[np.ndarray]:
        """Every layer's state besides the parameters (views): running statistics."""
        return [arr for layer in self.layers for arr in layer.buffers()]

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, named like ``named_weights``."""
        return {name: arr.copy() for name, arr in self.named_weights().items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        own = self.named_weights()
        if set(weights) != set(own):
            raise ValueError(f"expected weights {sorted(own)}, got {sorted(weights)}")
        for k, v in weights.items():
            if np.shape(v) != own[k].shape:
                raise ValueError(f"{k}: expected shape {own[k].shape}, got {np.shape(v)}")
        for k, v in weights.items():
            own[k][...] = v


def build_network(spec: dict, dtype=np.float32) -> Network:
    """A freshly initialised network; raises SpecError listing every problem in ``spec``."""
    return Network(spec, dtype=dtype)
