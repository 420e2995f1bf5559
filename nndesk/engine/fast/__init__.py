"""The fast path: every speed technique of the engine, attached to a run as one plan.

The core (``nndesk/engine``) is the textbook; this package takes the same steps faster. The
trainer asks ``attach(trainer, options)`` for a plan when a run starts and releases it when the
run ends; the plan hands out the run's batches, takes its steps on its own copy of the
parameters, and publishes them into the network (see ``plan.py``). It never changes the core's
classes: a network trained here is an ordinary network.

The techniques, each one switchable in ``Options`` so that its gain can be measured
(``tests/benchmarks/bench_techniques.py``; what each buys is in the benchmarks README):

- work arrays and in-place arithmetic for every layer's step (``kernels.py``,
  ``activations.py``): always on, the plan's base;
- ``spans``: a dense first layer leaves out the input columns that are zero across the batch;
- ``input_order``: the inputs kept as bytes, their features from the most often non-zero to
  the least, which makes the spans narrower, and the always-zero features' weights left out
  of the update (``inputorder.py``);
- ``deferred``: plain SGD at small batch sizes updates the first layer once per block of
  batches, with the same arithmetic (``deferred.py``);
- ``two_threads``: the optimizer's update runs on two cores when that measures faster, and the
  next batch is gathered meanwhile (``halves.py``, ``updates.py``).

A network with image layers (convolution, pooling, batch norm) gets a plan of its own
(``imageplan.py``): the same step with every layer on a kernel that keeps the batch innermost
(``images.py``); the techniques above are for dense stacks and do not apply there.
"""

from __future__ import annotations

from dataclasses import dataclass

KERNEL_KINDS = ("dense", "dropout")  # the layer kinds the dense plan has kernels for


@dataclass(frozen=True)
class Options:
    spans: bool = True
    input_order: bool = True
    deferred: bool = True
    two_threads: str = "auto"  # "auto" (measured), "always" or "never"
    publish_seconds: float = 0.05  # how far the network's weights may lag the plan's

    def __post_init__(self):
        if self.two_threads not in ("auto", "always", "never"):
            raise ValueError(f"two_threads: expected 'auto', 'always' or 'never', "
                             f"got {self.two_threads!r}")


def attach(trainer, options: Options | str = "fast"):
    """A plan for ``trainer``'s run, or None when the network has a layer this path has no
    kernel for (the trainer then takes the reference steps)."""
    from . import imageplan
    from .plan import FastPlan

    layers = trainer.net.layers
    if all(layer.kind in KERNEL_KINDS for layer in layers):
        return FastPlan(trainer, options if isinstance(options, Options) else Options())
    return imageplan.ImagePlan(trainer) if imageplan.supports(trainer.net) else None
