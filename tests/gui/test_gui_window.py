"""The window as a whole: layout, menus, shortcuts, help, the error hook, start-up."""

from __future__ import annotations

import sys

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QDialog, QMessageBox

from gui_helpers import menu_action


def test_builder_dashboard_and_weights_fit_side_by_side_at_1366x768(qtbot, window):
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: window.width() == 1366)
    panels = [window.form, window.dashboard, window.inspect_tabs]
    rects = [QRect(p.mapTo(window, p.rect().topLeft()), p.size()) for p in panels]
    for panel, rect in zip(panels, rects):
        assert panel.isVisible() and rect.width() >= 300 and rect.height() >= 500
        assert window.rect().contains(rect)
    for a, b in zip(rects, rects[1:]):
        assert not a.intersects(b)
    # The form's content is never cut off on the right (no sideways scrolling needed).
    scroll = window.form.scroll_area
    assert scroll.widget().width() <= scroll.viewport().width()
    assert [window.inspect_tabs.tabText(i) for i in range(window.inspect_tabs.count())] == [
        "Unit images", "Layers", "Feature maps", "Health"]


def test_menus_and_standard_shortcuts(window):
    expected = {
        ("File", "New"): "Ctrl+N", ("File", "Open model"): "Ctrl+O",
        ("File", "Save model"): "Ctrl+S", ("File", "Save model as"): "Ctrl+Shift+S",
        ("File", "Quit"): "Ctrl+Q", ("Edit", "Undo"): "Ctrl+Z",
        ("Training", "Start"): "F5", ("Training", "Pause"): "F6", ("Training", "Stop"): "Shift+F5",
        ("Help", "Keyboard shortcuts"): "F1",
    }
    for (menu, text), keys in expected.items():
        action = menu_action(window, menu, text)
        assert keys in [s.toString() for s in action.shortcuts()], (menu, text)
    for text in ("Recent models", "Import spec", "Export spec", "Save model as"):
        menu_action(window, "File", text)
    menu_action(window, "Help", "About")
    assert not menu_action(window, "Training", "Stop").isEnabled()
    assert menu_action(window, "Training", "Start").isEnabled()


def test_status_bar_shows_dataset_parameters_and_state(window):
    assert window.status_dataset.text().startswith("MNIST · 60,000 train")
    total = window.form.summary()["total_params"]
    assert window.status_params.text() == f"{total:,} parameters"
    assert window.status_state.text() == "Idle"


def test_help_shows_shortcuts_and_versions(qtbot, window, dialogs, monkeypatch):
    import numpy
    from PySide6.QtCore import qVersion
    from nndesk import __version__
    shown = []
    monkeypatch.setattr(QDialog, "exec", lambda self: shown.append(self) or 0)
    menu_action(window, "Help", "Keyboard shortcuts").trigger()
    table = shown[0].findChild(type(window.form.table).__mro__[1])
    keys = [table.item(r, 1).text() for r in range(table.rowCount())]
    assert "F5, Ctrl+Return" in keys
    menu_action(window, "Help", "About").trigger()
    text = dialogs.texts("about")[0]
    assert __version__ in text and qVersion() in text and numpy.__version__ in text


def test_unexpected_errors_are_shown_in_a_dialog(qtbot, monkeypatch, capsys):
    from nndesk.gui import app
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self) or 0)
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError:
        app.show_exception(*sys.exc_info())
    assert "ZeroDivisionError: boom" in shown[0].text()
    assert "Traceback" in shown[0].detailedText()
    assert "boom" in capsys.readouterr().err


def test_the_installed_qt_bindings_count_references_correctly():
    from nndesk.gui.app import bindings_are_broken
    assert not bindings_are_broken()


def test_keyboard_shortcuts_drive_training(qtbot, window):
    from PySide6.QtCore import Qt
    from gui_helpers import set_small_run
    set_small_run(qtbot, window, epochs=200, samples=2000, batch=32)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.dashboard.plots.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.dashboard.plots.batch_x.size > 0, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: window.status_state.text() == "Paused", timeout=1000)
    with qtbot.waitSignal(window.runEnded, timeout=2000):
        qtbot.keyClick(window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
