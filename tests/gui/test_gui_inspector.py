"""The Inspector page ("Look inside"): every layer's response to one input, the details of a
unit, class evidence, dead units, following the pad and a run's snapshots."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from nndesk.engine import build_network, default_spec, inspection, load_preset


def small_cnn():
    spec = default_spec()
    spec["input_shape"] = [1, 28, 28]
    spec["layers"] = [{"type": "conv2d", "filters": 4, "kernel_size": 5},
                      {"type": "maxpool2d"}, {"type": "flatten"},
                      {"type": "dense", "units": 10, "activation": "softmax"}]
    return build_network(spec)


@pytest.fixture
def parts(qtbot, mnist):
    """A session holding MNIST, a pad, and the page shown, as the window will have them."""
    from nndesk.gui.inspector import InspectorPage
    from nndesk.gui.pad import PadPanel
    from nndesk.gui.session import Session

    session = Session()
    session.want_dataset("mnist")
    session.set_dataset("mnist", mnist)
    pad = PadPanel()
    qtbot.addWidget(pad)
    page = InspectorPage(session, pad)
    qtbot.addWidget(page)
    page.resize(1400, 900)
    page.show()
    qtbot.waitExposed(page)
    return session, pad, page


def open_net(session, net, source="model.safetensors"):
    session.set_network(net, source)


def wait_dead(qtbot, page):
    qtbot.waitUntil(lambda: page.dead_units() is not None, timeout=20000)


def test_without_a_network_the_page_says_how_to_get_one(parts):
    _session, _pad, page = parts
    assert "Train a network or open a model file" in page.message()
    assert page.rows == [] and page.prediction() is None


def test_rows_match_the_layers_and_the_prediction_is_the_networks(qtbot, parts, trained_net,
                                                                  mnist):
    session, _pad, page = parts
    open_net(session, trained_net)
    wait_dead(qtbot, page)
    assert page.message() == ""
    assert [r.title for r in page.rows] == ["input"] + [inspection.title(layer)
                                                        for layer in trained_net.layers]
    assert [r.index for r in page.rows] == [-1, 0, 1]
    page.show_test_digit(0)
    x = mnist.x_test[0]
    assert page.prediction()[0] == int(trained_net.predict(x[None])[0]) == 7
    assert page.rows[-1].bars.probabilities() == pytest.approx(
        trained_net.predict_proba(x[None])[0], abs=1e-5)
    expected = inspection.dead_units(trained_net, mnist.x_test[:2000])
    assert np.array_equal(page.dead_units()[0], expected[0])
    count = int(expected[0].sum())
    assert (f"{count} dead" if count else "none dead") in page.rows[1].caption.text()


def test_show_test_digit_picks_that_digit(qtbot, parts, trained_net, mnist):
    session, _pad, page = parts
    open_net(session, trained_net)
    for i in (3, 17):
        with qtbot.waitSignal(page.updated, timeout=2000):
            page.show_test_digit(i)
        assert page.chooser.test_picker.spin.value() == i
        assert f"#{i}" in page.verdict.text()
        assert np.array_equal(page.rows[0].picture.array(), mnist.x_test[i].reshape(28, 28))
        assert page.prediction()[0] == int(trained_net.predict(mnist.x_test[i:i + 1])[0])
        assert f"labelled <b>{mnist.y_test[i]}</b>" in page.verdict.text()


def test_the_evidence_for_the_true_class_is_red_on_the_ink(qtbot, parts, trained_net, mnist):
    session, _pad, page = parts
    open_net(session, trained_net)
    right = next(i for i in range(50)
                 if trained_net.predict(mnist.x_test[i:i + 1])[0] == mnist.y_test[i])
    page.show_test_digit(right)
    page.set_evidence_mode("gradient_x_input")
    label = int(mnist.y_test[right])
    page.set_target(label)
    assert page.evidence().target == label
    picture = page.overlay().astype(int)
    scale = picture.shape[0] // 28
    ink = np.repeat(np.repeat(mnist.x_test[right].reshape(28, 28) > 0.5, scale, 0), scale, 1)
    red = picture[..., 0] > picture[..., 2] + 10
    assert red[ink].mean() > 0.6
    assert page.evidence().score > 0

    other = (label + 1) % 10
    bars = page.rows[-1].bars
    qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=bars.bar_center(other))
    assert page.evidence().target == other
    assert page.evidence_panel.target() == other
    assert not np.array_equal(page.overlay(), picture)
    assert page.selection() == (len(trained_net.layers) - 1, other)

    page.set_evidence_mode("ink_helps")
    assert f"make it a {other}" in page.evidence_panel.mode_buttons["ink_helps"].text()
    helps = page.overlay().astype(int)
    assert (helps[..., 2] <= helps[..., 0] + 1).all()  # where ink would help: no blue at all


def test_the_drawing_updates_the_page_after_every_stroke(qtbot, parts, trained_net):
    session, pad, page = parts
    open_net(session, trained_net)
    pad.set_model(trained_net, "test")
    page.show_drawing()
    assert "Draw a digit" in page.message()
    pad.resize(900, 600)
    pad.show()
    canvas = pad.canvas
    with qtbot.waitSignal(page.updated, timeout=2000):
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(140, 40))
        for y in range(48, 240, 8):
            QTest.mouseMove(canvas, QPoint(140, y))
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           QPoint(140, 240))
    assert page.message() == ""
    assert "Your drawing" in page.verdict.text()
    assert page.prediction()[1] == pad.prediction()[0]
    assert np.allclose(page.rows[0].picture.array(), pad.network_input())
    before = page.rows[0].picture.array().copy()
    with qtbot.waitSignal(page.updated, timeout=2000):
        pad.load_test_digit(0)  # a 7 replaces the stroke
    assert not np.array_equal(page.rows[0].picture.array(), before)
    assert page.prediction()[1] == pad.prediction()[0] == "7"


def test_my_digits_can_be_chosen(qtbot, parts, trained_net, mnist):
    session, pad, page = parts
    open_net(session, trained_net)
    page.show_my_digit(0)
    assert "no digits of your own" in page.message()
    pad.load_test_digit(1)
    with qtbot.waitSignal(page.updated, timeout=2000):
        assert pad.add_correction(3)
    assert page.message() == "" and "Your digit #0" in page.verdict.text()
    assert "labelled <b>3</b>" in page.verdict.text()


def test_a_snapshot_updates_the_page_and_leaves_the_network_alone(qtbot, parts, trained_net,
                                                                  mnist):
    session, _pad, page = parts
    open_net(session, trained_net)
    page.show_test_digit(0)
    before = page.prediction()[0]
    weights = trained_net.get_weights()
    last = len(trained_net.layers) - 1
    weights[f"layers.{last}.weight"] *= -1  # the least likely class becomes the most likely
    weights[f"layers.{last}.bias"] *= -1
    with qtbot.waitSignal(page.updated, timeout=3000):
        session.set_snapshot({"weights": weights, "gradients": {}})
    assert page.prediction()[0] != before
    assert trained_net.predict(mnist.x_test[:1])[0] == before  # the session's network is untouched


def test_a_run_shows_its_snapshots(qtbot, parts, trained_net):
    session, _pad, page = parts
    session.set_network(trained_net, "training", run_dataset=session.dataset)
    assert "being trained" in page.message()
    with qtbot.waitSignal(page.updated, timeout=3000):
        session.set_snapshot({"weights": trained_net.get_weights(), "gradients": {}})
    assert page.message() == "" and page.prediction() is not None


def test_clicking_a_dense_unit_shows_its_weights_as_an_image(qtbot, parts, trained_net):
    session, _pad, page = parts
    open_net(session, trained_net)
    grid = page.rows[1].cells
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_center(17))
    assert page.selection() == (0, 17)
    details = page.details
    assert "unit 17" in details.title.text() and "a = " in details.text.text()
    assert "from the input image" in details.weights_caption.text()
    assert details.weights_image.isVisible() and details.weights_image.width() >= 28 * 5
    assert "unit 17: a = " in grid.tooltip(17) and ", z = " in grid.tooltip(17)
    page.select_unit(1, 4)  # the output layer: weights from the 128 units, as cells
    assert "from layer 1" in details.weights_caption.text()
    assert details.weights_units.isVisible() and not details.weights_image.isVisible()


def test_a_convolutional_network_shows_feature_maps_and_kernels(qtbot, parts, mnist):
    session, _pad, page = parts
    net = small_cnn()
    open_net(session, net)
    assert [r.kind for r in page.rows] == ["input", "conv2d", "maxpool2d", "flatten", "dense"]
    maps = page.rows[1].cells
    assert maps.grid.count == 4
    page.show_test_digit(2)
    wait_dead(qtbot, page)
    assert len(page.dead_units()[0]) == 4 and page.dead_units()[1] is None
    qtbot.mouseClick(maps, Qt.MouseButton.LeftButton, pos=maps.cell_center(1))
    assert page.selection() == (0, 1)
    assert "map 1" in page.details.title.text()
    assert "Its kernel" in page.details.weights_caption.text()
    assert page.details.weights_maps.grid.count == 1  # one input channel
    assert page.overlay() is not None and page.evidence().gradient.shape == (1, 28, 28)
    page.select_unit(3, 2)  # the dense output unit: its weights from the pooled maps
    assert page.details.weights_maps.grid.count == 4


def test_a_network_without_28x28_inputs(qtbot, parts):
    from nndesk.gui.datasets import load_cached

    session, _pad, page = parts
    net = build_network(load_preset("xor"))
    open_net(session, net)
    page.show_drawing()
    assert "not a 28 × 28 image" in page.message()
    page.show_test_digit(0)
    assert "this network takes 3" in page.message()
    xor = load_cached("xor")
    session.want_dataset("xor")
    session.set_dataset("xor", xor)
    assert page.message() == ""
    assert [r.kind for r in page.rows] == ["input"] + [layer.kind for layer in net.layers]
    assert page.rows[0].picture is None and page.rows[0].cells.grid.count == 3
    assert page.overlay() is None and "not one" in page.evidence_panel.picture.text()
    page.show_input(np.ones(3), "all ones")
    assert "all ones" in page.verdict.text()
    assert page.prediction()[0] == int(net.predict(np.ones((1, 3)))[0])
