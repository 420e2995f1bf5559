"""The layer rows of the form: a table model of the spec's layers, and a view whose rows are
dragged to reorder them.

Each row is an overview: the layer's name, its settings in a few words, its activation and
initializer, the shape it gives and its parameter count. The settings are edited under the
table, in ``layer_settings.py`` (the selected row's). Which settings a type has comes from the
engine's layer registry (``engine.choices()``'s ``layer_types``); moves are reported
(``moveRequested``), never made here: the form turns them into undoable commands, and the
model shows the spec the document then holds.
"""

from __future__ import annotations

from numbers import Real

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableView, QWidget

from nndesk.engine.layers import shape_text

from .form_text import LAYER_TITLES
from .widgets import brush, format_count

LAYER_MIME = "application/x-nndesk-layer-row"
COLUMNS = ("Layer", "Settings", "Activation", "Initializer", "Output", "Params")
COL_TYPE, COL_SETTINGS, COL_ACT, COL_INIT, COL_OUT, COL_PARAMS = range(len(COLUMNS))
MAX_ROWS_SHOWN = 10
# The settings column keeps room for this much text; the activation and initializer columns
# (also under the table, with the layer's other settings) give way to it in a narrow form.
SETTINGS_ROOM = "16 filters 5x5, same"


def layer_title(kind: str) -> str:
    return LAYER_TITLES.get(kind, kind.capitalize())


def number(value) -> str:
    return f"{value:g}" if isinstance(value, Real) and not isinstance(value, bool) else str(value)


def square(value) -> str:
    """A kernel or window size as 5x5 (or 3x5 for [3, 5])."""
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]}x{value[1]}"
    return f"{value}x{value}" if isinstance(value, int) else str(value)


def settings_text(kind: str, get) -> tuple[str, str]:
    """A layer's settings in a few words, and spelled out; ``get(setting)`` gives each one's
    value (its default when the spec leaves it out)."""
    if kind == "dense":
        return f"{get('units')} units", f"{get('units')} neurons"
    if kind == "conv2d":
        stride, padding = get("stride"), get("padding")
        short = [f"{get('filters')} filters {square(get('kernel_size'))}"]
        if stride != 1:
            short.append(f"stride {stride}")
        if padding != "valid":
            short.append(padding if isinstance(padding, str) else f"pad {padding}")
        pad = f"'{padding}'" if isinstance(padding, str) else f"{padding} pixels of"
        return ", ".join(short), (f"{get('filters')} filters of {square(get('kernel_size'))}, "
                                  f"stride {stride}, {pad} padding")
    if kind in ("maxpool2d", "avgpool2d"):
        size, stride = get("pool_size"), get("stride")
        window = square(size)
        if stride is None or stride == size:
            return window, f"{window} windows side by side"
        return f"{window}, stride {stride}", f"{window} windows, {stride} pixels apart"
    if kind == "batchnorm":
        epsilon = "" if get("epsilon") == 1e-5 else f", epsilon {number(get('epsilon'))}"
        return (f"momentum {number(get('momentum'))}{epsilon}",
                f"momentum {number(get('momentum'))}, epsilon {number(get('epsilon'))}")
    if kind == "dropout":
        return f"rate {number(get('rate'))}", f"drops {number(get('rate'))} of its inputs"
    return "", ""


