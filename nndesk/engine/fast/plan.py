"""One run's fast plan: the trainer's batches and steps, with the speed techniques.

The plan trains its own copy of the parameters, laid out as suits it (the first layer's
weight rows reordered, say), and publishes them into the network in the network's own
layout: at the end of every epoch, when the run pauses or ends, and every
``publish_seconds`` in between. Readers of the network (the window's snapshots, predictions
on another thread) therefore always see weights in their own order, at most that much behind.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .deferred import DeferredFirstLayer, block_batches
from .inputorder import SPAN_MIN_MACS, ByteInputs, batch_spans, column_spans
from .kernels import DenseKernel, DropoutKernel, loss_and_delta
from .updates import make_update


def _kernels(net, params, grads) -> list:
    kernels, offset = [], 0
    for layer in net.layers:
        if layer.kind == "dense":
            n_in, n_out = layer.input_size, layer.output_size
            p = params[offset:offset + layer.param_count]
            g = grads[offset:offset + layer.param_count]
            w = n_in * n_out
            kernels.append(DenseKernel(layer.activation.name, p[:w].reshape(n_in, n_out), p[w:],
                                       g[:w].reshape(n_in, n_out), g[w:]))
        else:
            kernels.append(DropoutKernel(layer))
        offset += layer.param_count
    return kernels


class FastPlan:
    def __init__(self, trainer, options):
        net = self.net = trainer.net
        self.options = options
        self.x, self.y, self.bs = trainer.x, trainer.y, trainer.batch_size
        self.augment, self.augment_rng = trainer.augment, trainer.augment_rng
        n, d = self.x.shape
        self.n_batches = math.ceil(n / self.bs)
        whole_set = self.bs == n and self.augment is None
        opt = net.spec["optimizer"]
        decay = bool(opt.get("weight_decay"))

        self.params, self.grads = net.params.copy(), np.zeros_like(net.grads)
        self.kernels = _kernels(net, self.params, self.grads)
        first, layer0 = self.kernels[0], net.layers[0]
        self.first_trainable = next((i for i, l in enumerate(net.layers) if l.param_count), 0)
        self.fused = net.fused_output

        # Deferred first-layer updates: the update then covers the other parameters only.
        blocks = 0 if whole_set or not options.deferred else \
            block_batches(net, self.bs, self.augment is not None)
        self.deferred = DeferredFirstLayer(first, self.x, self.y, self.bs, blocks) if blocks else None
        self.rest = slice(first.W.size if blocks else 0, None)
        self.optimizer = trainer.optimizer  # its running averages and step count go on here
        self.state = self.optimizer.state()

        # Input spans, with the inputs reordered to make them narrower.
        spans = (options.spans and not blocks and self.augment is None and layer0.kind == "dense"
                 and self.bs * layer0.input_size * layer0.output_size >= SPAN_MIN_MACS)
        self.inputs = None
        if spans and options.input_order and not whole_set:
            try:
                self.inputs = ByteInputs.of(self.x)
            except MemoryError:  # the reordered copy only saves time
                self.inputs = None
        if self.inputs is not None:
            self.inverse = np.argsort(self.inputs.order)
            for arr in (first.W, *self._first_rows(self.state)):
                arr[...] = arr[self.inputs.order]
        self.update = make_update(opt, self.params[self.rest].size, net.dtype,
                                  [] if blocks else net.decay_slices, options.two_threads,
                                  {k: v[self.rest] for k, v in self.state.items()},
                                  self.optimizer.t)
        if self.inputs is not None and not decay:  # the weights of always-blank inputs never change
            self.update.fixed = self.inputs.blank * layer0.output_size
        self.spans = column_spans(self.x if self.inputs is None else self.inputs.codes) \
            if spans else None

        self._buffers = [np.empty((self.bs, d), net.dtype) for _ in range(2)] if not whole_set else []
        self._delta = None
        self._span = None  # the span of the batch just handed out
        self._fetch_next = None  # gathers the batch after it
        self._dirty = False  # steps taken since the last publish
        self._published_at = time.perf_counter()

    # --- batches -------------------------------------------------------------------

    def batches(self, order):
        """The trainer's batches (x, y) in ``order``; the weights are published at the end."""
        if order is None:
            self._span = batch_spans(self.spans, None, self.bs, self.x.shape[1])[0] \
                if self.spans is not None else None
            yield self.x, self.y
        elif self.deferred is not None:
            yield from self.deferred.batches(order, self.n_batches)
        elif self.augment is not None:
            for b in range(self.n_batches):
                yield self._augmented(order, b)
        else:
            spans = batch_spans(self.spans, order, self.bs, self.x.shape[1]) \
                if self.spans is not None else [None] * self.n_batches
            fetched = {}

            def fetch(b):
                fetched[b] = self._gather(order, b)

            for b in range(self.n_batches):
                batch = fetched.pop(b, None) or self._gather(order, b)
                self._span = spans[b]
                # The update gathers the next batch while its second thread finishes.
                self._fetch_next = (lambda b=b + 1: fetch(b)) if b + 1 < self.n_batches else None
                yield batch
            self._fetch_next = None
        self.publish()

    def _gather(self, order, b):
        idx = order[b * self.bs:(b + 1) * self.bs]
        buffer = self._buffers[b % 2]
        if self.inputs is not None:
            return self.inputs.take(idx, buffer), self.y[idx]
        # mode="clip" skips the bounds check (the indices are a permutation) and with it
        # the copy through a temporary that np.take makes for out= in the default mode.
        return np.take(self.x, idx, axis=0, out=buffer[:len(idx)], mode="clip"), self.y[idx]

    def _augmented(self, order, b):
        x, y = self._gather(order, b)
        return np.asarray(self.augment(x, self.augment_rng), self.net.dtype), y

    # --- one step ------------------------------------------------------------------

    def step(self, x, y, lr):
        """Forward, loss, backward and update on one batch, as the core's ``Trainer._step``."""
        kernels, last = self.kernels, len(self.kernels) - 1
        span, self._span = self._span, None
        a = (self.deferred or kernels[0]).forward(x, span)
        for kernel in kernels[1:]:
            a = kernel.forward(a)
        out = a
        if self._delta is None or self._delta.shape != out.shape:
            self._delta = np.empty_like(out)
        loss, grad = loss_and_delta(self.net.loss, out, kernels[-1].z, y, self._delta)
        for i in range(last, 0, -1):
            grad = kernels[i].backward(grad, i > self.first_trainable, self.fused and i == last)
        (self.deferred or kernels[0]).backward(grad, False, self.fused and last == 0)
        fetch_next, self._fetch_next = self._fetch_next, None
        self.update.step(self.params[self.rest], self.grads[self.rest], lr, fetch_next)
        if self.deferred is not None:
            self.deferred.commit(lr)
        self._dirty = True
        if time.perf_counter() - self._published_at >= self.options.publish_seconds:
            self.publish()
        return loss, out

    # --- the network's view --------------------------------------------------------

    def publish(self) -> None:
        """Copy the plan's weights and last gradients into the network, in its layout. A
        reordered first layer goes straight into the network's rows in their own order, so
        that a reader on another thread never sees it in the plan's."""
        if not self._dirty:
            return
        net, first = self.net, self.kernels[0]
        if self.deferred is not None:
            self.deferred.settle()
        lead = first.W.size if self.inputs is not None else 0
        np.copyto(net.params[lead:], self.params[lead:])
        np.copyto(net.grads[lead:], self.grads[lead:])
        if lead:
            layer = net.layers[0]
            np.take(first.W, self.inverse, axis=0, out=layer.W, mode="clip")
            np.take(first.dW, self.inverse, axis=0, out=layer.dW, mode="clip")
        self._dirty = False
        self._published_at = time.perf_counter()

    def _first_rows(self, state: dict) -> list:
        """The first layer's weight rows in each of the optimizer's running averages."""
        shape = self.kernels[0].W.shape
        return [arr[:shape[0] * shape[1]].reshape(shape) for arr in state.values()]

    def release(self) -> None:
        """Publish, and hand the optimizer's state back in the network's layout."""
        self.publish()
        self.optimizer.t = self.update.t
        if self.inputs is not None:
            for arr in self._first_rows(self.state):
                arr[...] = arr[self.inverse]
        self.inputs = self.deferred = None
