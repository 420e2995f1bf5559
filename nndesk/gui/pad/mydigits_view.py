"""Browsing the person's own digits: thumbnails, delete, clear, export, accuracy."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import QDir, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QKeySequence, QPalette, QPixmap, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QFileDialog,
                               QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QVBoxLayout, QWidget)

from nndesk.data.mydigits import MyDigits

from . import model as models
from .canvas import array_image
from .views import warning_color

THUMB = 56
REFRESH_MS = 300


class MyDigitsPanel(QWidget):
    """The collection as a grid of thumbnails, with what the current model makes of it.

    ``changed`` is emitted after the person deletes or clears digits here.
    """

    changed = Signal()

    def __init__(self, digits: MyDigits, parent: QWidget | None = None):
        super().__init__(parent)
        self.digits = digits
        self._net = None
        self._source = ""
        self._predicted: np.ndarray | None = None
        self._stale = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.accuracy_label = QLabel()
        self.accuracy_label.setWordWrap(True)
        self.accuracy_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 22, THUMB + 2 * self.fontMetrics().height() + 4))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setMinimumSize(420, 260)
        self.list.itemSelectionChanged.connect(self._update_buttons)

        self.delete_button = QPushButton("Delete selected")
        self.delete_button.setToolTip("Remove the selected digits from your collection (Delete)")
        self.clear_button = QPushButton("Clear all…")
        self.export_idx_button = QPushButton("Export IDX…")
        self.export_idx_button.setToolTip("Write train-images-idx3-ubyte and "
                                          "train-labels-idx1-ubyte (the MNIST format) into a folder")
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.setToolTip("Write one CSV file: a header, then per digit its "
                                          "label and 784 pixel values 0-255")
        self.delete_button.clicked.connect(self.delete_selected)
        self.clear_button.clicked.connect(lambda: self.clear_all(confirm=True))
        self.export_idx_button.clicked.connect(self._choose_idx_folder)
        self.export_csv_button.clicked.connect(self._choose_csv_file)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.delete_selected)

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_idx_button)
        buttons.addWidget(self.export_csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.accuracy_label)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        if digits.message:
            self._say(digits.message, warning=True)
        self.refresh()

    # --- public ---------------------------------------------------------------------

    def set_model(self, net, source: str = "") -> None:
        """The model to measure on the collection (None: no model, no accuracy).

        Measuring takes a forward pass over the MNIST test set, so while the panel is
        hidden it waits until shown, and frequent changes (snapshots of a network in
        training) are gathered into one refresh a little later.
        """
        self._net = net
        self._source = source
        if self.isVisible():
            self._refresh_timer.start()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802
        if self._stale:
            self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        """Show the collection and the model's accuracy again."""
        self._stale = False
        self._refresh_timer.stop()
        self._predict()
        self._fill_list()
        self._show_summary()
        self._show_accuracy()
        self._update_buttons()

    def accuracy_text(self) -> str:
        return self.accuracy_label.text()

    def delete_selected(self) -> int:
        rows = sorted(self.list.row(item) for item in self.list.selectedItems())
        if not rows:
            return 0
        try:
            self.digits.remove(rows)
        except OSError as exc:
            self._say(f"Could not save your digits ({_reason(exc)}).", warning=True)
            return 0
        self._say(f"Deleted {len(rows)} digit{'s' if len(rows) != 1 else ''}.")
        self.refresh()
        self.changed.emit()
        return len(rows)

    def clear_all(self, confirm: bool = True) -> bool:
        if not len(self.digits):
            return False
        if confirm:
            answer = QMessageBox.question(
                self, "Clear my digits",
                f"Delete all {len(self.digits)} of your digits? This cannot be undone.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            self.digits.clear()
        except OSError as exc:
            self._say(f"Could not save your digits ({_reason(exc)}).", warning=True)
            return False
        self._say("Your collection is empty now.")
        self.refresh()
        self.changed.emit()
        return True

    def export_idx_to(self, folder: str | Path) -> list[Path]:
        try:
            written = self.digits.export_idx(folder)
        except (OSError, ValueError) as exc:
            self._say(f"Could not export to {folder}: {_reason(exc)}", warning=True)
            return []
        self._say(f"Wrote {written[0].name} and {written[1].name} ({len(self.digits)} digits) "
                  f"in {folder}.")
        return written

    def export_csv_to(self, path: str | Path) -> Path | None:
        try:
            written = self.digits.export_csv(path)
        except (OSError, ValueError) as exc:
            self._say(f"Could not write {path}: {_reason(exc)}", warning=True)
            return None
        self._say(f"Wrote {written} ({len(self.digits)} digits).")
        return written

    # --- internals ------------------------------------------------------------------

    def _choose_idx_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export my digits as IDX files into",
                                                  QDir.homePath())
        if not folder:
            return
        existing = [n for n in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
                    if (Path(folder) / n).exists()]
        if existing:
            answer = QMessageBox.question(
                self, "Replace files", f"{' and '.join(existing)} already exist in {folder}. "
                f"Replace them?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.export_idx_to(folder)

    def _choose_csv_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export my digits as CSV",
                                              str(Path(QDir.homePath()) / "my_digits.csv"),
                                              "CSV files (*.csv)")
        if path:
            if not path.lower().endswith(".csv"):
                path += ".csv"
            self.export_csv_to(path)

    def _names(self) -> list[str]:
        return models.class_names(self._net) if self._net is not None else \
            [str(i) for i in range(10)]

    def _label_name(self, label: int) -> str:
        names = self._names()
        return names[label] if 0 <= label < len(names) else str(label)

    def _predict(self) -> None:
        self._predicted = None
        if self._net is None or not len(self.digits) or models.model_problem(self._net):
            return
        try:
            self._predicted = self._net.predict(self.digits.x())
        except Exception:  # noqa: BLE001 - no accuracy rather than a crash
            self._predicted = None

    def _fill_list(self) -> None:
        self.list.clear()
        wrong_brush = QBrush(QColor(warning_color(self)))
        images, labels = self.digits.images, self.digits.labels
        for i, (image, label) in enumerate(zip(images, labels)):
            name = self._label_name(int(label))
            pixmap = QPixmap.fromImage(array_image(image).scaled(
                THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation))
            item = QListWidgetItem(QIcon(pixmap), name)
            tip = f"#{i + 1}, labelled {name}"
            if self._predicted is not None:
                seen = self._label_name(int(self._predicted[i]))
                if int(self._predicted[i]) != int(label):
                    item.setText(f"{name}\nseen as {seen}")
                    item.setForeground(wrong_brush)
                tip += f"; the model says {seen}"
            item.setToolTip(tip)
            self.list.addItem(item)

    def _show_summary(self) -> None:
        n = len(self.digits)
        if not n:
            self.summary_label.setText("Your collection is empty. On the pad, press "
                                       "\"That's wrong, it's a\" to add a drawing with its label.")
            return
        counts = ", ".join(f"{self._label_name(k)} × {v}" for k, v in self.digits.counts().items())
        self.summary_label.setText(f"{n} digit{'s' if n != 1 else ''} ({counts}), kept in "
                                   f"{self.digits.path}")

    def _show_accuracy(self) -> None:
        if self._net is None:
            self.accuracy_label.setText("Train a network or open a model file to see how it "
                                        "does on your digits.")
            return
        source = html.escape(self._source or "the model")
        parts = []
        if self._predicted is not None:
            correct = int(np.sum(self._predicted == self.digits.labels))
            parts.append(f"<b>{100 * correct / len(self.digits):.1f}%</b> on your digits "
                         f"({correct} of {len(self.digits)})")
        else:
            parts.append("no accuracy on your digits yet (the collection is empty)")
        try:
            mnist, where = models.mnist_test_accuracy(self._net)
        except Exception:  # noqa: BLE001
            mnist, where = None, "MNIST test set"
        if mnist is not None:
            parts.append(f"<b>{100 * mnist:.1f}%</b> on the {html.escape(where)}")
        self.accuracy_label.setText(f"Accuracy of {source}: " + " · ".join(parts))

    def _update_buttons(self) -> None:
        n = len(self.digits)
        self.delete_button.setEnabled(bool(self.list.selectedItems()))
        for button in (self.clear_button, self.export_idx_button, self.export_csv_button):
            button.setEnabled(n > 0)

    def _say(self, text: str, warning: bool = False) -> None:
        color = warning_color(self) if warning else self.palette().color(
            QPalette.ColorRole.WindowText).name()
        self.status_label.setText(f"<span style='color:{color}'>{html.escape(text)}</span>")


class MyDigitsDialog(QDialog):
    """A window holding a :class:`MyDigitsPanel` (not modal: the pad stays usable)."""

    def __init__(self, digits: MyDigits, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("My digits")
        self.panel = MyDigitsPanel(digits, self)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(close)
        self.resize(640, 480)

    def set_model(self, net, source: str = "") -> None:
        self.panel.set_model(net, source)

    def refresh(self) -> None:
        self.panel.refresh()


def _reason(exc: Exception) -> str:
    return (getattr(exc, "strerror", None) or str(exc)).rstrip(".")
