"""A run that diverges is told apart from one that learns, stopped, and its best weights kept."""

import math

import numpy as np
import pytest

from nndesk.data import load_dataset
from nndesk.engine import Trainer, build_network, default_spec, load_preset
from nndesk.engine.divergence import guessing_loss
from nndesk.engine.losses import LOSSES

ENGINES = ("reference", "fast")


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def _spec(lr, optimizer="sgd", epochs=3, **changes):
    spec = default_spec()
    spec["layers"][0]["units"] = 32
    spec["schedule"] = {"name": "constant"}
    spec["training"].update({"batch_size": 64, "epochs": epochs, "validation_split": 0.0,
                             "augment": False})
    spec["optimizer"] = {"name": optimizer, "learning_rate": lr}
    spec.update(changes)
    return spec


def _run(spec, x, y, engine, **kwargs):
    net = build_network(spec)
    events = []
    result = Trainer(net, x, y, listeners=[events.append], engine=engine, **kwargs).run()
    return net, result, events


@pytest.mark.parametrize("engine", ENGINES)
def test_an_exploding_loss_is_diverged_with_the_rate_named_and_the_initial_weights_back(mnist, engine):
    spec = _spec(100.0)
    initial = build_network(spec).params.copy()
    net, result, events = _run(spec, mnist.x_train[:3000], mnist.y_train[:3000], engine)
    assert result["reason"] == "diverged"
    assert "exploded" in result["error"] and "smaller learning rate (it was 100)" in result["error"]
    assert "initial weights were put back" in result["error"]
    assert np.array_equal(net.params, initial)
    assert events[-1]["event"] == "finished" and events[-1]["reason"] == "diverged"
    assert events[-1]["message"] == result["error"]
    assert len(result["history"]["batch_loss"]) < 20  # stopped at once, not after 3 epochs


@pytest.mark.parametrize("engine", ENGINES)
def test_a_run_that_diverges_later_keeps_its_best_epoch(mnist, engine):
    spec = _spec(0.05, epochs=6)
    net = build_network(spec)
    at_epoch_end = {}

    def listener(event):
        if event["event"] == "epoch":
            at_epoch_end[event["epoch"]] = net.params.copy()
            if event["epoch"] == 3:
                trainer.set_learning_rate(1e4)

    trainer = Trainer(net, mnist.x_train[:3000], mnist.y_train[:3000], listeners=[listener],
                      engine=engine)
    result = trainer.run()
    history = result["history"]
    assert result["reason"] == "diverged" and len(history["epoch"]) == 3
    best = int(np.argmin(history["train_loss"])) + 1
    assert f"from the end of epoch {best}" in result["error"]
    assert np.array_equal(net.params, at_epoch_end[best])
    assert net.evaluate(mnist.x_train[:3000], mnist.y_train[:3000])[1] > 0.8


def test_a_non_finite_loss_is_diverged_and_the_weights_stay_finite(mnist):
    spec = _spec(100.0, loss="mse")
    spec["layers"][-1]["activation"] = "linear"
    net, result, _ = _run(spec, mnist.x_train[:2000] * 50, mnist.y_train[:2000], "fast",
                          keep_going=True)  # keeping going cannot go on from nan
    assert result["reason"] == "diverged" and "smaller learning rate" in result["error"]
    assert np.isfinite(net.params).all()


def test_a_saturated_network_stuck_at_chance_is_diverged_after_its_first_epoch(mnist):
    spec = load_preset("nielsen_sigmoid")
    spec["optimizer"]["learning_rate"] = 100.0
    spec["training"]["epochs"] = 5
    net, result, _ = _run(spec, mnist.x_train[:3000], mnist.y_train[:3000], "fast")
    assert result["reason"] == "diverged" and len(result["history"]["epoch"]) == 1
    assert "most common class" in result["error"] and "it was 100" in result["error"]


@pytest.mark.parametrize("preset, lr, epochs", [
    ("nielsen_sigmoid", 0.001, 2),  # far too slow, but its loss keeps falling
    ("tiny_relu", 0.001, 150),  # full batch at chance for 150 steps, loss below guessing's
])
def test_slow_learners_are_not_diverged(mnist, preset, lr, epochs):
    spec = load_preset(preset)
    spec["optimizer"]["learning_rate"] = lr
    spec["training"].update({"epochs": epochs, "validation_split": 0.0})
    _, result, _ = _run(spec, mnist.x_train[:3000], mnist.y_train[:3000], "fast")
    assert result["reason"] == "completed" and result["error"] is None
    assert max(result["history"]["train_accuracy"]) < 0.2  # it really is at chance


def test_xor_on_a_long_plateau_is_not_diverged():
    spec = load_preset("xor")
    spec["optimizer"]["learning_rate"] = 0.5  # sits at 50% for 1,800 steps, then learns
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], np.float32)
    net, result, _ = _run(spec, x, np.array([0, 1, 1, 0]), "fast")
    assert result["reason"] == "completed" and result["history"]["train_accuracy"][-1] == 1.0


def test_keep_going_warns_once_and_trains_every_epoch(mnist):
    net, result, events = _run(_spec(100.0), mnist.x_train[:2000], mnist.y_train[:2000], "fast",
                               keep_going=True)
    warnings = [e for e in events if e["event"] == "warning"]
    assert result["reason"] == "completed" and len(result["history"]["epoch"]) == 3
    assert len(warnings) == 1 and result["warnings"] == [warnings[0]["message"]]
    assert "diverging" in warnings[0]["message"]
    assert result["samples_per_second"] * result["train_seconds"] == pytest.approx(3 * 2000)


@pytest.mark.parametrize("name", ["softmax_cross_entropy", "mse", "sum_of_squares"])
def test_guessing_loss_is_the_loss_of_the_class_frequencies(name):
    y = np.array([0, 0, 0, 1, 2, 2])
    freq = np.array([3, 1, 2]) / 6
    t = np.eye(3)[y]
    expected = {"softmax_cross_entropy": -np.mean(np.log(freq[y])),
                "mse": np.mean((freq - t) ** 2),
                "sum_of_squares": 0.5 * np.sum((freq - t) ** 2) / 6}[name]
    assert guessing_loss(LOSSES[name], y, 3) == pytest.approx(expected)


def test_guessing_loss_of_one_output_unit_is_of_the_positive_rate():
    y = np.array([0, 1, 1, 1])
    assert guessing_loss(LOSSES["mse"], y, 1) == pytest.approx(0.75 * 0.25**2 + 0.25 * 0.75**2)
    assert math.isfinite(guessing_loss(LOSSES["sum_of_squares"], y, 1))
