"""The tabs that look inside the network (unit images, layers, feature maps), fed by the
session: its network's spec, its weight snapshots and its test images; and the pad's drawing.
The Health tab follows the training controller's health and hint events (``connect_training``)
and applies hints' fixes to the form (``set_form``)."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget

from .feature_maps import FeatureMapsView
from .health import HealthView, open_lr_finder
from .layer_weights import LayerWeightsView
from .weights_view import UnitTilesView

HEALTH_TIP = "Each layer's gradients, weights and updates while training, and hints with fixes"


class InspectTabs(QTabWidget):
    """``tiles``, ``layers_view``, ``feature_maps`` and ``health``, following the session and
    the pad. ``padRequested``: a view asked for the drawing pad; ``hintArrived``: the Health
    tab shows a new hint (its event). Call ``connect_training(controller)`` and
    ``set_form(form)`` once."""

    padRequested = Signal()
    hintArrived = Signal(dict)

    def __init__(self, session, pad, parent=None):
        super().__init__(parent)
        self.session, self.pad = session, pad
        self.setObjectName("inspectTabs")
        self.setDocumentMode(True)
        self.tiles = UnitTilesView()
        self.layers_view = LayerWeightsView()
        self.feature_maps = FeatureMapsView()
        self.health = HealthView()
        self.form = None
        self._unread = 0
        for view, title, tip in (
                (self.tiles, "Unit images",
                 "What each unit or filter of the first layer looks for"),
                (self.layers_view, "Layers", "Weight heatmap and histograms for any layer"),
                (self.feature_maps, "Feature maps",
                 "What each convolution and pooling layer makes of one image"),
                (self.health, "Health", HEALTH_TIP)):
            self.setTabToolTip(self.addTab(view, title), tip)
        self.setMinimumWidth(260)
        session.networkChanged.connect(self._on_network_changed)
        session.snapshotChanged.connect(self._on_snapshot_changed)
        session.datasetChanged.connect(self._on_dataset_changed)
        pad.predictionUpdated.connect(lambda _p: self.feature_maps.set_drawing(pad.network_input()))
        self.feature_maps.padRequested.connect(self.padRequested)
        self.health.hintArrived.connect(self._on_hint)
        self.health.lrFinderRequested.connect(self.open_lr_finder)
        self.currentChanged.connect(lambda _i: self._mark_read())
        self.clear()

    def connect_training(self, controller) -> None:
        """Follow ``controller``'s runs (a ``TrainingController``): each new run empties the
        Health tab, whose curves and hints then stay until the next one."""
        controller.trainingStarted.connect(self._on_run_started)
        controller.healthReady.connect(self.health.add_health)
        controller.hintGiven.connect(self.health.add_hint)

    def set_form(self, form) -> None:
        """The ``SpecForm`` that hints' fixes and the learning-rate finder edit."""
        self.form = form
        self.health.set_form(form)

    def open_lr_finder(self):
        """The learning-rate finder for the form's network (see ``set_form``)."""
        if self.form is not None:
            return open_lr_finder(self.window(), self.form, self.session)
        return None

    def _on_run_started(self, _event: dict) -> None:
        self.health.clear()
        self._unread = 0
        self._show_badge()

    def _on_hint(self, hint: dict) -> None:
        if not (self.currentWidget() is self.health and self.isVisible()):
            self._unread += 1
            self._show_badge()
        self.hintArrived.emit(hint)

    def _mark_read(self) -> None:
        if self._unread and self.currentWidget() is self.health and self.isVisible():
            self._unread = 0
            self._show_badge()

    def _show_badge(self) -> None:
        """"Health (2)" while two hints are unread."""
        index = self.indexOf(self.health)
        self.setTabText(index, f"Health ({self._unread})" if self._unread else "Health")
        self.setTabToolTip(index, (f"{self._unread} new hint(s). " if self._unread else "")
                           + HEALTH_TIP)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._mark_read()

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
