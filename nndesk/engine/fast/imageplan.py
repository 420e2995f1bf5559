"""One run's fast plan for a network with image layers (see ``images.py``).

The step is the core's (forward, loss, backward, the core optimizer's update), with each layer
on its fast kernel and images as (C, H, W, N) between them. The kernels train the network's own
parameters in place, as the reference path does, so there is nothing to publish.
"""

from __future__ import annotations

import numpy as np

from .images import BatchNormKernel, ConvKernel, FlattenKernel, PoolKernel
from .kernels import DenseKernel, DropoutKernel, loss_and_delta

IMAGE_KERNELS = {"conv2d": ConvKernel, "maxpool2d": PoolKernel, "avgpool2d": PoolKernel,
                 "batchnorm": BatchNormKernel, "flatten": FlattenKernel}


def supports(net) -> bool:
    """Whether the network takes images and every layer has a kernel here: a dropout before
    the flatten would draw its masks in another order than the core's, and batch norm on flat
    inputs has no plan here, so such networks take the reference steps."""
    if len(net.input_shape) != 3:
        return False
    flat = False
    for layer in net.layers:
        if layer.kind == "dropout" and not flat:
            return False
        flat = flat or layer.kind in ("flatten", "dense")
    return True


def _kernel(layer):
    if layer.kind == "dense":
        return DenseKernel(layer.activation.name, layer.W, layer.b, layer.dW, layer.db)
    if layer.kind == "dropout":
        return DropoutKernel(layer)
    return IMAGE_KERNELS[layer.kind](layer)


class ImagePlan:
    def __init__(self, trainer):
        self.net, self.trainer = trainer.net, trainer
        self.kernels = [_kernel(layer) for layer in self.net.layers]
        self.first_trainable = next(i for i, l in enumerate(self.net.layers) if l.param_count)
        self.c, self.h, self.w = self.net.input_shape
        self._delta = None

    def batches(self, order):
        return self.trainer.batches(order)

    def step(self, x, y, lr):
        net, kernels, last = self.net, self.kernels, len(self.kernels) - 1
        a = np.ascontiguousarray(x.reshape(len(x), self.c, self.h, self.w).transpose(1, 2, 3, 0))
        for kernel in kernels:
            a = kernel.forward(a)
        if self._delta is None or self._delta.shape != a.shape:
            self._delta = np.empty_like(a)
        loss, grad = loss_and_delta(net.loss, a, kernels[-1].z, y, self._delta)
        for i in range(last, -1, -1):
            grad = kernels[i].backward(grad, i > self.first_trainable,
                                       net.fused_output and i == last)
        self.trainer.optimizer.step(net.params, net.grads, lr)
        return loss, a

    def publish(self) -> None:
        """The kernels train the network's parameters in place."""

    def release(self) -> None:
        """Nothing to hand back."""
