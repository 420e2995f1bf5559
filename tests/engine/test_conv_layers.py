"""Convolution, pooling, flatten and batch norm: outputs against loops written from the
definitions, gradients against central differences through both engines' training step."""

import numpy as np
import pytest
from gradcheck import check_param_gradients

from nndesk.engine import build_network

RNG = np.random.default_rng(7)


def _spec(layers, input_shape=(2, 7, 6), loss="softmax_cross_entropy"):
    return {"input_shape": list(input_shape), "layers": layers, "loss": loss,
            "optimizer": {"name": "sgd"}, "initializer": "glorot_normal", "seed": 3}


def _head(classes=3):
    return [{"type": "flatten"}, {"type": "dense", "units": classes, "activation": "softmax"}]


# --- loops from the definitions (an implementation of their own) ---------------------------

def conv_loops(x, W, b, stride, pad):
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    xp = np.zeros((n, c, h + 2 * pad[0], w + 2 * pad[1]))
    xp[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w] = x
    oh, ow = (xp.shape[2] - kh) // stride + 1, (xp.shape[3] - kw) // stride + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            for k in range(f):
                out[:, k, i, j] = (patch * W[k]).sum(axis=(1, 2, 3)) + b[k]
    return out


def pool_loops(x, k, stride, reduce):
    n, c, h, w = x.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = reduce(x[:, :, i * stride:i * stride + k, j * stride:j * stride + k],
                                     axis=(2, 3))
    return out


CONV_CASES = [(3, 1, "valid"), (3, 1, "same"), (3, 2, "valid"), (3, 2, 1), ([2, 3], 1, 0),
              ([2, 3], 2, 2), (5, 1, "same"), (1, 1, "valid"), (4, 3, 1)]


@pytest.mark.parametrize("kernel, stride, padding", CONV_CASES)
def test_conv2d_outputs_match_the_definition(kernel, stride, padding):
    spec = _spec([{"type": "conv2d", "filters": 4, "kernel_size": kernel, "stride": stride,
                   "padding": padding, "activation": "linear"}] + _head())
    net = build_network(spec, dtype=np.float64)
    conv = net.layers[0]
    x = RNG.normal(size=(3, 2, 7, 6))
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    pad = ((kh - 1) // 2, (kw - 1) // 2) if padding == "same" else \
        (0, 0) if padding == "valid" else (padding, padding)
    expected = conv_loops(x, conv.W, conv.b, stride, pad)
    out = conv.forward(x.reshape(3, -1), training=True)
    assert conv.output_shape == expected.shape[1:]
    np.testing.assert_allclose(out.reshape(expected.shape), expected, atol=1e-12)
    np.testing.assert_allclose(conv.infer(x.reshape(3, -1))[0], out, atol=1e-12)


@pytest.mark.parametrize("kind, reduce", [("maxpool2d", np.max), ("avgpool2d", np.mean)])
@pytest.mark.parametrize("size, stride", [(2, None), (3, None), (3, 2), (2, 1)])
def test_pooling_outputs_match_the_definition(kind, reduce, size, stride):
    net = build_network(_spec([{"type": kind, "pool_size": size, "stride": stride}] + _head()),
                        dtype=np.float64)
    pool = net.layers[0]
    x = RNG.normal(size=(3, 2, 7, 6))
    expected = pool_loops(x, size, stride or size, reduce)
    assert pool.output_shape == expected.shape[1:]
    for training in (True, False):
        out = pool.forward(x.reshape(3, -1), training=training)
        np.testing.assert_allclose(out.reshape(expected.shape), expected, atol=1e-12)


def test_max_pooling_hands_a_tie_to_the_first_largest_value():
    net = build_network(_spec([{"type": "maxpool2d", "pool_size": 2}] + _head(),
                              input_shape=(1, 2, 2)), dtype=np.float64)
    pool = net.layers[0]
    pool.forward(np.array([[1.0, 3.0, 3.0, 0.0]]), training=True)
    assert pool.backward(np.array([[5.0]])).tolist() == [[0.0, 5.0, 0.0, 0.0]]


@pytest.mark.parametrize("after", ["conv", "dense"])
def test_batchnorm_normalizes_in_training_and_uses_running_statistics_after(after):
    first = {"type": "conv2d", "filters": 3, "kernel_size": 3, "activation": "linear"} \
        if after == "conv" else {"type": "dense", "units": 5, "activation": "linear"}
    layers = [first, {"type": "batchnorm", "momentum": 0.25}] + \
        ([{"type": "flatten"}] if after == "conv" else []) + _head()[1:]
    net = build_network(_spec(layers, input_shape=(2, 7, 6) if after == "conv" else (8,)),
                        dtype=np.float64)
    bn = net.layers[1]
    x = RNG.normal(2.0, 3.0, size=(16, bn.input_size))
    out = bn.forward(x, training=True).reshape(16, bn.input_shape[0], -1)
    x3 = x.reshape(16, bn.input_shape[0], -1)
    mu, var = x3.mean(axis=(0, 2)), x3.var(axis=(0, 2))
    np.testing.assert_allclose(out.mean(axis=(0, 2)), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2)), var / (var + 1e-5), rtol=1e-9)
    m = 16 * x3.shape[2]
    np.testing.assert_allclose(bn.running_mean, 0.25 * mu)
    np.testing.assert_allclose(bn.running_var, 0.75 + 0.25 * var * m / (m - 1))
    inferred = bn.infer(x)[0].reshape(x3.shape)
    expected = (x3 - bn.running_mean[:, None]) / np.sqrt(bn.running_var[:, None] + 1e-5)
    np.testing.assert_allclose(inferred, expected, rtol=1e-9)


