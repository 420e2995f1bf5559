"""The comparison plot: loss and accuracy per epoch of several runs (or seed groups)
overlaid, one colour each, training solid and validation dashed, in one pyqtgraph scene so
that the PNG export holds both plots, the legend and the key."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QPalette

from ..plot_series import make_pen
from . import compare

COLORS = ("#3b82c4", "#e8772e", "#2ca05a", "#d64545", "#8c61c2", "#8c564b", "#d45fb0",
          "#6f6f6f", "#a8a81c", "#17a9bd")
TITLES = {"loss": "Loss", "accuracy": "Accuracy (%)"}
EMPTY = "Select runs in the list to compare them\n(Ctrl+click or Shift+click for several)"


class ComparePlots(pg.GraphicsLayoutWidget):
    """Draws ``show_runs`` or ``show_groups``; ``drawn`` and ``bands`` hold what is on the
    plots: {history key: {label: (epochs, values)}} and {history key: {label: (epochs,
    low, high)}}, accuracy in percent."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("comparePlots")
        self.setMinimumSize(360, 240)
        self.plots = {}
        for column, kind in enumerate(TITLES):
            plot = self.addPlot(row=0, col=column, title=TITLES[kind])
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setLabel("bottom", "epoch")
            plot.hideButtons()
            for axis in ("left", "bottom"):
                plot.getAxis(axis).enableAutoSIPrefix(False)
            self.plots[kind] = plot
        self.legend = self.plots["loss"].addLegend(offset=(-6, 6), labelTextSize="8pt")
        self.key = pg.LabelItem(justify="center", size="8pt")
        self.addItem(self.key, row=1, col=0, colspan=2)
        self.placeholder = pg.TextItem(EMPTY, anchor=(0.5, 0.5))
        self.drawn: dict[str, dict] = {}
        self.bands: dict[str, dict] = {}
        self.apply_palette()
        self.clear_plots()

    def clear_plots(self) -> None:
        for plot in self.plots.values():
            plot.clear()
        self.legend.clear()
        self.drawn = {key: {} for key in compare.CURVES}
        self.bands = {key: {} for key in compare.CURVES}
        self.key.setText("")

    def show_nothing(self) -> None:
        self.clear_plots()
        plot = self.plots["loss"]
        plot.addItem(self.placeholder, ignoreBounds=True)
        plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        self.placeholder.setPos(0.5, 0.5)
        self.plots["accuracy"].setRange(xRange=(0, 1), yRange=(0, 100), padding=0)

    def show_runs(self, records: list[dict], labels: list[str], colors: list[str]) -> None:
        """Every run's curves, in its colour."""
        self.clear_plots()
        for record, label, color in zip(records, labels, colors):
            for key in compare.CURVES:
                found = compare.curve(record, key)
                if found is not None:
                    self._line(key, label, color, *found)
        self._finish("solid: training · dashed: validation")

    def show_groups(self, groups: list[list[dict]], labels: list[str],
                    colors: list[str]) -> None:
        """Each group's mean curve over its runs, in its colour, with the spread shaded."""
        self.clear_plots()
        for group, label, color in zip(groups, labels, colors):
            for key in compare.CURVES:
                found = compare.group_curve(group, key)
                if found is None:
                    continue
                x, mean, low, high = found
                self._line(key, label, color, x, mean)
                if len(group) > 1:
                    self._band(key, label, color, x, low, high)
        self._finish(f"solid: training · dashed: validation · lines: the mean of each group · "
                     f"shaded: {compare.SPREAD} of its runs")

    def _line(self, key: str, label: str, color: str, x, y) -> None:
        kind, validation = compare.CURVES[key]
        style = Qt.PenStyle.DashLine if validation else Qt.PenStyle.SolidLine
        item = pg.PlotDataItem(x, y, pen=make_pen(color, 2.0, style=style), symbol="o",
                               symbolSize=4 if validation else 5, symbolPen=None,
                               symbolBrush=color)
        self.plots[kind].addItem(item)
        if kind == "loss" and not validation:
            self.legend.addItem(item, label)
        self.drawn[key][label] = (np.asarray(x), np.asarray(y))

    def _band(self, key: str, label: str, color: str, x, low, high) -> None:
        fill = QColor(color)
        fill.setAlpha(40 if compare.CURVES[key][1] else 60)
        band = pg.FillBetweenItem(pg.PlotCurveItem(x, low), pg.PlotCurveItem(x, high),
                                  brush=fill, pen=None)
        band.setZValue(-10)
        self.plots[compare.CURVES[key][0]].addItem(band)
        self.bands[key][label] = (np.asarray(x), np.asarray(low), np.asarray(high))

    def _finish(self, key_text: str) -> None:
        self.key.setText(key_text, color=self._foreground().name())
        for plot in self.plots.values():
            plot.enableAutoRange()

    # --- looks and export ------------------------------------------------------------

    def _foreground(self):
        return self.palette().color(QPalette.ColorRole.Text)

    def apply_palette(self) -> None:
        """The window's colours: its base as background, its text for axes and titles."""
        foreground = self._foreground()
        self.setBackground(self.palette().color(QPalette.ColorRole.Base))
        for kind, plot in self.plots.items():
            for name in ("left", "bottom"):
                plot.getAxis(name).setPen(pg.mkPen(foreground))
                plot.getAxis(name).setTextPen(pg.mkPen(foreground))
            plot.setTitle(TITLES[kind], color=foreground.name(), size="10pt")
        self.legend.setLabelTextColor(foreground)
        self.placeholder.setColor(foreground)

    def png_bytes(self) -> bytes:
        """The whole scene as a PNG image, the size it has on screen (pyqtgraph draws a legend's
        text the same size at any export width, so a larger image would shrink it)."""
        exporter = ImageExporter(self.ci)
        exporter.parameters()["width"] = int(self.ci.boundingRect().width())
        image = exporter.export(toBytes=True)
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if image.isNull() or not image.save(buffer, "PNG"):
            raise OSError("the plot could not be drawn as an image")
        return bytes(data)
