"""The training-memory estimate and the machine's memory, before anything is allocated."""

import dataclasses
import os

import pytest

from nndesk.engine import build_network, default_spec
from nndesk.engine.memory import estimate, format_bytes, layer_sizes, machine_memory


def _spec(hidden, optimizer="adam", batch=128, dropout=False):
    spec = default_spec()
    layers = []
    for units in hidden:
        layers.append({"type": "dense", "units": units, "activation": "relu"})
        if dropout:
            layers.append({"type": "dropout", "rate": 0.2})
    spec["layers"] = layers + [{"type": "dense", "units": 10, "activation": "softmax"}]
    spec["optimizer"] = {"name": optimizer, "learning_rate": 0.01}
    spec["training"]["batch_size"] = batch
    return spec


@pytest.mark.parametrize("hidden, dropout", [([100], False), ([300, 50, 20], True), ([], False)])
def test_layer_sizes_count_what_the_network_allocates(hidden, dropout):
    spec = _spec(hidden, dropout=dropout)
    params, outputs, _ = layer_sizes(spec)
    net = build_network(spec)
    assert params == net.params.size and outputs[-1] == net.output_size


def test_the_estimate_covers_the_arrays_a_run_cannot_do_without():
    spec = _spec([1000, 500])
    net = build_network(spec)
    e = estimate(spec, samples=20000, features=784)
    weights_grads_adam = 4 * net.params.nbytes  # weights, gradients, two running averages
    one_batch = 128 * (1000 + 500 + 10) * 4 * 2  # z and a of every layer
    assert e.total >= weights_grads_adam + one_batch + 20000 * 784 * 4
    assert e.parameters == net.params.size


def test_the_optimizer_batch_and_samples_each_move_the_estimate():
    base = estimate(_spec([1000], "sgd"), 10000, 784)
    assert estimate(_spec([1000], "adam"), 10000, 784).parts["parameters"] > base.parts["parameters"]
    assert estimate(_spec([1000], "sgd", batch=0), 10000, 784).parts["activations"] > \
        base.parts["activations"]  # the whole set in one batch
    assert estimate(_spec([1000], "sgd"), 50000, 784).parts["data"] > base.parts["data"]


def test_too_much_and_heavy_against_the_machine():
    e = estimate(_spec([1000]), 10000, 784)
    assert dataclasses.replace(e, machine=e.total - 1).too_much
    half = dataclasses.replace(e, machine=int(e.total * 1.5))
    assert half.heavy and not half.too_much
    roomy = dataclasses.replace(e, machine=e.total * 3)
    assert not roomy.heavy and not roomy.too_much
    unknown = dataclasses.replace(e, machine=None)
    assert not unknown.heavy and not unknown.too_much


def test_the_refusal_names_both_figures_and_what_to_change():
    e = dataclasses.replace(estimate(_spec([4000, 4000]), 60000, 784), machine=2 * 1024**3)
    text = e.refusal()
    assert format_bytes(e.total) in text and "2.0 GB" in text
    assert f"{e.parameters:,} parameters" in text and "smaller batch size" in text
    assert "heavy run" in e.warning() and format_bytes(e.total) in e.warning()


def test_machine_memory_is_the_physical_memory_or_less():
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    found = machine_memory()
    assert 0 < found <= physical


@pytest.mark.parametrize("n, text", [(512, "512 bytes"), (1536, "1.5 KB"), (3 * 1024**3, "3.0 GB"),
                                     (5 * 1024**4, "5,120.0 GB")])
def test_format_bytes(n, text):
    assert format_bytes(n) == text
