"""Model and spec files through the File menu, unsaved-work prompts and remembered settings."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui_helpers import click, menu_action, set_small_run, type_into
from nndesk import engine


def _train_quickly(qtbot, window):
    set_small_run(qtbot, window, epochs=2, samples=400)
    with qtbot.waitSignal(window.runEnded, timeout=30000):
        click(qtbot, window.dashboard.train_button)


def _dialog_returns(monkeypatch, name: str, path):
    calls = []

    def fake(*args, **kwargs):
        calls.append(args)
        return (str(path), "") if path else ("", "")

    monkeypatch.setattr(QFileDialog, name, fake)
    return calls


def test_save_and_reopen_through_the_file_menu(qtbot, window, monkeypatch, tmp_path, dialogs):
    save = menu_action(window, "File", "Save model")
    assert not save.isEnabled()  # nothing trained yet
    _train_quickly(qtbot, window)
    assert save.isEnabled() and window.isWindowModified()
    trained_spec = window.net.spec
    trained = window.net.get_weights()
    history_epochs = len(window.history["epoch"])

    path = tmp_path / "digits"  # no suffix: the window adds .safetensors
    _dialog_returns(monkeypatch, "getSaveFileName", path)
    with qtbot.waitSignal(window.modelSaved, timeout=5000) as saved:
        save.trigger()
    saved_path = saved.args[0]
    assert saved_path.endswith(".safetensors")
    assert not window.unsaved and not window.isWindowModified()
    assert "digits.safetensors" in window.windowTitle()
    net = engine.load_model(saved_path)
    assert net.metadata["dataset"] == "mnist" and net.metadata["class_names"][0] == "0"
    assert 0 <= net.metadata["metrics"]["test_accuracy"] <= 1

    # New: an empty slate (nothing unsaved, so no question).
    menu_action(window, "File", "New").trigger()
    assert dialogs.kinds() == []
    assert window.net is None and not window.dashboard.plots.has_data()
    type_into(qtbot, window.form.layer_editor(0, "units"), "20")

    # Open it again: spec into the form, history into the plots, weights into the views.
    _dialog_returns(monkeypatch, "getOpenFileName", saved_path)
    with qtbot.waitSignal(window.modelOpened, timeout=5000):
        menu_action(window, "File", "Open model").trigger()
    assert window.form.spec() == trained_spec
    assert window.form.layer_editor(0, "units").value() == 128
    assert window.dashboard.plots.train_acc.size == history_epochs
    assert window.dashboard.plots.batch_x.size > 0
    for name, value in trained.items():
        assert np.array_equal(window.net.get_weights()[name], value)
    qtbot.waitUntil(lambda: window.tiles.grid.image.image is not None, timeout=3000)
    assert window.model_path == saved_path
    assert window.recent_models()[0] == saved_path

    # Recent models lists it, and opening from there works too.
    window.recent_menu.aboutToShow.emit()  # as when a person opens the submenu
    recent = [a for a in window.recent_menu.actions() if "digits.safetensors" in a.text()]
    assert recent
    with qtbot.waitSignal(window.modelOpened, timeout=5000):
        recent[0].trigger()


def test_a_corrupt_file_is_refused_and_nothing_changes(qtbot, window, monkeypatch, tmp_path,
                                                        dialogs):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    type_into(qtbot, window.form.layer_editor(0, "units"), "77")
    before = window.form.spec()
    _dialog_returns(monkeypatch, "getOpenFileName", bad)
    menu_action(window, "File", "Open model").trigger()
    assert dialogs.kinds() == ["warning"]
    message = dialogs.texts("warning")[0]
    assert message.startswith("broken.safetensors:") and "not an nndesk model file" in message
    assert window.form.spec() == before
    assert window.net is None and window.model_path is None
    assert window.recent_models() == []

    # A truncated real model file: the engine's own message, still no change.
    _train_quickly(qtbot, window)
    good = tmp_path / "good.safetensors"
    engine.save_model(window.net, good)
    data = good.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    net_before = window.net
    _dialog_returns(monkeypatch, "getOpenFileName", tmp_path / "cut.safetensors")
    dialogs.answer = QMessageBox.StandardButton.Discard
    menu_action(window, "File", "Open model").trigger()
    assert "truncated" in dialogs.texts("warning")[-1]
    assert window.net is net_before


def test_unsaved_weights_are_never_dropped_silently(qtbot, window, monkeypatch, tmp_path, dialogs):
    _train_quickly(qtbot, window)
    net = window.net
    dialogs.answer = QMessageBox.StandardButton.Cancel
    menu_action(window, "File", "New").trigger()
    assert dialogs.kinds() == ["question"] and window.net is net  # cancelled: kept

    # "Save" in the question saves first, then goes ahead.
    dialogs.answer = QMessageBox.StandardButton.Save
    _dialog_returns(monkeypatch, "getSaveFileName", tmp_path / "kept.safetensors")
    menu_action(window, "File", "New").trigger()
    assert (tmp_path / "kept.safetensors").exists()
    assert window.net is None

    # Training again asks too.
    _train_quickly(qtbot, window)
    dialogs.answer = QMessageBox.StandardButton.Cancel
    window.start_training()
    assert not window.controller.is_running()
    assert dialogs.kinds().count("question") == 3


def test_import_and_export_a_spec(qtbot, window, monkeypatch, tmp_path, dialogs):
    out = tmp_path / "mine.json"
    _dialog_returns(monkeypatch, "getSaveFileName", out)
    menu_action(window, "File", "Export spec").trigger()
    assert json.loads(out.read_text()) == window.form.spec()

    xor = engine.load_preset("xor")
    (tmp_path / "xor.json").write_text(json.dumps(xor))
    _dialog_returns(monkeypatch, "getOpenFileName", tmp_path / "xor.json")
    menu_action(window, "File", "Import spec").trigger()
    assert window.form.spec() == xor
    window.form.undo_stack.undo()  # an import is one undoable edit
    assert window.form.spec()["dataset"] == "mnist"

    (tmp_path / "bad.json").write_text("{ oops")
    _dialog_returns(monkeypatch, "getOpenFileName", tmp_path / "bad.json")
    menu_action(window, "File", "Import spec").trigger()
    assert "not valid JSON" in dialogs.texts("warning")[0]


def test_geometry_spec_and_recent_files_persist(qtbot, isolated_settings, tmp_path):
    from nndesk.gui.main_window import MainWindow
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    type_into(qtbot, first.form.layer_editor(0, "units"), "99")
    type_into(qtbot, first.dashboard.subset_spin, "1234")
    first.files.add_recent(str(tmp_path / "a.safetensors"))
    first.close()
    assert isolated_settings.exists()

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert second.form.spec()["layers"][0]["units"] == 99
    assert second.dashboard.subset_spin.value() == 1234
    stored = isolated_settings.read_text()
    assert "geometry=" in stored and "splitter=" in stored  # the offscreen screen is too small
    assert second.recent_models() == [str(tmp_path / "a.safetensors")]
    assert second.form.undo_stack.count() == 0  # a restored spec is not an edit


def test_a_dataset_that_cannot_be_loaded_is_explained(qtbot, window, monkeypatch, tmp_path):
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(empty))
    combo = window.form.dataset_combo
    combo.setCurrentIndex(combo.count() - 1)  # "Other folder or CSV file…"
    combo.activated.emit(combo.count() - 1)
    assert window.form.spec()["dataset"] == str(empty)
    qtbot.waitUntil(lambda: "could not be loaded" in window.train_blocker(), timeout=5000)
    assert window.dashboard.reason_label.isVisible()
    assert "nothing-here" in window.dashboard.reason_label.text()
    assert not window.dashboard.train_button.isEnabled()
    window.form.undo_stack.undo()  # back to MNIST
    qtbot.waitUntil(window.dashboard.train_button.isEnabled, timeout=5000)


def test_a_model_whose_metadata_lies_is_refused_and_nothing_changes(qtbot, window, tmp_path,
                                                                     dialogs):
    import json
    import struct

    from nndesk.engine import build_network, save_model

    good = tmp_path / "good.safetensors"
    save_model(build_network(window.form.spec()), good, history={"epoch": [1], "train_loss": [0.3]})
    data = good.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header["__metadata__"]["history"] = json.dumps("not a history")
    raw = json.dumps(header).encode()
    lying = tmp_path / "lying.safetensors"
    lying.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n:])
    before = (window.net, window.model_path, window.form.spec(), window.windowTitle())
    assert not window.open_model(str(lying))
    assert dialogs.kinds() == ["warning"] and "training history" in dialogs.texts("warning")[0]
    assert (window.net, window.model_path, window.form.spec(), window.windowTitle()) == before
