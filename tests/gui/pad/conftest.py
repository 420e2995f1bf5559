"""Fixtures for the drawing-pad tests: a private data folder and a trained model."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch, cache_dir):
    """Every test gets an empty data folder for "my digits" (and a private cache folder),
    never the person's."""
    folder = tmp_path / "data"
    monkeypatch.setenv("NNDESK_DATA_DIR", str(folder))
    monkeypatch.setenv("NNDESK_CACHE_DIR", str(cache_dir))
    return folder


@pytest.fixture(scope="session")
def mnist(cache_dir):
    """The bundled MNIST, loaded once."""
    from nndesk.data import load_dataset

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNDESK_CACHE_DIR", str(cache_dir))
        return load_dataset("mnist")


@pytest.fixture(scope="session")
def trained_net(mnist):
    """A 784-128-10 MLP trained for one epoch on 30,000 MNIST digits with augmentation
    (under 10 s; about 94% test accuracy).

    Augmentation (shifts, rotations, thicker and thinner strokes) makes even this small
    network read the mouse-drawn digits of these tests with over 95% confidence
    (checked with several seeds), as it does for the default preset.
    """
    from nndesk.engine import load_preset
    from nndesk.workflow import model_metadata, prepare

    spec = load_preset("default")
    spec["layers"] = [{"type": "dense", "units": 128, "activation": "relu"},
                      {"type": "dense", "units": 10, "activation": "softmax"}]
    spec["training"].update(epochs=1, batch_size=128, validation_split=0.0, augment=True)
    spec["optimizer"] = {"name": "adam", "learning_rate": 0.002}
    spec["schedule"] = {"name": "constant"}
    spec["seed"] = 0
    prepared = prepare(spec, mnist, subset=30000)
    result = prepared.trainer.run()
    assert result["error"] is None, result["error"]
    net = prepared.net
    net.metadata = model_metadata(mnist, {}, {})
    return net

