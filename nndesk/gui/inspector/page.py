"""The Inspector page ("Look inside"): every layer's response to one input, the details of
a unit or feature map, and where the evidence for a class is in the input.

The page keeps a network of its own holding the latest weight snapshot (so a run is never
disturbed) and redraws at most four times a second while a run trains, at once when the
input changes, and only while it is on screen. The maths is ``nndesk.engine.inspection``'s.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QWidget

from nndesk.engine import inspection

from ..pad.model import SnapshotNetwork
from ..pad.views import warning_color
from ..weight_images import LiveView
from . import source, texts
from .dead import GAP_MS, SAMPLES, DeadUnitWatcher
from .page_ui import build
from .rows import CellsRow, InputRow, OutputRow, make_row

REDRAW_MS = 250  # while a run trains: at most four redraws a second


class InspectorPage(LiveView):
    """Look inside the session's network for one input.

    ``show_test_digit(i)``, ``show_drawing()``, ``show_my_digit(i)``, ``show_input(x,
    caption)`` choose the input; ``set_target(k)`` / ``set_evidence_mode(m)`` the evidence;
    ``select_unit(layer, unit)`` the details. ``rows`` are the rows shown (the input first,
    then one per layer); ``prediction()``, ``evidence()``, ``overlay()``, ``dead_units()``
    and ``message()`` say what is shown. Signals: ``padRequested`` (the person asked for
    the drawing pad) and ``updated`` (after each redraw, ``last_update_ms`` long).
    """

    padRequested = Signal()
    updated = Signal()

    def __init__(self, session, pad, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("inspectorPage")
        self.session, self.pad = session, pad
        self.rows: list = []
        self.responses: list = []
        self.last_update_ms = 0.0
        self._nets = SnapshotNetwork()
        self._net, self._loaded = None, None
        self._metadata: dict = {}
        self._rows_key = None
        self._given: tuple[np.ndarray, str] | None = None
        self._wanted_test: int | None = None
        self._selection: tuple[int, int] | None = None
        self._shown: dict | None = None  # what the last redraw showed
        self._generation = 0  # counts networks, to drop dead units found for an older one
        self._dead, self._dead_asked = None, None
        build(self)
        self._start_live(REDRAW_MS)
        self.watcher = DeadUnitWatcher(self)
        self.watcher.found.connect(self._on_dead_found)
        QCoreApplication.instance().aboutToQuit.connect(self.shutdown)

        self.chooser.changed.connect(self.refresh)
        self.chooser.padRequested.connect(self.padRequested)
        self.evidence_panel.changed.connect(self.refresh)
        self.message_label.linkActivated.connect(self._on_link)
        session.networkChanged.connect(self._on_network_changed)
        session.snapshotChanged.connect(self._on_snapshot)
        session.datasetChanged.connect(self._on_dataset_changed)
        pad.predictionUpdated.connect(lambda _p: self._on_input_moved("drawing"))
        pad.collectionChanged.connect(self._on_collection_changed)
        self._on_collection_changed()
        self._on_dataset_changed(session.dataset)
        self._on_network_changed(session.net, session.source)

    # --- public API --------------------------------------------------------------------

    def show_test_digit(self, index: int) -> None:
        """Look at test image ``index`` of the session's dataset (once it is loaded)."""
        self._wanted_test = int(index)
        self._apply_wanted_test()
        self.chooser.set_source("test")

    def show_drawing(self) -> None:
        """Look at the pad's drawing, following every stroke."""
        self.chooser.set_source("drawing")

    def show_my_digit(self, index: int) -> None:
        """Look at digit ``index`` of the person's own digits."""
        self.chooser.mine_picker.spin.setValue(int(index))
        self.chooser.set_source("mine")

    def show_input(self, x, caption: str) -> None:
        """Look at any input ``x`` (flat or shaped like the network's input)."""
        self._given = (np.asarray(x, np.float32).ravel(), str(caption))
        self.chooser.set_given(str(caption))
        self.chooser.set_source("given")

    def set_target(self, k: int | None) -> None:
        """The class whose evidence is shown (None: the predicted one)."""
        self.evidence_panel.set_target(k)

    def set_evidence_mode(self, mode: str) -> None:
        """One of "gradient", "gradient_x_input", "ink_helps"."""
        self.evidence_panel.set_mode(mode)

    def select_unit(self, layer: int, unit: int) -> None:
        """Show the details of ``unit`` (a unit or a map) of layer ``layer``."""
        self._selection = (int(layer), int(unit))
        self.refresh()

    def selection(self) -> tuple[int, int] | None:
        return self._selection

    def prediction(self) -> tuple[int, str, float] | None:
        """(class, its name, its probability) for the input shown, None when none is."""
        return None if self._shown is None else self._shown["prediction"]

    def evidence(self):
        """The engine's ``Evidence`` drawn, or None."""
        return None if self._shown is None else self._shown["evidence"]

    def overlay(self) -> np.ndarray | None:
        """The evidence picture drawn (RGB), or None."""
        return self.evidence_panel.overlay_picture if self._shown is not None else None

    def dead_units(self) -> list | None:
        """Per layer, the mask of dead units (None for layers without a ReLU), once found."""
        return self._dead

    def message(self) -> str:
        """The message shown instead of the layers, or "" when they are shown."""
        return self.message_label.text() if self.stack.currentIndex() == 0 else ""

    def refresh(self) -> None:
        """Redraw now when on screen (else when shown)."""
        self._dirty = True
        self._redraw(force=True)

    def shutdown(self) -> None:
        """Wait for the background search for dead units to end (before the window closes)."""
        self.watcher.wait()

    # --- following the session and the pad ---------------------------------------------

    def _on_network_changed(self, net, source: str) -> None:
        if net is None or net.spec != self.spec:  # the same one, trained: keep the rest
            self._generation += 1
            self._dead = self._dead_asked = None
            self._selection = None
        if net is None:
            self.spec, self.snapshot, self._metadata = None, None, {}
        else:
            self.spec, self._metadata = net.spec, dict(net.metadata or {})
            # A network being trained is read only from the run's snapshots.
            self.snapshot = (self.session.snapshot if source == "training" else
                             {"weights": net.get_weights()})
        self.refresh()

    def _on_snapshot(self, snapshot: dict) -> None:
        if self.spec is not None:
            self.set_snapshot(snapshot)  # drawn by the timer, only while visible

    def _on_dataset_changed(self, _dataset) -> None:
        ds = self._dataset()
        n = 0 if ds is None else len(ds.x_test)
        self.chooser.test_picker.set_count(n, f"of {n:,}" if n else "no dataset yet")
        self._apply_wanted_test()
        self.refresh()

    def _apply_wanted_test(self) -> None:
        spin = self.chooser.test_picker.spin
        if self._wanted_test is not None and self._wanted_test <= spin.maximum():
            spin.blockSignals(True)
            spin.setValue(self._wanted_test)
            spin.blockSignals(False)
            self._wanted_test = None

    def _on_collection_changed(self) -> None:
        n = len(self.pad.digits)
        self.chooser.mine_picker.set_count(n, f"of {n}" if n else "none yet")
        self._on_input_moved("mine")

    def _on_input_moved(self, source: str) -> None:
        if self.chooser.source() == source:
            self.refresh()

    def _on_link(self, link: str) -> None:
        if link == "pad":
            self.padRequested.emit()
        elif link == "test":
            self.chooser.set_source("test")

    def _on_dead_found(self, generation: int, masks) -> None:
        if generation == self._generation:
            self._dead = masks
            self.refresh()

    def _on_unit_clicked(self, layer: int, unit: int) -> None:
        if isinstance(self.rows[-1], OutputRow) and layer == self.rows[-1].index:
            self.evidence_panel.set_target(unit)  # refreshes
        self.select_unit(layer, unit)

    # --- what to show ------------------------------------------------------------------

    def _dataset(self):
        return self.session.run_dataset or self.session.dataset

    def _network(self):
        """The page's network, holding the latest snapshot's weights."""
        weights = self.snapshot["weights"]
        if self._loaded is not weights:
            self._net = self._nets.with_weights(self.spec, weights, self._metadata)
            self._loaded = weights
        return self._net

    # --- drawing -----------------------------------------------------------------------

    def _redraw(self, force: bool = False) -> None:
        if not (self._dirty or force) or not self.isVisible():
            return
        self._dirty = False
        start = time.perf_counter()
        problem = source.problem(self.spec, self.snapshot, self.chooser.source(), self.pad,
                                 self._given, self._dataset())
        if problem is None:
            net = self._network()
            x, what, label = source.current_input(self.chooser, self.pad, self._given,
                                                  self._dataset())
            try:
                self._draw(net, x, what, label)
            except (ValueError, FloatingPointError) as exc:
                problem = texts.failed(exc)
        if problem is not None:
            self._shown = None
            self.message_label.setText(problem)
            self.stack.setCurrentIndex(0)
            self.verdict.hide()
        self.chooser.setVisible(self.spec is not None)
        self.last_update_ms = 1000 * (time.perf_counter() - start)
        self.redraw_count += 1
        self.updated.emit()

    def _draw(self, net, x: np.ndarray, what: str, label: int | None) -> None:
        responses = inspection.trace(net, x)
        probabilities = (responses[-1].output if self.spec["layers"][-1].get("activation")
                         == "softmax" else net.predict_proba(x[None])[0])
        if not np.isfinite(probabilities).all():
            raise FloatingPointError("the network's outputs are not finite numbers (its "
                                     "training diverged)")
        image_shape = source.image_shape(net, self._dataset())
        self._make_rows(net, image_shape)
        self._find_dead(net)
        names = source.class_names(net, self._dataset(), len(probabilities))
        top = int(np.argmax(probabilities))
        width = self.scroll.viewport().width() - 12
        selected = self._selection
        if selected is not None and selected[0] >= len(responses):
            selected = self._selection = None
        dead_of = min(SAMPLES, len(self._dataset().x_test)) if self._dead else 0
        for row in self.rows:
            mine = selected[1] if selected is not None and selected[0] == row.index else None
            if isinstance(row, InputRow):
                row.show_input(x, what, width)
            elif isinstance(row, OutputRow):
                row.show_probabilities(probabilities, names,
                                       responses[row.index].pre_activation)
            elif isinstance(row, CellsRow):
                r = responses[row.index]
                dead = self._dead[row.index] if self._dead else None
                row.show_response(r.output, r.pre_activation, dead, dead_of, mine, width)
        self.verdict.setText(texts.verdict(what, None if label is None else names[label],
                                           names[top], float(probabilities[top]),
                                           warning_color(self)))
        self.verdict.show()
        evidence = self._draw_evidence(net, x, image_shape, names, probabilities, top)
        self.details.show_selection(net, responses, x, selected, image_shape, self._dead)
        self.responses = responses
        self._shown = {"prediction": (top, names[top], float(probabilities[top])),
                       "evidence": evidence}
        self.stack.setCurrentIndex(1)

    def _draw_evidence(self, net, x, image_shape, names, probabilities, top):
        panel = self.evidence_panel
        panel.set_class_names(names)
        if image_shape is None:
            panel.show_unavailable(texts.NOT_AN_IMAGE)
            return None
        target = panel.target()
        try:
            evidence = inspection.evidence(net, x, top if target is None else target)
        except ValueError as exc:
            panel.show_unavailable(str(exc))
            return None
        panel.show_evidence(x.reshape(image_shape), evidence, probabilities, top)
        return evidence

    def _make_rows(self, net, image_shape) -> None:
        """A row for the input and one per layer, made again when the network changes."""
        key = (self._generation, image_shape)
        if key == self._rows_key:
            return
        self._rows_key = key
        for row in self.rows:
            self.body_layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        last = len(net.layers) - 1
        self.rows = [InputRow(net.input_shape, image_shape)] + [
            make_row(i, layer, inspection.title(layer), i == last)
            for i, layer in enumerate(net.layers)]
        for i, row in enumerate(self.rows):
            row.unitClicked.connect(self._on_unit_clicked)
            self.body_layout.insertWidget(i, row)

    def _find_dead(self, net) -> None:
        """Ask for the dead units of these weights, once (on the first test inputs)."""
        weights, ds = self.snapshot["weights"], self._dataset()
        if self._dead_asked is weights or ds is None or ds.x_test.shape[1] != net.input_size:
            return
        self._dead_asked = weights
        self.watcher.gap_ms = GAP_MS if self.session.running else 0
        self.watcher.request(self._generation, self.spec, weights, ds.x_test)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._dirty = True

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._dirty = True  # the grids follow the width

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
