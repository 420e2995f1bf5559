"""Fixed distortions for robustness curves."""

import numpy as np
import pytest

from nndesk.data.distort import LEVELS, distort


def _digit():
    img = np.zeros((28, 28), np.float32)
    img[8:20, 12:16] = 1.0  # a bar, a "1"
    return img.reshape(1, -1)


def _centre(x):
    img = x.reshape(28, 28)
    rows, cols = np.mgrid[0:28, 0:28]
    return np.array([(rows * img).sum(), (cols * img).sum()]) / img.sum()


@pytest.mark.parametrize("kind", sorted(LEVELS))
def test_level_zero_changes_nothing_and_seeds_repeat(kind):
    x = np.repeat(_digit(), 3, axis=0)
    np.testing.assert_allclose(distort(x, kind, 0), x, atol=1e-6)
    top = LEVELS[kind][-1]
    np.testing.assert_array_equal(distort(x, kind, top, seed=4), distort(x, kind, top, seed=4))


def test_shift_moves_the_ink_by_the_level():
    x = _digit()
    moved = distort(x, "shift", 3)
    assert np.linalg.norm(_centre(moved) - _centre(x)) == pytest.approx(3.0, abs=0.05)


def test_rotate_turns_a_bar():
    x = _digit()
    turned = distort(x, "rotate", 45).reshape(28, 28)
    assert turned.sum() == pytest.approx(x.sum(), rel=0.05)
    cols_with_ink = np.flatnonzero(turned.max(axis=0) > 0.3)
    assert np.ptp(cols_with_ink) > 8  # an upright 4-pixel bar now spans many columns


def test_thicken_and_thin():
    x = _digit()
    assert distort(x, "thicken", 2).sum() > x.sum() * 1.5
    assert distort(x, "thicken", -1).sum() < x.sum() * 0.7


def test_noise_stays_in_range():
    noisy = distort(_digit(), "noise", 0.4)
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    assert np.abs(noisy - _digit()).mean() > 0.1


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown distortion 'blur'"):
        distort(_digit(), "blur", 1)
    with pytest.raises(ValueError, match="expected a batch of shape"):
        distort(np.zeros((2, 10)), "shift", 1)


@pytest.mark.parametrize("kind", sorted(LEVELS))
def test_an_empty_batch_stays_empty(kind):
    assert distort(np.zeros((0, 784)), kind, LEVELS[kind][-1]).shape == (0, 784)
