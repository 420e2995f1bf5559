"""Pictures of one input's journey through a network, for ``nndesk explain``: every layer's
activations in one PNG, and the class evidence over the input in another.

Drawn with QPainter on a QImage; the command line has no window, so a QGuiApplication on
Qt's offscreen platform supplies the fonts.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter

from nndesk.engine.inspection import Evidence, Response

from .map_strip import LUT, fit, render

WIDTH = 960
MARGIN = 16
TEXT = QColor("#202020")
MUTED = QColor("#606060")
FRAME = QColor("#b0b0b0")
BACKGROUND = QColor("#ffffff")
IMAGE_KINDS = ("conv2d", "maxpool2d", "avgpool2d", "batchnorm")


def ensure_app() -> None:
    """A QGuiApplication on the offscreen platform when none is running (fonts need one)."""
    if QGuiApplication.instance() is None:
        ensure_app.app = QGuiApplication(["nndesk", "-platform", "offscreen"])


def level(values: np.ndarray) -> float:
    m = float(np.abs(values[np.isfinite(values)]).max(initial=0.0))
    return m if m > 0 else 1.0


def diverging(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """RGB uint8 of ``values`` on the weight views' map: white 0, red +, blue -."""
    scale = level(values) if scale is None else scale
    index = np.clip((np.nan_to_num(values) * (127.5 / scale) + 128.0).astype(np.int32), 0, 255)
    return LUT[index]


def overlay(image: np.ndarray, values: np.ndarray) -> np.ndarray:
    """RGB uint8: the grey digit (ink dark on white) under ``values`` in red (+) and blue (-),
    their opacity growing with |value| (scaled to the largest)."""
    grey = (255 - 100 * np.clip(image, 0, 1))[..., None].repeat(3, axis=2)
    strength = np.clip(np.abs(values) / level(values), 0, 1)[..., None]
    colour = np.where(values[..., None] >= 0, np.array([214, 39, 40]), np.array([31, 90, 200]))
    return (grey * (1 - strength) + colour * strength).astype(np.uint8)


def scaled(rgb: np.ndarray, factor: int) -> np.ndarray:
    return rgb.repeat(factor, axis=0).repeat(factor, axis=1)


