"""The settings of the layer selected in the table, each with its editor and, under it, the
engine's message about it.

Which settings a layer has comes from the engine's layer registry (``engine.choices()``'s
``layer_types``); each setting has an editor kind here (``EDITORS``), so a new layer type
needs no list of fields in the GUI. Edits are reported (``valueEdited``), never applied here:
the form turns them into undoable commands, and shows the spec the document then holds. The
editors allow values the engine refuses, and text fields pass on text they cannot read, so
that the engine's message is what a person reads.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFrame, QGridLayout, QLabel, QSpinBox,
                               QVBoxLayout, QWidget)

from .form_text import LAYER_SETTINGS
from .layer_table import layer_title
from .widgets import CompactSpinBox, FieldBox, SciSpinBox, error_color, set_combo, set_spin

KERNEL_PAIR = re.compile(r"\[?\s*([0-9]+)\s*(?:[x×*,]|\s)\s*([0-9]+)\s*\]?", re.IGNORECASE)


def parse_kernel(text: str):
    """"5" is 5, "3 x 5" (or "3x5", "3, 5", "[3, 5]") is [3, 5]; anything else stays text."""
    stripped = text.strip()
    if re.fullmatch(r"[0-9]+", stripped):
        return int(stripped)
    pair = KERNEL_PAIR.fullmatch(stripped)
    return [int(pair[1]), int(pair[2])] if pair else text


def kernel_text(value) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]} x {value[1]}"
    return str(value)


def parse_padding(text: str):
    """'valid', 'same', a number of pixels, or the text as typed."""
    stripped = text.strip()
    if stripped.lower() in ("valid", "same"):
        return stripped.lower()
    return int(stripped) if re.fullmatch(r"[0-9]+", stripped) else text


class TextChoice(QComboBox):
    """A value picked from common ones or typed: ``parse`` reads the text, ``shown`` writes a
    value; every keystroke and every pick is reported (``edited``)."""

    edited = Signal(object)

    def __init__(self, items, parse, shown=str):
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setCompleter(None)  # completing 's' to 'same' would hide what was typed
        self.addItems(list(items))
        self.parse, self.shown = parse, shown
        self.lineEdit().textEdited.connect(lambda t: self.edited.emit(self.parse(t)))
        self.textActivated.connect(lambda t: self.edited.emit(self.parse(t)))

    def set_value(self, value) -> None:
        """Show ``value``, leaving text being typed that already reads as it alone."""
        if self.parse(self.currentText()) != value:
            self.setEditText(self.shown(value))


# Each editor kind: a function of engine.choices() giving (editor, its signal of a change,
# how to read the signal's value, how to show a value).
def _count(special: str = ""):
    def make(choices):
        spin = QSpinBox()
        spin.setRange(0, 1_000_000)
        if special:  # 0 shows ``special`` and means None (the engine's default)
            spin.setSpecialValueText(special)
        read = (lambda v: int(v) or None) if special else int
        return spin, spin.valueChanged, read, lambda v: set_spin(spin, 0 if v is None else v)
    return make


def _rate(choices):
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 1.0)
    spin.setDecimals(2)
    spin.setSingleStep(0.05)
    return spin, spin.valueChanged, lambda v: round(float(v), 4), lambda v: set_spin(spin, v)


def _fraction(choices):
    spin = CompactSpinBox(minimum=0.0, maximum=1.0, step=0.05)
    return spin, spin.valueChanged, lambda v: round(float(v), 6), lambda v: set_spin(spin, v)


def _sci(choices):
    spin = SciSpinBox(minimum=0.0, maximum=1000.0)
    return spin, spin.valueChanged, float, lambda v: set_spin(spin, v)


def _text(items, parse, shown=str):
    def make(choices):
        edit = TextChoice(items, parse, shown)
        return edit, edit.edited, lambda v: v, edit.set_value
    return make


def _named(key, default_item=False):
    def make(choices):
        combo = QComboBox()
        if default_item:
            combo.addItem("default", None)
        for name in choices[key]:
            combo.addItem(name, name)
        return combo, combo.activated, lambda _: combo.currentData(), lambda v: set_combo(combo, v)
    return make


EDITORS = {"units": _count(), "filters": _count(), "pool_size": _count(),
           "kernel_size": _text(("1", "3", "5", "7"), parse_kernel, kernel_text),
           "padding": _text(("valid", "same"), parse_padding),
           "momentum": _fraction, "epsilon": _sci, "rate": _rate,
           "activation": _named("activations"),
           "initializer": _named("initializers", default_item=True)}
# A pool's stride of None moves its window by the pool size.
STRIDES = {"conv2d": _count(), "maxpool2d": _count("= pool size"),
           "avgpool2d": _count("= pool size")}


class LayerSettings(QFrame):
    """One layer's settings in two columns (a page of editors for each layer type, made once,
    so that Tab goes through them in order); a problem with the layer as a whole (its shapes)
    is shown above them."""

    valueEdited = Signal(tuple, object, str)  # (("layers", row, setting), value, undo text)

    def __init__(self, choices: dict, parent=None):
        super().__init__(parent)
        self.setObjectName("layerSettings")
        self.choices = choices
        self.row, self.kind = -1, None
        self.title = QLabel()
        self.title.setObjectName("layerSettingsTitle")
        self.title.setStyleSheet("font-weight: bold;")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(placeholder-text);")
        self.problem = QLabel()
        self.problem.setObjectName("layerProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(4)
        for widget in (rule, self.title, self.note, self.problem):
            layout.addWidget(widget)
        # kind -> (its page, {setting: FieldBox}, {setting: how to show a value})
        self.pages: dict[str, tuple[QWidget, dict, dict]] = {}
        for kind in choices["layer_types"]:
            self.pages[kind] = self._page(kind)
            layout.addWidget(self.pages[kind][0])
        self.boxes: dict[str, FieldBox] = {}  # the shown layer's
        self.show_layer(-1, None)

    def _page(self, kind: str) -> tuple[QWidget, dict, dict]:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        boxes, shows = {}, {}
        settings = [s for s in self.choices["layer_types"][kind]
                    if s in EDITORS or (s == "stride" and kind in STRIDES)]
        for i, setting in enumerate(settings):
            make = STRIDES[kind] if setting == "stride" else EDITORS[setting]
            editor, changed, read, show = make(self.choices)
            caption, tip = LAYER_SETTINGS[setting]
            changed.connect(lambda value, s=setting, r=read: self._edited(s, r(value)))
            boxes[setting], shows[setting] = FieldBox(caption, editor, tip), show
            boxes[setting].setObjectName(f"layerField:{setting}")
            grid.addWidget(boxes[setting], i // 2, i % 2, Qt.AlignmentFlag.AlignTop)
        page.hide()
        return page, boxes, shows

    def show_layer(self, row: int, config: dict | None) -> None:
        """Show layer ``row``'s settings (``config`` from the spec); -1: none selected."""
        config = config if isinstance(config, dict) and row >= 0 else None
        self.row = row if config is not None else -1
        self.kind = str(config.get("type", "?")) if config is not None else None
        page, self.boxes, shows = self.pages.get(self.kind, (None, {}, {}))
        for other, *_ in self.pages.values():
            other.setVisible(other is page)
        if config is None:
            self.title.hide()
            self.note.setText("Select a layer above to see and change its settings.")
            return
        descriptions = self.choices.get("descriptions", {}).get("layer_types", {})
        self.title.setText(f"Layer {row + 1} · {layer_title(self.kind)}")
        self.title.show()
        self.note.setText(descriptions.get(self.kind, f"{self.kind} is not a layer type")
                          + ("" if self.boxes else ". It has no settings."))
        defaults = self.choices["layer_types"].get(self.kind, {})
        for setting, show in shows.items():
            show(config.get(setting, defaults.get(setting)))

    def show_problems(self, by_layer: dict) -> None:
        """Each setting's message under it; the layer's others above them
        (``by_layer``: {(row, field): message} of every layer)."""
        own = {field: message for (row, field), message in by_layer.items() if row == self.row}
        for setting, box in self.boxes.items():
            box.set_problem(own.get(setting))
        rest = [message for field, message in own.items() if field not in self.boxes]
        self.problem.setText("\n".join(rest))
        self.problem.setStyleSheet(f"color: {error_color(self)};")
        self.problem.setVisible(bool(rest))

    def _edited(self, setting: str, value) -> None:
        if self.row >= 0:
            caption = LAYER_SETTINGS[setting][0].lower()
            self.valueEdited.emit(("layers", self.row, setting), value,
                                  f"Change the {caption} of layer {self.row + 1}")
