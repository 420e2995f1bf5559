"""The runs list as a Qt table model: one row per kept run, its name editable (renaming the
run's file), every column sortable through ``SORT_ROLE``."""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal

from . import compare

COLUMNS = ("Name", "Date", "Dataset", "Test accuracy", "Validation accuracy", "Epochs", "Time",
           "Why it ended")
NAME, DATE, DATASET, TEST, VAL, EPOCHS, TIME, REASON = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
REASON_TIPS = {"completed": "Trained for every epoch it was given",
               "stopped": "Stopped before its last epoch",
               "early_stopping": "Stopped early: the validation loss stopped improving",
               "diverged": "Diverged: the loss stopped being a finite number",
               "failed": "Failed with an error"}


class RunsModel(QAbstractTableModel):
    """The records of a ``RunStore``. Editing a name renames the run on disk; a refused
    name (empty, or a file that cannot be written) emits ``renameFailed(message)``."""

    renameFailed = Signal(str)
    renamed = Signal(str)  # the run's id

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.store = store
        self.records: list[dict] = []

    def set_runs(self, records: list[dict]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def row_of(self, run_id: str) -> int:
        return next((i for i, r in enumerate(self.records) if r["id"] == run_id), -1)

    # --- Qt's model interface --------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index):
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsEditable if index.column() == NAME else flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        record, column = self.records[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(record, column)
        if role == SORT_ROLE:
            return self._sort_key(record, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (TEST, VAL, EPOCHS, TIME):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == NAME:
                return f"{record['name']} (id {record['id']}); double-click to rename"
            if column == REASON:
                return REASON_TIPS.get(record.get("reason"), record.get("reason"))
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or index.column() != NAME or role != Qt.ItemDataRole.EditRole:
            return False
        record = self.records[index.row()]
        if str(value).strip() == record["name"]:
            return False
        try:
            self.records[index.row()] = self.store.rename(record["id"], str(value))
        except ValueError as exc:
            self.renameFailed.emit(f"{exc.args[0].capitalize()}: the run keeps its name "
                                   f"{record['name']!r}.")
            return False
        except (KeyError, OSError) as exc:
            reason = exc.args[0] if isinstance(exc, KeyError) else (exc.strerror or exc)
            self.renameFailed.emit(f"The run {record['name']!r} could not be renamed: {reason}")
            return False
        self.dataChanged.emit(index, index)
        self.renamed.emit(record["id"])
        return True

    # --- cells -----------------------------------------------------------------------

    @staticmethod
    def _text(record: dict, column: int) -> str:
        metrics = record.get("metrics") or {}
        if column == NAME:
            return record["name"]
        if column in (DATE, DATASET):
            return str(record.get("date" if column == DATE else "dataset", ""))
        if column in (TEST, VAL):
            return compare.percent(metrics.get("test_accuracy" if column == TEST
                                               else "val_accuracy"))
        if column == EPOCHS:
            return str(compare.epochs(record))
        if column == TIME:
            return compare.duration(record.get("seconds"))
        return compare.reason_text(record)

    @staticmethod
    def _sort_key(record: dict, column: int):
        """Numbers for the figures (a missing one below every figure), the id for the date
        (it begins with the date and time, to the millisecond), text for the rest."""
        metrics = record.get("metrics") or {}
        if column in (TEST, VAL, TIME):
            value = compare.number(record.get("seconds") if column == TIME else
                                   metrics.get("test_accuracy" if column == TEST
                                               else "val_accuracy"))
            return value if math.isfinite(value) else -1.0
        if column == EPOCHS:
            return compare.epochs(record)
        if column == DATE:
            return record["id"]
        return RunsModel._text(record, column).casefold()
