"""Looking inside the network: any layer's weight heatmap, with histograms of its weights and
last gradients (pyqtgraph). Redrawn from its latest snapshot a few times a second, only while
visible."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .weight_images import ImagePanel, LiveView, style_panel, subsample, symmetric_level


class LayerWeightsView(LiveView):
    """For a chosen layer: a heatmap of its weight matrix and histograms of weights and gradients."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName("layerCombo")
        self.layer_combo.setToolTip("Which layer's weights to show")
        self.layer_combo.currentIndexChanged.connect(self._on_layer_changed)
        self.stats = QLabel()
        self.stats.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer"))
        top.addWidget(self.layer_combo, 1)
        self.heatmap = ImagePanel(bar=True)
        self.heatmap.setObjectName("layerHeatmap")
        self.heatmap.vb.setAspectLocked(False)
        self.heatmap.vb.setMouseEnabled(x=True, y=True)
        self.heatmap.setToolTip("Rows are this layer's units, columns its inputs")
        self.hist = pg.GraphicsLayoutWidget()
        self.hist.ci.setContentsMargins(2, 2, 2, 2)
        self.weight_hist = self.hist.addPlot(row=0, col=0, title="Weights")
        self.grad_hist = self.hist.addPlot(row=0, col=1, title="Last gradients")
        self.weight_bars = self.weight_hist.plot(stepMode="center", fillLevel=0,
                                                 brush=(59, 130, 196, 150), pen=pg.mkPen("#3b82c4"))
        self.grad_bars = self.grad_hist.plot(stepMode="center", fillLevel=0,
                                             brush=(232, 119, 46, 150), pen=pg.mkPen("#e8772e"))
        for plot in (self.weight_hist, self.grad_hist):
            plot.hideAxis("left")
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.getAxis("bottom").setStyle(maxTickLevel=0)
        self.hist.setMinimumHeight(130)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.heatmap, 3)
        layout.addWidget(self.stats)
        layout.addWidget(self.hist, 2)

        self._start_live()
        style_panel(self.heatmap, self.palette())
        style_panel(self.hist, self.palette())

    def clear(self) -> None:
        self.snapshot = None
        self.heatmap.image.clear()
        self.weight_bars.setData([0, 1], [0])
        self.grad_bars.setData([0, 1], [0])
        self.stats.setText("Train or open a model to see its weights.")

    def set_context(self, spec: dict | None, image_shape=None) -> None:
        del image_shape
        self.spec = spec
        current = self.layer_combo.currentData()
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        size = math.prod(spec["input_shape"]) if spec else 0
        for i, cfg in enumerate(spec.get("layers", []) if spec else []):
            if cfg.get("type") == "dense":
                self.layer_combo.addItem(
                    f"Layer {i + 1} · dense {size} → {cfg['units']} ({cfg.get('activation')})", i)
                size = cfg["units"]
        index = self.layer_combo.findData(current)
        self.layer_combo.setCurrentIndex(index if index >= 0 else 0)
        self.layer_combo.blockSignals(False)
        self._shape_key = None
        self._dirty = self.snapshot is not None

    def _on_layer_changed(self, _index: int) -> None:
        self._shape_key = None
        self._redraw(force=True)

    def _redraw(self, force: bool = False) -> None:
        if not (self._dirty or force) or self.snapshot is None or not self.isVisible():
            return
        layer = self.layer_combo.currentData()
        if layer is None:
            return
        self._dirty = False
        w = self.snapshot["weights"].get(f"layers.{layer}.weight")
        g = self.snapshot.get("gradients", {}).get(f"layers.{layer}.weight")
        if w is None:
            return
        level = symmetric_level(w)
        key = (w.shape, layer)
        self.heatmap.show_image(np.ascontiguousarray(w.T), level, auto_range=key != self._shape_key)
        self._shape_key = key
        _histogram(self.weight_bars, w)
        if g is not None:
            _histogram(self.grad_bars, g)
        gnorm = float(np.linalg.norm(g.ravel())) if g is not None and g.size else math.nan
        sample, _ = subsample(w)
        grad = f" · gradient norm {gnorm:.3g}" if math.isfinite(gnorm) and gnorm > 0 else ""
        self.stats.setText(f"{w.shape[1]} units × {w.shape[0]} inputs · mean "
                           f"{float(sample.mean()):+.4f} · std {float(sample.std()):.4f}{grad}")
        self.redraw_count += 1

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            style_panel(self.heatmap, self.palette())
            style_panel(self.hist, self.palette())
        super().changeEvent(event)


def _histogram(item, values: np.ndarray, bins: int = 60) -> None:
    """The distribution of ``values`` (from a strided sample of big arrays, counts scaled up)."""
    sample, step = subsample(values)
    finite = sample[np.isfinite(sample)]
    if finite.size == 0:
        return
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi))
    item.setData(edges, counts * step)
