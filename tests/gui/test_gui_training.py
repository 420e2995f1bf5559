"""Training from the window: start, watch, pause, resume, change the rate, stop, close, fail."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from gui_helpers import choose, click, set_small_run, type_into


def test_train_a_small_subset_and_watch_it_learn(qtbot, window):
    set_small_run(qtbot, window, epochs=2, samples=600)
    d = window.dashboard
    with qtbot.waitSignal(window.trainingFinished, timeout=30000) as finished:
        click(qtbot, d.train_button)
        assert not d.train_button.isEnabled() and d.stop_button.isEnabled()
    result = finished.args[0]
    assert result["reason"] == "completed"
    assert result["training_samples"] == 540  # 600 minus the 10% validation split
    qtbot.waitUntil(lambda: not window.controller.is_running(), timeout=5000)

    plots = d.plots
    batches = 2 * int(np.ceil(540 / 64))
    assert plots.batch_x.size == batches
    x, y = plots.batch_curve.getData()
    assert len(x) == batches and np.isfinite(y).all()
    assert len(plots.train_acc_curve.getData()[0]) == 2
    assert len(plots.val_loss_curve.getData()[0]) == 2
    assert plots.lr_curve.getData()[1][-1] > 0
    assert plots.refresh_count < batches + 10  # coalesced by the timer, not one per batch

    # The weight views received a snapshot and drew it.
    tiles = window.tiles
    qtbot.waitUntil(lambda: tiles.grid.image.image is not None, timeout=3000)
    assert tiles.grid.image.image.shape[0] > 28
    lo, hi = tiles.grid.bar.levels()
    assert lo == -hi and hi > 0  # symmetric, centred on zero
    window.inspect_tabs.setCurrentWidget(window.layers_view)
    qtbot.waitUntil(lambda: window.layers_view.heatmap.image.image is not None, timeout=3000)
    counts = window.layers_view.weight_bars.getData()[1]
    assert abs(counts.sum() - 784 * 128) < 0.01 * 784 * 128  # from a strided sample

    assert window.unsaved and window.isWindowModified()
    assert window.status_state.text() == "Finished"
    assert "samples/s" in window.status_speed.text()
    assert "test accuracy" in d.metrics_label.text()
    assert d.train_button.isEnabled()


def test_click_a_tile_to_see_it_large(qtbot, window):
    set_small_run(qtbot, window, epochs=1, samples=300)
    with qtbot.waitSignal(window.runEnded, timeout=30000):
        click(qtbot, window.dashboard.train_button)
    tiles = window.tiles
    qtbot.waitUntil(lambda: tiles.grid.image.image is not None, timeout=3000)
    tiles.timer.stop()  # no redraw (and re-layout) between finding the tile and clicking it
    tiles._redraw(force=True)
    pos = tiles.tile_pos(5)
    with qtbot.waitSignal(tiles.unitSelected, timeout=2000) as selected:
        qtbot.mouseClick(tiles.grid.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert selected.args == [5]
    assert "Unit 6" in tiles.info.text()
    weights = window.net.get_weights()["layers.0.weight"]
    assert np.allclose(tiles.large.image.image, weights[:, 5].reshape(28, 28))


def _start_long_run(qtbot, window):
    set_small_run(qtbot, window, epochs=200, samples=2000, batch=32)
    click(qtbot, window.dashboard.train_button)
    qtbot.waitUntil(lambda: window.dashboard.plots.batch_x.size > 0, timeout=15000)


def test_pause_resume_and_stop_within_a_second(qtbot, window):
    _start_long_run(qtbot, window)
    d = window.dashboard
    click(qtbot, d.pause_button)
    qtbot.waitUntil(lambda: window.status_state.text() == "Paused", timeout=1000)
    assert d.pause_button.text() == "Resume"
    seen = d.plots.batch_x.size
    assert window.controller.is_paused()

    click(qtbot, d.pause_button)  # Resume
    qtbot.waitUntil(lambda: d.plots.batch_x.size > seen, timeout=1000)
    assert d.pause_button.text() == "Pause"

    with qtbot.waitSignal(window.runEnded, timeout=1000):
        with qtbot.waitSignal(window.trainingFinished, timeout=1000) as finished:
            click(qtbot, d.stop_button)
    assert finished.args[0]["reason"] == "stopped"
    assert window.status_state.text() == "Stopped"
    assert window.net is not None and window.unsaved


def test_stop_while_paused(qtbot, window):
    _start_long_run(qtbot, window)
    window.pause_action.trigger()
    qtbot.waitUntil(lambda: window.status_state.text() == "Paused", timeout=1000)
    with qtbot.waitSignal(window.runEnded, timeout=1000):
        window.stop_action.trigger()


def test_change_the_learning_rate_while_training(qtbot, window):
    _start_long_run(qtbot, window)
    lr_spin = window.dashboard.lr_spin
    assert lr_spin.isEnabled() and lr_spin.value() == 0.001
    type_into(qtbot, lr_spin, "0.0005")
    plots = window.dashboard.plots
    qtbot.waitUntil(lambda: plots.batch_lr.size and plots.batch_lr.values[-1] == 0.0005,
                    timeout=2000)
    assert plots.batch_lr.values[0] == 0.001
    with qtbot.waitSignal(window.runEnded, timeout=1000):
        window.stop_training()


def test_close_the_window_while_training(qtbot, window, dialogs):
    _start_long_run(qtbot, window)
    assert window.controller.is_running()
    assert window.close()
    assert dialogs.kinds() == ["question"]  # "save the weights before you quit?" -> Discard
    assert not window.controller.is_running()


def test_closing_can_be_cancelled(qtbot, window, dialogs):
    from PySide6.QtWidgets import QMessageBox
    _start_long_run(qtbot, window)
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert window.controller.is_running() and window.isVisible()
    with qtbot.waitSignal(window.runEnded, timeout=1000):
        window.stop_training()


def test_a_diverged_run_is_shown_with_the_rate_and_keeps_its_curves(qtbot, window):
    form = window.form
    spec = form.spec()
    spec["layers"] = [{"type": "dense", "units": 10, "activation": "linear"}]
    spec["loss"] = "mse"
    spec["optimizer"] = {"name": "sgd", "learning_rate": 50.0, "weight_decay": 0.0}
    form.set_spec(spec)
    set_small_run(qtbot, window, epochs=3, samples=2000)
    with qtbot.waitSignal(window.trainingFinished, timeout=20000) as finished:
        click(qtbot, window.dashboard.train_button)
    result = finished.args[0]
    assert result["reason"] == "diverged" and "it was 50" in result["message"]
    banner = window.dashboard.banner
    assert banner.isVisible() and "Training diverged</b> at epoch 1" in banner.text()
    assert "Try a smaller learning rate" in banner.text()
    assert window.status_state.text() == "Diverged"
    qtbot.waitUntil(lambda: not window.controller.is_running(), timeout=5000)
    assert window.net is not None  # the best weights are kept
    assert all(np.isfinite(w).all() for w in window.net.get_weights().values())
    assert window.session.history["batch_loss"]  # the curves stay to be looked at


def test_train_is_disabled_with_the_reason(qtbot, window):
    d = window.dashboard
    type_into(qtbot, window.form.layer_editor(1, "units"), "3")
    assert not d.train_button.isEnabled() and not window.start_action.isEnabled()
    assert d.reason_label.isVisible() and "10 classes" in d.reason_label.text()
    type_into(qtbot, window.form.layer_editor(1, "units"), "10")
    assert d.train_button.isEnabled() and not d.reason_label.isVisible()
    choose(qtbot, window.form.layer_editor(1, "activation"), "sigmoid")
    assert not d.train_button.isEnabled() and "softmax" in d.reason_label.text()


def test_hover_readout_and_export_from_the_plots(qtbot, window, tmp_path):
    import pyqtgraph.exporters
    set_small_run(qtbot, window, epochs=2, samples=400)
    with qtbot.waitSignal(window.runEnded, timeout=30000):
        click(qtbot, window.dashboard.train_button)
    plots = window.dashboard.plots
    vb = plots.loss_plot.getViewBox()
    plots._on_mouse_moved(plots.loss_plot, (vb.mapViewToScene(QPointF(1.5, 0.5)),))
    title = plots.loss_plot.titleLabel.text
    assert title.startswith("Loss — epoch 1.50") and "smoothed" in title and "val" in title
    assert plots._cursors[plots.loss_plot].isVisible()

    scene_menu = [a.text() for a in plots.loss_view.scene().contextMenu]
    assert any(text.startswith("Export") for text in scene_menu)
    out = tmp_path / "loss.csv"
    pyqtgraph.exporters.CSVExporter(plots.loss_plot).export(str(out))
    assert len(out.read_text().splitlines()) > plots.batch_x.size
    png = tmp_path / "accuracy.png"
    pyqtgraph.exporters.ImageExporter(plots.acc_plot).export(str(png))
    assert png.stat().st_size > 1000


def test_the_classic_preset_trains_in_the_window_with_deferred_updates(qtbot, window):
    """Nielsen's preset (SGD, batch 10) takes the fast path's deferred first-layer updates:
    the window's pause, snapshots and kept weights must see every update."""
    choose(qtbot, window.form.preset_combo, "nielsen_sigmoid")  # past the planes' presets
    qtbot.waitUntil(window.dataset_ready, timeout=20000)  # MNIST again, as a person would wait
    set_small_run(qtbot, window, epochs=200, samples=3000, batch=10)
    d = window.dashboard
    click(qtbot, d.train_button)
    qtbot.waitUntil(lambda: d.plots.batch_x.size > 20, timeout=15000)
    click(qtbot, d.pause_button)
    qtbot.waitUntil(lambda: window.status_state.text() == "Paused", timeout=2000)
    seen = d.plots.batch_x.size
    click(qtbot, d.pause_button)  # Resume
    qtbot.waitUntil(lambda: d.plots.batch_x.size > seen + 20, timeout=5000)
    with qtbot.waitSignal(window.trainingFinished, timeout=5000) as finished:
        click(qtbot, d.stop_button)
    assert finished.args[0]["reason"] == "stopped"
    qtbot.waitUntil(lambda: not window.controller.is_running(), timeout=5000)
    net = window.net
    # What the window reports is what the weights it kept do.
    accuracy = f"{net.evaluate(window.dataset.x_test, window.dataset.y_test)[1] * 100:.2f}%"
    assert accuracy in d.metrics_label.text(), (accuracy, d.metrics_label.text())
    qtbot.waitUntil(lambda: window.tiles.grid.image.image is not None, timeout=3000)


