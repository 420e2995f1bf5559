"""Layer health and the hints: each rule on histories made to fire it and not to, runs made to
go wrong on purpose, and the fixes as spec patches."""

import numpy as np
import pytest

from nndesk.data import load_dataset
from nndesk.engine import Trainer, build_network, load_preset
from nndesk.engine import diagnostics, hints
from nndesk.engine.lr_finder import find_learning_rate

RNG = np.random.default_rng(4)


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def _history(batch_loss=(), **epochs):
    base = {"epoch": [], "train_loss": [], "train_accuracy": [], "val_loss": [],
            "val_accuracy": [], "learning_rate": [], "seconds": []}
    base.update(epochs)
    return {**base, "batch_loss": list(batch_loss)}


def _spec(**changes):
    spec = load_preset("default")
    spec.update(changes)
    return spec


def test_health_measures_each_layer():
    spec = {"input_shape": [4], "loss": "softmax_cross_entropy", "seed": 0,
            "optimizer": {"name": "sgd"}, "layers": [
                {"type": "dense", "units": 3, "activation": "relu"},
                {"type": "dense", "units": 3, "activation": "sigmoid"},
                {"type": "dense", "units": 2, "activation": "softmax"}]}
    net = build_network(spec, dtype=np.float64)
    w = net.named_weights()
    w["layers.0.weight"][:, 0], w["layers.0.bias"][0] = 0.0, -1.0  # unit 0 never fires
    w["layers.1.weight"][...], w["layers.1.bias"][...] = 0.0, 50.0  # saturated at 1
    before = {i: a.copy() for i, a in diagnostics.weight_arrays(net).items()}
    w["layers.2.weight"] *= 1.01
    records = diagnostics.health(net, RNG.normal(size=(20, 4)), before)
    assert [r["layer"] for r in records] == [0, 1, 2]
    assert records[0]["dead_share"] == pytest.approx(1 / 3)
    assert records[1]["saturated_share"] == 1.0 and records[1]["dead_share"] is None
    assert records[2]["update_ratio"] == pytest.approx(0.01)
    assert records[0]["update_ratio"] == 0.0
    assert records[0]["weight_norm"] == pytest.approx(np.linalg.norm(w["layers.0.weight"]))


def test_loss_rising_and_not_rising():
    falling = np.linspace(2.3, 0.5, 60)
    assert hints.loss_rising(_history(falling), _spec(), None) is None
    rising = np.concatenate([falling, np.full(10, 3.0)])
    hint = hints.loss_rising(_history(rising), _spec(), None)
    assert hint.fix == {"optimizer": {"learning_rate": 0.001}}
    jump = np.concatenate([falling, np.full(5, 4.0)])
    assert "jumping" in hints.loss_rising(_history(jump), _spec(), None).message


def test_flat_start_picks_the_right_fix():
    flat = np.full(120, 2.3)
    assert hints.flat_start(_history(flat), _spec(), None).fix == \
        {"optimizer": {"learning_rate": 0.02}}
    mse = _spec(loss="mse")
    assert hints.flat_start(_history(flat), mse, None).fix == {"loss": "softmax_cross_entropy"}
    assert hints.flat_start(_history(np.linspace(2.3, 1.0, 120)), _spec(), None) is None


def test_overfitting_suggests_early_stopping_then_the_next_remedy():
    history = _history(epoch=[1, 2, 3, 4], train_loss=[0.5, 0.3, 0.2, 0.1],
                       val_loss=[0.40, 0.35, 0.37, 0.40])
    spec = _spec()
    assert hints.overfitting(history, spec, None).fix == \
        {"training": {"early_stopping_patience": 3}}
    spec = hints.apply_fix(spec, {"training": {"early_stopping_patience": 3}})
    spec["training"]["augment"] = False
    assert hints.overfitting(history, spec, None).fix == {"training": {"augment": True}}
    improving = _history(epoch=[1, 2, 3], train_loss=[0.5, 0.3, 0.2], val_loss=[0.4, 0.3, 0.25])
    assert hints.overfitting(improving, spec, None) is None


def test_apply_fix_patches_layers_by_index():
    spec = _spec()
    fixed = hints.apply_fix(spec, {"initializer": "glorot_normal",
                                   "layers": {"1": {"activation": "leaky_relu"}}})
    assert fixed["initializer"] == "glorot_normal"
    assert fixed["layers"][1]["activation"] == "leaky_relu"
    assert spec["layers"][1]["activation"] == "relu"  # a copy


