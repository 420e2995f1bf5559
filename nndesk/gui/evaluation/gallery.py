"""A scrolling gallery of test digits, each with the network's three likeliest classes.

Thumbnails are drawn only when a row comes into view (the model makes them on demand), so
a gallery of a thousand digits fills at once. Clicking a digit emits ``digitClicked`` with
its index in the test split.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from ..widgets import error_color, html_text

THUMB = 56  # logical pixels of a thumbnail's longer side
INDEX_ROLE = Qt.ItemDataRole.UserRole


def thumbnail(values: np.ndarray, image_shape) -> QPixmap:
    """A pixmap of one flattened image (floats in [0, 1], ink white on black), scaled up."""
    pixels = np.round(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)
    pixels = np.ascontiguousarray(pixels.reshape(image_shape))
    h, w = pixels.shape
    image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image.scaled(
        THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))


def short_percent(p: float) -> str:
    """91.7%, and 100% rather than 100.0% (the thumbnail's width holds no more)."""
    return "100%" if p >= 0.9995 else f"{100 * p:.1f}%"


class GalleryModel(QAbstractListModel):
    """Test digits (indices into the test split) with their labels and top-3 classes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._indices = np.zeros(0, dtype=np.int64)
        self._judgement = None
        self._images = None
        self._shape = None
        self._pixmaps: dict[int, QPixmap] = {}
        self.wrong_color = QColor("#c62828")

    def set_digits(self, indices, judgement, images, image_shape) -> None:
        self.beginResetModel()
        self._indices = np.asarray(indices, dtype=np.int64)
        self._judgement, self._images, self._shape = judgement, images, image_shape
        self._pixmaps.clear()
        self.endResetModel()

    def indices(self) -> list[int]:
        return [int(i) for i in self._indices]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt override)
        return 0 if parent.isValid() else len(self._indices)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._judgement is None:
            return None
        n = int(self._indices[index.row()])
        j = self._judgement
        if role == Qt.ItemDataRole.DisplayRole:
            top = "\n".join(f"{name}\u00a0{short_percent(p)}" for name, p in j.top_classes(n, 3))
            return f"is {j.class_names[j.labels[n]]}\n{top}"
        if role == Qt.ItemDataRole.DecorationRole and self._shape is not None:
            if n not in self._pixmaps:
                self._pixmaps[n] = thumbnail(self._images[n], self._shape)
            return self._pixmaps[n]
        if role == Qt.ItemDataRole.ForegroundRole and not j.correct[n]:
            return self.wrong_color
        if role == Qt.ItemDataRole.ToolTipRole:
            said = j.class_names[j.predicted[n]]
            return (f"Test sample #{n}, labelled {j.class_names[j.labels[n]]}: the network "
                    f"says {said} ({100 * j.confidence[n]:.1f}% sure).\n"
                    f"Click to look inside the network for it.")
        if role == INDEX_ROLE:
            return n
        return None


class DigitGallery(QWidget):
    """A titled gallery of test digits; ``digitClicked(test_index)`` on a click."""

    digitClicked = Signal(int)

    def __init__(self, title: str, empty_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._empty_title, self._empty_text = f"<b>{html_text(title)}</b>", empty_text
        self.title = QLabel(self._empty_title)
        self.caption = QLabel(empty_text)
        self.caption.setWordWrap(True)
        self.model = GalleryModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setWordWrap(True)
        self.view.setIconSize(QSize(THUMB, THUMB))
        metrics = self.view.fontMetrics()
        width = max(THUMB + 40, metrics.horizontalAdvance("00 99.9%") + 16)
        self.view.setGridSize(QSize(width, THUMB + 4 * metrics.lineSpacing() + 14))
        self.view.setSpacing(2)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.clicked.connect(self._on_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.caption)
        layout.addWidget(self.view, 1)

    def set_digits(self, indices, judgement, images, image_shape, caption: str) -> None:
        """Show the test digits ``indices`` (in this order) of ``images`` (N, features)."""
        self.model.wrong_color = QColor(error_color(self))
        self.model.set_digits(indices, judgement, images, image_shape)
        self.caption.setText(caption)
        self.view.scrollToTop()

    def clear(self) -> None:
        self.model.set_digits([], None, None, None)
        self.title.setText(self._empty_title)
        self.caption.setText(self._empty_text)

    def indices(self) -> list[int]:
        """The test indices shown, in order."""
        return self.model.indices()

    def _on_clicked(self, index: QModelIndex) -> None:
        self.digitClicked.emit(int(index.data(INDEX_ROLE)))
