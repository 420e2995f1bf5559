"""The form's "Layers" group: the layer table, the buttons that add, remove and move layers,
the selected layer's settings, the problems of the layers and the network's totals.

Like its parts it reports what a person asks for (``addRequested``, ``removeRequested``,
``moveRequested``, ``valueEdited``) and shows the spec it is given; the form makes the edits.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout

from .form_text import LAYER_SETTINGS
from .layer_settings import LayerSettings
from .layer_table import LayerTable, layer_title
from .widgets import format_bytes, format_count, format_flops, html_text


class LayerStack(QGroupBox):
    addRequested = Signal(str)
    removeRequested = Signal(int)
    moveRequested = Signal(int, int)
    valueEdited = Signal(tuple, object, str)

    def __init__(self, choices: dict, parent=None):
        super().__init__("Layers", parent)
        self.choices = choices
        self.layers: list = []
        self.by_layer: dict = {}  # {(row, field): message}, for the row selected next
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        self.table = LayerTable(choices)
        self.table.setObjectName("layerTable")
        self.table.moveRequested.connect(self.moveRequested)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        layout.addWidget(self.table)
        layout.addLayout(self._build_buttons())
        self.totals_label = QLabel()
        self.totals_label.setObjectName("totalsLabel")
        self.totals_label.setWordWrap(True)
        self.totals_label.setToolTip("Trainable parameters, the memory their float32 values take, "
                                     "and the floating-point operations one forward pass needs per "
                                     "sample.")
        layout.addWidget(self.totals_label)
        self.layer_problems = QLabel()
        self.layer_problems.setObjectName("layerProblems")
        self.layer_problems.setWordWrap(True)
        self.layer_problems.setTextFormat(Qt.TextFormat.RichText)
        self.layer_problems.setToolTip("Click a layer to select it.")
        self.layer_problems.linkActivated.connect(lambda link: self.table.selectRow(int(link)))
        self.layer_problems.hide()
        layout.addWidget(self.layer_problems)
        self.settings = LayerSettings(choices)
        self.settings.valueEdited.connect(self.valueEdited)
        layout.addWidget(self.settings)

    def _build_buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        self.add_button = QToolButton()
        self.add_button.setObjectName("addLayerButton")
        self.add_button.setText("Add layer")
        self.add_button.setToolTip("Insert a layer after the selected one (or before the output "
                                   "layer); convolutions and pools go among the image layers")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        add_menu = QMenu(self.add_button)
        self.add_actions = {}
        descriptions = self.choices["descriptions"].get("layer_types", {})
        for kind in self.choices["layer_types"]:
            action = add_menu.addAction(f"{layer_title(kind)} layer")
            action.setToolTip(descriptions.get(kind, ""))
            action.triggered.connect(lambda _=False, k=kind: self.addRequested.emit(k))
            self.add_actions[kind] = action
        add_menu.setToolTipsVisible(True)
        self.add_button.setMenu(add_menu)
        self.remove_button = QToolButton()
        self.remove_button.setText("Remove")
        self.remove_button.setToolTip("Remove the selected layer")
        self.remove_button.clicked.connect(lambda: self.removeRequested.emit(self.selected_row()))
        self.up_button = QToolButton()
        self.up_button.setText("Move up")
        self.up_button.setToolTip("Move the selected layer one place towards the input "
                                  "(or drag its row)")
        self.up_button.clicked.connect(lambda: self._move_selected(-1))
        self.down_button = QToolButton()
        self.down_button.setText("Move down")
        self.down_button.setToolTip("Move the selected layer one place towards the output")
        self.down_button.clicked.connect(lambda: self._move_selected(+1))
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        return buttons

    def selected_row(self) -> int:
        return self.table.currentRow() if self.table.selectedIndexes() else -1

    def _move_selected(self, delta: int) -> None:
        row = self.selected_row()
        if row >= 0:
            self.moveRequested.emit(row, row + delta)

    def _show_selected(self) -> None:
        row, n = self.selected_row(), self.table.rowCount()
        self.remove_button.setEnabled(row >= 0 and n > 1)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < n - 1)
        self.settings.show_layer(row, self.layers[row] if 0 <= row < len(self.layers) else None)
        self.settings.show_problems(self.by_layer)

    # --- showing the spec ------------------------------------------------------------

    def show_layers(self, layers: list, select: int | None = None) -> None:
        """Show ``layers``, and select row ``select`` (None: keep the selected row's place)."""
        self.layers = layers
        self.table.show_layers(layers)
        if select is not None and self.table.rowCount():
            self.table.selectRow(max(0, min(select, self.table.rowCount() - 1)))
        self._show_selected()

    def show_problems(self, problems: list, by_layer: dict, color: str) -> None:
        """Each layer's problems: on its row, beside its settings, and listed under them."""
        self.by_layer = by_layer
        self.table.show_problems(by_layer, color)
        self.settings.show_problems(by_layer)
        rows = []
        for p in problems:
            if getattr(p, "layer", None) is not None:
                what = "" if p.field in (None, "type") else \
                    f" · {LAYER_SETTINGS.get(p.field, (p.field,))[0].lower()}"
                rows.append(f'<a href="{p.layer}" style="color: {color}; text-decoration: none;">'
                            f'<b>Layer {p.layer + 1}</b></a>{what}: {html_text(p.message)}')
        self.layer_problems.setText("<br>".join(rows))
        self.layer_problems.setStyleSheet(f"color: {color};")
        self.layer_problems.setVisible(bool(rows))

    def show_summary(self, summary: dict | None, problem_count: int) -> None:
        """Each row's shape and parameters, and the totals (``describe``; None: invalid)."""
        self.table.show_summary(summary["layers"] if summary else [])
        if summary:
            self.totals_label.setText(
                f"<b>{format_count(summary['total_params'])}</b> parameters · "
                f"{format_bytes(summary['memory_bytes'])} · "
                f"{format_flops(summary['flops_per_sample'])} per sample")
        else:
            n = problem_count
            self.totals_label.setText(f"Totals appear when the network is valid "
                                      f"({n} problem{'s' if n != 1 else ''} to fix).")
