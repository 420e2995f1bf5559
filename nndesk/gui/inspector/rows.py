"""One row of the page per layer: a caption (the layer, its scale, its most active and dead
units) and what it computed for the input: units, feature maps or class probabilities."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

from nndesk.engine.inspection import most_active

from ..pad.views import PixelImage, ProbabilityBars
from .cells import MapGrid, UnitGrid

TOP_K = 3
DEAD_NOTE = "dead: it never responds to any of the first {n:,} test inputs"


def _numbers(ks) -> str:
    return ", ".join(str(k) for k in ks)


class LayerRow(QWidget):
    """A row's caption and content. ``index`` is the layer's (-1: the input); ``kind`` and
    ``title`` name it. ``unitClicked(layer, unit)`` when a unit or map is clicked."""

    unitClicked = Signal(int, int)

    def __init__(self, index: int, kind: str, title: str, shape, parent=None):
        super().__init__(parent)
        self.index, self.kind, self.title, self.shape = index, kind, title, tuple(shape)
        self.shape_text = " × ".join(map(str, self.shape))
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setWordWrap(True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(3)
        self.layout_.addWidget(self.caption)
        self.set_caption("")

    def set_caption(self, extra: str) -> None:
        where = "input" if self.index < 0 else f"layer {self.index + 1}"
        self.caption.setText(f"<b>{html.escape(self.title)}</b> · {self.shape_text} "
                             f"<span style='color: gray'>{where}{extra}</span>")

    def _add(self, widget: QWidget) -> QWidget:
        self.layout_.addWidget(widget, 0, Qt.AlignmentFlag.AlignLeft)
        return widget


class CellsRow(LayerRow):
    """A dense layer's units (``UnitGrid``) or an image layer's maps (``MapGrid``)."""

    def __init__(self, index, kind, title, shape, maps: bool, parent=None):
        super().__init__(index, kind, title, shape, parent)
        self.cells = self._add(MapGrid() if maps else UnitGrid())
        self.cells.clicked.connect(lambda k: self.unitClicked.emit(self.index, k))
        self.what = "map" if maps else "unit"
        self.output = self.z = self.dead = None
        self.dead_of = 0
        self.cells.tooltip = self._tooltip

    def show_response(self, output, z, dead, dead_of: int, selected, width: int) -> list[int]:
        """Draw the layer's ``output`` (z its pre-activation or None); ``dead``: a mask of
        units never active on ``dead_of`` test inputs, or None. Returns the most active."""
        self.output, self.z, self.dead, self.dead_of = output, z, dead, dead_of
        top = most_active(output, TOP_K)
        if self.what == "map":
            level = self.cells.show_maps(output, top, dead, selected, width)
        else:
            level = self.cells.show_units(output, top, dead, selected, width)
        extra = f" · ±{level:.3g} · most active (framed): {self.what}s {_numbers(top)}"
        if dead is not None:
            count = int(dead.sum())
            extra += f" · <b>{count} dead</b> (hatched)" if count else " · none dead"
        self.set_caption(extra)
        return top

    def _tooltip(self, k: int) -> str:
        if self.output is None:
            return ""
        if self.what == "map":
            m = self.output[k]
            text = (f"map {k}: {float(m.min()):.3g} to {float(m.max()):.3g}, "
                    f"mean {float(m.mean()):.3g}")
        else:
            text = f"unit {k}: a = {float(self.output[k]):.3g}"
            if self.z is not None:
                text += f", z = {float(self.z[k]):.3g}"
        if self.dead is not None and self.dead[k]:
            text += f"\n{DEAD_NOTE.format(n=self.dead_of)}"
        return text + "\nClick for details"


class InputRow(LayerRow):
    """The input: a grey image (white ink on black, as the network reads it), feature
    maps when it has several channels, or units when it is not an image."""

    def __init__(self, shape, image_shape, parent=None):
        super().__init__(-1, "input", "input", shape, parent)
        self.image_shape = image_shape
        if image_shape and len(self.shape) == 1:
            self.shape_text += " = " + " × ".join(map(str, image_shape))
        self.picture = self._add(PixelImage(112)) if image_shape else None
        self.cells = None
        if image_shape is None:
            self.cells = self._add(MapGrid() if len(self.shape) == 3 else UnitGrid())

    def show_input(self, x: np.ndarray, caption: str, width: int) -> None:
        if self.picture is not None:
            self.picture.set_array(x.reshape(self.image_shape))
        elif len(self.shape) == 3:
            self.cells.show_maps(x.reshape(self.shape), [], None, None, width)
        else:
            self.cells.show_units(x.ravel(), [], None, None, width)
            values = x.ravel()
            self.cells.tooltip = lambda k: f"input {k}: {float(values[k]):.3g}"
        self.set_caption(f" · {html.escape(caption)}")


class ClassBars(ProbabilityBars):
    """The pad's probability bars; ``classClicked(k)`` when the bar of class k is clicked.
    ``scores`` are the output layer's pre-activations, shown on hover."""

    classClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scores = None
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click a class to see the evidence for it")

    def class_at(self, y: float) -> int | None:
        n = len(self.class_names())
        k = int(y * n // max(1, self.height() - 2))
        return k if 0 <= k < n else None

    def bar_center(self, k: int):
        n = len(self.class_names())
        return QPoint(self.width() // 2, int((k + 0.5) * (self.height() - 2) / n))

    def mousePressEvent(self, event) -> None:  # noqa: N802
        k = self.class_at(event.position().y())
        if event.button() == Qt.MouseButton.LeftButton and k is not None:
            self.classClicked.emit(k)
            event.accept()

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.probabilities() is not None:
            k = self.class_at(event.pos().y())
            if k is not None:
                p = self.probabilities()[k]
                z = "" if self.scores is None else f", z = {float(self.scores[k]):.3g}"
                QToolTip.showText(event.globalPos(), f"{self.class_names()[k]}: p = {p:.3f}{z}"
                                  f"\nClick to see the evidence for it", self)
                return True
        return super().event(event)


class OutputRow(LayerRow):
    """The output layer as one probability bar per class."""

    def __init__(self, index, kind, title, shape, parent=None):
        super().__init__(index, kind, title, shape, parent)
        self.bars = ClassBars()
        self.bars.setMaximumWidth(520)
        self.layout_.addWidget(self.bars)
        self.bars.classClicked.connect(lambda k: self.unitClicked.emit(self.index, k))

    def show_probabilities(self, probabilities, names, scores) -> None:
        self.bars.scores = scores
        self.bars.set_probabilities(probabilities, names)
        top = int(np.argmax(probabilities))
        self.set_caption(f" · the output: the network says <b>{html.escape(names[top])}</b> "
                         f"· click a class for its evidence")


class PassRow(LayerRow):
    """A layer that only passes values on (flatten, dropout): a caption that says so."""

    NOTES = {"flatten": "the maps above laid out as one row of values for the dense layers",
             "dropout": "passes the values on unchanged (it drops some only while training)"}

    def __init__(self, index, kind, title, shape, parent=None):
        super().__init__(index, kind, title, shape, parent)
        self.set_caption(f" · {self.NOTES.get(kind, 'passes the values on')}")


def make_row(index: int, layer, title: str, last: bool) -> LayerRow:
    """The row for ``layer`` of a network (``last``: its output layer)."""
    shape = layer.output_shape
    if last and len(shape) == 1:
        return OutputRow(index, layer.kind, title, shape)
    if layer.kind in ("flatten", "dropout"):
        return PassRow(index, layer.kind, title, shape)
    return CellsRow(index, layer.kind, title, shape, maps=len(shape) == 3)
