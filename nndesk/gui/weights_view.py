"""Looking inside the network: what each first-layer unit or filter looks for, as images
(pyqtgraph).

A dense first layer on an image shows every unit's weights as a tile of the image's size; a
conv2d first layer shows every filter's kernel (a row of filters per input channel). The view
keeps only the latest weight snapshot it was given and redraws from a timer a few times a
second, and only while visible, so a fast training run costs it nothing between redraws.
Colours use a diverging map centred on zero with symmetric levels: blue is negative, red
positive, white zero.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .weight_images import (GAP, MAX_TILES, ImagePanel, LiveView, kernel_matrix, layers_of,
                            style_panel, symmetric_level, tile_grid)

DENSE_PROMPT = ("Each tile will show what one hidden unit of the first layer looks for in the "
                "image: red pixels excite it, blue ones inhibit it. Press Train to watch them "
                "form.")
CONV_PROMPT = ("Each tile will show one filter of the first convolution layer: the small "
               "pattern it looks for as it slides over the image (red weights excite it, blue "
               "ones inhibit it). Press Train to watch them form.")


class UnitTilesView(LiveView):
    """The first layer's units (dense) or filters (conv2d), one image tile each; click a tile
    to enlarge it. ``tile_shape`` and ``tile_count`` describe the tiles last drawn."""

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
        self.tile_shape: tuple[int, int] | None = None
        self.tile_count = 0
        self._cols = 1
        self._filters = 0  # conv: tiles per input channel's row (0 for dense units)
        self._layer: int | None = None
        self._start_live()
        self._redraw_when_resized(self.grid)
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
        self.message.setText(text or (CONV_PROMPT if self._first_kind() == "conv2d"
                                      else DENSE_PROMPT))
        self._show_views(False)

    def _show_views(self, views: bool) -> None:
        """Either the tiles (with the enlarged one) or a message filling the space."""
        for w in (self.grid, self.large, self.info):
            w.setVisible(views)
        self.message.setVisible(not views)
        self.layout().setStretchFactor(self.message, 0 if views else 1)

    def can_draw(self) -> bool:
        """Whether the current network's first layer can be shown as image tiles."""
        if self._first_layer() != 0:
            return False
        if self._first_kind() == "conv2d":
            return True
        return bool(self.image_shape) and \
            math.prod(self.image_shape) == math.prod(self.spec["input_shape"])

    def set_context(self, spec: dict | None, image_shape: tuple[int, int] | None) -> None:
        self.spec = spec
        self.image_shape = tuple(image_shape) if image_shape else None
        self._shape_key = None
        if self.snapshot is None:
            self.clear()

    def _first_layer(self) -> int | None:
        layers = layers_of(self.spec, "dense", "conv2d")
        return layers[0] if layers else None

    def _first_kind(self) -> str | None:
        layer = self._first_layer()
        return None if layer is None else self.spec["layers"][layer]["type"]

    def _tiles(self, weights: np.ndarray):
        """(matrix whose columns are the tiles, tile shape, fixed columns or None, filters per
        row), or None when the weights are not images."""
        if weights.ndim == 4:  # conv2d kernels (filters, channels, kh, kw)
            f, c, kh, kw = weights.shape
            matrix = kernel_matrix(weights)
            if c == 1 or c * f > MAX_TILES:
                return matrix[:, :f], (kh, kw), None, f  # channel 1 only
            return matrix, (kh, kw), f, f
        shape = self.image_shape
        if shape is None or shape[0] * shape[1] != weights.shape[0]:
            return None
        return weights, shape, None, 0

    def _redraw(self, force: bool = False) -> None:
        if not (self._dirty or force) or self.snapshot is None or not self.isVisible():
            return
        self._dirty = False
        layer = self._first_layer()
        weights = self.snapshot["weights"].get(f"layers.{layer}.weight") if layer is not None else None
        tiles = self._tiles(weights) if weights is not None else None
        if tiles is None:
            size = weights.shape[0] if weights is not None else 0
            self.message.setText(
                "Unit images are drawn when the input is an image (such as MNIST's 28×28 "
                f"pixels); this network's input has {size} values. The Layers tab shows its "
                "weights.")
            self.grid.image.clear()
            self.large.image.clear()
            self._show_views(False)
            return
        matrix, shape, fixed, filters = tiles
        self._show_views(True)
        size = self.grid.vb.size()
        aspect = size.width() / size.height() if size.height() > 0 else 1.0
        image, cols, count = tile_grid(matrix, shape, aspect=aspect, cols=fixed)
        level = symmetric_level(matrix[:, :count])
        key = (image.shape, layer)
        self.grid.show_image(image, level, auto_range=key != self._shape_key)
        self._shape_key = key
        self._cols, self._layer, self._filters = cols, layer, filters
        self.tile_shape, self.tile_count = shape, count
        self.selected = min(self.selected, count - 1)
        self._draw_selected(weights, matrix, level)
        self.redraw_count += 1

    def _draw_selected(self, weights: np.ndarray, matrix: np.ndarray, level: float) -> None:
        t = self.selected
        tile = matrix[:, t].reshape(self.tile_shape)
        self.large.show_image(np.ascontiguousarray(tile), level, auto_range=True)
        bias = self.snapshot["weights"].get(f"layers.{self._layer}.bias")
        hint = f"<span style='color: gray'>Click a tile to enlarge it. Colours: ±{level:.3f}.</span>"
        if self._filters:
            channel, unit = divmod(t, self._filters)
            channels, (kh, kw) = weights.shape[1], self.tile_shape
            rows = "a row per channel" if matrix.shape[1] > self._filters else "only it is shown"
            where = (f" on input channel {channel + 1} of {channels} ({rows})"
                     if channels > 1 else "")
            title = (f"<b>Filter {unit + 1}</b> of {weights.shape[0]}{where}, conv2d layer "
                     f"{self._layer + 1}<br>{kh}×{kw} kernel · ")
        else:
            unit, total = t, matrix.shape[1]
            shown = f" (showing the first {self.tile_count} of {total})" if total > self.tile_count else ""
            title = f"<b>Unit {unit + 1}</b> of layer {self._layer + 1}{shown}<br>"
        b = f"bias {float(bias[unit]):+.3f} · " if bias is not None else ""
        self.info.setText(f"{title}{b}weights {float(tile.min()):+.3f} to "
                          f"{float(tile.max()):+.3f}<br>{hint}")

    def select_unit(self, unit: int) -> None:
        """Enlarge tile ``unit`` (a unit, or a filter on one input channel)."""
        if 0 <= unit < max(self.tile_count, 1):
            self.selected = unit
            self.unitSelected.emit(unit)
            self._redraw(force=True)

    def _on_grid_clicked(self, x: float, y: float) -> None:
        if not self.tile_shape or not self.tile_count:
            return
        h, w = self.tile_shape
        col, row = int(x // (w + GAP)), int(y // (h + GAP))
        unit = row * self._cols + col
        if 0 <= col < self._cols and 0 <= unit < self.tile_count:
            self.select_unit(unit)

    def tile_center(self, unit: int) -> tuple[float, float]:
        """Image coordinates of a tile's centre."""
        h, w = self.tile_shape
        row, col = divmod(unit, self._cols)
        return col * (w + GAP) + w / 2, row * (h + GAP) + h / 2

    def tile_pos(self, unit: int):
        """Where tile ``unit`` is on the grid's viewport, in pixels (for tests and tools)."""
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
