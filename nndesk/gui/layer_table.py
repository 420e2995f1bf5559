"""The layer rows of the form: a table model of the spec's layers, a view with an editor in
every setting's cell, and rows dragged to reorder them.

Which settings a row has comes from the engine's layer registry (``engine.choices()``'s
``layer_types``): each setting has an editor kind here (``EDITORS``) and a column
(``COLUMN_OF``), so a new layer type needs no list of fields in the GUI. Edits are reported
(``valueEdited``), never applied here: the form turns them into undoable commands, and the
model shows the spec the document then holds.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (QAbstractItemView, QAbstractSpinBox, QComboBox, QDoubleSpinBox, QHeaderView,
                               QSizePolicy, QSpinBox, QStyledItemDelegate, QTableView, QWidget)

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


class LayerModel(QAbstractTableModel):
    """The spec's layers as rows; a setting's cell holds its value (EditRole). Edits and
    moves are reported, not made: the document makes them, and the model then shows them."""

    valueEdited = Signal(tuple, object, str)  # (("layers", row, setting), value, undo text)
    moveRequested = Signal(int, int)

    def __init__(self, choices: dict, parent=None):
        super().__init__(parent)
        self.choices = choices
        self.layers: list[dict] = []
        self.kinds: list[str] = []
        self.summary: list = []  # describe()'s rows, or [] while the spec is invalid
        self.bad_rows: set[int] = set()
        self.color = None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.layers)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def setting(self, index: QModelIndex) -> str | None:
        """The setting a cell edits, or None."""
        if not index.isValid():
            return None
        fields = self.choices["layer_types"].get(self.kinds[index.row()], {})
        return next((s for s in fields if s in EDITORS and COLUMN_OF[s] == index.column()), None)

    def flags(self, index):
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        return flags | Qt.ItemFlag.ItemIsEditable if self.setting(index) else flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row, col = index.row(), index.column()
        kind, setting = self.kinds[row], self.setting(index)
        if role == Qt.ItemDataRole.EditRole and setting:
            defaults = self.choices["layer_types"].get(kind, {})
            return self.layers[row].get(setting, defaults.get(setting))
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_TYPE:
                return f"{row + 1}  {kind.capitalize()}"
            if col in (COL_OUT, COL_PARAMS):
                if row >= len(self.summary):
                    return "–"
                r = self.summary[row]
                return "×".join(map(str, r["output_shape"])) if col == COL_OUT else format_count(r["params"])
            return None if setting else "–"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (COL_OUT, COL_PARAMS):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if col != COL_TYPE and not setting:
                return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_TYPE:
            descriptions = self.choices.get("descriptions", {}).get("layer_types", {})
            return descriptions.get(kind, kind) + ". Drag the row by its name to move it."
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_TYPE and row in self.bad_rows:
            return brush(self.color)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        setting = self.setting(index)
        if not setting or role != Qt.ItemDataRole.EditRole:
            return False
        row = index.row()
        self.valueEdited.emit(("layers", row, setting), value,
                              f"Change {CAPTION[setting]} of layer {row + 1}")
        return True

    def moveRows(self, source_parent, source: int, count: int, target_parent, target: int) -> bool:  # noqa: N802
        if count == 1 and source != target:
            self.moveRequested.emit(source, min(target, self.rowCount() - 1))
        return False  # the rows move when the document does

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [LAYER_MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        mime.setData(LAYER_MIME, str(indexes[0].row()).encode())
        return mime

    def dropMimeData(self, data, action, row: int, column: int, parent) -> bool:  # noqa: N802
        """A row dropped onto ``parent``'s row (or before ``row``): ask for the move."""
        if not data.hasFormat(LAYER_MIME):
            return False
        source = int(bytes(data.data(LAYER_MIME)).decode())
        target = parent.row() if parent.isValid() else row if row >= 0 else self.rowCount() - 1
        return self.moveRows(QModelIndex(), source, 1, QModelIndex(), target)

    def show_layers(self, layers: list) -> bool:
        """Show ``layers``; True when the rows were laid out anew (the kinds changed)."""
        layers = [c if isinstance(c, dict) else {} for c in layers]
        kinds = [str(c.get("type", "?")) for c in layers]
        if kinds != self.kinds:
            self.beginResetModel()
            self.layers, self.kinds = layers, kinds
            self.endResetModel()
            return True
        self.layers = layers
        self._changed()
        return False

    def show_summary(self, rows: list) -> None:
        self.summary = list(rows)
        self._changed()

    def show_bad_rows(self, rows: set[int], color: str) -> None:
        self.bad_rows, self.color = set(rows), color
        self._changed()

    def _changed(self) -> None:
        if self.layers:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.layers) - 1, len(COLUMNS) - 1))


