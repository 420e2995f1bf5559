"""The Compare runs page: the runs kept, listed, renamed, deleted, exported and compared,
through the page's widgets and public methods."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QLineEdit,
    QMessageBox,
)

from nndesk.data.runs import RunStore, differences
from nndesk.gui.runs import RunsPage
from nndesk.gui.runs.model import DATE, EPOCHS, NAME, REASON, TEST, TIME, VAL
from nndesk.gui.session import Session

from gui_helpers import click


def spec(lr=0.1, seed=0, units=32, **optimizer):
    return {"name": "mlp", "dataset": "mnist", "input_shape": [784],
            "layers": [{"type": "dense", "units": units, "activation": "relu"},
                       {"type": "dense", "units": 10, "activation": "softmax"}],
            "optimizer": {"name": "sgd", "learning_rate": lr, **optimizer},
            "training": {"epochs": 3, "batch_size": 64}, "seed": seed}


def history(train_loss, val_loss, train_acc, val_acc):
    return {"epoch": list(range(1, len(train_loss) + 1)), "train_loss": train_loss,
            "val_loss": val_loss, "train_accuracy": train_acc, "val_accuracy": val_acc,
            "learning_rate": [0.1] * len(train_loss), "seconds": [0.5] * len(train_loss)}


def add(store, name, when, *, test=0.9, reason="completed", seconds=12.5, **spec_args):
    h = {"a": history([1.0, 0.6, 0.4], [1.1, 0.7, 0.5], [0.6, 0.8, 0.9], [0.55, 0.75, 0.85]),
         "b": history([1.2, 0.8, 0.5], [1.3, 0.9, 0.6], [0.5, 0.7, 0.85], [0.5, 0.7, 0.8]),
         "c": history([0.9, 0.5], [1.0, 0.6], [0.7, 0.9], [0.6, 0.8])}[spec_args.pop("h", "a")]
    return store.add(spec=spec(**spec_args), dataset="mnist", history=h,
                     metrics={"test_accuracy": test, "val_accuracy": h["val_accuracy"][-1],
                              "epochs": len(h["epoch"]), "train_seconds": seconds},
                     seconds=seconds, reason=reason, name=name, when=when)


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


@pytest.fixture
def three(store):
    """Three runs, the oldest first: two of lr 0.1 (seeds 0 and 1), one of lr 0.02 and
    64 units that stopped early after two epochs."""
    return [add(store, "first", 1.7e9, test=0.9125, h="a", seed=0),
            add(store, "second", 1.7e9 + 60, test=0.8875, h="b", seed=1),
            add(store, "third", 1.7e9 + 120, test=0.95, h="c", lr=0.02, units=64,
                reason="early_stopping", seconds=75)]


@pytest.fixture
def page(qtbot, store, three):
    widget = RunsPage(Session(), store=store)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    return widget


def cells(page, column):
    model = page.view.model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_the_list_shows_every_run_with_its_figures(page, three):
    assert cells(page, NAME) == ["third", "second", "first"]  # the newest first
    assert cells(page, DATE) == [r["date"] for r in reversed(three)]
    assert cells(page, TEST) == ["95.00%", "88.75%", "91.25%"]
    assert cells(page, VAL) == ["80.00%", "80.00%", "85.00%"]
    assert cells(page, EPOCHS) == ["2", "3", "3"]
    assert cells(page, TIME) == ["1:15", "12.5 s", "12.5 s"]
    assert cells(page, REASON) == ["Stopped early", "Finished", "Finished"]
    assert "3 runs kept in" in page.count_label.text()
    assert not page.warning_label.isVisible()


def test_the_list_sorts_by_any_column(page):
    page.view.sortByColumn(TEST, Qt.SortOrder.AscendingOrder)
    assert cells(page, NAME) == ["second", "first", "third"]
    page.view.sortByColumn(TIME, Qt.SortOrder.DescendingOrder)
    assert cells(page, NAME)[0] == "third"


def test_renaming_in_the_name_cell_is_kept_on_disk(qtbot, page, store, three):
    page.select_runs([three[0]["id"]])
    click(qtbot, page.rename_button)
    assert page.view.state() == QAbstractItemView.State.EditingState
    editor = page.view.viewport().findChild(QLineEdit)
    assert editor.text() == "first"
    editor.selectAll()
    qtbot.keyClicks(editor, "baseline lr 0.1")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.view.state() != QAbstractItemView.State.EditingState)
    assert RunStore(store.folder).get(three[0]["id"])["name"] == "baseline lr 0.1"
    assert "baseline lr 0.1" in cells(page, NAME)
    assert page.comparison.labels() == ["baseline lr 0.1"]


def test_an_empty_name_is_refused_with_a_message(page, store, three, dialogs):
    assert not page.rename_run(three[1]["id"], "   ")
    assert dialogs.kinds() == ["warning"]
    assert "empty" in dialogs.texts("warning")[0]
    assert RunStore(store.folder).get(three[1]["id"])["name"] == "second"
    assert "second" in cells(page, NAME)


def test_delete_asks_and_removes_the_file_only_when_confirmed(qtbot, page, store, three,
                                                              dialogs):
    path = store.folder / f"{three[1]['id']}.json"
    page.select_runs([three[1]["id"]])
    dialogs.answer = QMessageBox.StandardButton.No
    click(qtbot, page.delete_button)
    assert dialogs.kinds() == ["question"] and "second" in dialogs.texts("question")[0]
    assert path.exists() and len(cells(page, NAME)) == 3
    dialogs.answer = QMessageBox.StandardButton.Yes
    click(qtbot, page.delete_button)
    assert not path.exists()
    assert cells(page, NAME) == ["third", "first"]
    assert [r["id"] for r in RunStore(store.folder).runs()] == [three[0]["id"], three[2]["id"]]


def test_the_context_menu_offers_rename_delete_and_export(page, three):
    shown = []

    def look_and_close():
        menu = QApplication.activePopupWidget()
        shown.append([(action.text(), action.isEnabled()) for action in menu.actions()])
        menu.close()

    page.select_runs([three[0]["id"], three[1]["id"]])
    QTimer.singleShot(50, look_and_close)
    page.view.customContextMenuRequested.emit(QPoint(5, 5))
    assert shown == [[("Rename", False), ("Delete\u2026", True), ("Export\u2026", False)]]


def test_two_runs_show_exactly_the_settings_that_differ(page, three):
    page.select_runs([three[0]["id"], three[2]["id"]])
    expected = differences([three[0]["spec"], three[2]["spec"]])
    assert [key for key, _ in expected] == ["layers[0].units", "optimizer.learning_rate"]
    assert page.comparison.difference_keys() == [key for key, _ in expected]
    table = page.comparison.tables.settings
    assert [table.horizontalHeaderItem(c).text() for c in range(2)] == ["first", "third"]
    assert [[table.item(r, c).text() for c in range(2)] for r in range(2)] == [
        ["32", "64"], ["0.1", "0.02"]]
    results = page.comparison.tables.results
    assert [results.item(0, c).text() for c in range(2)] == ["91.25%", "95.00%"]


def test_a_setting_only_one_run_has_is_shown_as_missing_in_the_others(page, store, three):
    extra = add(store, "momentum", 1.7e9 + 180, momentum=0.9)
    page.reload()
    page.select_runs([three[0]["id"], extra["id"]])
    assert page.comparison.difference_keys() == ["optimizer.momentum"]
    table = page.comparison.tables.settings
    assert [table.item(0, c).text() for c in range(2)] == ["—", "0.9"]


def test_the_curves_are_overlaid_one_per_run_and_metric(page, three):
    page.select_runs([r["id"] for r in three])
    drawn = page.comparison.curve_data()
    for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        assert list(drawn[key]) == ["first", "second", "third"]
        for record in three:
            x, y = drawn[key][record["name"]]
            scale = 100 if "accuracy" in key else 1
            np.testing.assert_allclose(y, np.array(record["history"][key]) * scale)
            np.testing.assert_array_equal(x, record["history"]["epoch"])
    plots = page.comparison.plots.plots
    assert len(plots["loss"].listDataItems()) == len(plots["accuracy"].listDataItems()) == 6
    styles = {item.opts["pen"].style() for item in plots["loss"].listDataItems()}
    assert styles == {Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine}
    assert page.comparison.band_data()["train_loss"] == {}


def test_seed_groups_are_drawn_as_their_mean_with_the_spread(page, three):
    page.select_runs([r["id"] for r in three])
    page.comparison.group_box.setChecked(True)
    drawn, bands = page.comparison.curve_data(), page.comparison.band_data()
    group, single = list(drawn["train_loss"])
    assert "mean of 2" in group and single == "third"
    first, second = (np.array(r["history"]["val_accuracy"]) * 100 for r in three[:2])
    np.testing.assert_allclose(drawn["val_accuracy"][group][1], (first + second) / 2)
    x, low, high = bands["val_accuracy"][group]
    np.testing.assert_allclose(low, np.minimum(first, second))
    np.testing.assert_allclose(high, np.maximum(first, second))
    assert list(bands["val_accuracy"]) == [group]  # a group of one has no spread
    np.testing.assert_allclose(drawn["train_loss"][single][1], three[2]["history"]["train_loss"])
    assert "2 groups" in page.comparison.hint_label.text()
    assert "min–max" in page.comparison.hint_label.text()


def test_a_seed_group_averages_each_epoch_over_the_runs_that_reached_it(page, store, three):
    short = add(store, "short", 1.7e9 + 200, h="c", seed=7)  # lr 0.1, 32 units: first's group
    page.reload()
    page.select_runs([three[0]["id"], short["id"]])
    page.comparison.set_grouped(True)
    (label, (x, y)), = page.comparison.curve_data()["train_loss"].items()
    np.testing.assert_array_equal(x, [1, 2, 3])
    np.testing.assert_allclose(y, [(1.0 + 0.9) / 2, (0.6 + 0.5) / 2, 0.4])


def test_an_unreadable_run_file_is_named_and_skipped(qtbot, store, three):
    (store.folder / "20240101-000000000-abcd.json").write_text("{not json", encoding="utf-8")
    (store.folder / "notes.json").write_text("[1, 2]", encoding="utf-8")
    widget = RunsPage(Session(), store=store)
    qtbot.addWidget(widget)
    widget.show()
    assert len(cells(widget, NAME)) == 3
    assert len(widget.problems()) == 2
    assert widget.warning_label.isVisible()
    text = widget.warning_label.text()
    assert "20240101-000000000-abcd.json" in text and "notes.json" in text
    assert "2 unreadable files" in text


def test_with_no_runs_the_page_says_how_runs_appear(qtbot, tmp_path):
    widget = RunsPage(Session(), store=RunStore(tmp_path / "nothing-yet"))
    qtbot.addWidget(widget)
    widget.show()
    assert widget.stack.currentIndex() == 0 and widget.empty_label.isVisible()
    assert "nndesk train" in widget.empty_label.text()
    assert str(tmp_path / "nothing-yet") in widget.empty_label.text()


def test_a_run_that_ends_in_the_window_appears_in_the_list(qtbot, store, three):
    session = Session()
    widget = RunsPage(session, store=store)
    qtbot.addWidget(widget)
    widget.show()
    widget.select_runs([three[0]["id"]])
    add(store, "fourth", 1.7e9 + 300)
    session.networkChanged.emit(None, "training")
    assert len(cells(widget, NAME)) == 3
    session.network_trained()
    assert cells(widget, NAME)[0] == "fourth"
    assert widget.selected_ids() == [three[0]["id"]]  # the selection survives the reload


def test_runs_kept_by_real_trainings_are_listed_and_compared(qtbot, mnist):
    """Two tiny real trainings kept as the window and the CLI keep them (``keep_run``) land in
    the person's runs folder, which the page reads when given no store."""
    from nndesk.engine import load_preset
    from nndesk.workflow import keep_run, prepare

    for lr in (0.1, 0.5):
        run_spec = load_preset("tiny_relu")
        run_spec["training"].update(epochs=2, batch_size=64)
        run_spec["optimizer"]["learning_rate"] = lr
        prepared = prepare(run_spec, mnist, subset=600)
        result = prepared.trainer.run()
        history = result["history"]
        assert keep_run(prepared.net.spec, mnist, result,
                        {"val_accuracy": history["val_accuracy"][-1], "epochs": 2}) is not None
    widget = RunsPage(Session())
    qtbot.addWidget(widget)
    widget.show()
    records = widget.runs()
    assert len(records) == 2
    widget.select_runs([r["id"] for r in records])
    assert widget.comparison.difference_keys() == ["optimizer.learning_rate"]
    drawn = widget.comparison.curve_data()["val_loss"]
    assert [len(y) for _, y in drawn.values()] == [2, 2]
    np.testing.assert_allclose(drawn["tiny_relu #1"][1], records[0]["history"]["val_loss"])


