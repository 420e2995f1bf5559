"""Specs with convolutional layers: every impossible stack explained before training, naming
the layer and the shapes; model files in PyTorch's layout, read back outside nndesk."""

import json

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from nndesk.engine import ModelFileError, build_network, default_spec, describe, load_model, \
    save_model, validate
from test_conv_layers import conv_loops, pool_loops


def _spec(layers, input_shape=(1, 28, 28)):
    spec = default_spec()
    spec.update(input_shape=list(input_shape), layers=layers)
    return spec


CONV = {"type": "conv2d", "filters": 4, "kernel_size": 3}
HEAD = [{"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]


@pytest.mark.parametrize("layers, input_shape, layer, words", [
    ([{**CONV, "kernel_size": 9}, *HEAD], (1, 6, 6), 1, ["kernel height of 9",
                                                        "larger than", "height of 6"]),
    ([CONV, {"type": "maxpool2d", "pool_size": 8}, *HEAD], (1, 9, 9), 2,
     ["pool size of 8", "larger than", "height of 7"]),
    ([CONV, {"type": "dense", "units": 10, "activation": "softmax"}], (1, 8, 8), 2,
     ["flat input", "4 x 6 x 6", "flatten"]),
    ([{**CONV, "stride": 0}, *HEAD], (1, 8, 8), 1, ["stride", "from 1"]),
    ([CONV, *HEAD], (784,), 1, ["channels x height x width", "784", "[1, 28, 28]"]),
    ([{**CONV, "activation": "softmax"}, *HEAD], (1, 8, 8), 1, ["softmax", "output layer"]),
    ([CONV, {"type": "flatten"}], (1, 8, 8), 2, ["last layer", "dense", "flatten"]),
    ([{**CONV, "padding": "same", "stride": 2}, *HEAD], (1, 8, 8), 1, ["'same'", "stride 1"]),
    ([{"type": "conv2d", "kernel_size": 3}, *HEAD], (1, 8, 8), 1, ["needs filters"]),
    ([{"type": "conv2d", "filters": 2}, {"type": "maxpool2d", "pool_size": 7}, *HEAD], (1, 8, 8),
     2, ["pool size of 7", "height of 6"]),  # kernel_size defaults to 3
    ([{**CONV, "kernel_size": [0, 3]}, *HEAD], (1, 8, 8), 1, ["kernel_size", "[5, 5]"]),
    ([{**CONV, "padding": "full"}, *HEAD], (1, 8, 8), 1, ["'valid', 'same'"]),
    ([CONV, {"type": "batchnorm", "momentum": 2}, *HEAD], (1, 8, 8), 2, ["momentum"]),
])
def test_impossible_stacks_are_explained_naming_the_layer_and_shapes(layers, input_shape, layer,
                                                                     words):
    problems = validate(_spec(layers, input_shape))
    assert len(problems) == 1, problems
    text = str(problems[0])
    assert text.startswith(f"layer {layer} ") and problems[0].layer == layer - 1
    for word in words:
        assert word in text, text


def test_describe_gives_image_shapes_and_convolution_flops():
    info = describe(_spec([{**CONV, "padding": "same"}, {"type": "maxpool2d"}, *HEAD]))
    assert [r["output_shape"] for r in info["layers"]] == [[4, 28, 28], [4, 14, 14], [784], [10]]
    assert info["layers"][0]["params"] == 4 * 9 + 4
    assert info["flops_per_sample"] == 2 * (4 * 9 * 28 * 28 + 4 * 14 * 14 * 4 + 784 * 10)


LENET = [{"type": "conv2d", "filters": 3, "kernel_size": 5, "padding": 2, "activation": "relu"},
         {"type": "maxpool2d", "pool_size": 2},
         {"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "linear"},
         {"type": "batchnorm", "activation": "relu"},
         {"type": "avgpool2d", "pool_size": 2},
         {"type": "flatten"},
         {"type": "dense", "units": 10, "activation": "softmax"}]


def _trained_cnn():
    net = build_network(_spec(LENET, (1, 12, 12)), dtype=np.float32)
    rng = np.random.default_rng(0)
    x = rng.random((32, 144), dtype=np.float32)
    for _ in range(3):  # running statistics away from their start
        net.forward(x, training=True)
    return net, x


def test_model_files_hold_pytorchs_layout_and_give_the_same_outputs_outside_nndesk(tmp_path):
    net, x = _trained_cnn()
    path = save_model(net, tmp_path / "cnn.safetensors")
    t = load_file(str(path))  # the file as any safetensors reader sees it
    assert t["layers.0.weight"].shape == (3, 1, 5, 5) and t["layers.2.weight"].shape == (4, 3, 3, 3)
    assert t["layers.6.weight"].shape == (10, 4 * 2 * 2)  # (out, in) after a (C, H, W) flatten
    assert set(k for k in t if k.startswith("layers.3.")) == {
        "layers.3.weight", "layers.3.bias", "layers.3.running_mean", "layers.3.running_var"}

    # The forward pass from the file's tensors, by the definitions, in PyTorch's conventions.
    a = x.reshape(-1, 1, 12, 12).astype(np.float64)
    a = np.maximum(conv_loops(a, t["layers.0.weight"], t["layers.0.bias"], 1, (2, 2)), 0)
    a = pool_loops(a, 2, 2, np.max)
    a = conv_loops(a, t["layers.2.weight"], t["layers.2.bias"], 1, (0, 0))
    mean, var = t["layers.3.running_mean"], t["layers.3.running_var"]
    a = (a - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    a = np.maximum(a * t["layers.3.weight"][:, None, None] + t["layers.3.bias"][:, None, None], 0)
    a = pool_loops(a, 2, 2, np.mean).reshape(len(a), -1)
    z = a @ t["layers.6.weight"].T + t["layers.6.bias"]
    expected = np.exp(z - z.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(load_model(path).predict_proba(x), expected, atol=1e-5)
    np.testing.assert_allclose(net.predict_proba(x), expected, atol=1e-5)


def test_a_model_file_whose_running_variance_is_negative_is_refused(tmp_path):
    net, _ = _trained_cnn()
    path = save_model(net, tmp_path / "cnn.safetensors")
    with safe_open(str(path), "numpy") as f:
        meta, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    tensors["layers.3.running_var"] = -tensors["layers.3.running_var"]
    save_file(tensors, str(tmp_path / "bad.safetensors"), metadata=meta)
    with pytest.raises(ModelFileError, match="running_var"):
        load_model(tmp_path / "bad.safetensors")


def test_conv_tensors_of_another_shape_are_refused(tmp_path):
    net, _ = _trained_cnn()
    spec = json.loads(json.dumps(net.spec))
    spec["layers"][0]["filters"] = 5
    save_model(build_network(spec), tmp_path / "other.safetensors")
    with safe_open(str(tmp_path / "other.safetensors"), "numpy") as f:
        meta = f.metadata()
    save_file(load_file(str(save_model(net, tmp_path / "cnn.safetensors"))),
              str(tmp_path / "mixed.safetensors"), metadata=meta)  # 3 filters, a spec of 5
    with pytest.raises(ModelFileError, match=r"tensor layers\.0\.\w+ has shape \[3"):
        load_model(tmp_path / "mixed.safetensors")
