"""Each layer's health against the training step (pyqtgraph): gradient norm, weight norm, the
update-to-weight ratio (log scales; the ratio's healthy band around 1e-3 shaded) and the share
of dead or saturated units. One colour per layer. Curves are made once per run and redrawn
from a timer, a burst of events costing one redraw; the plots stack in one column when narrow
and two when wide, their step axes linked."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QGridLayout, QWidget

from ..form_text import LAYER_TITLES
from ..plot_series import Series, make_pen, number

REFRESH_MS = 150
WIDE = 620  # from this width on, the plots sit two by two
COLORS = ("#3b82c4", "#e8772e", "#2ca05a", "#d64545", "#8e6cc0", "#8c564b", "#d36cb4",
          "#17a2b8", "#7f7f7f", "#b8a01a")
HEALTHY = (1e-4, 1e-2)  # update / weight ratios a decade either side of 1e-3
FLOOR = 1e-10  # a zero on a log plot (a dead layer's gradient) is drawn here
VANISHING, EXPLODING = 1e-6, 1e3  # gradient norms shaded as trouble
# metric: (plot title, log scale, factor, dashed)
METRICS = {"gradient_norm": ("Gradient norm ‖∂L/∂W‖", True, 1.0, False),
           "weight_norm": ("Weight norm ‖W‖", True, 1.0, False),
           "update_ratio": ("Update ÷ weight per step (green: healthy)", True, 1.0, False),
           "dead_share": ("% dead ReLUs (solid) · saturated (dashed)", False, 100.0, False),
           "saturated_share": (None, False, 100.0, True)}
PLOTS = ("gradient_norm", "weight_norm", "update_ratio", "dead_share")


def layer_color(position: int) -> str:
    return COLORS[position % len(COLORS)]


def layer_label(record: dict) -> str:
    """A layer as the form's table names it: "2 Dense (relu)"."""
    kind = LAYER_TITLES.get(record["kind"], str(record["kind"]).capitalize())
    act = record.get("activation")
    return f"{record['layer'] + 1} {kind}" + (f" ({act})" if act else "")


def tick_text(x: float) -> str:
    """A log axis' tick: 0.01, 20, 1e-5, 2e6."""
    if 1e-3 <= x < 1e4:
        return f"{x:g}"
    return f"{x:.0e}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")


def log_ticks(low: float, high: float, most: int = 6) -> list[list[tuple[float, str]]]:
    """Ticks for a log axis showing 10**low to 10**high (positions in log10): decades, at most
    about ``most`` labelled, and 2 and 5 times them when few decades are in view."""
    first, last = math.ceil(low), math.floor(high)
    step = max(1, math.ceil((last - first + 1) / most))
    major = [(float(e), tick_text(10.0 ** e)) for e in range(first, last + 1) if e % step == 0]
    minor = []
    if high - low < 2.5:
        minor = [(e + math.log10(m), tick_text(m * 10.0 ** e))
                 for e in range(math.floor(low), last + 1) for m in (2, 5)
                 if low <= e + math.log10(m) <= high]
    return [major, minor]


def _band(low: float, high: float, color: str, alpha: int) -> pg.LinearRegionItem:
    """A shaded horizontal band between two values of a log-scaled axis."""
    fill = QColor(color)
    fill.setAlpha(alpha)
    band = pg.LinearRegionItem((math.log10(low), math.log10(high)),
                               orientation="horizontal", movable=False, brush=fill,
                               pen=pg.mkPen(None))
    band.setZValue(-10)
    return band


