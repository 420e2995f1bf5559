"""Class evidence: for a chosen class, which pixels of the input argue for it (red) and
against it (blue), drawn over the grey digit; or where more ink would make it that class."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QHBoxLayout, QLabel, QRadioButton,
                               QVBoxLayout, QWidget)

from .pictures import overlay, to_pixmap

MODES = ("gradient", "gradient_x_input", "ink_helps")
SIZE = 280  # the overlay's side, in pixels
RED_TEXT = "<b style='color:#d62728'>Red</b>"
BLUE_TEXT = "<b style='color:#2166ac'>blue</b>"
LEGENDS = {
    "gradient": RED_TEXT + ": more ink there would raise the score for <b>{c}</b>; " + BLUE_TEXT
    + ": more ink there would lower it (the saliency, ∂score/∂pixel). Grey: the digit.",
    "gradient_x_input": RED_TEXT + ": ink that counts for <b>{c}</b>; " + BLUE_TEXT
    + ": ink that counts against it (gradient × input, so only where there is ink). "
    "Grey: the digit.",
    "ink_helps": RED_TEXT + ": where adding ink would most raise the score for <b>{c}</b>, "
    "strongest first; what is already inked cannot get darker. Grey: the digit.",
}


class EvidencePanel(QWidget):
    """The target class (``target_combo``: the predicted one or any class), the ``mode``
    (one of MODES) and the overlay picture; ``changed`` when the person picks either."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.target_combo = QComboBox()
        self.target_combo.setObjectName("evidenceTarget")
        self.target_combo.setToolTip("The class whose evidence is shown")
        self.mode_buttons = {m: QRadioButton(t) for m, t in zip(MODES, (
            "Saliency", "Saliency × ink", "What would make it a …?"))}
        self.mode_buttons["gradient"].setToolTip("∂score/∂pixel: how the class's score would "
                                                 "change with more ink at each pixel")
        self.mode_buttons["gradient_x_input"].setToolTip("The saliency times the ink: what the "
                                                         "ink there contributes")
        self.mode_buttons["ink_helps"].setToolTip("Where adding ink would raise the class's "
                                                  "score")
        group = QButtonGroup(self)
        for button in self.mode_buttons.values():
            group.addButton(button)
        self.mode_buttons["gradient"].setChecked(True)
        self.picture = QLabel()
        self.picture.setFixedSize(SIZE, SIZE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setWordWrap(True)
        self.score = QLabel()
        self.score.setTextFormat(Qt.TextFormat.RichText)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self._names: list[str] = []
        self.overlay_picture: np.ndarray | None = None

        choose = QHBoxLayout()
        choose.setSpacing(6)
        choose.addWidget(QLabel("Evidence for"))
        choose.addWidget(self.target_combo, 1)
        modes = QHBoxLayout()
        modes.setSpacing(10)
        for button in self.mode_buttons.values():
            modes.addWidget(button)
        modes.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(choose)
        layout.addLayout(modes)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.score)
        layout.addWidget(self.legend)
        self.target_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        group.buttonToggled.connect(lambda _b, on: on and self.changed.emit())

    # --- the choices -------------------------------------------------------------------

    def set_class_names(self, names: list[str]) -> None:
        if list(names) == self._names:
            return
        self._names = list(names)
        self.target_combo.blockSignals(True)
        self.target_combo.clear()
        self.target_combo.addItem("the predicted class", None)
        for k, name in enumerate(names):
            self.target_combo.addItem(f"class {name}", k)
        self.target_combo.blockSignals(False)

    def target(self) -> int | None:
        """The chosen class, or None for the predicted one."""
        return self.target_combo.currentData()

    def set_target(self, k: int | None) -> None:
        self.target_combo.setCurrentIndex(max(0, self.target_combo.findData(k)))

    def mode(self) -> str:
        return next(m for m, b in self.mode_buttons.items() if b.isChecked())

    def set_mode(self, mode: str) -> None:
        self.mode_buttons[mode].setChecked(True)

    # --- showing -----------------------------------------------------------------------

    def show_evidence(self, image: np.ndarray, evidence, probabilities: np.ndarray,
                      predicted: int) -> None:
        """Draw the evidence (an engine ``Evidence``) over ``image`` (H, W)."""
        names = self._names or [str(k) for k in range(len(probabilities))]
        c = names[evidence.target]
        self.target_combo.setItemText(0, f"the predicted class ({names[predicted]})")
        self.mode_buttons["ink_helps"].setText(f"What would make it a {c}?")
        values = getattr(evidence, self.mode()).reshape(image.shape)
        scale = max(1, SIZE // max(image.shape))
        self.overlay_picture = overlay(image, values, scale)
        self.picture.setPixmap(to_pixmap(self.overlay_picture))
        p = float(probabilities[evidence.target])
        self.score.setText(f"Score for <b>{html.escape(c)}</b> (before softmax): "
                           f"{evidence.score:.3g} · probability {100 * p:.1f}%")
        self.legend.setText(LEGENDS[self.mode()].format(c=html.escape(c)))

    def show_unavailable(self, text: str) -> None:
        self.overlay_picture = None
        self.picture.clear()
        self.picture.setText(f"<span style='color: gray'>{html.escape(text)}</span>")
        self.score.clear()
        self.legend.clear()
