"""Looking inside a convolutional network: what each convolution, pooling and batch-norm layer
makes of one image, every channel a small map (as ConvNetJS and CNN Explainer show it).

The image is a test image of the dataset the network learned from, chosen by number, or the
drawing on the pad. The maps come from a network of the view's own that holds the latest
weight snapshot, so a run is never disturbed; they are redrawn at most a few times a second
while training, at once when the input changes, and only while the view is on screen. One
update of LeNet's maps takes a few milliseconds (``last_redraw_ms``).
"""

from __future__ import annotations

import functools
import html
import math
import time

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from nndesk import engine

from .datasets import dataset_title
from .map_strip import MapStrip
from .pad.model import SnapshotNetwork
from .weight_images import LiveView, symmetric_level

IMAGE_KINDS = ("conv2d", "maxpool2d", "avgpool2d", "batchnorm")  # with (C, H, W) outputs
REDRAW_MS = 250
MAX_CHANNELS = 64
PAD_INPUTS = 784
NO_NETWORK = ("Feature maps show what each convolution and pooling layer of a network makes "
              "of one image: one small map per filter, lit where the filter finds its pattern."
              "<br><br>Train a convolutional network, or open one, to see them here.")
NO_SNAPSHOT = ("Press Train: the maps of every convolution and pooling layer appear here as the "
               "network learns.")
DRAW_PROMPT = ("Draw a digit on the <a href='pad'>Draw a digit</a> page (Ctrl+2): its feature "
               "maps appear here.")
LEGEND = ("White is zero, red positive, blue negative; each row has its own scale (±). Hover "
          "over a map for its values.")


@functools.lru_cache(maxsize=1)
def conv_presets() -> tuple[str, ...]:
    """The shipped presets that have convolution layers."""
    try:
        names = [name for name, _ in engine.list_presets()]
        return tuple(n for n in names if any(cfg.get("type") == "conv2d"
                                             for cfg in engine.load_preset(n)["layers"]))
    except (OSError, ValueError):
        return ()


def dense_only_text() -> str:
    presets = conv_presets()
    choose = (" or choose the " + " or ".join(f"<i>{html.escape(p)}</i>" for p in presets[:2])
              + " preset") if presets else ""
    return ("<b>Feature maps are for convolutional layers.</b><br><br>A conv2d layer slides each "
            "of its filters over the image and gives one map per filter: where the filter's "
            "pattern appears. Pooling layers then shrink the maps.<br><br>This network has only "
            "dense layers, which see the image as one long row of numbers: what its first "
            "layer's units look for is in <i>Unit images</i>, its weights in <i>Layers</i>."
            "<br><br>To build a convolutional network, set the input shape to 1 × 28 × 28 and "
            f"put conv2d and maxpool2d layers before a flatten layer{choose}.")


class MapRow(QWidget):
    """One layer's row: its caption (name, shape, colour scale) and its maps."""

    def __init__(self, layer: int, title: str, shape, parent: QWidget | None = None):
        super().__init__(parent)
        self.layer, self.title, self.shape = layer, title, tuple(shape)  # layer -1: the input
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.strip = MapStrip()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.caption)
        layout.addWidget(self.strip)
        self._caption("")

    def _caption(self, extra: str) -> None:
        shape = " × ".join(map(str, self.shape))
        where = "" if self.layer < 0 else f"layer {self.layer + 1}"
        self.caption.setText(f"<b>{html.escape(self.title)}</b> · {shape} "
                             f"<span style='color: gray'>{where}{extra}</span>")

    def draw(self, maps: np.ndarray, width: int) -> None:
        shown = maps[:MAX_CHANNELS]
        level = symmetric_level(shown)
        self.strip.show_maps(shown, level, width)
        more = f" · the first {MAX_CHANNELS} maps" if len(maps) > MAX_CHANNELS else ""
        self._caption(f"{' · ' if self.layer >= 0 else ''}±{level:.3g}{more}")


