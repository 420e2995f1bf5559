"""The layer rows of the form: one row a layer, its settings edited in place, rows dragged to
reorder them.

Which settings a row has comes from the engine's layer registry (``engine.choices()``'s
``layer_types``): each setting has an editor kind here (``EDITORS``) and a column
(``COLUMN_OF``), so a new layer type needs no list of fields in the GUI. Edits are reported
(``valueEdited``), never applied here: the form turns them into undoable commands.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QHeaderView,
                               QSizePolicy, QSpinBox, QTableWidget, QTableWidgetItem, QWidget)

from .form_text import TOOLTIPS
from .widgets import brush, format_count, set_combo, set_invalid, set_spin

LAYER_MIME = "application/x-nndesk-layer-row"
COLUMNS = ("Layer", "Size", "Activation", "Initializer", "Output", "Params")
COL_TYPE, COL_SIZE, COL_ACT, COL_INIT, COL_OUT, COL_PARAMS = range(len(COLUMNS))
COLUMN_OF = {"units": COL_SIZE, "rate": COL_SIZE, "activation": COL_ACT, "initializer": COL_INIT}
CAPTION = {"units": "units", "rate": "dropout rate", "activation": "activation",
           "initializer": "initializer"}


def _units(choices):
    spin = QSpinBox()
    spin.setRange(0, 1_000_000)
    return spin, lambda v: int(v)


def _rate(choices):
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 1.0)
    spin.setDecimals(2)
    spin.setSingleStep(0.05)
    return spin, lambda v: round(float(v), 4)


def _named(key, default_item=False):
    def make(choices):
        combo = QComboBox()
        if default_item:
            combo.addItem("default", None)
        for name in choices[key]:
            combo.addItem(name, name)
        return combo, None
    return make


# setting -> a function of engine.choices() giving (editor, how to read its value)
EDITORS = {"units": _units, "rate": _rate, "activation": _named("activations"),
           "initializer": _named("initializers", default_item=True)}


class LayerTable(QTableWidget):
    """The layer rows; rows are dragged by their number or name to reorder them."""

    moveRequested = Signal(int, int)
    valueEdited = Signal(tuple, object, str)  # (("layers", row, setting), value, undo text)

    def __init__(self, choices: dict, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
        self.choices = choices
        self._kinds: list[str] = []
        self._editors: list[dict[str, QWidget]] = []
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDropIndicatorShown(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(32)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumSectionSize(20)
        widths = {COL_TYPE: 76, COL_SIZE: 66, COL_ACT: 92, COL_INIT: None, COL_OUT: 48,
                  COL_PARAMS: 64}
        for col, width in widths.items():
            if width is None:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
                self.setColumnWidth(col, width)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def editor(self, row: int, setting: str) -> QWidget | None:
        if 0 <= row < len(self._editors):
            return self._editors[row].get(setting)
        return None

    # --- showing the layers ------------------------------------------------------------

    def show_layers(self, layers: list) -> None:
        """Show ``layers`` (configs from the spec); rows are rebuilt when the kinds change."""
        kinds = [str(c.get("type", "?")) if isinstance(c, dict) else "?" for c in layers]
        if kinds != self._kinds:
            self._rebuild(kinds)
        for row, cfg in enumerate(layers):
            if not isinstance(cfg, dict):
                continue
            defaults = self.choices["layer_types"].get(kinds[row], {})
            for setting, editor in self._editors[row].items():
                value = cfg.get(setting, defaults.get(setting))
                if isinstance(editor, QComboBox):
                    set_combo(editor, value)
                else:
                    set_spin(editor, value if value is not None else 0)

    def _rebuild(self, kinds: list[str]) -> None:
        descriptions = self.choices.get("descriptions", {}).get("layer_types", {})
        self.setRowCount(0)
        self.setRowCount(len(kinds))
        self._kinds, self._editors = list(kinds), []
        for row, kind in enumerate(kinds):
            name = QTableWidgetItem(f"{row + 1}  {kind.capitalize()}")
            name.setToolTip(descriptions.get(kind, kind) + ". Drag the row by its name to move it.")
            self.setItem(row, COL_TYPE, name)
            for col in (COL_OUT, COL_PARAMS):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(row, col, item)
            editors = {}
            for setting in self.choices["layer_types"].get(kind, {}):
                if setting in EDITORS:
                    editors[setting] = self._make_editor(row, setting)
                    self.setCellWidget(row, COLUMN_OF[setting], editors[setting])
            for col in (COL_SIZE, COL_ACT, COL_INIT):
                if col not in {COLUMN_OF[s] for s in editors}:
                    item = QTableWidgetItem("–")
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    self.setItem(row, col, item)
            self._editors.append(editors)
        self.fit_height()

    def _make_editor(self, row: int, setting: str) -> QWidget:
        editor, read = EDITORS[setting](self.choices)
        editor.setFrame(False)
        editor.setToolTip(TOOLTIPS["layer_initializer" if setting == "initializer" else setting])
        text = f"Change {CAPTION[setting]} of layer {row + 1}"
        path = ("layers", row, setting)
        if isinstance(editor, QComboBox):
            editor.activated.connect(lambda _: self.valueEdited.emit(path, editor.currentData(), text))
        else:
            editor.valueChanged.connect(lambda v: self.valueEdited.emit(path, read(v), text))
        return editor

    def show_summary(self, rows: list) -> None:
        """Each row's output shape and parameter count (``describe``'s rows; none: dashes)."""
        for row in range(self.rowCount()):
            out, params = self.item(row, COL_OUT), self.item(row, COL_PARAMS)
            if row < len(rows):
                out.setText("×".join(str(d) for d in rows[row]["output_shape"]))
                params.setText(format_count(rows[row]["params"]))
            else:
                out.setText("–")
                params.setText("–")

    def show_problems(self, by_layer: dict, color: str) -> None:
        """Mark each editor with its problem (``{(row, setting): message}``), and the rows
        whose type is wrong."""
        for row, editors in enumerate(self._editors):
            bad = (row, None) in by_layer or (row, "type") in by_layer
            for setting, widget in editors.items():
                message = by_layer.get((row, setting))
                tip = TOOLTIPS["layer_initializer" if setting == "initializer" else setting]
                set_invalid(widget, bool(message), message or tip)
            item = self.item(row, COL_TYPE)
            if item is not None:
                item.setForeground(brush(color) if bad else brush(None))

    def fit_height(self) -> None:
        rows = max(self.rowCount(), 2)
        height = self.horizontalHeader().height() + rows * self.verticalHeader().defaultSectionSize()
        self.setFixedHeight(min(height, 10 * 32 + 30) + 2 * self.frameWidth())

    # --- dragging rows ---------------------------------------------------------------

    def startDrag(self, actions) -> None:  # noqa: N802
        row = self.currentRow()
        if row < 0:
            return
        mime = QMimeData()
        mime.setData(LAYER_MIME, str(row).encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        rect = self.visualRect(self.model().index(row, 0)).united(
            self.visualRect(self.model().index(row, self.columnCount() - 1)))
        drag.setPixmap(self.viewport().grab(rect))
        drag.setHotSpot(QPoint(12, rect.height() // 2))
        drag.exec(Qt.DropAction.MoveAction)  # the drop handler emits moveRequested

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def drop_row_at(self, y: int) -> int:
        row = self.rowAt(y)
        return self.rowCount() - 1 if row < 0 else row

    def dropEvent(self, event) -> None:  # noqa: N802
        mime = event.mimeData()
        if not mime.hasFormat(LAYER_MIME):
            event.ignore()
            return
        source = int(bytes(mime.data(LAYER_MIME)).decode())
        target = self.drop_row_at(event.position().toPoint().y())
        event.setDropAction(Qt.DropAction.CopyAction)  # the view must not remove rows itself
        event.accept()
        if source != target:
            self.moveRequested.emit(source, target)
