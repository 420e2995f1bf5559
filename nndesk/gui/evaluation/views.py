"""The page's four tabs: the confusion matrix, the mistakes, the confidence threshold and
robustness. Each shows a :class:`~nndesk.engine.judgement.Judgement` (or robustness results)
it is handed and computes nothing itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..widgets import format_count, html_text
from .charts import CoverageChart, PerClassChart, RobustnessCharts
from .confusion import ConfusionView
from .gallery import DigitGallery

LEAST_SURE = 500  # digits in the "least sure" gallery


def percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def column(*widgets, stretch_last: bool = True) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if stretch_last and i == len(widgets) - 1 else 0)
    return box


def splitter(*widgets, sizes) -> QSplitter:
    split = QSplitter(Qt.Orientation.Horizontal)
    split.setChildrenCollapsible(False)
    for widget in widgets:
        split.addWidget(widget)
    split.setSizes(sizes)
    return split


class ConfusionTab(QWidget):
    """The confusion matrix, accuracy per class, and the digits of the cell clicked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.confusion = ConfusionView()
        self.per_class = PerClassChart()
        self.cell_gallery = DigitGallery(
            "Digits of the cell", "Click a cell of the matrix to see its test digits here, "
            "the most confident answer first.")
        self.cell_gallery.setObjectName("cellGallery")
        self.confusion.cellClicked.connect(self.show_cell)
        caption = QLabel("<b>Confusion matrix</b>: rows are the true class, columns the "
                         "predicted one. Click a cell to see its digits.")
        caption.setWordWrap(True)
        predicted = QLabel("predicted class \u2192")
        predicted.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter(column(caption, predicted, self.confusion), self.per_class,
                                  self.cell_gallery, sizes=[560, 280, 520]))
        self._judgement = self._images = self._shape = None

    def show_judgement(self, judgement, images, image_shape) -> None:
        self._judgement, self._images, self._shape = judgement, images, image_shape
        self.confusion.set_matrix(judgement.confusion, judgement.class_names)
        self.per_class.set_accuracy(judgement.per_class_accuracy, judgement.class_names)
        self.cell_gallery.clear()

    def show_cell(self, true: int, predicted: int) -> None:
        """Fill the gallery with the test samples of class ``true`` answered ``predicted``."""
        j = self._judgement
        if j is None:
            return
        indices = j.cell(true, predicted)
        names = j.class_names
        what = "answered right" if true == predicted else f"answered {html_text(names[predicted])}"
        self.cell_gallery.title.setText(
            f"<b>Labelled {html_text(names[true])}, {what}</b>")
        caption = (f"{format_count(len(indices))} test samples, the most confident answer "
                   f"first. Click one to look inside the network." if len(indices)
                   else "No test samples in this cell.")
        self.cell_gallery.set_digits(indices, j, self._images, self._shape, caption)
        self.confusion.setCurrentIndex(self.confusion.model().index(true, predicted))


