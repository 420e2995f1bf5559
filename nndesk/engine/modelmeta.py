"""What a model file's metadata may hold: each field's type, length and range.

The checksum covers the spec and the weights, not the metadata, so a file can carry metadata
that was written by hand or damaged; every field is checked before anything uses it.
"""

from __future__ import annotations

import math


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def metadata_problem(key: str, value, num_classes: int) -> str | None:
    """Why ``value`` cannot be the metadata field ``key`` of a network with ``num_classes``
    classes, or None when it can."""
    if key == "dataset":
        return None if isinstance(value, str) else "its dataset name is not text"
    if key == "class_names":
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            return "its class names are not a list of texts"
        if len(value) != num_classes:
            return f"it names {len(value)} classes but the network has {num_classes}"
        return None
    if key == "preprocessing":
        if not isinstance(value, dict) or not isinstance(value.get("kind", ""), str):
            return "its input preprocessing is not an object with a kind"
        return None
    if key == "metrics":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and (v is None or _number(v)) for k, v in value.items()):
            return "its metrics are not an object of numbers"
        accuracies = [v for k, v in value.items() if k.endswith("accuracy") and v is not None]
        if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in accuracies):
            return "its metrics hold an accuracy outside 0 to 1"
        return None
    if key == "history":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, list) and all(x is None or _number(x) for x in v)
                for k, v in value.items()):
            return "its training history is not an object of lists of numbers"
        per_epoch = {len(v) for k, v in value.items() if k != "batch_loss"}
        if len(per_epoch) > 1:
            return "its training history has lists of different lengths"
        return None
    return None
