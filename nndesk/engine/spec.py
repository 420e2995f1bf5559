"""The network spec: one plain, JSON-serializable description of a network and its training.

The form in the window edits a spec, the trainer builds from one and the model file stores
one. ``validate`` reports every problem at once, each naming where it is (``layers[2].units``),
what was expected and what was received, so the window can show each message beside its field.
"""

from __future__ import annotations

import copy
import json
import math

from . import activations, initializers, layer_types, losses, optimizers, schedules
from .checker import Checker, Problem, is_int, shown
from .spec_layers import validate_layers

TRAINING_DEFAULTS = {
    "batch_size": 128,
    "epochs": 10,
    "validation_split": 0.1,
    "early_stopping_patience": 0,
    "augment": False,
    "engine": "fast",  # "fast" or "reference": the same training, see engine/trainer.py
}
ENGINES = ("fast", "reference")

MAX_EPOCHS = 100000
MAX_BATCH = 1 << 20


class SpecError(ValueError):
    """A spec that cannot be built; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        super().__init__("invalid network spec: " + "; ".join(lines))


def default_spec() -> dict:
    """A small, valid starting point for a new network on MNIST."""
    return {
        "name": "untitled",
        "note": "",
        "dataset": "mnist",
        "input_shape": [784],
        "initializer": "he_normal",
        "layers": [
            {"type": "dense", "units": 128, "activation": "relu", "initializer": None},
            {"type": "dense", "units": 10, "activation": "softmax", "initializer": "glorot_uniform"},
        ],
        "loss": "softmax_cross_entropy",
        "optimizer": {"name": "adam", **optimizers.OPTIMIZERS["adam"]},
        "schedule": {"name": "constant"},
        "training": dict(TRAINING_DEFAULTS),
        "seed": 0,
    }


def choices() -> dict:
    """Every name the spec accepts, with defaults and one-line descriptions, for forms and help."""
    return {
        "layer_types": {
            name: {k: (None if v is layer_types.REQUIRED else v) for k, v in fields.items()}
            for name, (_, fields) in layer_types.LAYER_TYPES.items()
        },
        "activations": list(activations.ACTIVATIONS),
        "losses": list(losses.LOSSES),
        "initializers": list(initializers.INITIALIZERS),
        "optimizers": copy.deepcopy(optimizers.OPTIMIZERS),
        "schedules": copy.deepcopy(schedules.SCHEDULES),
        "training": dict(TRAINING_DEFAULTS),
        "descriptions": {
            "layer_types": layer_types.DESCRIPTIONS,
            "initializers": initializers.DESCRIPTIONS,
            "losses": losses.DESCRIPTIONS,
            "optimizers": optimizers.DESCRIPTIONS,
            "schedules": schedules.DESCRIPTIONS,
        },
    }


def normalize(spec: dict) -> dict:
    """A copy of a valid spec with every optional field filled in with its default."""
    out = copy.deepcopy(spec)
    out.setdefault("name", "untitled")
    out.setdefault("note", "")
    out.setdefault("dataset", "mnist")
    out.setdefault("initializer", "he_normal")
    out.setdefault("seed", 0)
    out["input_shape"] = [int(d) for d in out["input_shape"]]
    for i, cfg in enumerate(out["layers"]):
        _, fields = layer_types.LAYER_TYPES[cfg["type"]]
        out["layers"][i] = {"type": cfg["type"], **{k: cfg.get(k, d) for k, d in fields.items()}}
    opt = out["optimizer"]
    out["optimizer"] = {"name": opt["name"],
                        **{k: float(opt.get(k, d)) for k, d in optimizers.OPTIMIZERS[opt["name"]].items()}}
    sched = out.get("schedule") or {"name": "constant"}
    out["schedule"] = {"name": sched["name"],
                       **{k: sched.get(k, d) for k, d in schedules.SCHEDULES[sched["name"]].items()}}
    out["training"] = {**TRAINING_DEFAULTS, **out.get("training", {})}
    return out


# --- validation -----------------------------------------------------------------------

def validate(spec) -> list[Problem]:
    """Every problem with ``spec``; an empty list means it can be built."""
    c = Checker()
    if not isinstance(spec, dict):
        c.add("spec", f"expected a JSON object (a dict), got {type(spec).__name__}")
        return c.problems
    c.known_fields(spec, {"name", "note", "dataset", "input_shape", "initializer", "layers", "loss",
                          "optimizer", "schedule", "training", "seed"}, "")
    for key in ("name", "note", "dataset"):
        if key in spec and not isinstance(spec[key], str):
            c.add(key, f"expected text, got {shown(spec[key])}", field=key)
    if isinstance(spec.get("dataset"), str) and not spec["dataset"].strip():
        c.add("dataset", "expected a dataset name or path, got an empty text", field="dataset")

    shape = spec.get("input_shape")
    if (not isinstance(shape, (list, tuple)) or not 1 <= len(shape) <= 3
            or not all(is_int(d) and 1 <= d <= 1 << 24 for d in shape)):
        c.add("input_shape", f"expected a list of 1 to 3 positive whole numbers such as [784] "
              f"or [1, 28, 28], got {shown(shape)}", field="input_shape")
        shape = None

    c.name_in(spec.get("initializer", "he_normal"), "initializer", list(initializers.INITIALIZERS),
              "initializers", field="initializer")
    last_dense = validate_layers(c, spec.get("layers"), shape)

    loss = spec.get("loss")
    if c.name_in(loss, "loss", list(losses.LOSSES), "losses", field="loss") and last_dense:
        activation, units = last_dense
        if loss == "softmax_cross_entropy" and activation != "softmax":
            c.add("loss", f"softmax_cross_entropy needs a softmax output layer; the last dense "
                  f"layer has activation {activation!r}", field="loss")
        if activation == "softmax" and units == 1:
            c.add("loss", "a softmax output needs at least 2 units (one unit always gives 1.0)",
                  field="loss")

    _validate_optimizer(c, spec.get("optimizer"))
    _validate_schedule(c, spec.get("schedule", {"name": "constant"}))
    _validate_training(c, spec.get("training", {}))
    seed = spec.get("seed", 0)
    c.int_in(seed, "seed", 0, 2**32 - 1, field="seed")
    return c.problems


def _validate_optimizer(c: Checker, opt):
    if not isinstance(opt, dict):
        c.add("optimizer", f"expected an object with a name such as {{'name': 'adam'}}, "
              f"got {shown(opt)}", field="optimizer")
        return
    name = opt.get("name")
    if not c.name_in(name, "optimizer.name", list(optimizers.OPTIMIZERS), "optimizers",
                     field="optimizer"):
        return
    allowed = optimizers.OPTIMIZERS[name]
    c.known_fields(opt, set(allowed) | {"name"}, "optimizer")
    for key in allowed:
        if key in opt:
            c.number_in(opt[key], f"optimizer.{key}", optimizers.RANGES[key], field=key)


def _validate_schedule(c: Checker, sched):
    if not isinstance(sched, dict):
        c.add("schedule", f"expected an object such as {{'name': 'constant'}}, got {shown(sched)}",
              field="schedule")
        return
    name = sched.get("name")
    if not c.name_in(name, "schedule.name", list(schedules.SCHEDULES), "schedules",
                     field="schedule"):
        return
    c.known_fields(sched, set(schedules.SCHEDULES[name]) | {"name"}, "schedule")
    if name == "step":
        c.int_in(sched.get("step_epochs", 10), "schedule.step_epochs", 1, MAX_EPOCHS,
                 field="step_epochs")
        c.number_in(sched.get("gamma", 0.1), "schedule.gamma", (0.0, 1.0, False, True),
                    field="gamma")
    elif name == "cosine":
        c.number_in(sched.get("min_lr", 0.0), "schedule.min_lr", (0.0, 100.0, True, True),
                    field="min_lr")


def _validate_training(c: Checker, training):
    if not isinstance(training, dict):
        c.add("training", f"expected an object, got {shown(training)}", field="training")
        return
    c.known_fields(training, set(TRAINING_DEFAULTS), "training")
    t = {**TRAINING_DEFAULTS, **training}
    c.int_in(t["batch_size"], "training.batch_size", 0, MAX_BATCH, field="batch_size")
    c.int_in(t["epochs"], "training.epochs", 1, MAX_EPOCHS, field="epochs")
    c.number_in(t["validation_split"], "training.validation_split", (0.0, 0.9, True, True),
                field="validation_split")
    c.int_in(t["early_stopping_patience"], "training.early_stopping_patience", 0, MAX_EPOCHS,
             field="early_stopping_patience")
    if not isinstance(t["augment"], bool):
        c.add("training.augment", f"expected true or false, got {shown(t['augment'])}",
              field="augment")
    c.name_in(t["engine"], "training.engine", list(ENGINES), "engines", field="engine")


MAX_DEPTH = 32  # of nested JSON objects and lists in a spec file


def _depth(value) -> int:
    """How deeply lists and objects nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_spec_text(text: str) -> dict:
    """A spec from JSON text (a spec file); raises ValueError with a plain message. The
    spec itself is checked by ``validate``."""
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg})") from None
    except RecursionError:
        spec = None
    if spec is None or _depth(spec) > MAX_DEPTH:
        raise ValueError(f"not a network spec (its JSON is nested more than {MAX_DEPTH} levels "
                         f"deep; a spec needs 3)")
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
        raise ValueError("not a network spec (expected a JSON object with a list of layers)")
    return spec


def check(spec) -> dict:
    """The normalized spec, or SpecError with every problem."""
    problems = validate(spec)
    if problems:
        raise SpecError(problems)
    return normalize(spec)


def describe(spec) -> dict:
    """Shapes, parameter counts, memory and FLOPs of a spec without building any weights."""
    spec = check(spec)
    shape = tuple(spec["input_shape"])
    rows, total, flops = [], 0, 0
    for cfg in spec["layers"]:
        layer = layer_types.make_layer(cfg)
        shape = layer.build(shape)
        flops += 2 * layer.macs
        rows.append({"type": cfg["type"], "output_shape": list(shape), "params": layer.param_count})
        total += layer.param_count
    return {
        "layers": rows,
        "total_params": total,
        "memory_bytes": total * 4,
        "flops_per_sample": flops,
        "output_units": math.prod(shape),
    }
