"""The reference path and the fast path give the same training (float64, public API only)."""

import threading

import numpy as np
import pytest

from nndesk.data import load_dataset
from nndesk.data.augment import augment_batch
from nndesk.engine import Trainer, build_network, list_presets, load_preset
from nndesk.engine.fast import Options
from nndesk.engine.optimizers import OPTIMIZERS

RTOL = 1e-5
XOR_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], np.float64)
XOR_Y = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def _close(a, b, rtol=RTOL):
    """Relative to the largest weight: every parameter within rtol of it."""
    scale = max(np.abs(a).max(), 1e-12)
    assert np.abs(a - b).max() <= rtol * scale, f"{np.abs(a - b).max() / scale:.2e} apart"


def _data(spec, mnist, n=2000):
    if spec["input_shape"] == [3]:
        return XOR_X, XOR_Y
    if spec["input_shape"] == [2]:  # a generated plane
        plane = load_dataset(spec["dataset"])
        return plane.x_train, plane.y_train
    return mnist.x_train[:n], mnist.y_train[:n]


def _train(spec, x, y, engine, listeners=(), **kwargs):
    net = build_network(spec, dtype=np.float64)
    augment = (lambda xb, rng: augment_batch(xb, rng)) if spec["training"]["augment"] else None
    trainer = Trainer(net, x, y, x[:200], y[:200], listeners=list(listeners), augment=augment,
                      engine=engine, **kwargs)
    result = trainer.run()
    assert result["error"] is None, result["error"]
    return net, trainer, result


@pytest.mark.parametrize("preset", [name for name, _ in list_presets()])
def test_every_preset_trains_the_same_on_both_paths(preset, mnist):
    spec = load_preset(preset)
    spec["training"]["epochs"] = 1
    x, y = _data(spec, mnist)
    ref = _train(spec, x, y, "reference")[0]
    fast = _train(spec, x, y, "fast")[0]
    _close(ref.params, fast.params)
    assert not np.array_equal(ref.params, build_network(spec, np.float64).params)  # it trained


@pytest.mark.parametrize("options", [
    Options(two_threads="always"), Options(two_threads="never"), Options(spans=False),
    Options(input_order=False), Options(deferred=False)], ids=repr)
@pytest.mark.parametrize("preset", ["deep_relu_adam", "nielsen_sigmoid", "default"])
def test_each_technique_on_or_off_trains_the_same(preset, options, mnist):
    spec = load_preset(preset)
    spec["training"]["epochs"] = 1
    x, y = _data(spec, mnist)
    ref = _train(spec, x, y, "reference")[0]
    fast = _train(spec, x, y, options)[0]
    _close(ref.params, fast.params)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("two_threads", ["always", "never"])
def test_every_optimizer_with_weight_decay_trains_the_same(name, two_threads, mnist):
    spec = load_preset("deep_relu_adam")
    spec["training"].update(epochs=2, batch_size=64)
    spec["optimizer"] = {**OPTIMIZERS[name], "name": name, "weight_decay": 1e-3,
                         "learning_rate": OPTIMIZERS[name]["learning_rate"]}
    x, y = mnist.x_train[:1000], mnist.y_train[:1000]
    ref = _train(spec, x, y, "reference")[0]
    fast = _train(spec, x, y, Options(two_threads=two_threads))[0]
    _close(ref.params, fast.params)


def test_the_weights_read_at_each_epoch_and_at_a_pause_are_the_same(mnist):
    """What a listener reads mid-run (the window's snapshots) is the network's weights in
    their own order, as the reference path has them at the same moment."""
    spec = load_preset("deep_relu_adam")
    spec["training"].update(epochs=3, batch_size=100)
    x, y = mnist.x_train[:1500], mnist.y_train[:1500]

    def run(engine):
        seen, trainer = [], None

        def listener(event):
            if event["event"] == "batch" and event["epoch"] == 2 and event["batch"] == 4:
                trainer.pause()
                threading.Timer(0.05, trainer.resume).start()
            if event["event"] in ("epoch", "paused"):
                seen.append((event["event"], net.get_weights(), net.predict_proba(x[:50])))

        net = build_network(spec, dtype=np.float64)
        trainer = Trainer(net, x, y, listeners=[listener], engine=engine)
        assert trainer.run()["error"] is None
        return seen

    ref, fast = run("reference"), run("fast")
    assert [kind for kind, *_ in ref] == ["epoch", "paused", "epoch", "epoch"]
    assert [kind for kind, *_ in fast] == [kind for kind, *_ in ref]
    for (_, w_ref, p_ref), (_, w_fast, p_fast) in zip(ref, fast):
        for name in w_ref:
            _close(w_ref[name], w_fast[name])
        np.testing.assert_allclose(p_fast, p_ref, rtol=1e-6, atol=1e-9)


