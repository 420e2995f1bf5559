"""Analytic gradients against central differences in float64 (relative error below 1e-6).

The network's own backward pass, and the full training step of both engines: one step of
plain SGD on the whole set moves the parameters by -lr * gradient, so (p0 - p1) / lr is the
gradient that step used.
"""

import numpy as np
import pytest
from gradcheck import RTOL, check_param_gradients, rel_error

from nndesk.engine.activations import ACTIVATIONS
from nndesk.engine.layers import Dense
from nndesk.engine.losses import LOSSES


def _spec(layers, loss, n_in=5):
    return {"input_shape": [n_in], "layers": layers, "loss": loss,
            "optimizer": {"name": "sgd"}, "initializer": "glorot_normal", "seed": 3}

def test_first_layer_input_span_through_the_fast_step():
    """Inputs whose first and last columns are zero in every sample: the fast path's first
    layer leaves them out of its products (big enough a layer for that to pay)."""
    rng = np.random.default_rng(4)
    x = np.zeros((64, 200))
    x[:, 30:170] = rng.random((64, 140)) * (rng.random((64, 140)) < 0.4)
    check_param_gradients(_spec([
        {"type": "dense", "units": 100, "activation": "relu"},
        {"type": "dense", "units": 10, "activation": "softmax"}], "softmax_cross_entropy",
        n_in=200), x=x, sample=400)


@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "softmax"])
@pytest.mark.parametrize("loss", ["mse", "sum_of_squares"])
def test_hidden_and_output_activations(activation, loss):
    check_param_gradients(_spec([
        {"type": "dense", "units": 6, "activation": activation},
        {"type": "dense", "units": 3, "activation": activation}], loss))


@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "softmax"])
def test_fused_softmax_cross_entropy_through_each_hidden_activation(activation):
    check_param_gradients(_spec([
        {"type": "dense", "units": 6, "activation": activation},
        {"type": "dense", "units": 4, "activation": "softmax"}], "softmax_cross_entropy"))


@pytest.mark.parametrize("loss", ["mse", "sum_of_squares"])
def test_unfused_softmax_jacobian(loss):
    check_param_gradients(_spec([
        {"type": "dense", "units": 6, "activation": "tanh"},
        {"type": "dense", "units": 4, "activation": "softmax"}], loss))


def test_single_sigmoid_output_unit():
    check_param_gradients(_spec([
        {"type": "dense", "units": 4, "activation": "sigmoid"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}], "sum_of_squares"))


def test_dropout_between_layers():
    check_param_gradients(_spec([
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 8, "activation": "relu"},
        {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 3, "activation": "softmax"}], "softmax_cross_entropy"))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_dense_input_gradient(activation):
    rng = np.random.default_rng(1)
    layer = Dense({"units": 4, "activation": activation, "initializer": "glorot_normal"})
    layer.build((5,))
    params, grads = np.zeros(24), np.zeros(24)
    layer.bind(params, grads, rng, "glorot_normal")
    x = rng.normal(size=(3, 5))
    weights = rng.normal(size=(3, 4))  # loss = sum(weights * a)

    def loss(xv):
        return float((layer.forward(xv, training=False) * weights).sum())

    layer.forward(x.copy(), training=True)
    analytic = layer.backward(weights.copy(), input_grad=True)
    numeric = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        for sign in (1, -1):
            xp = x.copy()
            xp[idx] += sign * 1e-6
            numeric[idx] += sign * loss(xp) / 2e-6
    assert rel_error(analytic, numeric).max() < RTOL


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_delta_matches_its_value(name):
    loss = LOSSES[name]
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, size=6)

    def out_of(z):
        if loss.fused_activation == "softmax":
            return ACTIVATIONS["softmax"].forward(z)
        return z

    delta = loss.delta(out_of(logits), y)
    numeric = np.zeros_like(logits)
    for idx in np.ndindex(*logits.shape):
        zp, zm = logits.copy(), logits.copy()
        zp[idx] += 1e-6
        zm[idx] -= 1e-6
        numeric[idx] = (loss.value(out_of(zp), zp, y) - loss.value(out_of(zm), zm, y)) / 2e-6
    assert rel_error(delta, numeric).max() < RTOL


def test_cross_entropy_stays_finite_for_extreme_logits():
    loss = LOSSES["softmax_cross_entropy"]
    z = np.array([[1000.0, -1000.0, 0.0]], dtype=np.float32)
    p = ACTIVATIONS["softmax"].forward(z)
    assert loss.value(p, z, np.array([1])) == pytest.approx(2000.0, rel=1e-6)
    assert np.isfinite(loss.delta(p, np.array([1]))).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_rows_far_apart_matches_the_formula_in_float64(dtype):
    z = np.array([[1000.0, 999.0, 990.0],
                  [-200.0, -199.0, -250.0],
                  [3.0, np.nextafter(3.0, 4.0), -40.0],
                  [0.0, 0.0, 0.0]], dtype=dtype)
    e = np.exp(z.astype(np.float64) - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(ACTIVATIONS["softmax"].forward(z), e / e.sum(axis=1, keepdims=True),
                               rtol=1e-6 if dtype == np.float32 else 1e-13, atol=1e-30)
