import threading

import numpy as np
import pytest

from nndesk.data import load_dataset
from nndesk.engine import Trainer, build_network, default_spec, load_preset

XOR_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def _small_spec(**training):
    spec = default_spec()
    spec["layers"][0]["units"] = 32
    spec["training"].update({"batch_size": 64, "epochs": 2, "validation_split": 0.0, **training})
    return spec


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def test_xor_is_learned_to_near_zero_loss():
    net = build_network(load_preset("xor"))
    result = Trainer(net, XOR_X, XOR_Y).run()
    assert result["reason"] == "completed"
    assert result["history"]["train_loss"][-1] < 1e-3
    assert (net.predict(XOR_X) == XOR_Y).all()


def test_mnist_subset_reaches_90_percent_in_a_few_seconds(mnist):
    spec = _small_spec(epochs=3)
    spec["layers"][0]["units"] = 64
    net = build_network(spec)
    events = []
    result = Trainer(net, mnist.x_train[:10000], mnist.y_train[:10000],
                     mnist.x_test, mnist.y_test, listeners=[events.append]).run()
    loss, acc = net.evaluate(mnist.x_test, mnist.y_test)
    assert acc >= 0.90
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds.count("epoch") == 3 and kinds.count("batch") == 3 * 157
    epoch = [e for e in events if e["event"] == "epoch"][-1]
    assert epoch["val_accuracy"] == pytest.approx(acc)
    assert epoch["samples_per_second"] > 0 and result["train_seconds"] > 0


def test_same_seed_same_run_bit_for_bit(mnist):
    runs = []
    for _ in range(2):
        spec = _small_spec(epochs=1)
        spec["layers"].insert(1, {"type": "dropout", "rate": 0.3})
        net = build_network(spec)
        Trainer(net, mnist.x_train[:2000], mnist.y_train[:2000]).run()
        runs.append(net.params.copy())
    assert np.array_equal(runs[0], runs[1])


def test_stop_from_another_thread_within_one_batch(mnist):
    net = build_network(_small_spec(epochs=50))
    batches = []
    trainer = Trainer(net, mnist.x_train[:5000], mnist.y_train[:5000])

    def listener(event):
        if event["event"] == "batch":
            batches.append(event["batch"])
            if len(batches) == 5:
                threading.Thread(target=trainer.request_stop).start()
                stopped.wait(5)

    stopped = threading.Event()
    trainer.listeners.append(listener)
    original = trainer.request_stop

    def stop_and_signal():
        original()
        stopped.set()

    trainer.request_stop = stop_and_signal
    result = trainer.run()
    assert result["reason"] == "stopped"
    assert len(batches) == 5


def test_pause_resume_and_learning_rate_change_take_effect_at_the_next_batch(mnist):
    net = build_network(_small_spec(epochs=1))
    trainer = Trainer(net, mnist.x_train[:1280], mnist.y_train[:1280])
    seen = []

    def listener(event):
        seen.append(event)
        if event["event"] == "batch" and event["batch"] == 3:
            trainer.pause()
            trainer.set_learning_rate(0.0123)
            threading.Timer(0.05, trainer.resume).start()

    trainer.listeners.append(listener)
    trainer.run()
    kinds = [e["event"] for e in seen]
    i = kinds.index("paused")
    assert kinds[i + 1] == "resumed"
    rates = [e["learning_rate"] for e in seen if e["event"] == "batch"]
    assert rates[:3] == [0.001] * 3 and set(rates[3:]) == {0.0123}
    with pytest.raises(ValueError):
        trainer.set_learning_rate(float("nan"))


def test_early_stopping_restores_the_best_weights(mnist):
    spec = _small_spec(epochs=30, early_stopping_patience=1)
    spec["optimizer"]["learning_rate"] = 0.05  # too high: validation loss soon gets worse
    net = build_network(spec)
    trainer = Trainer(net, mnist.x_train[:3000], mnist.y_train[:3000], mnist.x_test[:1000],
                      mnist.y_test[:1000])
    result = trainer.run()
    assert result["reason"] == "early_stopping"
    best = min(result["history"]["val_loss"])
    assert net.evaluate(mnist.x_test[:1000], mnist.y_test[:1000])[0] == pytest.approx(best, rel=1e-5)


def test_full_batch_and_labels_checked():
    net = build_network(load_preset("xor"))
    with pytest.raises(ValueError, match="labels must be 0 to 1"):
        Trainer(net, XOR_X, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match="3 features"):
        Trainer(net, np.zeros((4, 5), np.float32), XOR_Y)


def test_augmentation_is_reproducible_and_changes_the_training(mnist):
    from nndesk.data.augment import augment_batch

    runs = []
    for _ in range(2):
        net = build_network(_small_spec(epochs=2))
        Trainer(net, mnist.x_train[:1000], mnist.y_train[:1000], augment=augment_batch).run()
        runs.append(net.params.copy())
    assert np.array_equal(runs[0], runs[1])
    plain = build_network(_small_spec(epochs=2))
    Trainer(plain, mnist.x_train[:1000], mnist.y_train[:1000]).run()
    assert not np.array_equal(plain.params, runs[0])


def test_predictions_from_another_thread_do_not_disturb_training(mnist):
    """Inference keeps off the state of the training step (inputs, pre-activations, dropout
    masks): predicting on another thread while a network trains changes nothing in it."""
    spec = _small_spec(epochs=1)
    spec["layers"].insert(1, {"type": "dropout", "rate": 0.3})
    x, y = mnist.x_train[:3000], mnist.y_train[:3000]

    def train(predict_meanwhile):
        net = build_network(spec)
        done, errors, predictions = threading.Event(), [], []

        def predict():
            try:
                while not done.is_set():
                    predictions.append(net.predict_proba(mnist.x_test[:100]).shape)
            except Exception as exc:  # a crash here is what the test looks for
                errors.append(exc)

        thread = threading.Thread(target=predict, daemon=True) if predict_meanwhile else None
        if thread:
            thread.start()
        try:
            result = Trainer(net, x, y).run()
        finally:
            done.set()
            if thread:
                thread.join(timeout=30)
        assert result["reason"] == "completed", result["error"]
        assert not errors
        return net.params.copy(), predictions

    alone, _ = train(False)
    meanwhile, predictions = train(True)
    assert predictions and set(predictions) == {(100, 10)}
    np.testing.assert_array_equal(meanwhile, alone)
