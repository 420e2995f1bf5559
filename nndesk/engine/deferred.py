"""Plain SGD at small batch sizes, with the first layer's weight updates deferred.

At the batch sizes of the classic tutorials (10 samples) a training step is dominated by the
two products with the first layer's weights, ``x @ W`` and ``x.T @ dz``: skinny products that
run at a fraction of the machine's speed, followed by a pass over ``W`` for the update. With
plain SGD, after the batches ``s < j`` of a block the first layer's weights are

    W_j = W_0 - sum_{s<j} X_s^T D_s          (D_s: the learning-rate-scaled gradient at
                                              the layer's pre-activations for batch s)

so the pre-activations of batch ``j`` are

    X_j W_j = (X W_0)_j - sum_{s<j} (X X^T)_{js} D_s.

``DeferredFirstLayer`` computes ``X W_0`` and ``X X^T`` for a block of batches at once (two
well-shaped products), subtracts a small correction per batch, and applies the block's updates
with one product ``X^T D`` at its end. It is the same arithmetic as updating after every
batch (the same weights to about 1e-15 in float64), in a different order of summation, and
about twice as fast at batch size 10.

The network's ``sync`` (called by ``named_weights``, ``get_weights``, ``forward``, ...)
applies the updates so far, so whatever reads the weights mid-block on the training thread
(the trainer's listeners) sees them up to date, and may change them. Other threads see the
weights as of the last block's end.
"""

from __future__ import annotations

import threading

import numpy as np

from .layers import Dense

BLOCK_ROWS = 80  # samples per block: of 2 to 8 batches of 10, 8 measured fastest
# X X^T costs BLOCK_ROWS / (2 * units) of the plain products more: at batch size 10, 784-30-10
# ran slower deferred (128 vs 108 us per batch), 784-60-10 faster (154 vs 178).
MIN_UNITS = BLOCK_ROWS // 2


def block_batches(net, batch_size: int, augmenting: bool) -> int:
    """Batches per block for training ``net`` at ``batch_size``, or 0 where deferring does
    not apply (not plain SGD, weight decay, augmentation, the first layer not dense) or would
    not pay (batches too big for a block of two, a first layer narrower than MIN_UNITS)."""
    optimizer = net.spec["optimizer"]
    first = net.layers[0]
    if (optimizer["name"] != "sgd" or optimizer.get("weight_decay") or augmenting
            or not isinstance(first, Dense) or len(net.layers) < 2
            or first.output_size < MIN_UNITS):
        return 0
    k = BLOCK_ROWS // max(batch_size, 1)
    return k if k >= 2 else 0


