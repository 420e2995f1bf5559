"""The page's plots (pyqtgraph): accuracy per class, accuracy against coverage with the
current threshold marked, and accuracy under each distortion. Each draws what it is given;
the numbers come from ``nndesk.engine.judgement`` and ``nndesk.workflow``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QGridLayout, QWidget

from nndesk.data.distort import LEVELS, UNITS

from ..plot_series import make_pen

BAR_COLOR = "#3b82c4"
CURVE_COLOR = "#3b82c4"
MARK_COLOR = "#e8772e"
TITLES = {"shift": "Shifted", "rotate": "Rotated", "thicken": "Thickened (negative: thinned)",
          "noise": "Noise added"}


def style(view: pg.PlotWidget, name: str, grid_y: bool = True) -> pg.PlotItem:
    """A still plot (no mouse zoom, plain numbers on the axes) named ``name``."""
    view.setObjectName(name)
    view.setMinimumSize(200, 160)
    view.setFrameShape(view.Shape.NoFrame)
    plot = view.getPlotItem()
    plot.showGrid(x=True, y=grid_y, alpha=0.15)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    for axis in ("left", "bottom"):
        plot.getAxis(axis).enableAutoSIPrefix(False)
    return plot


class PerClassChart(pg.PlotWidget):
    """Horizontal bars: each class's test accuracy, its name on the left, the first on top."""

    def __init__(self, parent=None):
        super().__init__(parent, title="Accuracy per class (%)")
        self.plot = style(self, "perClassPlot", grid_y=False)
        self.plot.invertY(True)
        self._items: list = []

    def set_accuracy(self, per_class: list[float | None], class_names: list[str]) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        values = np.array([100 * v if v is not None else 0.0 for v in per_class])
        rows = np.arange(len(values))
        bars = pg.BarGraphItem(x0=0, y=rows, height=0.7, width=values, brush=BAR_COLOR, pen=None)
        self._items = [bars]
        text = self.palette().color(QPalette.ColorRole.Text)
        for row, value in zip(rows, per_class):
            inside = value is not None and value > 0.2
            label = pg.TextItem("–" if value is None else f"{100 * value:.1f}",
                                anchor=(1.05, 0.5) if inside else (-0.05, 0.5),
                                color="w" if inside else text)
            label.setPos(0 if value is None else 100 * value, row)
            self._items.append(label)
        for item in self._items:
            self.plot.addItem(item)
        self.plot.getAxis("left").setTicks([[(int(r), n) for r, n in zip(rows, class_names)]])
        self.plot.setRange(xRange=(0, 100), yRange=(-0.6, len(values) - 0.4), padding=0)


class CoverageChart(pg.PlotWidget):
    """Accuracy on the answered samples against the share answered, as the threshold runs
    from 0 to 100%; a marker at the current threshold."""

    def __init__(self, parent=None):
        super().__init__(parent, title="Accuracy on the answered against coverage")
        self.plot = style(self, "coveragePlot")
        self.plot.setLabel("bottom", "coverage: share of the test set answered (%)")
        self.plot.setLabel("left", "accuracy on the answered (%)")
        self.curve = self.plot.plot(pen=make_pen(CURVE_COLOR, 2.0))
        self.marker = pg.ScatterPlotItem(size=12, brush=MARK_COLOR, pen=make_pen("#ffffff", 1.5))
        self.marker.setZValue(10)
        self.plot.addItem(self.marker)
        self.mark_label = pg.TextItem(color=MARK_COLOR, anchor=(1.05, -0.3))
        self.plot.addItem(self.mark_label)

    def set_curve(self, curve: dict) -> None:
        points = [(100 * c, 100 * a) for c, a in zip(curve["coverage"], curve["accuracy"])
                  if a is not None]
        x, y = (np.array(v, dtype=float) for v in zip(*points)) if points else ([], [])
        self.curve.setData(x, y)
        low = min(y) if len(y) else 0.0
        self.plot.setRange(xRange=(0, 100), yRange=(max(0.0, low - 2), 100.5), padding=0.02)

    def set_marker(self, threshold: float, coverage: float, accuracy: float | None) -> None:
        if accuracy is None:
            self.marker.setData([], [])
            self.mark_label.setText("")
            return
        self.marker.setData([100 * coverage], [100 * accuracy])
        self.mark_label.setText(f"threshold {100 * threshold:.0f}%")
        self.mark_label.setPos(100 * coverage, 100 * accuracy)


class RobustnessCharts(QWidget):
    """One plot per distortion: test accuracy (%) against its level."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.views: dict[str, pg.PlotWidget] = {}
        self.curves: dict = {}
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for i, kind in enumerate(LEVELS):
            view = pg.PlotWidget(title=TITLES[kind])
            plot = style(view, f"robustness_{kind}")
            plot.setLabel("bottom", UNITS[kind])
            plot.setLabel("left", "accuracy (%)")
            levels = LEVELS[kind]
            plot.setRange(xRange=(min(levels), max(levels)), yRange=(0, 100), padding=0.04)
            plot.getAxis("bottom").setTicks([[(v, f"{v:g}") for v in levels]])
            self.curves[kind] = plot.plot(pen=make_pen(CURVE_COLOR, 2.0), symbol="o",
                                          symbolSize=7, symbolBrush=CURVE_COLOR, symbolPen=None)
            self.views[kind] = view
            layout.addWidget(view, i // 2, i % 2)

    def set_result(self, result: dict) -> None:
        curve = self.curves[result["kind"]]
        curve.setData(result["levels"], [100 * a for a in result["accuracy"]])

    def clear(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])


def apply_palette(view: pg.PlotWidget, palette: QPalette) -> None:
    """The window's colours on one plot: its base as background, its text for axes and title."""
    background = palette.color(QPalette.ColorRole.Base)
    foreground = palette.color(QPalette.ColorRole.Text)
    view.setBackground(background)
    plot = view.getPlotItem()
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(foreground))
        axis.setTextPen(pg.mkPen(foreground))
    plot.titleLabel.setText(plot.titleLabel.text, color=foreground.name(), size="9pt")
