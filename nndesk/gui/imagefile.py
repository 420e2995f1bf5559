"""Reading digit images (PNG, JPEG and the other formats Qt reads) for ``nndesk predict`` and
``nndesk explain``.

Decoding uses Qt's QImage, which needs no running application, so the command line stays
free of any other imaging library. Qt is imported only when an image is read; the module
lives in the GUI package, the only one allowed to import Qt.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nndesk.data.preprocess import EmptyCanvasError, canvas_to_mnist, image_to_canvas


class ImageReadError(ValueError):
    """An image that cannot be read or predicted; the message names the file."""


def read_ink(path) -> np.ndarray:
    """A float32 canvas (ink 1.0 on 0.0) from an image file, either polarity.

    A transparent image whose opaque parts are the strokes uses its alpha channel as ink;
    anything else is turned to grey and its polarity detected from the border.
    """
    from PySide6.QtGui import QImage, QImageReader

    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    reader = QImageReader(str(path))
    image = reader.read()
    if image.isNull():
        raise ImageReadError(f"{path}: cannot read it as an image ({reader.errorString()})")
    rgba = _array(image.convertToFormat(QImage.Format.Format_RGBA8888), 4)
    alpha = rgba[..., 3].astype(np.float32) / 255.0
    if alpha.min() < 0.5:
        return alpha
    gray = _array(image.convertToFormat(QImage.Format.Format_Grayscale8), 1)[..., 0]
    return image_to_canvas(gray)


def _array(image, channels: int) -> np.ndarray:
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), dtype=np.uint8, count=h * stride)
    return buf.reshape(h, stride)[:, :w * channels].reshape(h, w, channels).copy()


def prepare_image(net, path) -> np.ndarray:
    """The network's input for an image file, prepared as the model file says."""
    kind = (net.metadata.get("preprocessing") or {}).get("kind", "mnist")
    if kind != "mnist" or net.input_size != 784:
        raise ImageReadError(f"{Path(path).name}: this model does not take 28x28 digit images "
                             f"(it takes {net.input_size} inputs)")
    try:
        return canvas_to_mnist(read_ink(path)).reshape(1, 784)
    except EmptyCanvasError:
        raise ImageReadError(f"{path}: the image holds no visible ink to recognise") from None

