"""The two pages that look inside, in the real window: a run judged on the test set, a mistake
opened in the inspector, and the confidence threshold reaching the drawing pad."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui_helpers import click, menu_action, set_small_run


def _click_item(qtbot, view, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    assert rect.isValid()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_a_mistake_of_the_trained_network_opens_in_the_inspector(qtbot, window):
    set_small_run(qtbot, window, epochs=1, samples=600)
    with qtbot.waitSignal(window.runEnded, timeout=30000):
        click(qtbot, window.dashboard.train_button)
    evaluation, inspector = window.evaluation, window.inspector
    with qtbot.waitSignal(evaluation.judged, timeout=30000):
        menu_action(window, "View", "Judge the test set").trigger()
    assert window.pages.currentWidget() is evaluation
    judgement = evaluation.judgement()
    accuracy = window.net.evaluate(window.dataset.x_test, window.dataset.y_test)[1]
    assert judgement.accuracy == accuracy
    assert f"{100 * accuracy:.2f}%" in evaluation.accuracy_label.text()

    worst = int(judgement.top_losses(1)[0])
    evaluation.mistakes_tab.top_losses.view.scrollToTop()
    _click_item(qtbot, evaluation.mistakes_tab.top_losses.view, 0)
    assert window.pages.currentWidget() is inspector
    qtbot.waitUntil(lambda: inspector.prediction() is not None, timeout=5000)
    predicted, _name, p = inspector.prediction()
    assert predicted == judgement.predicted[worst] != window.dataset.y_test[worst]
    assert abs(p - judgement.confidence[worst]) < 1e-5


def test_the_threshold_reaches_the_pad(qtbot, window):
    window.evaluation.set_threshold(0.75)
    assert window.pad.threshold() == 0.75
    menu_action(window, "View", "Look inside").trigger()
    assert window.pages.currentWidget() is window.inspector
    qtbot.waitUntil(lambda: "Train a network or open a model file" in window.inspector.message(),
                    timeout=3000)


def test_a_run_in_the_window_is_kept_and_listed_on_compare_runs(qtbot, window):
    set_small_run(qtbot, window, epochs=1, samples=300)
    with qtbot.waitSignal(window.runEnded, timeout=30000):
        click(qtbot, window.dashboard.train_button)
    menu_action(window, "View", "Compare runs").trigger()
    assert window.pages.currentWidget() is window.runs_page
    runs = window.runs_page.runs()
    assert len(runs) == 1 and runs[0]["spec"] == window.net.spec
    assert runs[0]["metrics"]["test_accuracy"] == window.metrics["test_accuracy"]
