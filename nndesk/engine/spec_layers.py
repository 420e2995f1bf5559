"""Validation of a spec's layers: each layer's settings, then the shapes through the stack."""

from __future__ import annotations

from . import activations, initializers, layer_types, layers
from .checker import Checker, is_int, shown

MAX_UNITS = 65536
MAX_FILTERS = 4096
MAX_KERNEL = 64
PADDINGS = ("valid", "same")


def validate_layers(c: Checker, layer_list, input_shape):
    """Checks each layer, then the shapes through the stack; returns (activation, units) of
    the last layer if it is a dense one."""
    if not isinstance(layer_list, list) or not layer_list:
        c.add("layers", f"expected a non-empty list of layers, got {shown(layer_list)}",
              field="layers")
        return None
    before = len(c.problems)
    for i, cfg in enumerate(layer_list):
        path = f"layers[{i}]"
        if not isinstance(cfg, dict):
            c.add(path, f"expected a layer object, got {shown(cfg)}", i)
            continue
        kind = cfg.get("type")
        if not c.name_in(kind, f"{path}.type", list(layer_types.LAYER_TYPES), "layer types", i,
                         "type"):
            continue
        _, fields = layer_types.LAYER_TYPES[kind]
        c.known_fields(cfg, set(fields) | {"type"}, path, i)
        _LAYER_CHECKS.get(kind, lambda *_: None)(c, cfg, path, i)
    last = layer_list[-1]
    if isinstance(last, dict) and last.get("type") in layer_types.LAYER_TYPES \
            and last.get("type") != "dense":
        c.add(f"layers[{len(layer_list) - 1}].type",
              f"the last layer must be a dense output layer, not {last['type']}",
              len(layer_list) - 1, "type")
        return None
    if len(c.problems) == before and input_shape is not None:
        _check_shapes(c, layer_list, input_shape)
    if isinstance(last, dict) and last.get("type") == "dense":
        return last.get("activation", "relu"), last.get("units")
    return None


def _check_shapes(c: Checker, layer_list, input_shape):
    """Every layer takes the shape the one before it gives, or the first that cannot says why."""
    shape = tuple(input_shape)
    for i, cfg in enumerate(layer_list):
        layer = layer_types.make_layer(cfg)
        try:
            shape = layer.build(shape)
        except ValueError as exc:
            c.add(f"layers[{i}]", str(exc), i, "type")
            return
        if 0 in shape:
            c.add(f"layers[{i}]", f"its output would be {layers.shape_text(shape)}, empty", i,
                  "type")
            return


def _check_activation(c, cfg, path, i, default="relu", dense=False):
    activation = cfg.get("activation", default)
    if c.name_in(activation, f"{path}.activation", list(activations.ACTIVATIONS), "activations",
                 i, "activation") and activation == "softmax" and not dense:
        c.add(f"{path}.activation", f"softmax belongs on the dense output layer, not on a "
              f"{cfg['type']} layer", i, "activation")


def _check_initializer(c, cfg, path, i):
    init = cfg.get("initializer")
    if init is not None:
        c.name_in(init, f"{path}.initializer", list(initializers.INITIALIZERS), "initializers",
                  i, "initializer")


def _check_dense(c, cfg, path, i):
    if "units" not in cfg:
        c.add(f"{path}.units", "a dense layer needs units (a whole number of neurons)", i, "units")
    else:
        c.int_in(cfg["units"], f"{path}.units", 1, MAX_UNITS, i, "units")
    _check_activation(c, cfg, path, i, dense=True)
    _check_initializer(c, cfg, path, i)


def _check_conv(c, cfg, path, i):
    if "filters" not in cfg:
        c.add(f"{path}.filters", "a conv2d layer needs filters (a whole number of kernels)", i,
              "filters")
    else:
        c.int_in(cfg["filters"], f"{path}.filters", 1, MAX_FILTERS, i, "filters")
    kernel = cfg.get("kernel_size", 3)
    sizes = kernel if isinstance(kernel, list) and len(kernel) == 2 else [kernel]
    if not all(is_int(k) and 1 <= k <= MAX_KERNEL for k in sizes):
        c.add(f"{path}.kernel_size", f"expected a whole number from 1 to {MAX_KERNEL} or two "
              f"of them such as [5, 5], got {shown(kernel)}", i, "kernel_size")
    c.int_in(cfg.get("stride", 1), f"{path}.stride", 1, MAX_KERNEL, i, "stride")
    padding = cfg.get("padding", "valid")
    if padding not in PADDINGS and not (is_int(padding) and 0 <= padding <= MAX_KERNEL):
        c.add(f"{path}.padding", f"expected 'valid', 'same' or a whole number from 0 to "
              f"{MAX_KERNEL}, got {shown(padding)}", i, "padding")
    _check_activation(c, cfg, path, i)
    _check_initializer(c, cfg, path, i)


def _check_pool(c, cfg, path, i):
    c.int_in(cfg.get("pool_size", 2), f"{path}.pool_size", 1, MAX_KERNEL, i, "pool_size")
    if cfg.get("stride") is not None:
        c.int_in(cfg["stride"], f"{path}.stride", 1, MAX_KERNEL, i, "stride")


def _check_batchnorm(c, cfg, path, i):
    c.number_in(cfg.get("momentum", 0.1), f"{path}.momentum", (0.0, 1.0, True, True), i,
                "momentum")
    c.number_in(cfg.get("epsilon", 1e-5), f"{path}.epsilon", (0.0, 1.0, False, True), i,
                "epsilon")
    _check_activation(c, cfg, path, i, default="linear")


def _check_dropout(c, cfg, path, i):
    c.number_in(cfg.get("rate", 0.5), f"{path}.rate", (0.0, 1.0, True, False), i, "rate")


_LAYER_CHECKS = {"dense": _check_dense, "conv2d": _check_conv, "maxpool2d": _check_pool,
                 "avgpool2d": _check_pool, "batchnorm": _check_batchnorm,
                 "dropout": _check_dropout}
