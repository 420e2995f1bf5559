"""GUI test fixtures: offscreen Qt, settings in a temporary file, dialogs that answer at once."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own settings file and "my digits" folder, never the person's."""
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("NNDESK_SETTINGS_FILE", str(path))
    monkeypatch.setenv("NNDESK_DATA_DIR", str(tmp_path / "user-data"))
    return path


class Dialogs:
    """Records message boxes and answers them; ``answer`` is what question() returns."""

    def __init__(self):
        from PySide6.QtWidgets import QMessageBox
        self.calls: list[tuple[str, str, str]] = []
        self.answer = QMessageBox.StandardButton.Discard

    def kinds(self) -> list[str]:
        return [c[0] for c in self.calls]

    def texts(self, kind: str) -> list[str]:
        return [c[2] for c in self.calls if c[0] == kind]


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    """No test can hang on a modal message box: they are recorded and answered."""
    from PySide6.QtWidgets import QMessageBox
    record = Dialogs()

    def make(kind, result):
        def show(parent, title, text, *args, **kwargs):
            record.calls.append((kind, title, text))
            return record.answer if kind == "question" else result
        return show

    monkeypatch.setattr(QMessageBox, "question", make("question", None))
    monkeypatch.setattr(QMessageBox, "warning", make("warning", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "critical", make("critical", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "information",
                        make("information", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "about", make("about", None))
    return record


@pytest.fixture
def window(qtbot):
    """The real main window, shown offscreen with MNIST loaded (once per process)."""
    from nndesk.gui.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitUntil(win.dataset_ready, timeout=20000)
    yield win
    if win.controller.is_running():
        win.controller.shutdown()
