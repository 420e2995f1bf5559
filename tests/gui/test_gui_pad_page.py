"""The drawing pad inside the window: one click away, following the network the window holds."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui_helpers import click, set_small_run


def test_pad_follows_training_and_corrections_can_be_mixed_into_the_next_run(qtbot, window):
    pad = window.pad
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is pad
    assert "Train a network or open a model file" in pad.message()

    window.show_page(0)
    set_small_run(qtbot, window, epochs=2, samples=2000)
    with qtbot.waitSignal(window.runEnded, timeout=60000):
        click(qtbot, window.dashboard.train_button)
    window.show_page(1)
    index = pad.load_test_digit(0)
    qtbot.waitUntil(lambda: pad.prediction() is not None, timeout=3000)
    label, confidence = pad.prediction()
    assert index == 0 and label == "7" and confidence > 0.5  # MNIST test digit 0 is a 7
    assert pad.model() is window.net

    mix = window.dashboard.mix_check
    assert not mix.isEnabled()
    with qtbot.waitSignal(pad.collectionChanged, timeout=2000):
        assert pad.add_correction(1)
    assert mix.isEnabled() and "(1)" in mix.text()
    mix.setChecked(True)
    window.show_page(0)
    with qtbot.waitSignal(window.trainingFinished, timeout=60000) as finished:
        click(qtbot, window.dashboard.train_button)
    assert finished.args[0]["training_samples"] == 1800 + 10  # ten copies of the one correction


def test_pad_takes_live_snapshots_while_training(qtbot, window):
    set_small_run(qtbot, window, epochs=30, samples=3000)
    window.show_page(1)
    click(qtbot, window.dashboard.train_button)
    qtbot.waitUntil(lambda: window.pad.model() is not None, timeout=20000)
    assert "the network being trained" in window.pad.model_label.text()
    assert window.pad.model() is not window.net  # a snapshot, not the network being trained
    with qtbot.waitSignal(window.runEnded, timeout=20000):
        window.stop_training()
