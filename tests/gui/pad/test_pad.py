"""The drawing pad, driven as a person drives it: mouse strokes, keys, buttons, menus."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QPalette
from PySide6.QtWidgets import QMainWindow

from nndesk.data.mydigits import MyDigits
from nndesk.data.preprocess import canvas_to_mnist, canvas_to_mnist_steps
from nndesk.gui.pad import PadPanel
from nndesk.gui.pad.model import NO_MODEL
from nndesk.gui.pad.panel import EMPTY_PROMPT
from pad_helpers import ONE, SEVEN, SEVEN_TWO_STROKES, ZERO, draw


@pytest.fixture
def pad(qtbot):
    panel = PadPanel()
    qtbot.addWidget(panel)
    panel.resize(960, 520)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def model_pad(pad, trained_net):
    pad.set_model(trained_net, "test model")
    return pad


def test_without_a_model_it_says_what_to_do(pad, qtbot):
    assert "No model" in pad.model_label.text()
    assert pad.message() == NO_MODEL
    assert "Train a network or open a model file (File > Open model...)" in NO_MODEL
    draw(qtbot, pad.canvas, ONE)
    assert pad.prediction() is None
    assert pad.message() == NO_MODEL
    assert pad.network_input() is not None  # the steps are shown all the same
    assert not pad.bars.isVisible()


def test_empty_canvas_shows_a_prompt_never_a_prediction(model_pad):
    assert model_pad.canvas.is_empty()
    assert model_pad.prediction() is None
    assert model_pad.message() == EMPTY_PROMPT
    assert model_pad.bars.probabilities() is None
    assert model_pad.input_view.array() is None
    assert not model_pad.correct_button.isEnabled()


@pytest.mark.parametrize("strokes, digit", [(ONE, "1"), (ZERO, "0"), (SEVEN, "7"),
                                            (SEVEN_TWO_STROKES, "7")],
                         ids=["one", "zero", "seven", "seven-in-two-strokes"])
def test_drawn_digits_are_recognised(model_pad, qtbot, strokes, digit):
    with qtbot.waitSignal(model_pad.predictionUpdated, timeout=2000):
        draw(qtbot, model_pad.canvas, strokes)
    label, confidence = model_pad.prediction()
    assert label == digit, model_pad.probabilities()
    assert model_pad.top_label.text() == digit
    assert f"{100 * confidence:.0f}%" in model_pad.confidence_label.text()
    bars = model_pad.bars.probabilities()
    assert bars is not None and len(bars) == 10 and np.argmax(bars) == int(digit)
    assert np.isclose(bars.sum(), 1.0, atol=1e-4)


def test_the_image_shown_is_what_the_network_gets(model_pad, qtbot, trained_net):
    draw(qtbot, model_pad.canvas, SEVEN)
    ink = model_pad.canvas.ink()
    assert ink.shape == (280, 280) and ink.max() == pytest.approx(1.0)
    expected = canvas_to_mnist(ink)
    np.testing.assert_array_equal(model_pad.input_view.array(), expected)
    np.testing.assert_array_equal(model_pad.network_input(), expected)
    steps = canvas_to_mnist_steps(ink)
    for key, view in model_pad.step_views.items():
        np.testing.assert_array_equal(view.array(), steps[key])
    assert model_pad.step_captions["scaled"].text().startswith("scaled ")
    np.testing.assert_allclose(model_pad.probabilities(),
                               trained_net.predict_proba(expected.reshape(1, 784))[0], rtol=1e-5)


def test_prediction_is_updated_while_drawing(model_pad, qtbot):
    canvas = model_pad.canvas
    points = ONE[0]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
    for x, y in points[1:]:
        qtbot.mouseMove(canvas, QPoint(x, y))
    assert canvas.is_drawing()
    qtbot.waitUntil(lambda: model_pad.prediction() is not None, timeout=2000)
    assert canvas.is_drawing() and canvas.stroke_count() == 0
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))
    assert canvas.stroke_count() == 1


def test_undo_removes_the_last_stroke(model_pad, qtbot):
    draw(qtbot, model_pad.canvas, SEVEN_TWO_STROKES)
    assert model_pad.canvas.stroke_count() == 2
    assert model_pad.prediction()[0] == "7"
    only_bar = canvas_to_mnist(model_pad.canvas.ink())
    qtbot.keyClick(model_pad.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert model_pad.canvas.stroke_count() == 1
    assert not np.array_equal(model_pad.network_input(), only_bar)
    qtbot.mouseClick(model_pad.undo_button, Qt.MouseButton.LeftButton)
    assert model_pad.canvas.is_empty()
    assert model_pad.prediction() is None and model_pad.message() == EMPTY_PROMPT
    model_pad.undo()  # nothing left to undo: no error
    assert model_pad.canvas.is_empty()


@pytest.mark.parametrize("key", [Qt.Key.Key_Escape, Qt.Key.Key_Delete])
def test_escape_and_delete_clear_the_pad(model_pad, qtbot, key):
    draw(qtbot, model_pad.canvas, ZERO)
    assert model_pad.prediction() is not None
    qtbot.keyClick(model_pad.canvas, key)
    assert model_pad.canvas.is_empty()
    assert model_pad.prediction() is None and model_pad.message() == EMPTY_PROMPT


def test_clear_button_and_keys_from_another_widget_in_the_pad(model_pad, qtbot):
    draw(qtbot, model_pad.canvas, ONE)
    qtbot.mouseClick(model_pad.clear_button, Qt.MouseButton.LeftButton)
    assert model_pad.canvas.is_empty()
    draw(qtbot, model_pad.canvas, ONE)
    model_pad.pen_slider.setFocus()
    qtbot.keyClick(model_pad.pen_slider, Qt.Key.Key_Escape)
    assert model_pad.canvas.is_empty()


def test_pad_keys_win_over_the_windows_undo_shortcut(qtbot, trained_net):
    window = QMainWindow()
    qtbot.addWidget(window)
    triggered = []
    undo = QAction("Undo form edit", window)
    undo.setShortcuts(QKeySequence.StandardKey.Undo)
    undo.triggered.connect(lambda: triggered.append(True))
    window.addAction(undo)
    pad = PadPanel()
    pad.set_model(trained_net, "test model")
    window.setCentralWidget(pad)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    draw(qtbot, pad.canvas, SEVEN_TWO_STROKES)
    pad.canvas.setFocus()
    qtbot.keyClick(pad.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert pad.canvas.stroke_count() == 1
    assert triggered == []


def test_pen_width(model_pad, qtbot):
    model_pad.pen_slider.setValue(8)
    assert model_pad.canvas.pen_width() == 8
    assert model_pad.pen_value.text() == "8 px"
    draw(qtbot, model_pad.canvas, ONE)
    thin = model_pad.canvas.ink().sum()
    model_pad.clear()
    model_pad.pen_slider.setValue(30)
    draw(qtbot, model_pad.canvas, ONE)
    assert model_pad.canvas.ink().sum() > 3 * thin


def test_a_click_draws_a_dot(model_pad, qtbot):
    qtbot.mouseClick(model_pad.canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    ink = model_pad.canvas.ink()
    assert model_pad.canvas.stroke_count() == 1
    assert ink[100, 100] == pytest.approx(1.0)
    assert model_pad.prediction() is not None  # a dot is a drawing, however odd


def test_touch_draws_a_stroke(model_pad, qtbot):
    from PySide6.QtTest import QTest

    device = QTest.createTouchDevice()
    canvas = model_pad.canvas
    QTest.touchEvent(canvas, device).press(0, QPoint(*ONE[0][0]), canvas).commit()
    for x, y in ONE[0][1:]:
        QTest.touchEvent(canvas, device).move(0, QPoint(x, y), canvas).commit()
    QTest.touchEvent(canvas, device).release(0, QPoint(*ONE[0][-1]), canvas).commit()
    qtbot.waitUntil(lambda: canvas.stroke_count() == 1, timeout=2000)
    assert model_pad.prediction()[0] == "1"


def test_pen_tablet_draws_a_stroke(model_pad):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    pen = QPointingDevice("test pen", 7, QInputDevice.DeviceType.Stylus,
                          QPointingDevice.PointerType.Pen,
                          QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
                          1, 3)
    canvas = model_pad.canvas

    def send(kind, x, y, buttons):
        pos = QPointF(x, y)
        event = QTabletEvent(kind, pen, pos, QPointF(canvas.mapToGlobal(pos)), 0.8, 0.0, 0.0,
                             0.0, 0.0, 0.0, Qt.KeyboardModifier.NoModifier,
                             Qt.MouseButton.LeftButton, buttons)
        QApplication.sendEvent(canvas, event)

    send(QEvent.Type.TabletPress, *ZERO[0][0], Qt.MouseButton.LeftButton)
    for x, y in ZERO[0][1:]:
        send(QEvent.Type.TabletMove, x, y, Qt.MouseButton.LeftButton)
    send(QEvent.Type.TabletRelease, *ZERO[0][-1], Qt.MouseButton.NoButton)
    assert canvas.stroke_count() == 1
    assert model_pad.prediction()[0] == "0"


def test_load_a_test_digit(model_pad, qtbot, mnist):
    model_pad.set_test_digits(mnist.x_test, mnist.y_test)
    qtbot.mouseClick(model_pad.test_digit_button, Qt.MouseButton.LeftButton)
    assert not model_pad.canvas.is_empty()
    index = model_pad.load_test_digit(0)  # MNIST's first test digit is a 7
    assert index == 0 and "labelled 7" in model_pad.test_note.text()
    assert model_pad.prediction()[0] == "7"
    original = mnist.x_test[0].reshape(28, 28)
    shown = model_pad.network_input()
    assert np.corrcoef(original.ravel(), shown.ravel())[0, 1] > 0.9
    model_pad.undo()  # the loaded digit is one undoable item
    assert model_pad.canvas.is_empty() and model_pad.test_note.text() == ""


def test_load_a_test_digit_from_the_bundled_set(model_pad):
    index = model_pad.load_test_digit()
    assert 0 <= index < 10000
    assert not model_pad.canvas.is_empty() and model_pad.prediction() is not None


def test_correction_is_added_to_my_digits_and_survives_a_restart(model_pad, qtbot, data_dir):
    draw(qtbot, model_pad.canvas, SEVEN)
    assert model_pad.correct_button.isEnabled()
    assert model_pad.correct_button.text().startswith("That's wrong")
    actions = model_pad.correct_menu.actions()
    assert [a.text() for a in actions] == [str(d) for d in range(10)]
    with qtbot.waitSignal(model_pad.collectionChanged, timeout=1000):
        actions[1].trigger()  # "That's wrong, it's a 1"
    assert not model_pad.correct_button.isEnabled()  # the same drawing is not added twice
    assert "My digits (1)" in model_pad.digits_button.text()
    assert "Added to your digits as 1" in model_pad.feedback_label.text()
    expected = np.round(model_pad.network_input() * 255).astype(np.uint8)

    restarted = PadPanel()  # as after closing and opening nndesk again
    qtbot.addWidget(restarted)
    assert len(restarted.digits) == 1
    assert restarted.digits.labels.tolist() == [1]
    np.testing.assert_array_equal(restarted.digits.images[0], expected)
    assert (data_dir / "my_digits.npz").is_file()
    assert "My digits (1)" in restarted.digits_button.text()


def test_without_a_model_a_drawing_can_still_be_added(pad, qtbot):
    draw(qtbot, pad.canvas, ONE)
    assert pad.correct_button.text().startswith("Add to my digits")
    assert pad.add_correction(1)
    assert len(MyDigits()) == 1


def test_damaged_collection_file_is_set_aside(qtbot, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "my_digits.npz").write_bytes(b"this is not a numpy archive")
    panel = PadPanel()
    qtbot.addWidget(panel)
    assert len(panel.digits) == 0
    assert "could not be read" in panel.feedback_label.text()
    kept = list(data_dir.glob("my_digits.damaged-*.npz"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"this is not a numpy archive"
    draw(qtbot, panel.canvas, ONE)
    assert panel.add_correction(1)
    assert len(MyDigits()) == 1


def test_a_model_that_does_not_take_images(pad, qtbot):
    from nndesk.engine import build_network, load_preset

    pad.set_model(build_network(load_preset("xor")), "xor.safetensors")
    draw(qtbot, pad.canvas, ONE)
    assert pad.prediction() is None
    assert "takes 3 inputs" in pad.message() and "784" in pad.message()
    assert "xor.safetensors" in pad.model_label.text()
    pad.clear()
    assert "takes 3 inputs" in pad.message()
    pad.clear_model()
    assert pad.message() == NO_MODEL


def test_model_source_is_shown_and_can_be_replaced(model_pad, qtbot, trained_net):
    assert "test model" in model_pad.model_label.text()
    draw(qtbot, model_pad.canvas, ONE)
    before = model_pad.probabilities()
    model_pad.set_snapshot(trained_net.spec, trained_net.get_weights(),
                           "model being trained (epoch 3)")
    assert "model being trained (epoch 3)" in model_pad.model_label.text()
    np.testing.assert_allclose(model_pad.probabilities(), before, rtol=1e-5)
    assert model_pad.model() is not trained_net
    model_pad.set_model(None, "")
    assert model_pad.prediction() is None and model_pad.message() == NO_MODEL


def test_the_canvas_follows_the_palette(pad, qtbot):
    for base, text in ((QColor("#ffffff"), QColor("#000000")),
                       (QColor("#1e1e1e"), QColor("#f0f0f0"))):
        palette = pad.palette()
        palette.setColor(QPalette.ColorRole.Base, base)
        palette.setColor(QPalette.ColorRole.Text, text)
        pad.setPalette(palette)
        draw(qtbot, pad.canvas, ONE)
        image = pad.canvas.grab().toImage()
        scale = image.width() / pad.canvas.width()
        assert image.pixelColor(int(40 * scale), int(140 * scale)) == base
        assert image.pixelColor(int(142 * scale), int(140 * scale)) == text
        pad.clear()


def test_below_the_threshold_the_pad_is_not_sure(model_pad, qtbot):
    with qtbot.waitSignal(model_pad.predictionUpdated, timeout=2000):
        draw(qtbot, model_pad.canvas, SEVEN)
    label, confidence = model_pad.prediction()
    model_pad.set_threshold(min(1.0, confidence + 0.01))
    assert model_pad.top_label.text() == "?"
    text = model_pad.confidence_label.text()
    assert text.startswith("Not sure") and f"Best guess {label}" in text
    model_pad.set_threshold(confidence - 0.01)
    assert model_pad.top_label.text() == label
    assert model_pad.threshold() == pytest.approx(confidence - 0.01)
