"""The Evaluation page: the session's network judged on the test set.

The page follows the session. When the network changes it forgets what it showed; when it is
visible and there is a network that is not training, it judges it on the test split in the
background (``workflow.judge``), then measures robustness (``workflow.robustness``) on a
second task. Whatever stops it from judging (no network, a run under way, the dataset
loading, a network that does not fit the data, no test samples) is said in plain words.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..datasets import dataset_title
from ..tasks import Task
from ..widgets import format_count, html_text
from . import export
from .charts import apply_palette
from .jobs import ROBUSTNESS_SAMPLES, judge_job, robustness_job
from .states import LOADING, why_not
from .views import ConfidenceTab, ConfusionTab, MistakesTab, RobustnessTab, percent

EXPORTS = {"confusion": "Confusion matrix", "per_class": "Accuracy per class",
           "coverage": "Accuracy against coverage", "robustness": "Robustness"}


class EvaluationPage(QWidget):
    """Accuracy, the confusion matrix, the mistakes, a confidence threshold and robustness.

    Signals: ``inspectRequested(test_index)`` when a digit is clicked; ``thresholdChanged``
    (a fraction in [0, 1]); ``judged()`` once a judgement is shown and ``robustnessMeasured()``
    once the robustness curves are complete.
    """

    inspectRequested = Signal(int)
    thresholdChanged = Signal(float)
    judged = Signal()
    robustnessMeasured = Signal()

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evaluationPage")
        self.session = session
        self._judgement = None
        self._judged_on = None  # (net, dataset) of the judgement shown or being made
        self._robustness: dict = {}
        self._generation = 0  # bumped whenever what the page shows goes out of date
        self._judging_generation = self._measuring_generation = -1
        self._stale = True
        self._cancel = threading.Event()
        self._last_dir = str(Path.home())
        self._judge_task = Task("nndesk-judge", self)
        self._robustness_task = Task("nndesk-robustness", self)
        self._build()
        self._connect()
        self._refresh()

    # --- construction ----------------------------------------------------------------

    def _build(self) -> None:
        self.accuracy_label = QLabel()
        self.accuracy_label.setObjectName("accuracyLabel")
        self.detail_label = QLabel()
        self.detail_label.setWordWrap(True)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save a plot as PNG or its numbers as CSV")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self._robustness_actions = []
        for kind, title in EXPORTS.items():
            for fmt in ("png", "csv"):
                action = self.export_menu.addAction(
                    f"{title} as {fmt.upper()}\u2026", lambda k=kind, f=fmt: self.ask_export(k, f))
                if kind == "robustness":
                    self._robustness_actions.append(action)
            self.export_menu.addSeparator()
        self.export_menu.aboutToShow.connect(self._update_export_menu)
        self.export_button.setMenu(self.export_menu)
        header = QHBoxLayout()
        header.addWidget(self.accuracy_label)
        header.addWidget(self.detail_label, 1)
        header.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)

        self.message_label = QLabel()
        self.message_label.setObjectName("evaluationMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setStyleSheet("font-size: 13pt;")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(300)
        message = QWidget()
        box = QVBoxLayout(message)
        box.addStretch(1)
        box.addWidget(self.message_label)
        box.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)

        self.confusion_tab = ConfusionTab()
        self.mistakes_tab = MistakesTab()
        self.confidence_tab = ConfidenceTab()
        self.robustness_tab = RobustnessTab()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("evaluationTabs")
        for tab, title in ((self.confusion_tab, "Confusion matrix"),
                           (self.mistakes_tab, "Mistakes"),
                           (self.confidence_tab, "Confidence threshold"),
                           (self.robustness_tab, "Robustness")):
            self.tabs.addTab(tab, title)
        self.stack = QStackedWidget()
        self.stack.addWidget(message)
        self.stack.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        self._apply_palette()

    def _connect(self) -> None:
        self.session.networkChanged.connect(self._on_network_changed)
        self.session.datasetChanged.connect(self._on_dataset_changed)
        for gallery in (self.confusion_tab.cell_gallery, self.mistakes_tab.top_losses,
                        self.mistakes_tab.least_sure):
            gallery.digitClicked.connect(self.inspectRequested)
        self.confidence_tab.threshold.changed.connect(self._on_threshold_changed)
        self._judge_task.finished.connect(self._on_judged)
        self._judge_task.failed.connect(self._on_judge_failed)
        self._judge_task.ended.connect(self._refresh)
        self._robustness_task.progress.connect(self._on_robustness_progress)
        self._robustness_task.finished.connect(self._on_robustness_finished)
        self._robustness_task.failed.connect(self._on_robustness_failed)
        self._robustness_task.ended.connect(self._start_robustness)

    # --- public ----------------------------------------------------------------------

    def threshold(self) -> float:
        """The confidence threshold, a fraction in [0, 1]."""
        return self.confidence_tab.threshold.value()

    def set_threshold(self, fraction: float) -> None:
        self.confidence_tab.threshold.set_value(fraction)

    def judgement(self):
        """The Judgement shown, or None."""
        return self._judgement

    def robustness(self) -> dict:
        """The robustness results measured so far for the network shown, by distortion."""
        return dict(self._robustness)

    def message(self) -> str:
        """What the page says instead of results, or "" while it shows them."""
        return self.message_label.text() if self.stack.currentIndex() == 0 else ""

    def is_busy(self) -> bool:
        return self._judge_task.is_running() or self._robustness_task.is_running()

    def shutdown(self) -> None:
        """Stop measuring and wait for the background work to end (before the window closes)."""
        self._cancel.set()
        self._judge_task.wait()
        self._robustness_task.wait()

    def export_csv(self, kind: str, path) -> bool:
        """Write the numbers of ``kind`` (a key of EXPORTS) to ``path``; False, with a
        message, if there are none yet or the file cannot be written."""
        rows = self._csv_rows(kind)
        if rows is None:
            return self._export_failed(f"There are no {EXPORTS[kind].lower()} figures yet.")
        try:
            export.write_csv(path, rows)
        except OSError as exc:
            return self._export_failed(f"Could not write {path}:\n{exc.strerror or exc}")
        return True

    def export_png(self, kind: str, path) -> bool:
        """Save the plot of ``kind`` (a key of EXPORTS) as a PNG image at ``path``."""
        if self._csv_rows(kind) is None:
            return self._export_failed(f"There is no {EXPORTS[kind].lower()} plot yet.")
        tab, widget = {"confusion": (self.confusion_tab, self.confusion_tab.confusion),
                       "per_class": (self.confusion_tab, self.confusion_tab.per_class),
                       "coverage": (self.confidence_tab, self.confidence_tab.chart),
                       "robustness": (self.robustness_tab, self.robustness_tab.charts)}[kind]
        self.tabs.setCurrentWidget(tab)  # laid out and drawn at its real size
        try:
            export.write_png(path, widget)
        except OSError as exc:
            return self._export_failed(f"Could not write {path}:\n{exc.strerror or exc}")
        return True

    def ask_export(self, kind: str, fmt: str) -> bool:
        """Ask for a file name, then export ``kind`` as ``fmt`` ("png" or "csv")."""
        name = f"{self._dataset_stem()}-{kind.replace('_', '-')}.{fmt}"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {EXPORTS[kind].lower()} as {fmt.upper()}",
            str(Path(self._last_dir) / name), f"{fmt.upper()} files (*.{fmt})")
        if not path:
            return False
        if Path(path).suffix.lower() != f".{fmt}":
            path += f".{fmt}"
        self._last_dir = str(Path(path).parent)
        return (self.export_png if fmt == "png" else self.export_csv)(kind, path)

    # --- following the session -------------------------------------------------------

    def _target(self):
        return self.session.net, self.session.run_dataset or self.session.dataset

    def _on_network_changed(self, *_args) -> None:
        self._invalidate()

    def _on_dataset_changed(self, *_args) -> None:
        if self._judged_on is None or self._judged_on[1] is not self._target()[1]:
            self._invalidate()

    def _invalidate(self) -> None:
        self._generation += 1
        self._judgement, self._judged_on, self._robustness = None, None, {}
        self._cancel.set()
        self._stale = True
        self._refresh()

    def _refresh(self) -> None:
        """Show what is known, and start judging if the page is visible and out of date."""
        if self._judgement is not None:
            return
        problem = why_not(self.session, *self._target())
        if problem is not None:
            self._stale = False
            self._show_message(problem, busy=problem == LOADING)
            return
        if not self._stale or not self.isVisible() or self._judge_task.is_running():
            return
        net, dataset = self._target()
        self._stale = False
        self._judged_on = (net, dataset)
        self._judging_generation = self._generation
        self._show_message(f"Judging the network on {format_count(len(dataset.y_test))} test "
                           f"samples of {dataset_title(dataset.name)}\u2026", busy=True)
        self._judge_task.start(judge_job(net, dataset))

    def _on_judged(self, judgement) -> None:
        if self._judging_generation != self._generation:
            return  # out of date: ``ended`` judges again
        self._judgement = judgement
        self._show_judgement()
        self._start_robustness()
        self.judged.emit()

    def _on_judge_failed(self, message: str) -> None:
        if self._judging_generation == self._generation:
            self._judged_on = None
            self._show_message(f"The network could not be judged: {message}")

    # --- showing ---------------------------------------------------------------------

    def _show_message(self, text: str, busy: bool = False) -> None:
        self.message_label.setText(text)
        self.busy.setVisible(busy)
        self.stack.setCurrentIndex(0)
        self.accuracy_label.setText("")
        self.detail_label.setText("")
        self.export_button.setEnabled(False)

    def _show_judgement(self) -> None:
        j, (_, dataset) = self._judgement, self._judged_on
        self.accuracy_label.setText(f"<span style='font-size:20pt; font-weight:600'>"
                                    f"{percent(j.accuracy, 2)}</span>")
        self.accuracy_label.setToolTip("Test accuracy: the share of test samples answered right")
        source = self.session.source
        origin = ("the network trained here" if source == "trained"
                  else f"model file {html_text(Path(source).name)}")
        right = int(j.correct.sum())
        self.detail_label.setText(
            f"test accuracy on {format_count(len(j))} test samples of "
            f"<b>{html_text(dataset_title(dataset.name))}</b> ({format_count(right)} right, "
            f"{format_count(len(j) - right)} wrong) · {origin}")
        images = dataset.x_test
        self.confusion_tab.show_judgement(j, images, dataset.image_shape)
        self.mistakes_tab.show_judgement(j, images, dataset.image_shape)
        self.confidence_tab.chart.set_curve(j.coverage_curve())
        self.confidence_tab.show_threshold(j, self.threshold())
        self.stack.setCurrentIndex(1)
        self.export_button.setEnabled(True)

    def _on_threshold_changed(self, fraction: float) -> None:
        if self._judgement is not None:
            self.confidence_tab.show_threshold(self._judgement, fraction)
        self.thresholdChanged.emit(fraction)

    # --- robustness ------------------------------------------------------------------

    def _start_robustness(self) -> None:
        """Measure robustness for the judgement shown, unless it is measured or under way."""
        if (self._judgement is None or self._robustness_task.is_running()
                or self._measuring_generation == self._generation):
            return
        net, dataset = self._judged_on
        self._measuring_generation = self._generation
        if dataset.image_shape is None:
            self.robustness_tab.unavailable(
                f"Robustness needs images: the samples of {dataset.name!r} are not images, "
                f"so they cannot be shifted, rotated, thickened or noised.")
            return
        self._cancel = threading.Event()
        self.robustness_tab.begin(min(ROBUSTNESS_SAMPLES, len(dataset.y_test)))
        self._robustness_task.start(robustness_job(net, dataset, self._cancel))

    def _on_robustness_progress(self, kind: str, payload) -> None:
        if self._measuring_generation != self._generation:
            return
        if kind == "level":
            self.robustness_tab.set_progress(*payload)
        else:
            self._robustness[payload["kind"]] = payload
            self.robustness_tab.charts.set_result(payload)

    def _on_robustness_finished(self, _results) -> None:
        if self._measuring_generation == self._generation:
            self.robustness_tab.finish()
            self.robustnessMeasured.emit()

    def _on_robustness_failed(self, message: str) -> None:
        if self._measuring_generation == self._generation:
            self.robustness_tab.finish(f"Robustness could not be measured: {message}")

    # --- exporting -------------------------------------------------------------------

    def _csv_rows(self, kind: str) -> list | None:
        j = self._judgement
        if kind == "robustness":
            return export.robustness_rows(self._robustness) if self._robustness else None
        if j is None:
            return None
        return {"confusion": export.confusion_rows, "per_class": export.per_class_rows,
                "coverage": lambda jj: export.coverage_rows(jj.coverage_curve())}[kind](j)

    def _update_export_menu(self) -> None:
        for action in self._robustness_actions:
            action.setEnabled(bool(self._robustness))

    def _export_failed(self, text: str) -> bool:
        QMessageBox.warning(self, "Export failed", text)
        return False

    def _dataset_stem(self) -> str:
        dataset = self._judged_on[1] if self._judged_on else None
        return Path(dataset.name).stem if dataset is not None else "evaluation"

    # --- Qt events -------------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._refresh()

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        palette = self.palette()
        for view in (self.confusion_tab.per_class, self.confidence_tab.chart,
                     *self.robustness_tab.charts.views.values()):
            apply_palette(view, palette)
