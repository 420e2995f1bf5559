"""A recorded step replayed with every number: the same weights as the run's, the unit's
forward and backward pass by hand, the optimizer's published rule, the gradient check."""

import numpy as np
import pytest

from nndesk.engine import Trainer, build_network, load_preset
from nndesk.engine.stepmath import Replay, gradient_check, source

RNG = np.random.default_rng(3)


def _recorded_run(spec, steps=3, n=96, batch=32):
    spec = {**spec, "training": {**spec.get("training", {}), "engine": "reference"}}
    net = build_network(spec, dtype=np.float64)
    x = RNG.random((n, net.input_size))
    y = RNG.integers(0, net.num_classes, n)
    trainer = Trainer(net, x, y, epochs=5, batch_size=batch)
    trainer.recording = True
    trainer.listeners.append(lambda e: e["event"] == "batch" and e["batch"] + 3 * (e["epoch"] - 1)
                             >= steps and trainer.request_stop())
    assert trainer.run()["reason"] == "stopped"
    return net, trainer.last_step


def _dense_spec(optimizer, activation="tanh", dropout=0.0):
    layers = [{"type": "dense", "units": 6, "activation": activation}]
    if dropout:
        layers.append({"type": "dropout", "rate": dropout})
    layers.append({"type": "dense", "units": 3, "activation": "softmax"})
    return {"input_shape": [5], "layers": layers, "loss": "softmax_cross_entropy",
            "optimizer": optimizer, "seed": 1}


@pytest.mark.parametrize("optimizer", [{"name": "sgd", "learning_rate": 0.3},
                                       {"name": "adam", "learning_rate": 0.01, "weight_decay": 0.01},
                                       {"name": "momentum", "learning_rate": 0.1}])
def test_the_replay_ends_with_the_runs_weights(optimizer):
    net, record = _recorded_run(_dense_spec(optimizer, dropout=0.4))
    replay = Replay(net.spec, record, dtype=np.float64)
    np.testing.assert_array_equal(replay.after, net.params)
    assert record["batch"] == 3 and len(record["y"]) == 32


def test_a_dense_unit_by_hand():
    net, record = _recorded_run(_dense_spec({"name": "adam", "learning_rate": 0.01}))
    replay = Replay(net.spec, record, dtype=np.float64)
    u = replay.unit(0, 4, sample=7)
    x = record["x"][7]
    assert np.allclose(u["inputs"], x)
    assert u["z"] == pytest.approx(float(x @ u["weights"] + u["bias"]))
    assert u["a"] == pytest.approx(np.tanh(u["z"]))
    assert u["dz"] == pytest.approx(u["incoming"] * (1 - u["a"] ** 2))
    # dW summed over the batch is the sum of every sample's share
    shares = sum(replay.unit(0, 4, sample=s)["dW_sample"] for s in range(len(record["y"])))
    np.testing.assert_allclose(replay.update(replay.unit_indices(0, 4)[0])["gradient"], shares)
    up = u["update"]
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = b1 * up["m_before"] + (1 - b1) * up["gradient"]
    v = b2 * up["v_before"] + (1 - b2) * up["gradient"] ** 2
    m_hat, v_hat = m / (1 - b1 ** up["t"]), v / (1 - b2 ** up["t"])
    np.testing.assert_allclose(up["m_hat"], m_hat)
    np.testing.assert_allclose(up["after"], up["before"] - 0.01 * m_hat / (np.sqrt(v_hat) + eps))
    assert up["t"] == 3


def test_the_output_written_out_as_softmax_and_cross_entropy():
    net, record = _recorded_run(_dense_spec({"name": "sgd", "learning_rate": 0.3}))
    replay = Replay(net.spec, record, dtype=np.float64)
    sm = replay.softmax(5)
    z = sm["logits"]
    p = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(sm["probabilities"], p)
    assert sm["loss"] == pytest.approx(-np.log(p[record["y"][5]]))
    out = replay.unit(1, 0, sample=5)
    assert out["fused"] and out["dz"] == pytest.approx(sm["delta"][0])


def test_a_convolution_position_is_its_kernel_over_its_patch():
    spec = {"input_shape": [1, 6, 6], "loss": "softmax_cross_entropy", "seed": 2,
            "optimizer": {"name": "sgd", "learning_rate": 0.1},
            "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": 1},
                       {"type": "maxpool2d"}, {"type": "flatten"},
                       {"type": "dense", "units": 3, "activation": "softmax"}]}
    net, record = _recorded_run(spec)
    replay = Replay(net.spec, record, dtype=np.float64)
    pos = replay.position(0, 1, 0, 2, sample=4)
    image = np.pad(record["x"][4].reshape(6, 6), 1)
    np.testing.assert_allclose(pos["patch"][0], image[0:3, 2:5])
    assert pos["z"] == pytest.approx(float((pos["patch"] * pos["kernel"]).sum() + pos["bias"]))
    assert pos["a"] == pytest.approx(max(pos["z"], 0.0))
    with pytest.raises(ValueError, match="not dense"):
        replay.unit(0, 0)


def test_gradient_check_agrees_with_backprop():
    net, record = _recorded_run(_dense_spec({"name": "sgd", "learning_rate": 0.3}, dropout=0.3))
    replay = Replay(net.spec, record, dtype=np.float64)
    weights, bias = replay.unit_indices(0, 2)
    check = gradient_check(net.spec, record, np.append(weights, bias))
    assert check["max_relative_error"] < 1e-6
    np.testing.assert_allclose(check["backprop"], replay.gradients[np.append(weights, bias)])


def test_fast_path_runs_record_nothing():
    spec = load_preset("tiny_relu")
    net = build_network(spec)
    trainer = Trainer(net, RNG.random((64, 784)), RNG.integers(0, 10, 64), epochs=1,
                      batch_size=32, engine="fast")
    trainer.recording = True
    trainer.run()
    assert trainer.last_step is None


def test_advance_takes_that_many_batches_then_pauses():
    spec = _dense_spec({"name": "sgd", "learning_rate": 0.1})
    net = build_network(spec)
    trainer = Trainer(net, RNG.random((64, 5)), RNG.integers(0, 3, 64), epochs=2, batch_size=8)
    seen = []

    def listen(event):
        if event["event"] == "paused":
            seen.append(len(trainer.history["batch_loss"]))
            if len(seen) == 1:
                trainer.advance(3)
            else:
                trainer.request_stop()

    trainer.listeners.append(listen)
    trainer.advance(2)
    assert trainer.run()["reason"] == "stopped"
    assert seen == [2, 5]


def test_the_code_shown_is_the_layers_own():
    net = build_network(_dense_spec({"name": "sgd"}))
    code = source(net.layers[0])
    assert "def forward" in code and "def backward" in code
    assert "self.dW[...] = self.x.T @ dz" in code
