"""The comparison under the runs list: the selected runs' curves overlaid (or their seed
groups' means and spreads), their results and the settings that differ, with exports."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nndesk.data.runs import seed_groups

from . import compare, exports
from .curves import COLORS, ComparePlots
from .tables import ComparisonTables


def tool_button(action: QAction) -> QToolButton:
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class ComparePanel(QWidget):
    """Shows the runs given to ``compare``; "Group runs that differ only in the seed" draws
    each group (``seed_groups``) as its mean with its spread (``compare.SPREAD``) shaded."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("comparePanel")
        self._records: list[dict] = []
        self._numbers: list[int] = []
        self._labels: list[str] = []
        self._prompt = exports.SavePrompt()
        self.hint_label = QLabel()
        self.hint_label.setObjectName("compareHint")
        self.hint_label.setWordWrap(True)
        self.group_box = QCheckBox("Group runs that differ only in the seed")
        self.group_box.setToolTip(f"Each group drawn as the mean of its runs, shaded from the "
                                  f"lowest to the highest of them ({compare.SPREAD})")
        self.group_box.toggled.connect(self._redraw)
        self.export_plot_action = QAction("Save plot as PNG\u2026", self)
        self.export_plot_action.triggered.connect(self.ask_export_plot)
        self.export_csv_action = QAction("Save differences as CSV\u2026", self)
        self.export_csv_action.triggered.connect(self.ask_export_differences)
        bar = QHBoxLayout()
        bar.addWidget(self.hint_label, 1)
        bar.addWidget(self.group_box)
        bar.addSpacing(12)
        self.export_plot_button = tool_button(self.export_plot_action)
        self.export_csv_button = tool_button(self.export_csv_action)
        bar.addWidget(self.export_plot_button)
        bar.addWidget(self.export_csv_button)
        self.plots = ComparePlots()
        self.tables = ComparisonTables()
        sides = QSplitter(Qt.Orientation.Horizontal)
        sides.setChildrenCollapsible(False)
        sides.addWidget(self.plots)
        sides.addWidget(self.tables)
        sides.setStretchFactor(0, 3)
        sides.setStretchFactor(1, 2)
        sides.setSizes([820, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(sides, 1)
        self._redraw()

    def compare(self, records: list[dict], numbers: list[int]) -> None:
        """Compare these runs (the oldest first), ``numbers`` their places in the list."""
        self._records, self._numbers = list(records), list(numbers)
        self._redraw()

    def set_grouped(self, grouped: bool) -> None:
        self.group_box.setChecked(grouped)

    def compared(self) -> list[dict]:
        return list(self._records)

    def labels(self) -> list[str]:
        """The compared runs' names as in the legend and the tables' columns."""
        return list(self._labels)

    def curve_data(self) -> dict:
        """What the plots show: {history key: {legend label: (epochs, values)}}, accuracy in %."""
        return self.plots.drawn

    def band_data(self) -> dict:
        """The seed groups' shaded spread: {history key: {label: (epochs, low, high)}}."""
        return self.plots.bands

    def difference_keys(self) -> list[str]:
        """The settings in the differences table, top to bottom."""
        return self.tables.difference_keys()

    def _redraw(self) -> None:
        records, count = self._records, len(self._records)
        self._labels = compare.labels(records, self._numbers)
        self.export_plot_action.setEnabled(count > 0)
        self.export_csv_action.setEnabled(count > 1)
        if not records:
            self.plots.show_nothing()
            self.tables.show_runs([], [], [])
            self.hint_label.setText("Select two or more runs in the list to compare them.")
            return
        label_of = {r["id"]: label for r, label in zip(records, self._labels)}
        if self.group_box.isChecked():
            groups = seed_groups(records)
            color_of = {r["id"]: COLORS[i % len(COLORS)] for i, g in enumerate(groups) for r in g}
            self.plots.show_groups(groups, [compare.group_label(g, label_of) for g in groups],
                                   [color_of[g[0]["id"]] for g in groups])
            self.hint_label.setText(
                f"{count} run{'s' if count > 1 else ''} in {len(groups)} "
                f"group{'s' if len(groups) > 1 else ''} of runs that differ only in the seed: "
                f"each line is a group's mean, the shading its {compare.SPREAD}.")
        else:
            color_of = {r["id"]: COLORS[i % len(COLORS)] for i, r in enumerate(records)}
            self.plots.show_runs(records, self._labels, [color_of[r["id"]] for r in records])
            self.hint_label.setText(f"{count} runs compared." if count > 1 else
                                    "1 run selected: select more (Ctrl+click) to compare.")
        self.tables.show_runs(records, self._labels, [color_of[r["id"]] for r in records])

    # --- exports ---------------------------------------------------------------------

    def export_plot(self, path) -> bool:
        """Save the comparison plot as a PNG image; False, with a message, if it cannot be."""
        if not self._records:
            return exports.failed(self, "Export failed", "Select the runs to compare first.")
        try:
            data = self.plots.png_bytes()
        except OSError as exc:
            return exports.failed(self, "Export failed", str(exc))
        return exports.save(self, path, data)

    def export_differences(self, path) -> bool:
        """Save the settings that differ between the compared runs as CSV (a column per run)."""
        if len(self._records) < 2:
            return exports.failed(self, "Export failed", "Select two or more runs first.")
        return exports.save(self, path, exports.csv_bytes(
            compare.csv_rows(self._records, self._labels)))

    def ask_export_plot(self) -> bool:
        path = self._prompt.ask(self, "Save the comparison plot", "runs-compared.png", "png")
        return bool(path) and self.export_plot(path)

    def ask_export_differences(self) -> bool:
        path = self._prompt.ask(self, "Save the settings that differ", "runs-differences.csv",
                                "csv")
        return bool(path) and self.export_differences(path)
