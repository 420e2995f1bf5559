"""Helpers that act on the window the way a person does: typing into fields, clicking buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox


def type_into(qtbot, spin: QAbstractSpinBox, text: str) -> None:
    """Select everything in a spin box and type ``text`` over it, then press Enter."""
    spin.setFocus()
    line = spin.lineEdit()
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def choose(qtbot, combo: QComboBox, data) -> None:
    """Pick the item holding ``data`` as a person would with the keyboard (Home, then Down)."""
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not in the combo box"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(index):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentIndex() == index


def click(qtbot, button) -> None:
    assert button.isEnabled(), f"{button.text()!r} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def menu_action(window, menu_title: str, text: str):
    """The action called ``text`` in the menu bar's ``menu_title`` menu (ampersands ignored)."""
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu_title:
            for action in top.menu().actions():
                if action.text().replace("&", "").startswith(text):
                    return action
    raise AssertionError(f"no {menu_title} > {text} in the menus")


def set_small_run(qtbot, window, epochs: int = 2, samples: int = 600, batch: int = 64) -> None:
    """A quick run: few epochs and samples, typed into the form and the dashboard."""
    form = window.form
    type_into(qtbot, form.field_widget("training.epochs"), str(epochs))
    type_into(qtbot, form.field_widget("training.batch_size"), str(batch))
    type_into(qtbot, window.dashboard.subset_spin, str(samples))
    assert form.spec()["training"]["epochs"] == epochs
    assert window.dashboard.subset_spin.value() == samples
