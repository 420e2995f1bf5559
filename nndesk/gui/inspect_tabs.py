"""The tabs that look inside the network (unit images, layers, feature maps), fed by the
session: its network's spec, its weight snapshots and its test images; and the pad's drawing."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget

from .feature_maps import FeatureMapsView
from .layer_weights import LayerWeightsView
from .weights_view import UnitTilesView


class InspectTabs(QTabWidget):
    """``tiles``, ``layers_view`` and ``feature_maps``, following the session and the pad.
    ``padRequested``: a view asked for the drawing pad."""

    padRequested = Signal()

    def __init__(self, session, pad, parent=None):
        super().__init__(parent)
        self.session, self.pad = session, pad
        self.setObjectName("inspectTabs")
        self.setDocumentMode(True)
        self.tiles = UnitTilesView()
        self.layers_view = LayerWeightsView()
        self.feature_maps = FeatureMapsView()
        for view, title, tip in (
                (self.tiles, "Unit images",
                 "What each unit or filter of the first layer looks for"),
                (self.layers_view, "Layers", "Weight heatmap and histograms for any layer"),
                (self.feature_maps, "Feature maps",
                 "What each convolution and pooling layer makes of one image")):
            self.setTabToolTip(self.addTab(view, title), tip)
        self.setMinimumWidth(260)
        session.networkChanged.connect(self._on_network_changed)
        session.snapshotChanged.connect(self._on_snapshot_changed)
        session.datasetChanged.connect(self._on_dataset_changed)
        pad.predictionUpdated.connect(lambda _p: self.feature_maps.set_drawing(pad.network_input()))
        self.feature_maps.padRequested.connect(self.padRequested)
        self.clear()

    def clear(self) -> None:
        self.tiles.clear()
        self.layers_view.clear()
        self.feature_maps.set_context(None)

    def _image_shape(self, spec: dict | None) -> tuple[int, int] | None:
        """The network's input as rows × columns of an image, when it is one."""
        size = math.prod(spec.get("input_shape") or [0]) if spec else 0
        ds = self.session.dataset
        if ds is not None and ds.image_shape and math.prod(ds.image_shape) == size:
            return tuple(ds.image_shape)
        side = math.isqrt(size) if size > 0 else 0
        return (side, side) if side >= 8 and side * side == size else None

    def _on_network_changed(self, net, source: str) -> None:
        if source == "trained":
            return  # the network of the run, which the views follow already
        spec = net.spec if net is not None else None
        self.layers_view.set_context(spec)
        self.feature_maps.set_context(spec)
        self._on_dataset_changed(self.session.dataset)  # the tiles' image, the test images
        if net is None:
            self.clear()
        elif not self.tiles.can_draw() and self.currentWidget() is self.tiles:
            self.setCurrentWidget(self.layers_view)  # unit images need image input

    def _on_snapshot_changed(self, snapshot: dict) -> None:
        for view in (self.tiles, self.layers_view, self.feature_maps):
            view.set_snapshot(snapshot)

    def _on_dataset_changed(self, dataset) -> None:
        spec = self.session.net.spec if self.session.net is not None else None
        self.tiles.set_context(spec, self._image_shape(spec))
        self.feature_maps.set_test_images(self.session.run_dataset or dataset)
