"""The data behind the training curves: growing series, and reading values under the mouse."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor


class Series:
    """An append-only float series with amortised growth (no list -> array copies per refresh)."""

    def __init__(self, capacity: int = 1024):
        self._data = np.empty(capacity, dtype=np.float64)
        self.size = 0

    def extend(self, values) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()
        need = self.size + len(values)
        if need > len(self._data):
            grown = np.empty(max(need, 2 * len(self._data)), dtype=np.float64)
            grown[:self.size] = self._data[:self.size]
            self._data = grown
        self._data[self.size:need] = values
        self.size = need

    def clear(self) -> None:
        self.size = 0

    @property
    def values(self) -> np.ndarray:
        return self._data[:self.size]


def make_pen(color: str, width: float = 1.6, alpha: int = 255, style=Qt.PenStyle.SolidLine):
    c = QColor(color)
    c.setAlpha(alpha)
    pen = pg.mkPen(c, width=width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


def number(value) -> float:
    try:
        return float(value) if value is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def nearest(xs: Series, x: float, series: list) -> list[str]:
    values = xs.values
    if not len(values):
        return []
    i = int(np.clip(np.searchsorted(values, x), 0, len(values) - 1))
    if i > 0 and abs(values[i - 1] - x) < abs(values[i] - x):
        i -= 1
    out = []
    for name, s, fmt in series:
        v = s.values[i] if i < s.size else math.nan
        if math.isfinite(v):
            out.append(f"{name} {fmt.format(v)}")
    return out
