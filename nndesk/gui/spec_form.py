"""The model builder: a form that edits one network spec.

The form is a Qt-free document (``spec_document.py``: the spec, its edits, its problems and its
description) seen through views: the preset and dataset choice, the layers (``layer_stack.py``:
the table of rows and the selected layer's settings) and the training settings
(``training_settings.py``). Every change a person makes is an undoable command that replaces
the document's spec; applying one refreshes the views and shows each problem beside its field.
The rules live in the engine only: the editors allow out-of-range values on purpose so the
engine's message is what a person reads.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from nndesk import engine
from nndesk.engine.layers import shape_text

from .form_text import BUILTIN_DATASETS, TOOLTIPS
from .layer_stack import LayerStack
from .layer_table import layer_title
from .spec_document import SpecDocument, value_count
from .training_settings import TrainingSettings
from .widgets import FieldBox, error_color, set_combo

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

    def layer_field_box(self, row: int, field: str) -> FieldBox | None:
        """Layer ``row``'s setting ``field`` ('units', 'kernel_size', ...) under the table, with
        its caption and message: the row is selected for it, as a click on the row does. None
        when the layer has no such setting."""
        if not 0 <= row < self.table.rowCount():
            return None
        if self.selected_row() != row:
            self.table.selectRow(row)
        return self.layers_group.settings.boxes.get(field)

    def layer_editor(self, row: int, field: str) -> QWidget | None:
        """The editor of layer ``row``'s setting ``field`` (see ``layer_field_box``)."""
        box = self.layer_field_box(row, field)
        return box.editor if box else None

    def selected_row(self) -> int:
        return self.layers_group.selected_row()

    # --- building the widgets ------------------------------------------------------

    def _build(self) -> None:
        content = QWidget()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(10)
        outer.addLayout(self._build_source())
        self.layers_group = LayerStack(self.choices)
        self.layers_group.addRequested.connect(self.add_layer)
        self.layers_group.removeRequested.connect(self.remove_layer)
        self.layers_group.moveRequested.connect(self.move_layer)
        self.layers_group.valueEdited.connect(self._on_value_edited)
        for name in ("table", "add_button", "add_actions", "remove_button", "up_button",
                     "down_button", "layer_problems", "totals_label"):
            setattr(self, name, getattr(self.layers_group, name))
        outer.addWidget(self.layers_group)
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
        self.input_label.setToolTip("Values per sample the first layer receives, set by the "
                                    "dataset: an image (channels x height x width) when the "
                                    "first layers are convolutions or pools.")
        self.input_label.setObjectName("inputLabel")
        self.input_label.setWordWrap(True)
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
        """Insert a layer after the selected row, or before the output layer (an image layer
        among the image layers; see ``SpecDocument.with_layer_added``)."""
        row = self.selected_row()
        index = row + 1 if row >= 0 else max(len(self.document.layers()) - 1, 0)
        after, landed = self.document.with_layer_added(kind, index)
        if after is not None:
            self._select_after = landed
            self._push(after, f"Add a {layer_title(kind)} layer")

    def remove_layer(self, row: int) -> None:
        self._select_after = min(row, len(self.document.layers()) - 2)
        self._push(self.document.with_layer_removed(row), f"Remove layer {row + 1}")

    def move_layer(self, source: int, target: int) -> None:
        self._select_after = target
        self._push(self.document.with_layer_moved(source, target),
                   f"Move layer {source + 1} to position {target + 1}")

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

    def match_input(self, size: int, image_shape=None) -> None:
        """Fit the input to the loaded dataset (one undoable edit): ``size`` values per sample,
        an image when the layers take images; ``image_shape`` is the dataset's (rows, columns)
        or (channels, rows, columns) when its samples are images (else a square is assumed)."""
        self.document.dataset_image = (([1] if len(image_shape) == 2 else []) + list(image_shape)
                                       if image_shape else None)
        self._push(self.document.with_input_size(size), "Match the input to the dataset")

    # --- showing the spec ------------------------------------------------------------

    def show_spec(self, spec: dict) -> None:
        """Make ``spec`` the document's and show it: every view, its problems and totals."""
        self.document.replace(spec)
        s = self.document.spec()
        self._show_datasets(s.get("dataset"))
        self.layers_group.show_layers(self.document.layers(), self._select_after)
        self._select_after = None
        self.training.show_spec(s)
        shape = s.get("input_shape")
        size = value_count(shape)
        if size and len(shape) == 3:
            self.input_label.setText(f"{size:,} values per sample: a {shape_text(shape)} image")
        elif size:
            side = math.isqrt(size)
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

    def _show_problems(self) -> None:
        color = error_color(self)
        by_field, by_layer, other = self.document.problems_by_place(self._fields())
        self.training.show_problems(by_field)
        self.dataset_box.set_problem("\n".join(by_field["dataset"]) if "dataset" in by_field else None)
        self.layers_group.show_problems(self.document.problems, by_layer, color)
        self.other_problems.setText("\n".join(other))
        self.other_problems.setStyleSheet(f"color: {color};")
        self.other_problems.setVisible(bool(other))

    def _show_summary(self) -> None:
        self.layers_group.show_summary(self.document.summary, len(self.document.problems))
