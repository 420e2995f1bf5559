"""Step mode: Step / Step epoch / Slow from the dashboard, and the math of the step with its
real numbers on the "Step through the math" page."""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtWidgets import QMessageBox

from gui_helpers import choose, click, menu_action, set_small_run

from nndesk.engine import stepmath
from nndesk.gui.stepview.fmt import num


def plain(value, digits: int = 4) -> str:
    """``value`` as the page's plain text shows it (``num`` without its tags)."""
    return re.sub("<[^>]+>", "", num(value, digits))


def _step(qtbot, window, button=None):
    """Click Step (or ``button``) and wait until the run has paused with the step shown."""
    d, page = window.dashboard, window.step_page
    with qtbot.waitSignal(page.shown, timeout=20000):
        click(qtbot, button or d.step_button)
    qtbot.waitUntil(lambda: window.state == "paused" and d.step_button.isEnabled(), timeout=5000)


def _dense_layer_weights(record, layer_sizes, layer, unit):
    """The unit's incoming weights and bias before the step, from the record's flat
    parameters laid out layer by layer as (W: n_in x n_out, b: n_out)."""
    params, offset = record["state"][0], 0
    for i, (n_in, n_out) in enumerate(zip(layer_sizes, layer_sizes[1:])):
        if i == layer:
            w = params[offset:offset + n_in * n_out].reshape(n_in, n_out)[:, unit]
            return w, params[offset + n_in * n_out + unit]
        offset += n_in * n_out + n_out
    raise AssertionError("no such layer")


def test_step_from_idle_takes_one_batch_and_shows_its_math(qtbot, window):
    set_small_run(qtbot, window, epochs=2, samples=640, batch=64)
    page, d = window.step_page, window.dashboard
    assert "Press Step (F7)" in page.browser.toPlainText()  # never an empty page
    assert not page.picker.isVisible()
    assert d.step_button.isEnabled() and d.step_epoch_button.isEnabled()
    _step(qtbot, window)
    assert d.plots.batch_x.size == 1  # exactly one batch, then a pause
    assert window.controller.is_paused() and d.pause_button.text() == "Resume"
    assert window.net.spec["training"]["engine"] == "reference"
    assert window.form.spec()["training"]["engine"] == "fast"  # the form is left alone
    assert d.epoch_bar.value() == 1

    # Pick layer 1, unit 5, sample 3 with the pickers.
    choose(qtbot, page.layer_combo, 0)
    page.unit_spin.setValue(5)
    page.sample_spin.setValue(3)
    data, record = page.data, page.replay.record
    assert (data["layer"], data["unit"], data["sample"]) == (0, 5, 3)
    # z is the dot product of the inputs and weights plus bias, computed here from the record.
    sizes = [784] + [layer["units"] for layer in window.net.spec["layers"]]
    w, b = _dense_layer_weights(record, sizes, 0, 5)
    x = record["x"][3].astype(np.float64)
    z = float(x @ w.astype(np.float64) + b)
    assert np.isclose(data["z"], z, rtol=1e-5, atol=1e-6)
    assert np.allclose(data["inputs"], x) and np.allclose(data["weights"], w)
    text = page.browser.toPlainText()
    assert f"z = {plain(z)}" in text
    assert f"max(0, z) = {plain(max(z, 0.0))}" in text  # a = ReLU(z)
    # The largest term is listed with its input and weight.
    terms = x * w
    top = int(np.argmax(np.abs(terms)))
    assert plain(terms[top]) in text and plain(w[top]) in text
    # The after-values are the window's network weights after the step.
    after = window.net.get_weights()["layers.0.weight"][:, 5]
    assert np.allclose(data["update"]["after"][:-1], after, rtol=0, atol=1e-7)
    assert not np.allclose(after, w)  # the step did change them
    assert np.isclose(data["update"]["after"][-1], window.net.get_weights()["layers.0.bias"][5])
    assert plain(after[top]) in text

    # The output layer: softmax and cross-entropy with the real logits.
    choose(qtbot, page.layer_combo, page.layer_combo.count() - 1)
    label = int(record["y"][page.sample_spin.value()])
    assert page.data["unit"] == label  # the label's unit is picked
    text = page.browser.toPlainText()
    assert "Cross-entropy" in text and "softmax" in text.lower()
    sm = stepmath.Replay(window.net.spec, record).softmax(page.sample_spin.value())
    assert f"= {plain(sm['loss'])}" in text


