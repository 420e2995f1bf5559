"""Analytic gradients against central differences in float64 (relative error below 1e-6)."""

import numpy as np
import pytest

from nndesk.engine import build_network
from nndesk.engine.activations import ACTIVATIONS
from nndesk.engine.layers import Dense
from nndesk.engine.losses import LOSSES

RTOL = 1e-6


def _spec(layers, loss, n_in=5):
    return {"input_shape": [n_in], "layers": layers, "loss": loss,
            "optimizer": {"name": "sgd"}, "initializer": "glorot_normal", "seed": 3}


def _rel_error(a, b):
    """Relative error. Central differences in float64 carry about 1e-10 of rounding noise,
    so entries whose magnitude is below 1e-4 are held to an absolute 1e-10 instead."""
    diff = np.abs(a - b)
    scale = np.abs(a) + np.abs(b)
    return np.where(scale > 1e-4, diff / np.maximum(scale, 1e-300), diff / 1e-10 * RTOL)


def _check_param_gradients(spec, n=7, seed=0):
    net = build_network(spec, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, net.input_size))
    y = rng.integers(0, max(net.output_size, 2), size=n)
    dropout_layers = [layer for layer in net.layers if layer.kind == "dropout"]

    def loss_at():
        for layer in dropout_layers:
            layer.rng = np.random.default_rng(11)
        out = net.forward(x, training=True)
        return net.loss.value(out, net.layers[-1].z, y)

    for layer in dropout_layers:
        layer.rng = np.random.default_rng(11)
    net.train_step(x, y)
    analytic = net.grads.copy()
    numeric = np.empty_like(analytic)
    h = 1e-5
    for i in range(net.params.size):
        old = net.params[i]
        net.params[i] = old + h
        up = loss_at()
        net.params[i] = old - h
        down = loss_at()
        net.params[i] = old
        numeric[i] = (up - down) / (2 * h)
    err = _rel_error(analytic, numeric)
    assert err.max() < RTOL, f"max relative error {err.max():.2e} at parameter {err.argmax()}"


@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "softmax"])
@pytest.mark.parametrize("loss", ["mse", "sum_of_squares"])
def test_hidden_and_output_activations(activation, loss):
    _check_param_gradients(_spec([
        {"type": "dense", "units": 6, "activation": activation},
        {"type": "dense", "units": 3, "activation": activation}], loss))


@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "softmax"])
def test_fused_softmax_cross_entropy_through_each_hidden_activation(activation):
    _check_param_gradients(_spec([
        {"type": "dense", "units": 6, "activation": activation},
        {"type": "dense", "units": 4, "activation": "softmax"}], "softmax_cross_entropy"))


@pytest.mark.parametrize("loss", ["mse", "sum_of_squares"])
def test_unfused_softmax_jacobian(loss):
    _check_param_gradients(_spec([
        {"type": "dense", "units": 6, "activation": "tanh"},
        {"type": "dense", "units": 4, "activation": "softmax"}], loss))


def test_single_sigmoid_output_unit():
    _check_param_gradients(_spec([
        {"type": "dense", "units": 4, "activation": "sigmoid"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}], "sum_of_squares"))


def test_dropout_between_layers():
    _check_param_gradients(_spec([
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 8, "activation": "relu"},
        {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 3, "activation": "softmax"}], "softmax_cross_entropy"))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_dense_input_gradient(activation):
    rng = np.random.default_rng(1)
    layer = Dense({"units": 4, "activation": activation, "initializer": "glorot_normal"})
    layer.build(5)
    params, grads = np.zeros(24), np.zeros(24)
    layer.bind(params, grads, rng, "glorot_normal")
    x = rng.normal(size=(3, 5))
    weights = rng.normal(size=(3, 4))  # loss = sum(weights * a)

    def loss(xv):
        return float((layer.forward(xv, training=False) * weights).sum())

    layer.forward(x.copy(), training=True)
    analytic = layer.backward(weights.copy(), need_input_grad=True)
    numeric = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        for sign in (1, -1):
            xp = x.copy()
            xp[idx] += sign * 1e-6
            numeric[idx] += sign * loss(xp) / 2e-6
    assert _rel_error(analytic, numeric).max() < RTOL


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_delta_matches_its_value(name):
    loss = LOSSES[name]
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, size=6)

    def out_of(z):
        if loss.fused_activation == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return z

    _, delta = loss.value_and_delta(out_of(logits), logits, y)
    numeric = np.zeros_like(logits)
    for idx in np.ndindex(*logits.shape):
        zp, zm = logits.copy(), logits.copy()
        zp[idx] += 1e-6
        zm[idx] -= 1e-6
        numeric[idx] = (loss.value(out_of(zp), zp, y) - loss.value(out_of(zm), zm, y)) / 2e-6
    assert _rel_error(delta, numeric).max() < RTOL


def test_cross_entropy_stays_finite_for_extreme_logits():
    loss = LOSSES["softmax_cross_entropy"]
    z = np.array([[1000.0, -1000.0, 0.0]], dtype=np.float32)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    value, delta = loss.value_and_delta(p, z, np.array([1]))
    assert value == pytest.approx(2000.0, rel=1e-6)
    assert np.isfinite(delta).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_rows_far_apart_matches_the_per_row_formula(dtype):
    """One shift for the whole batch, except when a row's logits all lie so far below the
    batch's largest that their exponentials would underflow."""
    z = np.array([[1000.0, 999.0, 990.0],  # sets the batch's max
                  [-200.0, -199.0, -250.0],  # about 1200 below: underflows unless shifted
                  [3.0, np.nextafter(3.0, 4.0), -40.0],
                  [0.0, 0.0, 0.0]], dtype=dtype)
    for batch in (z[2:], z):  # close rows: one shift; rows far apart: one per row
        e = np.exp(batch.astype(np.float64) - batch.max(axis=1, keepdims=True))
        expected = e / e.sum(axis=1, keepdims=True)
        out = ACTIVATIONS["softmax"].forward(batch, np.empty_like(batch))
        np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-13,
                                   atol=1e-30)
        in_place = batch.copy()  # out may be z itself
        ACTIVATIONS["softmax"].forward(in_place, in_place)
        np.testing.assert_allclose(in_place, expected,
                                   rtol=1e-6 if dtype == np.float32 else 1e-13, atol=1e-30)
    assert ACTIVATIONS["softmax"].forward(z[:0], np.empty_like(z[:0])).shape == (0, 3)
