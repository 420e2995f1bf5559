"""Pictures made in NumPy: diverging colours, grids of cells and of feature maps with their
marks (most active framed, dead hatched, the selected one ringed), and the evidence overlay
of a digit; each turned into a QPixmap in well under a millisecond."""

from __future__ import annotations

import functools
import math

import numpy as np
from PySide6.QtGui import QColor, QImage, QPixmap

from ..map_strip import FRAME, GAP, LUT, fit, render

CELL_GAP = 3  # pixels between the cells of a dense layer
MARGIN = 3  # around a grid, for the ring of the selected cell
RING = 2  # the width of the frames and rings
RED, BLUE = np.array([214, 39, 40], float), np.array([33, 102, 172], float)


def rgb(color: QColor) -> np.ndarray:
    return np.array(color.getRgb()[:3], np.uint8)


def to_pixmap(picture: np.ndarray) -> QPixmap:
    """An RGB uint8 array (rows, columns, 3) as a pixmap (which owns a copy)."""
    picture = np.ascontiguousarray(picture)
    h, w = picture.shape[:2]
    image = QImage(picture.data, w, h, picture.strides[0], QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def diverging(values: np.ndarray, level: float) -> np.ndarray:
    """Values as RGB colours of the diverging map, ±level at its ends."""
    clean = np.nan_to_num(values, nan=0.0, posinf=level, neginf=-level)
    return LUT[np.clip((clean * (127.5 / level) + 128.0).astype(np.int32), 0, 255)]


def enlarge(picture: np.ndarray, scale: int) -> np.ndarray:
    """Every pixel a ``scale`` × ``scale`` square."""
    return np.repeat(np.repeat(picture, scale, axis=0), scale, axis=1)


def hatch(size_y: int, size_x: int) -> np.ndarray:
    """Diagonal stripes, True on the lines."""
    yy, xx = np.mgrid[:size_y, :size_x]
    return (yy + xx) % 5 < 2


def _ring(picture: np.ndarray, y: int, x: int, h: int, w: int, color: np.ndarray) -> None:
    """A RING-pixel frame drawn on the inside of the box (y, x, h, w)."""
    r = min(RING, h // 2, w // 2)
    picture[y:y + r, x:x + w] = color
    picture[y + h - r:y + h, x:x + w] = color
    picture[y:y + h, x:x + r] = color
    picture[y:y + h, x + w - r:x + w] = color


class Grid:
    """Where the cells of a picture are: ``cols`` a line, each ``w`` × ``h`` pixels, one every
    ``step_x`` / ``step_y`` pixels from (``MARGIN``, ``MARGIN``)."""

    def __init__(self, count: int, cols: int, w: int, h: int, gap: int):
        self.count, self.cols, self.w, self.h = count, cols, w, h
        self.step_x, self.step_y = w + gap, h + gap
        self.lines = max(1, math.ceil(count / cols))
        self.size = (2 * MARGIN + self.lines * self.step_y - gap,
                     2 * MARGIN + cols * self.step_x - gap)

    def origin(self, k: int) -> tuple[int, int]:
        return MARGIN + (k // self.cols) * self.step_y, MARGIN + (k % self.cols) * self.step_x

    def cell_at(self, x: int, y: int) -> int | None:
        col, line = (x - MARGIN) // self.step_x, (y - MARGIN) // self.step_y
        inside = ((x - MARGIN) % self.step_x < self.w and (y - MARGIN) % self.step_y < self.h
                  and x >= MARGIN and y >= MARGIN)
        k = line * self.cols + col
        return k if inside and col < self.cols and 0 <= k < self.count else None

    def mark(self, picture: np.ndarray, top, dead, selected, colors: dict) -> None:
        """Frame the ``top`` cells, hatch the ``dead`` ones (a boolean mask or None), ring
        the ``selected`` one (or None) just outside its cell."""
        if dead is not None and dead.any():
            stripes = hatch(self.h, self.w)
            for k in np.flatnonzero(dead[:self.count]):
                y, x = self.origin(int(k))
                box = picture[y:y + self.h, x:x + self.w]
                box[...] = colors["dead"]
                box[stripes] = colors["stripe"]
        for k in top:
            if k < self.count:
                _ring(picture, *self.origin(k), self.h, self.w, colors["top"])
        if selected is not None and 0 <= selected < self.count:
            y, x = self.origin(selected)
            _ring(picture, y - RING, x - RING, self.h + 2 * RING, self.w + 2 * RING,
                  colors["selected"])


def cell_size(count: int) -> int:
    return 26 if count <= 48 else 18 if count <= 160 else 13


@functools.lru_cache(maxsize=16)
def _cell_index(count: int, cols: int, s: int) -> np.ndarray:
    """For every pixel of a grid of ``count`` cells, its cell (``count``: background)."""
    grid = Grid(count, cols, s, s, CELL_GAP)
    yy = np.arange(grid.size[0]) - MARGIN
    xx = np.arange(grid.size[1]) - MARGIN
    line, col = yy // grid.step_y, xx // grid.step_x
    inside = ((yy >= 0) & (yy % grid.step_y < s))[:, None] & ((xx >= 0) & (xx % grid.step_x < s)
                                                             & (col < cols))[None, :]
    k = line[:, None] * cols + col[None, :]
    return np.where(inside & (k < count), k, count)


def units_picture(values: np.ndarray, level: float, width: int, background: np.ndarray):
    """A dense layer's units as square cells, as many a line as fit ``width``: (picture, Grid)."""
    n = len(values)
    s = cell_size(n)
    most = max(1, min(n, (width - 2 * MARGIN + CELL_GAP) // (s + CELL_GAP)))
    cols = math.ceil(n / math.ceil(n / most))  # the same number on every full line
    colors = np.empty((n + 1, 3), np.uint8)
    colors[:n] = diverging(values, level)
    colors[n] = background
    return np.take(colors, _cell_index(n, cols, s), axis=0), Grid(n, cols, s, s, CELL_GAP)


def maps_picture(maps: np.ndarray, level: float, width: int, frame: QColor, background: QColor,
                 max_tile: int | None = None):
    """Feature maps (C, H, W) as map_strip draws them, with a margin: (picture, Grid)."""
    c, h, w = maps.shape
    cols, tile = fit(c, width - 2 * MARGIN)
    if max_tile:
        tile = min(tile, max_tile)
    strip = render(maps, level, cols, tile, frame, background)
    ih = max(1, round((tile - 2 * FRAME) * h / w))
    grid = Grid(c, cols, tile, ih + 2 * FRAME, GAP)
    picture = np.empty((strip.shape[0] + 2 * MARGIN, strip.shape[1] + 2 * MARGIN, 3), np.uint8)
    picture[:] = rgb(background)
    picture[MARGIN:-MARGIN, MARGIN:-MARGIN] = strip
    return picture, grid


def overlay(x: np.ndarray, values: np.ndarray, scale: int) -> np.ndarray:
    """The digit ``x`` (H, W, ink 1 on 0) in grey on white, ``values`` over it: red where
    positive, blue where negative, stronger the larger (symmetric scale)."""
    level = float(np.max(np.abs(values))) or 1.0
    t = np.clip(np.nan_to_num(values) / level, -1.0, 1.0)
    base = (255.0 - 150.0 * np.clip(x, 0.0, 1.0))[..., None].repeat(3, axis=2)
    alpha = (np.abs(t) * 0.85)[..., None]
    color = np.where((t >= 0)[..., None], RED, BLUE)
    mixed = base * (1.0 - alpha) + color * alpha
    return enlarge(np.clip(mixed, 0, 255).astype(np.uint8), scale)

