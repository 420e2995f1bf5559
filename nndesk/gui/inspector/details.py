"""The details of the clicked unit or feature map: its value, and its incoming weights (a
dense unit's as an image when they come from the input image) or its kernels."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..weight_images import symmetric_level
from .cells import MapGrid, UnitGrid
from .pictures import diverging, enlarge, to_pixmap

LARGE = 196  # pixels for an enlarged map or a unit's weights as an image
HINT = ("Click a unit or a feature map on the left to see its value and its incoming weights "
        "or kernels here; click a class's bar to see its evidence.")
PASSING = ("flatten", "dropout")


def _label(rich: bool = True) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    return label


def _source(net, i: int) -> int:
    """The layer whose output feeds layer ``i`` once flatten and dropout are skipped (-1: the
    input)."""
    src = i - 1
    while src >= 0 and net.layers[src].kind in PASSING:
        src -= 1
    return src


class DetailsPanel(QWidget):
    """``show_selection(net, responses, x, selection, image_shape, dead)``; ``title`` and
    ``text`` say what is shown, ``picture`` is the enlarged map, ``weights_units`` /
    ``weights_maps`` / ``weights_image`` the incoming weights or kernels."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = _label()
        self.text = _label()
        self.picture = QLabel()
        self.weights_caption = _label()
        self.weights_image = QLabel()
        self.weights_units = UnitGrid()
        self.weights_maps = MapGrid()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for w in (self.title, self.text, self.picture, self.weights_caption, self.weights_image,
                  self.weights_units, self.weights_maps):
            if isinstance(w, QLabel) and w.wordWrap():
                layout.addWidget(w)
            else:
                layout.addWidget(w, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.show_selection(None, [], None, None, None, None)

    def _reset(self) -> None:
        for w in (self.picture, self.weights_caption, self.weights_image, self.weights_units,
                  self.weights_maps):
            w.hide()

    def show_selection(self, net, responses, x, selection, image_shape, dead) -> None:
        """Show ``selection`` (layer, unit), or the hint when it is None."""
        self._reset()
        if net is None or selection is None or selection[0] >= len(responses):
            self.title.setText("<b>Details</b>")
            self.text.setText(f"<span style='color: gray'>{HINT}</span>")
            return
        i, k = selection
        r = responses[i]
        dead_note = ""
        if dead is not None and dead[i] is not None and k < len(dead[i]) and dead[i][k]:
            dead_note = ("<br><b>Dead</b>: it never responds to any of the first test "
                         "inputs; it passes nothing on and learns nothing.")
        if r.output.ndim == 3:
            self._show_map(net, r, k, dead_note)
        else:
            self._show_unit(net, responses, x, r, k, image_shape, dead_note)

    def _width(self) -> int:
        return max(160, self.width() - 8)

    def _show_unit(self, net, responses, x, r, k, image_shape, dead_note) -> None:
        layer = net.layers[r.index]
        a = float(r.output[k])
        z = "" if r.pre_activation is None else f", z = {float(r.pre_activation[k]):.4g}"
        rank = int(np.sum(r.output > a)) + 1
        self.title.setText(f"<b>Layer {r.index + 1} ({html.escape(r.title)}), unit {k}</b>")
        text = f"a = {a:.4g}{z} · rank {rank} of {len(r.output)} in its layer{dead_note}"
        if layer.kind != "dense":
            self.text.setText(text)
            return
        w = layer.W[:, k]
        src = _source(net, r.index)
        before = (x if src < 0 else responses[src].output).ravel()
        contributions = before * w
        strongest = np.argsort(np.abs(contributions))[::-1][:3]
        shape = net.input_shape if src < 0 else net.layers[src].output_shape
        if src < 0 and image_shape:
            where = [f"pixel ({j // image_shape[1]}, {j % image_shape[1]})" for j in strongest]
        else:
            where = [f"{'value' if src < 0 else 'unit'} {j}" for j in strongest]
        parts = ", ".join(f"{name} {contributions[j]:+.3g}" for name, j in zip(where, strongest))
        self.text.setText(f"{text}<br>z = Σ w·a + b with b = {float(layer.b[k]):.3g}; the "
                          f"largest terms w·a: {html.escape(parts)}")
        level = symmetric_level(w)
        came = "the input image" if src < 0 else f"layer {src + 1}"
        self.weights_caption.setText(f"<b>Incoming weights</b> from {came} · ±{level:.3g} · "
                                     "red excites the unit, blue inhibits it")
        self.weights_caption.show()
        if src < 0 and image_shape:
            scale = max(1, LARGE // max(image_shape))
            self._image(self.weights_image, enlarge(diverging(w.reshape(image_shape), level),
                                                    scale))
        elif len(shape) == 3:
            self.weights_maps.show_maps(w.reshape(shape), [], None, None, self._width())
            self.weights_maps.tooltip = lambda c: f"the weights from map {c}"
            self.weights_maps.show()
        else:
            self.weights_units.show_units(w, [], None, None, self._width())
            self.weights_units.tooltip = lambda j: f"from unit {j}: w = {float(w[j]):.3g}"
            self.weights_units.show()

    def _show_map(self, net, r, k, dead_note) -> None:
        layer = net.layers[r.index]
        m = r.output[k]
        self.title.setText(f"<b>Layer {r.index + 1} ({html.escape(r.title)}), map {k}</b>")
        self.text.setText(f"{m.shape[0]} × {m.shape[1]} values from {float(m.min()):.3g} to "
                          f"{float(m.max()):.3g}, mean {float(m.mean()):.3g}; above zero at "
                          f"{100 * float(np.mean(m > 0)):.0f}% of its places{dead_note}")
        scale = max(1, LARGE // max(m.shape))
        self._image(self.picture, enlarge(diverging(m, symmetric_level(r.output)), scale))
        if layer.kind == "conv2d":
            kernels = layer.W[k]
            level = symmetric_level(kernels)
            self.weights_caption.setText(
                f"<b>Its kernel</b>: {kernels.shape[0]} input channel"
                f"{'s' * (kernels.shape[0] != 1)} × {kernels.shape[1]} × {kernels.shape[2]}, "
                f"bias {float(layer.b[k]):.3g} · ±{level:.3g} · red weights excite, blue "
                "inhibit")
            self.weights_maps.show_maps(kernels, [], None, None, self._width())
            self.weights_maps.tooltip = lambda c: f"the kernel on input channel {c}"
            self.weights_maps.show()
        elif layer.kind in ("maxpool2d", "avgpool2d"):
            how = "largest" if layer.kind == "maxpool2d" else "average"
            self.weights_caption.setText(f"No weights: each value is the {how} of a "
                                         f"{layer.k} × {layer.k} window of map {k} of the layer "
                                         "before.")
        elif layer.kind == "batchnorm":
            self.weights_caption.setText(
                f"Scaled by γ = {float(layer.gamma[k]):.3g} and shifted by β = "
                f"{float(layer.beta[k]):.3g} after taking the running mean "
                f"{float(layer.running_mean[k]):.3g} (variance "
                f"{float(layer.running_var[k]):.3g}).")
        self.weights_caption.show()

    @staticmethod
    def _image(label: QLabel, picture: np.ndarray) -> None:
        label.setPixmap(to_pixmap(picture))
        label.setFixedSize(picture.shape[1], picture.shape[0])
        label.show()
