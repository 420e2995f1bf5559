"""The "Step through the math" page: the batch just taken, one unit at a time, with its numbers.

Each step a recording run pauses after (``TrainingController.stepRecorded``) is replayed in
the background (``jobs``); the pickers choose a layer, a unit (for a convolution: a filter
and an output position) and a sample, and ``render`` writes the math of that unit. Until a
step is recorded the page says how to get one.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QImage, QPixmap
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QSpinBox, QSplitter, QTextBrowser, QToolButton, QVBoxLayout,
                               QWidget)

from . import render
from .fmt import STYLE, message
from .jobs import StepJobs, checked_indices, code_text

STEP_HINT = ("Press <b>Step (F7)</b> to take one batch on the Reference engine and see every "
             "number of it: the forward pass, the loss, the backward pass and the update."
             "<br><br>Then pick a layer, a unit and a sample to follow; <b>Check the "
             "gradient</b> compares backprop with central differences, and <b>Show the "
             "code</b> puts the NumPy code that computed the numbers beside them.")
FAST_HINT = ("This run trains on the <b>Fast</b> engine, which keeps its numbers in layouts "
             "of its own. The numbers are recorded for runs on the <b>Reference</b> engine: "
             "press <b>Stop</b>, then <b>Step (F7)</b>; it trains the same network on the "
             "Reference engine one batch at a time.")
RUNNING_HINT = ("Training on the Reference engine. The numbers of a batch appear when the run "
                "pauses: press <b>Step (F7)</b> or <b>Pause</b>.")
SHOWN_LAYERS = ("dense", "conv2d")


def _spin(tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setToolTip(tip)
    spin.setMinimumWidth(64)
    return spin


class StepPage(QWidget):
    shown = Signal()  # the math of a pick was written
    checkFinished = Signal(dict)

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.replay = None
        self.data: dict | None = None  # the numbers of the current pick (Replay.unit/position)
        self._check: dict | None = None
        self._updating = False  # the pickers are being set: draw once, at the end
        self.jobs = StepJobs(self)
        self.jobs.replayed.connect(self._on_replayed)
        self.jobs.replayFailed.connect(lambda text: self._show_message("The step could not be "
                                                                       "replayed", text))
        self.jobs.checked.connect(self._on_checked)
        self.jobs.checkFailed.connect(self._on_check_failed)

        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The layer whose unit to follow (dense and conv2d layers)")
        self.unit_spin = _spin("The unit of the dense layer")
        self.filter_spin = _spin("The convolution's filter")
        self.row_spin = _spin("The output row of the filter's feature map")
        self.col_spin = _spin("The output column of the filter's feature map")
        self.sample_spin = _spin("The sample of the batch")
        self.thumb = QLabel()
        self.thumb.setFixedSize(42, 42)
        self.thumb.setToolTip("The sample as the network saw it (augmented, if augmentation is on)")
        self.check_button = QPushButton("Check the gradient")
        self.check_button.setToolTip("Compare backprop's gradient of this unit's weights with "
                                     "central differences of the loss, in float64")
        self.code_button = QPushButton("Show the code")
        self.code_button.setCheckable(True)
        self.code_button.setToolTip("The reference path's NumPy code of this layer, beside the math")
        self.labels = {}
        picks = QHBoxLayout()
        picks.setSpacing(6)
        for text, widget in (("Layer", self.layer_combo), ("Unit", self.unit_spin),
                             ("Filter", self.filter_spin), ("Row", self.row_spin),
                             ("Column", self.col_spin), ("Sample", self.sample_spin)):
            label = QLabel(text)
            label.setBuddy(widget)
            self.labels[widget] = label
            picks.addWidget(label)
            picks.addWidget(widget)
            picks.addSpacing(6)
        picks.addWidget(self.thumb)
        picks.addStretch(1)
        picks.addWidget(self.check_button)
        picks.addWidget(self.code_button)
        self.picker = QWidget()
        self.picker.setLayout(picks)
        self.picker.layout().setContentsMargins(0, 0, 0, 0)

        self.browser = QTextBrowser()
        self.browser.setObjectName("stepMath")
        self.browser.setOpenLinks(False)
        self.browser.document().setDefaultStyleSheet(STYLE)
        self.code = QPlainTextEdit()
        self.code.setObjectName("stepCode")
        self.code.setReadOnly(True)
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.code.hide()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.browser)
        self.splitter.addWidget(self.code)
        self.splitter.setSizes([700, 500])
        self.step_bar = QHBoxLayout()
        self.step_bar.setSpacing(6)
        self.step_bar.addSpacing(12)
        self.step_bar.addWidget(self.picker, 1)
        self.step_bar.addStretch(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(self.step_bar)
        layout.addWidget(self.splitter, 1)

        self.layer_combo.currentIndexChanged.connect(self._on_layer_changed)
        for spin in (self.unit_spin, self.filter_spin, self.row_spin, self.col_spin,
                     self.sample_spin):
            spin.valueChanged.connect(self._show)
        self.check_button.clicked.connect(self.check_gradient)
        self.code_button.toggled.connect(self._on_code_toggled)
        session.networkChanged.connect(self._on_network_changed)
        session.runStateChanged.connect(lambda _state: self._show_hint())
        self._show_hint()

    def add_actions(self, actions) -> None:
        """Buttons for the window's Step actions, so that stepping needs no other page."""
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.step_bar.insertWidget(self.step_bar.count() - 3, button)

    # --- what arrives -------------------------------------------------------------------

    def set_record(self, record: dict) -> None:
        """A step the run just took (``Trainer.last_step``): replay it and show its math."""
        net = self.session.net
        if net is None:
            return
        self.jobs.replay(net.spec, record, net.dtype)

    def _on_network_changed(self, _net, source: str) -> None:
        if source == "trained":
            return  # the run that made the recorded steps has ended: they still stand
        self.jobs.forget()
        self.replay = self.data = self._check = None
        self._show_hint()

    def _on_replayed(self, replay) -> None:
        fresh = self.replay is None  # a new run: its pickers start afresh
        self.replay, self._check = replay, None
        self._updating = True
        self.sample_spin.setMaximum(len(replay.y) - 1)
        if fresh:
            self._fill_layers()
        self._configure(defaults=fresh)
        self._updating = False
        self._show()

    def _show_hint(self) -> None:
        if self.replay is not None:
            return
        net, state = self.session.net, self.session.run_state
        fast = net is not None and net.spec["training"]["engine"] != "reference"
        if state != "idle" and fast:
            self._show_message("No numbers for the Fast engine", FAST_HINT)
        elif state != "idle":
            self._show_message("Waiting for the run to pause", RUNNING_HINT)
        else:
            self._show_message("Nothing recorded yet", STEP_HINT)

    def _show_message(self, title: str, body: str) -> None:
        self.picker.setVisible(self.replay is not None)
        self.browser.setHtml(message(title, body))
        self.code.clear()

    # --- the pickers --------------------------------------------------------------------

    def _fill_layers(self) -> None:
        self.layer_combo.clear()
        layers = self.replay.net.layers
        for i, lay in enumerate(layers):
            if lay.kind in SHOWN_LAYERS:
                size = (f"{lay.output_size} units" if lay.kind == "dense"
                        else f"{lay.output_shape[0]} filters")
                role = " (output)" if i == len(layers) - 1 else ""
                self.layer_combo.addItem(f"{i + 1} · {lay.kind}, {size}{role}", i)
        self.layer_combo.setCurrentIndex(self.layer_combo.count() - 1)

    def _layer(self):
        index = self.layer_combo.currentData()
        return None if index is None or self.replay is None else self.replay.net.layers[index]

    def _on_layer_changed(self, *_args) -> None:
        if self._updating or self.replay is None:
            return
        self._updating = True
        self._configure(defaults=True)
        self._updating = False
        self._show()

    def _configure(self, defaults: bool) -> None:
        """The pickers for the layer: their ranges, and (``defaults``) the output layer's unit
        of the sample's label, or the position of a feature map that most gradient reached."""
        lay = self._layer()
        if lay is None:
            return
        dense = lay.kind == "dense"
        for spin, show in ((self.unit_spin, dense), (self.filter_spin, not dense),
                           (self.row_spin, not dense), (self.col_spin, not dense)):
            spin.setVisible(show)
            self.labels[spin].setVisible(show)
        sizes = [(self.unit_spin, lay.output_size)] if dense else list(
            zip((self.filter_spin, self.row_spin, self.col_spin), lay.output_shape))
        for spin, size in sizes:
            spin.setMaximum(size - 1)
        if defaults and dense:
            last = self.layer_combo.currentData() == len(self.replay.net.layers) - 1
            label = int(self.replay.y[self.sample_spin.value()])
            self.unit_spin.setValue(label if last and label < lay.output_size else 0)
        elif defaults:  # where the most gradient arrived, for the filter and sample
            g = self.replay.arriving[self.layer_combo.currentData()][self.sample_spin.value()]
            g = np.abs(g.reshape(lay.output_shape)[self.filter_spin.value()])
            row, col = np.unravel_index(int(np.argmax(g)), g.shape)
            self.row_spin.setValue(int(row))
            self.col_spin.setValue(int(col))
        self.code.setPlainText(code_text(lay, self.replay.optimizer))

    def where(self):
        """The picked unit, or (filter, row, column) of a convolution."""
        if self._layer().kind == "dense":
            return self.unit_spin.value()
        return self.filter_spin.value(), self.row_spin.value(), self.col_spin.value()

    def _key(self):
        return (self.layer_combo.currentData(), self.where())

    # --- the math -----------------------------------------------------------------------

    def _show(self, *_args) -> None:
        if self._updating or self.replay is None:
            return
        if self._layer() is None:
            self._show_message("No dense or convolution layer", "This network has no dense or "
                               "conv2d layer, whose units compute z = Σ w a + b.")
            return
        self.picker.show()
        layer, where, sample = self.layer_combo.currentData(), self.where(), self.sample_spin.value()
        self.data = render.pick_data(self.replay, layer, where, sample)
        columns = 1 if self.code_button.isChecked() else 2
        text = render.step_html(self.replay, layer, where, sample, columns)
        if self._check is not None and self._check["key"] == self._key():
            text += render.check_html(self._check, self._check["names"], self._has_kinks())
        elif self.jobs.is_checking():
            text += "<h3>5 · Gradient check</h3><p>Checking… (a few seconds)</p>"
        bar = self.browser.verticalScrollBar()
        position = bar.value()
        self.browser.setHtml(text)
        bar.setValue(position)
        self.check_button.setEnabled(not self.jobs.is_checking())
        self._show_thumbnail(sample)
        self.shown.emit()

    def _show_thumbnail(self, sample: int) -> None:
        dataset = self.session.run_dataset or self.session.dataset
        shape = getattr(dataset, "image_shape", None)
        x = self.replay.x[sample]
        if not shape or int(np.prod(shape)) != x.size:
            self.thumb.clear()
            return
        v = x.reshape(-1, *shape[-2:])[0].astype(np.float64)
        span = v.max() - v.min()
        grey = np.ascontiguousarray(255 * (v - v.min()) / (span if span else 1), dtype=np.uint8)
        image = QImage(grey.data, grey.shape[1], grey.shape[0], grey.shape[1],
                       QImage.Format.Format_Grayscale8).copy()
        self.thumb.setPixmap(QPixmap.fromImage(image).scaled(
            self.thumb.size(), Qt.AspectRatioMode.KeepAspectRatio))

    def _has_kinks(self) -> bool:
        return any(lay.kind == "maxpool2d" or lay.config.get("activation") == "relu"
                   for lay in self.replay.net.layers)

    # --- the gradient check -----------------------------------------------------------------

    def check_gradient(self) -> None:
        """Backprop against central differences for the picked unit (in the background)."""
        if self.replay is None or self.data is None or self.jobs.is_checking():
            return
        layer = self.layer_combo.currentData()
        d = self.data
        if d["kind"] == "dense":
            w_idx, b_idx = self.replay.unit_indices(layer, d["unit"])
        else:
            w_idx, b_idx = self.replay.filter_indices(layer, d["filter"])
        chosen, indices = checked_indices(d["update"], w_idx, b_idx)
        names = [render.term_table(self.replay, d)["weight_names"][i] for i in chosen] + ["b"]
        self.jobs.check(self.replay.net.spec, self.replay.record, indices, names, self._key())
        self._show()

    def _on_checked(self, result: dict) -> None:
        self._check = result
        self._show()
        self.checkFinished.emit(result)

    def _on_check_failed(self, text: str) -> None:
        self._show()
        self.browser.append(f"<p><b>The gradient check failed:</b> {text}</p>")

    def _on_code_toggled(self, on: bool) -> None:
        self.code.setVisible(on)
        self.code_button.setText("Hide the code" if on else "Show the code")
        self._show()  # one column of math beside the code, two without it

    def shutdown(self) -> None:
        self.jobs.shutdown()
