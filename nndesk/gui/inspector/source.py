"""What the page looks at: the chosen input, whether it can be shown, and how to show it
(as an image? with which class names?)."""

from __future__ import annotations

import math

import numpy as np

from ..pad import model as pad_model
from . import texts

PAD_INPUTS = 784


def image_shape(net, dataset) -> tuple[int, int] | None:
    """The network's input as rows × columns of an image, when it is one."""
    shape = net.input_shape
    if len(shape) == 3:
        return tuple(shape[1:]) if shape[0] == 1 else None
    if dataset is not None and dataset.image_shape and \
            math.prod(dataset.image_shape) == net.input_size:
        return tuple(dataset.image_shape)
    return (28, 28) if net.input_size == PAD_INPUTS else None


def class_names(net, dataset, count: int) -> list[str]:
    """The dataset's class names, else the model file's, else "0", "1", …"""
    if dataset is not None and len(dataset.class_names) == count:
        return [str(n) for n in dataset.class_names]
    names = pad_model.class_names(net)
    return names if len(names) == count else [str(k) for k in range(count)]


def problem(spec, snapshot, source: str, pad, given, dataset) -> str | None:
    """Why nothing can be shown now (rich text), or None."""
    if spec is None:
        return texts.NO_NETWORK
    if snapshot is None:
        return texts.TRAINING_STARTED
    size = math.prod(spec["input_shape"])
    if source in ("drawing", "mine") and size != PAD_INPUTS:
        return texts.not_28(size, source)
    if source == "drawing":
        return texts.DRAW_PROMPT if pad.network_input() is None else None
    if source == "mine":
        return texts.NO_DIGITS if len(pad.digits) == 0 else None
    if source == "given":
        return texts.wrong_size(given[0].size, size) if given[0].size != size else None
    if dataset is None:
        return texts.NO_DATASET
    return texts.mismatch(dataset, size) if dataset.x_test.shape[1] != size else None


def current_input(chooser, pad, given, dataset) -> tuple[np.ndarray, str, int | None]:
    """The chosen input (flat), what it is, and its label (None: unknown)."""
    source = chooser.source()
    if source == "drawing":
        return pad.network_input().ravel(), "Your drawing", None
    if source == "mine":
        i = chooser.mine_picker.spin.value()
        return (pad.digits.images[i].ravel().astype(np.float32) / 255.0, f"Your digit #{i}",
                int(pad.digits.labels[i]))
    if source == "given":
        return given[0], given[1], None
    i = chooser.test_picker.spin.value()
    what = "Test digit" if dataset.name == "mnist" else "Test image"
    return dataset.x_test[i], f"{what} #{i}", int(dataset.y_test[i])
