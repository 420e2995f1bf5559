"""The NumPy engine: specs, layers, losses, optimizers, the network, the trainer, model files.

The modules here are the reference path, written as the formulas they implement; the fast
path (``nndesk.engine.fast``) takes the same training steps with its speed techniques, and the
trainer uses it unless asked for ``engine="reference"``. Nothing here imports Qt; the window,
the command line and scripts are all clients.

    >>> from nndesk.engine import load_preset, build_network, Trainer
    >>> net = build_network(load_preset("xor"))
"""

from .modelfile import ModelFileError, load_model, save_model
from .network import Network, build_network
from .presets import UnknownPresetError, list_presets, load_preset
from .spec import (Problem, SpecError, choices, default_spec, describe, normalize,
                   parse_spec_text, validate)
from .trainer import Trainer, TrainingFailed

__all__ = [
    "ModelFileError", "Network", "Problem", "SpecError", "Trainer", "TrainingFailed",
    "UnknownPresetError", "build_network", "choices", "default_spec", "describe",
    "list_presets", "load_model", "load_preset", "normalize", "parse_spec_text", "save_model",
    "validate",
]