def test_exports_write_valid_json_csv_and_png(qtbot, page, three, tmp_path, monkeypatch):
    chosen = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, filters: (chosen.pop(0), filters))
    chosen.append(str(tmp_path / "one run"))  # the suffix is added
    page.select_runs([three[0]["id"]])
    click(qtbot, page.export_button)
    assert json.loads((tmp_path / "one run.json").read_text(encoding="utf-8")) == three[0]

    page.select_runs([three[0]["id"], three[2]["id"]])
    chosen.append(str(tmp_path / "differences.csv"))
    click(qtbot, page.comparison.export_csv_button)
    with open(tmp_path / "differences.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["setting", "first", "third"], ["run id", three[0]["id"], three[2]["id"]],
                    ["layers[0].units", "32", "64"], ["optimizer.learning_rate", "0.1", "0.02"]]

    chosen.append(str(tmp_path / "curves.png"))
    click(qtbot, page.comparison.export_plot_button)
    image = QImage(str(tmp_path / "curves.png"))
    assert not image.isNull() and image.width() >= page.comparison.plots.width() - 2 > 300
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unwritable_export_path_gives_a_message(page, three, tmp_path, dialogs):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    page.select_runs([three[0]["id"], three[1]["id"]])
    assert not page.export_run(three[0]["id"], blocker / "run.json")
    assert not page.comparison.export_differences(blocker / "differences.csv")
    assert not page.comparison.export_plot(blocker / "curves.png")
    assert dialogs.kinds() == ["warning"] * 3
    assert all("Could not write" in text for text in dialogs.texts("warning"))
    assert blocker.read_text(encoding="utf-8") == "not a folder"
