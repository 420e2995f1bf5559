"""The form's training settings: loss, optimizer and its settings, schedule, batch size, epochs,
validation, early stopping, initializer, seed, augmentation and engine.

The optimizer's and the schedule's settings come from the engine's tables (``choices()``), so
their editors are rebuilt when either changes. Edits are reported (``valueEdited``,
``optimizerChosen``, ``scheduleChosen``), never applied here: the form turns them into
undoable commands.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout, QGroupBox,
                               QSpinBox, QToolButton)

from .form_text import ADVANCED, PARAMS, TOOLTIPS
from .widgets import CompactSpinBox, FieldBox, SciSpinBox, set_check, set_combo, set_spin

ENGINES = (("fast", "Fast"), ("reference", "Reference (the formulas)"))


class TrainingSettings(QGroupBox):
    valueEdited = Signal(tuple, object, str)  # (spec path, value, undo text)
    optimizerChosen = Signal(str)
    scheduleChosen = Signal(str)

    def __init__(self, choices: dict, parent=None):
        super().__init__("Training", parent)
        self.choices = choices
        self.descriptions = choices.get("descriptions", {})
        self.grid = QGridLayout(self)
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(8)
        self.grid.setColumnStretch(0, 1)
        self.grid.setColumnStretch(1, 1)
        self.param_fields: dict[str, FieldBox] = {}
        self._layout_key: tuple = (None, None, None)
        self._spec: dict = {}
        self._problems: dict = {}
        self._build()

    def _named_combo(self, section: str) -> QComboBox:
        combo = QComboBox()
        for name in self.choices[section]:
            combo.addItem(name, name)
            combo.setItemData(combo.count() - 1, self.descriptions.get(section, {}).get(name, ""),
                              Qt.ItemDataRole.ToolTipRole)
        return combo

    def _spin(self, path: tuple, text: str, maximum: int, special: str = "", step: int = 1):
        spin = QSpinBox()
        spin.setRange(0, maximum)
        spin.setSingleStep(step)
        if special:
            spin.setSpecialValueText(special)
        spin.valueChanged.connect(lambda v: self.valueEdited.emit(path, v, text))
        return spin

    def _build(self) -> None:
        self.loss_combo = self._named_combo("losses")
        self.loss_combo.activated.connect(lambda _: self.valueEdited.emit(
            ("loss",), self.loss_combo.currentData(), "Change the loss"))
        self.optimizer_combo = self._named_combo("optimizers")
        self.optimizer_combo.activated.connect(
            lambda _: self.optimizerChosen.emit(self.optimizer_combo.currentData()))
        self.schedule_combo = self._named_combo("schedules")
        self.schedule_combo.activated.connect(
            lambda _: self.scheduleChosen.emit(self.schedule_combo.currentData()))
        self.init_combo = self._named_combo("initializers")
        self.init_combo.activated.connect(lambda _: self.valueEdited.emit(
            ("initializer",), self.init_combo.currentData(), "Change the default initializer"))
        self.batch_spin = self._spin(("training", "batch_size"), "Change the batch size", 1 << 20,
                                     "Full batch", 32)
        self.epochs_spin = self._spin(("training", "epochs"), "Change the number of epochs", 100000)
        self.val_spin = QDoubleSpinBox()
        self.val_spin.setRange(0.0, 0.99)
        self.val_spin.setDecimals(2)
        self.val_spin.setSingleStep(0.05)
        self.val_spin.setSpecialValueText("None")
        self.val_spin.valueChanged.connect(lambda v: self.valueEdited.emit(
            ("training", "validation_split"), round(v, 4), "Change the validation split"))
        self.patience_spin = self._spin(("training", "early_stopping_patience"),
                                        "Change early stopping", 100000, "Off")
        self.seed_spin = self._spin(("seed",), "Change the seed", 2**31 - 1)
        self.augment_check = QCheckBox("Distort training images")
        self.augment_check.toggled.connect(lambda v: self.valueEdited.emit(
            ("training", "augment"), bool(v), "Toggle augmentation"))
        self.engine_combo = QComboBox()
        for name, label in ENGINES:
            self.engine_combo.addItem(label, name)
        self.engine_combo.activated.connect(lambda _: self.valueEdited.emit(
            ("training", "engine"), self.engine_combo.currentData(), "Change the engine"))
        self.advanced_button = QToolButton()
        self.advanced_button.setObjectName("advancedButton")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setAutoRaise(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setToolTip("Show or hide the optimizer's fine-tuning settings; the "
                                        "defaults suit almost every network.")
        self.advanced_button.toggled.connect(self._on_advanced_toggled)
        captions = {"loss": ("Loss", self.loss_combo),
                    "optimizer.name": ("Optimizer", self.optimizer_combo),
                    "schedule.name": ("Learning-rate schedule", self.schedule_combo),
                    "initializer": ("Default initializer", self.init_combo),
                    "training.batch_size": ("Batch size", self.batch_spin),
                    "training.epochs": ("Epochs", self.epochs_spin),
                    "training.validation_split": ("Validation split", self.val_spin),
                    "training.early_stopping_patience": ("Early-stopping patience",
                                                         self.patience_spin),
                    "seed": ("Seed", self.seed_spin),
                    "training.augment": ("Augmentation", self.augment_check),
                    "training.engine": ("Engine", self.engine_combo)}
        self.fixed_fields = {}
        for key, (caption, editor) in captions.items():
            box = FieldBox(caption, editor, TOOLTIPS[key.replace(".name", "").split(".")[-1]])
            box.setObjectName("field:" + key)
            self.fixed_fields[key] = box

    def fields(self) -> dict[str, FieldBox]:
        return {**self.fixed_fields, **self.param_fields}

    # --- the optimizer's and the schedule's settings -----------------------------------

    def _make_param_editor(self, section: str, key: str, default) -> FieldBox:
        caption, tip, kind = PARAMS.get(key, (key.replace("_", " ").capitalize(), "", "float"))
        text = f"Change {caption.lower()}"
        if kind == "int" or (isinstance(default, int) and not isinstance(default, bool)
                             and kind not in ("sci", "fraction")):
            editor, read = QSpinBox(), int
            editor.setRange(0, 1_000_000)
        elif kind == "sci":
            editor, read = SciSpinBox(minimum=0.0, maximum=1000.0), float
        else:
            editor = CompactSpinBox(minimum=0.0, maximum=1.0, step=0.01)
            read = lambda v: round(float(v), 6)  # noqa: E731
        editor.valueChanged.connect(lambda v: self.valueEdited.emit((section, key), read(v), text))
        box = FieldBox(caption, editor, tip)
        box.setObjectName(f"field:{section}.{key}")
        return box

    def _layout(self, optimizer: str | None, schedule: str | None) -> None:
        """Lay the fields out in two columns; rebuilt when the optimizer or schedule changes.

        The optimizer's fine-tuning settings (betas, epsilon, rho) sit behind a toggle so the
        common ones fit on a laptop screen; a problem in one of them opens the toggle.
        """
        expanded = self.advanced_button.isChecked()
        key = (optimizer, schedule, expanded)
        if key == self._layout_key and self.param_fields:
            return
        grid = self.grid
        while grid.count():
            grid.takeAt(0)
        for box in self.param_fields.values():  # including hidden advanced ones
            box.hide()
            box.deleteLater()
        opt_defaults = self.choices["optimizers"].get(optimizer, {})
        sched_defaults = self.choices["schedules"].get(schedule, {})
        self.param_fields = {f"optimizer.{n}": self._make_param_editor("optimizer", n, d)
                             for n, d in opt_defaults.items()}
        self.param_fields.update({f"schedule.{n}": self._make_param_editor("schedule", n, d)
                                  for n, d in sched_defaults.items()})
        f, p = self.fixed_fields, self.param_fields
        advanced = [k for k in opt_defaults if k in ADVANCED]
        cells: list = [f["loss"], f["optimizer.name"]]
        cells += [p[f"optimizer.{k}"] for k in opt_defaults if k not in ADVANCED]
        hidden = []
        if advanced:
            if len(cells) % 2:
                cells.append(None)
            cells.append("toggle")
            names = ", ".join(PARAMS.get(k, (k,))[0] for k in advanced)
            self.advanced_button.setText(("Hide " if expanded else "Show ") + names)
            self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if expanded
                                              else Qt.ArrowType.RightArrow)
            boxes = [p[f"optimizer.{k}"] for k in advanced]
            cells, hidden = (cells + boxes, []) if expanded else (cells, boxes)
        if (len(cells) - (1 if advanced else 0)) % 2:
            cells.append(None)
        cells += [f["schedule.name"]] + [p[f"schedule.{k}"] for k in sched_defaults]
        cells += [f[k] for k in ("training.batch_size", "training.epochs",
                                 "training.validation_split", "training.early_stopping_patience",
                                 "initializer", "seed", "training.augment", "training.engine")]
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
        self._layout_key = key

    def _on_advanced_toggled(self, _checked: bool) -> None:
        self.show_spec(self._spec)
        self.show_problems(self._problems)

    # --- showing the spec and its problems -------------------------------------------

    def show_spec(self, spec: dict) -> None:
        """Every field shows ``spec`` (no signals)."""
        self._spec = spec
        opt = spec.get("optimizer") if isinstance(spec.get("optimizer"), dict) else {}
        sched = spec.get("schedule") if isinstance(spec.get("schedule"), dict) else {"name": "constant"}
        training = spec.get("training") if isinstance(spec.get("training"), dict) else {}
        defaults = self.choices.get("training", {})
        self._layout(opt.get("name"), sched.get("name"))
        set_combo(self.loss_combo, spec.get("loss"))
        set_combo(self.optimizer_combo, opt.get("name"))
        set_combo(self.schedule_combo, sched.get("name"))
        set_combo(self.init_combo, spec.get("initializer", "he_normal"))
        for spin, key in ((self.batch_spin, "batch_size"), (self.epochs_spin, "epochs"),
                          (self.val_spin, "validation_split"),
                          (self.patience_spin, "early_stopping_patience")):
            set_spin(spin, training.get(key, defaults.get(key, 0)))
        set_spin(self.seed_spin, spec.get("seed", 0))
        set_check(self.augment_check, training.get("augment", False))
        set_combo(self.engine_combo, training.get("engine", "fast"))
        for key, box in self.param_fields.items():
            section, name = key.split(".", 1)
            values = opt if section == "optimizer" else sched
            default = self.choices[section + "s"].get(values.get("name"), {}).get(name, 0)
            set_spin(box.editor, values.get(name, default))

    def show_problems(self, by_field: dict) -> bool:
        """Each field's problems (``{field key: [messages]}``); False when a problem sits in a
        hidden fine-tuning setting: the toggle is then opened, and the caller shows again."""
        self._problems = by_field
        if any(k.split(".")[-1] in ADVANCED for k in by_field) and not self.advanced_button.isChecked():
            self.advanced_button.setChecked(True)  # lays out again and shows the problems
            return False
        for key, box in self.fields().items():
            messages = by_field.get(key)
            box.set_problem("\n".join(messages) if messages else None)
        return True