class FeatureMapsView(LiveView):
    """For one input: the feature maps of every image-shaped layer, a row per layer.

    ``set_context(spec)`` for the network, ``set_snapshot`` for its weights,
    ``set_test_images(dataset)`` for the images to choose from, ``set_drawing(image)`` for
    the pad's; ``rows`` are the MapRows shown. ``padRequested``: the person asked for the pad.
    """

    padRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.prev_button = QToolButton()
        self.prev_button.setArrowType(Qt.ArrowType.LeftArrow)
        self.prev_button.setToolTip("The previous test image")
        self.next_button = QToolButton()
        self.next_button.setArrowType(Qt.ArrowType.RightArrow)
        self.next_button.setToolTip("The next test image")
        self.image_spin = QSpinBox()
        self.image_spin.setObjectName("featureImageSpin")
        self.image_spin.setWrapping(True)
        self.image_spin.setToolTip("Which image of the test set to feed the network")
        self.drawing_button = QPushButton("Use my drawing")
        self.drawing_button.setObjectName("featureDrawingButton")
        self.drawing_button.setCheckable(True)
        self.drawing_button.setToolTip("Feed the network the digit drawn on the pad (choose a "
                                       "test image to go back to those)")
        metrics = self.drawing_button.fontMetrics()
        self.drawing_button.setMinimumWidth(metrics.horizontalAdvance("Using my drawing") + 24)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setContentsMargins(16, 0, 16, 0)
        self.message.linkActivated.connect(lambda _link: self.padRequested.emit())
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(2, 2, 2, 2)
        self.body_layout.setSpacing(12)
        self.body_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.body)
        self.legend = QLabel(LEGEND)
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: gray")
        self._build_layout()

        self.rows: list[MapRow] = []
        self.test_images = None
        self.drawing: np.ndarray | None = None
        self.last_redraw_ms = 0.0
        self._nets = SnapshotNetwork()
        self._net, self._loaded = None, None
        self._start_live(REDRAW_MS)
        self.prev_button.clicked.connect(lambda: self.image_spin.stepBy(-1))
        self.next_button.clicked.connect(lambda: self.image_spin.stepBy(1))
        self.image_spin.valueChanged.connect(self._on_image_chosen)
        self.drawing_button.toggled.connect(self._on_drawing_toggled)
        self.set_context(None)

    def _build_layout(self) -> None:
        self.controls = QWidget()  # the choice of input, shown only when there are maps
        top = QHBoxLayout(self.controls)
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(4)
        top.addWidget(self.prev_button)
        top.addWidget(self.image_spin, 1)
        top.addWidget(self.next_button)
        top.addSpacing(8)
        top.addWidget(self.drawing_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.controls)
        layout.addWidget(self.info)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.legend)

    # --- what to show -----------------------------------------------------------------

    def set_context(self, spec: dict | None) -> None:
        """A new network (None: none): a row for its input and each image-shaped layer."""
        self.spec, self.snapshot, self._loaded = spec, None, None
        for row in self.rows:
            self.body_layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        self.rows = []
        try:
            described = engine.describe(spec)["layers"] if spec else []
        except (engine.SpecError, ValueError):
            described = []
        counts: dict[str, int] = {}
        for i, (cfg, row) in enumerate(zip(spec["layers"] if spec else [], described)):
            if cfg["type"] in IMAGE_KINDS and len(row["output_shape"]) == 3:
                counts[cfg["type"]] = counts.get(cfg["type"], 0) + 1
                self.rows.append(MapRow(i, f"{cfg['type']} {counts[cfg['type']]}",
                                        row["output_shape"]))
        if self.rows and len(spec["input_shape"]) == 3:
            self.rows.insert(0, MapRow(-1, "input", spec["input_shape"]))
        for i, row in enumerate(self.rows):
            self.body_layout.insertWidget(i, row)
        drawable = bool(spec) and math.prod(spec["input_shape"]) == PAD_INPUTS
        self.drawing_button.setEnabled(drawable)
        if not drawable:
            self.use_drawing(False)
        self.refresh()

    def set_test_images(self, dataset) -> None:
        """The dataset whose test images can be chosen (None: none)."""
        self.test_images = dataset if dataset is not None and len(dataset.x_test) else None
        n = len(self.test_images.x_test) if self.test_images is not None else 0
        self.image_spin.blockSignals(True)
        self.image_spin.setRange(0, max(n - 1, 0))
        self.image_spin.setPrefix("Test digit #" if getattr(dataset, "name", "") == "mnist"
                                  else "Test image #")
        self.image_spin.blockSignals(False)
        for w in (self.image_spin, self.prev_button, self.next_button):
            w.setEnabled(n > 0)
        self.refresh()

    def set_drawing(self, image: np.ndarray | None) -> None:
        """The pad's drawing as the network sees it (28×28), or None when the pad is empty."""
        self.drawing = None if image is None else np.asarray(image, np.float32).reshape(1, -1)
        if self.drawing_button.isChecked():
            self.refresh()

    def use_drawing(self, on: bool = True) -> None:
        self.drawing_button.setChecked(on)

    def choose_image(self, index: int) -> None:
        """Feed test image ``index`` (and stop using the drawing)."""
        self.image_spin.setValue(index)
        self.use_drawing(False)

    def refresh(self) -> None:
        """Redraw now if on screen (else when shown), from the latest snapshot."""
        self._dirty = True
        self._redraw(force=True)

    def _on_drawing_toggled(self, on: bool) -> None:
        self.drawing_button.setText("Using my drawing" if on else "Use my drawing")
        self.refresh()

    def _on_image_chosen(self, _index: int) -> None:
        if self.drawing_button.isChecked():
            self.use_drawing(False)  # refreshes
        else:
            self.refresh()

    # --- drawing ----------------------------------------------------------------------

    def _problem(self) -> str | None:
        """Why no maps can be drawn now (rich text), or None."""
        if not self.spec:
            return NO_NETWORK
        if not self.rows:
            return dense_only_text()
        if self.snapshot is None:
            return NO_SNAPSHOT
        if self.drawing_button.isChecked():
            return DRAW_PROMPT if self.drawing is None else None
        size = math.prod(self.spec["input_shape"])
        ds = self.test_images
        if ds is None:
            return ("There are no test images to feed the network: load a dataset, or use your "
                    "drawing.")
        if ds.x_test.shape[1] != size:
            return (f"The test images of {html.escape(dataset_title(ds.name))} have "
                    f"{ds.x_test.shape[1]} values and this network takes {size}.")
        return None

    def _show_problem(self, problem: str | None) -> None:
        if problem is not None:
            self.message.setText(problem)
        for w in (self.scroll, self.info, self.legend):
            w.setVisible(problem is None)
        self.controls.setVisible(bool(self.rows))
        self.message.setVisible(problem is not None)

    def _input(self) -> tuple[np.ndarray, str, int | None]:
        """The image to feed (1, features), what it is, and its label (None: unknown)."""
        if self.drawing_button.isChecked():
            return self.drawing, "Your drawing", None
        i = self.image_spin.value()
        return self.test_images.x_test[i:i + 1], f"{self.image_spin.prefix()}{i}", \
            int(self.test_images.y_test[i])

    def _network(self):
        if self._loaded is not self.snapshot:
            self._net = self._nets.with_weights(self.spec, self.snapshot["weights"])
            self._loaded = self.snapshot
        return self._net

    def _redraw(self, force: bool = False) -> None:
        if not (self._dirty or force):
            return
        problem = self._problem()
        self._show_problem(problem)  # cheap, so also while hidden
        if problem is not None or not self.isVisible():
            self._dirty = problem is None
            return
        self._dirty = False
        start = time.perf_counter()
        x, what, label = self._input()
        try:
            net = self._network()
            outputs = net.layer_outputs(x)
            probabilities = outputs[-1][0] if self.spec["layers"][-1].get("activation") \
                == "softmax" else net.predict_proba(x)[0]  # one forward pass when it can
        except (ValueError, FloatingPointError) as exc:
            self._show_problem(f"The network could not take this image: {html.escape(str(exc))}")
            return
        width = self.scroll.viewport().width() - 4
        for row in self.rows:
            row.draw(x.reshape(row.shape) if row.layer < 0 else outputs[row.layer][0], width)
        self.info.setText(self._verdict(what, label, probabilities))
        self.last_redraw_ms = 1000 * (time.perf_counter() - start)
        self.redraw_count += 1

    def _verdict(self, what: str, label: int | None, probabilities: np.ndarray) -> str:
        names = list(getattr(self.test_images, "class_names", []) or [])
        if len(names) != len(probabilities):
            names = [str(i) for i in range(len(probabilities))]
        top = int(np.argmax(probabilities))
        labelled = f", labelled {html.escape(names[label])}" if label is not None else ""
        says = (f"the network says <b>{html.escape(names[top])}</b>, "
                f"{100 * float(probabilities[top]):.0f}% sure"
                if np.isfinite(probabilities).all() else "its outputs are not finite numbers")
        return f"{html.escape(what)}{labelled} · {says}"

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._dirty = self.snapshot is not None  # the maps' tiles follow the width
