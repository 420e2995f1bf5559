"""What the weight views share: the diverging colour map, symmetric levels, tiles of unit
images and of convolution kernels, and a view that redraws its latest snapshot from a timer,
only while visible."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

REDRAW_MS = 500
MAX_TILES = 256
GAP = 1
COLORMAP = "CET-D1A"


def diverging_map() -> pg.ColorMap:
    return pg.colormap.get(COLORMAP)


SAMPLE = 20000  # statistics for colour scales and histograms use at most this many values


def subsample(values: np.ndarray) -> tuple[np.ndarray, int]:
    """An evenly strided sample of at most SAMPLE values, and the stride (cheap and deterministic)."""
    flat = values.ravel()
    step = max(1, len(flat) // SAMPLE)
    return flat[::step], step


def symmetric_level(values: np.ndarray) -> float:
    """A symmetric colour range ±m that a few outliers do not wash out."""
    sample, _ = subsample(values)
    finite = np.abs(sample[np.isfinite(sample)])
    if finite.size == 0:
        return 1.0
    m = float(np.percentile(finite, 99.5)) if finite.size > 1000 else float(finite.max())
    return m if m > 0 else 1.0


def tile_grid(weights: np.ndarray, image_shape: tuple[int, int], limit: int = MAX_TILES,
              aspect: float = 1.0, cols: int | None = None):
    """Each unit's incoming weights (columns of W, (in, out)) as image tiles in one array.

    Unless ``cols`` fixes its width, the grid has the columns that make the tiles largest in
    a space of ``aspect`` (width / height). Returns (image, columns, count); the image has
    NaN (drawn transparent) between tiles.
    """
    h, w = image_shape
    units = min(weights.shape[1], limit)
    if cols is None:
        aspect = max(aspect, 0.1)
        cols = max(range(1, units + 1), key=lambda c: min(aspect / (c * (w + GAP)),
                                                         1 / (math.ceil(units / c) * (h + GAP))))
    cols = max(1, min(units, cols))
    rows = max(1, math.ceil(units / cols))
    tiles = np.full((rows * cols, h + GAP, w + GAP), np.nan, dtype=np.float32)
    tiles[:units, :h, :w] = weights[:, :units].T.reshape(units, h, w)
    image = tiles.reshape(rows, cols, h + GAP, w + GAP).transpose(0, 2, 1, 3)
    image = image.reshape(rows * (h + GAP), cols * (w + GAP))[:-GAP or None, :-GAP or None]
    return np.ascontiguousarray(image), cols, units


def kernel_matrix(kernels: np.ndarray) -> np.ndarray:
    """Convolution kernels (filters, channels, kh, kw) as tile_grid's columns, channel by
    channel: column ``c * filters + f`` is filter f's kernel on input channel c."""
    f, c, kh, kw = kernels.shape
    return kernels.transpose(1, 0, 2, 3).reshape(c * f, kh * kw).T


def kernel_grid(kernels: np.ndarray, aspect: float = 1.0) -> np.ndarray:
    """Every kernel of a conv layer as one image: a row per filter, a column per input channel
    (with one input channel, the filters tiled to fit ``aspect``)."""
    f, c, kh, kw = kernels.shape
    matrix = kernels.reshape(f * c, kh * kw).T
    return tile_grid(matrix, (kh, kw), limit=f * c, aspect=aspect, cols=c if c > 1 else None)[0]


def layers_of(spec: dict | None, *kinds: str) -> list[int]:
    """The indices of the spec's layers of these types."""
    if not spec:
        return []
    return [i for i, cfg in enumerate(spec.get("layers", [])) if cfg.get("type") in kinds]


class ImagePanel(pg.GraphicsLayoutWidget):
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


class LiveView(QWidget):
    """A view of weight snapshots that redraws from a timer, only when new data came and
    only while it is visible; subclasses implement ``_redraw(force=False)``."""

    def _start_live(self, interval_ms: int = REDRAW_MS) -> None:
        self.snapshot: dict | None = None
        self.spec: dict | None = None
        self._dirty = False
        self._shape_key = None
        self.redraw_count = 0
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._redraw)
        self.timer.start()

    def set_snapshot(self, snapshot: dict) -> None:
        self.snapshot = snapshot
        self._dirty = True

    def _redraw_when_resized(self, panel: ImagePanel) -> None:
        """Redraw when ``panel``'s view box changes size (its grid follows the space; the first
        layout of a tab shown for the first time comes after its first redraw)."""
        panel.vb.sigResized.connect(lambda _vb: setattr(self, "_dirty", self.snapshot is not None))

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._dirty = self.snapshot is not None
        QTimer.singleShot(0, self._redraw)


def style_panel(widget: pg.GraphicsLayoutWidget, palette: QPalette) -> None:
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
