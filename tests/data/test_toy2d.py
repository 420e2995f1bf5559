"""The generated two-feature planes: their shapes, classes, settings, and that each preset of the
same name learns its plane."""

import json
import subprocess
import sys

import numpy as np
import pytest

from nndesk.data import DataError, load_dataset
from nndesk.data.toy2d import GENERATORS, name_of, parse


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_each_plane_has_two_features_two_classes_and_a_test_fifth(name):
    ds = load_dataset(name)
    assert ds.x_train.shape == (400, 2) and ds.x_test.shape == (100, 2)
    assert ds.x_train.dtype == np.float32 and ds.class_names == ["0", "1"]
    counts = np.bincount(np.concatenate([ds.y_train, ds.y_test]), minlength=2)
    assert counts.min() > 150  # both classes well represented
    assert np.abs(ds.x_train).max() < 2.0
    again = load_dataset(name)
    np.testing.assert_array_equal(ds.x_train, again.x_train)  # seeded
    assert not np.array_equal(ds.x_train, load_dataset(f"{name}:seed=1").x_train)


def test_the_planes_are_what_their_names_say():
    circle = load_dataset("circle:noise=0")
    radius = np.hypot(*circle.x_train.T)
    assert (radius[circle.y_train == 1] <= 0.5).all() and (radius[circle.y_train == 0] >= 0.7).all()
    quadrants = load_dataset("xor2d:noise=0")
    x, y = quadrants.x_train, quadrants.y_train
    np.testing.assert_array_equal(y, (x[:, 0] > 0) != (x[:, 1] > 0))
    board = load_dataset("checkerboard:noise=0")
    cells = np.floor((board.x_train + 1) * 2).astype(int).sum(axis=1) % 2
    np.testing.assert_array_equal(board.y_train, cells)


def test_more_classes_and_settings_by_name():
    spiral = load_dataset("spiral:classes=3,points=900,noise=0.2")
    assert spiral.class_names == ["0", "1", "2"] and len(spiral.y_train) == 720
    assert set(np.unique(spiral.y_train)) == {0, 1, 2}
    base, settings = parse("gauss:classes=4,noise=0.05")
    assert base == "gauss" and settings["classes"] == 4
    assert name_of(base, settings) == "gauss:noise=0.05,classes=4"
    assert parse(name_of(base, settings)) == (base, settings)


@pytest.mark.parametrize("name, message", [
    ("spiral:colour=red", "unknown setting 'colour'"),
    ("spiral:points=ten", "points must be a number"),
    ("spiral:points=3", "points must be from 8"),
    ("moons:classes=3", "moons has two classes"),
])
def test_bad_settings_are_clear_errors(name, message):
    with pytest.raises(DataError, match=message):
        load_dataset(name)


@pytest.mark.parametrize("preset, least", [("circle", 0.98), ("spiral", 0.95), ("moons", 0.98),
                                           ("gauss", 0.98), ("xor2d", 0.95),
                                           ("checkerboard", 0.85)])
def test_each_planes_preset_learns_it(preset, least):
    done = subprocess.run([sys.executable, "-m", "nndesk", "train", "--preset", preset, "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["dataset"] == preset and summary["test_accuracy"] >= least
