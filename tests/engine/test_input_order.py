"""Byte inputs reordered by how often each feature is non-zero, and a first layer whose
weight rows follow that order for a training run (``inputorder.py``)."""

import numpy as np
import pytest

from nndesk.engine import Trainer, build_network, trainer as trainer_module
from nndesk.engine.inputorder import ByteInputs


def _spec(**training):
    layers = [{"type": "dense", "units": 12, "activation": "relu"},
              {"type": "dense", "units": 3, "activation": "softmax"}]
    return {"input_shape": [20], "layers": layers, "loss": "softmax_cross_entropy",
            "initializer": "he_normal", "seed": 3,
            "optimizer": {"name": "adam", "learning_rate": 0.01},
            "training": {"batch_size": 8, "epochs": 3, "validation_split": 0.0, **training}}


def _byte_inputs(n, dtype=np.float32, seed=0):
    """Pixel values 0-255 divided by 255, inked in a stretch of columns that differs from
    sample to sample, more often in the middle columns than at the ends."""
    rng = np.random.default_rng(seed)
    codes = np.zeros((n, 20), np.uint8)
    for row in codes:
        lo = rng.integers(1, 10)
        hi = rng.integers(lo + 1, 19)
        row[lo:hi] = rng.integers(0, 256, hi - lo)
    return np.divide(codes, dtype(255), dtype=dtype), codes, rng.integers(0, 3, n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_byte_inputs_put_blank_features_first_then_the_most_often_non_zero(dtype, monkeypatch):
    x, codes, _ = _byte_inputs(50, dtype)
    assert {0, 19} <= set(np.flatnonzero(~codes.any(axis=0)))  # never inked
    monkeypatch.setattr("nndesk.engine.inputorder.CHUNK_BYTES", 7 * 20 * 8)  # several chunks
    inputs = ByteInputs.of(x)
    order = inputs.order
    assert sorted(order.tolist()) == list(range(20))
    inked = np.count_nonzero(codes, axis=0)[order]
    blank = inputs.blank
    assert blank == np.count_nonzero(inked == 0) >= 2 and not inked[:blank].any()
    assert inked[blank:].all() and (np.diff(inked[blank:]) <= 0).all()  # most often first
    ties = [order[inked == v] for v in np.unique(inked)]
    assert all((np.diff(t) > 0).all() for t in ties)  # ties keep their own order
    np.testing.assert_array_equal(inputs.codes, codes[:, order])
    rows = np.array([4, 0, 49, 4])
    out = np.full((6, 20), np.nan, dtype)
    batch = inputs.take(rows, out)
    assert batch.dtype == dtype and batch.shape == (4, 20) and np.shares_memory(batch, out)
    np.testing.assert_array_equal(batch, x[rows][:, order])  # exactly the same values


@pytest.mark.parametrize("change", [
    lambda x: x.__setitem__((3, 5), 0.5 / 255),  # between two byte values
    lambda x: x.__setitem__((3, 5), -1 / 255),
    lambda x: x.__setitem__((3, 5), 256 / 255),
    lambda x: x.__setitem__((3, 5), np.nan),
    lambda x: x.__imul__(2.0),
])
def test_inputs_that_are_not_bytes_over_255_are_left_as_they_are(change):
    x, _, _ = _byte_inputs(30)
    change(x)
    assert ByteInputs.of(x) is None


def test_float32_bytes_widened_to_float64_are_not_taken_for_bytes():
    x, _, _ = _byte_inputs(30, np.float32)
    assert ByteInputs.of(x.astype(np.float64)) is None  # 1/255 rounds differently


def test_a_dense_layer_keeps_its_rows_reordered_and_shows_them_in_their_own_order():
    net = build_network(_spec(), dtype=np.float64)
    layer = net.layers[0]
    x, _, y = _byte_inputs(10, np.float64)
    net.train_step(x, y)
    weights, grads = layer.W.copy(), layer.dW.copy()
    proba = net.predict_proba(x)
    order = np.random.default_rng(2).permutation(20)
    layer.reorder_rows(order)
    np.testing.assert_array_equal(layer.W, weights[order])
    np.testing.assert_array_equal(layer.dW, grads[order])
    np.testing.assert_array_equal(net.named_weights()["layers.0.weight"], weights)
    np.testing.assert_array_equal(net.named_gradients()["layers.0.weight"], grads)
    np.testing.assert_allclose(net.predict_proba(x), proba, rtol=0, atol=1e-15)
    # Training inputs come reordered: the same step, the gradients in the rows' order.
    net.train_step(x[:, order], y)
    np.testing.assert_allclose(net.named_gradients()["layers.0.weight"], grads, atol=1e-15)
    # Weights set while reordered land in the right rows.
    new = {k: v + 1.0 for k, v in net.get_weights().items()}
    net.set_weights(new)
    np.testing.assert_array_equal(layer.W, new["layers.0.weight"][order])
    layer.reorder_rows(None)
    assert layer.row_order is None
    np.testing.assert_array_equal(layer.W, new["layers.0.weight"])
    np.testing.assert_allclose(layer.dW, grads, rtol=0, atol=1e-15)


@pytest.mark.parametrize("batch_size", [8, 5])
def test_training_on_reordered_bytes_matches_training_without(batch_size, monkeypatch):
    monkeypatch.setattr(trainer_module, "SPAN_MIN_MACS", 0)  # this network is tiny
    x, _, y = _byte_inputs(60, np.float64)
    runs = []
    for reorder in (True, False):
        if not reorder:
            monkeypatch.setattr(trainer_module.ByteInputs, "of", classmethod(lambda cls, x: None))
        net = build_network(_spec(), dtype=np.float64)
        seen = []

        def listener(event, net=net, seen=seen):
            if event["event"] in ("batch", "epoch"):  # read mid-run, on the training thread
                seen.append((net.layers[0].row_order is not None, net.get_weights(),
                             net.predict_proba(x[:7])))

        trainer = Trainer(net, x, y, x_val=x[:20], y_val=y[:20], batch_size=batch_size,
                          listeners=[listener])
        trainer.run()
        assert {s[0] for s in seen} == {reorder}
        assert net.layers[0].row_order is None and trainer._inputs is None
        runs.append((net.params.copy(), trainer.history["val_loss"], seen))
    (reordered, val_a, seen_a), (plain, val_b, seen_b) = runs
    np.testing.assert_allclose(reordered, plain, rtol=0, atol=1e-10)
    np.testing.assert_allclose(val_a, val_b, rtol=1e-10)
    assert len(seen_a) == len(seen_b)
    for (_, w_a, p_a), (_, w_b, p_b) in zip(seen_a, seen_b):
        for k in w_a:
            np.testing.assert_allclose(w_a[k], w_b[k], rtol=0, atol=1e-10, err_msg=k)
        np.testing.assert_allclose(p_a, p_b, rtol=0, atol=1e-10)


def test_early_stopping_in_a_reordered_run_restores_the_best_weights(monkeypatch):
    monkeypatch.setattr(trainer_module, "SPAN_MIN_MACS", 0)
    x, _, y = _byte_inputs(200, np.float64)
    net = build_network(_spec(epochs=40, early_stopping_patience=2), dtype=np.float64)
    net.spec["optimizer"]["learning_rate"] = 0.3  # too high: validation loss soon gets worse
    epochs = {}

    def listener(event):
        if event["event"] == "epoch":
            epochs[event["val_loss"]] = net.get_weights()

    trainer = Trainer(net, x[:150], y[:150], x[150:], y[150:], listeners=[listener])
    assert trainer.run()["reason"] == "early_stopping"
    best = epochs[min(epochs)]
    for name, weights in net.get_weights().items():
        np.testing.assert_array_equal(weights, best[name], err_msg=name)


@pytest.mark.parametrize("optimizer,left_out", [
    ({"name": "adam", "learning_rate": 0.01}, True),
    ({"name": "momentum", "learning_rate": 0.05, "momentum": 0.9}, True),
    ({"name": "adam", "learning_rate": 0.01, "weight_decay": 1e-3}, False),
    ({"name": "adamw", "learning_rate": 0.01, "weight_decay": 1e-2}, False),
])
def test_weights_of_features_that_are_always_zero_are_left_out_unless_they_decay(
        optimizer, left_out, monkeypatch):
    monkeypatch.setattr(trainer_module, "SPAN_MIN_MACS", 0)
    x, codes, y = _byte_inputs(60)
    blank = ~codes.any(axis=0)
    spec = _spec()
    spec["optimizer"] = optimizer
    net = build_network(spec)
    before = net.layers[0].W[blank].copy()
    during = []
    trainer = Trainer(net, x, y, listeners=[
        lambda e: e["event"] == "batch" and during.append(trainer.optimizer.fixed)])
    trainer.run()
    assert set(during) == {blank.sum() * 12 if left_out else 0}
    assert trainer.optimizer.fixed == 0
    # Left out or not, they only move by weight decay.
    assert np.array_equal(net.layers[0].W[blank], before) == left_out


def test_running_out_of_memory_while_reordering_leaves_the_rows_as_they_were(monkeypatch):
    net = build_network(_spec(), dtype=np.float64)
    layer = net.layers[0]
    weights, grads = layer.W.copy(), layer.dW.copy()

    class NoRoom(np.ndarray):
        def __getitem__(self, index):
            if isinstance(index, np.ndarray):
                raise MemoryError
            return super().__getitem__(index)

    monkeypatch.setattr(layer, "dW", layer.dW.view(NoRoom))
    with pytest.raises(MemoryError):
        layer.reorder_rows(np.arange(20)[::-1].copy())
    assert layer.row_order is None
    np.testing.assert_array_equal(layer.W, weights)
    np.testing.assert_array_equal(layer.dW.view(np.ndarray), grads)


def test_no_room_for_the_byte_copy_trains_on_the_inputs_as_they_are(monkeypatch):
    monkeypatch.setattr(trainer_module, "SPAN_MIN_MACS", 0)
    x, _, y = _byte_inputs(60, np.float64)
    runs = []
    for room in (False, True):
        if not room:
            def no_room(cls, x):
                raise MemoryError
            monkeypatch.setattr(trainer_module.ByteInputs, "of", classmethod(no_room))
        else:
            monkeypatch.setattr(trainer_module.ByteInputs, "of", classmethod(lambda cls, x: None))
        net = build_network(_spec(), dtype=np.float64)
        result = Trainer(net, x, y).run()
        assert result["reason"] == "completed", result["error"]
        runs.append(net.params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
