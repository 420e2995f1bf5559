"""What spec validation is made of: a problem, and a checker that collects them."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str  # e.g. "layers[2].units", "optimizer.learning_rate"
    message: str  # what was expected and what was received
    layer: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"layer {self.layer + 1} ({self.path})" if self.layer is not None else self.path
        return f"{where}: {self.message}"


def is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def shown(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


class Checker:
    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, path, message, layer=None, field=None):
        self.problems.append(Problem(path, message, layer, field))

    def int_in(self, value, path, low, high, layer=None, field=None):
        if not is_int(value) or not low <= value <= high:
            self.add(path, f"expected a whole number from {low} to {high}, got {shown(value)}",
                     layer, field)
            return False
        return True

    def number_in(self, value, path, bounds, layer=None, field=None):
        low, high, low_in, high_in = bounds
        ok = is_number(value) and (low <= value if low_in else low < value) and (
            value <= high if high_in else value < high)
        if not ok:
            lo = "[" if low_in else "("
            hi = "]" if high_in else ")"
            self.add(path, f"expected a number in {lo}{low:g}, {high:g}{hi}, got {shown(value)}",
                     layer, field)
        return ok

    def name_in(self, value, path, names, what, layer=None, field=None):
        if value not in names:
            self.add(path, f"expected one of the {what}: {', '.join(names)}; got {shown(value)}",
                     layer, field)
            return False
        return True

    def known_fields(self, d, allowed, path, layer=None):
        for key in d:
            if key not in allowed:
                self.add(f"{path}.{key}" if path else key,
                         f"unknown field {key!r}; expected only: {', '.join(sorted(allowed))}",
                         layer, key)
