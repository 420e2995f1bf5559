"""Deferred first-layer updates (plain SGD, small batches) against updating after every batch."""

import numpy as np
import pytest

from nndesk.data import load_dataset
from nndesk.engine import Trainer, build_network, load_preset
from nndesk.engine.deferred import block_batches


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def _spec(**changes):
    spec = load_preset("nielsen_sigmoid")
    spec["training"].update({"epochs": 2, "validation_split": 0.0})
    for key, value in changes.items():
        spec[key] = value
    return spec


def _train(spec, x, y, deferred, dtype=np.float64):
    net = build_network(spec, dtype=dtype)
    active = []
    trainer = Trainer(net, x, y, deferred_updates=deferred,
                      listeners=[lambda e: active.append(net.pending_updates is not None)])
    result = trainer.run()
    assert any(active) == deferred  # the deferred path ran exactly when asked for
    return net, trainer, result


def test_deferred_updates_apply_to_small_batch_plain_sgd_only():
    net = build_network(load_preset("nielsen_sigmoid"))
    assert block_batches(net, 10, augmenting=False) == 8
    assert block_batches(net, 20, augmenting=False) == 4
    assert block_batches(net, 64, augmenting=False) == 0  # products already well shaped
    assert block_batches(net, 10, augmenting=True) == 0
    decay = _spec(optimizer={"name": "sgd", "learning_rate": 3.0, "weight_decay": 1e-4})
    assert block_batches(build_network(decay), 10, augmenting=False) == 0
    adam = _spec(optimizer={"name": "adam", "learning_rate": 1e-3})
    assert block_batches(build_network(adam), 10, augmenting=False) == 0
    narrow = _spec()
    narrow["layers"][0]["units"] = 30  # narrower than a block: the extra products cost more
    assert block_batches(build_network(narrow), 10, augmenting=False) == 0


@pytest.mark.parametrize("spec", [
    _spec(),
    # softmax cross-entropy, ReLU, a cosine schedule (the rate changes every batch),
    # dropout after the first layer, and 1003 samples (a last batch of 3)
    _spec(layers=[{"type": "dense", "units": 96, "activation": "relu"},
                  {"type": "dropout", "rate": 0.2},
                  {"type": "dense", "units": 10, "activation": "softmax"}],
          loss="softmax_cross_entropy", initializer="he_normal",
          optimizer={"name": "sgd", "learning_rate": 0.1}, schedule={"name": "cosine"}),
], ids=["nielsen", "relu_softmax_cosine_dropout"])
def test_deferred_training_computes_the_same_weights(mnist, spec):
    x, y = mnist.x_train[:1003], mnist.y_train[:1003]
    plain, _, r1 = _train(spec, x, y, deferred=False)
    fast, _, r2 = _train(spec, x, y, deferred=True)
    assert r1["reason"] == r2["reason"] == "completed"
    assert np.abs(plain.params - fast.params).max() < 1e-10
    grads_plain, grads_fast = plain.named_gradients(), fast.named_gradients()
    for name in grads_plain:
        assert np.abs(grads_plain[name] - grads_fast[name]).max() < 1e-10, name
    assert r1["history"]["train_loss"] == pytest.approx(r2["history"]["train_loss"], rel=1e-9)
    assert fast.pending_updates is None  # the network is its own again


def test_reading_weights_mid_block_sees_every_update_so_far(mnist):
    """A listener (as the window's worker does) copies the weights now and then."""
    x, y = mnist.x_train[:600], mnist.y_train[:600]
    seen = {}

    def snapshot(store):
        def listener(event):
            if event["event"] == "batch" and event["batch"] % 7 == 3:
                store[(event["epoch"], event["batch"])] = (
                    event["_net"].get_weights(), event["_net"].named_gradients())
        return listener

    runs = {}
    for deferred in (False, True):
        store = seen.setdefault(deferred, {})
        net = build_network(_spec(), dtype=np.float64)
        trainer = Trainer(net, x, y, deferred_updates=deferred,
                          listeners=[lambda e, n=net: e.update(_net=n), snapshot(store)])
        trainer.run()
        runs[deferred] = net.params.copy()
    assert seen[False].keys() == seen[True].keys() and len(seen[True]) > 10
    for key, (weights, grads) in seen[False].items():
        weights_fast, grads_fast = seen[True][key]
        for name in weights:
            assert np.abs(weights[name] - weights_fast[name]).max() < 1e-10, (key, name)
            assert np.abs(grads[name] - grads_fast[name]).max() < 1e-10, (key, name)
    assert np.abs(runs[False] - runs[True]).max() < 1e-10


def test_stop_mid_block_keeps_every_finished_batch(mnist):
    x, y = mnist.x_train[:800], mnist.y_train[:800]
    results = []
    for deferred in (False, True):
        net = build_network(_spec(), dtype=np.float64)
        trainer = Trainer(net, x, y, deferred_updates=deferred)

        def stop_after_13(event, trainer=trainer):
            if event["event"] == "batch" and event["batch"] == 13:
                trainer.request_stop()

        trainer.listeners.append(stop_after_13)
        assert trainer.run()["reason"] == "stopped"
        results.append(net.params.copy())
    assert np.abs(results[0] - results[1]).max() < 1e-10


def test_a_diverging_deferred_run_fails_with_finite_weights(mnist):
    spec = _spec(optimizer={"name": "sgd", "learning_rate": 100.0}, loss="mse",
                 layers=[{"type": "dense", "units": 100, "activation": "linear"},
                         {"type": "dense", "units": 10, "activation": "linear"}])
    net, trainer, result = _train(spec, mnist.x_train[:2000], mnist.y_train[:2000],
                                  deferred=True, dtype=np.float32)
    assert result["reason"] == "failed" and "not a finite number" in result["error"]
    assert np.isfinite(net.params).all()
    assert net.pending_updates is None