class MistakesTab(QWidget):
    """The most confidently wrong answers and the least sure ones."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.top_losses = DigitGallery("Most confidently wrong", "")
        self.top_losses.setObjectName("topLossesGallery")
        self.least_sure = DigitGallery("Least sure", "")
        self.least_sure.setObjectName("leastSureGallery")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter(self.top_losses, self.least_sure, sizes=[700, 700]))

    def show_judgement(self, judgement, images, image_shape) -> None:
        wrong = judgement.top_losses()
        self.top_losses.set_digits(
            wrong, judgement, images, image_shape,
            f"All {format_count(len(wrong))} wrong answers, the largest loss first: the "
            f"network was surest of these and wrong." if len(wrong)
            else "No wrong answers on the test set.")
        unsure = judgement.least_sure(LEAST_SURE)
        self.least_sure.set_digits(
            unsure, judgement, images, image_shape,
            f"The {format_count(len(unsure))} test samples with the lowest confidence "
            f"(top probability), the least sure first. Red: answered wrong.")


class ThresholdControl(QWidget):
    """A slider and a spin box for a confidence threshold in percent; ``changed(fraction)``."""

    changed = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("thresholdSlider")
        self.slider.setRange(0, 100)
        self.slider.setPageStep(10)
        self.spin = QDoubleSpinBox()
        self.spin.setObjectName("thresholdSpin")
        self.spin.setRange(0.0, 100.0)
        self.spin.setDecimals(1)
        self.spin.setSuffix(" %")
        self.spin.setKeyboardTracking(False)
        tip = ("Below this confidence (the top class's probability) the network answers "
               "\"not sure\" instead of a class")
        for w in (self.slider, self.spin):
            w.setToolTip(tip)
        self.slider.valueChanged.connect(lambda v: self.set_value(v / 100.0))
        self.spin.valueChanged.connect(lambda v: self.set_value(v / 100.0))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self._value = 0.0

    def value(self) -> float:
        return self._value

    def set_value(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        for widget, shown in ((self.slider, round(100 * fraction)),
                              (self.spin, round(100 * fraction, 1))):
            widget.blockSignals(True)
            widget.setValue(shown)
            widget.blockSignals(False)
        if fraction != self._value:
            self._value = fraction
            self.changed.emit(fraction)


class ConfidenceTab(QWidget):
    """The threshold, what it does to coverage and accuracy, and the whole trade-off curve."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.threshold = ThresholdControl()
        self.chart = CoverageChart()
        intro = QLabel("<b>Confidence threshold</b><br>When its top probability is below the "
                       "threshold, the network answers \u201cnot sure\u201d. A higher threshold "
                       "answers fewer test samples (coverage) and gets more of those right.")
        intro.setWordWrap(True)
        self.stats = QLabel()
        self.stats.setObjectName("thresholdStats")
        self.stats.setWordWrap(True)
        self.stats.setTextFormat(Qt.TextFormat.RichText)
        side = column(intro, self.threshold, self.stats, QWidget())
        side.setMinimumWidth(300)
        side.setMaximumWidth(420)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(side)
        layout.addWidget(self.chart, 1)

    def show_threshold(self, judgement, threshold: float) -> tuple[float, float | None]:
        """Show the coverage and accuracy at ``threshold``; returns both."""
        point = judgement.coverage_curve([threshold])
        coverage, accuracy = point["coverage"][0], point["accuracy"][0]
        answered = int(judgement.answered(threshold).sum())
        self.stats.setText(
            f"<p style='font-size:13pt'>Coverage <b>{percent(coverage)}</b><br>"
            f"Accuracy on the answered <b>{percent(accuracy, 2)}</b></p>"
            f"<p>At {100 * threshold:.1f}% the network answers {format_count(answered)} of "
            f"the {format_count(len(judgement))} test samples and says \u201cnot sure\u201d "
            f"for {format_count(len(judgement) - answered)}.</p>")
        self.chart.set_marker(threshold, coverage, accuracy)
        return coverage, accuracy


class RobustnessTab(QWidget):
    """Accuracy as the test digits are shifted, rotated, thickened and noised."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("robustnessProgress")
        self.progress.setMaximumWidth(260)
        self.progress.setFormat("measuring… %p%")
        self.charts = RobustnessCharts()
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.progress)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.charts, 1)

    def begin(self, samples: int) -> None:
        self.charts.clear()
        self.charts.show()
        self.progress.setValue(0)
        self.progress.show()
        self.caption.setText(f"Test accuracy on the first {format_count(samples)} test samples "
                             f"as they are distorted, the same distortions for every network.")

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def finish(self, message: str = "") -> None:
        self.progress.hide()
        if message:
            self.caption.setText(message)

    def unavailable(self, message: str) -> None:
        self.charts.clear()
        self.charts.hide()
        self.progress.hide()
        self.caption.setText(message)
