"""Clickable pictures of a layer: its units (dense) or its feature maps, with the most
active framed, dead ones hatched, and the selected one ringed; hover for values."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QToolTip

from ..weight_images import symmetric_level
from .pictures import maps_picture, rgb, to_pixmap, units_picture

SELECTED_COLOR = (255, 153, 0)  # an orange ring, apart from the red-white-blue map


def mark_colors(widget) -> dict:
    palette = widget.palette()
    return {"top": rgb(palette.color(QPalette.ColorRole.WindowText)),
            "dead": np.array([200, 200, 200], np.uint8),
            "stripe": np.array([140, 140, 140], np.uint8),
            "selected": np.array(SELECTED_COLOR, np.uint8)}


class CellPicture(QLabel):
    """A picture of cells; ``clicked(k)`` when cell k is clicked. ``tooltip(k)`` says what
    hovering shows (set by the owner)."""

    clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grid = None
        self.tooltip = lambda k: ""
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def _show(self, picture: np.ndarray, grid) -> None:
        self.grid = grid
        self.setPixmap(to_pixmap(picture))
        self.setFixedSize(picture.shape[1], picture.shape[0])

    def cell_at(self, x: int, y: int) -> int | None:
        return None if self.grid is None else self.grid.cell_at(x, y)

    def cell_center(self, k: int):
        """Where cell k is on the widget (for tests and clicks)."""
        y, x = self.grid.origin(k)
        return QPoint(x + self.grid.w // 2, y + self.grid.h // 2)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        k = self.cell_at(int(event.position().x()), int(event.position().y()))
        if event.button() == Qt.MouseButton.LeftButton and k is not None:
            self.clicked.emit(k)
            event.accept()
            return
        super().mousePressEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            k = self.cell_at(event.pos().x(), event.pos().y())
            if k is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip(k), self)
            return True
        return super().event(event)


class UnitGrid(CellPicture):
    """A dense layer's units, one coloured square each (white zero, red positive)."""

    def show_units(self, values: np.ndarray, top, dead, selected, width: int) -> float:
        """Draw ``values`` (units,); returns the colour scale ±level."""
        level = symmetric_level(values)
        background = rgb(self.palette().color(QPalette.ColorRole.Window))
        picture, grid = units_picture(values, level, width, background)
        grid.mark(picture, top, dead, selected, mark_colors(self))
        self._show(picture, grid)
        return level


class MapGrid(CellPicture):
    """A layer's feature maps (C, H, W), one small tile each."""

    def show_maps(self, maps: np.ndarray, top, dead, selected, width: int) -> float:
        level = symmetric_level(maps)
        palette = self.palette()
        picture, grid = maps_picture(maps, level, width, palette.mid().color(),
                                     palette.window().color())
        grid.mark(picture, top, dead, selected, mark_colors(self))
        self._show(picture, grid)
        return level
