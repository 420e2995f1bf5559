"""The drawing pad's widgets and their layout: the pad and its tools, what the network sees,
and what it thinks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QMenu, QPushButton, QSizePolicy,
                               QSlider, QStackedWidget, QVBoxLayout, QWidget)

from .canvas import DEFAULT_PEN_WIDTH, DrawingCanvas
from .views import PixelImage, ProbabilityBars

STEP_BOX = 3 * 28 + 2  # a 28x28 step at 3 screen pixels per pixel, inside a 1 px frame
INPUT_BOX = 5 * 28 + 2  # the network's input at 5 screen pixels per pixel
STEP_NAMES = (("raw", "raw"), ("cropped", "cropped"), ("scaled", "scaled"),
              ("centred", "centred"))


def build(panel) -> None:
    """Make the panel's widgets (as its attributes) and lay them out."""
    panel.model_label = QLabel()
    panel.model_label.setObjectName("padModelLabel")
    panel.model_label.setWordWrap(True)
    panel.model_label.setTextFormat(Qt.TextFormat.RichText)

    # The canvas and its tools.
    panel.canvas = DrawingCanvas()
    panel.pen_slider = QSlider(Qt.Orientation.Horizontal)
    panel.pen_slider.setRange(6, 40)
    panel.pen_slider.setValue(int(DEFAULT_PEN_WIDTH))
    panel.pen_slider.setToolTip("Pen width in pixels of the 280x280 pad")
    panel.pen_slider.setAccessibleName("Pen width")
    panel.pen_value = QLabel()
    panel.pen_value.setMinimumWidth(panel.pen_value.fontMetrics().horizontalAdvance("40 px") + 2)
    panel.undo_button = QPushButton("Undo")
    panel.undo_button.setToolTip("Remove the last stroke (Ctrl+Z)")
    panel.clear_button = QPushButton("Clear")
    panel.clear_button.setToolTip("Clear the pad (Esc or Delete)")
    panel.test_digit_button = QPushButton("Load a test digit")
    panel.test_digit_button.setToolTip("Put a random digit from the MNIST test set on the pad, "
                                      "to compare with your own drawing")
    panel.test_note = QLabel()
    panel.test_note.setWordWrap(True)
    panel.test_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)

    pen_row = QHBoxLayout()
    pen_row.setSpacing(6)
    pen_row.addWidget(QLabel("Pen"))
    pen_row.addWidget(panel.pen_slider, 1)
    pen_row.addWidget(panel.pen_value)
    tools = QHBoxLayout()
    tools.setSpacing(6)
    tools.addWidget(panel.undo_button)
    tools.addWidget(panel.clear_button)
    tools.addWidget(panel.test_digit_button)
    left = QVBoxLayout()
    left.setSpacing(8)
    left.addWidget(panel.canvas)
    left.addLayout(pen_row)
    left.addLayout(tools)
    left.addWidget(panel.test_note)
    left.addStretch(1)

    # What the network sees.
    panel.input_view = PixelImage(INPUT_BOX, pixelated=True)
    panel.input_view.setToolTip("The 28x28 image given to the network")
    panel.step_views = {}
    panel.step_captions = {}
    steps = QGridLayout()
    steps.setHorizontalSpacing(10)
    steps.setVerticalSpacing(2)
    for i, (key, name) in enumerate(STEP_NAMES):
        view = PixelImage(STEP_BOX, pixelated=key != "raw")
        label = caption(name)
        label.setMinimumWidth(label.fontMetrics().horizontalAdvance(f"{name} 280×280") + 4)
        label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        panel.step_views[key], panel.step_captions[key] = view, label
        row, col = divmod(i, 2)
        steps.addWidget(view, 2 * row, col, Qt.AlignmentFlag.AlignHCenter)
        steps.addWidget(label, 2 * row + 1, col, Qt.AlignmentFlag.AlignHCenter)
    middle = QVBoxLayout()
    middle.setSpacing(4)
    middle.addWidget(heading("What the network sees"))
    middle.addWidget(panel.input_view, 0, Qt.AlignmentFlag.AlignHCenter)
    middle.addWidget(caption("28 × 28 input"), 0, Qt.AlignmentFlag.AlignHCenter)
    middle.addSpacing(10)
    middle.addWidget(heading("How your drawing was prepared"))
    middle.addLayout(steps)
    middle.addStretch(1)

    # What it thinks.
    panel.result_stack = QStackedWidget()
    panel.message_label = QLabel()
    panel.message_label.setWordWrap(True)
    panel.message_label.setTextFormat(Qt.TextFormat.PlainText)
    panel.message_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    panel.message_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    panel.top_label = QLabel()
    panel.top_label.setObjectName("padTopClass")
    font = QFont(panel.top_label.font())
    font.setPointSizeF(max(font.pointSizeF(), 9.0) * 3.6)
    font.setBold(True)
    panel.top_label.setFont(font)
    panel.top_label.setTextFormat(Qt.TextFormat.PlainText)
    panel.top_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    panel.confidence_label = QLabel()
    confidence_font = QFont(panel.confidence_label.font())
    confidence_font.setPointSizeF(max(confidence_font.pointSizeF(), 9.0) * 1.3)
    panel.confidence_label.setFont(confidence_font)
    panel.confidence_label.setWordWrap(True)
    panel.confidence_label.setTextFormat(Qt.TextFormat.PlainText)
    result = QWidget()
    result_layout = QHBoxLayout(result)
    result_layout.setContentsMargins(0, 0, 0, 0)
    result_layout.setSpacing(14)
    result_layout.addWidget(panel.top_label)
    result_layout.addWidget(panel.confidence_label, 1)
    panel.result_stack.addWidget(panel.message_label)
    panel.result_stack.addWidget(result)
    height = panel.top_label.fontMetrics().height() + 4
    panel.result_stack.setFixedHeight(max(height, 3 * panel.message_label.fontMetrics().height()))

    panel.bars = ProbabilityBars()
    panel.bars.setMaximumWidth(460)
    panel.correct_button = QPushButton("That's wrong, it's a")
    panel.correct_menu = QMenu(panel.correct_button)
    panel.correct_button.setMenu(panel.correct_menu)
    panel.digits_button = QPushButton()
    panel.digits_button.setToolTip("Browse, clean and export your digits, and see how the "
                                  "model does on them")
    panel.feedback_label = QLabel()
    panel.feedback_label.setWordWrap(True)
    panel.feedback_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    panel.feedback_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    correct_row = QHBoxLayout()
    correct_row.setSpacing(6)
    correct_row.addWidget(panel.correct_button)
    correct_row.addWidget(panel.digits_button)
    correct_row.addStretch(1)
    right = QVBoxLayout()
    right.setSpacing(6)
    right.addWidget(heading("What it thinks"))
    right.addWidget(panel.result_stack)
    right.addWidget(panel.bars)
    right.addSpacing(6)
    right.addLayout(correct_row)
    right.addWidget(panel.feedback_label)
    right.addStretch(1)

    columns = QHBoxLayout()
    columns.setSpacing(24)
    columns.addLayout(left, 0)
    columns.addLayout(middle, 0)
    columns.addLayout(right, 1)
    outer = QVBoxLayout(panel)
    outer.setContentsMargins(12, 10, 12, 10)
    outer.setSpacing(10)
    outer.addWidget(panel.model_label)
    outer.addLayout(columns, 1)


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label


def caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    font = QFont(label.font())
    font.setPointSizeF(max(font.pointSizeF(), 9.0) * 0.9)
    label.setFont(font)
    return label
