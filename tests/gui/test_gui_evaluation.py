"""The Evaluation page: the test set judged, through the page's widgets and public methods."""

from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from nndesk import workflow

MODEL_PATH = "trained-elsewhere.safetensors"  # where an opened model came from


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """MNIST cut to 3,000 training and 500 test digits."""
    from nndesk.data import load_dataset

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNDESK_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        mnist = load_dataset("mnist")
    return replace(mnist, x_train=mnist.x_train[:3000], y_train=mnist.y_train[:3000],
                   x_test=mnist.x_test[:500], y_test=mnist.y_test[:500])


@pytest.fixture(scope="module")
def net(small):
    """A 784-32-10 network trained for two short epochs: right on most test digits (87%)."""
    from nndesk.engine import load_preset

    spec = load_preset("default")
    spec["layers"] = [{"type": "dense", "units": 32, "activation": "relu"},
                      {"type": "dense", "units": 10, "activation": "softmax"}]
    spec["training"].update(epochs=2, batch_size=32, validation_split=0.0, augment=False)
    prepared = workflow.prepare(spec, small)
    assert prepared.trainer.run()["error"] is None
    return prepared.net


@pytest.fixture(scope="module")
def expected(net, small):
    return workflow.judge(net, small)


def make_page(qtbot, dataset, show: bool = True):
    from nndesk.gui.evaluation import EvaluationPage
    from nndesk.gui.session import Session

    session = Session()
    session.want_dataset("mnist")
    session.set_dataset("mnist", dataset)
    page = EvaluationPage(session)
    qtbot.addWidget(page)
    page.resize(1300, 850)
    if show:
        page.show()
        qtbot.waitExposed(page)
    return session, page


@pytest.fixture
def page_of(qtbot):
    """Makes pages; waits for their background work before the test ends."""
    pages = []

    def make(dataset, show=True):
        session, page = make_page(qtbot, dataset, show)
        pages.append(page)
        return session, page

    yield make
    for page in pages:
        page.shutdown()


@pytest.fixture
def judged(qtbot, page_of, small, net):
    """A shown page that has judged ``net`` opened from a model file."""
    session, page = page_of(small)
    with qtbot.waitSignal(page.judged, timeout=20000):
        session.set_network(net, MODEL_PATH)
    return page


def click_item(qtbot, view, row: int, column: int = 0) -> None:
    rect = view.visualRect(view.model().index(row, column))
    assert rect.isValid()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_accuracy_shown_is_the_judgements(judged, expected):
    assert judged.message() == ""
    assert f"{100 * expected.accuracy:.2f}%" in judged.accuracy_label.text()
    assert "500 test samples" in judged.detail_label.text()
    assert MODEL_PATH in judged.detail_label.text()


def test_the_confusion_matrix_shows_the_judgements_counts(judged, expected, small):
    view = judged.confusion_tab.confusion
    np.testing.assert_array_equal(view.counts(), expected.confusion)
    model = view.model()
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(10)] == small.class_names
    assert [model.headerData(i, Qt.Orientation.Vertical) for i in range(10)] == small.class_names
    assert model.index(3, 5).data() == f"{expected.confusion[3, 5]:,}"


def test_clicking_a_cell_shows_exactly_its_digits(qtbot, judged, expected):
    off = expected.confusion - np.diag(np.diag(expected.confusion))
    true, predicted = np.unravel_index(int(off.argmax()), off.shape)
    assert off[true, predicted] > 0
    gallery = judged.confusion_tab.cell_gallery
    assert gallery.indices() == []
    click_item(qtbot, judged.confusion_tab.confusion, int(true), int(predicted))
    assert gallery.indices() == [int(i) for i in expected.cell(true, predicted)]
    click_item(qtbot, judged.confusion_tab.confusion, 1, 1)
    assert gallery.indices() == [int(i) for i in expected.cell(1, 1)]


