"""Small widgets and formatting helpers shared by the window's panels."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ERROR_COLOR = "#d64545"


def is_dark(widget: QWidget | None = None) -> bool:
    """True when the palette in use is a dark one (light text on a dark window)."""
    palette = widget.palette() if widget is not None else QPalette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def error_color(widget: QWidget | None = None) -> str:
    return "#ff7b72" if is_dark(widget) else ERROR_COLOR


def format_count(n: int | float) -> str:
    return f"{int(n):,}"


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def format_flops(n: float) -> str:
    for unit, scale in (("GFLOPs", 1e9), ("MFLOPs", 1e6), ("kFLOPs", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:.0f} FLOPs"


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_number(x: float, digits: int = 6) -> str:
    """A compact rendering of a hyperparameter with up to ``digits`` significant digits
    (1e-08, 0.001, 0.9)."""
    if x == 0:
        return "0"
    if abs(x) < 1e-4 or abs(x) >= 1e5:
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent):+03d}"
    text = f"{x:.{digits}g}"
    return text if "e" not in text else f"{x:f}".rstrip("0").rstrip(".")


class SciSpinBox(QDoubleSpinBox):
    """A spin box for values spanning decades (learning rates, epsilons).

    Shows ``0.001`` or ``1e-08`` rather than a fixed number of decimals, accepts the
    same when typed, and the arrows multiply or divide by about 2 (a step of 10
    with Page Up/Down) instead of adding a fixed amount.
    """

    def __init__(self, parent: QWidget | None = None, minimum: float = 0.0, maximum: float = 1e6,
                 digits: int = 6):
        super().__init__(parent)
        self.digits = digits
        self.setDecimals(15)
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(True)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.setStepType(QAbstractSpinBox.StepType.DefaultStepType)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return format_number(value, self.digits)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):  # noqa: D102
        stripped = text.strip()
        if not stripped:
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            if all(c in "0123456789.eE+-" for c in stripped):
                return QValidator.State.Intermediate, text, pos
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(value):
            return QValidator.State.Invalid, text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def fixup(self, text: str) -> str:  # noqa: D102
        return format_number(self.value(), self.digits)

    def stepBy(self, steps: int) -> None:  # noqa: N802
        value = self.value()
        if value <= 0:
            value = 1e-4 if steps > 0 else 0.0
            steps = 0
        self.setValue(min(max(value * (2.0 ** steps), self.minimum()), self.maximum()))

    def stepEnabled(self):  # noqa: N802
        return (QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
                | QAbstractSpinBox.StepEnabledFlag.StepDownEnabled)


class CompactSpinBox(QDoubleSpinBox):
    """A double spin box that shows 0.9 rather than 0.9000 (up to six decimals)."""

    def __init__(self, parent: QWidget | None = None, minimum: float = 0.0, maximum: float = 1.0,
                 step: float = 0.01):
        super().__init__(parent)
        self.setDecimals(6)
        self.setRange(minimum, maximum)
        self.setSingleStep(step)

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return f"{value:.6f}".rstrip("0").rstrip(".") if value else "0"


class FieldBox(QWidget):
    """A caption, an editor, and an inline problem message shown under the editor. A combo
    box may be narrower than its longest item (its list shows them whole), so that two fields
    fit side by side in a narrow form."""

    def __init__(self, caption: str, editor: QWidget, tooltip: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        if isinstance(editor, QComboBox):
            editor.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            editor.setMinimumContentsLength(8)
        self.caption = QLabel(caption)
        self.caption.setBuddy(editor)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.error.setObjectName("fieldError")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(editor)
        layout.addWidget(self.error)
        if tooltip:
            for w in (self.caption, editor):
                w.setToolTip(tooltip)

    def set_problem(self, message: str | None) -> None:
        set_invalid(self.editor, bool(message))
        self.error.setText(message or "")
        self.error.setStyleSheet(f"color: {error_color(self)};")
        self.error.setVisible(bool(message))


def buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A label whose mnemonic (``&``) focuses ``buddy`` and which shows its tooltip."""
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setToolTip(buddy.toolTip())
    return label


def set_invalid(widget: QWidget, invalid: bool, message: str | None = None) -> None:
    """Mark an editor as holding a bad value (a red frame, drawn by the window's style sheet)."""
    if bool(widget.property("invalid")) != invalid:
        widget.setProperty("invalid", invalid)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
    if message is not None:
        widget.setToolTip(message)


class Banner(QFrame):
    """A dismissible message strip for failures ("what happened, what to try next")."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss this message")
        close.clicked.connect(self.hide)
        close.clicked.connect(self.dismissed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 4, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str) -> None:
        dark = is_dark(self)
        background = QColor("#4a1f1f" if dark else "#fdecea")
        border = QColor("#a33" if dark else "#e0a0a0")
        self.setStyleSheet(
            f"#banner {{ background: {background.name()}; border: 1px solid {border.name()};"
            f" border-radius: 4px; }}")
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


def set_spin(spin, value) -> None:
    """Show ``value`` without a valueChanged signal (the spec changed, not the person)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return
    if isinstance(spin, QSpinBox):
        number = int(number)
    if spin.value() != number:
        spin.blockSignals(True)
        spin.setValue(number)
        spin.blockSignals(False)


def set_combo(combo: QComboBox, data) -> None:
    """Select the item holding ``data`` (by text as a fallback) without a signal."""
    index = combo.findData(data)
    if index < 0 and data is not None:
        index = combo.findText(str(data))
    if index < 0:
        index = 0 if combo.count() and combo.itemData(0) is None else -1
    if combo.currentIndex() != index:
        combo.blockSignals(True)
        combo.setCurrentIndex(index)
        combo.blockSignals(False)


def set_check(check: QCheckBox, value) -> None:
    if check.isChecked() != bool(value):
        check.blockSignals(True)
        check.setChecked(bool(value))
        check.blockSignals(False)


def html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def brush(color: str | None):
    from PySide6.QtGui import QBrush, QColor
    return QBrush(QColor(color)) if color else QBrush()


def set_text(label: QLabel, text: str) -> None:
    """Change a label's text only when it differs (a change can re-run the layout)."""
    if label.text() != text:
        label.setText(text)
