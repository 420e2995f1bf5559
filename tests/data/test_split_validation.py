"""split_validation: sizes, determinism, disjointness and plain errors."""

import numpy as np
import pytest

from nndesk.data import split_validation


@pytest.fixture
def data():
    x = np.arange(200, dtype=np.float32).reshape(100, 2)
    y = np.arange(100, dtype=np.int64) % 10
    return x, y


def test_sizes_and_partition(data):
    x, y = data
    x_tr, y_tr, x_val, y_val = split_validation(x, y, 0.25, seed=3)
    assert x_tr.shape == (75, 2) and x_val.shape == (25, 2)
    assert y_tr.shape == (75,) and y_val.shape == (25,)
    assert sorted(np.concatenate([x_tr[:, 0], x_val[:, 0]]).tolist()) == x[:, 0].tolist()
    assert np.array_equal(y_tr, (x_tr[:, 0] // 2).astype(np.int64) % 10)
    assert np.all(np.diff(x_tr[:, 0]) > 0) and np.all(np.diff(x_val[:, 0]) > 0)


def test_same_seed_same_split_other_seed_other_split(data):
    x, y = data
    a = split_validation(x, y, 0.2, seed=1)
    b = split_validation(x, y, 0.2, seed=1)
    c = split_validation(x, y, 0.2, seed=2)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[2], c[2])


def test_zero_fraction_gives_empty_validation(data):
    x, y = data
    x_tr, y_tr, x_val, y_val = split_validation(x, y, 0, seed=0)
    assert np.array_equal(x_tr, x) and np.array_equal(y_tr, y)
    assert x_val.shape == (0, 2) and x_val.dtype == np.float32
    assert y_val.shape == (0,) and y_val.dtype == np.int64


def test_largest_fraction_leaves_training_samples(data):
    x, y = data
    assert len(split_validation(x, y, 0.9, seed=0)[0]) == 10
    assert len(split_validation(x[:4], y[:4], 0.9, seed=0)[0]) == 1


@pytest.mark.parametrize("fraction", [-0.1, 0.95, 1, float("nan"), "0.1", None, True])
def test_bad_fraction(data, fraction):
    with pytest.raises(ValueError, match="validation fraction must be a number from 0 to 0.9"):
        split_validation(*data, fraction, seed=0)


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seed(data, seed):
    with pytest.raises(ValueError, match="seed must be a whole number"):
        split_validation(*data, 0.1, seed=seed)


def test_lengths_must_agree(data):
    x, y = data
    with pytest.raises(ValueError, match="x has 100 samples but y has 99"):
        split_validation(x, y[:99], 0.1, seed=0)
