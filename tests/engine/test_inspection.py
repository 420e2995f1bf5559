"""The inspection maths: every layer's response, class evidence against central differences
of an independently computed class score, dead units, and that none of it disturbs a network
in the middle of a training step."""

import numpy as np
import pytest

from nndesk.engine import Trainer, build_network
from nndesk.engine import inspection

RNG = np.random.default_rng(5)

IMAGE_STACKS = {
    "conv_max": [{"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": 1,
                  "activation": "tanh"},
                 {"type": "maxpool2d", "pool_size": 2},
                 {"type": "flatten"}, {"type": "dense", "units": 4, "activation": "softmax"}],
    "conv_bn_avg_stride": [{"type": "conv2d", "filters": 4, "kernel_size": [3, 2], "stride": 2,
                            "activation": "linear"},
                           {"type": "batchnorm", "activation": "elu"},
                           {"type": "avgpool2d", "pool_size": 2, "stride": 1},
                           {"type": "flatten"}, {"type": "dropout", "rate": 0.3},
                           {"type": "dense", "units": 4, "activation": "softmax"}],
}
DENSE_STACKS = {
    "sigmoid_tanh": [{"type": "dense", "units": 7, "activation": "sigmoid"},
                     {"type": "batchnorm", "activation": "tanh"},
                     {"type": "dense", "units": 4, "activation": "softmax"}],
    "one_sigmoid_unit": [{"type": "dense", "units": 6, "activation": "elu"},
                         {"type": "dense", "units": 1, "activation": "sigmoid"}],
}


def _net(layers, input_shape, loss="softmax_cross_entropy", train=True):
    spec = {"input_shape": list(input_shape), "layers": layers, "loss": loss,
            "optimizer": {"name": "adam", "learning_rate": 0.01}, "seed": 2}
    net = build_network(spec, dtype=np.float64)
    if train:  # moves the weights and batch norm's running statistics off their start
        rng = np.random.default_rng(9)  # the same training for the same arguments
        x = rng.normal(size=(40, int(np.prod(input_shape))))
        y = rng.integers(0, net.num_classes, 40)
        assert Trainer(net, x, y, batch_size=8, epochs=2).run()["error"] is None
    return net


def _score(net, x, target):
    """The class score from the public API: the last dense layer applied by hand to the
    output of the layer before it."""
    before = net.layer_outputs(x[None])[-2].reshape(1, -1) if len(net.layers) > 1 else x[None]
    last = len(net.layers) - 1
    w = net.named_weights()
    z = before @ w[f"layers.{last}.weight"] + w[f"layers.{last}.bias"]
    if net.output_size == 1:
        return float(z[0, 0] if target == 1 else -z[0, 0])
    return float(z[0, target])


def _numeric(net, x, target, h=1e-6):
    grad = np.empty_like(x)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (_score(net, up, target) - _score(net, down, target)) / (2 * h)
    return grad


