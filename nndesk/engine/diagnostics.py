"""Each layer's health while a network trains, measured between steps.

For the weights W of layer l (its weight matrix or kernels, not the biases):

    gradient norm    ||dL/dW||            (the last step's gradient)
    weight norm      ||W||
    update ratio     ||W_after - W_before|| / ||W_before||   over one step; around 1e-3 is
                     healthy (much smaller: it barely learns; much larger: it is thrashing)
    dead share       of a ReLU layer's units (channels of a convolution): the share whose
                     output is 0 for every sample of a probe batch
    saturated share  of a sigmoid or tanh layer's outputs: the share within 1% of the
                     function's limits (sigmoid below 0.01 or above 0.99, tanh beyond ±0.99),
                     where f'(z) is nearly 0 and the gradient vanishes
"""

from __future__ import annotations

import numpy as np

SATURATED = {"sigmoid": lambda a: (a < 0.01) | (a > 0.99), "tanh": lambda a: np.abs(a) > 0.99}


def weight_arrays(net) -> dict[int, np.ndarray]:
    """The weight matrix (or kernels) of every layer that has one, by layer index."""
    return {i: layer.weights()["weight"] for i, layer in enumerate(net.layers)
            if layer.weight_count}


def health(net, probe: np.ndarray, previous: dict[int, np.ndarray] | None = None) -> list[dict]:
    """One record per layer with weights: the figures above (``update_ratio`` None without
    the weights of one step earlier, ``dead_share``/``saturated_share`` None where they do not
    apply). ``probe`` is a batch of inputs (N, features) run in inference mode."""
    weights = weight_arrays(net)
    grads = {i: layer.gradients()["weight"] for i, layer in enumerate(net.layers)
             if layer.weight_count}
    outputs = {}
    a = probe
    for i, layer in enumerate(net.layers):
        a = layer.infer(a)[0]
        outputs[i] = a
    records = []
    for i, w in weights.items():
        layer = net.layers[i]
        norm = float(np.linalg.norm(w))
        ratio = None
        if previous is not None and i in previous:
            before = float(np.linalg.norm(previous[i]))
            ratio = float(np.linalg.norm(w - previous[i])) / before if before > 0 else None
        act = layer.config.get("activation")
        out = outputs[i].reshape(len(probe), layer.output_shape[0], -1)
        dead = float(np.mean(~(out > 0).any(axis=(0, 2)))) if act == "relu" else None
        saturated = float(np.mean(SATURATED[act](out))) if act in SATURATED else None
        records.append({"layer": i, "kind": layer.kind, "activation": act,
                        "gradient_norm": float(np.linalg.norm(grads[i])), "weight_norm": norm,
                        "update_ratio": ratio, "dead_share": dead, "saturated_share": saturated})
    return records
