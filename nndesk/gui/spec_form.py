"""The model builder: a form that edits one network spec.

The form is a Qt-free document (``spec_document.py``: the spec, its edits, its problems and its
description) seen through views: the preset and dataset choice, the layer table
(``layer_table.py``) and the training settings (``training_settings.py``). Every change a
person makes is an undoable command that replaces the document's spec; applying one refreshes
the views and shows each problem beside its field. The rules live in the engine only: the
spin boxes allow out-of-range values on purpose so the engine's message is what a person reads.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import (QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QMenu,
                               QPushButton, QScrollArea, QToolButton, QVBoxLayout, QWidget)

from nndesk import engine

from .form_text import BUILTIN_DATASETS, TOOLTIPS
from .layer_table import LayerTable
from .spec_document import SpecDocument
from .training_settings import TrainingSettings
from .widgets import (FieldBox, error_color, format_bytes, format_count, format_flops, html_text,
                      set_combo)

DATASET_LABELS = {"mnist": "MNIST digits (bundled)", "xor": "XOR (4 samples)"}


class SpecCommand(QUndoCommand):
    """One edit of the form: the whole spec before and after (specs are tiny)."""

    def __init__(self, form: SpecForm, before: dict, after: dict, text: str, merge_key: str | None):
        super().__init__(text)
        self.form, self.before, self.after, self.merge_key = form, before, after, merge_key

    def id(self) -> int:  # noqa: A003 (Qt API)
        # Typing "256" into one field is one undo step: commands with the same key merge.
        return (hash(self.merge_key) & 0x3FFFFFFF) + 1 if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SpecCommand) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        self.form.show_spec(self.after)

    def undo(self) -> None:
        self.form.show_spec(self.before)


class SpecForm(QWidget):
    """Edits a spec. ``specChanged`` fires after every applied edit (and undo/redo)."""

    specChanged = Signal(dict)
    problemsChanged = Signal(list)
    datasetBrowseRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = SpecDocument()
        self.choices = self.document.choices
        self.undo_stack = QUndoStack(self)
        self._select_after: int | None = None
        self._build()
        self.show_spec(self.document.spec())

    # --- public ------------------------------------------------------------------

    def spec(self) -> dict:
        """A copy of the spec the form shows."""
        return self.document.spec()

    def problems(self) -> list:
        return list(self.document.problems)

    def summary(self) -> dict | None:
        """``engine.describe`` of the spec, or None while it is invalid."""
        return self.document.summary

    def set_spec(self, spec: dict, text: str = "Replace the network") -> None:
        """Show ``spec`` as one undoable edit."""
        self._push(spec, text)

    def reset(self, spec: dict) -> None:
        """Show ``spec`` and forget the undo history (new file, opened model, restored session)."""
        self.undo_stack.clear()
        self.show_spec(spec)
        self.undo_stack.setClean()

    def field_widget(self, path: str) -> QWidget | None:
        """The editor for a non-layer spec path such as ``optimizer.learning_rate``."""
        box = self._fields().get(path)
        return box.editor if box else None

    def field_box(self, path: str) -> FieldBox | None:
        return self._fields().get(path)

    def layer_editor(self, row: int, field: str) -> QWidget | None:
        """The inline editor of a layer's setting ('units', 'rate', 'activation', 'initializer')."""
        return self.table.editor(row, field)

    def selected_row(self) -> int:
        return self.table.currentRow() if self.table.selectedIndexes() else -1

    # --- building the widgets ------------------------------------------------------

    def _build(self) -> None:
        content = QWidget()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(10)
        outer.addLayout(self._build_source())
        outer.addWidget(self._build_layers())
        self.training = TrainingSettings(self.choices)
        self.training.valueEdited.connect(self._on_value_edited)
        self.training.optimizerChosen.connect(
            lambda name: self._push(self.document.with_optimizer(name), f"Use the {name} optimizer"))
        self.training.scheduleChosen.connect(
            lambda name: self._push(self.document.with_schedule(name), f"Use the {name} schedule"))
        for name in ("loss_combo", "optimizer_combo", "schedule_combo", "advanced_button"):
            setattr(self, name, getattr(self.training, name))
        self.other_problems = QLabel()
        self.other_problems.setObjectName("otherProblems")
        self.other_problems.setWordWrap(True)
        self.other_problems.hide()
        outer.addWidget(self.training)
        outer.addWidget(self.other_problems)
        outer.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.scroll_area = scroll

    def _build_source(self) -> QGridLayout:
        """The preset and the dataset."""
        top = QGridLayout()
        top.setHorizontalSpacing(8)
        top.setVerticalSpacing(6)
        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        self.preset_combo.setToolTip("Fill the form with one of the ready-made networks. "
                                     "Undo (Ctrl+Z) brings your own back.")
        self.preset_combo.addItem("Choose a preset…", None)
        for name, note in engine.list_presets():
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, note,
                                          Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.activated.connect(self._on_preset_chosen)
        self.dataset_combo = QComboBox()
        self.dataset_combo.setObjectName("datasetCombo")
        self.dataset_combo.setToolTip(TOOLTIPS["dataset"])
        self.dataset_combo.activated.connect(self._on_dataset_chosen)
        self.dataset_box = FieldBox("", self.dataset_combo)
        self.dataset_box.caption.hide()
        self.input_label = QLabel()
        self.input_label.setToolTip("Values per sample the first layer receives; set by the dataset.")
        self.input_label.setObjectName("inputLabel")
        self.input_label.setStyleSheet("color: palette(placeholder-text);")
        for row, (text, widget) in enumerate((("&Preset", self.preset_combo),
                                              ("&Dataset", self.dataset_box))):
            label = QLabel(text)
            label.setBuddy(widget if row == 0 else self.dataset_combo)
            top.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop if row else Qt.AlignmentFlag(0))
            top.addWidget(widget, row, 1)
        top.addWidget(self.input_label, 2, 1)
        top.setColumnStretch(1, 1)
        return top

    def _build_layers(self) -> QGroupBox:
        group = QGroupBox("Layers")
        lg = QVBoxLayout(group)
        lg.setSpacing(6)
        self.table = LayerTable(self.choices)
        self.table.setObjectName("layerTable")
        self.table.moveRequested.connect(self.move_layer)
        self.table.valueEdited.connect(self._on_value_edited)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_row_buttons())
        lg.addWidget(self.table)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        self.add_button = QToolButton()
        self.add_button.setObjectName("addLayerButton")
        self.add_button.setText("Add layer")
        self.add_button.setToolTip("Insert a layer after the selected one (or before the output layer)")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        add_menu = QMenu(self.add_button)
        self.add_actions = {}
        for kind in self.choices["layer_types"]:
            action = add_menu.addAction(f"{kind.capitalize()} layer")
            action.setToolTip(self.choices["descriptions"].get("layer_types", {}).get(kind, ""))
            action.triggered.connect(lambda _=False, k=kind: self.add_layer(k))
            self.add_actions[kind] = action
        add_menu.setToolTipsVisible(True)
        self.add_button.setMenu(add_menu)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected layer")
        self.remove_button.clicked.connect(lambda: self.remove_layer(self.selected_row()))
        self.up_button = QPushButton("Move up")
        self.up_button.setToolTip("Move the selected layer one place towards the input "
                                  "(or drag a row by its number)")
        self.up_button.clicked.connect(lambda: self._move_selected(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.setToolTip("Move the selected layer one place towards the output")
        self.down_button.clicked.connect(lambda: self._move_selected(+1))
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lg.addLayout(buttons)
        self.layer_problems = QLabel()
        self.layer_problems.setObjectName("layerProblems")
        self.layer_problems.setWordWrap(True)
        self.layer_problems.setTextFormat(Qt.TextFormat.RichText)
        self.layer_problems.hide()
        lg.addWidget(self.layer_problems)
        self.totals_label = QLabel()
        self.totals_label.setObjectName("totalsLabel")
        self.totals_label.setToolTip("Trainable parameters, the memory their float32 values take, "
                                     "and the floating-point operations one forward pass needs per "
                                     "sample.")
        lg.addWidget(self.totals_label)
        return group

    def _fields(self) -> dict[str, FieldBox]:
        return {**self.training.fields(), "dataset": self.dataset_box}

    # --- edits ------------------------------------------------------------------------

    def _on_value_edited(self, path: tuple, value, text: str) -> None:
        self._push(self.document.with_value(path, value), text, "/".join(map(str, path)))

    def _push(self, after: dict | None, text: str, merge_key: str | None = None) -> None:
        if after is None or after == self.document.spec():
            return
        self.undo_stack.push(SpecCommand(self, self.document.spec(), after, text, merge_key))

    def add_layer(self, kind: str) -> None:
        """Insert a layer after the selected row, or before the output layer."""
        row = self.selected_row()
        index = row + 1 if row >= 0 else max(len(self.document.layers()) - 1, 0)
        self._select_after = index
        self._push(self.document.with_layer_added(kind, index), f"Add a {kind} layer")

    def remove_layer(self, row: int) -> None:
        self._select_after = min(row, len(self.document.layers()) - 2)
        self._push(self.document.with_layer_removed(row), f"Remove layer {row + 1}")

    def move_layer(self, source: int, target: int) -> None:
        self._select_after = target
        self._push(self.document.with_layer_moved(source, target),
                   f"Move layer {source + 1} to position {target + 1}")

    def _move_selected(self, delta: int) -> None:
        row = self.selected_row()
        if row >= 0:
            self.move_layer(row, row + delta)

    def _on_preset_chosen(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if name:
            self.set_spec(engine.load_preset(name), f"Load preset {name}")

    def choose_preset(self, name: str) -> None:
        index = self.preset_combo.findData(name)
        if index < 0:
            raise KeyError(name)
        self.preset_combo.setCurrentIndex(index)
        self._on_preset_chosen(index)

    def _on_dataset_chosen(self, index: int) -> None:
        value = self.dataset_combo.itemData(index)
        if value is None:  # "Other…"
            set_combo(self.dataset_combo, self.document.get("dataset"))
            self.datasetBrowseRequested.emit()
            return
        self.set_dataset(value)

    def set_dataset(self, name: str, input_size: int | None = None) -> None:
        """Train on ``name`` (and take ``input_size`` features per sample, when known)."""
        self._push(self.document.with_dataset(name, input_size), "Change the dataset")

    def match_input(self, size: int) -> None:
        """Make the input as wide as the loaded dataset (one undoable edit)."""
        self._push(self.document.with_input_size(size), "Match the input to the dataset")

    # --- showing the spec ------------------------------------------------------------

    def show_spec(self, spec: dict) -> None:
        """Make ``spec`` the document's and show it: every view, its problems and totals."""
        self.document.replace(spec)
        s = self.document.spec()
        self._show_datasets(s.get("dataset"))
        self.table.show_layers(self.document.layers())
        if self._select_after is not None and self.table.rowCount():
            self.table.selectRow(max(0, min(self._select_after, self.table.rowCount() - 1)))
            self._select_after = None
        self._update_row_buttons()
        self.training.show_spec(s)
        shape = s.get("input_shape")
        if isinstance(shape, list) and shape:
            size = math.prod(int(d) for d in shape if isinstance(d, int))
            side = int(math.isqrt(size)) if size > 0 else 0
            image = f" ({side}×{side} image)" if side >= 8 and side * side == size else ""
            self.input_label.setText(f"{size:,} input values per sample{image}")
        else:
            self.input_label.setText("Input: unknown")
        name = s.get("name")
        set_combo(self.preset_combo, name if self.preset_combo.findData(name) >= 0 else None)
        self._show_problems()
        self._show_summary()
        self.problemsChanged.emit(self.problems())
        self.specChanged.emit(s)

    def _show_datasets(self, current) -> None:
        combo = self.dataset_combo
        wanted = list(BUILTIN_DATASETS)
        if isinstance(current, str) and current and current not in wanted:
            wanted.append(current)
        if [combo.itemData(i) for i in range(combo.count())] != wanted + [None]:
            combo.clear()
            for name in wanted:
                combo.addItem(DATASET_LABELS.get(name, name), name)
                combo.setItemData(combo.count() - 1, name, Qt.ItemDataRole.ToolTipRole)
            combo.addItem("Other folder or CSV file…", None)
        set_combo(combo, current)

    def _update_row_buttons(self) -> None:
        row, n = self.table.currentRow(), self.table.rowCount()
        has = 0 <= row < n and bool(self.table.selectedIndexes())
        self.remove_button.setEnabled(has and n > 1)
        self.up_button.setEnabled(has and row > 0)
        self.down_button.setEnabled(has and row < n - 1)

    def _show_problems(self) -> None:
        color = error_color(self)
        by_field, by_layer, other = self.document.problems_by_place(self._fields())
        self.training.show_problems(by_field)
        self.dataset_box.set_problem("\n".join(by_field["dataset"]) if "dataset" in by_field else None)
        self.table.show_problems(by_layer, color)
        rows = []
        for p in self.document.problems:
            if getattr(p, "layer", None) is not None:
                what = f" · {p.field}" if p.field and p.field != "type" else ""
                rows.append(f"<b>Layer {p.layer + 1}</b>{what}: {html_text(p.message)}")
        for label, lines, sep in ((self.layer_problems, rows, "<br>"),
                                  (self.other_problems, other, "\n")):
            label.setText(sep.join(lines))
            label.setStyleSheet(f"color: {color};")
            label.setVisible(bool(lines))

    def _show_summary(self) -> None:
        summary = self.document.summary
        self.table.show_summary(summary["layers"] if summary else [])
        if summary:
            self.totals_label.setText(
                f"<b>{format_count(summary['total_params'])}</b> parameters · "
                f"{format_bytes(summary['memory_bytes'])} · "
                f"{format_flops(summary['flops_per_sample'])} per sample")
        else:
            n = len(self.document.problems)
            self.totals_label.setText(f"Totals appear when the network is valid "
                                      f"({n} problem{'s' if n != 1 else ''} to fix).")
