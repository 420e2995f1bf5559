"""The Compare runs page: every kept run listed (rename, delete, export), and the runs
selected in the list compared below it (``panel.ComparePanel``).

The page reads the runs folder (``nndesk.data.runs.RunStore``) when it is shown and when a
run trained in the window ends (``session.networkChanged`` with source "trained"). A file
that cannot be read is named in a warning line and skipped.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nndesk.data.runs import RunStore

from ..widgets import error_color, html_text
from . import exports
from .model import DATE, NAME, SORT_ROLE, RunsModel
from .panel import ComparePanel, tool_button

EMPTY_TEXT = ("<p style='font-size:13pt'>No runs yet.</p><p>Every run you train here or with "
              "<code>nndesk train</code> is kept here, with its settings, curves and results "
              "(never its weights), so that you can compare runs later: select two or more "
              "to see their curves overlaid and the settings that differ.</p>"
              "<p>They are kept in <code>{folder}</code>.</p>")


class RunsPage(QWidget):
    """The runs kept by ``store`` (a ``RunStore`` or its folder; the person's runs folder
    unless given) listed, and the selected ones compared in ``comparison``."""

    def __init__(self, session, parent: QWidget | None = None, *, store=None):
        super().__init__(parent)
        self.setObjectName("runsPage")
        self.session = session
        self.store = store if isinstance(store, RunStore) else RunStore(store)
        self._prompt = exports.SavePrompt()
        self._problems: list[str] = []
        self._build()
        session.networkChanged.connect(self._on_network_changed)
        self.reload()

    def _build(self) -> None:
        self.warning_label = QLabel()
        self.warning_label.setObjectName("runsWarning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warning_label.hide()
        self.empty_label = QLabel()
        self.empty_label.setObjectName("runsEmpty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty_label.setMaximumWidth(640)
        empty = QWidget()
        box = QVBoxLayout(empty)
        box.addWidget(self.empty_label, 0, Qt.AlignmentFlag.AlignCenter)

        self.model = RunsModel(self.store, self)
        self.model.renameFailed.connect(lambda text: exports.failed(self, "Rename", text))
        self.model.renamed.connect(self._update_comparison)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.view = view = QTableView()
        view.setObjectName("runsTable")
        view.setModel(self.proxy)
        view.setSortingEnabled(True)
        view.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setStretchLastSection(True)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._context_menu)
        view.selectionModel().selectionChanged.connect(self._update_comparison)

        self.rename_action = QAction("Rename", self)
        self.rename_action.setToolTip("Rename the selected run (or double-click its name, or F2)")
        self.rename_action.triggered.connect(self._start_rename)
        self.delete_action = QAction("Delete\u2026", self)
        self.delete_action.setToolTip("Delete the selected runs' files (Delete)")
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self.delete_selected)
        view.addAction(self.delete_action)
        self.export_action = QAction("Export\u2026", self)
        self.export_action.setToolTip("Save the selected run (settings, curves, results) as JSON")
        self.export_action.triggered.connect(self.ask_export_run)
        self.count_label = QLabel()
        self.count_label.setObjectName("runsCount")
        self.count_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(self.count_label, 1)
        self.rename_button = tool_button(self.rename_action)
        self.delete_button = tool_button(self.delete_action)
        self.export_button = tool_button(self.export_action)
        for button in (self.rename_button, self.delete_button, self.export_button):
            top.addWidget(button)
        runs_part = QWidget()
        box = QVBoxLayout(runs_part)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(view, 1)

        self.comparison = ComparePanel()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(runs_part)
        self.splitter.addWidget(self.comparison)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setSizes([200, 540])
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        self.stack.addWidget(self.splitter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.stack, 1)
        self._apply_palette()

    # --- public ----------------------------------------------------------------------

    def reload(self) -> None:
        """Read the runs folder again, keeping the selection of the runs still there."""
        chosen = self.selected_ids()
        records = self.store.runs()
        problems = list(self.store.problems)
        self.model.set_runs(records)
        self.view.resizeColumnsToContents()
        self.view.setColumnWidth(NAME, min(max(self.view.columnWidth(NAME), 160), 320))
        self.warning_label.setVisible(bool(problems))
        if problems:
            self.warning_label.setText(f"Not listed ({len(problems)} unreadable file"
                                       f"{'s' if len(problems) > 1 else ''}): "
                                       + "; ".join(problems))
        self._problems = problems
        self.empty_label.setText(EMPTY_TEXT.format(folder=html_text(str(self.store.folder))))
        self.stack.setCurrentIndex(1 if records else 0)  # 0: how runs appear
        self.count_label.setText(f"{len(records)} run{'s' if len(records) != 1 else ''} kept in "
                                 f"{self.store.folder}")
        self.select_runs(chosen)
        self._update_comparison()

    def runs(self) -> list[dict]:
        """The runs listed, the oldest first."""
        return list(self.model.records)

    def problems(self) -> list[str]:
        """The files in the runs folder that could not be read at the last reload, and why."""
        return list(self._problems)

    def selected_ids(self) -> list[str]:
        """The ids of the selected runs, the oldest first."""
        rows = {self.proxy.mapToSource(i).row() for i in self.view.selectionModel().selectedRows()}
        return [self.model.records[row]["id"] for row in sorted(rows)]

    def select_runs(self, run_ids) -> None:
        """Select exactly these runs (ids not listed are ignored)."""
        selection = QItemSelection()
        for run_id in run_ids:
            row = self.model.row_of(run_id)
            if row >= 0:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                selection.select(index, index)
        self.view.selectionModel().select(selection,
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect
                                          | QItemSelectionModel.SelectionFlag.Rows)

    def rename_run(self, run_id: str, name: str) -> bool:
        """Rename a run as editing its name cell does; False, with a message, if refused."""
        row = self.model.row_of(run_id)
        return row >= 0 and self.model.setData(self.model.index(row, NAME), name)

    def delete_selected(self) -> bool:
        """Delete the selected runs' files once the person says yes."""
        ids = set(self.selected_ids())
        chosen = [r for r in self.model.records if r["id"] in ids]
        if not chosen:
            return False
        one = len(chosen) == 1
        what = f"the run \u201c{chosen[0]['name']}\u201d" if one else f"these {len(chosen)} runs"
        answer = QMessageBox.question(
            self, "Delete runs", f"Delete {what}? {'Its file is' if one else 'Their files are'} "
            f"removed from {self.store.folder}; this cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        failed = []
        for record in chosen:
            try:
                self.store.delete(record["id"])
            except (KeyError, OSError) as exc:
                failed.append(f"{record['name']}: {_reason(exc)}")
        self.reload()
        return not failed or exports.failed(self, "Delete runs",
                                            "Not deleted:\n" + "\n".join(failed))

    def export_run(self, run_id: str, path) -> bool:
        """Save a run as a JSON file; False, with a message, if it cannot be written."""
        try:
            self.store.export(run_id, path)
        except (KeyError, OSError) as exc:
            return exports.failed(self, "Export failed", f"Could not write {path}:\n{_reason(exc)}")
        return True

    def ask_export_run(self) -> bool:
        """Ask where to save the selected run, then export it."""
        ids = self.selected_ids()
        if len(ids) != 1:
            return exports.failed(self, "Export", "Select one run to export.")
        name = self.model.records[self.model.row_of(ids[0])]["name"]
        stem = re.sub(r"[^\w.-]+", "-", name).strip("-.") or "run"
        path = self._prompt.ask(self, "Export run", f"{stem}.json", "json")
        return bool(path) and self.export_run(ids[0], path)

    # --- the list's actions ----------------------------------------------------------

    def _start_rename(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            index = self.proxy.mapFromSource(self.model.index(self.model.row_of(ids[0]), NAME))
            self.view.setCurrentIndex(index)
            self.view.edit(index)

    def _context_menu(self, pos) -> None:
        menu = QMenu(self)
        menu.addActions([self.rename_action, self.delete_action, self.export_action])
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def _update_comparison(self, *_args) -> None:
        ids = set(self.selected_ids())
        numbered = [(i + 1, r) for i, r in enumerate(self.model.records) if r["id"] in ids]
        self.rename_action.setEnabled(len(ids) == 1)
        self.export_action.setEnabled(len(ids) == 1)
        self.delete_action.setEnabled(bool(ids))
        self.comparison.compare([r for _, r in numbered], [n for n, _ in numbered])

    # --- following the session and Qt events -----------------------------------------

    def _on_network_changed(self, _net, source: str) -> None:
        if source == "trained" and self.isVisible():
            self.reload()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.reload()

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        self.warning_label.setStyleSheet(f"color: {error_color(self)};")
        self.comparison.plots.apply_palette()


def _reason(exc: Exception) -> str:
    return str(exc.args[0]) if isinstance(exc, KeyError) else str(exc.strerror or exc)
