"""The layer form with convolution, pooling, flatten and batch-norm layers: adding each type,
editing its settings under the table, shapes and totals, the input following the stack,
problems on the right row, undo, presets and specs round-tripping."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from gui_helpers import choose, click, menu_action, type_into
from nndesk import engine
from nndesk.engine.layer_types import DESCRIPTIONS
from nndesk.engine.layers import shape_text
from nndesk.gui.layer_table import COL_OUT, COL_PARAMS, COL_SETTINGS, COL_TYPE
from nndesk.gui.spec_form import SpecForm

LENET = [{"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"},
         {"type": "maxpool2d"},
         {"type": "conv2d", "filters": 16, "kernel_size": 5},
         {"type": "maxpool2d"},
         {"type": "flatten"},
         {"type": "dense", "units": 120},
         {"type": "dense", "units": 84},
         {"type": "dense", "units": 10, "activation": "softmax"}]


def lenet() -> dict:
    return {**engine.default_spec(), "input_shape": [1, 28, 28], "layers": LENET}


@pytest.fixture
def form(qtbot):
    form = SpecForm()
    qtbot.addWidget(form)
    form.resize(420, 900)
    form.show()
    return form


def kinds(form) -> list[str]:
    return [layer["type"] for layer in form.spec()["layers"]]


def cell(form, row: int, col: int, role=Qt.ItemDataRole.DisplayRole):
    return form.table.model().index(row, col).data(role)


def assert_rows_match_describe(form) -> None:
    """Each row's output shape and parameters, and the totals, are the engine's."""
    summary = engine.describe(form.spec())
    assert form.summary() == summary
    for row, described in enumerate(summary["layers"]):
        assert cell(form, row, COL_OUT) == shape_text(described["output_shape"])
        assert cell(form, row, COL_PARAMS) == f"{described['params']:,}"
    assert f"{summary['total_params']:,}" in form.totals_label.text()


def test_add_layer_offers_every_type_with_its_description(form):
    menu = form.add_button.menu()
    assert len(menu.actions()) == len(DESCRIPTIONS)
    for kind, description in DESCRIPTIONS.items():
        action = form.add_actions[kind]
        assert action in menu.actions() and action.toolTip() == description
    assert menu.toolTipsVisible()


def test_a_conv_layer_added_to_a_dense_stack_makes_a_valid_cnn(qtbot, form):
    before = form.spec()
    assert before["input_shape"] == [784] and kinds(form) == ["dense", "dense"]
    form.add_actions["conv2d"].trigger()  # nothing selected: it goes first, not before the output
    assert kinds(form) == ["conv2d", "flatten", "dense", "dense"]
    assert form.spec()["input_shape"] == [1, 28, 28]
    assert form.problems() == [] and form.selected_row() == 0
    assert cell(form, 0, COL_TYPE) == "1  Conv 2D" and cell(form, 0, COL_OUT) == "8 x 26 x 26"
    assert cell(form, 1, COL_OUT) == "5408"
    assert "1 x 28 x 28 image" in form.input_label.text()
    assert_rows_match_describe(form)

    form.undo_stack.undo()  # one step: the layer, the flatten and the input together
    assert form.spec() == before
    form.undo_stack.redo()
    assert kinds(form) == ["conv2d", "flatten", "dense", "dense"]

    # With the conv selected: a pool goes after it, a dense layer after the flatten.
    form.add_actions["maxpool2d"].trigger()
    assert kinds(form) == ["conv2d", "maxpool2d", "flatten", "dense", "dense"]
    assert form.selected_row() == 1 and cell(form, 1, COL_OUT) == "8 x 13 x 13"
    form.table.selectRow(0)
    form.add_actions["dense"].trigger()
    assert kinds(form) == ["conv2d", "maxpool2d", "flatten", "dense", "dense", "dense"]
    assert form.selected_row() == 3
    form.add_actions["batchnorm"].trigger()
    form.add_actions["dropout"].trigger()
    assert kinds(form)[3:6] == ["dense", "batchnorm", "dropout"]
    assert form.problems() == []
    assert_rows_match_describe(form)

    # Removing the last image layer makes the input flat again and drops the flatten.
    form.table.selectRow(1)
    click(qtbot, form.remove_button)
    form.table.selectRow(0)
    click(qtbot, form.remove_button)
    assert "flatten" not in kinds(form) and form.spec()["input_shape"] == [784]
    assert form.problems() == []
    form.undo_stack.undo()
    assert kinds(form)[:3] == ["conv2d", "flatten", "dense"]
    assert form.spec()["input_shape"] == [1, 28, 28]


def test_each_type_edits_its_own_settings(qtbot, form):
    form.set_spec({**lenet(), "layers": LENET[:5] + [{"type": "batchnorm"}, {"type": "dropout"}]
                   + LENET[5:]})
    assert form.problems() == []

    # The selected row's settings are under the table, the editors of its type only.
    assert form.layer_editor(0, "units") is None and form.layer_editor(1, "filters") is None
    type_into(qtbot, form.layer_editor(0, "filters"), "10")
    assert form.spec()["layers"][0]["filters"] == 10 and cell(form, 0, COL_OUT) == "10 x 28 x 28"
    type_into(qtbot, form.layer_editor(0, "kernel_size"), "3")
    assert form.spec()["layers"][0]["kernel_size"] == 3
    type_into(qtbot, form.layer_editor(0, "kernel_size"), "3 x 5")
    assert form.spec()["layers"][0]["kernel_size"] == [3, 5]
    assert cell(form, 0, COL_SETTINGS) == "10 filters 3x5, same"
    type_into(qtbot, form.layer_editor(0, "padding"), "1")
    assert form.spec()["layers"][0]["padding"] == 1 and cell(form, 0, COL_OUT) == "10 x 28 x 26"
    type_into(qtbot, form.layer_editor(0, "padding"), "valid")
    type_into(qtbot, form.layer_editor(0, "stride"), "2")
    assert form.spec()["layers"][0]["stride"] == 2 and cell(form, 0, COL_OUT) == "10 x 13 x 12"
    choose(qtbot, form.layer_editor(0, "activation"), "tanh")
    choose(qtbot, form.layer_editor(0, "initializer"), "glorot_uniform")
    assert form.spec()["layers"][0] == {
        "type": "conv2d", "filters": 10, "kernel_size": [3, 5], "padding": "valid", "stride": 2,
        "activation": "tanh", "initializer": "glorot_uniform"}
    assert_rows_match_describe(form)

    # A pool: its size, and a stride of its own or "= pool size" (None).
    type_into(qtbot, form.layer_editor(1, "pool_size"), "3")
    type_into(qtbot, form.layer_editor(1, "stride"), "1")
    assert form.spec()["layers"][1] == {"type": "maxpool2d", "pool_size": 3, "stride": 1}
    assert cell(form, 1, COL_SETTINGS) == "3x3, stride 1"
    type_into(qtbot, form.layer_editor(1, "stride"), "0")
    assert form.spec()["layers"][1]["stride"] is None
    assert form.layer_editor(1, "stride").text() == "= pool size"
    type_into(qtbot, form.layer_editor(1, "pool_size"), "2")

    # Batch norm and dropout.
    type_into(qtbot, form.layer_editor(5, "momentum"), "0.2")
    type_into(qtbot, form.layer_editor(5, "epsilon"), "0.001")
    assert form.spec()["layers"][5] == {"type": "batchnorm", "momentum": 0.2, "epsilon": 0.001}
    assert cell(form, 5, COL_SETTINGS) == "momentum 0.2, epsilon 0.001"
    type_into(qtbot, form.layer_editor(6, "rate"), "0.4")
    assert form.spec()["layers"][6]["rate"] == 0.4
    assert form.layer_field_box(4, "units") is None  # a flatten has no settings
    assert form.problems() == []
    assert_rows_match_describe(form)

    # Typing into one field is one undo step.
    form.undo_stack.undo()
    assert form.spec()["layers"][6].get("rate", 0.5) != 0.4


def test_an_impossible_kernel_is_explained_on_its_row_and_disables_train(qtbot, window):
    form = window.form
    layers = [{"type": "conv2d", "filters": 4, "kernel_size": 5}, {"type": "maxpool2d"},
              {"type": "maxpool2d"}, {"type": "conv2d", "filters": 8, "kernel_size": 3},
              {"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]
    form.set_spec({**engine.default_spec(), "input_shape": [1, 28, 28], "layers": layers})
    assert form.problems() == [] and not window.train_blocker()
    assert cell(form, 2, COL_OUT) == "4 x 6 x 6"
    assert window.dashboard.train_button.isEnabled()

    type_into(qtbot, form.layer_editor(3, "kernel_size"), "9")  # on a 6 x 6 input
    problems = form.problems()
    assert [(p.layer, p.field) for p in problems] == [(3, "type")]
    message = problems[0].message
    assert "kernel height of 9" in message and "6" in message
    # On its row: in red, its tooltip the message; above its settings; in the list by number.
    assert cell(form, 3, COL_TYPE, Qt.ItemDataRole.ToolTipRole) == message
    assert cell(form, 3, COL_TYPE, Qt.ItemDataRole.ForegroundRole) is not None
    assert cell(form, 2, COL_TYPE, Qt.ItemDataRole.ForegroundRole) is None
    settings = form.layers_group.settings
    assert settings.problem.isVisible() and settings.problem.text() == message
    assert "Layer 4</b>" in form.layer_problems.text() and message in form.layer_problems.text()
    assert "problem" in form.totals_label.text() and cell(form, 3, COL_OUT) == "–"
    assert not window.dashboard.train_button.isEnabled() and window.train_blocker()

    # The list's link selects the row with the problem.
    form.table.selectRow(0)
    assert not settings.problem.isVisible()
    form.layer_problems.linkActivated.emit("3")
    assert form.selected_row() == 3 and settings.problem.isVisible()

    form.undo_stack.undo()
    assert form.problems() == [] and form.spec()["layers"][3]["kernel_size"] == 3
    assert form.layer_editor(3, "kernel_size").currentText() == "3"
    assert not settings.problem.isVisible() and window.dashboard.train_button.isEnabled()


def test_a_bad_setting_shows_the_engines_message_beside_its_field(qtbot, form):
    form.set_spec(lenet())
    type_into(qtbot, form.layer_editor(2, "filters"), "0")
    box = form.layer_field_box(2, "filters")
    assert box.error.isVisible() and "got 0" in box.error.text()
    assert box.editor.property("invalid") is True
    assert "Layer 3</b></a> · filters: " in form.layer_problems.text()
    type_into(qtbot, form.layer_editor(2, "filters"), "16")
    assert not box.error.isVisible() and form.problems() == []

    # Text the kernel field cannot read goes to the engine, which says what it expects.
    type_into(qtbot, form.layer_editor(2, "kernel_size"), "5 by 5")
    box = form.layer_field_box(2, "kernel_size")
    assert [(p.layer, p.field) for p in form.problems()] == [(2, "kernel_size")]
    assert box.error.isVisible() and "[5, 5]" in box.error.text()
    type_into(qtbot, form.layer_editor(2, "kernel_size"), "5")
    assert form.problems() == []

    # Softmax belongs on the output layer; 'same' padding needs stride 1.
    choose(qtbot, form.layer_editor(0, "activation"), "softmax")
    assert form.layer_field_box(0, "activation").error.isVisible()
    form.undo_stack.undo()
    type_into(qtbot, form.layer_editor(0, "stride"), "2")
    assert [(p.layer, p.field) for p in form.problems()] == [(0, "type")]
    assert "'same' padding" in form.layers_group.settings.problem.text()


def test_a_cnn_spec_set_in_the_form_shows_every_row_and_round_trips(form):
    spec = lenet()
    form.set_spec(spec)
    assert form.spec() == spec and form.problems() == []
    assert [cell(form, r, COL_TYPE) for r in range(8)] == [
        "1  Conv 2D", "2  Max pool", "3  Conv 2D", "4  Max pool", "5  Flatten", "6  Dense",
        "7  Dense", "8  Dense"]
    assert [cell(form, r, COL_SETTINGS) for r in range(8)] == [
        "6 filters 5x5, same", "2x2", "16 filters 5x5", "2x2", "–", "120 units", "84 units",
        "10 units"]
    assert [cell(form, r, COL_OUT) for r in range(8)] == [
        "6 x 28 x 28", "6 x 14 x 14", "16 x 10 x 10", "16 x 5 x 5", "400", "120", "84", "10"]
    assert_rows_match_describe(form)
    assert form.layer_editor(0, "filters").value() == 6
    assert form.layer_editor(0, "kernel_size").currentText() == "5"
    assert form.layer_editor(0, "padding").currentText() == "same"
    assert form.layer_editor(1, "stride").text() == "= pool size"
    assert form.spec() == spec  # looking at the rows changed nothing
    form.undo_stack.undo()
    assert form.spec() == engine.default_spec()


def test_cnn_presets_load_and_undo(qtbot, form):
    cnns = [name for name, _ in engine.list_presets()
            if len(engine.load_preset(name)["input_shape"]) == 3]
    assert len(cnns) >= 2
    for name in cnns:
        form.choose_preset(name)
        assert form.preset_combo.currentData() == name
        assert form.spec() == engine.load_preset(name) and form.problems() == []
        assert form.table.rowCount() == len(form.spec()["layers"])
        assert_rows_match_describe(form)
    form.undo_stack.undo()
    assert form.spec() == engine.load_preset(cnns[-2])


def test_the_input_follows_the_stack_and_the_dataset(form):
    form.match_input(784, (28, 28))  # MNIST loaded: a dense stack stays flat
    assert form.spec()["input_shape"] == [784]
    form.add_actions["conv2d"].trigger()
    assert form.spec()["input_shape"] == [1, 28, 28]
    form.match_input(784, (28, 28))  # loading it again changes nothing
    assert form.spec()["input_shape"] == [1, 28, 28] and form.undo_stack.count() == 1
    form.match_input(784)  # a caller that does not know the image keeps it too
    assert form.spec()["input_shape"] == [1, 28, 28]

    # A dataset of 12 x 20 images: its own shape, not a square guess.
    form.undo_stack.undo()
    form.match_input(240, (12, 20))
    assert form.spec()["input_shape"] == [240]
    form.add_actions["avgpool2d"].trigger()
    assert form.spec()["input_shape"] == [1, 12, 20]
    assert cell(form, 0, COL_OUT) == "1 x 6 x 10" and form.problems() == []

    # Data that is no image: the layer's problem says what it takes.
    form.match_input(2)
    assert form.spec()["input_shape"] == [2]
    assert [(p.layer, p.field) for p in form.problems()] == [(0, "type")]
    assert "channels x height x width" in form.problems()[0].message


def test_a_cnn_spec_exports_and_imports(qtbot, window, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog
    spec = lenet()
    window.form.set_spec(spec)
    out = tmp_path / "lenet.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    menu_action(window, "File", "Export spec").trigger()
    assert json.loads(out.read_text()) == spec
    window.form.set_spec(engine.default_spec())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(out), ""))
    menu_action(window, "File", "Import spec").trigger()
    assert window.form.spec() == spec and not window.train_blocker()
    assert window.form.table.rowCount() == 8 and cell(window.form, 0, COL_OUT) == "6 x 28 x 28"


def test_settings_stay_readable_in_a_narrow_form(qtbot, window):
    window.splitter.setSizes([380, 1366 - 380 - 260, 260])
    qtbot.waitUntil(lambda: window.form.width() <= 400)
    form = window.form
    form.set_spec(lenet())
    form.table.selectRow(0)
    scroll = form.scroll_area
    assert scroll.widget().width() <= scroll.viewport().width()  # nothing cut off on the right
    room = form.table.columnWidth(COL_SETTINGS)
    assert room >= form.table.fontMetrics().horizontalAdvance("6 filters 5x5, same")
    for col in (COL_TYPE, COL_OUT, COL_PARAMS):
        assert not form.table.isColumnHidden(col)
        assert form.table.columnWidth(col) >= form.table.sizeHintForColumn(col)
