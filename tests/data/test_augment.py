"""augment_batch: shape, dtype, range, determinism, geometry, stroke width."""

import numpy as np
import pytest

from nndesk.data.augment import augment_batch

NO_CHANGE = dict(max_shift=0, max_rotation_deg=0, scale_range=(1, 1), thickness_prob=0)


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.x_train[:64].copy()


def _centres(x):
    images = x.reshape(-1, 28, 28)
    i = np.arange(28)
    mass = images.sum((1, 2))
    return np.stack([(images.sum(2) @ i) / mass, (images.sum(1) @ i) / mass], 1)


def test_shape_dtype_range_and_input_untouched(digits):
    before = digits.copy()
    out = augment_batch(digits, np.random.default_rng(0))
    assert out.shape == digits.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    assert np.array_equal(digits, before)


def test_seeded_rng_gives_identical_results(digits):
    a = augment_batch(digits, np.random.default_rng(7))
    b = augment_batch(digits, np.random.default_rng(7))
    c = augment_batch(digits, np.random.default_rng(8))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_no_distortion_is_the_identity(digits):
    assert np.array_equal(augment_batch(digits, np.random.default_rng(0), **NO_CHANGE), digits)


def test_shifts_move_the_ink_by_at_most_max_shift(digits):
    options = dict(NO_CHANGE, max_shift=2)
    moved = _centres(augment_batch(digits, np.random.default_rng(1), **options)) - _centres(digits)
    assert np.abs(moved).max() <= 2.05
    assert np.mean(np.abs(moved).max(1) > 0.5) > 0.5
    assert moved[:, 0].std() > 0.5 and moved[:, 1].std() > 0.5


def test_default_distortions_change_every_image(digits):
    out = augment_batch(digits, np.random.default_rng(2))
    changed = np.abs(out - digits).sum(1)
    assert np.all(changed > 1.0)
    assert np.all(np.abs(out.sum(1) / digits.sum(1) - 1) < 0.5)  # the ink is kept


def test_scale_about_the_centre():
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 13:15, 17:19] = 1  # a 2x2 block centred 4 px right of the centre (13.5)
    out = augment_batch(image.reshape(1, -1), np.random.default_rng(0),
                        **dict(NO_CHANGE, scale_range=(2, 2))).reshape(28, 28)
    cy, cx = _centres(out.reshape(1, -1))[0]
    assert cy == pytest.approx(13.5, abs=0.05) and cx == pytest.approx(21.5, abs=0.05)
    assert out.sum() == pytest.approx(16, rel=0.1)


def test_rotation_stays_within_max_rotation():
    bar = np.zeros((200, 28, 28), dtype=np.float32)
    bar[:, 13:15, 4:24] = 1
    out = augment_batch(bar.reshape(200, -1), np.random.default_rng(0),
                        **dict(NO_CHANGE, max_rotation_deg=30)).reshape(200, 28, 28)
    yy, xx = np.mgrid[0:28, 0:28] - 13.5
    mass = out.sum((1, 2))
    cyy, cxx, cxy = ((out * m).sum((1, 2)) / mass for m in (yy * yy, xx * xx, yy * xx))
    tilt = np.degrees(0.5 * np.arctan2(2 * cxy, cxx - cyy))
    assert np.abs(tilt).max() <= 31
    assert tilt.min() < -20 and tilt.max() > 20


def test_thickness_changes_the_amount_of_ink(digits):
    out = augment_batch(digits, np.random.default_rng(3), **dict(NO_CHANGE, thickness_prob=1))
    ratio = out.sum(1) / digits.sum(1)
    assert np.all(np.abs(ratio - 1) > 0.02)
    assert (ratio > 1).sum() > 15 and (ratio < 1).sum() > 15


def test_empty_batch_and_bad_shape():
    assert augment_batch(np.zeros((0, 784)), np.random.default_rng(0)).shape == (0, 784)
    with pytest.raises(ValueError, match=r"expected a batch of shape \(N, 784\)"):
        augment_batch(np.zeros((3, 100)), np.random.default_rng(0))
