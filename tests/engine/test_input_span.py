"""A dense first layer skips input columns that are zero across the batch (``input_span``)."""

import numpy as np
import pytest

from nndesk.engine import Trainer, build_network, trainer as trainer_module
from nndesk.engine.trainer import column_spans


def _spec(optimizer=None, first="dense"):
    layers = [{"type": "dense", "units": 12, "activation": "relu"},
              {"type": "dense", "units": 3, "activation": "softmax"}]
    if first == "dropout":
        layers.insert(0, {"type": "dropout", "rate": 0.1})
    return {"input_shape": [20], "layers": layers, "loss": "softmax_cross_entropy",
            "initializer": "he_normal", "seed": 3,
            "optimizer": optimizer or {"name": "adam", "learning_rate": 0.01},
            "training": {"batch_size": 8, "epochs": 3, "validation_split": 0.0}}


def _bordered(n, seed=0):
    """Inputs that are non-zero only somewhere in columns 3 to 16, a different stretch per
    sample (like the blank border around a digit)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 20))
    for row in x:
        lo = rng.integers(3, 10)
        hi = rng.integers(lo + 1, 17)
        row[lo:hi] = rng.random(hi - lo)
    return x, rng.integers(0, 3, n)


def test_column_spans_finds_the_first_and_last_non_zero_column():
    x = np.array([[0, 0, 1, 0, 2, 0],
                  [3, 0, 0, 0, 0, 0],
                  [0, 0, 0, 0, 0, 0],
                  [0, 0, 0, 0, 0, np.nan]])
    for chunk in (3, None):  # a chunk boundary inside the array; the default size
        first, last = column_spans(x, chunk=chunk)
        assert first.tolist() == [2, 0, 6, 5]
        assert last.tolist() == [4, 0, -1, 5]


def test_a_step_over_the_span_gives_the_full_gradients():
    x, y = _bordered(8)
    net = build_network(_spec(), dtype=np.float64)
    net.train_step(x, y)
    full = {k: v.copy() for k, v in net.named_gradients().items()}
    out_full = net.layers[-1].a.copy()
    net.grads[...] = np.nan  # rows outside the span must be written, not left over
    net.train_step(x, y, input_span=(3, 17))
    assert net.layers[0]._span == (3, 17)
    np.testing.assert_allclose(net.layers[-1].a, out_full, rtol=0, atol=1e-13)
    for name, grad in net.named_gradients().items():
        np.testing.assert_allclose(grad, full[name], rtol=0, atol=1e-13, err_msg=name)
    assert not net.layers[0].dW[:3].any() and not net.layers[0].dW[17:].any()
    # The span is for one step only: the next step without one uses every column.
    net.train_step(x, y)
    assert net.layers[0]._span is None


def test_a_span_is_ignored_when_the_first_layer_is_not_dense():
    x, y = _bordered(8)
    net = build_network(_spec(first="dropout"), dtype=np.float64)
    net.train_step(x, y, input_span=(3, 17))
    assert net.layers[1].input_span is None and net.layers[1]._span is None


@pytest.mark.parametrize("batch_size,dtype,tol", [
    (8, np.float64, 1e-10), (5, np.float64, 1e-10),
    (60, np.float64, 1e-10),  # the whole set: one span for every step
    (8, np.float32, 1e-5),  # the products sum in another order: rounding differs
])
def test_training_with_spans_matches_training_without(batch_size, dtype, tol, monkeypatch):
    monkeypatch.setattr(trainer_module, "SPAN_MIN_MACS", 0)  # this network is tiny
    x, y = _bordered(60)
    runs, evaluations = [], []
    for use_spans in (True, False):
        net = build_network(_spec(), dtype=dtype)
        trainer = Trainer(net, x, y, x_val=x[:20], y_val=y[:20], batch_size=batch_size)
        if not use_spans:
            trainer._batch_spans = lambda order: None
        used = []
        original = net.train_step
        net.train_step = lambda *a: used.append(a[3]) or original(*a)
        trainer.run()
        runs.append(net.params.copy())
        evaluations.append((trainer.history["val_loss"], net.predict_proba(x)))
        # Inference after training uses every column (no span left over from training).
        dense = np.random.default_rng(1).random((5, 20)) + 0.5
        (w0, b0), (w1, b1) = ((l.W, l.b) for l in net.layers)
        logits = np.maximum(dense @ w0 + b0, 0) @ w1 + b1
        expected = np.exp(logits - logits.max(1, keepdims=True))
        np.testing.assert_allclose(net.predict_proba(dense.astype(dtype)),
                                   expected / expected.sum(1, keepdims=True), rtol=tol * 10)
        assert any(s is not None for s in used) == use_spans
        if use_spans:
            assert all(0 <= lo < hi <= 20 for lo, hi in (s for s in used if s is not None))
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=tol)
    np.testing.assert_allclose(evaluations[0][0], evaluations[1][0], rtol=tol)
    np.testing.assert_allclose(evaluations[0][1], evaluations[1][1], rtol=0, atol=tol)


def test_an_all_zero_batch_uses_a_single_column():
    x = np.zeros((4, 20))
    net = build_network(_spec(), dtype=np.float64)
    trainer = Trainer(net, x, np.zeros(4, int), batch_size=4, epochs=1)
    trainer._spans = column_spans(trainer.x)
    assert trainer._batch_spans(np.arange(4)) == [(0, 1)]
    assert trainer._batch_spans(None) == [(0, 1)]
    net.train_step(trainer.x, trainer.y, input_span=(0, 1))
    assert not net.layers[0].dW.any()
    np.testing.assert_allclose(net.layers[0].z, np.broadcast_to(net.layers[0].b, (4, 12)))


def test_products_too_small_to_repay_the_bookkeeping_get_no_spans():
    x, y = _bordered(60)
    net = build_network(_spec(), dtype=np.float64)  # 8 x 20 x 12 multiply-adds per batch
    used = []
    original = net.train_step
    net.train_step = lambda *a: used.append(a[3]) or original(*a)
    trainer = Trainer(net, x, y, batch_size=8, epochs=1)
    trainer.run()
    assert used and all(s is None for s in used) and trainer._spans is None


def test_each_batch_gets_the_span_of_its_own_samples(monkeypatch):
    monkeypatch.setattr(trainer_module, "SPAN_MIN_MACS", 0)
    x, y = _bordered(61)  # 8 batches of 8, the last one of 5
    x[7] = 0.0  # a sample of zeros changes nothing
    trainer = Trainer(build_network(_spec()), x, y, batch_size=8)
    trainer._spans = column_spans(trainer.x)
    order = np.random.default_rng(5).permutation(61)
    spans = trainer._batch_spans(order)
    assert len(spans) == 8
    for b, span in enumerate(spans):
        columns = np.flatnonzero(x[order[b * 8:(b + 1) * 8]].any(axis=0))
        expected = (columns.min(), columns.max() + 1)
        assert span == (None if expected == (0, 20) else expected), b
