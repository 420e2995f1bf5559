"""The confusion matrix as a table of coloured cells: rows the true class, columns the
predicted one, every count written in its cell. Right answers (the diagonal) are blue,
mistakes orange, both deeper for a larger share of the row. Clicking a cell emits
``cellClicked(true, predicted)``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

COUNT_ROLE = Qt.ItemDataRole.UserRole
RIGHT = (37, 99, 235)
WRONG = (234, 88, 12)


def cell_colour(share: float, right: bool) -> QColor:
    """White blended towards blue (right) or orange (wrong) by the square root of ``share``,
    so that a few mistakes still show."""
    strength = min(1.0, float(np.sqrt(share))) * (0.95 if right else 0.85)
    r, g, b = RIGHT if right else WRONG
    return QColor(*(round(255 + (c - 255) * strength) for c in (r, g, b)))


class ConfusionModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._matrix = np.zeros((0, 0), dtype=np.int64)
        self._names: list[str] = []

    def set_matrix(self, matrix, class_names) -> None:
        self.beginResetModel()
        self._matrix = np.asarray(matrix, dtype=np.int64)
        self._names = list(class_names)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt override)
        return 0 if parent.isValid() else len(self._matrix)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._matrix)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        i, j = index.row(), index.column()
        count = int(self._matrix[i, j])
        total = int(self._matrix[i].sum())
        share = count / total if total else 0.0
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{count:,}"
        if role == COUNT_ROLE:
            return count
        if role == Qt.ItemDataRole.BackgroundRole:
            return cell_colour(share, i == j)
        if role == Qt.ItemDataRole.ForegroundRole:
            deep = cell_colour(share, i == j).lightness() < 150
            return QColor("white" if deep else "#202020" if count else "#a0a0a0")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            true, said = self._names[i], self._names[j]
            return (f"{count:,} of the {total:,} test samples labelled {true} "
                    f"({100 * share:.1f}%) were answered {said}. Click to see them.")
        return None

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if section >= len(self._names):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._names[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            what = "predicted" if orientation == Qt.Orientation.Horizontal else "true"
            return f"{what} class {self._names[section]}"
        return None


class ConfusionView(QTableView):
    """The matrix; ``counts()`` reads it back as shown."""

    cellClicked = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.matrix_model = ConfusionModel(self)
        self.setModel(self.matrix_model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setStyleSheet("QTableView::item:selected { border: 2px solid #111; }")
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(24)
            header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.horizontalHeader().setToolTip("Predicted class")
        self.verticalHeader().setToolTip("True class")
        self.clicked.connect(lambda index: self.cellClicked.emit(index.row(), index.column()))

    def set_matrix(self, matrix, class_names) -> None:
        self.matrix_model.set_matrix(matrix, class_names)

    def counts(self) -> np.ndarray:
        m = self.matrix_model
        return np.array([[m.index(i, j).data(COUNT_ROLE) for j in range(m.columnCount())]
                         for i in range(m.rowCount())], dtype=np.int64).reshape(
            m.rowCount(), m.columnCount())
