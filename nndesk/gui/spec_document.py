"""The spec the form edits, without Qt: the spec, its edits, its problems and its description.

Every edit is a method that returns the spec it would make (or None when it changes nothing);
the form pushes that onto its undo stack as a command, and the command ``replace``s the
document's spec. Validation and ``describe`` run on every replacement; problems are sorted
by where they belong: a field of the training settings, a layer's field, or the spec as a whole.

The input follows the stack: layers that take images (``IMAGE_LAYERS``) get an image input
([channels, height, width]) and a flatten before the dense layers after them; a stack without
them gets a flat one. Adding and removing layers keep that true (each one undoable step), so a
person adds a convolution without ever setting an input shape; moving a layer, or loading a
spec, changes nothing else, and the engine explains what no longer fits.
"""

from __future__ import annotations

import copy
import math

from nndesk import engine

# A new layer's settings that the registry leaves without a default, or whose default is too
# much for a first try.
STARTING_VALUES = {"units": 64, "filters": 8, "rate": 0.2}
KNOWN_INPUTS = {"mnist": 784}
IMAGE_LAYERS = ("conv2d", "maxpool2d", "avgpool2d")  # the layers that take only images
MIN_IMAGE_SIDE = 8  # a square guessed from a flat input is at least 8 x 8
# Problem paths that belong to another field than their own name says.
FIELD_ALIASES = {"optimizer": "optimizer.name", "schedule": "schedule.name",
                 "input_shape": "dataset", "training": "training.batch_size"}


class SpecDocument:
    def __init__(self, spec: dict | None = None):
        self.choices = engine.choices()
        self._spec: dict = {}
        self.problems: list = []
        self.summary: dict | None = None  # engine.describe, or None while the spec is invalid
        self.dataset_image: list[int] | None = None  # the loaded dataset's [C, H, W], if images
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
        settings = self.choices["layer_types"].get(kind, {})
        return {"type": kind, **settings, **{k: v for k, v in STARTING_VALUES.items() if k in settings}}

    def with_layer_added(self, kind: str, index: int) -> tuple[dict | None, int]:
        """A new ``kind`` layer at ``index``, or the nearest place it can work (convolutions
        and pools among the image layers, dense layers after them), with what the stack then
        needs (an image input, a flatten); and the row the layer lands in."""
        layer = self.new_layer(kind)
        landed = [index]

        def change(s):
            layers = s.setdefault("layers", [])
            layers.insert(placement(kind, index, layers), layer)
            self._fit_to_images(s)
            landed[0] = next(i for i, cfg in enumerate(layers) if cfg is layer)

        return self._changed(change), landed[0]

    def with_layer_removed(self, row: int) -> dict | None:
        """Without layer ``row``; without the last layer that takes images, the input is
        flat again and the flatten layers go."""
        if not 0 <= row < len(self.layers()):
            return None

        def change(s):
            layers = s["layers"]
            had_images = takes_images(layers)
            layers.pop(row)
            if had_images and not takes_images(layers):
                layers[:] = [cfg for cfg in layers if kind_of(cfg) != "flatten"]
                size = value_count(s.get("input_shape"))
                if size:
                    s["input_shape"] = [size]

        return self._changed(change)

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
                s["input_shape"] = self.input_for(int(size))

        return self._changed(change)

    def with_input_size(self, size: int) -> dict | None:
        """The input for ``size`` values per sample, shaped as the layers take it."""
        return self._changed(lambda s: s.__setitem__("input_shape", self.input_for(int(size))))

    # --- the input the stack takes -------------------------------------------------------

    def input_for(self, size: int) -> list[int]:
        """The input shape of ``size`` values per sample for the stack: an image when layers
        take images (and one of that size is known), else the spec's own shape of that size
        (a flatten-first stack keeps its image), else flat."""
        if takes_images(self.layers()):
            return self.image_input(size) or [size]
        current = self._spec.get("input_shape")
        return list(current) if value_count(current) == size else [size]

    def image_input(self, size: int) -> list[int] | None:
        """The [C, H, W] image ``size`` values per sample make: the dataset's image, else the
        spec's own image input, else a one-channel square; None when none fits."""
        current = self._spec.get("input_shape")
        for shape in (self.dataset_image, current):
            if isinstance(shape, list) and len(shape) == 3 and value_count(shape) == size:
                return list(shape)
        side = math.isqrt(size) if size > 0 else 0
        return [1, side, side] if side >= MIN_IMAGE_SIDE and side * side == size else None

    def _fit_to_images(self, s: dict) -> None:
        """When ``s``'s layers take images: an image input, and a flatten just before the
        first dense layer after the image layers, unless one comes before it."""
        layers = s["layers"]
        if not takes_images(layers):
            return
        last = max(i for i, cfg in enumerate(layers) if kind_of(cfg) in IMAGE_LAYERS)
        for i in range(last + 1, len(layers)):
            if kind_of(layers[i]) == "flatten":
                break
            if kind_of(layers[i]) == "dense":
                layers.insert(i, {"type": "flatten"})
                break
        size = value_count(s.get("input_shape"))
        image = self.image_input(size) if size and len(s["input_shape"]) != 3 else None
        if image:
            s["input_shape"] = image

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


# --- the stack's shapes -------------------------------------------------------------------

def kind_of(cfg) -> str | None:
    return cfg.get("type") if isinstance(cfg, dict) else None


def takes_images(layers: list) -> bool:
    return any(kind_of(cfg) in IMAGE_LAYERS for cfg in layers)


def value_count(shape) -> int:
    """The values per sample of an input shape, 0 for anything that is not one."""
    if not isinstance(shape, list) or not shape or not all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
        return 0
    return math.prod(shape)


def placement(kind: str, index: int, layers: list) -> int:
    """Where a new ``kind`` layer asked for at ``index`` can work: an image layer no later
    than the first flatten or dense layer, a dense layer after the image layers (and the
    flatten after them); anything else where asked."""
    kinds = [kind_of(cfg) for cfg in layers]
    if kind in IMAGE_LAYERS:
        flat = next((i for i, k in enumerate(kinds) if k in ("dense", "flatten")), len(kinds))
        return min(index, flat)
    images = [i for i, k in enumerate(kinds) if k in IMAGE_LAYERS]
    if kind == "dense" and images:
        after = images[-1] + 1
        flatten = next((i for i in range(after, len(kinds)) if kinds[i] == "flatten"), None)
        return max(index, after if flatten is None else flatten + 1)
    return index