# --- gradients through the whole training step -------------------------------------------------

@pytest.mark.parametrize("kernel, stride, padding", CONV_CASES)
def test_conv2d_gradients_for_every_padding_and_stride(kernel, stride, padding):
    """Two convolutions, so that the second one's input gradient is checked through the
    first one's parameter gradients."""
    check_param_gradients(_spec([
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "tanh"},
        {"type": "conv2d", "filters": 2, "kernel_size": kernel, "stride": stride,
         "padding": padding, "activation": "sigmoid"}] + _head()), n=4)


@pytest.mark.parametrize("kind", ["maxpool2d", "avgpool2d"])
@pytest.mark.parametrize("size, stride", [(2, None), (3, 2), (2, 1)])
def test_pooling_gradients(kind, size, stride):
    check_param_gradients(_spec([
        {"type": "conv2d", "filters": 2, "kernel_size": 2, "activation": "relu"},
        {"type": kind, "pool_size": size, "stride": stride}] + _head()), n=4)


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh"])
def test_batchnorm_gradients_after_conv_and_dense(activation):
    check_param_gradients(_spec([
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "activation": "linear"},
        {"type": "batchnorm", "activation": activation},
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 6, "activation": "linear"},
        {"type": "batchnorm", "activation": activation},
        {"type": "dense", "units": 3, "activation": "softmax"}]), n=6)


def test_a_lenet_shaped_stack_with_dropout_and_a_quadratic_loss():
    check_param_gradients(_spec([
        {"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": 1, "activation": "relu"},
        {"type": "avgpool2d", "pool_size": 2},
        {"type": "conv2d", "filters": 3, "kernel_size": 2, "activation": "sigmoid"},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 4, "activation": "sigmoid"}], input_shape=(1, 8, 8),
        loss="sum_of_squares"), n=5)


def test_layer_outputs_are_every_layers_response_in_its_own_shape():
    net = build_network(_spec([{"type": "conv2d", "filters": 4, "kernel_size": 3},
                               {"type": "maxpool2d", "pool_size": 2}] + _head()), dtype=np.float64)
    x = RNG.normal(size=(2, 2 * 7 * 6))
    outputs = net.layer_outputs(x)
    assert [o.shape for o in outputs] == [(2, 4, 5, 4), (2, 4, 2, 2), (2, 16), (2, 3)]
    np.testing.assert_allclose(outputs[-1], net.predict_proba(x))
    np.testing.assert_allclose(outputs[1], pool_loops(outputs[0], 2, 2, np.max))
