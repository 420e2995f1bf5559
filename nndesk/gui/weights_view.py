"""Looking inside the network: every first-layer unit's weights as an image (pyqtgraph).

The view keeps only the latest weight snapshot it was given and redraws from a timer a few
times a second, and only while visible, so a fast training run costs it nothing between
redraws. Colours use a diverging map centred on zero with symmetric levels: blue is
negative, red positive, white zero.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .weight_images import (GAP, ImagePanel, LiveView, dense_layers, style_panel, symmetric_level,
                            tile_grid)


class UnitTilesView(LiveView):
    """The first dense layer's weights, one image tile per hidden unit; click a tile to enlarge."""

    unitSelected = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = ImagePanel(bar=True)
        self.grid.setObjectName("unitTiles")
        self.grid.clicked.connect(self._on_grid_clicked)
        self.large = ImagePanel(bar=False)
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
        style_panel(self.grid, self.palette())
        style_panel(self.large, self.palette())
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
            style_panel(self.grid, self.palette())
            style_panel(self.large, self.palette())
        super().changeEvent(event)
