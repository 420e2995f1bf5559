"""The choice of input to look at: the pad's drawing, a test digit by number, one of "my
digits", or an input handed to the page."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QStackedWidget, QToolButton, QWidget)

SOURCES = (("test", "Test digit"), ("mine", "My digits"), ("drawing", "Drawing"))


class NumberPicker(QWidget):
    """A spin box between ‹ and › buttons, and how many there are."""

    def __init__(self, name: str, tip: str, parent=None):
        super().__init__(parent)
        self.spin = QSpinBox()
        self.spin.setObjectName(name)
        self.spin.setWrapping(True)
        self.spin.setToolTip(tip)
        self.spin.setMinimumWidth(90)
        self.prev_button, self.next_button = QToolButton(), QToolButton()
        self.prev_button.setArrowType(Qt.ArrowType.LeftArrow)
        self.next_button.setArrowType(Qt.ArrowType.RightArrow)
        self.prev_button.clicked.connect(lambda: self.spin.stepBy(-1))
        self.next_button.clicked.connect(lambda: self.spin.stepBy(1))
        self.count = QLabel()
        self.count.setStyleSheet("color: gray")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for w in (self.prev_button, self.spin, self.next_button, self.count):
            layout.addWidget(w)

    def set_count(self, n: int, text: str) -> None:
        self.spin.blockSignals(True)
        self.spin.setRange(0, max(n - 1, 0))
        self.spin.blockSignals(False)
        for w in (self.spin, self.prev_button, self.next_button):
            w.setEnabled(n > 0)
        self.count.setText(text)


class InputChooser(QWidget):
    """``source_combo`` (test, mine, drawing, and "given" once an input is handed over),
    ``test_picker`` and ``mine_picker``. ``changed`` when the choice changes;
    ``padRequested`` when the person asks for the pad."""

    changed = Signal()
    padRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("inspectorSource")
        self.source_combo.setToolTip("What to feed the network")
        for key, text in SOURCES:
            self.source_combo.addItem(text, key)
        self.test_picker = NumberPicker("inspectorTestSpin", "Which test image to feed the network")
        self.mine_picker = NumberPicker("inspectorMineSpin", "Which of your own digits")
        self.pad_button = QPushButton("Draw on the pad…")
        self.pad_button.setToolTip("Show the drawing pad: the page follows every stroke")
        drawing = QWidget()
        row = QHBoxLayout(drawing)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.pad_button)
        note = QLabel("follows every stroke on the pad")
        note.setStyleSheet("color: gray")
        row.addWidget(note)
        self.given_label = QLabel()
        self.stack = QStackedWidget()
        for w in (self.test_picker, self.mine_picker, drawing, self.given_label):
            self.stack.addWidget(w)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(QLabel("Input:"))
        layout.addWidget(self.source_combo)
        layout.addWidget(self.stack)
        layout.addStretch(1)
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.test_picker.spin.valueChanged.connect(lambda _v: self.changed.emit())
        self.mine_picker.spin.valueChanged.connect(lambda _v: self.changed.emit())
        self.pad_button.clicked.connect(self.padRequested)

    def source(self) -> str:
        return self.source_combo.currentData()

    def set_source(self, key: str) -> None:
        """Choose a source; emits ``changed`` even when it was chosen already."""
        index = self.source_combo.findData(key)
        if index == self.source_combo.currentIndex():
            self.changed.emit()
        self.source_combo.setCurrentIndex(index)

    def set_given(self, caption: str) -> None:
        """An input handed to the page, named ``caption``, becomes a choice of its own."""
        if self.source_combo.findData("given") < 0:
            self.source_combo.addItem("Given input", "given")
        self.given_label.setText(caption)

    def _on_source_changed(self, _index: int) -> None:
        keys = [key for key, _ in SOURCES] + ["given"]
        self.stack.setCurrentIndex(keys.index(self.source()))
        self.changed.emit()