def test_the_reference_engine_is_chosen_in_the_form_and_trains(qtbot, window):
    """The form's Engine field picks the path a run takes: the textbook steps train as well."""
    form = window.form
    combo = form.field_widget("training.engine")
    assert combo.currentData() == "fast"  # the default
    choose(qtbot, combo, "reference")
    assert form.spec()["training"]["engine"] == "reference"
    form.undo_stack.undo()  # one undoable edit, like every other field
    assert form.spec()["training"]["engine"] == "fast" and combo.currentData() == "fast"
    form.undo_stack.redo()
    assert combo.currentData() == "reference"
    set_small_run(qtbot, window, epochs=2, samples=600)
    with qtbot.waitSignal(window.trainingFinished, timeout=30000) as finished:
        click(qtbot, window.dashboard.train_button)
    assert finished.args[0]["reason"] == "completed"
    assert window.net.spec["training"]["engine"] == "reference"
    accuracy = window.net.evaluate(window.dataset.x_test, window.dataset.y_test)[1]
    assert accuracy > 0.5  # 540 samples, 2 epochs: it learned


def test_pause_after_stop_does_not_hang_the_run(qtbot, window):
    _start_long_run(qtbot, window)
    window.stop_training()
    window.toggle_pause()  # pressed at the wrong time: ignored
    assert not window.pause_action.isEnabled()
    qtbot.waitUntil(lambda: not window.controller.is_running(), timeout=5000)
    assert window.status_state.text() == "Stopped"


