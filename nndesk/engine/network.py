"""A feed-forward network built from a spec.

All parameters sit in one flat vector and all gradients in another; each layer holds
reshaped views into them. Optimizers then update every parameter with a few whole-vector
operations, and a model file is a handful of named views of the same memory.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .activations import ACTIVATIONS
from .layers import Dense, make_layer
from .losses import LOSSES
from .spec import check


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

        size = self.input_size
        for layer in self.layers:
            size = layer.build(size)
        self.output_size = size
        total = sum(layer.param_count for layer in self.layers)
        self.params = np.zeros(total, dtype=self.dtype)
        self.grads = np.zeros(total, dtype=self.dtype)

        init_seq, dropout_seq, _ = seed_sequences(self.spec["seed"])
        init_rng = np.random.default_rng(init_seq) if initialize else None
        dropout_rng = np.random.default_rng(dropout_seq)
        offset = 0
        self.decay_slices: list[slice] = []
        for layer in self.layers:
            n = layer.param_count
            layer.bind(self.params[offset:offset + n], self.grads[offset:offset + n], init_rng,
                       self.spec["initializer"])
            if isinstance(layer, Dense):
                self.decay_slices.append(slice(offset, offset + layer.input_size * layer.output_size))
            else:
                layer.rng = dropout_rng
            offset += n
        # Layers before the first one with parameters need no input gradient.
        self._first_trainable = next((i for i, l in enumerate(self.layers) if l.param_count), 0)
        self._fused = self.loss.fused_activation == self.spec["layers"][-1].get("activation")
        # The training step's calls, looked up once.
        last = len(self.layers) - 1
        self._forwards = [layer.forward for layer in self.layers]
        # The first layer's own forward pass, when it can take an ``input_span``.
        self._span_forward = self._forwards[0] if self.layers[0].kind == "dense" else None
        self._backwards = [(layer.backward, i > self._first_trainable, self._fused and i == last)
                           for i, layer in reversed(list(enumerate(self.layers)))]
        # Sigmoid's exp(-z) overflows to inf (harmlessly) for very negative z: silence it.
        self._overflow_ok = any(getattr(layer, "activation", None) is ACTIVATIONS["sigmoid"]
                                for layer in self.layers)
        self._delta: np.ndarray | None = None  # the loss gradient's work array
        self.grad_scale = 1.0  # ``grads`` holds this times the gradients (see train_step)
        # Set while a trainer defers weight updates: brings the parameters up to date.
        self.pending_updates: Callable[[], None] | None = None

    def sync(self) -> None:
        """Apply any weight updates a trainer has deferred (see ``deferred.py``)."""
        if self.pending_updates is not None:
            self.pending_updates()

    # --- inference -----------------------------------------------------------------

    @property
    def num_classes(self) -> int:
        return 2 if self.output_size == 1 else self.output_size

    def _as_batch(self, x) -> np.ndarray:
        x = np.asarray(x)
        if x.shape == self.input_shape:
            x = x[None]
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.input_size:
            raise ValueError(f"expected inputs shaped (N, {self.input_size}) or "
                             f"(N, {', '.join(map(str, self.input_shape))}), got {x.shape}")
        return np.ascontiguousarray(x.reshape(len(x), -1), dtype=self.dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:
            return self._infer(x)[0]
        self.sync()
        with np.errstate(over="ignore"):  # sigmoid's exp(-z) -> inf for very negative z is fine
            for layer in self.layers:
                x = layer.forward(x, training)
        return x

    def _infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Output and the last layer's pre-activation (None if overwritten), in inference
        mode: nothing a training step keeps is touched, so it is safe from another thread."""
        self.sync()
        z = None
        with np.errstate(over="ignore"):  # sigmoid's exp(-z) -> inf for very negative z is fine
            for layer in self.layers:
                x, z = layer.infer(x)
        return x, z

    def predict_proba(self, x, batch_size: int = 8192) -> np.ndarray:
        """Class probabilities (N, classes) for inputs (N, features) or (N, *input_shape)."""
        x = self._as_batch(x)
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

    def evaluate(self, x, y, batch_size: int = 8192) -> tuple[float, float]:
        """Mean loss and accuracy (fraction) on (x, y), in inference mode."""
        x = self._as_batch(x)
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

    # --- training ------------------------------------------------------------------

    def train_step(self, x: np.ndarray, y: np.ndarray, grad_scale: float = 1.0,
                   input_span: tuple[int, int] | None = None) -> tuple[float, np.ndarray]:
        """Forward and backward on one batch; fills ``self.grads`` with ``grad_scale`` times
        the gradients (free: it scales the loss gradient). Returns (loss, output).
        ``input_span=(lo, hi)``: the caller knows that the columns of ``x`` outside ``lo:hi``
        are all zero, and a dense first layer skips them.

        The output and the work arrays behind it are reused by the next step."""
        self.grad_scale = grad_scale = float(grad_scale)
        if input_span is not None and self._forwards[0] == self._span_forward:
            self.layers[0].input_span = input_span
        if self._overflow_ok:
            with np.errstate(over="ignore"):
                for forward in self._forwards:
                    x = forward(x, True)
        else:
            for forward in self._forwards:
                x = forward(x, True)
        out, delta = x, self._delta
        if delta is None or delta.shape != out.shape or delta.dtype != out.dtype:
            delta = self._delta = np.empty(out.shape, out.dtype)
        loss, grad = self.loss.value_and_delta(out, self.layers[-1].z, y, delta, grad_scale)
        for backward, need_input_grad, pre_activation in self._backwards:
            grad = backward(grad, need_input_grad, pre_activation)
        return loss, out

    def replace_first_layer(self, forward, backward, pending_updates):
        """Swap what the training step calls for the first layer, and the hook ``sync``
        calls; returns the previous three (for strategies like ``deferred.py``)."""
        previous = (self._forwards[0], self._backwards[-1][0], self.pending_updates)
        _, need_input_grad, pre_activation = self._backwards[-1]
        self._forwards[0] = forward
        self._backwards[-1] = (backward, need_input_grad, pre_activation)
        self.pending_updates = pending_updates
        return previous

    # --- weights -------------------------------------------------------------------

    def named_weights(self) -> dict[str, np.ndarray]:
        """Views of every parameter, named ``layers.{i}.weight`` / ``layers.{i}.bias`` (a
        copy of a first layer's weights while a trainer keeps their rows reordered)."""
        self.sync()
        return {f"layers.{i}.{name}": arr for i, layer in enumerate(self.layers)
                for name, arr in layer.weights().items()}

    def named_gradients(self) -> dict[str, np.ndarray]:
        """The last training step's gradients, named like the weights (views, or scaled
        copies when the step scaled them)."""
        self.sync()
        scale = self.grad_scale
        return {f"layers.{i}.{name}": arr if scale == 1.0 else arr / scale
                for i, layer in enumerate(self.layers) for name, arr in layer.gradients().items()}

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, named like ``named_weights``; each layer's are taken
        at one moment, safe from another thread while the network trains."""
        self.sync()
        return {f"layers.{i}.{name}": arr for i, layer in enumerate(self.layers)
                for name, arr in layer.weights(copy=True).items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        own = self.named_weights()
        if set(weights) != set(own):
            raise ValueError(f"expected weights {sorted(own)}, got {sorted(weights)}")
        for k, v in weights.items():
            if np.shape(v) != own[k].shape:
                raise ValueError(f"{k}: expected shape {own[k].shape}, got {np.shape(v)}")
        for i, layer in enumerate(self.layers):
            for name in layer.weights():
                layer.assign(name, weights[f"layers.{i}.{name}"])


def build_network(spec: dict, dtype=np.float32) -> Network:
    """A freshly initialised network; raises SpecError listing every problem in ``spec``."""
    return Network(spec, dtype=dtype)
