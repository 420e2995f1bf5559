"""Weight initializers, looked up by name in ``INITIALIZERS``.

Each takes the generator, the fan-in and fan-out and returns ``(weight, bias)`` with the
weight shaped (fan_in, fan_out), or ``shape`` with ``shape[0]`` biases when given (a
convolution's (filters, channels, kh, kw), whose fans are channels·kh·kw and filters·kh·kw). The two classic ones from Nielsen's tutorials also draw the
biases from N(0, 1), as his ``network.py`` and ``network2.py`` do; the rest start biases at zero.
"""

from __future__ import annotations

import numpy as np


def _zeros(n):
    return np.zeros(n)


def _shapes(fan_in, fan_out, shape):
    """The weight's shape and the bias's length."""
    return (shape, shape[0]) if shape is not None else ((fan_in, fan_out), fan_out)


def standard_normal(rng, fan_in, fan_out, shape=None):
    w, b = _shapes(fan_in, fan_out, shape)
    return rng.standard_normal(w), rng.standard_normal(b)


def scaled_normal(rng, fan_in, fan_out, shape=None):
    w, b = _shapes(fan_in, fan_out, shape)
    return rng.standard_normal(w) / np.sqrt(fan_in), rng.standard_normal(b)


def scaled_uniform(rng, fan_in, fan_out, shape=None):
    w, b = _shapes(fan_in, fan_out, shape)
    limit = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-limit, limit, w), _zeros(b)


def glorot_normal(rng, fan_in, fan_out, shape=None):
    w, b = _shapes(fan_in, fan_out, shape)
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), w), _zeros(b)


def glorot_uniform(rng, fan_in, fan_out, shape=None):
    w, b = _shapes(fan_in, fan_out, shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, w), _zeros(b)


def he_normal(rng, fan_in, fan_out, shape=None):
    w, b = _shapes(fan_in, fan_out, shape)
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), w), _zeros(b)


def he_uniform(rng, fan_in, fan_out, shape=None):
    w, b = _shapes(fan_in, fan_out, shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, w), _zeros(b)


INITIALIZERS = {
    f.__name__: f
    for f in (standard_normal, scaled_normal, scaled_uniform, glorot_normal, glorot_uniform,
              he_normal, he_uniform)
}

DESCRIPTIONS = {
    "standard_normal": "N(0, 1) weights and biases (Nielsen's network.py)",
    "scaled_normal": "N(0, 1/fan_in) weights, N(0, 1) biases (Nielsen's network2.py)",
    "scaled_uniform": "U(±1/sqrt(fan_in)) weights, zero biases",
    "glorot_normal": "Xavier: N(0, 2/(fan_in+fan_out)), zero biases",
    "glorot_uniform": "Xavier: U(±sqrt(6/(fan_in+fan_out))), zero biases",
    "he_normal": "He: N(0, 2/fan_in), zero biases; for ReLU",
    "he_uniform": "He: U(±sqrt(6/fan_in)), zero biases; for ReLU",
}