class SettingDelegate(QStyledItemDelegate):
    """A setting's editor, from ``EDITORS``; every change is committed at once."""

    def __init__(self, choices: dict, parent=None):
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent, option, index):  # noqa: N802
        setting = index.model().setting(index)
        editor, read = EDITORS[setting](self.choices)
        editor.setParent(parent)
        editor.setFrame(False)
        editor.setToolTip(TOOLTIPS["layer_initializer" if setting == "initializer" else setting])
        editor.setProperty("setting", setting)
        if isinstance(editor, QComboBox):
            editor.activated.connect(lambda _: index.model().setData(index, editor.currentData()))
        else:
            editor.valueChanged.connect(lambda v: index.model().setData(index, read(v)))
        return editor

    def setEditorData(self, editor, index) -> None:  # noqa: N802
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            set_combo(editor, value)
        else:
            set_spin(editor, value if value is not None else 0)

    def setModelData(self, editor, model, index) -> None:  # noqa: N802
        pass  # every change was reported as it happened (createEditor)


class LayerTable(QTableView):
    """The layer rows, each setting's editor open in its cell."""

    moveRequested = Signal(int, int)  # the model's
    valueEdited = Signal(tuple, object, str)

    def __init__(self, choices: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.layer_model = LayerModel(choices, self)
        self.layer_model.valueEdited.connect(self.valueEdited)
        self.layer_model.moveRequested.connect(self.moveRequested)
        self.setModel(self.layer_model)
        self.setItemDelegate(SettingDelegate(choices, self))
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

    def rowCount(self) -> int:  # noqa: N802
        return self.layer_model.rowCount()

    def currentRow(self) -> int:  # noqa: N802
        return self.currentIndex().row()

    def editor(self, row: int, setting: str) -> QWidget | None:
        col = COLUMN_OF.get(setting)
        if col is None or not 0 <= row < self.rowCount():
            return None
        widget = self.indexWidget(self.layer_model.index(row, col))
        return widget if widget is not None and widget.property("setting") == setting else None

    def show_layers(self, layers: list) -> None:
        """Show ``layers`` (configs from the spec); editors open in every setting's cell."""
        if self.layer_model.show_layers(layers):
            m = self.layer_model
            for row in range(m.rowCount()):
                for col in (COL_SIZE, COL_ACT, COL_INIT):
                    if m.setting(m.index(row, col)):
                        self.openPersistentEditor(m.index(row, col))
                        editor = self.indexWidget(m.index(row, col))
                        if isinstance(editor, QAbstractSpinBox):
                            editor.lineEdit().deselect()  # the view selects a new editor's text
            self.fit_height()

    def show_summary(self, rows: list) -> None:
        """Each row's output shape and parameter count (``describe``'s rows; none: dashes)."""
        self.layer_model.show_summary(rows)

    def show_problems(self, by_layer: dict, color: str) -> None:
        """Mark each editor with its problem (``{(row, setting): message}``), and the rows
        whose type is wrong."""
        bad = {row for (row, setting) in by_layer if setting in (None, "type")}
        for row in range(self.rowCount()):
            for setting in EDITORS:
                widget = self.editor(row, setting)
                if widget is not None:
                    message = by_layer.get((row, setting))
                    tip = TOOLTIPS["layer_initializer" if setting == "initializer" else setting]
                    set_invalid(widget, bool(message), message or tip)
        self.layer_model.show_bad_rows(bad, color)

    def fit_height(self) -> None:
        rows = max(self.rowCount(), 2)
        height = self.horizontalHeader().height() + rows * self.verticalHeader().defaultSectionSize()
        self.setFixedHeight(min(height, 10 * 32 + 30) + 2 * self.frameWidth())

    # --- dragging rows ---------------------------------------------------------------

    def startDrag(self, actions) -> None:  # noqa: N802
        row = self.currentRow()
        if row < 0:
            return
        drag = QDrag(self)
        drag.setMimeData(self.layer_model.mimeData([self.layer_model.index(row, 0)]))
        rect = self.visualRect(self.model().index(row, 0)).united(
            self.visualRect(self.model().index(row, self.columnCount() - 1)))
        drag.setPixmap(self.viewport().grab(rect))
        drag.setHotSpot(QPoint(12, rect.height() // 2))
        drag.exec(Qt.DropAction.MoveAction)  # the drop asks the model for the move

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
        """Hand the row under the cursor to the model (the view must not move rows itself)."""
        mime = event.mimeData()
        if not mime.hasFormat(LAYER_MIME):
            event.ignore()
            return
        target = self.drop_row_at(event.position().toPoint().y())
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.layer_model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, 0,
                                      self.layer_model.index(target, 0))
