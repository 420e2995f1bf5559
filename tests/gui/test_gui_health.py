"""The Health tab (layer health curves, hints with fixes) and the learning-rate finder."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nndesk.engine import build_network, default_spec
from nndesk.engine.hints import apply_fix

LAYERS = [{"type": "dense", "units": 32, "activation": "relu", "initializer": None},
          {"type": "dense", "units": 10, "activation": "softmax", "initializer": None}]


def health_event(step: int, scale: float) -> dict:
    return {"event": "health", "epoch": 1, "step": step, "layers": [
        {"layer": 0, "kind": "dense", "activation": "relu", "gradient_norm": 0.5 * scale,
         "weight_norm": 20.0 + scale, "update_ratio": 1e-3 * scale, "dead_share": 0.1 * scale,
         "saturated_share": None},
        {"layer": 1, "kind": "dense", "activation": "sigmoid", "gradient_norm": 0.25 * scale,
         "weight_norm": 4.0 + scale, "update_ratio": 2e-3 * scale, "dead_share": None,
         "saturated_share": 0.2 * scale}]}


HINT = {"event": "hint", "rule": "loss_rising", "message": "The loss is rising: lower the rate.",
        "fix": {"optimizer": {"learning_rate": 0.0005}, "layers": {"0": {"units": 48}}},
        "fix_text": "Halve it: set the learning rate to 0.0005"}


def small_spec(lr: float = 0.002) -> dict:
    spec = default_spec()
    spec["layers"] = [dict(layer) for layer in LAYERS]
    spec["optimizer"]["learning_rate"] = lr
    spec["training"].update(epochs=2, batch_size=64, validation_split=0.1)
    return spec


@pytest.fixture
def form(qtbot):
    from nndesk.gui.spec_form import SpecForm
    form = SpecForm()
    qtbot.addWidget(form)
    form.reset(small_spec())
    return form


@pytest.fixture
def small_mnist(mnist):
    return dataclasses.replace(mnist, x_train=mnist.x_train[:2000], y_train=mnist.y_train[:2000])


def session_with(dataset, name="mnist"):
    from nndesk.gui.session import Session
    session = Session()
    session.want_dataset(name)
    if dataset is not None:
        session.set_dataset(name, dataset)
    return session


@pytest.fixture
def tabs(qtbot):
    from nndesk.gui.inspect_tabs import InspectTabs
    from nndesk.gui.pad import PadPanel
    tabs = InspectTabs(session_with(None), PadPanel())
    qtbot.addWidget(tabs)
    tabs.resize(360, 700)
    tabs.show()
    return tabs


def test_health_events_become_curve_points_per_layer(qtbot):
    from nndesk.gui.health import HealthView
    view = HealthView()
    qtbot.addWidget(view)
    events = [health_event(step, scale) for step, scale in ((0, 1.0), (50, 2.0), (100, 0.5))]
    for event in events:
        view.add_health(event)
    steps = [e["step"] for e in events]
    grad = view.curve("gradient_norm", 1)
    qtbot.waitUntil(lambda: grad.xData is not None and len(grad.xData) == 3)
    for metric, layer, factor in (("gradient_norm", 0, 1), ("gradient_norm", 1, 1),
                                  ("weight_norm", 0, 1), ("update_ratio", 1, 1),
                                  ("dead_share", 0, 100), ("saturated_share", 1, 100)):
        curve = view.curve(metric, layer)  # the data plotted, before any log scaling
        x, y = curve.xData, curve.yData
        assert list(x) == steps
        assert np.allclose(y, [e["layers"][layer][metric] * factor for e in events])
    assert view.curve("dead_share", 1) is None  # a sigmoid layer has no dead share
    assert view.curve("saturated_share", 0) is None
    assert view.legend_titles() == ["1 Dense (relu)", "2 Dense (sigmoid)"]
    assert "healthy" in view.status.text()
    view.clear()
    assert view.curve("gradient_norm", 0) is None and view.legend_titles() == []


def test_a_vanishing_gradient_is_told_at_a_glance(qtbot):
    from nndesk.gui.health import HealthView
    view = HealthView()
    qtbot.addWidget(view)
    event = health_event(0, 1.0)
    event["layers"][0]["gradient_norm"] = 1e-9
    view.add_health(event)
    assert "gradient vanishing in layer 1" in view.status.text()


def test_a_hint_appears_once_even_when_sent_twice(qtbot, tabs):
    from nndesk.gui.worker import TrainingController
    controller = TrainingController()
    tabs.connect_training(controller)
    tabs.setCurrentWidget(tabs.tiles)
    with qtbot.waitSignal(tabs.hintArrived) as arrived:
        controller.hintGiven.emit(HINT)
    controller.hintGiven.emit(HINT)
    assert arrived.args == [HINT]
    assert tabs.health.hint_list.hints() == [HINT]
    assert len(tabs.health.hint_list.cards) == 1
    assert tabs.tabText(tabs.indexOf(tabs.health)) == "Health (1)"
    tabs.setCurrentWidget(tabs.health)
    assert tabs.tabText(tabs.indexOf(tabs.health)) == "Health"
    other = dict(HINT, rule="saturated", message="Saturated.")
    assert tabs.health.add_hint(other)
    assert [h["rule"] for h in tabs.health.hint_list.hints()] == ["saturated", "loss_rising"]
    assert tabs.tabText(tabs.indexOf(tabs.health)) == "Health"  # read at once
    controller.trainingStarted.emit({})
    assert tabs.health.hint_list.hints() == []


def test_applying_a_fix_is_one_undoable_edit(qtbot, tabs, form):
    tabs.set_form(form)
    tabs.health.add_hint(HINT)
    card = tabs.health.hint_list.cards[0]
    assert card.button.text() == HINT["fix_text"]
    before = form.spec()
    qtbot.mouseClick(card.button, Qt.MouseButton.LeftButton)
    assert form.spec() == apply_fix(before, HINT["fix"])
    assert form.spec()["layers"][0]["units"] == 48
    assert form.undo_stack.undoText() == "Hint: " + HINT["fix_text"]
    assert card.button.text() == "Applied (Ctrl+Z to undo)" and not card.button.isEnabled()
    form.undo_stack.undo()
    assert form.spec() == before
    assert card.button.isEnabled() and card.button.text() == HINT["fix_text"]
    form.undo_stack.redo()
    assert form.spec() == apply_fix(before, HINT["fix"]) and not card.button.isEnabled()


def test_the_learning_rate_finder_suggests_a_rate_for_the_form(qtbot, form, small_mnist):
    from nndesk.gui.health import open_lr_finder
    finder = open_lr_finder(None, form, session_with(small_mnist))
    qtbot.addWidget(finder)
    assert finder.is_running() and not finder.use_button.isEnabled()
    qtbot.waitUntil(lambda: not finder.is_running(), timeout=60000)
    assert finder.banner.text() == ""
    s = finder.suggestion
    assert s is not None and 1e-6 <= s <= 10
    assert list(finder.curve.xData) == finder.result["learning_rate"]
    assert list(finder.curve.yData) == finder.result["loss"]
    assert len(finder.result["loss"]) > 15
    assert f"{s:g}" in finder.summary.text()
    before = form.spec()
    qtbot.mouseClick(finder.use_button, Qt.MouseButton.LeftButton)
    assert form.spec()["optimizer"]["learning_rate"] == s
    assert form.spec() == apply_fix(before, {"optimizer": {"learning_rate": s}})
    assert not finder.use_button.isEnabled()
    form.undo_stack.undo()
    assert form.spec() == before and finder.use_button.isEnabled()


def test_cancel_stops_the_finder(qtbot, form, small_mnist):
    from nndesk.gui.health import open_lr_finder
    finder = open_lr_finder(None, form, session_with(small_mnist))
    qtbot.addWidget(finder)
    qtbot.mouseClick(finder.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not finder.is_running(), timeout=20000)
    assert finder.result is None and finder.suggestion is None
    assert "Cancelled" in finder.summary.text()
    assert finder.progress.value() < 100 and finder.run_button.isEnabled()


def test_the_finder_says_why_it_cannot_run(qtbot, form, small_mnist):
    from nndesk.data import load_dataset
    from nndesk.gui.health import LearningRateFinder
    finder = LearningRateFinder(form, session_with(None))
    qtbot.addWidget(finder)
    finder.start()
    assert "still loading" in finder.banner.label.text() and not finder.is_running()
    finder = LearningRateFinder(form, session_with(load_dataset("xor"), "xor"))
    qtbot.addWidget(finder)
    finder.start()
    assert "takes 784 inputs" in finder.banner.label.text() and not finder.is_running()
    spec = form.spec()
    spec["layers"][0]["units"] = 0
    form.set_spec(spec)
    finder = LearningRateFinder(form, session_with(small_mnist))
    qtbot.addWidget(finder)
    finder.start()
    assert "Fix the form first" in finder.banner.label.text() and not finder.is_running()


def test_a_run_gone_wrong_gives_a_hint_with_a_fix(qtbot, tabs, form, small_mnist):
    from nndesk.gui.worker import TrainingController
    controller = TrainingController()
    tabs.connect_training(controller)
    tabs.set_form(form)
    tabs.setCurrentWidget(tabs.layers_view)
    spec = small_spec()
    spec["optimizer"] = {"name": "sgd", "learning_rate": 100.0}
    with qtbot.waitSignal(controller.runEnded, timeout=60000):
        controller.start(build_network(spec), small_mnist)
    hints = tabs.health.hint_list.hints()
    assert hints, "a learning rate of 100 gave no hint"
    rate_hints = [h for h in hints if h["rule"] in ("loss_rising", "not_finite")]
    assert rate_hints and rate_hints[0]["fix"]["optimizer"]["learning_rate"] < 100
    assert tabs.tabText(tabs.indexOf(tabs.health)) == f"Health ({len(hints)})"
    assert tabs.health.curve("gradient_norm", 0) is not None


def test_the_window_has_the_health_tab(window):
    tabs = window.inspect_tabs
    assert tabs.tabText(tabs.indexOf(tabs.health)).startswith("Health")
    tabs.set_form(window.form)
    assert tabs.health.finder_button.isEnabled()
