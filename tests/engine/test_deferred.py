"""Deferred first-layer updates (plain SGD, small batches) against updating after every batch."""

import threading

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
    narrow["layers"][0]["units"] = 30  # too narrow: the extra products cost more
    assert block_batches(build_network(narrow), 10, augmenting=False) == 0
    narrow["layers"][0]["units"] = 60
    assert block_batches(build_network(narrow), 10, augmenting=False) == 8


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
            if event["event"] == "batch" and event["batch"] % 4 == 0:  # block edges too
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


def _run_both(x, y, listener_for, spec=None):
    """Final parameters of a plain and a deferred float64 run with the same listener."""
    finals = []
    for deferred in (False, True):
        net = build_network(spec or _spec(), dtype=np.float64)
        trainer = Trainer(net, x, y, deferred_updates=deferred)
        trainer.listeners.append(listener_for(net, trainer))
        result = trainer.run()
        assert result["reason"] == "completed", result
        finals.append(net.params.copy())
    return finals


def test_weights_a_listener_sets_are_trained_from(mnist):
    def listener_for(net, trainer):
        def listener(event):  # at a block's edge, mid-block, and at an epoch's start
            if event["event"] == "batch" and event["batch"] in (8, 13) or \
                    event["event"] == "epoch" and event["epoch"] == 1:
                net.set_weights({k: v * 0.5 for k, v in net.get_weights().items()})
        return listener

    plain, fast = _run_both(mnist.x_train[:500], mnist.y_train[:500], listener_for)
    assert np.abs(plain - fast).max() < 1e-10


def test_a_listener_may_take_a_training_step_of_its_own(mnist):
    other_x, other_y = mnist.x_train[-10:].astype(np.float64), mnist.y_train[-10:]
    losses = []

    def listener_for(net, trainer):
        def listener(event):
            if event["event"] == "batch" and event["batch"] == 5:
                losses.append(net.train_step(other_x, other_y)[0])
        return listener

    plain, fast = _run_both(mnist.x_train[:300], mnist.y_train[:300], listener_for)
    assert len(losses) == 4  # batch 5 of each epoch, plain run first
    assert losses[2:] == pytest.approx(losses[:2], rel=1e-12)
    assert np.abs(plain - fast).max() < 1e-10


def test_a_schedule_that_reaches_zero_trains_on(mnist):
    spec = _spec(schedule={"name": "step", "step_epochs": 1, "gamma": 1e-200})
    spec["training"]["epochs"] = 3
    plain, fast = _run_both(mnist.x_train[:200], mnist.y_train[:200],
                            lambda net, trainer: lambda event: None, spec)
    assert np.abs(plain - fast).max() < 1e-10


def test_reading_weights_from_another_thread_leaves_training_alone(mnist):
    x, y = mnist.x_train[:2000], mnist.y_train[:2000]
    undisturbed, _, _ = _train(_spec(), x, y, deferred=True)
    net = build_network(_spec(), dtype=np.float64)
    trainer = Trainer(net, x, y)
    done, reads = threading.Event(), []

    def reader():
        while not done.is_set():
            reads.append(net.get_weights()["layers.0.weight"].sum())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        trainer.run()
    finally:
        done.set()
        thread.join()
    assert len(reads) > 10
    assert np.array_equal(net.params, undisturbed.params)
