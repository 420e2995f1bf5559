"""Looking inside the network: weight images, heatmaps and histograms (pyqtgraph).

Both views keep only the latest weight snapshot they were given and redraw from a timer a
few times a second, and only while visible, so a fast training run costs them nothing
between redraws. Colours use a diverging map centred on zero with symmetric levels: blue
is negative, red positive, white zero.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

REDRAW_MS = 500
MAX_TILES = 256
GAP = 1
COLORMAP = "CET-D1A"


def diverging_map() -> pg.ColorMap:
    return pg.colormap.get(COLORMAP)


SAMPLE = 20000  # statistics for colour scales and histograms use at most this many values


def _sample(values: np.ndarray) -> tuple[np.ndarray, int]:
    """An evenly strided sample of at most SAMPLE values, and the stride (cheap and deterministic)."""
    flat = values.ravel()
    step = max(1, len(flat) // SAMPLE)
    return flat[::step], step


def symmetric_level(values: np.ndarray) -> float:
    """A symmetric colour range ±m that a few outliers do not wash out."""
    sample, _ = _sample(values)
    finite = np.abs(sample[np.isfinite(sample)])
    if finite.size == 0:
        return 1.0
    m = float(np.percentile(finite, 99.5)) if finite.size > 1000 else float(finite.max())
    return m if m > 0 else 1.0


def tile_grid(weights: np.ndarray, image_shape: tuple[int, int], limit: int = MAX_TILES,
              aspect: float = 1.0):
    """Each unit's incoming weights (columns of W, (in, out)) as image tiles in one array.

    ``aspect`` (width / height of the space to fill) shapes the grid. Returns
    (image, columns, count); the image has NaN (drawn transparent) between tiles.
    """
    h, w = image_shape
    units = min(weights.shape[1], limit)
    cols = max(1, min(units, round(math.sqrt(units * max(aspect, 0.1) * h / w))))
    rows = max(1, math.ceil(units / cols))
    tiles = np.full((rows * cols, h + GAP, w + GAP), np.nan, dtype=np.float32)
    tiles[:units, :h, :w] = weights[:, :units].T.reshape(units, h, w)
    image = tiles.reshape(rows, cols, h + GAP, w + GAP).transpose(0, 2, 1, 3)
    image = image.reshape(rows * (h + GAP), cols * (w + GAP))[:-GAP or None, :-GAP or None]
    return np.ascontiguousarray(image), cols, units


def dense_layers(spec: dict | None) -> list[int]:
    if not spec:
        return []
    return [i for i, cfg in enumerate(spec.get("layers", [])) if cfg.get("type") == "dense"]


class _ImagePanel(pg.GraphicsLayoutWidget):
    """A view box with an image (rows down, columns right) and a colour bar."""

    clicked = Signal(float, float)

    def __init__(self, parent=None, bar=True, title: str | None = None):
        super().__init__(parent)
        self.ci.setContentsMargins(2, 2, 2, 2)
        if title:
            self.addLabel(title, row=0, col=0, colspan=2)
        self.vb = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.vb.setMouseEnabled(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setAutoDownsample(True)
        self.vb.addItem(self.image)
        self.bar = None
        if bar:
            self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=diverging_map(), interactive=False,
                                       width=14, colorMapMenu=False)
            self.bar.setImageItem(self.image)
            self.addItem(self.bar, row=1, col=1)
        else:
            self.image.setColorMap(diverging_map())
        self.image.mouseClickEvent = self._image_clicked

    def _image_clicked(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            pos = event.pos()
            self.clicked.emit(pos.x(), pos.y())
            event.accept()

    def show_image(self, image: np.ndarray, level: float, auto_range: bool) -> None:
        self.image.setImage(image, autoLevels=False, levels=(-level, level))
        if self.bar is not None:
            self.bar.setLevels((-level, level))
        else:
            self.image.setLevels((-level, level))
        if auto_range:
            self.vb.autoRange(padding=0.02)


class _LiveView(QWidget):
    """A view of weight snapshots that redraws from a timer, only when new data came and
    only while it is visible; subclasses implement ``_redraw(force=False)``."""

    def _start_live(self) -> None:
        self.snapshot: dict | None = None
        self.spec: dict | None = None
        self._dirty = False
        self._shape_key = None
        self.redraw_count = 0
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._redraw)
        self.timer.start()

    def set_snapshot(self, snapshot: dict) -> None:
        self.snapshot = snapshot
        self._dirty = True

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._dirty = self.snapshot is not None
        QTimer.singleShot(0, self._redraw)


class UnitTilesView(_LiveView):
    """The first dense layer's weights, one image tile per hidden unit; click a tile to enlarge."""

    unitSelected = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = _ImagePanel(bar=True)
        self.grid.setObjectName("unitTiles")
        self.grid.clicked.connect(self._on_grid_clicked)
        self.large = _ImagePanel(bar=False)
        self.large.setObjectName("unitLarge")
        self.large.setFixedSize(150, 150)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.large)
        bottom.addWidget(self.info, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.message)
        layout.addWidget(self.grid, 1)
        layout.addLayout(bottom)

        self.image_shape: tuple[int, int] | None = None
        self.selected = 0
        self._cols = 1
        self._units = 0
        self._layer: int | None = None
        self._start_live()
        _style_panel(self.grid, self.palette())
        _style_panel(self.large, self.palette())
        self.clear()

    def clear(self, text: str | None = None) -> None:
        self.snapshot = None
        self._dirty = False
        self._shape_key = None
        self.grid.image.clear()
        self.large.image.clear()
        self.info.setText("")
        self.message.setText(text or "Each tile will show what one hidden unit of the first "
                                     "layer looks for in the image: red pixels excite it, "
                                     "blue ones inhibit it. Press Train to watch them form.")
        self._show_views(False)

    def _show_views(self, views: bool) -> None:
        """Either the tiles (with the enlarged one) or a message filling the space."""
        for w in (self.grid, self.large, self.info):
            w.setVisible(views)
        self.message.setVisible(not views)
        self.layout().setStretchFactor(self.message, 0 if views else 1)

    def can_draw(self) -> bool:
        """Whether the current network's first layer can be shown as image tiles."""
        layer = self._first_layer()
        if layer is None or not self.image_shape or not self.spec:
            return False
        return layer == 0 and math.prod(self.image_shape) == math.prod(self.spec["input_shape"])

    def set_context(self, spec: dict | None, image_shape: tuple[int, int] | None) -> None:
        self.spec = spec
        self.image_shape = tuple(image_shape) if image_shape else None
        self._shape_key = None

    def _first_layer(self) -> int | None:
        layers = dense_layers(self.spec)
        return layers[0] if layers else None

    def _redraw(self, force: bool = False) -> None:
        if not (self._dirty or force) or self.snapshot is None or not self.isVisible():
            return
        self._dirty = False
        layer = self._first_layer()
        weights = self.snapshot["weights"].get(f"layers.{layer}.weight") if layer is not None else None
        shape = self.image_shape
        if weights is None or shape is None or shape[0] * shape[1] != weights.shape[0]:
            size = weights.shape[0] if weights is not None else 0
            self.message.setText(
                "Unit images are drawn when the input is an image (such as MNIST's 28×28 "
                f"pixels); this network's input has {size} values. The Layers tab shows its "
                "weights.")
            self.grid.image.clear()
            self.large.image.clear()
            self._show_views(False)
            return
        self._show_views(True)
        size = self.grid.vb.size()
        aspect = size.width() / size.height() if size.height() > 0 else 1.0
        image, cols, units = tile_grid(weights, shape, aspect=aspect)
        level = symmetric_level(weights[:, :units])
        key = (image.shape, layer)
        self.grid.show_image(image, level, auto_range=key != self._shape_key)
        self._shape_key = key
        self._cols, self._units, self._layer = cols, units, layer
        self.selected = min(self.selected, units - 1)
        self._draw_selected(weights, level)
        self.redraw_count += 1

    def _draw_selected(self, weights: np.ndarray, level: float) -> None:
        h, w = self.image_shape
        unit = self.selected
        tile = weights[:, unit].reshape(h, w)
        self.large.show_image(np.ascontiguousarray(tile), level, auto_range=True)
        bias = self.snapshot["weights"].get(f"layers.{self._layer}.bias")
        total = weights.shape[1]
        shown = f" (showing the first {self._units} of {total})" if total > self._units else ""
        b = f"bias {float(bias[unit]):+.3f} · " if bias is not None else ""
        self.info.setText(
            f"<b>Unit {unit + 1}</b> of layer {self._layer + 1}{shown}<br>"
            f"{b}weights {float(tile.min()):+.3f} to {float(tile.max()):+.3f}<br>"
            f"<span style='color: gray'>Click a tile to enlarge it. Colours: ±{level:.3f}.</span>")

    def select_unit(self, unit: int) -> None:
        if 0 <= unit < max(self._units, 1):
            self.selected = unit
            self.unitSelected.emit(unit)
            self._redraw(force=True)

    def _on_grid_clicked(self, x: float, y: float) -> None:
        if not self.image_shape or not self._units:
            return
        h, w = self.image_shape
        col, row = int(x // (w + GAP)), int(y // (h + GAP))
        unit = row * self._cols + col
        if 0 <= col < self._cols and 0 <= unit < self._units:
            self.select_unit(unit)

    def tile_center(self, unit: int) -> tuple[float, float]:
        """Image coordinates of a tile's centre."""
        h, w = self.image_shape
        row, col = divmod(unit, self._cols)
        return col * (w + GAP) + w / 2, row * (h + GAP) + h / 2

    def tile_pos(self, unit: int):
        """Where tile ``unit`` is on the grid's viewport, in pixels (for tests and tools)."""
        from PySide6.QtCore import QPointF
        self.grid.vb.updateMatrix()
        scene = self.grid.image.mapToScene(QPointF(*self.tile_center(unit)))
        return self.grid.mapFromScene(scene)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._dirty = self.snapshot is not None  # the grid's shape follows the space

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            _style_panel(self.grid, self.palette())
            _style_panel(self.large, self.palette())
        super().changeEvent(event)


class LayerWeightsView(_LiveView):
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
        self.heatmap = _ImagePanel(bar=True)
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
        _style_panel(self.heatmap, self.palette())
        _style_panel(self.hist, self.palette())

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
        sample, _ = _sample(w)
        grad = f" · gradient norm {gnorm:.3g}" if math.isfinite(gnorm) and gnorm > 0 else ""
        self.stats.setText(f"{w.shape[1]} units × {w.shape[0]} inputs · mean "
                           f"{float(sample.mean()):+.4f} · std {float(sample.std()):.4f}{grad}")
        self.redraw_count += 1

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            _style_panel(self.heatmap, self.palette())
            _style_panel(self.hist, self.palette())
        super().changeEvent(event)


def _histogram(item, values: np.ndarray, bins: int = 60) -> None:
    """The distribution of ``values`` (from a strided sample of big arrays, counts scaled up)."""
    sample, step = _sample(values)
    finite = sample[np.isfinite(sample)]
    if finite.size == 0:
        return
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi))
    item.setData(edges, counts * step)


def _style_panel(widget: pg.GraphicsLayoutWidget, palette: QPalette) -> None:
    widget.setBackground(palette.color(QPalette.ColorRole.Base))
    fg = palette.color(QPalette.ColorRole.Text)
    for item in widget.ci.items:
        if isinstance(item, pg.PlotItem):
            for name in ("left", "bottom"):
                axis = item.getAxis(name)
                axis.setPen(pg.mkPen(fg))
                axis.setTextPen(pg.mkPen(fg))
            item.titleLabel.setText(item.titleLabel.text, color=fg.name(), size="9pt")
        elif isinstance(item, pg.ColorBarItem):
            axis = item.axis
            axis.setPen(pg.mkPen(fg))
            axis.setTextPen(pg.mkPen(fg))
