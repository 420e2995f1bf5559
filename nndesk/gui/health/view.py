"""The Health tab: each layer's health while the network trains, a verdict on the latest
figures, and the run's hints with their fixes (fed by the trainer's "health" and "hint"
events, see ``nndesk.engine.checkup``)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QLabel, QPushButton, QSplitter, QStackedWidget,
                               QVBoxLayout, QWidget)

from ..widgets import error_color, html_text, is_dark
from .curves import EXPLODING, HEALTHY, VANISHING, HealthPlots, layer_color, layer_label
from .hints_list import HintList

EMPTY_TEXT = (
    "<p><b>Train to watch each layer's health.</b> Every 50 batches or so nndesk measures, for every "
    "layer with weights:</p><ul style='margin-left:-20px'>"
    "<li><b>gradient norm</b>: a vanishing gradient sinks toward the red band at the bottom, "
    "an exploding one climbs into the red band at the top;</li>"
    "<li><b>weight norm</b>: how large the weights grow;</li>"
    "<li><b>update ÷ weight</b>: how far one step moves the weights; around 1e-3 (the green "
    "band) is healthy, far below barely learns, far above thrashes;</li>"
    "<li><b>dead and saturated units</b>: ReLUs that never fire, sigmoids and tanhs stuck at "
    "their flat ends.</li></ul><p>Not sure about the learning rate? Find one first.</p>")


def verdict(layers: list[dict]) -> tuple[str, list[str]]:
    """The latest health at a glance: "ok", "warn" or "bad", and what is wrong where (worst
    first), such as "gradient vanishing in layers 1, 2"."""
    found: dict[tuple[int, str], list[int]] = {}
    grads = [r["gradient_norm"] for r in layers if math.isfinite(r["gradient_norm"])]
    top = max(grads, default=0.0)
    for r in layers:
        g, ratio, n = r["gradient_norm"], r.get("update_ratio"), r["layer"] + 1
        if not math.isfinite(g) or g > EXPLODING:
            found.setdefault((0, "gradient exploding"), []).append(n)
        elif g < VANISHING or (top > 0 and g < top * 1e-3):
            found.setdefault((0, "gradient vanishing"), []).append(n)
        if ratio is not None and (not math.isfinite(ratio) or ratio > 10 * HEALTHY[1]):
            found.setdefault((0, "updates far too large"), []).append(n)
        elif ratio is not None and ratio < HEALTHY[0] / 10:
            found.setdefault((1, "updates too small to learn"), []).append(n)
        for key, what in (("dead_share", "dead units"), ("saturated_share", "saturated units")):
            if (r.get(key) or 0) >= 0.5:
                found.setdefault((1, what), []).append(n)
    problems = [f"{what} in layer{'s' if len(ns) > 1 else ''} {', '.join(map(str, ns))}"
                for (_, what), ns in sorted(found.items())]
    worst = min((level for level, _ in found), default=None)
    return {None: "ok", 0: "bad", 1: "warn"}[worst], problems


class HealthView(QWidget):
    """``add_health(event)`` and ``add_hint(event)`` take the trainer's events, ``clear()``
    empties the view. ``hintArrived``: a hint not shown before; ``lrFinderRequested``: the
    person asked for the learning-rate finder."""

    hintArrived = Signal(dict)
    lrFinderRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("healthView")
        self.status = QLabel()
        self.status.setObjectName("healthStatus")
        self.status.setWordWrap(True)
        self.finder_button = QPushButton("Find a learning rate…")
        self.finder_button.setObjectName("lrFinderButton")
        self.finder_button.setToolTip("A short test run that raises the learning rate step by "
                                      "step and suggests one for the form's network")
        self.finder_button.setEnabled(False)
        self.finder_button.clicked.connect(self.lrFinderRequested)
        self.legend = QLabel()
        self.legend.setObjectName("healthLegend")
        self.legend.setWordWrap(True)
        self.plots = HealthPlots()
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.empty.setContentsMargins(6, 4, 6, 4)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.plots)
        self.hint_list = HintList()
        self.hint_list.setObjectName("hintList")
        self.hint_list.hintAdded.connect(self.hintArrived)
        self.hint_list.header_row.addWidget(self.finder_button)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.hint_list)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.status)
        layout.addWidget(self.legend)
        layout.addWidget(self.splitter, 1)
        self.last: dict | None = None
        self._sized = False
        self.clear()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._sized:  # two thirds for the plots, the rest for the hints
            self._sized = True
            h = self.splitter.height()
            self.splitter.setSizes([h * 2 // 3, h - h * 2 // 3])

    def set_form(self, form) -> None:
        """The ``SpecForm`` the hints' fixes edit; it also enables the finder's button."""
        self.hint_list.set_form(form)
        self.finder_button.setEnabled(True)

    def clear(self) -> None:
        """Forget the curves and hints (a new run)."""
        self.last = None
        self.plots.clear()
        self.hint_list.clear()
        self.stack.setCurrentWidget(self.empty)
        self.legend.hide()
        self.status.setText("<b>Layer health</b>")

    def add_health(self, event: dict) -> None:
        """A trainer "health" event: its step and one record per layer with weights."""
        layers = event.get("layers") or []
        self.plots.add(int(event.get("step", 0)), layers)
        self.last = event
        self.stack.setCurrentWidget(self.plots)
        self._show_legend()
        self._show_status(event, layers)

    def add_hint(self, event: dict) -> bool:
        """A trainer "hint" event, shown once; False if it was shown already."""
        return self.hint_list.add_hint(event)

    def curve(self, metric: str, layer: int):
        """The plotted curve of ``metric`` ("gradient_norm", "weight_norm", "update_ratio",
        "dead_share" or "saturated_share", the shares in %) for layer ``layer`` (0-based)."""
        return self.plots.curve(metric, layer)

    def legend_titles(self) -> list[str]:
        return list(self.plots.labels.values())

    def _show_legend(self) -> None:
        items = [f"<span style='color:{layer_color(n)}; font-size:13px'>■</span>&nbsp;"
                 f"{html_text(label).replace(' ', '&nbsp;')}"
                 for n, label in enumerate(self.plots.labels.values())]
        self.legend.setText("&nbsp;&nbsp; ".join(items))
        self.legend.setToolTip("One colour per layer with weights, as numbered in the form")
        self.legend.show()

    def _show_status(self, event: dict, layers: list[dict]) -> None:
        level, problems = verdict(layers)
        color = {"ok": "#4caf50" if is_dark(self) else "#2c8a4a",
                 "warn": "#f0a35e" if is_dark(self) else "#c0600f", "bad": error_color(self)}[level]
        step = f"Step {event.get('step', 0):,}"
        if level == "ok":
            text = f"{step}: gradients and updates look healthy"
        else:
            more = f" (+{len(problems) - 2} more)" if len(problems) > 2 else ""
            text = f"{step}: " + "; ".join(problems[:2]) + more
        self.status.setText(f"<span style='color:{color}'><b>●</b></span> {html_text(text)}")
        self.status.setToolTip("\n".join(problems + [""] * bool(problems) + [
            f"{layer_label(r)}: gradient {r['gradient_norm']:.3g}, "
            f"weights {r['weight_norm']:.3g}" for r in layers]))
