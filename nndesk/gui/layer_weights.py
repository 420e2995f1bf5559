"""Looking inside the network: any layer's weights as a heatmap, with histograms of its weights
and last gradients (pyqtgraph): a dense layer's matrix, a conv layer's kernels tiled (a row per
filter, a column per input channel), a batch norm's scale (less 1) and shift per channel.
Redrawn from its latest snapshot a few times a second, only while visible."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nndesk import engine

from .weight_images import (ImagePanel, LiveView, kernel_grid, style_panel, subsample,
                            symmetric_level)

TIPS = {"dense": "Rows are this layer's units, columns its inputs",
        "conv2d": "Each tile is one kernel: a row per filter, a column per input channel",
        "filters": "Each tile is one filter's kernel",
        "batchnorm": "Top row: how far each channel's scale γ has moved from 1; bottom row: "
                     "its shift β (both start at 0)"}


class LayerWeightsView(LiveView):
    """For a chosen layer: a heatmap of its weights and histograms of weights and gradients."""

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

        self._inputs: dict[int, tuple] = {}  # layer -> its input's shape
        self._start_live()
        self._redraw_when_resized(self.heatmap)
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
        self._inputs = {}
        for i, text, before in layer_titles(spec):
            self.layer_combo.addItem(text, i)
            self._inputs[i] = before
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
        weights = self.snapshot["weights"]
        w = weights.get(f"layers.{layer}.weight")
        g = self.snapshot.get("gradients", {}).get(f"layers.{layer}.weight")
        if w is None:
            return
        kind = self.spec["layers"][layer]["type"]
        tip = TIPS.get(kind, "")
        if kind == "batchnorm":
            image = np.stack([w - 1, weights[f"layers.{layer}.bias"]])
        elif w.ndim == 4:
            size = self.heatmap.vb.size()
            image = kernel_grid(w, size.width() / size.height() if size.height() > 0 else 1.0)
            tip = TIPS["conv2d" if w.shape[1] > 1 else "filters"]
        else:
            image = w.T
        level = symmetric_level(image)
        key = (image.shape, layer)
        if key != self._shape_key:
            self.heatmap.vb.setAspectLocked(w.ndim == 4)
            self.heatmap.setToolTip(tip)
        self.heatmap.show_image(np.ascontiguousarray(image), level,
                                auto_range=key != self._shape_key)
        self._shape_key = key
        _histogram(self.weight_bars, w)
        if g is not None:
            _histogram(self.grad_bars, g)
        gnorm = float(np.linalg.norm(g.ravel())) if g is not None and g.size else math.nan
        sample, _ = subsample(w)
        grad = f" · gradient norm {gnorm:.3g}" if math.isfinite(gnorm) and gnorm > 0 else ""
        stats = f"mean {float(sample.mean()):+.4f} · std {float(sample.std()):.4f}{grad}"
        if kind == "batchnorm":
            mean = weights[f"layers.{layer}.running_mean"]
            var = weights[f"layers.{layer}.running_var"]
            what = "channels" if len(self._inputs.get(layer, ())) == 3 else "units"
            text = (f"{len(w)} {what} · scale γ {stats} · running mean "
                    f"{float(mean.min()):+.3g} to {float(mean.max()):+.3g}, variance "
                    f"{float(var.min()):.3g} to {float(var.max()):.3g}")
        elif w.ndim == 4:
            f, c, kh, kw = w.shape
            text = f"{f} filters × {c} channel{'s' * (c != 1)} × {kh}×{kw} · {stats}"
        else:
            text = f"{w.shape[1]} units × {w.shape[0]} inputs · {stats}"
        self.stats.setText(text)
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


def layer_titles(spec: dict | None) -> list[tuple[int, str, tuple]]:
    """(index, title, input shape) of every layer with weights; titles such as
    "Layer 3 · conv2d 6 → 16 channels, 5×5 (relu)"."""
    if not spec:
        return []
    try:
        shapes = [tuple(spec["input_shape"])] + [
            tuple(row["output_shape"]) for row in engine.describe(spec)["layers"]]
    except (engine.SpecError, ValueError):
        return []
    titles = []
    for i, cfg in enumerate(spec["layers"]):
        kind, before, after = cfg["type"], shapes[i], shapes[i + 1]
        if kind == "dense":
            text = f"dense {math.prod(before)} → {after[0]} ({cfg.get('activation')})"
        elif kind == "conv2d":
            k = cfg.get("kernel_size", 3)
            kh, kw = (k, k) if isinstance(k, int) else k
            text = (f"conv2d {before[0]} → {after[0]} channels, {kh}×{kw} "
                    f"({cfg.get('activation', 'relu')})")
        elif kind == "batchnorm":
            text = f"batchnorm, {before[0]} {'channels' if len(before) == 3 else 'units'}"
        else:
            continue
        titles.append((i, f"Layer {i + 1} · {text}", before))
    return titles
