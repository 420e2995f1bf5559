"""Looking inside a network: every layer's response to an input, and where the evidence is.

For one input x, in inference mode:

    trace:     a_0 = x;  for each layer l:  z_l = its pre-activation,  a_l = layer_l(a_{l-1})
    score:     s_c = z_L[c], the output layer's pre-activation for class c (the logit, before
               softmax); with one sigmoid output unit, s_1 = z and s_0 = -z
    evidence:  saliency        g = ds_c/dx, the chain rule from s_c back to the pixels:
                               g_{l-1} = layer_l.input_gradient(a_{l-1}, g_l · f'(z_l))
               gradient x input   x · g  (how much each pixel's ink contributed)
               where ink helps    max(g, 0) · (1 - x)  (raising a pixel towards full ink)
    dead unit: a unit of a ReLU layer (a channel of a convolution) whose output is 0 for every
               sample of a data set

Nothing here writes into the network (it reads the parameters and running statistics only),
so it may run while the same network trains on another thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .layers import shape_text


@dataclass
class Response:
    """One layer's response to one input."""

    index: int
    kind: str
    title: str  # "dense 128 relu", "conv2d 6 5x5 relu", "maxpool2d 2"
    output: np.ndarray  # the layer's output shaped like ``layer.output_shape``
    pre_activation: np.ndarray | None  # z, the same shape, for layers with an activation

    def summary(self) -> dict:
        """Plain statistics of the output, for JSON."""
        out = self.output
        return {"layer": self.index, "kind": self.kind, "title": self.title,
                "shape": list(out.shape), "mean": float(out.mean()), "min": float(out.min()),
                "max": float(out.max()), "active_fraction": float(np.mean(out > 0))}


@dataclass
class Evidence:
    """Where one class's evidence is in one input, each array shaped like the input."""

    target: int
    score: float
    gradient: np.ndarray  # ds/dx
    gradient_x_input: np.ndarray  # x · ds/dx
    ink_helps: np.ndarray  # max(ds/dx, 0) · (1 - x)


def title(layer) -> str:
    cfg = layer.config
    act = cfg.get("activation")
    if layer.kind == "dense":
        return f"dense {cfg['units']}" + (f" {act}" if act else "")
    if layer.kind == "conv2d":
        kh, kw = layer.kh, layer.kw
        return f"conv2d {cfg['filters']} {kh}x{kw} {act or 'relu'}"
    if layer.kind in ("maxpool2d", "avgpool2d"):
        return f"{layer.kind} {layer.k}"
    if layer.kind == "batchnorm":
        return "batchnorm" + (f" {act}" if act and act != "linear" else "")
    if layer.kind == "dropout":
        return f"dropout {layer.rate:g}"
    return f"{layer.kind} {shape_text(layer.output_shape)}"


def _one(net, x) -> np.ndarray:
    x = np.asarray(x, dtype=net.dtype)
    if x.size != net.input_size:
        raise ValueError(f"expected one input of {net.input_size} values (shaped "
                         f"{shape_text(net.input_shape)}), got {x.size} values")
    return x.reshape(1, net.input_size)


def _forward(net, x):
    """The inputs, pre-activations and outputs of every layer for the batch ``x``."""
    inputs, pre, post = [], [], []
    for layer in net.layers:
        inputs.append(x)
        x, z = layer.infer(x)
        pre.append(z)
        post.append(x)
    return inputs, pre, post


def trace(net, x) -> list[Response]:
    """Every layer's response to the one input ``x`` (flat or shaped like the input)."""
    _, pre, post = _forward(net, _one(net, x))
    return [Response(i, layer.kind, title(layer), a[0].reshape(layer.output_shape),
                     None if z is None else z[0].reshape(layer.output_shape))
            for i, (layer, z, a) in enumerate(zip(net.layers, pre, post))]


def _score_seed(net, z_last: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ds/dz_L (one-hot on the target, or ±1 for a single sigmoid unit) and the scores s."""
    n = len(z_last)
    seed = np.zeros_like(z_last)
    if net.output_size == 1:
        sign = np.where(targets == 1, 1.0, -1.0).astype(z_last.dtype)
        seed[:, 0] = sign
        return seed, sign * z_last[:, 0]
    seed[np.arange(n), targets] = 1.0
    return seed, z_last[np.arange(n), targets]


def score_gradient(net, x: np.ndarray, targets) -> tuple[np.ndarray, np.ndarray]:
    """ds_c/dx for a batch ``x`` (N, features) and its target classes (N,): the gradients
    (N, features) and the scores (N,), by the chain rule in inference mode."""
    x = np.ascontiguousarray(np.asarray(x, dtype=net.dtype).reshape(len(x), net.input_size))
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(x),))
    if np.any(targets < 0) or np.any(targets >= net.num_classes):
        raise ValueError(f"a class must be from 0 to {net.num_classes - 1}, got {targets.tolist()}")
    inputs, pre, post = _forward(net, x)
    last = len(net.layers) - 1
    if pre[last] is None:
        raise ValueError("the output layer has no pre-activation to take a class score from")
    grad, scores = _score_seed(net, pre[last], targets)
    for i in range(last, -1, -1):
        layer = net.layers[i]
        dz = grad if i == last or pre[i] is None else layer.activation.backward(grad, pre[i], post[i])
        grad = layer.input_gradient(inputs[i], dz)
    return grad, scores


def evidence(net, x, target: int) -> Evidence:
    """Where the evidence for class ``target`` is in the one input ``x``."""
    x1 = _one(net, x)
    grad, score = score_gradient(net, x1, target)
    shape = net.input_shape
    g, xs = grad[0].reshape(shape), x1[0].reshape(shape)
    return Evidence(int(target), float(score[0]), g, xs * g, np.maximum(g, 0) * (1.0 - xs))


def dead_units(net, x, batch_size: int | None = None) -> list[np.ndarray | None]:
    """Per layer, which units never respond to any sample of ``x``: a boolean array (units for
    a dense layer, channels for a convolution) for layers with a ReLU, None for the others."""
    x = net.as_batch(x)
    watched = [getattr(layer, "activation", None) is not None and layer.activation.name == "relu"
               for layer in net.layers]
    alive = [np.zeros(layer.output_shape[0], bool) if w else None
             for layer, w in zip(net.layers, watched)]
    batch_size = batch_size or net.inference_batch
    for start in range(0, len(x), batch_size):
        a = x[start:start + batch_size]
        for layer, seen in zip(net.layers, alive):
            a = layer.infer(a)[0]
            if seen is not None:
                per_unit = a.reshape(len(a), layer.output_shape[0], -1)
                seen |= (per_unit > 0).any(axis=(0, 2))
    return [None if seen is None else ~seen for seen in alive]


def most_active(output: np.ndarray, k: int = 3) -> list[int]:
    """The ``k`` units (channels of an image output) with the largest activation."""
    per_unit = output.reshape(output.shape[0], -1).max(axis=1) if output.ndim > 1 else output
    k = min(k, math.prod(per_unit.shape))
    return [int(i) for i in np.argsort(per_unit)[::-1][:k]]