class LayerModel(QAbstractTableModel):
    """The spec's layers as rows. Moves are reported, not made: the document makes them, and
    the model then shows them."""

    moveRequested = Signal(int, int)

    def __init__(self, choices: dict, parent=None):
        super().__init__(parent)
        self.choices = choices
        self.layers: list[dict] = []
        self.kinds: list[str] = []
        self.summary: list = []  # describe()'s rows, or [] while the spec is invalid
        self.problems: dict[int, list[str]] = {}  # row -> its messages
        self.color = None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.layers)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index):
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def value(self, row: int, setting: str):
        """Layer ``row``'s ``setting``: its value, else its default."""
        defaults = self.choices["layer_types"].get(self.kinds[row], {})
        return self.layers[row].get(setting, defaults.get(setting))

    def _has(self, row: int, setting: str) -> bool:
        return setting in self.choices["layer_types"].get(self.kinds[row], {})

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (COL_OUT, COL_PARAMS):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if self._text(row, col) == "–":
                return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        if role == Qt.ItemDataRole.ForegroundRole and row in self.problems \
                and col in (COL_TYPE, COL_SETTINGS):
            return brush(self.color)
        return None

    def _text(self, row: int, col: int) -> str:
        kind = self.kinds[row]
        if col == COL_TYPE:
            return f"{row + 1}  {layer_title(kind)}"
        if col == COL_SETTINGS:
            return settings_text(kind, lambda s: self.value(row, s))[0] or "–"
        if col == COL_ACT:
            return str(self.value(row, "activation")) if self._has(row, "activation") else "–"
        if col == COL_INIT:
            if not self._has(row, "initializer"):
                return "–"
            return str(self.value(row, "initializer") or "default")
        if row >= len(self.summary):
            return "–"
        r = self.summary[row]
        return shape_text(r["output_shape"]) if col == COL_OUT else format_count(r["params"])

    def _tooltip(self, row: int, col: int) -> str | None:
        if row in self.problems:
            return "\n".join(self.problems[row])
        kind = self.kinds[row]
        if col == COL_TYPE:
            description = self.choices.get("descriptions", {}).get("layer_types", {}).get(kind, kind)
            return f"{description}. Drag the row to move the layer."
        if col == COL_SETTINGS:
            return settings_text(kind, lambda s: self.value(row, s))[1] or None
        if col == COL_OUT and row < len(self.summary):
            shape = self.summary[row]["output_shape"]
            what = "channels x height x width" if len(shape) == 3 else "values"
            return f"Each sample leaves this layer as {shape_text(shape)} ({what})"
        return None

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

    def show_problems(self, problems: dict[int, list[str]], color: str) -> None:
        self.problems, self.color = dict(problems), color
        self._changed()

    def _changed(self) -> None:
        if self.layers:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.layers) - 1, len(COLUMNS) - 1))


class LayerTable(QTableView):
    """The layer rows; a row is selected to edit its settings, and dragged to move it."""

    moveRequested = Signal(int, int)  # the model's

    def __init__(self, choices: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.layer_model = LayerModel(choices, self)
        self.layer_model.moveRequested.connect(self.moveRequested)
        self.setModel(self.layer_model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDropIndicatorShown(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(28)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumSectionSize(20)
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if col == COL_SETTINGS
                                        else QHeaderView.ResizeMode.Fixed)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def rowCount(self) -> int:  # noqa: N802
        return self.layer_model.rowCount()

    def currentRow(self) -> int:  # noqa: N802
        return self.currentIndex().row()

    def show_layers(self, layers: list) -> None:
        """Show ``layers`` (configs from the spec), keeping the selected row's place."""
        row = self.currentRow() if self.selectedIndexes() else -1
        if self.layer_model.show_layers(layers):
            if row >= 0 and self.rowCount():
                self.selectRow(min(row, self.rowCount() - 1))
            self.fit_height()
        self.fit_columns()

    def show_summary(self, rows: list) -> None:
        """Each row's output shape and parameter count (``describe``'s rows; none: dashes)."""
        self.layer_model.show_summary(rows)
        self.fit_columns()

    def show_problems(self, by_layer: dict, color: str) -> None:
        """Mark the rows with a problem (``{(row, field): message}``), its messages as tooltip."""
        rows: dict[int, list[str]] = {}
        for (row, _field), message in by_layer.items():
            rows.setdefault(row, []).append(message)
        self.layer_model.show_problems(rows, color)

    def fit_height(self) -> None:
        rows = max(self.rowCount(), 2)
        row_height = self.verticalHeader().defaultSectionSize()
        height = self.horizontalHeader().height() + min(rows, MAX_ROWS_SHOWN) * row_height
        self.setFixedHeight(height + 2 * self.frameWidth())

    def fit_columns(self) -> None:
        """Every column as wide as its contents; the settings column takes the rest, and the
        activation and initializer columns show only while that leaves it its room."""
        header = self.horizontalHeader()
        widths = {col: max(self.sizeHintForColumn(col), header.sectionSizeHint(col))
                  for col in (COL_TYPE, COL_ACT, COL_INIT, COL_OUT, COL_PARAMS)}
        if not self.layer_model.summary:  # dashes while the spec is invalid: keep the widths
            for col in (COL_OUT, COL_PARAMS):
                widths[col] = max(widths[col], self.columnWidth(col))
        room = (self.viewport().width() - widths[COL_TYPE] - widths[COL_OUT] - widths[COL_PARAMS]
                - self.fontMetrics().horizontalAdvance(SETTINGS_ROOM) - 16)
        shown = {COL_ACT: room >= widths[COL_ACT],
                 COL_INIT: room >= widths[COL_ACT] + widths[COL_INIT]}
        for col, width in widths.items():
            self.setColumnHidden(col, not shown.get(col, True))
            if shown.get(col, True):
                self.setColumnWidth(col, width)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.fit_columns()

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
