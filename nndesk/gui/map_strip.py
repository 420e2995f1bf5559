"""One layer's feature maps drawn as one picture: every channel a small framed tile, coloured
by the weight views' diverging map (white zero, red positive, blue negative) and scaled to
whole tiles by nearest neighbour, in NumPy straight into a QImage (a few hundred microseconds
for LeNet's largest layer)."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QLabel, QToolTip

from .weight_images import diverging_map

GAP = 4  # pixels between tiles
FRAME = 1  # a tile's frame, so that white (zero) maps stand out from the background
MIN_TILE, MAX_TILE = 36, 84  # a tile's width on screen, frame included


def _lut() -> np.ndarray:
    return diverging_map().getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)


LUT = _lut()


def fit(count: int, width: int) -> tuple[int, int]:
    """(columns, tile width) for ``count`` tiles across ``width`` pixels: as few lines as
    keep tiles at least MIN_TILE wide, the same number of tiles on every full line."""
    cols, size = 1, width
    for lines in range(1, count + 1):
        cols = math.ceil(count / lines)
        size = (width - GAP * (cols - 1)) // cols
        if size >= MIN_TILE or cols == 1:
            break
    return cols, max(2 * FRAME + 2, min(size, MAX_TILE))


def render(maps: np.ndarray, level: float, cols: int, tile: int,
           frame: QColor, background: QColor) -> np.ndarray:
    """Maps (C, H, W) as an RGB picture (rows, columns, 3) of uint8, ``cols`` tiles a line."""
    c, h, w = maps.shape
    iw = tile - 2 * FRAME
    ih = max(1, round(iw * h / w))
    ys, xs = np.arange(ih) * h // ih, np.arange(iw) * w // iw
    up = np.nan_to_num(maps, nan=0.0, posinf=level, neginf=-level)[:, ys][:, :, xs]
    rgb = LUT[np.clip((up * (127.5 / level) + 128.0).astype(np.int32), 0, 255)]
    lines = math.ceil(c / cols)
    oh, ow = ih + 2 * FRAME, iw + 2 * FRAME
    picture = np.empty((lines * oh + (lines - 1) * GAP, cols * ow + (cols - 1) * GAP, 3), np.uint8)
    picture[...] = background.getRgb()[:3]
    for k in range(c):
        y, x = (k // cols) * (oh + GAP), (k % cols) * (ow + GAP)
        picture[y:y + oh, x:x + ow] = frame.getRgb()[:3]
        picture[y + FRAME:y + FRAME + ih, x + FRAME:x + FRAME + iw] = rgb[k]
    return picture


class MapStrip(QLabel):
    """A layer's maps as one pixmap; the tooltip names the channel under the pointer.
    ``maps`` holds what was drawn last (C, H, W)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.maps: np.ndarray | None = None
        self._picture: np.ndarray | None = None
        self._cols, self._tile, self._tile_h = 1, 1, 1

    def show_maps(self, maps: np.ndarray, level: float, width: int) -> None:
        cols, tile = fit(len(maps), width)
        palette = self.palette()
        picture = render(maps, level, cols, tile, palette.mid().color(), palette.window().color())
        h, w = picture.shape[:2]
        image = QImage(picture.data, w, h, picture.strides[0], QImage.Format.Format_RGB888)
        self.setPixmap(QPixmap.fromImage(image))
        self.setFixedSize(w, h)
        self._picture = picture  # the image's memory, should the pixmap share it
        self.maps, self._cols, self._tile = maps, cols, tile
        self._tile_h = (h + GAP) // math.ceil(len(maps) / cols)

    def channel_at(self, x: int, y: int) -> int | None:
        """The channel whose tile is at (x, y) of the label, or None between tiles."""
        if self.maps is None:
            return None
        col, row = x // (self._tile + GAP), y // self._tile_h
        inside = x % (self._tile + GAP) < self._tile and y % self._tile_h < self._tile_h - GAP
        k = row * self._cols + col
        return k if inside and col < self._cols and 0 <= k < len(self.maps) else None

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            k = self.channel_at(event.pos().x(), event.pos().y())
            if k is None:
                QToolTip.hideText()
            else:
                m = self.maps[k]
                QToolTip.showText(event.globalPos(), f"Channel {k + 1} of {len(self.maps)}: "
                                  f"{float(m.min()):.3g} to {float(m.max()):.3g}", self)
            return True
        return super().event(event)