def to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def unit_grid(values: np.ndarray, width: int) -> np.ndarray:
    """Units of a dense layer as a grid of framed squares coloured by their value."""
    n = values.size
    cell = max(6, min(28, int(math.sqrt(width * 90 / n))))
    cols = max(1, min(n, (width + 1) // (cell + 1)))
    rows = math.ceil(n / cols)
    picture = np.full((rows * (cell + 1) + 1, cols * (cell + 1) + 1, 3), 176, np.uint8)
    colours = diverging(values)
    for k in range(n):
        y, x = 1 + (k // cols) * (cell + 1), 1 + (k % cols) * (cell + 1)
        picture[y:y + cell, x:x + cell] = colours[k]
    return picture


class Sheet:
    """A tall white image written from top to bottom: lines of text and pictures."""

    def __init__(self):
        self.items: list[tuple[str, object, int]] = []
        self.height = MARGIN

    def text(self, line: str, bold: bool = False, muted: bool = False) -> None:
        self.items.append(("text", (line, bold, muted), self.height))
        self.height += 20

    def picture(self, rgb: np.ndarray) -> None:
        self.items.append(("picture", rgb, self.height))
        self.height += rgb.shape[0] + 10

    def bars(self, names: list[str], probabilities: np.ndarray) -> None:
        self.items.append(("bars", (names, probabilities), self.height))
        self.height += 22 * len(names) + 6

    def save(self, path, width: int = WIDTH) -> None:
        image = QImage(width, self.height + MARGIN, QImage.Format.Format_RGB888)
        image.fill(BACKGROUND)
        painter = QPainter(image)
        font = QFont()
        font.setPixelSize(13)
        for kind, item, y in self.items:
            if kind == "text":
                line, bold, muted = item
                font.setBold(bold)
                painter.setFont(font)
                painter.setPen(MUTED if muted else TEXT)
                painter.drawText(QRect(MARGIN, y, width - 2 * MARGIN, 20),
                                 Qt.AlignmentFlag.AlignVCenter, line)
            elif kind == "picture":
                painter.drawImage(MARGIN, y, to_qimage(item))
            else:
                self._draw_bars(painter, font, *item, y, width)
        painter.end()
        if not image.save(str(path), "PNG"):
            raise OSError(f"{path}: cannot write the image")

    @staticmethod
    def _draw_bars(painter, font, names, probabilities, y, width) -> None:
        font.setBold(False)
        painter.setFont(font)
        best = int(np.argmax(probabilities))
        full = width - 2 * MARGIN - 150
        for i, (name, p) in enumerate(zip(names, probabilities)):
            top = y + 22 * i
            painter.setPen(TEXT)
            painter.drawText(QRect(MARGIN, top, 60, 20), Qt.AlignmentFlag.AlignVCenter, name)
            painter.fillRect(MARGIN + 64, top + 3, max(1, int(full * p)), 14,
                             QColor("#d62728") if i == best else QColor("#7f9fc8"))
            painter.drawText(QRect(MARGIN + 70 + full, top, 80, 20),
                             Qt.AlignmentFlag.AlignVCenter, f"{p:.1%}")


def layers_png(path, caption: str, image: np.ndarray, responses: list[Response],
               names: list[str], probabilities: np.ndarray) -> None:
    """Every layer's output for one input, top to bottom, as ``path``."""
    ensure_app()
    sheet = Sheet()
    sheet.text(caption, bold=True)
    sheet.text("input 28 x 28", muted=True)
    sheet.picture(scaled(overlay(image, np.zeros_like(image)), 4))
    inner = WIDTH - 2 * MARGIN
    for r in responses:
        stats = r.summary()
        sheet.text(f"{r.index + 1}. {r.title}:  mean {stats['mean']:.3g}, max {stats['max']:.3g}, "
                   f"{stats['active_fraction']:.0%} above zero", bold=True)
        if r is responses[-1]:
            sheet.bars(names, probabilities)
        elif r.kind in IMAGE_KINDS and r.output.ndim == 3:
            cols, tile = fit(len(r.output), inner)
            sheet.picture(render(r.output, level(r.output), cols, tile, FRAME, BACKGROUND))
        elif r.kind not in ("flatten", "dropout"):
            sheet.picture(unit_grid(r.output.ravel(), inner))
        else:
            sheet.text("(the previous layer's values, passed on unchanged in inference)",
                       muted=True)
    sheet.text("white is zero, red positive, blue negative; each layer has its own scale",
               muted=True)
    sheet.save(path)


def evidence_png(path, caption: str, image: np.ndarray, evidence: Evidence,
                 class_name: str) -> None:
    """The input beside the evidence for one class: saliency and gradient x input."""
    ensure_app()
    sheet = Sheet()
    sheet.text(caption, bold=True)
    sheet.text(f"evidence for {class_name!r}:  the input  |  saliency (d score / d pixel)  |  "
               f"gradient x input", muted=True)
    shape = image.shape
    panels = [overlay(image, np.zeros(shape)), overlay(image, evidence.gradient.reshape(shape)),
              overlay(image, evidence.gradient_x_input.reshape(shape))]
    gap = np.full((28 * 8, 12, 3), 255, np.uint8)
    sheet.picture(np.hstack([scaled(panels[0], 8), gap, scaled(panels[1], 8), gap,
                             scaled(panels[2], 8)]))
    sheet.text("red: pixels that argue for the class; blue: against", muted=True)
    sheet.save(path, width=max(WIDTH, 3 * 224 + 24 + 2 * MARGIN))
