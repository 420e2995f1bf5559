"""Painted widgets of the pad: small grayscale images and the probability bars.

Both paint with the widget's palette, so they follow a light or dark theme, and in
logical pixels, so they stay sharp on high-DPI screens.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .canvas import array_image


def warning_color(widget: QWidget) -> str:
    """A red that reads well on the widget's window colour, light or dark."""
    dark = widget.palette().color(QPalette.ColorRole.Window).lightness() < 128
    return "#ff7b72" if dark else "#c62828"


class PixelImage(QWidget):
    """A grayscale image (float in [0, 1], ink white on black as the network sees it)
    drawn to fit a square box, keeping its aspect ratio.

    ``pixelated`` shows every pixel as a sharp square (for 28x28 and other small images);
    otherwise it is smoothed (for the 280x280 canvas shrunk to a thumbnail).
    """

    def __init__(self, box: int, pixelated: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self._box = int(box)
        self._pixelated = pixelated
        self._image = None
        self._array: np.ndarray | None = None
        self.setFixedSize(self._box, self._box)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._box, self._box)

    def set_array(self, array: np.ndarray | None) -> None:
        self._array = None if array is None else np.asarray(array)
        self._image = None if array is None else array_image(array)
        self.update()

    def array(self) -> np.ndarray | None:
        return self._array

    def paintEvent(self, event) -> None:  # noqa: N802
        palette = self.palette()
        painter = QPainter(self)
        outer = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        if self._image is None:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(outer)
            painter.end()
            return
        w, h = self._image.width(), self._image.height()
        inner = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        scale = min(inner.width() / w, inner.height() / h)
        if self._pixelated and scale >= 1:
            scale = max(1.0, float(int(scale)))  # whole screen pixels per image pixel
        target = QRectF(0, 0, w * scale, h * scale)
        target.moveCenter(inner.center())
        painter.fillRect(target, QColor(0, 0, 0))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not self._pixelated)
        painter.drawImage(target, self._image)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
        painter.end()


class ProbabilityBars(QWidget):
    """One horizontal bar per class: its name, the probability as a bar and in percent.

    The most likely class is drawn in the palette's highlight colour. ``clear()`` shows
    the empty tracks (no prediction). ``painted`` is emitted after each repaint.
    """

    painted = Signal()

    ROW = 20  # logical pixels per class

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._names: list[str] = [str(i) for i in range(10)]
        self._values: np.ndarray | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(200)
        self.setAccessibleName("Class probabilities")

    def set_class_names(self, names: list[str]) -> None:
        if list(names) != self._names:
            self._names = list(names)
            self._values = None
            self.updateGeometry()
            self.update()

    def class_names(self) -> list[str]:
        return list(self._names)

    def set_probabilities(self, values, names: list[str] | None = None) -> None:
        if names is not None:
            self.set_class_names(names)
        values = np.asarray(values, dtype=np.float64).ravel()
        if len(values) != len(self._names):
            raise ValueError(f"{len(values)} probabilities for {len(self._names)} classes")
        self._values = values
        self.setAccessibleDescription(", ".join(
            f"{n}: {100 * v:.0f}%" for n, v in zip(self._names, values)))
        self.update()

    def clear(self) -> None:
        self._values = None
        self.setAccessibleDescription("")
        self.update()

    def probabilities(self) -> np.ndarray | None:
        return None if self._values is None else self._values.copy()

    def _row_height(self) -> int:
        return max(self.ROW, QFontMetrics(self.font()).height() + 4)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(260, self._row_height() * len(self._names) + 2)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, self._row_height() * len(self._names) + 2)

    def paintEvent(self, event) -> None:  # noqa: N802
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        row = self._row_height()
        name_w = max((metrics.horizontalAdvance(n) for n in self._names), default=0) + 8
        pct_w = metrics.horizontalAdvance("100.0%") + 8
        track_x = name_w
        track_w = max(10, self.width() - name_w - pct_w)
        top = -1 if self._values is None else int(np.argmax(self._values))
        text = palette.color(QPalette.ColorRole.WindowText)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        track = QColor(palette.color(QPalette.ColorRole.Mid))
        track.setAlphaF(0.25)
        other = QColor(text)
        other.setAlphaF(0.45)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        bar_h = max(6, row - 8)
        for i, name in enumerate(self._names):
            y = i * row
            bar = QRectF(track_x, y + (row - bar_h) / 2, track_w, bar_h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(bar, 3, 3)
            bold = i == top
            font = painter.font()
            font.setBold(bold)
            painter.setFont(font)
            painter.setPen(text if self._values is not None else muted)
            painter.drawText(QRectF(0, y, name_w - 8, row),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            if self._values is None:
                continue
            value = float(np.clip(self._values[i], 0.0, 1.0))
            if track_w * value >= 1.0:
                fill = QRectF(bar.x(), bar.y(), max(bar_h / 2, track_w * value), bar_h)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(highlight if bold else other)
                painter.drawRoundedRect(fill, 3, 3)
            painter.setPen(text)
            painter.drawText(QRectF(track_x + track_w + 4, y, pct_w - 4, row),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{100 * value:.1f}%")
        painter.end()
        self.painted.emit()