def test_the_mistake_galleries_follow_the_judgement(judged, expected):
    top = judged.mistakes_tab.top_losses.indices()
    assert top[0] == int(expected.top_losses(1)[0])
    assert top == [int(i) for i in expected.top_losses()]
    unsure = judged.mistakes_tab.least_sure.indices()
    assert unsure[:20] == [int(i) for i in expected.least_sure(20)]
    first = judged.mistakes_tab.top_losses.model.index(0).data()
    name, p = expected.top_classes(top[0], 1)[0]
    shown = "100%" if p >= 0.9995 else f"{100 * p:.1f}%"
    assert f"{name}\u00a0{shown}" in first


def test_clicking_a_digit_asks_to_inspect_it(qtbot, judged, expected):
    judged.tabs.setCurrentWidget(judged.mistakes_tab)
    with qtbot.waitSignal(judged.inspectRequested, timeout=2000) as blocker:
        click_item(qtbot, judged.mistakes_tab.top_losses.view, 0)
    assert blocker.args == [int(expected.top_losses(1)[0])]
    with qtbot.waitSignal(judged.inspectRequested, timeout=2000) as blocker:
        click_item(qtbot, judged.mistakes_tab.least_sure.view, 2)
    assert blocker.args == [int(expected.least_sure(3)[2])]


def test_the_threshold_sets_coverage_as_answered_says(qtbot, judged, expected):
    judged.tabs.setCurrentWidget(judged.confidence_tab)
    control = judged.confidence_tab.threshold
    with qtbot.waitSignal(judged.thresholdChanged, timeout=2000) as blocker:
        control.spin.setValue(90.0)
    assert blocker.args == [pytest.approx(0.9)]
    assert judged.threshold() == pytest.approx(0.9)
    assert control.slider.value() == 90
    stats = judged.confidence_tab.stats.text()
    answered = expected.answered(0.9)
    assert f"{100 * answered.mean():.1f}%" in stats
    assert f"answers {int(answered.sum()):,} of the 500" in stats
    assert f"{100 * expected.correct[answered].mean():.2f}%" in stats

    control.slider.setValue(30)
    assert judged.threshold() == pytest.approx(0.3)
    assert control.spin.value() == pytest.approx(30.0)
    lower = expected.answered(0.3)
    assert lower.sum() > answered.sum()
    assert f"answers {int(lower.sum()):,} of the 500" in judged.confidence_tab.stats.text()


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_the_csv_exports_round_trip(qtbot, judged, expected, net, small, tmp_path):
    assert judged.export_csv("confusion", tmp_path / "c.csv")
    rows = read_csv(tmp_path / "c.csv")
    assert rows[0][1:] == small.class_names
    np.testing.assert_array_equal(np.array([r[1:] for r in rows[1:]], dtype=int),
                                  expected.confusion)

    assert judged.export_csv("per_class", tmp_path / "p.csv")
    rows = read_csv(tmp_path / "p.csv")[1:]
    assert [float(r[3]) for r in rows] == expected.per_class_accuracy
    assert sum(int(r[1]) for r in rows) == 500

    assert judged.export_csv("coverage", tmp_path / "v.csv")
    rows = read_csv(tmp_path / "v.csv")[1:]
    curve = expected.coverage_curve()
    assert [float(r[1]) for r in rows] == curve["coverage"]
    assert [float(r[2]) if r[2] else None for r in rows] == curve["accuracy"]

    qtbot.waitUntil(lambda: len(judged.robustness()) == 4, timeout=30000)
    assert judged.export_csv("robustness", tmp_path / "r.csv")
    rows = read_csv(tmp_path / "r.csv")[1:]
    shift = [float(r[3]) for r in rows if r[0] == "shift"]
    assert shift == workflow.robustness(net, small, "shift")["accuracy"]
    assert {r[0] for r in rows} == {"shift", "rotate", "thicken", "noise"}


def test_plots_export_to_png(qtbot, judged, tmp_path):
    qtbot.waitUntil(lambda: len(judged.robustness()) == 4, timeout=30000)
    for kind in ("confusion", "per_class", "coverage", "robustness"):
        path = tmp_path / f"{kind}.png"
        assert judged.export_png(kind, path)
        image = QImage(str(path))
        assert not image.isNull() and image.width() > 100, kind