class HealthPlots(QWidget):
    """The four plots; ``add`` takes a health event's step and layers."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.views, self.plots, self.titles = {}, {}, {}
        for metric in PLOTS:
            view = pg.PlotWidget()
            view.setObjectName(f"health_{metric}")
            view.setFrameShape(view.Shape.NoFrame)
            view.setMinimumSize(150, 72)
            plot = view.getPlotItem()
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.hideButtons()
            plot.setLogMode(y=METRICS[metric][1])
            plot.getAxis("left").setWidth(44)
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.getViewBox().setDefaultPadding(0.04)
            title = pg.TextItem(METRICS[metric][0], anchor=(0, 0))
            title.setParentItem(plot.getViewBox())  # inside the plot: no title row to pay for
            title.setPos(2, 0)
            title.setZValue(50)
            font = title.textItem.font()
            font.setPointSizeF(8)
            title.setFont(font)
            self.views[metric], self.plots[metric], self.titles[metric] = view, plot, title
        for plot in list(self.plots.values())[1:]:
            plot.setXLink(self.plots["gradient_norm"])
        self.plots["gradient_norm"].addItem(_band(1e-30, VANISHING, "#d64545", 40), ignoreBounds=True)
        self.plots["gradient_norm"].addItem(_band(EXPLODING, 1e30, "#d64545", 40), ignoreBounds=True)
        self.plots["update_ratio"].addItem(_band(*HEALTHY, "#2ca05a", 45), ignoreBounds=True)
        self.plots["dead_share"].setYRange(-4, 122, padding=0)  # headroom for the title
        self.plots["dead_share"].getAxis("left").setTicks([[(0, "0"), (50, "50"), (100, "100")],
                                                           [(25, ""), (75, "")]])
        self.plots["dead_share"].setMouseEnabled(x=True, y=False)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(2)
        self._columns = 0
        self.steps = Series(256)
        self.values: dict[tuple[str, int], Series] = {}
        self.curves: dict[tuple[str, int], pg.PlotDataItem] = {}
        self.labels: dict[int, str] = {}  # layer index -> label, in the order of the network
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self._arrange(1)
        self.apply_palette()

    # --- data --------------------------------------------------------------------

    def clear(self) -> None:
        for (metric, _), curve in self.curves.items():
            self.plots["dead_share" if metric == "saturated_share" else metric].removeItem(curve)
        self.curves, self.values, self.labels = {}, {}, {}
        self.steps.clear()
        self.timer.stop()

    def add(self, step: int, layers: list[dict]) -> None:
        """One health event's figures; a layer first seen gets its colour and curves."""
        known = len(self.steps.values)
        for record in layers:
            i = record["layer"]
            if i not in self.labels:
                self._add_layer(record, known)
        self.steps.extend([step])
        by_layer = {r["layer"]: r for r in layers}
        for (metric, i), series in self.values.items():
            record = by_layer.get(i, {})
            series.extend([number(record.get(metric)) * METRICS[metric][2]])
        if not self.timer.isActive():
            self.timer.start()

    def _add_layer(self, record: dict, known: int) -> None:
        i = record["layer"]
        self.labels[i] = layer_label(record)
        color = layer_color(len(self.labels) - 1)
        for metric, (_, _, _, dashed) in METRICS.items():
            if metric in ("dead_share", "saturated_share") and record.get(metric) is None:
                continue  # a share this layer's activation does not have
            series = Series(256)
            series.extend(np.full(known, math.nan))
            style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            curve = pg.PlotDataItem(pen=make_pen(color, 1.8, style=style), connect="finite",
                                    symbol="o", symbolSize=4, symbolPen=None, symbolBrush=color)
            self.plots["dead_share" if metric == "saturated_share" else metric].addItem(curve)
            self.values[(metric, i)], self.curves[(metric, i)] = series, curve

    def curve(self, metric: str, layer: int) -> pg.PlotDataItem | None:
        """The curve of ``metric`` for network layer ``layer`` (0-based), if it has one."""
        return self.curves.get((metric, layer))

    def refresh(self) -> None:
        x = self.steps.values
        few = len(x) <= 80  # thousands of markers would slow every redraw
        for key, curve in self.curves.items():
            y = self.values[key].values
            if METRICS[key[0]][1]:
                y = np.where(y > 0, y, np.where(np.isnan(y), np.nan, FLOOR))
            if few != (curve.opts["symbol"] is not None):
                curve.setSymbol("o" if few else None)
            curve.setData(x, y)
        for metric in PLOTS[:3]:
            self._fit_y(metric)
        if len(x):
            self.plots["gradient_norm"].setXRange(float(x[0]), float(max(x[-1], x[0] + 1)),
                                                  padding=0.02)

    def _fit_y(self, metric: str) -> None:
        """Log plots span their data, the update ratio's also its healthy band."""
        values = [s.values[np.isfinite(s.values)] for (m, _), s in self.values.items()
                  if m == metric]
        values = np.concatenate(values) if values else np.empty(0)
        logs = np.log10(np.maximum(values, FLOOR))
        if metric == "update_ratio":
            logs = np.concatenate([logs, np.log10(HEALTHY)])
        if not len(logs):
            return
        low, high = float(logs.min()), float(logs.max())
        if high - low < 1:  # at least a decade, so that the axis has ticks to read
            low, high = (low + high - 1) / 2, (low + high + 1) / 2
        pad = 0.06 * (high - low)
        low, high = low - pad, high + 4 * pad  # headroom for the title
        self.plots[metric].setYRange(low, high, padding=0)
        self.plots[metric].getAxis("left").setTicks(log_ticks(low, high, most=4))

    # --- layout and look -----------------------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._arrange(2 if event.size().width() >= WIDE else 1)
        super().resizeEvent(event)

    def _arrange(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for n, metric in enumerate(PLOTS):
            self.grid.removeWidget(self.views[metric])
            self.grid.addWidget(self.views[metric], n // columns, n % columns)
            bottom_row = n // columns == (len(PLOTS) - 1) // columns
            axis = self.plots[metric].getAxis("bottom")
            axis.setLabel("step")
            axis.showLabel(bottom_row)
            axis.setStyle(showValues=bottom_row)  # the step axes are linked: one says it
        for row in range(4):
            self.grid.setRowStretch(row, 1 if row < 4 // columns else 0)

    def apply_palette(self) -> None:
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        foreground = palette.color(QPalette.ColorRole.Text)
        for metric, view in self.views.items():
            view.setBackground(background)
            plot = self.plots[metric]
            for name in ("left", "bottom"):
                plot.getAxis(name).setPen(pg.mkPen(foreground))
                plot.getAxis(name).setTextPen(pg.mkPen(foreground))
            self.titles[metric].setColor(foreground)
            self.titles[metric].fill = pg.mkBrush(background.red(), background.green(),
                                                  background.blue(), 210)

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()
        super().changeEvent(event)
