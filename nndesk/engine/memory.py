"""How much memory training a spec takes, estimated before anything is allocated, and how much
the machine has: a run that cannot fit is refused before it takes the machine down.

With P parameters, B the batch size, U the units summed over the layers, W the widest layer
(or the input), N training samples of F features and 4-byte numbers, training holds about

    parameters   (8 + k) P     weights, gradients, the best weights so far, k running
                               averages of the optimizer, the fast path's own weights and
                               gradients, and the temporaries of an update
    activations  the larger of  3 B U + 2 B W + B C  (each layer's z, a and gradient for a
                               training batch, the widest layer's W work arrays, and the
                               largest im2col copies C of a convolution)  and  E (3 W + C)
                               (one evaluation batch of E = 8,192 samples going through, fewer
                               when a convolution's windows would pass 64 MB: the network's
                               ``inference_batch``)
    data         5 N F         the training copy of the samples (4 bytes a feature) and the
                               fast path's one-byte input codes

numbers of 4 bytes each, plus the dataset already loaded. ``tests/benchmarks/bench_memory.py``
compares this with the peak memory of real runs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .layer_types import make_layer
from .network import inference_batch
from .spec import check

OPTIMIZER_ARRAYS = {"sgd": 0, "momentum": 1, "nesterov": 1, "rmsprop": 1, "adam": 2, "adamw": 2}
ITEM = 4  # bytes of a float32


class NotEnoughMemory(ValueError):
    """Training this spec would need more memory than the machine has."""


def layer_sizes(spec: dict) -> tuple[int, list[int], int]:
    """The parameter count, each layer's output size and the largest work arrays a layer
    holds per sample (a convolution's im2col), computed without allocating any of them."""
    params, outputs, workspace = 0, [], 0
    shape = tuple(spec["input_shape"])
    for cfg in spec["layers"]:
        layer = make_layer(cfg)
        shape = layer.build(shape)
        params += layer.param_count
        outputs.append(layer.output_size)
        workspace = max(workspace, layer.workspace)
    return params, outputs, workspace


def format_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return ""


@dataclass(frozen=True)
class Estimate:
    parameters: int
    parts: dict  # name -> bytes
    machine: int | None  # bytes the machine has, None when it cannot tell

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    @property
    def too_much(self) -> bool:
        return self.machine is not None and self.total > self.machine

    @property
    def heavy(self) -> bool:
        """Over half the machine's memory: it may fit, but the machine will feel it."""
        return self.machine is not None and self.total > self.machine / 2

    def describe(self) -> str:
        parts = ", ".join(f"{name} {format_bytes(b)}" for name, b in self.parts.items())
        return (f"training this network needs about {format_bytes(self.total)} ({parts}) and "
                f"this machine has {format_bytes(self.machine or 0)}")

    def refusal(self) -> str:
        return (f"Not enough memory: {self.describe()}. Use fewer or narrower layers (this one "
                f"has {self.parameters:,} parameters), a smaller batch size, or fewer samples.")

    def warning(self) -> str:
        return (f"This is a heavy run: {self.describe()}, so other programs may slow down or "
                f"be closed. Fewer or narrower layers would make it lighter.")


def estimate(spec: dict, samples: int, features: int, loaded_bytes: int = 0) -> Estimate:
    """The memory training ``spec`` on ``samples`` samples of ``features`` needs, next to
    the machine's; ``loaded_bytes``: the dataset already in memory."""
    spec = check(spec)
    params, outputs, workspace = layer_sizes(spec)
    k = OPTIMIZER_ARRAYS.get(spec["optimizer"]["name"], 2)
    size = int(spec["training"]["batch_size"])
    batch = samples if size <= 0 else min(size, samples)
    widest = max(features, *outputs)
    inference = inference_batch(workspace)
    parts = {"parameters": (8 + k) * params * ITEM,
             "activations": max(3 * batch * sum(outputs) + 2 * batch * widest + batch * workspace,
                                (3 * widest + workspace) * inference) * ITEM,
             "data": 5 * samples * features + loaded_bytes}
    return Estimate(params, parts, machine_memory())


def machine_memory() -> int | None:
    """The physical memory, or a container's lower limit; None when neither can be read."""
    total = None
    try:
        if sys.platform == "win32":
            total = _windows_memory()
        else:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        pass
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            limit = int(Path(limit_file).read_text().strip())
        except (OSError, ValueError):  # absent, unreadable, or "max"
            continue
        if limit > 0 and (total is None or limit < total):
            total = limit
    return total


def _windows_memory() -> int:
    import ctypes

    class Status(ctypes.Structure):
        _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong),
                    ("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong),
                    ("page_total", ctypes.c_ulonglong), ("page_free", ctypes.c_ulonglong),
                    ("virtual_total", ctypes.c_ulonglong), ("virtual_free", ctypes.c_ulonglong),
                    ("extended", ctypes.c_ulonglong)]

    status = Status()
    status.length = ctypes.sizeof(Status)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        raise OSError("GlobalMemoryStatusEx failed")
    return int(status.total)
