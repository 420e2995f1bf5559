"""The model builder: a form that edits one network spec.

The form holds a spec (the engine's plain dict) and nothing else. Every change a person
makes becomes an undoable command holding the spec before and after; applying a command
refreshes the widgets from the spec, asks the engine to ``validate`` and ``describe`` it and
shows each problem beside its field. The rules live in the engine only: the spin boxes allow
out-of-range values on purpose so the engine's message is what a person reads.
"""

from __future__ import annotations

import copy
import math

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import QDrag, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nndesk import engine

from .widgets import (
    CompactSpinBox,
    FieldBox,
    SciSpinBox,
    error_color,
    format_bytes,
    format_count,
    format_flops,
    set_invalid,
)

LAYER_MIME = "application/x-nndesk-layer-row"
DEFAULT_UNITS = 64
DEFAULT_DROPOUT = 0.2

# How each hyperparameter is shown: caption, one-sentence tooltip, and the editor kind.
# These are presentation only; whether a value is allowed is decided by engine.validate().
PARAMS = {
    "learning_rate": ("Learning rate", "How big a step the optimizer takes after each batch: too "
                      "high and the loss jumps or becomes NaN, too low and learning crawls.", "sci"),
    "weight_decay": ("Weight decay", "Pulls weights toward zero each step to reduce overfitting; "
                     "0 turns it off (AdamW decouples it from the gradient).", "sci"),
    "momentum": ("Momentum", "The fraction of the previous step carried into the next one; 0.9 is "
                 "the usual choice.", "fraction"),
    "rho": ("Rho", "How slowly RMSprop's running average of squared gradients forgets; 0.9 is "
            "typical.", "fraction"),
    "beta1": ("Beta 1", "How slowly Adam's running average of gradients forgets; 0.9 is typical.",
              "fraction"),
    "beta2": ("Beta 2", "How slowly Adam's running average of squared gradients forgets; 0.999 is "
              "typical.", "fraction"),
    "epsilon": ("Epsilon", "A tiny number added to the denominator so the step never divides by "
                "zero.", "sci"),
    "step_epochs": ("Step every (epochs)", "Multiply the learning rate by gamma after this many "
                    "epochs.", "int"),
    "gamma": ("Gamma", "The factor the learning rate is multiplied by at each step (0.1 divides it "
              "by ten).", "fraction"),
    "min_lr": ("Final learning rate", "The rate the cosine schedule ends at, reached on the last "
               "batch.", "sci"),
}

TOOLTIPS = {
    "dataset": "The data to train on: the bundled MNIST digits, the XOR toy set, or a folder of "
               "IDX files or a CSV file of your own.",
    "loss": "What training minimises. Cross-entropy suits classification with a softmax output; "
            "squared error suits regression-like targets.",
    "optimizer": "How the weights move along the gradient after each batch.",
    "schedule": "How the learning rate changes during the run.",
    "initializer": "How weights are drawn before training, for layers that do not choose their own.",
    "batch_size": "Samples per weight update. Smaller batches update more often but noisier; "
                  "0 uses the whole training set as one batch.",
    "epochs": "How many times training goes through the whole training set.",
    "validation_split": "The fraction of the training data held out to check the network on data "
                        "it does not learn from (0 for none).",
    "early_stopping_patience": "Stop when the validation loss has not improved for this many "
                               "epochs, keeping the best weights; 0 never stops early.",
    "seed": "Starting point of every random choice (initial weights, shuffling, dropout): the "
            "same seed gives the same run.",
    "augment": "Distort each training batch at random (small shifts, rotations, scaling and "
               "thicker or thinner strokes) so the network learns shapes rather than exact "
               "pixels. Image datasets only.",
    "engine": "Fast trains with the speed techniques of nndesk/engine/fast; Reference takes the "
              "textbook steps of nndesk/engine, the formulas and nothing else. Both give the "
              "same training; Reference is slower.",
    "units": "Number of neurons in this layer (its output size).",
    "rate": "The fraction of this layer's inputs set to zero at random while training "
            "(0 keeps all; must be below 1).",
    "activation": "The function applied to each neuron's weighted sum.",
    "layer_initializer": "How this layer's weights are drawn; 'default' uses the initializer "
                         "set under Training.",
}

BUILTIN_DATASETS = ("mnist", "xor")
ADVANCED = ("beta1", "beta2", "epsilon", "rho")
COLUMNS = ("Layer", "Size", "Activation", "Initializer", "Output", "Params")
COL_TYPE, COL_SIZE, COL_ACT, COL_INIT, COL_OUT, COL_PARAMS = range(len(COLUMNS))


def _deep(spec: dict) -> dict:
    return copy.deepcopy(spec)