@pytest.mark.parametrize("name", sorted(IMAGE_STACKS) + sorted(DENSE_STACKS))
def test_score_gradient_matches_central_differences(name):
    if name in IMAGE_STACKS:
        net = _net(IMAGE_STACKS[name], (2, 7, 6))
    else:
        loss = "mse" if name == "one_sigmoid_unit" else "softmax_cross_entropy"
        net = _net(DENSE_STACKS[name], (5,), loss=loss)
    x = RNG.normal(size=net.input_size)
    for target in range(net.num_classes):
        grad, score = inspection.score_gradient(net, x[None], target)
        assert score[0] == pytest.approx(_score(net, x, target), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(grad[0], _numeric(net, x, target), rtol=1e-5, atol=1e-8)


def test_score_gradient_takes_a_batch_with_one_target_each():
    net = _net(IMAGE_STACKS["conv_max"], (2, 7, 6))
    x = RNG.normal(size=(3, net.input_size))
    grads, scores = inspection.score_gradient(net, x, [0, 3, 1])
    for row, target in enumerate([0, 3, 1]):
        one, score = inspection.score_gradient(net, x[row:row + 1], target)
        np.testing.assert_allclose(grads[row], one[0], rtol=1e-12)
        assert scores[row] == pytest.approx(score[0])


def test_a_class_out_of_range_is_a_clear_error():
    net = _net(DENSE_STACKS["sigmoid_tanh"], (5,), train=False)
    with pytest.raises(ValueError, match="from 0 to 3"):
        inspection.evidence(net, np.zeros(5), 4)
    with pytest.raises(ValueError, match="one input of 5 values"):
        inspection.trace(net, np.zeros(6))


def test_trace_is_every_layer_output_with_its_pre_activation():
    net = _net(IMAGE_STACKS["conv_bn_avg_stride"], (2, 7, 6))
    x = RNG.normal(size=(2, 7, 6))
    responses = inspection.trace(net, x)
    expected = net.layer_outputs(x[None])
    assert [r.kind for r in responses] == [layer.kind for layer in net.layers]
    for r, out, layer in zip(responses, expected, net.layers):
        assert r.output.shape == layer.output_shape
        np.testing.assert_allclose(r.output, out[0])
        if r.pre_activation is None:
            assert layer.kind in ("avgpool2d", "maxpool2d", "flatten", "dropout")
        else:
            flat = r.pre_activation.reshape(1, -1)
            np.testing.assert_allclose(layer.activation.forward(flat)[0], r.output.ravel())
    assert responses[0].title == "conv2d 4 3x2 linear"
    assert responses[-1].summary()["max"] == pytest.approx(float(expected[-1].max()))


def test_evidence_parts_follow_from_the_gradient():
    net = _net(DENSE_STACKS["sigmoid_tanh"], (5,))
    x = np.array([0.0, 0.3, 1.0, 0.7, 0.1])
    ev = inspection.evidence(net, x, 2)
    grad, _ = inspection.score_gradient(net, x[None], 2)
    np.testing.assert_allclose(ev.gradient, grad[0])
    np.testing.assert_allclose(ev.gradient_x_input, x * grad[0])
    np.testing.assert_allclose(ev.ink_helps, np.maximum(grad[0], 0) * (1 - x))
    assert ev.ink_helps[2] == 0.0  # full ink cannot be raised


def test_dead_units_are_the_relu_units_never_active():
    layers = [{"type": "conv2d", "filters": 3, "kernel_size": 3, "activation": "relu"},
              {"type": "flatten"}, {"type": "dense", "units": 4, "activation": "relu"},
              {"type": "dense", "units": 2, "activation": "softmax"}]
    net = _net(layers, (1, 5, 5), train=False)
    w = net.named_weights()
    w["layers.0.weight"][1] = 0.0
    w["layers.0.bias"][1] = -1.0  # channel 1 is never positive
    w["layers.2.weight"][:, 3] = 0.0
    w["layers.2.bias"][3] = -0.5  # unit 3 neither
    w["layers.2.bias"][:3] = 50.0  # the others always are
    dead = inspection.dead_units(net, RNG.normal(size=(30, 25)), batch_size=7)
    assert dead[1] is None and dead[3] is None  # flatten, and a softmax layer
    assert dead[0].tolist() == [False, True, False]
    assert dead[2].tolist() == [False, False, False, True]


def test_most_active_ranks_units_and_channels():
    assert inspection.most_active(np.array([0.1, 3.0, -2.0, 1.0]), 2) == [1, 3]
    maps = np.zeros((3, 2, 2))
    maps[2, 1, 1], maps[0, 0, 0] = 5.0, 1.0
    assert inspection.most_active(maps, 5) == [2, 0, 1]


def test_inspection_leaves_a_training_step_alone():
    """Between a training forward pass and its backward pass, an inspection changes neither
    the parameters, the running statistics nor the gradients the backward pass computes."""
    layers = IMAGE_STACKS["conv_bn_avg_stride"]
    net, control = _net(layers, (2, 7, 6)), _net(layers, (2, 7, 6))
    x = RNG.normal(size=(6, net.input_size))
    y = RNG.integers(0, 4, 6)
    for model in (net, control):
        for layer in model.layers:
            if layer.kind == "dropout":
                layer.rng = np.random.default_rng(1)
        model.forward(x, training=True)
    params, buffers = net.params.copy(), [b.copy() for b in net.buffers()]
    inspection.trace(net, x[0])
    inspection.evidence(net, x[1], 2)
    inspection.dead_units(net, x)
    np.testing.assert_array_equal(net.params, params)
    for before, after in zip(buffers, net.buffers()):
        np.testing.assert_array_equal(before, after)
    delta = np.eye(4)[y] - 0.25
    net.backward(delta)
    control.backward(delta)
    for name, grad in control.named_gradients().items():
        np.testing.assert_array_equal(net.named_gradients()[name], grad)