def test_a_run_stopped_mid_epoch_leaves_the_same_weights(mnist):
    spec = load_preset("nielsen_sigmoid")  # deferred first-layer updates on the fast path
    x, y = mnist.x_train[:2000], mnist.y_train[:2000]

    def run(engine):
        trainer = None

        def listener(event):
            if event["event"] == "batch" and event["batch"] == 37:
                trainer.request_stop()

        net = build_network(spec, dtype=np.float64)
        trainer = Trainer(net, x, y, listeners=[listener], engine=engine)
        result = trainer.run()
        assert result["reason"] == "stopped"
        return net

    ref, fast = run("reference"), run("fast")
    _close(ref.params, fast.params)
    for name, grad in ref.named_gradients().items():  # the last step's gradients too
        _close(grad, fast.named_gradients()[name])


def test_inputs_that_are_not_bytes_train_the_same(mnist):
    spec = load_preset("deep_relu_adam")
    spec["training"]["epochs"] = 1
    x = mnist.x_train[:1000] * np.float32(0.7) + np.float32(0.01)  # no longer k / 255
    y = mnist.y_train[:1000]
    _close(_train(spec, x, y, "reference")[0].params, _train(spec, x, y, "fast")[0].params)


def test_early_stopping_restores_the_same_best_weights_on_both_paths(mnist):
    spec = load_preset("deep_relu_adam")
    spec["training"].update(epochs=20, early_stopping_patience=1)
    spec["optimizer"]["learning_rate"] = 0.02  # too high: validation loss soon gets worse
    x, y = mnist.x_train[:1500], mnist.y_train[:1500]
    (ref, _, r1), (fast, _, r2) = _train(spec, x, y, "reference"), _train(spec, x, y, "fast")
    assert r1["reason"] == r2["reason"] == "early_stopping"
    assert r1["history"]["epoch"] == r2["history"]["epoch"]
    _close(ref.params, fast.params)


def test_the_engine_is_chosen_by_the_spec_or_the_trainer(mnist):
    spec = load_preset("tiny_relu")
    spec["training"]["engine"] = "reference"
    net = build_network(spec)
    assert Trainer(net, mnist.x_train[:100], mnist.y_train[:100]).engine == "reference"
    assert Trainer(net, mnist.x_train[:100], mnist.y_train[:100], engine="fast").engine == "fast"
    with pytest.raises(ValueError, match="'fast' or 'reference'"):
        Trainer(net, mnist.x_train[:100], mnist.y_train[:100], engine="quick")
    with pytest.raises(ValueError, match="two_threads"):
        Options(two_threads="sometimes")


@pytest.mark.parametrize("name", ["adam", "momentum", "rmsprop"])
def test_a_second_run_goes_on_from_the_optimizers_state_on_either_path(name, mnist):
    """A trainer's optimizer state (running averages, step count) carries over from one run
    to the next, whichever path each run takes."""
    spec = load_preset("deep_relu_adam")
    spec["training"].update(epochs=1, batch_size=64)
    spec["optimizer"] = {**OPTIMIZERS[name], "name": name}
    x, y = mnist.x_train[:1000], mnist.y_train[:1000]
    finals = {}
    for first, second in (("reference", "reference"), ("fast", "fast"), ("fast", "reference"),
                          ("reference", "fast")):
        net = build_network(spec, dtype=np.float64)
        trainer = Trainer(net, x, y, engine=first)
        trainer.run()
        trainer.engine = second
        trainer.run()
        finals[first, second] = net.params.copy()
    ref = finals["reference", "reference"]
    for key, params in finals.items():
        _close(ref, params)
    fresh = build_network(spec, dtype=np.float64)  # a fresh optimizer for the second run differs
    Trainer(fresh, x, y, engine="reference").run()
    Trainer(fresh, x, y, engine="reference").run()
    assert np.abs(fresh.params - ref).max() > 1e-3 * np.abs(ref).max()