def test_step_again_step_epoch_and_resume(qtbot, window):
    set_small_run(qtbot, window, epochs=3, samples=640, batch=64)  # 9 batches an epoch
    d, page = window.dashboard, window.step_page
    _step(qtbot, window)
    first = page.replay.record
    _step(qtbot, window)
    assert d.plots.batch_x.size == 2
    assert page.replay.record["batch"] == 2 and page.replay.record is not first
    assert window.step_action.isEnabled()
    _step(qtbot, window, d.step_epoch_button)
    assert d.plots.batch_x.size == 9  # the rest of epoch 1
    qtbot.waitUntil(lambda: len(d.plots.train_acc_curve.getData()[0] or []) == 1, timeout=5000)
    assert page.replay.record["batch"] == 9 and page.replay.record["epoch"] == 1
    assert "batch 9 of 9, epoch 1" in window.status_state.text()
    # Step epoch on a completed epoch takes the whole next one.
    _step(qtbot, window, d.step_epoch_button)
    assert d.plots.batch_x.size == 18
    # Resume runs to the end; Step is off while it runs at full speed.
    with qtbot.waitSignal(window.runEnded, timeout=30000):
        click(qtbot, d.pause_button)
        assert not d.step_button.isEnabled()
    assert d.plots.batch_x.size == 27
    assert d.step_button.isEnabled()  # idle again


def test_step_epoch_from_idle_and_stop_during_a_step(qtbot, window):
    set_small_run(qtbot, window, epochs=2, samples=640, batch=64)
    d = window.dashboard
    window.step_epoch_action.trigger()
    qtbot.waitUntil(lambda: window.state == "paused" and d.plots.batch_x.size == 9,
                    timeout=20000)
    assert window.step_page.replay is not None
    # Stop while a step is on its way: the run ends cleanly.
    with qtbot.waitSignal(window.runEnded, timeout=10000):
        click(qtbot, d.step_epoch_button)
        click(qtbot, d.stop_button)
    assert window.state == "idle" and not window.controller.is_running()
    assert d.step_button.isEnabled()


def test_step_twice_quickly_takes_one_batch_at_a_time(qtbot, window):
    set_small_run(qtbot, window, epochs=1, samples=640, batch=64)
    d = window.dashboard
    click(qtbot, d.step_button)
    assert not d.step_button.isEnabled()  # a step is being taken
    window.step_action.trigger()  # ignored: Step twice quickly
    qtbot.waitUntil(lambda: window.state == "paused", timeout=20000)
    qtbot.wait(200)
    assert d.plots.batch_x.size == 1


def test_slow_mode_paces_the_batches(qtbot, window):
    set_small_run(qtbot, window, epochs=1, samples=640, batch=64)
    d = window.dashboard
    choose(qtbot, d.pace_combo, 3.0)
    click(qtbot, d.train_button)
    qtbot.waitUntil(lambda: d.plots.batch_x.size >= 1, timeout=20000)
    seen = d.plots.batch_x.size
    assert seen < 9  # not all at once
    assert d.step_button.isEnabled()  # a slow run can be stepped
    qtbot.waitUntil(lambda: d.plots.batch_x.size > seen, timeout=5000)  # and more arrive
    # Step on a slow run pauses it after the next batch (the fast engine records nothing).
    click(qtbot, d.step_button)
    qtbot.waitUntil(lambda: window.state == "paused", timeout=5000)
    assert "Fast" in window.step_page.browser.toPlainText()
    assert "Stop, then Step" in window.step_page.browser.toPlainText()
    window.controller.shutdown()