def _run(spec, x, y, **kwargs):
    events = []
    net = build_network(spec)
    Trainer(net, x, y, listeners=[events.append], **kwargs).run()
    return [e for e in events if e["event"] == "hint"], [e for e in events if e["event"] == "health"]


def test_a_learning_rate_of_100_gets_the_rate_hint_once(mnist):
    spec = load_preset("default")
    spec["optimizer"]["learning_rate"] = 100.0
    given, health = _run(spec, mnist.x_train[:2000], mnist.y_train[:2000], epochs=1)
    rules = [h["rule"] for h in given]
    assert "loss_rising" in rules and len(rules) == len(set(rules))
    fix = next(h for h in given if h["rule"] == "loss_rising")["fix"]
    assert fix["optimizer"]["learning_rate"] == pytest.approx(10.0)
    assert health and health[0]["step"] == 0


def test_sigmoids_started_far_too_large_are_saturated(mnist):
    spec = load_preset("nielsen_sigmoid")
    spec["initializer"] = "standard_normal"  # N(0, 1): Nielsen's "large" initializer
    for layer in spec["layers"]:
        layer["initializer"] = None
    given, _ = _run(spec, mnist.x_train[:3000], mnist.y_train[:3000], epochs=1)
    saturated = [h for h in given if h["rule"] == "saturated"]
    assert saturated and saturated[0]["fix"]["initializer"] == "glorot_normal"


def test_a_tiny_training_set_overfits_and_is_told(mnist):
    spec = load_preset("deep_relu_adam")
    spec["training"].update(validation_split=0.0, early_stopping_patience=0, augment=False)
    spec["optimizer"]["learning_rate"] = 0.003
    given, _ = _run(spec, mnist.x_train[:100], mnist.y_train[:100], epochs=40, batch_size=20,
                    x_val=mnist.x_test[:500], y_val=mnist.y_test[:500])
    assert "overfitting" in [h["rule"] for h in given]


def test_the_rate_finder_suggests_a_rate_near_the_presets(mnist):
    result = find_learning_rate(load_preset("deep_relu_adam"), mnist.x_train[:6000],
                                mnist.y_train[:6000], steps=80)
    assert len(result["learning_rate"]) == len(result["loss"]) > 40
    assert np.all(np.diff(result["learning_rate"]) > 0)
    assert 1e-4 <= result["suggestion"] <= 3e-2  # the preset trains at 1e-3
    with pytest.raises(ValueError, match="start < end"):
        find_learning_rate(load_preset("xor"), np.zeros((4, 2)), np.zeros(4), start=1, end=0.1)


def test_noisy_but_steady_losses_raise_no_rate_hint():
    rng = np.random.default_rng(0)
    for sigma in (0.2, 0.4):
        losses = np.exp(rng.normal(0.0, sigma, 400)) * 0.5  # a noisy plateau
        for end in range(30, 401, 20):
            assert hints.loss_rising(_history(losses[:end]), _spec(), None) is None, (sigma, end)
    spike = np.concatenate([np.full(60, 0.5), [2.5], np.full(3, 0.5)])
    assert hints.loss_rising(_history(spike), _spec(), None) is None  # one bad batch


def test_few_batches_are_not_a_flat_start():
    few = _history([2.30, 2.25, 2.20], epoch=[1, 2, 3], train_loss=[2.3, 2.25, 2.2])
    assert hints.flat_start(few, _spec(), None) is None


def test_the_output_layer_is_neither_dead_nor_saturated():
    health = [{"layer": 2, "activation": "sigmoid", "dead_share": None, "saturated_share": 0.9},
              {"layer": 2, "activation": "relu", "dead_share": 0.9, "saturated_share": None}]
    spec = _spec()
    assert hints.saturated(_history(), spec, health) is None
    assert hints.dead_relus(_history(), spec, health) is None
    hidden = [{**health[0], "layer": 1}]
    assert hints.saturated(_history(), spec, hidden) is not None


def test_a_run_stuck_at_chance_gets_no_lower_the_rate_hint(mnist):
    spec = load_preset("tiny_relu")
    spec["optimizer"]["learning_rate"] = 1e-7
    events = []
    net = build_network(spec)
    result = Trainer(net, mnist.x_train[:3000], mnist.y_train[:3000], batch_size=10, epochs=3,
                     listeners=[events.append]).run()
    rules = [e["rule"] for e in events if e["event"] == "hint"]
    assert result["reason"] == "diverged" and "not_finite" not in rules
    assert "flat_start" in rules