class DeferredFirstLayer:
    """Trains ``net``'s first layer by deferred updates while ``attached``; the trainer
    updates the other parameters (``rest``) after every batch as usual."""

    def __init__(self, net, x: np.ndarray, y: np.ndarray, batch_size: int, blocks_of: int):
        self.net, self.x, self.y = net, x, y
        self.layer = layer = net.layers[0]
        self.batch_size, self.blocks_of = batch_size, blocks_of
        rows, dt = batch_size * blocks_of, net.dtype
        self.X = np.empty((rows, layer.input_size), dt)
        self.F = np.empty((rows, layer.output_size), dt)  # X @ W at the block's start
        self.D = np.empty((rows, layer.output_size), dt)  # scaled gradients at z
        self._gram = np.empty(rows * rows, dt)
        self._update = np.empty_like(layer.W)
        self._ones = np.ones(batch_size, dt)
        # The last batch's rows, kept for its weight gradient when the block moves on.
        self._last_x = np.empty((batch_size, layer.input_size), dt)
        self._last_d = np.empty((batch_size, layer.output_size), dt)
        self._work: dict[int, tuple] = {}
        # The first layer's weight matrix leads the flat vector; everything after it
        # (its bias included) is updated after every batch.
        self.rest = slice(layer.W.size, None)
        self.m = self.start = self.stop = self.done = self.base = 0
        self.stale = False
        self.G = self._gram[:0].reshape(0, 0)
        self._current = None  # the current batch's inputs, as handed to the trainer
        self._external = False  # the step in progress is on other inputs (see forward)
        self._gradient_rows: tuple | None = None  # (x, dz) whose weight gradient is owed
        self._saved = None
        self._thread = None

    # --- wiring --------------------------------------------------------------------

    def attach(self) -> None:
        self._thread = threading.get_ident()
        self._saved = self.net.replace_first_layer(self.forward, self.backward, self.sync)

    def detach(self) -> None:
        """Apply what is pending and give the network back its own first layer."""
        self.sync()
        self.net.replace_first_layer(*self._saved)
        self._saved = None

    # --- batches -------------------------------------------------------------------

    def batches(self, order: np.ndarray, n_batches: int):
        """(x, y) per batch in ``order``, gathered a block at a time."""
        bs, k = self.batch_size, self.blocks_of
        for first in range(0, n_batches, k):
            idx = order[first * bs:min(first + k, n_batches) * bs]
            self._begin(idx)
            for r0 in range(0, len(idx), bs):
                self.start, self.stop = r0, min(r0 + bs, len(idx))
                self._current = self.X[r0:self.stop]
                yield self._current, self.y[idx[r0:self.stop]]
        self.apply()

    def _begin(self, idx: np.ndarray) -> None:
        self.apply()
        if self._gradient_rows is not None:  # X and D are about to be overwritten
            x, dz = self._gradient_rows
            n = len(x)
            np.copyto(self._last_x[:n], x)
            np.copyto(self._last_d[:n], dz)
            self._gradient_rows = (self._last_x[:n], self._last_d[:n])
        m = self.m = len(idx)
        X = self.X[:m]
        np.take(self.x, idx, axis=0, out=X, mode="clip")
        np.dot(X, self.layer.W, out=self.F[:m])
        self.G = self._gram[:m * m].reshape(m, m)
        np.dot(X, X.T, out=self.G)
        self.base = self.done = 0
        self.stale = False

    def commit(self, factor: float = 1.0) -> None:
        """The trainer has applied the current batch's other updates: count it in.
        ``factor``: the learning rate over the gradients' scale, 1 unless the optimizer
        could not fold the rate in (a rate of 0)."""
        if factor != 1.0:
            self.sync()  # the weight gradient as computed, before scaling the update
            self.D[self.start:self.stop] *= factor
        self.done = self.stop

    # --- the first layer's steps ---------------------------------------------------

    def _work_arrays(self, n: int, dtype):
        work = self._work.get(n)
        if work is None or work[0].dtype != dtype:
            z = np.empty((n, self.layer.output_size), dtype)
            work = self._work[n] = (z, np.empty_like(z), np.empty_like(z))
        return work

    def forward(self, x, training):
        if x is not self._current:  # a step on other inputs (a listener's): the plain way
            self.sync()
            self._external = True
            return self.layer.forward(x, training)
        self._external = False
        layer, r0, r1, base = self.layer, self.start, self.stop, self.base
        if self.stale:  # the weights moved mid-block (sync): redo X @ W from here on
            np.dot(self.X[base:self.m], layer.W, out=self.F[base:self.m])
            self.stale = False
        z, a, _ = self._work_arrays(len(x), layer.W.dtype)
        if r0 > base:
            np.dot(self.G[r0:r1, base:r0], self.D[base:r0], out=z)
            np.subtract(self.F[r0:r1], z, out=z)
        else:
            np.copyto(z, self.F[r0:r1])
        z += layer.b
        layer.x, layer.z = x, z
        layer.a = layer.activation.forward(z, a)
        return layer.a

    def backward(self, grad, need_input_grad=False, pre_activation=False):
        layer = self.layer
        if self._external:
            return layer.backward(grad, need_input_grad, pre_activation)
        _, _, tmp = self._work_arrays(len(grad), grad.dtype)
        dz = grad if pre_activation else layer.activation.backward(grad, layer.z, layer.a, tmp)
        rows = slice(self.start, self.stop)
        self.D[rows] = dz
        np.dot(self._ones[:len(dz)], dz, out=layer.db)
        self._gradient_rows = (self.X[rows], self.D[rows])
        return None

    # --- applying the updates ------------------------------------------------------

    def apply(self) -> None:
        """Subtract the committed batches' updates from the first layer's weights."""
        b, e = self.base, self.done
        if e > b:
            np.dot(self.X[b:e].T, self.D[b:e], out=self._update)
            self.layer.W -= self._update
            self.base = e
            self.stale = e < self.m

    def sync(self) -> None:
        """On the training thread: bring the weights up to date, and the first layer's
        weight gradient too (the last batch's), for whoever reads them mid-training; since
        they may change the weights, the block's cached products are redone afterwards."""
        if threading.get_ident() != self._thread:
            return
        if self._gradient_rows is not None:
            x, dz = self._gradient_rows
            np.dot(x.T, dz, out=self.layer.dW)
            self._gradient_rows = None
        self.apply()
        self.stale = self.base < self.m
