"""Drawing on the pad the way a person does, and the strokes of a few digits."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPoint, Qt

# Strokes (lists of canvas points) a person would draw for some digits on the 280x280 pad.
ONE = [[(142, 40 + 10 * i) for i in range(21)]]
ZERO = [[(int(round(140 + 62 * math.sin(t))), int(round(140 - 92 * math.cos(t))))
         for t in np.linspace(0, 2 * math.pi, 60)]]
SEVEN = [[(70 + 10 * i, 55) for i in range(15)]
         + [(210 - 5 * i, 55 + 10 * i) for i in range(1, 19)]]
SEVEN_TWO_STROKES = [SEVEN[0][:15], [(210 - 5 * i, 55 + 10 * i) for i in range(19)]]


def draw(qtbot, canvas, strokes) -> None:
    """Draw strokes on the real canvas with mouse events: press, moves, release."""
    for points in strokes:
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
        for x, y in points[1:]:
            qtbot.mouseMove(canvas, QPoint(x, y))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))
