"""Drawing-pad preprocessing: MNIST geometry on many shapes, steps, and image_to_canvas."""

import numpy as np
import pytest

from nndesk import paths
from nndesk.data import read_idx
from nndesk.data.preprocess import (EmptyCanvasError, area_resample, canvas_to_mnist,
                                    canvas_to_mnist_steps, image_to_canvas)


def _disk(size, cy, cx, radius):
    yy, xx = np.mgrid[0:size, 0:size]
    return ((yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2).astype(np.float32)


def _ring(size=280, thickness=20):
    return np.clip(_disk(size, 140, 140, 100) - _disk(size, 140, 140, 100 - thickness), 0, 1)


def _canvas(kind):
    c = np.zeros((280, 280), dtype=np.float32)
    if kind == "dot":
        c[37, 201] = 1
    elif kind == "edge line":
        c[:, 0:3] = 1
    elif kind == "corner block":
        c[-30:, -50:] = 1
    elif kind == "thin diagonal":
        i = np.arange(40, 240)
        c[i, i - 10] = 1
    elif kind == "thin ring":
        c = _ring(thickness=1)
    elif kind == "thick ring":
        c = _ring(thickness=60)
    elif kind == "tall one":
        c[30:250, 140] = 1
    elif kind == "wide bar":
        c[100:104, 10:270] = 1
    elif kind == "seven":
        c[40:60, 60:220] = 1
        for r in range(60, 250):
            col = 220 - (r - 60) // 2
            c[r, col - 9:col + 9] = 1
    elif kind == "L":
        c[40:240, 80:100] = 1
        c[220:240, 80:200] = 1
    elif kind == "faint soft blob":
        c = 0.3 * np.exp(-((np.mgrid[0:280, 0:280] - 150.0) ** 2).sum(0) / 800)
    return c


KINDS = ["dot", "edge line", "corner block", "thin diagonal", "thin ring", "thick ring",
         "tall one", "wide bar", "seven", "L", "faint soft blob"]


def _ink_box(image, threshold=0.05):
    rows = np.flatnonzero((image > threshold).any(1))
    cols = np.flatnonzero((image > threshold).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def _centre_of_mass(image):
    i = np.arange(image.shape[0])
    return (image.sum(1) @ i) / image.sum(), (image.sum(0) @ i) / image.sum()


@pytest.mark.parametrize("kind", KINDS)
def test_mnist_geometry(kind):
    result = canvas_to_mnist(_canvas(kind))
    assert result.shape == (28, 28) and result.dtype == np.float32
    assert result.min() >= 0 and result.max() == pytest.approx(1.0)
    h, w = _ink_box(result)
    assert max(h, w) <= 20
    assert max(h, w) >= 19
    cy, cx = _centre_of_mass(result)
    assert abs(cy - 14) <= 0.5 + 1e-6 and abs(cx - 14) <= 0.5 + 1e-6


def test_tall_thin_one_stays_thin():
    h, w = _ink_box(canvas_to_mnist(_canvas("tall one")))
    assert (h, w) == (20, 1)


def test_wide_bar_keeps_its_aspect_ratio():
    steps = canvas_to_mnist_steps(_canvas("wide bar"))
    assert steps["cropped"].shape == (4, 260)
    assert steps["scaled"].shape == (1, 20)


def test_thick_and_thin_strokes_keep_their_relative_width():
    thick = canvas_to_mnist(_canvas("thick ring"))
    thin = canvas_to_mnist(_canvas("thin ring"))
    assert (thick > 0.5).sum() > 3 * (thin > 0.5).sum()
    assert thin[14, 14] == 0  # the hole stays open


def test_steps_are_consistent():
    canvas = _canvas("seven")
    steps = canvas_to_mnist_steps(canvas)
    assert list(steps) == ["raw", "cropped", "scaled", "centred"]
    assert np.array_equal(steps["raw"], canvas)
    assert steps["cropped"].shape == (210, 169)
    assert steps["scaled"].shape == (20, 16)
    assert all(a.dtype == np.float32 for a in steps.values())
    assert np.array_equal(steps["centred"], canvas_to_mnist(canvas))
    assert steps["centred"].sum() == pytest.approx(steps["scaled"].sum(), rel=1e-5)


def test_values_are_clipped_and_any_canvas_size_works():
    canvas = np.zeros((37, 91))
    canvas[5:30, 40:50] = 3.0
    canvas[0, 0] = -2.0
    result = canvas_to_mnist(canvas)
    assert result.min() == 0 and result.max() == 1
    assert _ink_box(result) == (20, 8)


def test_area_resampling_is_exact():
    assert np.allclose(area_resample(np.arange(5.0), 0, 2), [0.8, 3.2])  # means of [0, 2.5), [2.5, 5)
    assert np.allclose(area_resample(np.array([1.0, 3.0]), 0, 4), [1, 1, 3, 3])
    image = np.random.default_rng(0).random((30, 17))
    assert np.allclose(area_resample(image, 0, 10), image.reshape(10, 3, 17).mean(axis=1), atol=1e-6)
    assert np.allclose(area_resample(image, 1, 17), image, atol=1e-6)
    assert area_resample(image, 1, 5).sum() == pytest.approx(image.sum() * 5 / 17, rel=1e-5)


@pytest.mark.parametrize("canvas", [np.zeros((100, 100)), np.full((50, 80), 0.04)])
def test_empty_canvas(canvas):
    with pytest.raises(EmptyCanvasError, match="the canvas is empty"):
        canvas_to_mnist(canvas)
    assert issubclass(EmptyCanvasError, ValueError)


@pytest.mark.parametrize("canvas", [np.zeros(10), np.zeros((3, 3, 3)), np.zeros((0, 5)),
                                    np.array([[np.nan, 1.0]])])
def test_bad_canvas(canvas):
    with pytest.raises(ValueError, match="canvas"):
        canvas_to_mnist(canvas)


def test_reproduces_mnist_digits():
    """MNIST digits drawn 10x larger come back as they were (up to their peak level)."""
    images = read_idx(paths.resource_dir() / "datasets" / "mnist" / "t10k-images-idx3-ubyte.gz")
    exact = 0
    for digit in images[:50].astype(np.float32) / 255:
        canvas = np.kron(digit, np.ones((10, 10), dtype=np.float32))
        error = np.abs(canvas_to_mnist(canvas) - digit / digit.max()).max()
        assert error < 0.05  # at most the faint pixels (< 0.05) beyond the ink's box differ
        exact += error < 1e-5
    assert exact >= 45


def test_image_to_canvas_inverts_dark_ink_on_light_paper():
    canvas = _canvas("seven")
    photo = (230 - 200 * canvas).astype(np.uint8)  # grey paper, dark ink
    result = image_to_canvas(photo)
    assert result.dtype == np.float32
    assert np.allclose(result, canvas, atol=1e-6)


def test_image_to_canvas_keeps_light_ink_on_dark_paper():
    canvas = _canvas("L")
    assert np.allclose(image_to_canvas(0.1 + 0.8 * canvas), canvas, atol=1e-6)
    assert np.allclose(image_to_canvas(255.0 * canvas), canvas)


def test_image_to_canvas_without_contrast_is_empty():
    result = image_to_canvas(np.full((40, 40), 128, dtype=np.uint8))
    assert not result.any()
    with pytest.raises(EmptyCanvasError):
        canvas_to_mnist(result)


def test_image_to_canvas_then_mnist():
    photo = np.full((300, 200), 250, dtype=np.uint8)
    photo[50:250, 90:110] = 20
    result = canvas_to_mnist(image_to_canvas(photo))
    assert _ink_box(result) == (20, 2)


def test_image_to_canvas_rejects_colour_images():
    with pytest.raises(ValueError, match="2-D grayscale"):
        image_to_canvas(np.zeros((4, 4, 3)))
