"""Analytic gradients against central differences in float64, for the gradient tests.

The network's own backward pass, and the full training step of both engines: one step of
plain SGD on the whole set moves the parameters by -lr * gradient, so (p0 - p1) / lr is the
gradient that step used.
"""

import numpy as np

from nndesk.engine import Trainer, build_network

RTOL = 1e-6


def _spec(layers, loss, n_in=5):
    return {"input_shape": [n_in], "layers": layers, "loss": loss,
            "optimizer": {"name": "sgd"}, "initializer": "glorot_normal", "seed": 3}


def rel_error(a, b):
    """Relative error. Central differences in float64 carry about 1e-10 of rounding noise,
    so entries whose magnitude is below 1e-4 are held to an absolute 1e-10 instead."""
    diff = np.abs(a - b)
    scale = np.abs(a) + np.abs(b)
    return np.where(scale > 1e-4, diff / np.maximum(scale, 1e-300), diff / 1e-10 * RTOL)


def reset_dropout(net):
    for layer in net.layers:
        if layer.kind == "dropout":
            layer.rng = np.random.default_rng(11)


def numeric_gradients(net, x, y, indices):
    def loss_at():
        reset_dropout(net)
        out = net.forward(x, training=True)
        return net.loss.value(out, net.logits, y)

    numeric = np.empty(len(indices))
    h = 1e-5
    for j, i in enumerate(indices):
        old = net.params[i]
        net.params[i] = old + h
        up = loss_at()
        net.params[i] = old - h
        down = loss_at()
        net.params[i] = old
        numeric[j] = (up - down) / (2 * h)
    return numeric


def step_gradients(spec, x, y, engine, lr=1e-3):
    """The gradients one whole-set SGD step of ``engine`` took."""
    net = build_network({**spec, "optimizer": {"name": "sgd", "learning_rate": lr}},
                        dtype=np.float64)
    p0 = net.params.copy()
    reset_dropout(net)
    result = Trainer(net, x, y, batch_size=0, epochs=1, engine=engine).run()
    assert result["error"] is None
    return (p0 - net.params) / lr


def check_param_gradients(spec, n=7, seed=0, x=None, sample=None):
    net = build_network(spec, dtype=np.float64)
    rng = np.random.default_rng(seed)
    if x is None:
        x = rng.normal(size=(n, net.input_size))
    y = rng.integers(0, max(net.output_size, 2), size=len(x))
    indices = np.arange(net.params.size) if sample is None else \
        np.sort(rng.choice(net.params.size, sample, replace=False))
    reset_dropout(net)
    out = net.forward(x, training=True)
    net.backward(net.loss.delta(out, y))
    analytic = {"backward": net.grads[indices].copy()}
    numeric = numeric_gradients(net, x, y, indices)
    for engine in ("reference", "fast"):
        analytic[engine] = step_gradients(spec, x, y, engine)[indices]
    for how, grads in analytic.items():
        err = rel_error(grads, numeric)
        assert err.max() < RTOL, f"{how}: max relative error {err.max():.2e} at {indices[err.argmax()]}"
