"""The Help menu's windows: the keyboard shortcuts and About."""

from __future__ import annotations

import platform

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QMessageBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from nndesk import __version__


def shortcut_rows(actions) -> list[tuple[str, str]]:
    """(action, keys) for each of ``actions`` that has a shortcut."""
    rows = []
    for action in actions:
        keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                         for s in action.shortcuts())
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…").strip(), keys))
    return rows


def show_shortcuts(parent, rows: list[tuple[str, str]]) -> None:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    table = QTableWidget(len(rows), 2)
    table.setHorizontalHeaderLabels(["Action", "Keys"])
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for i, (name, keys) in enumerate(rows):
        table.setItem(i, 0, QTableWidgetItem(name))
        table.setItem(i, 1, QTableWidgetItem(keys))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(420, 460)
    dialog.exec()


def about_text() -> str:
    import numpy
    import PySide6
    import pyqtgraph
    from PySide6.QtCore import qVersion

    return (f"<h3>nndesk {__version__}</h3>"
            f"<p>Build, train and look inside neural networks written from scratch in NumPy.</p>"
            f"<p>Qt {qVersion()} · PySide6 {PySide6.__version__}<br>"
            f"NumPy {numpy.__version__} · pyqtgraph {pyqtgraph.__version__}<br>"
            f"Python {platform.python_version()}</p>"
            f"<p>MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges.</p>")


def show_about(parent) -> None:
    QMessageBox.about(parent, "About nndesk", about_text())
