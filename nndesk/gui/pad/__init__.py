"""The drawing pad: draw a digit, see what the network sees and what it thinks.

:class:`PadPanel` is the whole screen (canvas, preprocessing steps, probability bars,
corrections); :class:`MyDigitsPanel` / :class:`MyDigitsDialog` browse the person's own
digits. The window hosts a PadPanel and calls ``set_model(net, source)`` on it.
"""

from .canvas import DrawingCanvas
from .mydigits_view import MyDigitsDialog, MyDigitsPanel
from .panel import PadPanel

__all__ = ["DrawingCanvas", "MyDigitsDialog", "MyDigitsPanel", "PadPanel"]
