"""Two-feature toy data sets, generated: the playground's planes.

Each generator draws ``points`` points (x1, x2) in about [-1, 1]^2 with their classes, seeded:

    circle        class 1 inside a circle of radius 0.5, class 0 in a ring around it
    xor2d         the four quadrants, class = sign(x1) != sign(x2)
    gauss         ``classes`` Gaussian blobs (2 by default) around points on a circle
    spiral        ``classes`` interleaved spiral arms (2 by default)
    moons         two interleaving half circles
    checkerboard  a 4 x 4 board of alternating squares

``noise`` (default 0.1) scales the Gaussian jitter added to every point. A name may carry its
settings: ``spiral:classes=3,noise=0.2,points=600,seed=1``. A fifth of the points (every 5th
after a seeded shuffle) is the test split.
"""

from __future__ import annotations

import numpy as np

from .errors import DataError

DEFAULTS = {"points": 500, "noise": 0.1, "seed": 0, "classes": 2}
LIMITS = {"points": (8, 1_000_000), "noise": (0.0, 2.0), "seed": (0, 2**32 - 1),
          "classes": (2, 10)}


def _circle(rng, n, classes):
    inner = rng.random(n) < 0.5
    radius = np.where(inner, 0.5 * np.sqrt(rng.random(n)), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1), inner.astype(int)


def _xor2d(rng, n, classes):
    x = rng.uniform(-1, 1, (n, 2))
    x += np.sign(x) * 0.05  # a margin along the axes
    return x, ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(int)


def _gauss(rng, n, classes):
    y = rng.integers(0, classes, n)
    angle = 2 * np.pi * y / classes + np.pi / 4
    centres = 0.55 * np.stack([np.cos(angle), np.sin(angle)], 1)
    return centres + rng.normal(0, 0.18, (n, 2)), y


def _spiral(rng, n, classes):
    y = rng.integers(0, classes, n)
    t = rng.random(n)
    angle = 1.75 * 2 * np.pi * t + 2 * np.pi * y / classes
    radius = 0.05 + 0.95 * t
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1), y


def _moons(rng, n, classes):
    y = (rng.random(n) < 0.5).astype(int)
    angle = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(angle) - 0.5, np.sin(angle) - 0.25], 1)
    lower = np.stack([0.5 - np.cos(angle), 0.25 - np.sin(angle)], 1)
    return 0.8 * np.where(y[:, None] == 0, upper, lower), y


def _checkerboard(rng, n, classes):
    x = rng.uniform(-1, 1, (n, 2))
    cells = np.floor((x + 1) * 2).astype(int)  # 4 cells along each axis
    return x, (cells.sum(axis=1) % 2).astype(int)


GENERATORS = {"circle": _circle, "xor2d": _xor2d, "gauss": _gauss, "spiral": _spiral,
              "moons": _moons, "checkerboard": _checkerboard}
MULTICLASS = ("gauss", "spiral")


def parse(name: str) -> tuple[str, dict] | None:
    """(generator, settings) for a toy data set's name, None when it names none."""
    base, _, rest = name.strip().partition(":")
    base = base.lower()
    if base not in GENERATORS:
        return None
    settings = dict(DEFAULTS)
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key not in DEFAULTS:
            raise DataError(f"{name!r}: unknown setting {key!r}; a toy data set takes "
                            f"{', '.join(DEFAULTS)}")
        try:
            number = float(value) if key == "noise" else int(value)
        except ValueError:
            raise DataError(f"{name!r}: {key} must be a number, got {value.strip()!r}") from None
        low, high = LIMITS[key]
        if not low <= number <= high:
            raise DataError(f"{name!r}: {key} must be from {low} to {high}, got {number:g}")
        settings[key] = number
    if settings["classes"] != 2 and base not in MULTICLASS:
        raise DataError(f"{name!r}: {base} has two classes; only "
                        f"{' and '.join(MULTICLASS)} take classes=")
    return base, settings


def name_of(base: str, settings: dict) -> str:
    """The name that ``parse`` reads back: the generator and the settings off their defaults."""
    changed = [f"{k}={settings[k]:g}" for k in DEFAULTS if settings[k] != DEFAULTS[k]]
    return base + (":" + ",".join(changed) if changed else "")


def generate(base: str, settings: dict) -> tuple[np.ndarray, np.ndarray]:
    """Points (N, 2) float32 and labels (N,) int64."""
    rng = np.random.default_rng(settings["seed"])
    n = settings["points"]
    x, y = GENERATORS[base](rng, n, settings["classes"])
    x = x + rng.normal(0, settings["noise"], x.shape) * 0.5
    return x.astype(np.float32), np.asarray(y, np.int64)
