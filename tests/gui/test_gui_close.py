"""Closing the window while a run is live: each answer does what it says, and nothing is lost."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui_helpers import click, set_small_run
from nndesk.engine import load_model


def _start_run_past_two_epochs(qtbot, window):
    set_small_run(qtbot, window, epochs=400, samples=600, batch=64)
    click(qtbot, window.dashboard.train_button)
    qtbot.waitUntil(lambda: window.dashboard.plots.train_acc.size >= 2, timeout=20000)
    assert window.controller.is_running() and window.unsaved


def _save_dialog_returns(monkeypatch, path):
    asked = []

    def fake(*args, **kwargs):
        asked.append(args)
        return (str(path), "") if path else ("", "")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    return asked


def test_save_stops_the_run_and_saves_its_whole_history(qtbot, window, dialogs, monkeypatch,
                                                        tmp_path):
    path = tmp_path / "closing.safetensors"
    asked = _save_dialog_returns(monkeypatch, path)
    _start_run_past_two_epochs(qtbot, window)
    dialogs.answer = QMessageBox.StandardButton.Save
    with qtbot.waitSignal(window.modelSaved, timeout=30000):
        assert window.close()
    assert dialogs.kinds() == ["question"] and len(asked) == 1
    assert not window.controller.is_running()
    saved = load_model(path)
    history, metrics = saved.metadata["history"], saved.metadata["metrics"]
    epochs = len(history["epoch"])
    assert epochs >= 2 and len(history["train_loss"]) == epochs
    assert metrics["epochs"] == epochs and metrics["test_accuracy"] > 0.5
    # The file holds the weights the run ended with.
    for name, value in window.net.get_weights().items():
        assert (saved.get_weights()[name] == value).all()


def test_cancelling_the_file_dialog_keeps_the_window_and_the_run(qtbot, window, dialogs,
                                                                 monkeypatch):
    _save_dialog_returns(monkeypatch, None)
    _start_run_past_two_epochs(qtbot, window)
    dialogs.answer = QMessageBox.StandardButton.Save
    assert not window.close()
    assert window.isVisible() and window.controller.is_running()
    seen = window.dashboard.plots.batch_x.size
    qtbot.waitUntil(lambda: window.dashboard.plots.batch_x.size > seen, timeout=5000)  # still going
    with qtbot.waitSignal(window.runEnded, timeout=5000):
        window.stop_training()


def test_cancel_keeps_the_run_going(qtbot, window, dialogs):
    _start_run_past_two_epochs(qtbot, window)
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert window.isVisible() and window.controller.is_running() and window.unsaved
    seen = window.dashboard.plots.batch_x.size
    qtbot.waitUntil(lambda: window.dashboard.plots.batch_x.size > seen, timeout=5000)
    with qtbot.waitSignal(window.runEnded, timeout=5000):
        window.stop_training()


def test_discard_stops_the_run_and_closes_without_saving(qtbot, window, dialogs, monkeypatch):
    asked = _save_dialog_returns(monkeypatch, None)
    _start_run_past_two_epochs(qtbot, window)
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert window.close()
    assert dialogs.kinds() == ["question"] and not asked
    assert not window.controller.is_running() and not window.isVisible()


def test_closing_right_after_train_was_pressed_asks_first(qtbot, window, dialogs):
    """A run asked to start is work in progress at once, before its first batch."""
    set_small_run(qtbot, window, epochs=400, samples=600, batch=64)
    click(qtbot, window.dashboard.train_button)
    assert window.unsaved  # no waiting for the run's first signal
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert dialogs.kinds() == ["question"] and window.controller.is_running()
    with qtbot.waitSignal(window.runEnded, timeout=10000):
        window.stop_training()
