"""The layer-stack form, driven with clicks and typing."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent

from gui_helpers import choose, click, type_into
from nndesk import engine
from nndesk.gui.layer_table import LAYER_MIME
from nndesk.gui.spec_form import SpecForm


def test_add_a_layer_and_type_its_units(qtbot):
    form = SpecForm()
    qtbot.addWidget(form)
    form.show()
    start = len(form.spec()["layers"])
    form.table.selectRow(0)
    form.add_actions["dense"].trigger()  # the "Add layer" menu's "Dense layer"
    layers = form.spec()["layers"]
    assert len(layers) == start + 1 and layers[1]["type"] == "dense"
    type_into(qtbot, form.layer_editor(1, "units"), "32")
    assert form.spec()["layers"][1]["units"] == 32
    summary = engine.describe(form.spec())
    assert form.table.model().index(1, 5).data() == f"{summary['layers'][1]['params']:,}"
    assert f"{summary['total_params']:,}" in form.totals_label.text()

    choose(qtbot, form.layer_editor(1, "activation"), "tanh")
    assert form.spec()["layers"][1]["activation"] == "tanh"

    form.add_actions["dropout"].trigger()
    assert [layer["type"] for layer in form.spec()["layers"]] == ["dense", "dense", "dropout", "dense"]
    type_into(qtbot, form.layer_editor(2, "rate"), "0.3")
    assert form.spec()["layers"][2]["rate"] == 0.3

    # Undo walks back through the edits, typing in one field being one step.
    form.undo_stack.undo()
    assert form.spec()["layers"][2]["rate"] != 0.3
    form.undo_stack.undo()
    assert len(form.spec()["layers"]) == start + 1
    form.undo_stack.redo()
    assert len(form.spec()["layers"]) == start + 2


def test_remove_and_move_layers_with_buttons_and_drag(qtbot):
    form = SpecForm()
    qtbot.addWidget(form)
    form.show()
    form.table.selectRow(0)
    form.add_actions["dropout"].trigger()  # after row 0
    assert [l["type"] for l in form.spec()["layers"]] == ["dense", "dropout", "dense"]
    form.table.selectRow(1)
    click(qtbot, form.up_button)
    assert [l["type"] for l in form.spec()["layers"]] == ["dropout", "dense", "dense"]
    assert form.selected_row() == 0
    click(qtbot, form.down_button)
    assert [l["type"] for l in form.spec()["layers"]] == ["dense", "dropout", "dense"]

    # Drag row 1 (dropout) onto row 0.
    mime = QMimeData()
    mime.setData(LAYER_MIME, b"1")
    target = form.table.visualRect(form.table.model().index(0, 0)).center()
    drop = QDropEvent(QPointF(target), Qt.DropAction.MoveAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    form.table.dropEvent(drop)
    assert [l["type"] for l in form.spec()["layers"]] == ["dropout", "dense", "dense"]

    form.table.selectRow(0)
    click(qtbot, form.remove_button)
    assert [l["type"] for l in form.spec()["layers"]] == ["dense", "dense"]
    form.undo_stack.undo()
    assert [l["type"] for l in form.spec()["layers"]] == ["dropout", "dense", "dense"]


def test_bad_values_are_explained_beside_their_fields(qtbot):
    form = SpecForm()
    qtbot.addWidget(form)
    form.show()
    type_into(qtbot, form.layer_editor(0, "units"), "0")
    problems = form.problems()
    assert [(p.layer, p.field) for p in problems] == [(0, "units")]
    assert form.layer_problems.isVisible()
    assert problems[0].message in form.layer_problems.text()
    assert form.layer_editor(0, "units").property("invalid") is True
    assert "problem" in form.totals_label.text()

    type_into(qtbot, form.layer_editor(0, "units"), "64")
    assert form.problems() == []
    assert not form.layer_problems.isVisible()
    assert form.layer_editor(0, "units").property("invalid") is False

    # A non-layer field: a zero learning rate, shown under the learning-rate field.
    type_into(qtbot, form.field_widget("optimizer.learning_rate"), "0")
    box = form.field_box("optimizer.learning_rate")
    assert box.error.isVisible() and "got 0" in box.error.text()

    # A rule across fields: cross-entropy needs a softmax output.
    type_into(qtbot, form.field_widget("optimizer.learning_rate"), "0.01")
    choose(qtbot, form.layer_editor(1, "activation"), "relu")
    loss_box = form.field_box("loss")
    assert loss_box.error.isVisible() and "softmax" in loss_box.error.text()


def test_advanced_optimizer_settings_open_when_they_hold_a_problem(qtbot):
    form = SpecForm()
    qtbot.addWidget(form)
    form.show()
    assert form.spec()["optimizer"]["name"] == "adam"
    assert not form.field_box("optimizer.beta2").isVisible()
    spec = form.spec()
    spec["optimizer"]["beta2"] = 1.0
    form.set_spec(spec)
    assert form.advanced_button.isChecked()
    box = form.field_box("optimizer.beta2")
    assert box.isVisible() and box.error.isVisible()


def test_choosing_an_optimizer_shows_its_settings(qtbot):
    form = SpecForm()
    qtbot.addWidget(form)
    form.show()
    choose(qtbot, form.optimizer_combo, "momentum")
    assert form.spec()["optimizer"]["name"] == "momentum"
    assert form.field_widget("optimizer.momentum") is not None
    assert form.field_widget("optimizer.beta1") is None
    choose(qtbot, form.schedule_combo, "step")
    type_into(qtbot, form.field_widget("schedule.step_epochs"), "3")
    assert form.spec()["schedule"] == {"name": "step", "step_epochs": 3, "gamma": 0.1}
    assert form.problems() == []


def test_picking_a_preset_fills_the_form(qtbot):
    form = SpecForm()
    qtbot.addWidget(form)
    form.show()
    names = [name for name, _ in engine.list_presets()]
    assert form.preset_combo.count() == len(names) + 1
    choose(qtbot, form.preset_combo, "xor")
    assert form.spec() == engine.load_preset("xor")
    assert form.dataset_combo.currentData() == "xor"
    assert form.table.rowCount() == 2
    form.undo_stack.undo()
    assert form.spec()["dataset"] == "mnist"


def test_the_layer_model_moves_rows_through_the_document(qtbot):
    """The table's model reports moves (``moveRows``, a drop's ``dropMimeData``); the spec
    then moves as one undoable edit and the model shows it."""
    from PySide6.QtCore import QModelIndex

    form = SpecForm()
    qtbot.addWidget(form)
    form.table.selectRow(0)
    form.add_actions["dropout"].trigger()
    model = form.table.model()
    kinds = lambda: [model.index(r, 0).data().split()[-1] for r in range(model.rowCount())]  # noqa: E731
    assert kinds() == ["Dense", "Dropout", "Dense"]
    assert not model.moveRows(QModelIndex(), 1, 1, QModelIndex(), 0)  # the document moves it
    assert [l["type"] for l in form.spec()["layers"]] == ["dropout", "dense", "dense"]
    assert kinds() == ["Dropout", "Dense", "Dense"]
    mime = model.mimeData([model.index(0, 0)])
    model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, 0, model.index(2, 0))
    assert [l["type"] for l in form.spec()["layers"]] == ["dense", "dense", "dropout"]
    form.undo_stack.undo()
    assert kinds() == ["Dropout", "Dense", "Dense"]
