"""Turn a drawing (or a photo of a digit) into an input prepared the way MNIST digits were.

MNIST digits were cropped, scaled with anti-aliasing so the longer side fits a 20x20
box, and pasted into a 28x28 frame with the ink's centre of mass at the frame's centre.
Measured over the MNIST training set, the longer side of the ink is 20 px and the
centre of mass lies within half a pixel of pixel (14, 14) (row, column, counted from 0),
i.e. the digits were moved by whole pixels. ``canvas_to_mnist`` does the same, so the
result is as sharp as MNIST's own digits rather than blurred by a sub-pixel shift.
"""

from __future__ import annotations

import numpy as np

FRAME = 28
BOX = 20
CENTRE = 14.0
INK_THRESHOLD = 0.05


class EmptyCanvasError(ValueError):
    """The canvas (or image) holds no ink, so there is nothing to recognise."""


def canvas_to_mnist(canvas: np.ndarray) -> np.ndarray:
    """A 28x28 float32 image in [0, 1] from a 2-D canvas of ink 1.0 on background 0.0.

    Raises EmptyCanvasError if no value exceeds 0.05, ValueError for a canvas that is
    not a 2-D array of finite numbers.
    """
    return canvas_to_mnist_steps(canvas)["centred"]


def canvas_to_mnist_steps(canvas: np.ndarray) -> dict[str, np.ndarray]:
    """The preparation step by step, for display; all float32 in [0, 1].

    - ``raw``: the canvas, clipped to [0, 1];
    - ``cropped``: the bounding box of the ink (values above 0.05);
    - ``scaled``: resampled by exact area averaging so the longer side is 20 px and
      the aspect ratio is kept (the shorter side rounded to whole pixels, at least 1),
      then stretched so the strongest pixel is 1.0 as in MNIST;
    - ``centred``: pasted into 28x28, moved by whole pixels so the centre of mass is
      within half a pixel of (14, 14), and never past the frame's edge.
    """
    raw = np.asarray(canvas, dtype=np.float32)
    if raw.ndim != 2 or raw.size == 0:
        raise ValueError(f"the canvas must be a non-empty 2-D array, got shape {raw.shape}")
    if not np.isfinite(raw).all():
        raise ValueError("the canvas holds values that are not finite numbers")
    raw = np.clip(raw, 0.0, 1.0)
    ink = raw > INK_THRESHOLD
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        raise EmptyCanvasError("the canvas is empty: draw a digit first")
    cropped = raw[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scaled = _scale_to_box(cropped, BOX)
    return {"raw": raw, "cropped": cropped, "scaled": scaled,
            "centred": _paste_centred(scaled, FRAME)}


def image_to_canvas(gray: np.ndarray) -> np.ndarray:
    """A canvas (ink 1.0 on background 0.0, float32) from a grayscale image of any size.

    Accepts values 0-255 (integers, or floats above 1) or 0-1. Dark ink on light paper
    is recognised by a bright border (its median above 0.5) and inverted. The border's
    median becomes 0 and the strongest ink 1, so grey paper or a dim photo still gives
    a clean canvas; an image with no contrast gives an all-zero canvas, which
    ``canvas_to_mnist`` reports as EmptyCanvasError.
    """
    image = np.asarray(gray)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"expected a non-empty 2-D grayscale image, got shape {image.shape}")
    image = image.astype(np.float32)
    if not np.isfinite(image).all():
        raise ValueError("the image holds values that are not finite numbers")
    if np.issubdtype(np.asarray(gray).dtype, np.integer) or image.max() > 1.0:
        image = image / 255.0
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    background = float(np.median(border))
    if background > 0.5:
        image, background = 1.0 - image, 1.0 - background
    contrast = float(image.max()) - background
    if contrast <= INK_THRESHOLD:
        return np.zeros_like(image)
    return np.clip((image - background) / contrast, 0.0, 1.0).astype(np.float32)


def area_resample(image: np.ndarray, axis: int, n_out: int) -> np.ndarray:
    """Resample one axis to ``n_out`` pixels by exact area averaging.

    Output pixel j averages the input over [j, j+1) * n_in / n_out, each input pixel
    weighted by how much of it falls inside. Computed from a running sum rather than a
    matrix product: small products wake every BLAS thread and cost far more than the sum.
    """
    n_in = image.shape[axis]
    ratio = n_in / n_out
    edges = np.arange(n_out + 1) * ratio
    whole = np.minimum(np.floor(edges).astype(np.intp), n_in - 1)
    frac = (edges - whole).reshape((-1,) + (1,) * (image.ndim - 1))
    moved = np.moveaxis(image, axis, 0).astype(np.float64)
    cum = np.concatenate([np.zeros((1,) + moved.shape[1:]), np.cumsum(moved, axis=0)])
    integral = cum[whole] + frac * moved[whole]
    return np.moveaxis((integral[1:] - integral[:-1]) / ratio, 0, axis).astype(np.float32)


def _scale_to_box(image: np.ndarray, box: int) -> np.ndarray:
    h, w = image.shape
    scale = box / max(h, w)
    out_h, out_w = max(1, round(h * scale)), max(1, round(w * scale))
    scaled = area_resample(area_resample(image, 0, out_h), 1, out_w)
    return np.clip(scaled / scaled.max(), 0.0, 1.0)


def _paste_centred(image: np.ndarray, frame: int) -> np.ndarray:
    h, w = image.shape
    mass = image.sum()
    cy = float(image.sum(axis=1) @ np.arange(h)) / mass
    cx = float(image.sum(axis=0) @ np.arange(w)) / mass
    top = int(np.clip(np.floor(CENTRE - cy + 0.5), 0, frame - h))
    left = int(np.clip(np.floor(CENTRE - cx + 0.5), 0, frame - w))
    out = np.zeros((frame, frame), dtype=np.float32)
    out[top:top + h, left:left + w] = image
    return out

