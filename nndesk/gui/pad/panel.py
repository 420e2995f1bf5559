"""The drawing pad: draw a digit, see what the network sees and what it thinks.

The window hosts one :class:`PadPanel` and hands it a model with ``set_model(net, source)``:
a copy of the network being trained (so training can go on) or a model opened from a
file. Predictions run on the GUI thread: one forward pass of one sample through a
network of MNIST size takes well under a millisecond.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import QWidget

from nndesk.data.mydigits import MyDigits
from nndesk.data.preprocess import EmptyCanvasError, canvas_to_mnist_steps

from ..widgets import set_text
from . import model as models
from .panel_ui import STEP_NAMES, build
from .views import warning_color

THROTTLE_MS = 60  # predictions while a stroke is being drawn: at most ~16 a second
_SHORTCUT_OVERRIDE, _KEY_PRESS = QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress
EMPTY_PROMPT = "Draw a digit on the pad to see what the network thinks."


class PadPanel(QWidget):
    """The complete drawing-pad screen.

    Public API for the window:

    - ``set_model(net, source)``: predict with ``net`` (an ``nndesk.engine.Network`` the
      pad may keep: pass a copy of a network still being trained) described by ``source``
      ("model being trained (epoch 3)", "mnist.safetensors"); ``None`` is ``clear_model()``.
    - ``set_snapshot(spec, weights, source)``: the same from a spec and a weights dict
      (``net.get_weights()``); reuses the pad's own network while the spec is unchanged.
    - ``clear_model()``: no model; the pad says how to get one.
    - ``set_threshold(t)``: below confidence ``t`` the answer is "not sure" (the evaluation
      page's threshold).
    - ``set_test_digits(images, labels)``: the images "Load a test digit" picks from
      (default: the bundled MNIST test set, loaded on first use).
    - signal ``collectionChanged``: the "my digits" collection was changed;
      ``predictionUpdated(object)``: the new probabilities (a NumPy array) or None.
    """

    collectionChanged = Signal()
    predictionUpdated = Signal(object)

    def __init__(self, parent: QWidget | None = None, digits: MyDigits | None = None):
        super().__init__(parent)
        self.setObjectName("padPanel")
        self.digits = digits if digits is not None else MyDigits()
        self._net = None
        self._source = ""
        self._problem: str | None = None
        self._names: list[str] = [str(i) for i in range(10)]
        self._steps: dict[str, np.ndarray] | None = None
        self._probabilities: np.ndarray | None = None
        self._threshold = 0.0
        self._saved_revision = -1
        self._test_digits: tuple[np.ndarray, np.ndarray] | None = None
        self._test_rng = np.random.default_rng()
        self._dialog = None
        self._snapshots = models.SnapshotNetwork()  # the pad's own network for set_snapshot

        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(THROTTLE_MS)
        self._throttle.timeout.connect(self._on_throttle)

        build(self)
        self._fill_correct_menu()
        self._update_digits_button()
        self._on_pen_width_changed(self.pen_slider.value())
        self._connect()
        self._install_keys(self)
        self._show_model_state()
        self._update_prediction()
        if self.digits.message:
            self._say(self.digits.message, warning=True)

    # --- construction ---------------------------------------------------------------

    def _connect(self) -> None:
        self.canvas.strokeMoved.connect(self._on_stroke_moved)
        self.canvas.changed.connect(self._on_drawing_changed)
        self.pen_slider.valueChanged.connect(self._on_pen_width_changed)
        self.undo_button.clicked.connect(self.undo)
        self.clear_button.clicked.connect(self.clear)
        self.test_digit_button.clicked.connect(lambda: self.load_test_digit())
        self.digits_button.clicked.connect(self.show_digits)
        self.correct_menu.triggered.connect(self._on_correct_action)

    def _install_keys(self, widget: QWidget) -> None:
        """Esc/Delete (clear) and Ctrl+Z (undo) wherever the focus is inside the pad.

        The keys are taken before the window's own shortcuts (the window's Ctrl+Z undoes
        edits of the network form), but only while the focus is within the pad.
        """
        widget.installEventFilter(self)
        for child in widget.findChildren(QWidget):
            if child.focusPolicy() != Qt.FocusPolicy.NoFocus and not child.isWindow():
                child.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == _SHORTCUT_OVERRIDE or kind == _KEY_PRESS:
            action = self._key_action(event)
            if action is not None:
                event.accept()
                if kind == _KEY_PRESS:
                    action()
                return True
        return super().eventFilter(watched, event)

    def _key_action(self, event):
        if event.matches(QKeySequence.StandardKey.Undo):
            return self.undo
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Delete, Qt.Key.Key_Backspace) \
                and event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                          Qt.KeyboardModifier.KeypadModifier):
            return self.clear
        return None

    # --- public API -----------------------------------------------------------------

    def set_model(self, net, source: str = "") -> None:
        """Predict with ``net`` from now on (None: no model). ``source`` says where it is from."""
        if net is None:
            self.clear_model()
            return
        self._net = net
        self._source = source or "model"
        self._problem = models.model_problem(net)
        names = models.class_names(net)
        if names != self._names:
            self._names = names
            self._fill_correct_menu()
        self._show_model_state()
        self._update_prediction()
        if self._dialog is not None:
            self._dialog.set_model(self._net if self._problem is None else None, self._source)

    def set_snapshot(self, spec: dict, weights: dict, source: str = "",
                     metadata: dict | None = None) -> None:
        """Predict with a network built from ``spec`` holding a copy of ``weights``."""
        self.set_model(self._snapshots.with_weights(spec, weights, metadata), source)

    def clear_model(self) -> None:
        """Forget the model; the pad says how to get one."""
        self._net = None
        self._source = ""
        self._problem = None
        self._show_model_state()
        self._update_prediction()
        if self._dialog is not None:
            self._dialog.set_model(None, "")

    def model(self):
        return self._net

    def set_test_digits(self, images: np.ndarray, labels: np.ndarray) -> None:
        """Images (N, 28, 28) or (N, 784), uint8 0-255 or float in [0, 1], for "Load a test digit"."""
        images = np.asarray(images)
        self._test_digits = (images.reshape(len(images), 28, 28), np.asarray(labels))

    def clear(self) -> None:
        """Clear the pad."""
        self.canvas.clear()
        self.test_note.clear()

    def undo(self) -> None:
        """Remove the last stroke."""
        self.canvas.undo()
        if self.canvas.is_empty():
            self.test_note.clear()

    def load_test_digit(self, index: int | None = None) -> int:
        """Put MNIST test digit ``index`` (random when None) on the pad; returns its index."""
        try:
            images, labels = self._test_digits or models.mnist_test()
        except Exception as exc:  # noqa: BLE001 - a damaged install must not take the pad down
            self._say(f"Could not load the MNIST test digits: {exc}", warning=True)
            return -1
        if index is None:
            index = int(self._test_rng.integers(len(images)))
        image = np.asarray(images[index], dtype=np.float32)
        if image.max() > 1.0:
            image = image / 255.0
        self.canvas.load_ink(image)
        label = labels[index]
        name = self._names[label] if 0 <= label < len(self._names) else str(label)
        self.test_note.setText(f"MNIST test digit #{index}, labelled {name}. "
                               f"Draw over it, or clear it and draw your own.")
        return index

    def add_correction(self, label: int) -> bool:
        """Add the drawing's 28x28 input to "my digits" with ``label``; False if nothing to add."""
        if self._steps is None:
            self._say("Draw a digit first.", warning=True)
            return False
        name = self._names[label] if 0 <= label < len(self._names) else str(label)
        try:
            self.digits.add(self._steps["centred"], int(label))
        except (OSError, ValueError) as exc:
            self._say(f"Could not save it to your digits ({exc}).", warning=True)
            return False
        self._saved_revision = self.canvas.revision
        self._update_correct_button()
        self._update_digits_button()
        self._say(f"Added to your digits as {name} "
                  f"({len(self.digits)} in your collection). Clear the pad to draw another.")
        self.collectionChanged.emit()
        if self._dialog is not None:
            self._dialog.refresh()
        return True

    def network_input(self) -> np.ndarray | None:
        """The 28x28 image last given to (or prepared for) the network, None when empty."""
        return None if self._steps is None else self._steps["centred"].copy()

    def steps(self) -> dict[str, np.ndarray] | None:
        return None if self._steps is None else dict(self._steps)

    def probabilities(self) -> np.ndarray | None:
        return None if self._probabilities is None else self._probabilities.copy()

    def prediction(self) -> tuple[str, float] | None:
        """(top class name, its probability), or None when there is no prediction."""
        if self._probabilities is None:
            return None
        top = int(np.argmax(self._probabilities))
        return self._names[top], float(self._probabilities[top])

    def message(self) -> str:
        """The text shown instead of a prediction (empty when a prediction is shown)."""
        return self.message_label.text() if self.result_stack.currentIndex() == 0 else ""

    def show_digits(self) -> None:
        """Open the "my digits" window."""
        from .mydigits_view import MyDigitsDialog

        if self._dialog is None:
            self._dialog = MyDigitsDialog(self.digits, self)
            self._dialog.panel.changed.connect(self._on_collection_edited)
        self._dialog.set_model(self._net if self._problem is None else None, self._source)
        self._dialog.refresh()
        self._dialog.show()
        self._dialog.raise_()
        self._dialog.activateWindow()

    # --- reacting -------------------------------------------------------------------

    def _on_stroke_moved(self) -> None:
        if not self._throttle.isActive():
            self._throttle.start()

    def _on_throttle(self) -> None:
        if self.canvas.is_drawing():
            self._update_prediction()

    def _on_drawing_changed(self) -> None:
        self._throttle.stop()
        self._update_prediction()

    def _on_pen_width_changed(self, value: int) -> None:
        self.canvas.set_pen_width(value)
        self.pen_value.setText(f"{value} px")

    def _on_correct_action(self, action: QAction) -> None:
        self.add_correction(int(action.data()))

    def _on_collection_edited(self) -> None:
        self._update_digits_button()
        self.collectionChanged.emit()

    # --- showing --------------------------------------------------------------------

    def _update_prediction(self) -> None:
        """Prepare the drawing, show the steps, and predict (the pad's one hot path)."""
        try:
            steps = canvas_to_mnist_steps(self.canvas.ink())
        except EmptyCanvasError:
            steps = None
        self._steps = steps
        for key, view in self.step_views.items():
            view.set_array(None if steps is None else steps[key])
            size = "" if steps is None else " {1}×{0}".format(*steps[key].shape)
            set_text(self.step_captions[key], dict(STEP_NAMES)[key] + size)
        self.input_view.set_array(None if steps is None else steps["centred"])

        probabilities = None
        if self._net is None:
            self._show_message(models.NO_MODEL)
        elif self._problem is not None:
            self._show_message(self._problem)
        elif steps is None:
            self._show_message(EMPTY_PROMPT)
        else:
            try:
                probabilities = np.asarray(self._net.predict_proba(
                    steps["centred"].reshape(1, -1))[0], dtype=np.float64)
            except Exception as exc:  # noqa: BLE001 - a broken snapshot must not crash the pad
                self._show_message(f"The model could not make a prediction: {exc}")
            else:
                if not np.isfinite(probabilities).all():
                    probabilities = None
                    self._show_message("The model's outputs are not finite numbers "
                                       "(its training diverged); train it again.")
        self._probabilities = probabilities
        if probabilities is None:
            self.bars.clear()
        else:
            self._show_result(probabilities)
        self._update_correct_button()
        self.predictionUpdated.emit(None if probabilities is None else probabilities.copy())

    def _show_message(self, text: str) -> None:
        set_text(self.message_label, text)
        if self.result_stack.currentIndex() != 0:
            self.result_stack.setCurrentIndex(0)

    def _show_result(self, probabilities: np.ndarray) -> None:
        top, sure = models.verdict(probabilities, self._names, self._threshold)
        set_text(self.top_label, top)
        set_text(self.confidence_label, sure)
        if self.result_stack.currentIndex() != 1:
            self.result_stack.setCurrentIndex(1)
        self.bars.set_probabilities(probabilities, self._names)

    def set_threshold(self, threshold: float) -> None:
        """Below this confidence (0 to 1) the pad answers "not sure" instead of a class."""
        self._threshold = float(threshold)
        if self._probabilities is not None:
            self._show_result(self._probabilities)

    def threshold(self) -> float:
        return self._threshold

    def _show_model_state(self) -> None:
        if self._net is None:
            text = "<b>No model yet</b>"
            self.bars.setVisible(False)
        elif self._problem is not None:
            text = f"Model: <b>{html.escape(self._source)}</b> (it cannot read drawings)"
            self.bars.setVisible(False)
        else:
            text = f"Predicting with: <b>{html.escape(self._source)}</b>"
            self.bars.set_class_names(self._names)
            self.bars.setVisible(True)
        self.model_label.setText(text)

    def _fill_correct_menu(self) -> None:
        self.correct_menu.clear()
        for i, name in enumerate(self._names):
            action = self.correct_menu.addAction(name)
            action.setData(i)
        self._update_correct_button()

    def _update_correct_button(self) -> None:
        has_drawing = self._steps is not None
        saved = self._saved_revision == self.canvas.revision
        self.correct_button.setEnabled(has_drawing and not saved)
        usable = self._net is not None and self._problem is None
        text = "That's wrong, it's a" if usable else "Add to my digits as"
        if self.correct_button.text() != text:
            self.correct_button.setText(text)
        self.correct_button.setToolTip(
            "Already in your digits" if saved and has_drawing else
            "Add this drawing (its 28x28 input) to your own digits with the right label")

    def _update_digits_button(self) -> None:
        self.digits_button.setText(f"My digits ({len(self.digits)})…")

    def _say(self, text: str, warning: bool = False) -> None:
        color = warning_color(self) if warning else self.palette().color(
            QPalette.ColorRole.WindowText).name()
        self.feedback_label.setText(f"<span style='color:{color}'>{html.escape(text)}</span>")

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        focus = self.focusWidget()
        if focus is None or not self.isAncestorOf(focus):
            self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)  # Esc and Ctrl+Z work at once

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self.update()
        super().changeEvent(event)
