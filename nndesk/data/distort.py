"""Fixed distortions of test images, for robustness curves: how accuracy falls as the digits
are shifted, rotated, thickened (or thinned) or noised, one level at a time.

Each is deterministic for a seed, so every model is judged on the same distorted digits:

    shift    every image moved ``level`` pixels in a direction drawn per image
    rotate   every image turned by ``level`` degrees, clockwise or not (drawn per image)
    thicken  ``level`` dilations over each pixel and its 4 neighbours (negative: erosions)
    noise    Gaussian noise of standard deviation ``level`` added, clipped to [0, 1]
"""

from __future__ import annotations

import numpy as np

from .augment import cross_filter, warp

LEVELS = {
    "shift": (0, 1, 2, 3, 4, 5),
    "rotate": (0, 10, 20, 30, 45, 60),
    "thicken": (-1, 0, 1, 2, 3),
    "noise": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
}
UNITS = {"shift": "pixels", "rotate": "degrees", "thicken": "dilations", "noise": "noise std"}


def distort(x: np.ndarray, kind: str, level: float, image_shape=(28, 28),
            seed: int = 0) -> np.ndarray:
    """A float32 copy of the flattened images ``x`` (N, rows*cols) distorted at ``level``."""
    if kind not in LEVELS:
        raise ValueError(f"unknown distortion {kind!r}; expected one of {', '.join(LEVELS)}")
    rows, cols = image_shape
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != rows * cols:
        raise ValueError(f"expected a batch of shape (N, {rows * cols}), got {x.shape}")
    n = len(x)
    rng = np.random.default_rng(seed)
    images = x.reshape(n, rows, cols)
    if kind == "noise":
        noisy = images + rng.normal(0.0, level, images.shape).astype(np.float32)
        return np.clip(noisy, 0.0, 1.0).reshape(n, rows * cols)
    if kind == "thicken":
        extreme = np.maximum if level >= 0 else np.minimum
        for _ in range(int(abs(level))):
            images = cross_filter(images, extreme)
        return np.array(images, dtype=np.float32).reshape(n, rows * cols)
    zeros, ones = np.zeros(n), np.ones(n)
    if kind == "shift":
        direction = rng.uniform(0, 2 * np.pi, n)
        shift = level * np.stack([np.sin(direction), np.cos(direction)])
        return warp(images, zeros, ones, shift).reshape(n, rows * cols)
    sign = rng.choice([-1.0, 1.0], n)
    return warp(images, np.deg2rad(level) * sign, ones, np.zeros((2, n))).reshape(n, rows * cols)
