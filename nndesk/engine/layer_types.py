"""Every layer type by name, with its settings and their defaults (``REQUIRED`` has none)."""

from __future__ import annotations

from .batchnorm import BatchNorm
from .convolution import AvgPool2D, Conv2D, Flatten, MaxPool2D
from .layers import Dense, Dropout, Layer

REQUIRED = object()

# type name -> (class, {field: default}). An initializer of None means "use the spec's
# initializer"; a pooling stride of None means "the pool size".
LAYER_TYPES: dict[str, tuple[type[Layer], dict]] = {
    "dense": (Dense, {"units": REQUIRED, "activation": "relu", "initializer": None}),
    "conv2d": (Conv2D, {"filters": REQUIRED, "kernel_size": 3, "stride": 1, "padding": "valid",
                        "activation": "relu", "initializer": None}),
    "maxpool2d": (MaxPool2D, {"pool_size": 2, "stride": None}),
    "avgpool2d": (AvgPool2D, {"pool_size": 2, "stride": None}),
    "flatten": (Flatten, {}),
    "batchnorm": (BatchNorm, {"momentum": 0.1, "epsilon": 1e-5, "activation": "linear"}),
    "dropout": (Dropout, {"rate": 0.5}),
}

DESCRIPTIONS = {
    "dense": "Fully connected: x·W + b, then an activation",
    "conv2d": "Convolution: each filter slides over the image, then an activation",
    "maxpool2d": "Keeps the largest value of each window",
    "avgpool2d": "Keeps the mean of each window",
    "flatten": "Lays an image's channels out as one row, for a dense layer",
    "batchnorm": "Normalizes each unit or channel over the batch, then scales and shifts it",
    "dropout": "Randomly zeroes a fraction of units while training",
}


def make_layer(config: dict) -> Layer:
    cls, _ = LAYER_TYPES[config["type"]]
    return cls.from_config(config)
