"""The learning-rate finder dialog: ``nndesk.engine.lr_finder.find_learning_rate`` on the form's
network and the session's dataset (its first ``MAX_SAMPLES`` training samples), in a background
task with progress and Cancel; the smoothed loss against the rate (log scale) with the
suggestion marked, and "Use this rate" puts it into the form as one undoable edit."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from nndesk.engine import build_network
from nndesk.engine.hints import apply_fix
from nndesk.engine.lr_finder import find_learning_rate
from nndesk.engine.spec import SpecError, check
from nndesk.workflow import check_compatible

from ..plot_series import make_pen
from .curves import log_ticks
from ..tasks import Task
from ..widgets import Banner, format_count, html_text

MAX_SAMPLES = 20_000
START, END, STEPS = 1e-6, 10.0, 100
CURVE_COLOR, MARK_COLOR = "#3b82c4", "#d64545"


class Cancelled(Exception):
    """Raised from the finder's progress callback to stop it."""


class FinderJob:
    """One range test, run on the task's thread; ``cancel`` stops it at its next step."""

    def __init__(self, spec: dict, x: np.ndarray, y: np.ndarray):
        self.spec, self.x, self.y = spec, x, y
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __call__(self, report) -> dict:
        def progress(k: int, steps: int) -> None:
            if self.cancelled:
                raise Cancelled()
            report("progress", (k, steps))

        return find_learning_rate(self.spec, self.x, self.y, START, END, STEPS, progress)