def test_another_thread_never_sees_the_first_layers_rows_out_of_order(mnist):
    """The fast path keeps its copy of the first layer's rows in its own order; what it
    publishes into the network, even while another thread reads it, is in the pixels'."""
    spec = load_preset("deep_relu_adam")
    spec["training"].update(epochs=3, batch_size=128)
    x, y = mnist.x_train[:3000], mnist.y_train[:3000]
    blank = np.flatnonzero((x != 0).sum(axis=0) == 0)  # never inked: their rows never move
    net = build_network(spec)
    start = net.layers[0].W[blank].copy()
    done, reads, wrong = threading.Event(), [0], [0]

    def read():
        while not done.is_set():
            rows = net.named_weights()["layers.0.weight"][blank]  # (in, out): a row per pixel
            reads[0] += 1
            wrong[0] += not np.array_equal(rows, start)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        result = Trainer(net, x, y, engine=Options(publish_seconds=0.0)).run()
    finally:
        done.set()
        thread.join(timeout=30)
    assert result["error"] is None and len(blank) > 10
    assert reads[0] > 100 and wrong[0] == 0, f"{wrong[0]} of {reads[0]} reads out of order"
    assert not np.array_equal(net.layers[0].W, build_network(spec).layers[0].W)  # it trained


@pytest.mark.parametrize("preset, dtype, lr, schedule", [
    ("nielsen_sigmoid", np.float64, 3.0, {"name": "step", "step_epochs": 1, "gamma": 1e-200}),
    ("tiny_relu", np.float32, 1e-39, {"name": "constant"}),
])
def test_the_last_gradients_read_the_same_at_a_zero_or_tiny_rate(preset, dtype, lr, schedule,
                                                                  mnist):
    """A rate of exactly 0 (a step schedule's third epoch) or one far below 1e-6: the
    weights stop moving, and the gradients the network reports are still the right ones."""
    spec = load_preset(preset)
    spec["training"].update(epochs=3, batch_size=10 if preset == "nielsen_sigmoid" else 0)
    spec["optimizer"]["learning_rate"] = lr
    spec["schedule"] = schedule
    x, y = mnist.x_train[:600], mnist.y_train[:600]
    grads = {}
    for engine in ("reference", "fast"):
        net = build_network(spec, dtype=dtype)
        assert Trainer(net, x, y, engine=engine).run()["error"] is None
        grads[engine] = net.named_gradients()
    for name, grad in grads["reference"].items():
        assert np.isfinite(grads["fast"][name]).all()
        _close(grad, grads["fast"][name], rtol=RTOL if dtype == np.float64 else 1e-4)


def test_batch_norm_running_statistics_are_the_same_on_both_paths(mnist):
    spec = load_preset("cnn_small")
    conv1, pool1, conv2, *rest = spec["layers"]
    spec["layers"] = [{**conv1, "activation": "linear"}, {"type": "batchnorm", "activation": "relu"},
                      pool1, {**conv2, "activation": "linear"}, {"type": "batchnorm", "activation": "relu"},
                      *rest]
    spec["training"]["epochs"] = 1
    x, y = _data(spec, mnist, n=1000)
    ref, fast = (_train(spec, x, y, engine)[0].get_weights() for engine in ("reference", "fast"))
    start = build_network(spec).get_weights()
    for name in ("layers.1.running_mean", "layers.1.running_var", "layers.4.running_mean",
                 "layers.4.running_var"):
        assert not np.array_equal(ref[name], start[name])
        _close(ref[name], fast[name])
    # A convolution's bias before batch norm gets no gradient: compare against all weights.
    _close(np.concatenate([v.ravel() for v in ref.values()]),
           np.concatenate([fast[k].ravel() for k in ref]))


def _flat_batch_norm_spec():
    spec = load_preset("deep_relu_adam")
    spec["layers"] = [{"type": "dense", "units": 32, "activation": "linear"},
                      {"type": "batchnorm", "activation": "relu"},
                      {"type": "dense", "units": 10, "activation": "softmax"}]
    return spec


def test_batch_norm_on_flat_inputs_trains_the_same_on_both_paths(mnist):
    spec = _flat_batch_norm_spec()
    spec["training"]["epochs"] = 1
    x, y = _data(spec, mnist, n=1000)
    ref, fast = (_train(spec, x, y, engine)[0].get_weights() for engine in ("reference", "fast"))
    _close(np.concatenate([v.ravel() for v in ref.values()]),
           np.concatenate([fast[k].ravel() for k in ref]))


def test_early_stopping_puts_back_the_best_epochs_running_statistics(mnist):
    spec = _flat_batch_norm_spec()
    spec["optimizer"]["learning_rate"] = 0.05  # too high: the validation loss soon gets worse
    spec["training"].update(epochs=30, early_stopping_patience=2)
    net, _, result = _train(spec, *_data(spec, mnist, n=2000), "fast")
    assert result["reason"] == "early_stopping"
    best = min(result["history"]["val_loss"])
    assert net.evaluate(mnist.x_train[:200], mnist.y_train[:200])[0] == pytest.approx(best, rel=1e-9)
