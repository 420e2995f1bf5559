"""Asking where to save, writing the file atomically, and saying plainly when it failed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from nndesk.data.fileio import write_atomic


class SavePrompt:
    """The save dialog, opening in the folder last saved to."""

    def __init__(self):
        self.last_dir = str(Path.home())

    def ask(self, parent: QWidget, title: str, name: str, suffix: str) -> str:
        """The path chosen, with ``.suffix`` added if it has another one; "" if cancelled."""
        path, _ = QFileDialog.getSaveFileName(parent, title, str(Path(self.last_dir) / name),
                                              f"{suffix.upper()} files (*.{suffix})")
        if not path:
            return ""
        if Path(path).suffix.lower() != f".{suffix}":
            path += f".{suffix}"
        self.last_dir = str(Path(path).parent)
        return path


def failed(parent: QWidget, title: str, text: str) -> bool:
    QMessageBox.warning(parent, title, text)
    return False


def save(parent: QWidget, path, data: bytes) -> bool:
    """Write ``data`` to ``path``; False, with a message, if it cannot be written."""
    try:
        write_atomic(Path(path), data)
    except OSError as exc:
        return failed(parent, "Export failed", f"Could not write {path}:\n{exc.strerror or exc}")
    return True


def csv_bytes(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
