"""The spec the form edits, without Qt: the spec, its edits, its problems and its description.

Every edit is a method that returns the spec it would make (or None when it changes nothing);
the form pushes that onto its undo stack as a command, and the command ``replace``s the
document's spec. Validation and ``describe`` run on every replacement; problems are sorted
by where they belong: a field of the training settings, a layer's field, or the spec as a whole.
"""

from __future__ import annotations

import copy

from nndesk import engine

DEFAULT_UNITS = 64
DEFAULT_DROPOUT = 0.2
KNOWN_INPUTS = {"mnist": 784}
# Problem paths that belong to another field than their own name says.
FIELD_ALIASES = {"optimizer": "optimizer.name", "schedule": "schedule.name",
                 "input_shape": "dataset", "training": "training.batch_size"}


class SpecDocument:
    def __init__(self, spec: dict | None = None):
        self.choices = engine.choices()
        self._spec: dict = {}
        self.problems: list = []
        self.summary: dict | None = None  # engine.describe, or None while the spec is invalid
        self.replace(spec if spec is not None else engine.default_spec())

    def spec(self) -> dict:
        """A copy of the spec."""
        return copy.deepcopy(self._spec)

    def get(self, key, default=None):
        return self._spec.get(key, default)

    def layers(self) -> list:
        layers = self._spec.get("layers")
        return layers if isinstance(layers, list) else []

    def replace(self, spec: dict) -> None:
        self._spec = copy.deepcopy(spec)
        try:
            self.problems = list(engine.validate(self._spec))
        except Exception as exc:  # a malformed spec must never break the form
            self.problems = [engine.Problem("spec", f"cannot check this spec: {exc}")]
        self.summary = None
        if not self.problems:
            try:
                self.summary = engine.describe(self._spec)
            except Exception as exc:  # describe raises SpecError for anything validate missed
                self.problems = (list(getattr(exc, "problems", []))
                                 or [engine.Problem("spec", str(exc))])

    # --- edits: each returns the spec it would make, or None -----------------------------

    def _changed(self, change) -> dict | None:
        after = self.spec()
        try:
            change(after)
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return None if after == self._spec else after

    def with_value(self, path: tuple, value) -> dict | None:
        """``value`` at ``path`` (e.g. ("optimizer", "learning_rate"), ("layers", 2, "units"))."""
        def change(s):
            target = s
            for key in path[:-1]:
                target = target.setdefault(key, {}) if isinstance(target, dict) else target[key]
            target[path[-1]] = value

        return self._changed(change)

    def new_layer(self, kind: str) -> dict:
        """A layer of ``kind`` with the registry's settings and the form's starting values."""
        cfg = {"type": kind}
        for key, value in self.choices["layer_types"].get(kind, {}).items():
            if key == "units":
                value = DEFAULT_UNITS if value is None else value
            elif key == "rate":
                value = DEFAULT_DROPOUT
            cfg[key] = value
        return cfg

    def with_layer_added(self, kind: str, index: int) -> dict | None:
        return self._changed(lambda s: s.setdefault("layers", []).insert(index, self.new_layer(kind)))

    def with_layer_removed(self, row: int) -> dict | None:
        if not 0 <= row < len(self.layers()):
            return None
        return self._changed(lambda s: s["layers"].pop(row))

    def with_layer_moved(self, source: int, target: int) -> dict | None:
        n = len(self.layers())
        if source == target or not (0 <= source < n and 0 <= target < n):
            return None
        return self._changed(lambda s: s["layers"].insert(target, s["layers"].pop(source)))

    def with_dataset(self, name: str, input_size: int | None = None) -> dict | None:
        size = input_size or KNOWN_INPUTS.get(name)

        def change(s):
            s["dataset"] = name
            if size:
                s["input_shape"] = [int(size)]

        return self._changed(change)

    def with_input_size(self, size: int) -> dict | None:
        return self._changed(lambda s: s.__setitem__("input_shape", [int(size)]))

    def with_optimizer(self, name: str) -> dict | None:
        """Switch to optimizer ``name`` with its defaults, keeping what still applies."""
        old = self._spec.get("optimizer") if isinstance(self._spec.get("optimizer"), dict) else {}
        if old.get("name") == name:
            return None
        defaults = self.choices["optimizers"][name]
        new = {"name": name, **defaults}
        for key in ("learning_rate", "weight_decay", "epsilon"):
            if key in defaults and key in old and name not in ("sgd", "adamw"):
                new[key] = old[key]
        return self._changed(lambda s: s.__setitem__("optimizer", new))

    def with_schedule(self, name: str) -> dict | None:
        old = self._spec.get("schedule") if isinstance(self._spec.get("schedule"), dict) else {}
        if old.get("name") == name:
            return None
        new = {"name": name, **self.choices["schedules"][name]}
        return self._changed(lambda s: s.__setitem__("schedule", new))

    # --- problems, sorted by where they belong ---------------------------------------------

    def problems_by_place(self, fields) -> tuple[dict, dict, list]:
        """({field key: [messages]}, {(row, layer field): message}, [other messages]) for
        the form's field keys ``fields``."""
        by_field: dict[str, list[str]] = {}
        by_layer: dict[tuple[int, str | None], str] = {}
        other: list[str] = []
        for p in self.problems:
            if getattr(p, "layer", None) is not None:
                by_layer[(p.layer, p.field)] = p.message
                continue
            key = field_key(p.path, fields)
            if key is not None:
                by_field.setdefault(key, []).append(p.message)
            else:
                other.append(f"{p.path}: {p.message}")
        return by_field, by_layer, other


def field_key(path: str, fields) -> str | None:
    """The form field a problem's path belongs to (the longest matching prefix)."""
    parts = path.replace("[", ".").replace("]", "").split(".")
    while parts:
        key = ".".join(parts)
        if key in fields:
            return key
        if key in FIELD_ALIASES:
            return FIELD_ALIASES[key]
        parts.pop()
    return None