def test_gradient_check_and_the_code(qtbot, window):
    set_small_run(qtbot, window, epochs=1, samples=320, batch=32)
    _step(qtbot, window)
    window.step_page_action.trigger()
    page = window.step_page
    choose(qtbot, page.layer_combo, 0)
    page.unit_spin.setValue(7)
    with qtbot.waitSignal(page.checkFinished, timeout=60000) as done:
        click(qtbot, page.check_button)
    result = done.args[0]
    assert len(result["backprop"]) == 17  # 16 weights with the largest gradients, the bias
    assert result["max_relative_error"] < 1e-4
    qtbot.waitUntil(page.check_button.isEnabled, timeout=2000)  # ready for another unit
    assert np.abs(result["backprop"]).max() > 0
    assert "Gradient check" in page.browser.toPlainText()
    assert plain(result["max_relative_error"], 2) in page.browser.toPlainText()
    click(qtbot, page.code_button)
    assert page.code.isVisible() and page.code.isReadOnly()
    assert "def backward" in page.code.toPlainText()
    assert "def forward" in page.code.toPlainText()


def test_a_conv_layer_shows_its_filter_at_a_position(qtbot, window):
    from nndesk.engine import load_preset
    window.form.reset(load_preset("cnn_small"))
    set_small_run(qtbot, window, epochs=1, samples=256, batch=32)
    _step(qtbot, window)
    window.step_page_action.trigger()
    page = window.step_page
    choose(qtbot, page.layer_combo, 0)
    assert page.filter_spin.isVisible() and not page.unit_spin.isVisible()
    page.filter_spin.setValue(2)
    page.row_spin.setValue(12)
    page.col_spin.setValue(13)
    data = page.data
    assert (data["filter"], data["row"], data["column"]) == (2, 12, 13)
    z = float((data["patch"].astype(np.float64) * data["kernel"]).sum() + data["bias"])
    assert np.isclose(z, data["z"], rtol=1e-5, atol=1e-6)
    x = page.replay.record["x"][data["sample"]].reshape(1, 28, 28)
    assert np.allclose(data["patch"], x[:, 12:15, 13:16])
    assert f"z = {plain(data['z'])}" in page.browser.toPlainText()
    terms = np.abs(data["patch"] * data["kernel"])
    c, u, v = np.unravel_index(int(np.argmax(terms)), terms.shape)
    assert f"K[{c},{u},{v}] · x[{c},{12 + u},{13 + v}]" in page.browser.toPlainText()


def test_nothing_recorded_after_opening_a_model(qtbot, window, tmp_path, trained_net, dialogs):
    from nndesk.engine import save_model
    path = tmp_path / "m.npz"
    save_model(trained_net, path)
    window.show_page(4)
    assert window.pages.currentWidget() is window.step_page
    set_small_run(qtbot, window, epochs=1, samples=320, batch=32)
    _step(qtbot, window)
    window.controller.shutdown()
    qtbot.waitUntil(lambda: window.state == "idle", timeout=5000)
    assert window.step_page.replay is not None  # the last step still stands
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert window.open_model(str(path), confirmed=True)
    page = window.step_page
    assert page.replay is None and not page.picker.isVisible()
    assert "Step (F7)" in page.browser.toPlainText()


def test_close_while_paused_in_step_mode(qtbot, window):
    set_small_run(qtbot, window, epochs=1, samples=320, batch=32)
    _step(qtbot, window)
    assert window.controller.is_running()
    window.session.set_unsaved(False)
    window.close()
    assert not window.controller.is_running()


def test_step_shortcuts_and_menus(window):
    assert "F7" in [s.toString() for s in menu_action(window, "Training", "Step").shortcuts()]
    assert "Shift+F7" in [s.toString() for s in
                          menu_action(window, "Training", "Step epoch").shortcuts()]
    assert "Ctrl+5" in [s.toString() for s in
                        menu_action(window, "View", "Step through the math").shortcuts()]
    rows = dict(window.shortcut_rows())
    assert rows["Step"] == "F7" and rows["Step epoch"] == "Shift+F7"
    assert window.pages.tabText(4) == "Step through the math"
