"""The compared runs side by side: their final figures and exactly the settings that differ
between them (``nndesk.data.runs.differences``), one column per run."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from . import compare


def _table(name: str) -> QTableWidget:
    table = QTableWidget()
    table.setObjectName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setWordWrap(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setMinimumSectionSize(70)
    return table


class ComparisonTables(QWidget):
    """``results`` (a row per final figure) over ``settings`` (a row per differing setting,
    the setting's path as the row's label)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.results = _table("resultsTable")
        self.results.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.settings = _table("differencesTable")
        self.settings_note = QLabel()
        self.settings_note.setWordWrap(True)
        self.settings_note.setObjectName("differencesNote")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(QLabel("<b>Results</b>"))
        layout.addWidget(self.results)
        layout.addWidget(QLabel("<b>Settings that differ</b>"))
        layout.addWidget(self.settings_note)
        layout.addWidget(self.settings, 1)
        self.show_runs([], [], [])

    def show_runs(self, records: list[dict], labels: list[str], colors: list[str]) -> None:
        """The runs' figures and differing settings, each column headed by its run's label in
        its colour on the plot."""
        self._fill(self.results, labels, colors,
                   compare.result_rows(records) if records else [])
        self._fit_results()
        rows = compare.difference_rows(records) if len(records) > 1 else []
        self._fill(self.settings, labels if len(records) > 1 else [], colors,
                   [(key, [compare.setting_text(v) or "—" for v in values])
                    for key, values in rows])
        if len(records) < 2:
            note = "Select two or more runs to see the settings that differ between them."
        elif not rows:
            note = "The selected runs have the same settings."
        else:
            note = (f"{len(rows)} setting{'s differ' if len(rows) != 1 else ' differs'}; "
                    f"— where a run has no such setting.")
        self.settings_note.setText(note)

    def difference_keys(self) -> list[str]:
        """The settings in the differences table, top to bottom."""
        return [self.settings.verticalHeaderItem(i).text() for i in range(self.settings.rowCount())]

    @staticmethod
    def _fill(table: QTableWidget, labels: list[str], colors: list[str],
              rows: list[tuple[str, list[str]]]) -> None:
        table.clear()
        table.setColumnCount(len(labels))
        table.setRowCount(len(rows))
        for column, (label, color) in enumerate(zip(labels, colors)):
            header = QTableWidgetItem(label)
            header.setForeground(QColor(color))
            header.setToolTip(label)
            table.setHorizontalHeaderItem(column, header)
        for row, (key, values) in enumerate(rows):
            table.setVerticalHeaderItem(row, QTableWidgetItem(key))
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(f"{labels[column]}: {key} = {text}")
                table.setItem(row, column, item)
        table.resizeColumnsToContents()

    def _fit_results(self) -> None:
        """Make the results table exactly as tall as its rows (and its scroll bar, when the
        columns are wider than the panel)."""
        table = self.results
        table.resizeRowsToContents()
        width = table.verticalHeader().sizeHint().width() + table.horizontalHeader().length()
        scroll = (table.horizontalScrollBar().sizeHint().height()
                  if width + 2 * table.frameWidth() > self.width() else 0)
        rows = sum(table.rowHeight(i) for i in range(table.rowCount()))
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + rows + scroll
                             + 2 * table.frameWidth())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_results()