class LearningRateFinder(QDialog):
    """Runs the finder for ``form``'s spec on ``session``'s dataset; ``start`` (re)runs it."""

    def __init__(self, form, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.form, self.session = form, session
        self.setWindowTitle("Find a learning rate")
        self.setObjectName("lrFinderDialog")
        self.result: dict | None = None
        self.suggestion: float | None = None
        self._job: FinderJob | None = None
        self._waiting = False  # for the dataset to load
        self._applied = False  # "Use this rate" put the suggestion into the form
        self.task = Task("nndesk-lr-finder", self)
        self.task.progress.connect(self._on_progress)
        self.task.finished.connect(self._on_finished)
        self.task.failed.connect(self._on_failed)
        self.task.ended.connect(self._show_buttons)
        self._build()
        session.datasetChanged.connect(self._on_dataset_changed)
        form.specChanged.connect(self._show_buttons)
        QShortcut(QKeySequence.StandardKey.Undo, self, form.undo_stack.undo)
        QShortcut(QKeySequence.StandardKey.Redo, self, form.undo_stack.redo)
        self.resize(640, 500)

    def _build(self) -> None:
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.view = pg.PlotWidget()
        self.view.setObjectName("lrFinderPlot")
        self.view.setMinimumHeight(220)
        plot = self.plot = self.view.getPlotItem()
        plot.setLogMode(x=True)
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.hideButtons()
        plot.getAxis("bottom").setLabel("learning rate")
        plot.getAxis("left").setLabel("smoothed loss")
        plot.getAxis("left").enableAutoSIPrefix(False)
        self.curve = plot.plot(pen=make_pen(CURVE_COLOR, 2.0))
        self.form_line = pg.InfiniteLine(angle=90, movable=False, pen=make_pen(
            "#888888", 1.2, style=Qt.PenStyle.DashLine), label="form", labelOpts={
                "position": 0.9, "color": "#888888"})
        self.mark_line = pg.InfiniteLine(angle=90, movable=False, pen=make_pen(MARK_COLOR, 1.5),
                                         label="suggested", labelOpts={"position": 0.95,
                                                                       "color": MARK_COLOR})
        for line in (self.form_line, self.mark_line):
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        self.mark = plot.plot(pen=None, symbol="o", symbolSize=10, symbolPen=None,
                              symbolBrush=MARK_COLOR)
        self.summary = QLabel()
        self.summary.setObjectName("lrFinderSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = Banner()
        self.progress = QProgressBar()
        self.progress.setRange(0, STEPS)
        self.progress.setFormat("Step %v of %m")
        self.run_button = QPushButton("Run again")
        self.cancel_button = QPushButton("Cancel")
        self.use_button = QPushButton("Use this rate")
        self.use_button.setObjectName("useRateButton")
        self.use_button.setToolTip("Set the form's learning rate to the suggestion (Ctrl+Z "
                                   "undoes it)")
        close = QPushButton("Close")
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button.clicked.connect(self.use_rate)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.banner)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        self._apply_palette()
        self._show_buttons()

    # --- running ---------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.task.is_running()

    def start(self) -> None:
        """Check the form and the dataset, then run the test in the background."""
        if self.task.is_running():
            return
        self.banner.hide()
        self._clear_result()
        prepared = self._prepare()
        if prepared is None:
            self._show_buttons()
            return
        spec, x, y = prepared
        self.intro.setText(
            f"A short test run on a fresh copy of the form's network: up to {STEPS} batches of "
            f"{format_count(len(x))} training samples, the learning rate rising from {START:g} "
            f"to {END:g}. The suggestion is where the smoothed loss falls fastest. Nothing you "
            f"trained is touched.")
        self.progress.setValue(0)
        self.summary.setText("Measuring…")
        self._job = FinderJob(spec, x, y)
        self.task.start(self._job)
        self._show_buttons()

    def _prepare(self):
        """(spec, x, y) for the test, or None with the reason shown."""
        dataset = self.session.dataset
        self._waiting = False
        if dataset is None:
            error = self.session.dataset_error
            self._waiting = not error
            self._fail(f"The dataset could not be loaded: {error}" if error else
                       "The dataset is still loading; the test starts once it is ready.")
            return None
        try:
            spec = check(self.form.spec())
            check_compatible(build_network(spec), dataset)
        except SpecError as exc:
            self._fail("Fix the form first: " + "; ".join(map(str, exc.problems)))
            return None
        except ValueError as exc:
            self._fail(f"The form's network cannot be tested on {dataset.name!r}: {exc}.")
            return None
        except MemoryError:
            self._fail("Out of memory while building the network: make it smaller.")
            return None
        n = min(len(dataset.x_train), MAX_SAMPLES)
        return spec, dataset.x_train[:n], dataset.y_train[:n]

    def cancel(self) -> None:
        """Stop the test at its next step."""
        if self._job is not None and self.task.is_running():
            self._job.cancel()
            self.summary.setText("Cancelling…")

    def done(self, result: int) -> None:  # noqa: D102 (closing waits for the test to stop)
        self.cancel()
        self.task.wait()
        super().done(result)

    def _on_dataset_changed(self, dataset) -> None:
        if self._waiting and dataset is not None and not self.task.is_running():
            self.start()

    def _on_progress(self, kind: str, payload) -> None:
        if kind == "progress" and not (self._job and self._job.cancelled):
            self.progress.setValue(payload[0])

    def _on_failed(self, message: str) -> None:
        if self._job is not None and self._job.cancelled:
            self.summary.setText("Cancelled. Run again to measure anew.")
        else:
            self._fail(f"The test stopped: {message}")

    def _fail(self, message: str) -> None:
        self.summary.setText("")
        self.banner.show_message(message)

    # --- the result ------------------------------------------------------------------

    def _clear_result(self) -> None:
        self.result = self.suggestion = None
        self._applied = False
        self.curve.setData([], [])
        self.mark.setData([], [])
        self.form_line.hide()
        self.mark_line.hide()

    def _on_finished(self, result: dict) -> None:
        self.result, self.suggestion = result, result["suggestion"]
        lrs, losses = result["learning_rate"], result["loss"]
        self.curve.setData(lrs, losses)
        current = float(self.form.spec()["optimizer"]["learning_rate"])
        if current > 0:
            self.form_line.setValue(math.log10(current))
            self.form_line.label.setFormat(f"form {current:g}")
            self.form_line.show()
        stopped = (f" It stopped at {lrs[-1]:.2g}, where the loss rose to four times its lowest."
                   if 0 < len(lrs) < STEPS else "")
        s = self.suggestion
        if s is None:
            self.summary.setText("The loss never fell over this range, so there is no rate to "
                                 "suggest. Check that the loss suits the output layer, or try "
                                 "another optimizer." + stopped)
        else:
            self.mark_line.setValue(math.log10(s))
            self.mark_line.label.setFormat(f"suggested {s:g}")
            k = int(np.argmin(np.abs(np.log(lrs) - math.log(s))))
            self.mark.setData([lrs[k]], [losses[k]])
            self.mark_line.show()
            self.summary.setText(f"<b>Suggested learning rate: {s:g}</b> (the form has "
                                 f"{current:g}).{html_text(stopped)}")
        self._fit(lrs, losses)

    def _fit(self, lrs: list[float], losses: list[float]) -> None:
        """The whole range of rates; the losses up to the start's, not the final blow-up."""
        if not losses:
            return
        low = min(losses)
        high = max(losses[:int(np.argmin(losses)) + 1])
        pad = 0.08 * (high - low) or 0.1 * abs(high) or 0.1
        x0, x1 = math.log10(lrs[0]), math.log10(lrs[-1])
        self.plot.setRange(xRange=(x0, x1), yRange=(low - pad, high + 1.5 * pad), padding=0.02)
        self.plot.getAxis("bottom").setTicks(log_ticks(x0, x1, most=10))

    def use_rate(self) -> None:
        """Put the suggestion into the form's optimizer, one undoable edit."""
        if self.suggestion is None:
            return
        s = self.suggestion
        spec = apply_fix(self.form.spec(), {"optimizer": {"learning_rate": s}})
        self.form.set_spec(spec, f"Use the learning rate {s:g} (finder)")
        self._applied = True
        self._show_buttons()

    def _show_buttons(self, *_) -> None:
        running = self.task.is_running()
        self.run_button.setEnabled(not running)
        self.run_button.setText("Run again" if self.result or self.banner.text() else "Run")
        self.cancel_button.setEnabled(running)
        has = self.suggestion is not None and \
            self.form.spec()["optimizer"].get("learning_rate") == self.suggestion
        self.use_button.setText(("Applied (Ctrl+Z to undo)" if self._applied else
                                 "The form has this rate") if has else "Use this rate")
        self.use_button.setEnabled(not running and self.suggestion is not None and not has)
        self.progress.setVisible(running)

    def _apply_palette(self) -> None:
        palette = self.palette()
        self.view.setBackground(palette.color(QPalette.ColorRole.Base))
        foreground = palette.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setPen(pg.mkPen(foreground))
            self.plot.getAxis(name).setTextPen(pg.mkPen(foreground))


def open_lr_finder(parent: QWidget | None, form, session) -> LearningRateFinder:
    """Show the finder (the one already open, or a new one that starts at once)."""
    finder = parent.findChild(LearningRateFinder) if parent is not None else None
    if finder is not None and finder.isVisible():
        finder.raise_()
        finder.activateWindow()
        return finder
    finder = LearningRateFinder(form, session, parent)
    finder.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    finder.show()
    finder.start()
    return finder