class SpecCommand(QUndoCommand):
    """One edit of the form: the whole spec before and after (specs are tiny)."""

    def __init__(self, form: SpecForm, before: dict, after: dict, text: str, merge_key: str | None):
        super().__init__(text)
        self.form = form
        self.before = before
        self.after = after
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 (Qt API)
        # Typing "256" into one field is one undo step: commands with the same key merge.
        return (hash(self.merge_key) & 0x3FFFFFFF) + 1 if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SpecCommand) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        self.form._apply(self.after)

    def undo(self) -> None:
        self.form._apply(self.before)


class LayerTable(QTableWidget):
    """The layer rows; rows are dragged by their number or name to reorder them."""

    moveRequested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
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
        modes = {COL_TYPE: 76, COL_SIZE: 66, COL_ACT: 92, COL_INIT: None,
                 COL_OUT: 48, COL_PARAMS: 64}
        for col, width in modes.items():
            if width is None:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
                self.setColumnWidth(col, width)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def fit_height(self) -> None:
        rows = max(self.rowCount(), 2)
        height = self.horizontalHeader().height() + rows * self.verticalHeader().defaultSectionSize()
        self.setFixedHeight(min(height, 10 * 32 + 30) + 2 * self.frameWidth())

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
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

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


class SpecForm(QWidget):
    """Edits a spec. ``specChanged`` fires after every applied edit (and undo/redo)."""

    specChanged = Signal(dict)
    problemsChanged = Signal(list)
    datasetBrowseRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.choices = engine.choices()
        self.descriptions = self.choices.get("descriptions", {})
        self.undo_stack = QUndoStack(self)
        self._spec: dict = engine.default_spec()
        self._problems: list = []
        self._summary: dict | None = None
        self._row_kinds: list[str] = []
        self._row_widgets: list[dict[str, QWidget]] = []
        self._select_after: int | None = None
        self._param_fields: dict[str, FieldBox] = {}
        self._param_names: tuple = (None, None, None)
        self._applying = False
        self._build()
        self._apply(self._spec)

    # --- public ------------------------------------------------------------------

    def spec(self) -> dict:
        """A copy of the spec the form shows."""
        return _deep(self._spec)

    def problems(self) -> list:
        return list(self._problems)

    def summary(self) -> dict | None:
        """``engine.describe`` of the spec, or None while it is invalid."""
        return self._summary

    def set_spec(self, spec: dict, text: str = "Replace the network") -> None:
        """Show ``spec`` as one undoable edit."""
        self._push(_deep(spec), text)

    def reset(self, spec: dict) -> None:
        """Show ``spec`` and forget the undo history (new file, opened model, restored session)."""
        self.undo_stack.clear()
        self._apply(_deep(spec))
        self.undo_stack.setClean()

    def field_widget(self, path: str) -> QWidget | None:
        """The editor for a non-layer spec path such as ``optimizer.learning_rate``."""
        box = self._fields().get(path)
        return box.editor if box else None

    def field_box(self, path: str) -> FieldBox | None:
        return self._fields().get(path)

    def layer_editor(self, row: int, field: str) -> QWidget | None:
        """The inline editor of a layer's field ('units', 'rate', 'activation', 'initializer')."""
        if 0 <= row < len(self._row_widgets):
            return self._row_widgets[row].get(field)
        return None

    # --- building the widgets ------------------------------------------------------

    def _build(self) -> None:
        content = QWidget()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(10)

        # Preset and dataset.
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
        preset_label = QLabel("&Preset")
        preset_label.setBuddy(self.preset_combo)

        self.dataset_combo = QComboBox()
        self.dataset_combo.setObjectName("datasetCombo")
        self.dataset_combo.setToolTip(TOOLTIPS["dataset"])
        self.dataset_combo.activated.connect(self._on_dataset_chosen)
        dataset_label = QLabel("&Dataset")
        dataset_label.setBuddy(self.dataset_combo)
        self.dataset_box = FieldBox("", self.dataset_combo)
        self.dataset_box.caption.hide()
        self.input_label = QLabel()
        self.input_label.setToolTip("Values per sample the first layer receives; set by the dataset.")
        self.input_label.setObjectName("inputLabel")
        self.input_label.setStyleSheet("color: palette(placeholder-text);")
        top.addWidget(preset_label, 0, 0)
        top.addWidget(self.preset_combo, 0, 1)
        top.addWidget(dataset_label, 1, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.dataset_box, 1, 1)
        top.addWidget(self.input_label, 2, 1)
        top.setColumnStretch(1, 1)
        outer.addLayout(top)

        # Layers.
        layers_group = QGroupBox("Layers")
        lg = QVBoxLayout(layers_group)
        lg.setSpacing(6)
        self.table = LayerTable()
        self.table.setObjectName("layerTable")
        self.table.moveRequested.connect(self._on_layer_moved)
        self.table.itemSelectionChanged.connect(self._update_row_buttons)
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
            action.setToolTip(self.descriptions.get("layer_types", {}).get(kind, ""))
            action.triggered.connect(lambda _=False, k=kind: self.add_layer(k))
            self.add_actions[kind] = action
        add_menu.setToolTipsVisible(True)
        self.add_button.setMenu(add_menu)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected layer")
        self.remove_button.clicked.connect(self._on_remove_clicked)
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
        outer.addWidget(layers_group)

        # Training settings.
        training_group = QGroupBox("Training")
        self.training_grid = QGridLayout(training_group)
        self.training_grid.setHorizontalSpacing(12)
        self.training_grid.setVerticalSpacing(8)
        self.training_grid.setColumnStretch(0, 1)
        self.training_grid.setColumnStretch(1, 1)

        self.loss_combo = QComboBox()
        for name in self.choices["losses"]:
            self.loss_combo.addItem(name, name)
            self.loss_combo.setItemData(self.loss_combo.count() - 1,
                                        self.descriptions.get("losses", {}).get(name, ""),
                                        Qt.ItemDataRole.ToolTipRole)
        self.loss_combo.activated.connect(
            lambda _: self._edit_value(("loss",), self.loss_combo.currentData(), "Change the loss"))
        self.optimizer_combo = QComboBox()
        for name in self.choices["optimizers"]:
            self.optimizer_combo.addItem(name, name)
            self.optimizer_combo.setItemData(self.optimizer_combo.count() - 1,
                                             self.descriptions.get("optimizers", {}).get(name, ""),
                                             Qt.ItemDataRole.ToolTipRole)
        self.optimizer_combo.activated.connect(self._on_optimizer_chosen)
        self.schedule_combo = QComboBox()
        for name in self.choices["schedules"]:
            self.schedule_combo.addItem(name, name)
            self.schedule_combo.setItemData(self.schedule_combo.count() - 1,
                                            self.descriptions.get("schedules", {}).get(name, ""),
                                            Qt.ItemDataRole.ToolTipRole)
        self.schedule_combo.activated.connect(self._on_schedule_chosen)
        self.init_combo = QComboBox()
        for name in self.choices["initializers"]:
            self.init_combo.addItem(name, name)
            self.init_combo.setItemData(self.init_combo.count() - 1,
                                        self.descriptions.get("initializers", {}).get(name, ""),
                                        Qt.ItemDataRole.ToolTipRole)
        self.init_combo.activated.connect(
            lambda _: self._edit_value(("initializer",), self.init_combo.currentData(),
                                       "Change the default initializer"))

        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(0, 1 << 20)
        self.batch_spin.setSingleStep(32)
        self.batch_spin.setSpecialValueText("Full batch")
        self.batch_spin.valueChanged.connect(
            lambda v: self._edit_value(("training", "batch_size"), v, "Change the batch size"))
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(0, 100000)
        self.epochs_spin.valueChanged.connect(
            lambda v: self._edit_value(("training", "epochs"), v, "Change the number of epochs"))
        self.val_spin = QDoubleSpinBox()
        self.val_spin.setRange(0.0, 0.99)
        self.val_spin.setDecimals(2)
        self.val_spin.setSingleStep(0.05)
        self.val_spin.setSpecialValueText("None")
        self.val_spin.valueChanged.connect(
            lambda v: self._edit_value(("training", "validation_split"), round(v, 4),
                                       "Change the validation split"))
        self.patience_spin = QSpinBox()
        self.patience_spin.setRange(0, 100000)
        self.patience_spin.setSpecialValueText("Off")
        self.patience_spin.valueChanged.connect(
            lambda v: self._edit_value(("training", "early_stopping_patience"), v,
                                       "Change early stopping"))
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.valueChanged.connect(
            lambda v: self._edit_value(("seed",), v, "Change the seed"))
        self.augment_check = QCheckBox("Distort training images")
        self.augment_check.toggled.connect(
            lambda v: self._edit_value(("training", "augment"), bool(v), "Toggle augmentation"))

        self.engine_combo = QComboBox()
        for name, label in (("fast", "Fast"), ("reference", "Reference (the formulas)")):
            self.engine_combo.addItem(label, name)
        self.engine_combo.activated.connect(
            lambda _: self._edit_value(("training", "engine"), self.engine_combo.currentData(),
                                       "Change the engine"))

        self.advanced_button = QToolButton()
        self.advanced_button.setObjectName("advancedButton")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setAutoRaise(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setToolTip("Show or hide the optimizer's fine-tuning settings; the "
                                        "defaults suit almost every network.")
        self.advanced_button.toggled.connect(self._on_advanced_toggled)

        self._fixed_fields = {
            "loss": FieldBox("Loss", self.loss_combo, TOOLTIPS["loss"]),
            "optimizer.name": FieldBox("Optimizer", self.optimizer_combo, TOOLTIPS["optimizer"]),
            "schedule.name": FieldBox("Learning-rate schedule", self.schedule_combo,
                                      TOOLTIPS["schedule"]),
            "initializer": FieldBox("Default initializer", self.init_combo, TOOLTIPS["initializer"]),
            "training.batch_size": FieldBox("Batch size", self.batch_spin, TOOLTIPS["batch_size"]),
            "training.epochs": FieldBox("Epochs", self.epochs_spin, TOOLTIPS["epochs"]),
            "training.validation_split": FieldBox("Validation split", self.val_spin,
                                                  TOOLTIPS["validation_split"]),
            "training.early_stopping_patience": FieldBox(
                "Early-stopping patience", self.patience_spin, TOOLTIPS["early_stopping_patience"]),
            "seed": FieldBox("Seed", self.seed_spin, TOOLTIPS["seed"]),
            "training.augment": FieldBox("Augmentation", self.augment_check, TOOLTIPS["augment"]),
            "training.engine": FieldBox("Engine", self.engine_combo, TOOLTIPS["engine"]),
        }
        for key, box in self._fixed_fields.items():
            box.setObjectName("field:" + key)
        self.other_problems = QLabel()
        self.other_problems.setObjectName("otherProblems")
        self.other_problems.setWordWrap(True)
        self.other_problems.hide()
        outer.addWidget(training_group)
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

    def _fields(self) -> dict[str, FieldBox]:
        return {**self._fixed_fields, **self._param_fields, "dataset": self.dataset_box}

    def _make_param_editor(self, section: str, key: str, default) -> FieldBox:
        caption, tip, kind = PARAMS.get(key, (key.replace("_", " ").capitalize(), "", "float"))
        if kind == "int" or (isinstance(default, int) and not isinstance(default, bool)
                             and kind != "sci" and kind != "fraction"):
            editor = QSpinBox()
            editor.setRange(0, 1_000_000)
            editor.valueChanged.connect(
                lambda v, s=section, k=key: self._edit_value((s, k), int(v), f"Change {caption.lower()}"))
        elif kind == "sci":
            editor = SciSpinBox(minimum=0.0, maximum=1000.0)
            editor.valueChanged.connect(
                lambda v, s=section, k=key: self._edit_value((s, k), float(v), f"Change {caption.lower()}"))
        else:
            editor = CompactSpinBox(minimum=0.0, maximum=1.0, step=0.01)
            editor.valueChanged.connect(
                lambda v, s=section, k=key: self._edit_value((s, k), round(float(v), 6),
                                                             f"Change {caption.lower()}"))
        box = FieldBox(caption, editor, tip)
        box.setObjectName(f"field:{section}.{key}")
        return box

    def _layout_training_grid(self, optimizer: str | None, schedule: str | None) -> None:
        """Lay the training fields out in two columns; rebuilt when the optimizer or schedule changes.

        The optimizer's fine-tuning settings (betas, epsilon, rho) sit behind a toggle so the
        common ones fit on a laptop screen; a problem in one of them opens the toggle.
        """
        expanded = self.advanced_button.isChecked()
        key = (optimizer, schedule, expanded)
        if key == self._param_names and self._param_fields:
            return
        grid = self.training_grid
        while grid.count():
            grid.takeAt(0)
        for box in self._param_fields.values():  # including hidden advanced ones
            box.hide()
            box.deleteLater()
        self._param_fields = {}
        opt_defaults = self.choices["optimizers"].get(optimizer, {})
        sched_defaults = self.choices["schedules"].get(schedule, {})
        for name, default in opt_defaults.items():
            self._param_fields[f"optimizer.{name}"] = self._make_param_editor("optimizer", name, default)
        for name, default in sched_defaults.items():
            self._param_fields[f"schedule.{name}"] = self._make_param_editor("schedule", name, default)
        f = self._fixed_fields
        common = [k for k in opt_defaults if k not in ADVANCED]
        advanced = [k for k in opt_defaults if k in ADVANCED]
        cells: list = [f["loss"], f["optimizer.name"]]
        cells += [self._param_fields[f"optimizer.{k}"] for k in common]
        hidden = []
        if advanced:
            if len(cells) % 2:
                cells.append(None)
            cells.append("toggle")
            names = ", ".join(PARAMS.get(k, (k,))[0] for k in advanced)
            self.advanced_button.setText(("Hide " if expanded else "Show ") + names)
            self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if expanded
                                              else Qt.ArrowType.RightArrow)
            boxes = [self._param_fields[f"optimizer.{k}"] for k in advanced]
            if expanded:
                cells += boxes
            else:
                hidden = boxes
        if (len(cells) - (1 if advanced else 0)) % 2:
            cells.append(None)
        cells += [f["schedule.name"]] + [self._param_fields[f"schedule.{k}"] for k in sched_defaults]
        cells += [f["training.batch_size"], f["training.epochs"],
                  f["training.validation_split"], f["training.early_stopping_patience"],
                  f["initializer"], f["seed"], f["training.augment"], f["training.engine"]]
        row = col = 0
        for cell in cells:
            if cell == "toggle":
                if col:
                    row, col = row + 1, 0
                grid.addWidget(self.advanced_button, row, 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
                row += 1
                continue
            if cell is not None:
                grid.addWidget(cell, row, col, Qt.AlignmentFlag.AlignTop)
                cell.show()
            row, col = (row, 1) if col == 0 else (row + 1, 0)
        self.advanced_button.setVisible(bool(advanced))
        for box in hidden:
            box.hide()
        self._param_names = key

    def _on_advanced_toggled(self, _checked: bool) -> None:
        s = self._spec
        opt = s.get("optimizer") if isinstance(s.get("optimizer"), dict) else {}
        sched = s.get("schedule") if isinstance(s.get("schedule"), dict) else {"name": "constant"}
        self._applying = True
        try:
            self._layout_training_grid(opt.get("name"), sched.get("name"))
            self._fill_param_fields(opt, sched)
        finally:
            self._applying = False
        self._show_problems(self._problems)

    # --- layer rows ------------------------------------------------------------------

    def _rebuild_rows(self, layer_list: list) -> None:
        table = self.table
        table.setRowCount(0)
        self._row_widgets = []
        self._row_kinds = []
        table.setRowCount(len(layer_list))
        for row, cfg in enumerate(layer_list):
            cfg = cfg if isinstance(cfg, dict) else {}
            kind = str(cfg.get("type", "?"))
            self._row_kinds.append(kind)
            name = QTableWidgetItem(f"{row + 1}  {kind.capitalize()}")
            name.setToolTip(self.descriptions.get("layer_types", {}).get(kind, kind)
                            + ". Drag the row by its name to move it.")
            table.setItem(row, COL_TYPE, name)
            for col in (COL_OUT, COL_PARAMS):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, col, item)
            widgets: dict[str, QWidget] = {}
            if kind == "dense":
                units = QSpinBox()
                units.setRange(0, 1_000_000)
                units.setToolTip(TOOLTIPS["units"])
                units.setFrame(False)
                units.valueChanged.connect(
                    lambda v, r=row: self._edit_value(("layers", r, "units"), int(v),
                                                      f"Change units of layer {r + 1}"))
                act = QComboBox()
                act.setFrame(False)
                for a in self.choices["activations"]:
                    act.addItem(a, a)
                act.setToolTip(TOOLTIPS["activation"])
                act.activated.connect(
                    lambda _, r=row, w=act: self._edit_value(
                        ("layers", r, "activation"), w.currentData(),
                        f"Change activation of layer {r + 1}"))
                init = QComboBox()
                init.setFrame(False)
                init.addItem("default", None)
                for a in self.choices["initializers"]:
                    init.addItem(a, a)
                init.setToolTip(TOOLTIPS["layer_initializer"])
                init.activated.connect(
                    lambda _, r=row, w=init: self._edit_value(
                        ("layers", r, "initializer"), w.currentData(),
                        f"Change initializer of layer {r + 1}"))
                widgets = {"units": units, "activation": act, "initializer": init}
                table.setCellWidget(row, COL_SIZE, units)
                table.setCellWidget(row, COL_ACT, act)
                table.setCellWidget(row, COL_INIT, init)
            elif kind == "dropout":
                rate = QDoubleSpinBox()
                rate.setRange(0.0, 1.0)
                rate.setDecimals(2)
                rate.setSingleStep(0.05)
                rate.setFrame(False)
                rate.setToolTip(TOOLTIPS["rate"])
                rate.valueChanged.connect(
                    lambda v, r=row: self._edit_value(("layers", r, "rate"), round(float(v), 4),
                                                      f"Change dropout rate of layer {r + 1}"))
                widgets = {"rate": rate}
                table.setCellWidget(row, COL_SIZE, rate)
                for col in (COL_ACT, COL_INIT):
                    item = QTableWidgetItem("–")
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    table.setItem(row, col, item)
            self._row_widgets.append(widgets)
        table.fit_height()

    def _refresh_rows(self, layer_list: list) -> None:
        kinds = [str(c.get("type", "?")) if isinstance(c, dict) else "?" for c in layer_list]
        if kinds != self._row_kinds:
            self._rebuild_rows(layer_list)
        for row, cfg in enumerate(layer_list):
            if not isinstance(cfg, dict):
                continue
            w = self._row_widgets[row]
            if "units" in w:
                _set_spin(w["units"], cfg.get("units", 0))
                _set_combo(w["activation"], cfg.get("activation", "relu"))
                _set_combo(w["initializer"], cfg.get("initializer"))
            if "rate" in w:
                _set_spin(w["rate"], cfg.get("rate", 0.5))
        if self._select_after is not None and self.table.rowCount():
            row = max(0, min(self._select_after, self.table.rowCount() - 1))
            self.table.selectRow(row)
            self._select_after = None
        self._update_row_buttons()

    def _update_row_buttons(self) -> None:
        row = self.table.currentRow()
        n = self.table.rowCount()
        has = 0 <= row < n and bool(self.table.selectedIndexes())
        self.remove_button.setEnabled(has and n > 1)
        self.up_button.setEnabled(has and row > 0)
        self.down_button.setEnabled(has and row < n - 1)

    def selected_row(self) -> int:
        return self.table.currentRow() if self.table.selectedIndexes() else -1

    def add_layer(self, kind: str) -> None:
        """Insert a layer after the selected row, or before the output layer."""
        defaults = dict(self.choices["layer_types"].get(kind, {}))
        cfg = {"type": kind}
        for key, value in defaults.items():
            if key == "units":
                value = DEFAULT_UNITS if value is None else value
            elif key == "rate":
                value = DEFAULT_DROPOUT
            cfg[key] = value
        layers = list(self._spec.get("layers") or [])
        row = self.selected_row()
        index = row + 1 if row >= 0 else max(len(layers) - 1, 0)
        self._select_after = index
        self._edit(lambda s: s.setdefault("layers", []).insert(index, cfg),
                   f"Add a {kind} layer")

    def remove_layer(self, row: int) -> None:
        layers = self._spec.get("layers") or []
        if not 0 <= row < len(layers):
            return
        self._select_after = min(row, len(layers) - 2)
        self._edit(lambda s: s["layers"].pop(row), f"Remove layer {row + 1}")

    def move_layer(self, source: int, target: int) -> None:
        layers = self._spec.get("layers") or []
        if source == target or not (0 <= source < len(layers) and 0 <= target < len(layers)):
            return
        self._select_after = target

        def move(s):
            s["layers"].insert(target, s["layers"].pop(source))

        self._edit(move, f"Move layer {source + 1} to position {target + 1}")

    def _on_remove_clicked(self) -> None:
        self.remove_layer(self.selected_row())

    def _move_selected(self, delta: int) -> None:
        row = self.selected_row()
        if row >= 0:
            self.move_layer(row, row + delta)

    def _on_layer_moved(self, source: int, target: int) -> None:
        self.move_layer(source, target)

    # --- combos with side effects ------------------------------------------------------

    def _on_preset_chosen(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if not name:
            return
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
            _set_combo(self.dataset_combo, self._spec.get("dataset"))
            self.datasetBrowseRequested.emit()
            return
        self.set_dataset(value)

    def set_dataset(self, name: str, input_size: int | None = None) -> None:
        """Train on ``name`` (and take ``input_size`` features per sample, when known)."""
        known = {"mnist": 784}
        size = input_size or known.get(name)

        def change(s):
            s["dataset"] = name
            if size:
                s["input_shape"] = [int(size)]

        self._edit(change, "Change the dataset")

    def match_input(self, size: int) -> None:
        """Make the input as wide as the loaded dataset (one undoable edit)."""
        if list(self._spec.get("input_shape") or []) != [int(size)]:
            self._edit(lambda s: s.__setitem__("input_shape", [int(size)]),
                       "Match the input to the dataset")

    def _on_optimizer_chosen(self, _index: int) -> None:
        name = self.optimizer_combo.currentData()
        old = self._spec.get("optimizer") if isinstance(self._spec.get("optimizer"), dict) else {}
        if old.get("name") == name:
            return
        defaults = self.choices["optimizers"][name]
        new = {"name": name, **defaults}
        for key in ("learning_rate", "weight_decay", "epsilon"):  # carry over what still applies
            if key in defaults and key in old and name not in ("sgd", "adamw"):
                new[key] = old[key]
        self._edit(lambda s: s.__setitem__("optimizer", new), f"Use the {name} optimizer")

    def _on_schedule_chosen(self, _index: int) -> None:
        name = self.schedule_combo.currentData()
        old = self._spec.get("schedule") if isinstance(self._spec.get("schedule"), dict) else {}
        if old.get("name") == name:
            return
        new = {"name": name, **self.choices["schedules"][name]}
        self._edit(lambda s: s.__setitem__("schedule", new), f"Use the {name} schedule")

    # --- edits, undo and refresh --------------------------------------------------------

    def _edit_value(self, path: tuple, value, text: str) -> None:
        if self._applying:
            return

        def change(s):
            target = s
            for key in path[:-1]:
                if isinstance(target, dict):
                    target = target.setdefault(key, {})
                else:
                    target = target[key]
            if value is None and isinstance(target, dict) and path[-1] == "initializer" \
                    and len(path) > 1:
                target[path[-1]] = None
            else:
                target[path[-1]] = value

        self._edit(change, text, merge_key="/".join(map(str, path)))

    def _edit(self, change, text: str, merge_key: str | None = None) -> None:
        if self._applying:
            return
        after = _deep(self._spec)
        try:
            change(after)
        except (KeyError, IndexError, TypeError, AttributeError):
            return
        if after == self._spec:
            return
        self._push(after, text, merge_key)

    def _push(self, after: dict, text: str, merge_key: str | None = None) -> None:
        before = _deep(self._spec)
        if after == before:
            return
        self.undo_stack.push(SpecCommand(self, before, after, text, merge_key))

    def _apply(self, spec: dict) -> None:
        """Show ``spec``: refresh every widget, validate, describe, and report."""
        self._spec = _deep(spec)
        s = self._spec
        self._applying = True
        try:
            opt = s.get("optimizer") if isinstance(s.get("optimizer"), dict) else {}
            sched = s.get("schedule") if isinstance(s.get("schedule"), dict) else {"name": "constant"}
            training = s.get("training") if isinstance(s.get("training"), dict) else {}
            self._layout_training_grid(opt.get("name"), sched.get("name"))
            self._refresh_datasets(s.get("dataset"))
            _set_combo(self.loss_combo, s.get("loss"))
            _set_combo(self.optimizer_combo, opt.get("name"))
            _set_combo(self.schedule_combo, sched.get("name"))
            _set_combo(self.init_combo, s.get("initializer", "he_normal"))
            defaults = self.choices.get("training", {})
            _set_spin(self.batch_spin, training.get("batch_size", defaults.get("batch_size", 128)))
            _set_spin(self.epochs_spin, training.get("epochs", defaults.get("epochs", 10)))
            _set_spin(self.val_spin, training.get("validation_split",
                                                  defaults.get("validation_split", 0.1)))
            _set_spin(self.patience_spin, training.get("early_stopping_patience", 0))
            _set_spin(self.seed_spin, s.get("seed", 0))
            _set_check(self.augment_check, training.get("augment", False))
            _set_combo(self.engine_combo, training.get("engine", "fast"))
            self._fill_param_fields(opt, sched)
            layer_list = s.get("layers") if isinstance(s.get("layers"), list) else []
            self._refresh_rows(layer_list)
            shape = s.get("input_shape")
            if isinstance(shape, list) and shape:
                size = math.prod(int(d) for d in shape if isinstance(d, int))
                side = int(math.isqrt(size)) if size > 0 else 0
                image = f" ({side}×{side} image)" if side >= 8 and side * side == size else ""
                self.input_label.setText(f"{size:,} input values per sample{image}")
            else:
                self.input_label.setText("Input: unknown")
            name = s.get("name")
            _set_combo(self.preset_combo, name if self.preset_combo.findData(name) >= 0 else None)
        finally:
            self._applying = False
        self._validate()
        self.specChanged.emit(self.spec())

    def _fill_param_fields(self, opt: dict, sched: dict) -> None:
        for key, box in self._param_fields.items():
            section, name = key.split(".", 1)
            values = opt if section == "optimizer" else sched
            default = self.choices[section + "s"].get(values.get("name"), {}).get(name, 0)
            _set_spin(box.editor, values.get(name, default))

    def _refresh_datasets(self, current) -> None:
        combo = self.dataset_combo
        wanted = list(BUILTIN_DATASETS)
        if isinstance(current, str) and current and current not in wanted:
            wanted.append(current)
        have = [combo.itemData(i) for i in range(combo.count())]
        if have != wanted + [None]:
            combo.clear()
            for name in wanted:
                label = {"mnist": "MNIST digits (bundled)", "xor": "XOR (4 samples)"}.get(name, name)
                combo.addItem(label, name)
                combo.setItemData(combo.count() - 1, name, Qt.ItemDataRole.ToolTipRole)
            combo.addItem("Other folder or CSV file…", None)
        _set_combo(combo, current)

    def _validate(self) -> None:
        try:
            problems = list(engine.validate(self._spec))
        except Exception as exc:  # a malformed spec must never break the form
            problems = [engine.Problem("spec", f"cannot check this spec: {exc}")]
        self._problems = problems
        self._summary = None
        if not problems:
            try:
                self._summary = engine.describe(self._spec)
            except Exception as exc:  # describe raises SpecError for anything validate missed
                problems = list(getattr(exc, "problems", [])) or [engine.Problem("spec", str(exc))]
                self._problems = problems
        self._show_problems(problems)
        self._show_summary()
        self.problemsChanged.emit(list(problems))

    def _show_problems(self, problems: list) -> None:
        color = error_color(self)
        fields = self._fields()
        by_field: dict[str, list[str]] = {}
        row_msgs: list[str] = []
        other: list[str] = []
        row_invalid: dict[tuple[int, str | None], str] = {}
        for p in problems:
            layer = getattr(p, "layer", None)
            if layer is not None:
                row_invalid[(layer, p.field)] = p.message
                what = f" · {p.field}" if p.field and p.field != "type" else ""
                row_msgs.append(f"<b>Layer {layer + 1}</b>{what}: {_html(p.message)}")
                continue
            key = _field_key(p.path, fields)
            if key is not None:
                by_field.setdefault(key, []).append(p.message)
            else:
                other.append(f"{p.path}: {p.message}")
        if any(k.split(".")[-1] in ADVANCED for k in by_field) and not self.advanced_button.isChecked():
            self.advanced_button.setChecked(True)  # re-lays out, then shows the problems again
            return
        for key, box in fields.items():
            msgs = by_field.get(key)
            box.set_problem("\n".join(msgs) if msgs else None)
        for row, widgets in enumerate(self._row_widgets):
            row_bad = (row, None) in row_invalid or (row, "type") in row_invalid
            for fname, w in widgets.items():
                msg = row_invalid.get((row, fname))
                set_invalid(w, bool(msg), msg or TOOLTIPS.get(
                    "layer_initializer" if fname == "initializer" else fname, ""))
            item = self.table.item(row, COL_TYPE)
            if item is not None:
                item.setForeground(_brush(color) if row_bad else _brush(None))
        self.layer_problems.setText("<br>".join(row_msgs))
        self.layer_problems.setStyleSheet(f"color: {color};")
        self.layer_problems.setVisible(bool(row_msgs))
        self.other_problems.setText("\n".join(other))
        self.other_problems.setStyleSheet(f"color: {color};")
        self.other_problems.setVisible(bool(other))

    def _show_summary(self) -> None:
        summary = self._summary
        rows = summary["layers"] if summary else []
        for row in range(self.table.rowCount()):
            out_item = self.table.item(row, COL_OUT)
            params_item = self.table.item(row, COL_PARAMS)
            if row < len(rows):
                shape = rows[row]["output_shape"]
                out_item.setText("×".join(str(d) for d in shape))
                params_item.setText(format_count(rows[row]["params"]))
            else:
                out_item.setText("–")
                params_item.setText("–")
        if summary:
            self.totals_label.setText(
                f"<b>{format_count(summary['total_params'])}</b> parameters · "
                f"{format_bytes(summary['memory_bytes'])} · "
                f"{format_flops(summary['flops_per_sample'])} per sample")
        else:
            n = len(self._problems)
            self.totals_label.setText(f"Totals appear when the network is valid "
                                      f"({n} problem{'s' if n != 1 else ''} to fix).")

    # --- JSON helpers (Import / Export spec) ----------------------------------------------


def _field_key(path: str, fields: dict) -> str | None:
    """The form field a problem's path belongs to (longest matching prefix)."""
    path = path.replace("[", ".").replace("]", "")
    aliases = {"optimizer": "optimizer.name", "schedule": "schedule.name",
               "input_shape": "dataset", "training": "training.batch_size"}
    parts = path.split(".")
    while parts:
        key = ".".join(parts)
        if key in fields:
            return key
        if key in aliases:
            return aliases[key]
        parts.pop()
    return None


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _brush(color: str | None):
    from PySide6.QtGui import QBrush, QColor
    return QBrush(QColor(color)) if color else QBrush()


def _set_spin(spin, value) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return
    if isinstance(spin, QSpinBox):
        number = int(number)
    if spin.value() != number:
        spin.blockSignals(True)
        spin.setValue(number)
        spin.blockSignals(False)


def _set_combo(combo: QComboBox, data) -> None:
    index = combo.findData(data)
    if index < 0 and data is not None:
        index = combo.findText(str(data))
    if index < 0:
        index = 0 if combo.count() and combo.itemData(0) is None else -1
    if combo.currentIndex() != index:
        combo.blockSignals(True)
        combo.setCurrentIndex(index)
        combo.blockSignals(False)


def _set_check(check: QCheckBox, value) -> None:
    if check.isChecked() != bool(value):
        check.blockSignals(True)
        check.setChecked(bool(value))
        check.blockSignals(False)
