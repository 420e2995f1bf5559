"""Live training curves (pyqtgraph).

Curves are created once. Incoming data is appended to growing NumPy buffers and a QTimer
(~10 Hz) pushes whatever changed to the curves with ``setData``: a burst of batches costs one
redraw, never one per batch. Long runs stay fast with clip-to-view and automatic peak
downsampling. The x axis is in epochs (fractional within an epoch) on every plot, so the
per-batch loss and the per-epoch points line up. Hovering shows the values under the mouse;
the plots' context menu (right click) has Export… for PNG, SVG and CSV.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QGraphicsItem, QGridLayout, QWidget

from .plot_series import Series, make_pen, nearest, number

REFRESH_MS = 100
LR_EVERY = 3  # the learning-rate curve is redrawn on every 3rd refresh while training
MAX_MARKERS = 60

TRAIN_COLOR = "#3b82c4"
VAL_COLOR = "#e8772e"
LR_COLOR = "#2ca05a"


class TrainingPlots(QWidget):
    """Loss per batch (raw and smoothed) and per epoch; accuracy per epoch; learning rate."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # Three views rather than one scene: a new batch then repaints the loss plot only.
        self.loss_view = pg.PlotWidget(title="Loss")
        self.acc_view = pg.PlotWidget(title="Accuracy (%)")
        self.lr_view = pg.PlotWidget(title="Learning rate")
        self.views = (self.loss_view, self.acc_view, self.lr_view)
        self.view = self.loss_view
        self.loss_view.setObjectName("lossPlot")
        self.acc_view.setObjectName("accuracyPlot")
        self.lr_view.setObjectName("learningRatePlot")
        for view in self.views:
            view.setViewportUpdateMode(view.ViewportUpdateMode.BoundingRectViewportUpdate)
            view.setMinimumSize(160, 120)
            view.setFrameShape(view.Shape.NoFrame)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.loss_view, 0, 0, 1, 2)
        layout.addWidget(self.acc_view, 1, 0)
        layout.addWidget(self.lr_view, 1, 1)
        layout.setRowStretch(0, 3)
        layout.setRowStretch(1, 2)
        self.loss_plot = self.loss_view.getPlotItem()
        self.acc_plot = self.acc_view.getPlotItem()
        self.lr_plot = self.lr_view.getPlotItem()
        self.plots = (self.loss_plot, self.acc_plot, self.lr_plot)
        for plot in self.plots:
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setMenuEnabled(True)
            plot.getAxis("bottom").setLabel("epoch")
            plot.setMouseEnabled(x=True, y=True)
            plot.hideButtons()
        self.lr_plot.getAxis("left").enableAutoSIPrefix(False)
        # Ranges are managed here (see _update_ranges) so that the axes, whose text is costly
        # to draw, change only when the data really outgrows them; a person who zooms or pans
        # a plot takes over its range until the next run.
        self._user_ranged: dict = {}
        for plot in self.plots:
            plot.disableAutoRange()
            plot.getViewBox().sigRangeChangedManually.connect(
                lambda *_, p=plot: self._user_ranged.__setitem__(p, True))
            for name in ("left", "bottom"):
                plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        legend = self.loss_plot.addLegend(offset=(-8, 8), labelTextSize="8pt")
        legend.setColumnCount(2)
        self.batch_curve = self.loss_plot.plot(pen=make_pen(TRAIN_COLOR, 1.0, 70), name="batch")
        self.smooth_curve = self.loss_plot.plot(pen=make_pen(TRAIN_COLOR, 2.0), name="batch (smoothed)")
        self.train_loss_curve = self.loss_plot.plot(
            pen=make_pen("#1d4f7c", 1.5), symbol="o", symbolSize=6, symbolBrush="#1d4f7c",
            symbolPen=None, name="train (epoch)")
        self.val_loss_curve = self.loss_plot.plot(
            pen=make_pen(VAL_COLOR, 2.0, style=Qt.PenStyle.DashLine), symbol="s", symbolSize=6,
            symbolBrush=VAL_COLOR, symbolPen=None, name="validation")
        acc_legend = self.acc_plot.addLegend(offset=(-8, -8), labelTextSize="8pt")
        acc_legend.setColumnCount(2)
        self.train_acc_curve = self.acc_plot.plot(
            pen=make_pen(TRAIN_COLOR, 2.0), symbol="o", symbolSize=6, symbolBrush=TRAIN_COLOR,
            symbolPen=None, name="train")
        self.val_acc_curve = self.acc_plot.plot(
            pen=make_pen(VAL_COLOR, 2.0, style=Qt.PenStyle.DashLine), symbol="s", symbolSize=6,
            symbolBrush=VAL_COLOR, symbolPen=None, name="validation")
        self.lr_curve = self.lr_plot.plot(pen=make_pen(LR_COLOR, 2.0), name="learning rate")
        for curve in (self.train_loss_curve, self.val_loss_curve, self.train_acc_curve,
                      self.val_acc_curve):
            curve._nndesk_symbol = curve.opts["symbol"]
        for item in (self.batch_curve, self.smooth_curve, self.lr_curve):
            item.setClipToView(True)
            item.setDownsampling(auto=True, method="peak")

        self.placeholder = pg.TextItem("Press Train to watch the loss fall", anchor=(0.5, 0.5))
        self.loss_plot.addItem(self.placeholder, ignoreBounds=True)
        self.placeholder.setPos(0.5, 0.5)
        self.loss_plot.setRange(xRange=(0, 1), yRange=(0, 1))

        # Hover readout: a vertical line on the plot under the mouse and its values in the title.
        self._titles = {self.loss_plot: "Loss", self.acc_plot: "Accuracy (%)",
                        self.lr_plot: "Learning rate"}
        self._cursors = {}
        for plot in self.plots:
            line = pg.InfiniteLine(angle=90, movable=False, pen=make_pen("#888888", 1.0, 160))
            line.setZValue(100)
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self._cursors[plot] = line
        self._mouse_proxies = [
            pg.SignalProxy(view.scene().sigMouseMoved, rateLimit=30,
                           slot=lambda args, p=plot: self._on_mouse_moved(p, args))
            for view, plot in zip(self.views, self.plots)]

        self.batch_x, self.batch_loss = Series(), Series()
        self.batch_smooth, self.batch_lr = Series(), Series()
        self.epoch_x, self.train_loss, self.val_loss = Series(64), Series(64), Series(64)
        self.train_acc, self.val_acc = Series(64), Series(64)
        self._ema = 0.0
        self._ema_count = 0
        self._beta = 0.9
        self._epochs_total: int | None = None
        self._epochs_drawn = 0
        self._epochs_dirty = True
        self._finite, self._checked = True, 0
        self._loss_range = [math.inf, -math.inf]
        self._acc_min = math.inf
        self._lr_max = 0.0
        self._dirty = False
        self.refresh_count = 0

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._refresh)
        self.apply_palette()

    # --- data in ---------------------------------------------------------------------

    def reset(self, batches_per_epoch: int | None = None, epochs: int | None = None) -> None:
        """Empty the plots for a run of ``epochs`` epochs (None: no run, show the hint)."""
        for s in (self.batch_x, self.batch_loss, self.batch_smooth, self.batch_lr, self.epoch_x,
                  self.train_loss, self.val_loss, self.train_acc, self.val_acc):
            s.clear()
        self._ema, self._ema_count = 0.0, 0
        window = min(max((batches_per_epoch or 50) / 5.0, 2.0), 50.0)
        self._beta = 1.0 - 1.0 / window
        self._epochs_total = epochs
        self._loss_range = [math.inf, -math.inf]
        self._acc_min = math.inf
        self._lr_max = 0.0
        self._user_ranged = {}
        self._epochs_dirty = True
        self._finite, self._checked = True, 0
        self.placeholder.setVisible(batches_per_epoch is None)
        self._dirty = True
        self._refresh()
        if batches_per_epoch is None:
            self.loss_plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)

    def start_live(self, batches_per_epoch: int, epochs: int | None = None) -> None:
        """A new run begins: clear and refresh on the timer until :meth:`stop_live`."""
        self.reset(batches_per_epoch, epochs)
        self.timer.start()

    def stop_live(self) -> None:
        """The run ended: one last full redraw, including the curves thinned while live."""
        self.timer.stop()
        self._dirty = True
        self._refresh()

    def add_batches(self, batches: list) -> None:
        """``[(epoch, batch, batches, loss, learning_rate, samples_per_second), ...]`` (1-based)."""
        if not batches:
            return
        arr = np.asarray([b[:5] for b in batches], dtype=np.float64)
        x = (arr[:, 0] - 1.0) + arr[:, 1] / arr[:, 2]
        loss = arr[:, 3]
        smooth = np.empty_like(loss)
        beta, ema, count = self._beta, self._ema, self._ema_count
        for i, value in enumerate(loss):  # a few dozen values per call
            if math.isfinite(value):
                ema = beta * ema + (1.0 - beta) * value
                count += 1
            smooth[i] = ema / (1.0 - beta ** count) if count else value
        self._ema, self._ema_count = ema, count
        self.batch_x.extend(x)
        self.batch_loss.extend(loss)
        self.batch_smooth.extend(smooth)
        self.batch_lr.extend(arr[:, 4])
        finite = loss[np.isfinite(loss)]
        if len(finite):
            self._loss_range = [min(self._loss_range[0], float(finite.min())),
                                max(self._loss_range[1], float(finite.max()))]
        lrs = arr[:, 4][np.isfinite(arr[:, 4])]
        if len(lrs):
            self._lr_max = max(self._lr_max, float(lrs.max()))
        self.placeholder.hide()
        self._dirty = True

    def add_epoch(self, event: dict) -> None:
        """One epoch's figures (the trainer's "epoch" event or a history row)."""
        self.epoch_x.extend([event["epoch"]])
        self.train_loss.extend([number(event.get("train_loss"))])
        self.val_loss.extend([number(event.get("val_loss"))])
        self.train_acc.extend([100.0 * number(event.get("train_accuracy"))])
        self.val_acc.extend([100.0 * number(event.get("val_accuracy"))])
        for v in (self.train_loss.values[-1], self.val_loss.values[-1]):
            if math.isfinite(v):
                self._loss_range = [min(self._loss_range[0], v), max(self._loss_range[1], v)]
        for v in (self.train_acc.values[-1], self.val_acc.values[-1]):
            if math.isfinite(v):
                self._acc_min = min(self._acc_min, v)
        self.placeholder.hide()
        self._dirty = True

    def load_history(self, history: dict | None) -> None:
        """Show a finished run's history (from a model file)."""
        history = history or {}
        epochs = list(history.get("epoch") or [])
        batch_loss = [number(v) for v in history.get("batch_loss") or []]
        self.reset(max(len(batch_loss) // max(len(epochs), 1), 1) if (epochs or batch_loss) else None,
                   len(epochs) or None)
        if batch_loss:
            n_epochs = len(epochs) or 1
            x = np.arange(1, len(batch_loss) + 1, dtype=np.float64) * n_epochs / len(batch_loss)
            lrs = history.get("learning_rate") or []
            per_batch_lr = np.full(len(batch_loss), np.nan)
            if lrs and epochs:
                idx = np.minimum((x - 1e-9).astype(int), len(lrs) - 1)
                per_batch_lr = np.asarray([number(v) for v in lrs])[idx]
            self.add_batches([(1, xi, 1, loss, lr, 0.0)
                              for xi, loss, lr in zip(x, batch_loss, per_batch_lr)])
        for i, epoch in enumerate(epochs):
            self.add_epoch({k: (history.get(k) or [None] * len(epochs))[i]
                            for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy")}
                           | {"epoch": epoch})
        self._refresh()

    # --- drawing -------------------------------------------------------------------

    def _refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.refresh_count += 1
        bx = self.batch_x.values
        loss, smooth, lrs = self.batch_loss.values, self.batch_smooth.values, self.batch_lr.values
        finite = bool(np.isfinite(loss[self._checked:]).all()) and self._finite
        self._finite, self._checked = finite, len(loss)
        self.batch_curve.setData(bx, loss, skipFiniteCheck=finite)
        self.smooth_curve.setData(bx, smooth, skipFiniteCheck=finite)
        if self.refresh_count % LR_EVERY == 1 or not self.timer.isActive():
            self.lr_curve.setData(bx, lrs)  # the rate changes slowly: a few redraws a second
        ex = self.epoch_x.values
        if len(ex) == self._epochs_drawn and not self._epochs_dirty:
            self._update_ranges()
            return  # the per-epoch curves change once an epoch: leave them alone in between
        self._epochs_drawn, self._epochs_dirty = len(ex), False
        markers = len(ex) <= MAX_MARKERS  # thousands of markers would slow every redraw
        for curve, series in ((self.train_loss_curve, self.train_loss),
                              (self.val_loss_curve, self.val_loss),
                              (self.train_acc_curve, self.train_acc),
                              (self.val_acc_curve, self.val_acc)):
            y = series.values
            keep = np.isfinite(y)
            if markers != (curve.opts["symbol"] is not None):
                curve.setSymbol(curve._nndesk_symbol if markers else None)
            curve.setData(ex[keep], y[keep])
        self._show_validation_in_legends(bool(np.isfinite(self.val_loss.values).any()))
        self._update_ranges()

    def _show_validation_in_legends(self, shown: bool) -> None:
        """Runs without a validation split do not list a validation curve."""
        for plot, curve in ((self.loss_plot, self.val_loss_curve),
                            (self.acc_plot, self.val_acc_curve)):
            legend = plot.legend
            listed = any(item is curve for item, _ in
                         ((sample.item, label) for sample, label in legend.items))
            if shown and not listed:
                legend.addItem(curve, "validation")
            elif not shown and listed:
                legend.removeItem(curve)

    def _update_ranges(self) -> None:
        if not self.has_data():
            return
        last_x = max(self.batch_x.values[-1] if self.batch_x.size else 0.0,
                     self.epoch_x.values[-1] if self.epoch_x.size else 0.0)
        span = float(self._epochs_total or max(1, math.ceil(last_x)))
        lo, hi = self._loss_range
        targets = {self.loss_plot: (min(lo, 0.0), hi * 1.05 if hi > 0 else 1.0)
                   if math.isfinite(hi) else (0.0, 1.0)}
        acc_lo = self._acc_min if math.isfinite(self._acc_min) else 0.0
        targets[self.acc_plot] = (max(0.0, math.floor(acc_lo / 5.0) * 5.0), 100.5)
        targets[self.lr_plot] = (0.0, self._lr_max * 1.15 if self._lr_max > 0 else 1.0)
        for plot, (y0, y1) in targets.items():
            if self._user_ranged.get(plot):
                continue
            x0 = 0.5 if plot is self.acc_plot and span > 1 else 0.0
            (cx0, cx1), (cy0, cy1) = plot.getViewBox().viewRange()
            tol = 1e-9 + 0.02 * (y1 - y0)
            if abs(cx0 - x0) > 1e-9 or abs(cx1 - span) > 1e-9 or abs(cy0 - y0) > tol \
                    or abs(cy1 - y1) > tol:
                plot.setRange(xRange=(x0, span), yRange=(y0, y1), padding=0.02)

    def has_data(self) -> bool:
        return self.batch_x.size > 0 or self.epoch_x.size > 0

    # --- hover ---------------------------------------------------------------------

    def _on_mouse_moved(self, hovered, args) -> None:
        pos = args[0]
        for plot, line in self._cursors.items():
            vb = plot.getViewBox()
            inside = plot is hovered and vb.sceneBoundingRect().contains(pos) and self.has_data()
            line.setVisible(inside)
            if not inside:
                self._set_title(plot, self._titles[plot])
                continue
            x = vb.mapSceneToView(pos).x()
            line.setPos(x)
            self._set_title(plot, self._titles[plot] + " — " + " · ".join(self.readout(plot, x)))

    def readout(self, plot, x: float) -> list[str]:
        """The values of ``plot``'s curves nearest to epoch ``x`` (what hovering shows)."""
        parts = [f"epoch {x:.2f}"]
        if plot is self.loss_plot:
            parts += nearest(self.batch_x, x, [("batch", self.batch_loss, "{:.3f}"),
                                                ("smoothed", self.batch_smooth, "{:.3f}")])
            parts += nearest(self.epoch_x, x, [("train", self.train_loss, "{:.3f}"),
                                                ("val", self.val_loss, "{:.3f}")])
        elif plot is self.acc_plot:
            parts += nearest(self.epoch_x, x, [("train", self.train_acc, "{:.2f}"),
                                                ("val", self.val_acc, "{:.2f}")])
        else:
            parts += nearest(self.batch_x, x, [("rate", self.batch_lr, "{:.3g}")])
        return parts

    def _set_title(self, plot, text: str) -> None:
        if plot.titleLabel.text != text:
            color = self.palette().color(QPalette.ColorRole.Text).name()
            plot.setTitle(text, color=color, size="9pt")

    def leaveEvent(self, event) -> None:  # noqa: N802
        for plot, line in self._cursors.items():
            line.hide()
            self._set_title(plot, self._titles[plot])
        super().leaveEvent(event)

    # --- look ------------------------------------------------------------------------

    def apply_palette(self) -> None:
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        foreground = palette.color(QPalette.ColorRole.Text)
        for view in self.views:
            view.setBackground(background)
        for plot in self.plots:
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(foreground))
                axis.setTextPen(pg.mkPen(foreground))
            plot.titleLabel.setText(plot.titleLabel.text, color=foreground.name(), size="9pt")
        for legend in (self.loss_plot.legend, self.acc_plot.legend):
            if legend is not None:
                legend.setLabelTextColor(foreground)
                legend.setBrush(pg.mkBrush(background.red(), background.green(),
                                           background.blue(), 200))
        self.placeholder.setColor(foreground)
        epoch_color = "#9cc3ea" if background.lightness() < 128 else "#1d4f7c"
        self.train_loss_curve.setPen(make_pen(epoch_color, 1.5))
        self.train_loss_curve.setSymbolBrush(epoch_color)

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()
        super().changeEvent(event)
