"""The drawing surface: mouse, pen and touch strokes, and the ink the network reads.

Each stroke is kept as its list of points. On screen the strokes are drawn as smoothed
vector paths (anti-aliased, round caps and joins) in the palette's text colour, so they
are sharp at any screen scale. For the network the same paths are rendered, white on
black, into a 280x280 grayscale QImage in logical pixels, whatever the screen's scale,
and read as a float array: what is seen and what is predicted always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QImage, QPainter, QPainterPath, QPalette, QPen,
                           QTabletEvent)
from PySide6.QtWidgets import QSizePolicy, QWidget

CANVAS_SIZE = 280
DEFAULT_PEN_WIDTH = 18.0
MIN_STEP = 0.75  # ignore pointer moves shorter than this (logical pixels): jitter, not drawing


@dataclass
class Stroke:
    """One stroke: points in canvas pixels and the pen width, or a loaded image of ink."""

    width: float
    points: list[QPointF] = field(default_factory=list)
    image: QImage | None = None  # Format_Alpha8 at canvas size: ink as alpha

    def path(self) -> QPainterPath:
        """The points as a smooth curve: quadratic segments through the midpoints."""
        pts = self.points
        path = QPainterPath(pts[0])
        if len(pts) == 2:
            path.lineTo(pts[1])
        for a, b in zip(pts[1:-1], pts[2:]):
            path.quadTo(a, (a + b) / 2)
        if len(pts) > 2:
            path.lineTo(pts[-1])
        return path


def gray_array(image: QImage) -> np.ndarray:
    """A copy of a Format_Grayscale8 or Format_Alpha8 image as uint8 (height, width)."""
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=h * stride)
    return buffer.reshape(h, stride)[:, :w].copy()


def array_image(values: np.ndarray, fmt=QImage.Format.Format_Grayscale8) -> QImage:
    """A QImage (owning its data) from a 2-D float array in [0, 1] or a uint8 array."""
    array = np.asarray(values)
    if array.dtype != np.uint8:
        array = np.round(np.clip(array, 0.0, 1.0) * 255).astype(np.uint8)
    array = np.ascontiguousarray(array)
    h, w = array.shape
    return QImage(array.data, w, h, w, fmt).copy()


class DrawingCanvas(QWidget):
    """A square pad of ``size`` logical pixels (280 by default) to draw digits on.

    Signals: ``strokeStarted``, ``strokeMoved`` (while drawing), ``strokeFinished``, and
    ``changed`` after anything that changes the finished drawing (a stroke ends, undo,
    clear, a loaded image). ``ink()`` is what the network reads.
    """

    strokeStarted = Signal()
    strokeMoved = Signal()
    strokeFinished = Signal()
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, size: int = CANVAS_SIZE):
        super().__init__(parent)
        self._size = int(size)
        self._strokes: list[Stroke] = []
        self._current: Stroke | None = None
        self._pen_width = DEFAULT_PEN_WIDTH
        self._committed = self._blank()
        self._tinted: dict[tuple[int, int], QImage] = {}
        self.revision = 0  # increases with every change, to tell drawings apart
        self.prompt = "Draw a digit here"
        self.setFixedSize(self._size, self._size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName("Drawing pad")
        self.setToolTip("Draw a digit with the mouse, a pen or a finger. "
                        "Esc or Delete clears, Ctrl+Z undoes the last stroke.")

    # --- state ----------------------------------------------------------------------

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._size, self._size)

    @property
    def canvas_size(self) -> int:
        return self._size

    def pen_width(self) -> float:
        return self._pen_width

    def set_pen_width(self, width: float) -> None:
        """The width of the next strokes, in canvas pixels (strokes drawn keep theirs)."""
        self._pen_width = float(width)

    def is_empty(self) -> bool:
        return not self._strokes and self._current is None

    def is_drawing(self) -> bool:
        return self._current is not None

    def stroke_count(self) -> int:
        return len(self._strokes)

    def ink(self) -> np.ndarray:
        """The drawing as float32 (size, size): ink 1.0 on background 0.0."""
        image = self._committed
        if self._current is not None:
            image = image.copy()
            self._render(image, [self._current])
        return gray_array(image).astype(np.float32) / 255.0

    # --- editing --------------------------------------------------------------------

    def clear(self) -> None:
        """Remove every stroke (and a loaded image)."""
        if self.is_empty():
            return
        self._strokes.clear()
        self._current = None
        self._rebuild()

    def undo(self) -> bool:
        """Remove the last stroke; False when there was none."""
        if self._current is not None:
            self._current = None
        elif self._strokes:
            self._strokes.pop()
        else:
            return False
        self._rebuild()
        return True

    def load_ink(self, ink: np.ndarray) -> None:
        """Replace the drawing by an image of ink (2-D, values in [0, 1], any size).

        The image is scaled smoothly to the canvas and becomes one undoable item;
        the person can draw over it.
        """
        small = array_image(ink, QImage.Format.Format_Alpha8)
        image = small.scaled(self._size, self._size, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        if image.size() != QSize(self._size, self._size):
            full = QImage(self._size, self._size, QImage.Format.Format_Alpha8)
            full.fill(0)
            painter = QPainter(full)
            painter.drawImage((self._size - image.width()) // 2,
                              (self._size - image.height()) // 2, image)
            painter.end()
            image = full
        self._strokes = [Stroke(width=0.0, image=image.convertToFormat(QImage.Format.Format_Alpha8))]
        self._current = None
        self._rebuild()

    def draw_polyline(self, points, width: float | None = None) -> None:
        """Add a finished stroke through these (x, y) canvas points (for scripts and tests)."""
        stroke = Stroke(width=self._pen_width if width is None else float(width),
                        points=[QPointF(float(x), float(y)) for x, y in points])
        if not stroke.points:
            return
        self._strokes.append(stroke)
        self._render(self._committed, [stroke])
        self._changed()

    # --- input: mouse, pen, touch -----------------------------------------------------

    def _begin(self, pos: QPointF) -> None:
        if self._current is not None:
            self._finish()
        self._current = Stroke(width=self._pen_width, points=[QPointF(pos)])
        self.update()
        self.strokeStarted.emit()
        self.strokeMoved.emit()

    def _extend(self, pos: QPointF) -> None:
        if self._current is None:
            return
        last = self._current.points[-1]
        if (pos - last).manhattanLength() < MIN_STEP:
            return
        self._current.points.append(QPointF(pos))
        self.update()
        self.strokeMoved.emit()

    def _finish(self, pos: QPointF | None = None) -> None:
        if self._current is None:
            return
        if pos is not None:
            self._extend(pos)
        stroke, self._current = self._current, None
        self._strokes.append(stroke)
        self._render(self._committed, [stroke])
        self._changed()
        self.strokeFinished.emit()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())
            event.accept()
        elif event.button() == Qt.MouseButton.RightButton and self._current is not None:
            self._current = None  # a right click while drawing cancels the stroke
            self.update()
            self.changed.emit()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._current is not None:
            self._extend(event.position())
            event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._current is not None:
            self._finish(event.position())
            event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._begin(event.position())
        elif kind == QEvent.Type.TabletMove:
            self._extend(event.position())
        elif kind == QEvent.Type.TabletRelease:
            self._finish(event.position())
        event.accept()  # no mouse events synthesised from the pen

    def event(self, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd,
                    QEvent.Type.TouchCancel):
            points = event.points()
            if kind == QEvent.Type.TouchCancel:
                self._current = None
                self.update()
            elif points:
                pos = points[0].position()
                if kind == QEvent.Type.TouchBegin:
                    self.setFocus(Qt.FocusReason.MouseFocusReason)
                    self._begin(pos)
                elif kind == QEvent.Type.TouchUpdate:
                    self._extend(pos)
                else:
                    self._finish(pos)
            event.accept()
            return True
        return super().event(event)

    # --- painting -------------------------------------------------------------------

    def _blank(self) -> QImage:
        image = QImage(self._size, self._size, QImage.Format.Format_Grayscale8)
        image.fill(0)
        return image

    def _rebuild(self) -> None:
        self._committed = self._blank()
        self._render(self._committed, self._strokes)
        self._changed()

    def _changed(self) -> None:
        self.revision += 1
        self.update()
        self.changed.emit()

    def _render(self, image: QImage, strokes: list[Stroke]) -> None:
        """Paint strokes white onto the network's grayscale image."""
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_strokes(painter, strokes, QColor(255, 255, 255))
        painter.end()

    def _paint_strokes(self, painter: QPainter, strokes: list[Stroke], color: QColor) -> None:
        for stroke in strokes:
            if stroke.image is not None:
                painter.drawImage(0, 0, self._tint(stroke.image, color))
            elif len(stroke.points) == 1:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(color)
                radius = stroke.width / 2
                painter.drawEllipse(stroke.points[0], radius, radius)
            else:
                pen = QPen(color, stroke.width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                           Qt.PenJoinStyle.RoundJoin)
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(stroke.path())

    def _tint(self, alpha: QImage, color: QColor) -> QImage:
        """The ink of a loaded image in ``color`` (cached per image and colour)."""
        key = (alpha.cacheKey(), color.rgba())
        tinted = self._tinted.get(key)
        if tinted is None:
            if len(self._tinted) > 8:
                self._tinted.clear()
            tinted = QImage(alpha.size(), QImage.Format.Format_ARGB32_Premultiplied)
            tinted.fill(color)
            painter = QPainter(tinted)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
            painter.drawImage(0, 0, alpha)
            painter.end()
            self._tinted[key] = tinted
        return tinted

    def paintEvent(self, event) -> None:  # noqa: N802
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight) if self.hasFocus()
                            else palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(frame, 6, 6)
        painter.setClipRect(frame.adjusted(1, 1, -1, -1))
        ink = palette.color(QPalette.ColorRole.Text)
        self._paint_strokes(painter, self._strokes, ink)
        if self._current is not None:
            self._paint_strokes(painter, [self._current], ink)
        if self.is_empty() and self.prompt:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.25)
            painter.setFont(font)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.prompt)
        painter.end()

    def focusInEvent(self, event) -> None:  # noqa: N802
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        self.update()
        super().focusOutEvent(event)
