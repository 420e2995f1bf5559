"""Random, vectorised distortions of a batch of images for training-time augmentation."""

from __future__ import annotations

import numpy as np


def augment_batch(x: np.ndarray, rng: np.random.Generator,
                  image_shape: tuple[int, int] = (28, 28), max_shift: float = 2,
                  max_rotation_deg: float = 10, scale_range: tuple[float, float] = (0.9, 1.1),
                  thickness_prob: float = 0.3) -> np.ndarray:
    """A randomly distorted float32 copy of a batch of flattened images (N, rows*columns).

    Each image is, with probability ``thickness_prob``, given thicker strokes (half of
    those) or thinner strokes (the other half): a dilation or erosion over each pixel
    and its four neighbours, blended in at a random strength from 0.2 to 0.5. Then it is rotated by up to
    ``max_rotation_deg`` degrees about its centre, scaled by a factor drawn from
    ``scale_range`` and shifted by up to ``max_shift`` pixels along each axis (all drawn
    uniformly and independently per image), resampled bilinearly with zeros outside.
    The whole batch is transformed at once; the same ``rng`` state gives the same result.
    """
    rows, cols = image_shape
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != rows * cols:
        raise ValueError(f"expected a batch of shape (N, {rows * cols}), got {x.shape}")
    n = len(x)
    shift = rng.uniform(-max_shift, max_shift, size=(2, n))
    angle = np.deg2rad(rng.uniform(-max_rotation_deg, max_rotation_deg, size=n))
    scale = rng.uniform(scale_range[0], scale_range[1], size=n)
    op = rng.random(n)
    strength = rng.uniform(0.2, 0.5, size=(n, 1, 1)).astype(np.float32)

    images = x.reshape(n, rows, cols)
    thicker, thinner = op < thickness_prob / 2, (op >= thickness_prob / 2) & (op < thickness_prob)
    if thicker.any() or thinner.any():
        images = images.copy()
        for chosen, extreme in ((thicker, np.maximum), (thinner, np.minimum)):
            picked = images[chosen]
            images[chosen] = picked + strength[chosen] * (cross_filter(picked, extreme) - picked)
    return warp(images, angle, scale, shift).reshape(n, rows * cols)


def cross_filter(images: np.ndarray, extreme: np.ufunc) -> np.ndarray:
    """Max (dilation) or min (erosion) over each pixel and its 4 neighbours; zeros outside."""
    out = images.copy()
    extreme(out[:, 1:], images[:, :-1], out=out[:, 1:])
    extreme(out[:, :-1], images[:, 1:], out=out[:, :-1])
    extreme(out[:, :, 1:], images[:, :, :-1], out=out[:, :, 1:])
    extreme(out[:, :, :-1], images[:, :, 1:], out=out[:, :, :-1])
    if extreme is np.minimum:  # pixels on the edge have a zero neighbour outside
        out[:, [0, -1], :] = 0
        out[:, :, [0, -1]] = 0
    return out


def warp(images: np.ndarray, angle: np.ndarray, scale: np.ndarray,
          shift: np.ndarray) -> np.ndarray:
    """Rotate/scale each image about its centre, then shift it; bilinear, zeros outside."""
    n, rows, cols = images.shape
    # Padding: one zero row/column before and two after, so every clipped coordinate
    # and its +1 neighbour fall inside the padded image.
    padded = np.zeros((n, rows + 3, cols + 3), dtype=np.float32)
    padded[:, 1:rows + 1, 1:cols + 1] = images
    # Inverse map: output pixel p (from the centre) reads the source at
    # R(-angle) (p - shift) / scale. Plain broadcasting, not a matrix product: BLAS
    # threads make such a thin product many times slower.
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    centre_y, centre_x = (rows - 1) / 2 + 1, (cols - 1) / 2 + 1
    maps = np.stack([np.concatenate([cos, sin]), np.concatenate([-sin, cos]),
                     np.concatenate([centre_y - cos * shift[0] + sin * shift[1],
                                     centre_x - sin * shift[0] - cos * shift[1]])])
    maps = maps.astype(np.float32)[:, :, None]
    gy, gx = _grid(rows, cols)
    coords = maps[0] * gy
    coords += maps[1] * gx
    coords += maps[2]
    np.clip(coords[:n], 0, rows + 1, out=coords[:n])
    np.clip(coords[n:], 0, cols + 1, out=coords[n:])
    index_type = np.int32 if padded.size < 2**31 else np.int64
    corner = coords.astype(index_type)  # truncation is floor: coordinates are >= 0
    frac = np.subtract(coords, corner, dtype=np.float32)
    width = cols + 3
    index = corner[:n]
    index += (np.arange(n, dtype=index_type) * (rows + 3))[:, None]
    index *= width
    index += corner[n:]
    flat = padded.ravel()
    p00, p01 = flat.take(index), flat.take(index + 1)
    p10, p11 = flat.take(index + width), flat.take(index + (width + 1))
    fy, fx = frac[:n], frac[n:]
    p01 -= p00
    p01 *= fx
    p00 += p01          # top row, interpolated along x
    p11 -= p10
    p11 *= fx
    p10 += p11          # bottom row
    p10 -= p00
    p10 *= fy
    p00 += p10
    return p00


def _grid(rows: int, cols: int) -> np.ndarray:
    """(2, rows*cols) float32: each pixel's row and column, counted from the centre."""
    gy, gx = np.mgrid[0:rows, 0:cols]
    return np.stack([gy.ravel() - (rows - 1) / 2, gx.ravel() - (cols - 1) / 2]).astype(np.float32)