def test_an_unwritable_export_path_gives_a_message(judged, dialogs, tmp_path):
    path = tmp_path / "no such folder" / "confusion.csv"
    assert not judged.export_csv("confusion", path)
    assert not judged.export_png("coverage", tmp_path / "no such folder" / "c.png")
    warnings = dialogs.texts("warning")
    assert len(warnings) == 2 and str(path) in warnings[0]
    assert not path.parent.exists()


def test_export_asks_for_a_file_name(judged, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    asked = []

    def ask(parent, title, start, filters):
        asked.append(start)
        return str(tmp_path / "matrix"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    assert judged.ask_export("confusion", "csv")
    assert asked and asked[0].endswith("confusion.csv")
    assert (tmp_path / "matrix.csv").exists()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    assert not judged.ask_export("per_class", "png")


def test_without_a_network_the_page_says_what_to_do(page_of, small, dialogs, tmp_path):
    _, page = page_of(small)
    assert "Train a network or open a model file" in page.message()
    assert not page.export_button.isEnabled()
    assert not page.export_csv("confusion", tmp_path / "c.csv")
    assert dialogs.kinds() == ["warning"]


def test_training_waits_for_the_end_of_the_run(qtbot, page_of, small, net):
    session, page = page_of(small)
    session.set_network(net, "training", run_dataset=small)
    assert "Training" in page.message()
    assert not page.is_busy()
    with qtbot.waitSignal(page.judged, timeout=20000):
        session.network_trained()
    assert page.message() == ""
    assert "trained here" in page.detail_label.text()


def test_judging_waits_until_the_page_is_shown(qtbot, page_of, small, net):
    session, page = page_of(small, show=False)
    session.set_network(net, MODEL_PATH)
    assert not page.is_busy() and page.judgement() is None
    with qtbot.waitSignal(page.judged, timeout=20000):
        page.show()
    assert page.message() == ""


def test_a_dataset_still_loading_is_said(qtbot, page_of, small, net):
    session, page = page_of(small)
    session.want_dataset("mnist")
    session.set_network(net, MODEL_PATH)
    assert "Loading the dataset" in page.message()
    with qtbot.waitSignal(page.judged, timeout=20000):
        session.set_dataset("mnist", small)


def test_an_incompatible_network_is_explained(page_of, small, net):
    narrow = replace(small, x_train=small.x_train[:, :100], x_test=small.x_test[:, :100],
                     image_shape=(10, 10), name="narrow")
    session, page = page_of(narrow)
    session.set_network(net, MODEL_PATH)
    assert "cannot be judged on 'narrow'" in page.message()
    assert "784 inputs" in page.message()


def test_an_empty_test_set_is_explained(page_of, small, net):
    empty = replace(small, x_test=small.x_test[:0], y_test=small.y_test[:0], name="empty")
    session, page = page_of(empty)
    session.set_network(net, MODEL_PATH)
    assert "no test samples" in page.message()


def test_robustness_needs_images(qtbot, page_of, small, net, dialogs, tmp_path):
    flat = replace(small, image_shape=None, name="flat")
    session, page = page_of(flat)
    with qtbot.waitSignal(page.judged, timeout=20000):
        session.set_network(net, MODEL_PATH)
    assert "needs images" in page.robustness_tab.caption.text()
    assert not page.is_busy()
    assert not page.export_csv("robustness", tmp_path / "r.csv")
    assert len(dialogs.texts("warning")) == 1


def test_a_new_network_while_measuring_starts_over(qtbot, judged, net, expected):
    assert judged.is_busy()  # robustness is being measured
    with qtbot.waitSignal(judged.judged, timeout=20000):
        judged.session.set_network(net, "/tmp/other.safetensors")
    assert "other.safetensors" in judged.detail_label.text()
    with qtbot.waitSignal(judged.robustnessMeasured, timeout=30000):
        pass
    assert sorted(judged.robustness()) == ["noise", "rotate", "shift", "thicken"]
    assert judged.robustness()["shift"]["accuracy"][0] == pytest.approx(expected.accuracy)