def test_closing_while_the_dataset_still_loads_waits_for_it(qtbot):
    """The window may go while its first dataset loads; its thread ends first."""
    from nndesk.gui.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win)
    win.form.set_dataset("/nonexistent-folder-for-this-test")
    win.form.set_dataset("mnist")
    assert win.close()
    assert not win.loader.is_loading("mnist")


def _spec_needing(window, fraction):
    """The form's spec with two hidden layers wide enough to need ``fraction`` of the memory."""
    from nndesk.workflow import memory_needed

    spec = window.form.spec()
    low, high = 10, 65536
    while high - low > 1:
        units = (low + high) // 2
        spec["layers"] = [{"type": "dense", "units": units, "activation": "relu"}] * 2 + [
            {"type": "dense", "units": 10, "activation": "softmax"}]
        needs = memory_needed(spec, window.dataset)
        low, high = (units, high) if needs.total < fraction * needs.machine else (low, units)
    return spec, needs


def test_a_run_beyond_the_machines_memory_cannot_start_and_says_why(qtbot, window):
    qtbot.waitUntil(lambda: window.dataset is not None, timeout=20000)
    spec, needs = _spec_needing(window, 1.3)
    assert needs.too_much
    window.form.set_spec(spec)
    d = window.dashboard
    qtbot.waitUntil(lambda: not d.train_button.isEnabled(), timeout=2000)
    assert "Not enough memory" in d.reason_label.text() and "this machine has" in d.reason_label.text()
    d.subset_spin.setValue(100)  # the samples are not what is too big
    assert not d.train_button.isEnabled()


def test_a_heavy_run_asks_first_and_no_keeps_it_from_starting(qtbot, window, dialogs):
    from PySide6.QtWidgets import QMessageBox

    qtbot.waitUntil(lambda: window.dataset is not None, timeout=20000)
    spec, needs = _spec_needing(window, 0.75)
    assert needs.heavy and not needs.too_much
    window.form.set_spec(spec)
    assert window.dashboard.train_button.isEnabled()
    dialogs.answer = QMessageBox.StandardButton.No
    click(qtbot, window.dashboard.train_button)
    assert dialogs.kinds() == ["question"] and "heavy run" in dialogs.texts("question")[0]
    assert not window.controller.is_running() and window.net is None


def test_a_generated_plane_trains_in_the_window(qtbot, window):
    choose(qtbot, window.form.preset_combo, "spiral")
    qtbot.waitUntil(lambda: window.dataset_ready() and window.dataset.name == "spiral",
                    timeout=20000)
    assert window.form.spec()["input_shape"] == [2]
    with qtbot.waitSignal(window.trainingFinished, timeout=60000) as finished:
        click(qtbot, window.dashboard.train_button)
    assert finished.args[0]["reason"] == "completed"
    assert finished.args[0]["test_accuracy"] >= 0.95
