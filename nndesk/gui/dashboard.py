"""The training dashboard: Train / Pause / Stop, Step / Step epoch and the speed, the live
learning rate, progress and curves."""

from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from .plots import TrainingPlots
from .widgets import Banner, SciSpinBox, buddy_label, error_color, format_count, format_duration

PROGRESS_SECONDS = 0.25
SLOW_PACE = 3.0  # batches a second in Slow mode


class TrainingDashboard(QWidget):
    trainClicked = Signal()
    pauseClicked = Signal()
    stopClicked = Signal()
    stepClicked = Signal()
    stepEpochClicked = Signal()
    paceChanged = Signal(object)  # batches a second, or None for full speed
    learningRateEdited = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        style = self.style()
        self.train_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(self.trainClicked)
        self.pause_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPause), "Pause")
        self.pause_button.setObjectName("pauseButton")
        self.pause_button.clicked.connect(self.pauseClicked)
        self.stop_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop), "Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.clicked.connect(self.stopClicked)
        for b in (self.train_button, self.pause_button, self.stop_button):
            b.setMinimumWidth(76)
        self.step_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "Step")
        self.step_button.setObjectName("stepButton")
        self.step_button.clicked.connect(self.stepClicked)
        self.step_epoch_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Step epoch")
        self.step_epoch_button.setObjectName("stepEpochButton")
        self.step_epoch_button.clicked.connect(self.stepEpochClicked)
        self.pace_combo = QComboBox()
        self.pace_combo.setObjectName("paceCombo")
        self.pace_combo.addItem("Full speed", None)
        self.pace_combo.addItem(f"Slow ({SLOW_PACE:g} batches/s)", SLOW_PACE)
        self.pace_combo.setToolTip("Train at full speed, or slowly enough to watch each batch")
        self.pace_combo.currentIndexChanged.connect(
            lambda _i: self.paceChanged.emit(self.pace_combo.currentData()))

        self.lr_spin = SciSpinBox(minimum=0.0, maximum=100.0, digits=3)
        self.lr_spin.setObjectName("liveLearningRate")
        self.lr_spin.setKeyboardTracking(False)
        self.lr_spin.setToolTip("Change the learning rate while training runs; it takes effect at "
                                "the next batch (the schedule still scales it).")
        self.lr_spin.setMinimumWidth(90)
        self.lr_spin.editingFinished.connect(self._on_lr_edited)
        self.subset_spin = QSpinBox()
        self.subset_spin.setObjectName("subsetSpin")
        self.subset_spin.setRange(0, 10_000_000)
        self.subset_spin.setSingleStep(1000)
        self.subset_spin.setSpecialValueText("all")
        self.subset_spin.setToolTip("Train on only the first N training samples for a quick try; "
                                    "'all' uses the whole training set.")
        self.subset_spin.setMinimumWidth(90)
        self.mix_check = QCheckBox("Mix in my digits")
        self.mix_check.setObjectName("mixMyDigits")
        self.mix_check.setToolTip("Add ten copies of each digit you corrected on the Draw page to "
                                  "the training set, so the network learns your handwriting.")

        controls = QHBoxLayout()
        controls.setSpacing(4)
        for button in (self.train_button, self.pause_button, self.stop_button):
            controls.addWidget(button)
        controls.addSpacing(8)
        controls.addWidget(self.step_button)
        controls.addWidget(self.step_epoch_button)
        controls.addStretch(1)
        options = QGridLayout()
        options.setHorizontalSpacing(6)
        options.setVerticalSpacing(4)
        options.addWidget(buddy_label("&Learning rate", self.lr_spin), 0, 0)
        options.addWidget(self.lr_spin, 0, 1)
        options.addWidget(buddy_label("Speed", self.pace_combo), 0, 2)
        options.addWidget(self.pace_combo, 0, 3)
        options.addWidget(buddy_label("Train on &samples", self.subset_spin), 1, 0)
        options.addWidget(self.subset_spin, 1, 1)
        options.addWidget(self.mix_check, 1, 2, 1, 2)
        options.setColumnStretch(4, 1)

        self.reason_label = QLabel()
        self.reason_label.setObjectName("trainReason")
        self.reason_label.setWordWrap(True)
        self.reason_label.hide()

        self.epoch_bar = QProgressBar()
        self.epoch_bar.setObjectName("epochProgress")
        self.run_bar = QProgressBar()
        self.run_bar.setObjectName("runProgress")
        for bar in (self.epoch_bar, self.run_bar):
            bar.setRange(0, 1)
            bar.setValue(0)
            bar.setTextVisible(True)
            bar.setFormat("")
            bar.setMaximumHeight(18)
            bar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.epoch_text = QLabel("Epoch –")
        self.run_text = QLabel("Run –")
        for label in (self.epoch_text, self.run_text):
            label.setMinimumWidth(150)
        progress = QGridLayout()
        progress.setHorizontalSpacing(8)
        progress.setVerticalSpacing(4)
        progress.addWidget(self.epoch_text, 0, 0)
        progress.addWidget(self.epoch_bar, 0, 1)
        progress.addWidget(self.run_text, 1, 0)
        progress.addWidget(self.run_bar, 1, 1)
        progress.setColumnStretch(1, 1)

        self.metrics_label = QLabel("No training yet.")
        self.metrics_label.setObjectName("metricsLabel")
        self.metrics_label.setWordWrap(True)
        self.metrics_label.setTextFormat(Qt.TextFormat.RichText)

        self.banner = Banner()
        self.plots = TrainingPlots()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.setSpacing(6)
        layout.addLayout(controls)
        layout.addLayout(options)
        layout.addWidget(self.reason_label)
        layout.addLayout(progress)
        layout.addWidget(self.metrics_label)
        layout.addWidget(self.banner)
        layout.addWidget(self.plots, 1)

        self._run_start = 0.0
        self._last_progress = 0.0
        self._epochs = 1
        self._batches = 1
        self._latest, self._epoch_shown = None, True
        self.set_state("idle")

    # --- state ------------------------------------------------------------------------

    def set_state(self, state: str) -> None:
        """'idle' | 'training' | 'paused' | 'stopping'."""
        running = state in ("training", "paused", "stopping")
        self.pause_button.setEnabled(state in ("training", "paused"))
        self.stop_button.setEnabled(state in ("training", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        icon = QStyle.StandardPixmap.SP_MediaPlay if state == "paused" else QStyle.StandardPixmap.SP_MediaPause
        self.pause_button.setIcon(self.style().standardIcon(icon))
        self.lr_spin.setEnabled(state in ("training", "paused"))
        self.subset_spin.setEnabled(not running)
        if running:
            self.train_button.setEnabled(False)

    def set_train_enabled(self, enabled: bool, reason: str = "") -> None:
        self.train_button.setEnabled(enabled)
        self.train_button.setToolTip("Train a new network from the form (F5)" if enabled else reason)
        self.reason_label.setText(reason)
        self.reason_label.setStyleSheet(f"color: {error_color(self)};")
        self.reason_label.setVisible(bool(reason) and not enabled)

    def set_step_enabled(self, reason: str) -> None:
        """Step and Step epoch are enabled unless there is a ``reason`` (their tooltip then)."""
        for button, tip in ((self.step_button, "Take one batch, then pause, and see its math "
                             "(F7); from idle it trains a new network on the Reference engine"),
                            (self.step_epoch_button, "Take the rest of the epoch, then pause "
                             "(Shift+F7)")):
            button.setEnabled(not reason)
            button.setToolTip(reason or tip)

    def pace(self) -> float | None:
        """Batches a second, or None for full speed."""
        return self.pace_combo.currentData()

    def batches_left_in_epoch(self) -> int:
        """The batches of the epoch after the last one reported (all of the next epoch when
        it is complete)."""
        if self._latest is None:
            return self._batches
        left = self._batches - self._latest[1]
        return left if left > 0 else self._batches

    @property
    def batches_per_epoch(self) -> int:
        return self._batches

    def show_paused(self) -> str:
        """Draw the progress of the batch the run paused after (it may have been skipped);
        returns what to say about it."""
        if self._latest is None:
            return "Paused"
        self._draw_progress(*self._latest, running=False)
        epoch, batch, _ = self._latest
        return f"Paused after batch {batch} of {self._batches}, epoch {epoch}"

    def set_learning_rate(self, lr: float) -> None:
        """Show the rate in use unless the person is editing it."""
        if not self.lr_spin.hasFocus():
            self.lr_spin.blockSignals(True)
            self.lr_spin.setValue(lr)
            self.lr_spin.blockSignals(False)

    def _on_lr_edited(self) -> None:
        value = self.lr_spin.value()
        if self.lr_spin.isEnabled() and value > 0:
            self.learningRateEdited.emit(value)

    # --- progress -----------------------------------------------------------------------

    def begin_run(self, event: dict) -> None:
        self._run_start = time.perf_counter()
        self._last_progress = 0.0
        self._epochs = max(int(event.get("epochs", 1)), 1)
        self._batches = max(int(event.get("batches_per_epoch", 1)), 1)
        self.epoch_bar.setRange(0, self._batches)
        self.epoch_bar.setValue(0)
        self.run_bar.setRange(0, self._epochs * self._batches)
        self.run_bar.setValue(0)
        self.epoch_text.setText(f"Epoch 1 of {self._epochs}")
        self.run_text.setText("Run")
        self._latest, self._epoch_shown = None, False
        self.metrics_label.setText(f"Training on {format_count(event.get('samples', 0))} samples, "
                                   f"{self._batches} batches per epoch…")
        self.banner.hide()
        self.plots.start_live(self._batches, self._epochs)

    def show_progress(self, epoch: int, batch: int, samples_per_second: float) -> bool:
        """Move the bars (a few times a second at most); True when they moved."""
        self._latest = (epoch, batch, samples_per_second)
        now = time.perf_counter()
        if now - self._last_progress < PROGRESS_SECONDS and batch < self._batches:
            return False  # the curves carry the detail
        self._last_progress = now
        self._draw_progress(epoch, batch, samples_per_second, running=True)
        return True

    def _draw_progress(self, epoch: int, batch: int, samples_per_second: float, running: bool):
        done = (epoch - 1) * self._batches + batch
        total = self._epochs * self._batches
        self.epoch_bar.setValue(batch)
        self.epoch_bar.setFormat(f"batch {batch} / {self._batches}")
        self.run_bar.setValue(done)
        elapsed = time.perf_counter() - self._run_start
        remaining = elapsed * (total - done) / done if done else float("nan")
        left = f" · {format_duration(remaining)} left" if running else ""
        self.run_bar.setFormat(f"{100 * done / total:.0f}%{left}")
        self.epoch_text.setText(f"Epoch {epoch} of {self._epochs}")
        self.run_text.setText(f"{format_count(samples_per_second)} samples/s")

    def show_epoch(self, event: dict) -> None:
        def pct(v):
            return f"{100 * v:.2f}%" if v is not None else "–"

        def num(v):
            return f"{v:.4f}" if v is not None else "–"

        self._epoch_shown = True
        val = ""
        if event.get("val_loss") is not None:
            val = (f" · validation loss <b>{num(event['val_loss'])}</b>, "
                   f"accuracy <b>{pct(event.get('val_accuracy'))}</b>")
        self.metrics_label.setText(
            f"Epoch {event['epoch']}: train loss <b>{num(event.get('train_loss'))}</b>, "
            f"accuracy <b>{pct(event.get('train_accuracy'))}</b>{val}")

    def end_run(self, text: str, metrics_note: str = "") -> None:
        """The run is over: ``text`` says how; ``metrics_note`` (HTML) follows the metrics."""
        self.plots.stop_live()
        if self._latest is not None:
            self._draw_progress(*self._latest, running=False)
        if not self._epoch_shown:
            self.metrics_label.setText("No epoch was completed.")
        self.run_text.setText(text)
        if metrics_note:
            self.metrics_label.setText(self.metrics_label.text() + metrics_note)

    def show_metrics_text(self, html_text: str) -> None:
        """What the metrics line says when no run is on (a new network)."""
        self.metrics_label.setText(html_text)

    def show_opened(self, name: str, metrics: dict | None) -> None:
        """The metrics line for a model opened from the file ``name``."""
        parts = []
        for key, label in (("train_accuracy", "train"), ("val_accuracy", "validation"),
                           ("test_accuracy", "test")):
            if (metrics or {}).get(key) is not None:
                parts.append(f"{label} accuracy <b>{100 * metrics[key]:.2f}%</b>")
        opened = f"Opened <b>{html.escape(name)}</b>"
        self.metrics_label.setText(opened + (": " + (", ".join(parts) if parts else "no metrics")
                                             if metrics else "."))

    def show_failure(self, message: str, title: str = "Training failed. ") -> None:
        """The banner above the curves: ``title`` in bold, then ``message``, which is HTML
        (escape plain text first)."""
        self.banner.show_message(f"<b>{html.escape(title)}</b>{message}")
