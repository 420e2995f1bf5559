"""Plain SGD at small batch sizes, with the first layer's weight updates deferred.

At the batch sizes of the classic tutorials (10 samples) a training step is dominated by the
two products with the first layer's weights, ``x @ W`` and ``x.T @ dz``: skinny products that
run at a fraction of the machine's speed, followed by a pass over ``W`` for the update. With
plain SGD, after the batches ``s < j`` of a block the first layer's weights are

    W_j = W_0 - sum_{s<j} X_s^T D_s          (D_s: lr times the gradient at the layer's
                                              pre-activations for batch s)

so the pre-activations of batch ``j`` are

    X_j W_j = (X W_0)_j - sum_{s<j} (X X^T)_{js} D_s.

``DeferredFirstLayer`` computes ``X W_0`` and ``X X^T`` for a block of batches at once (two
well-shaped products), subtracts a small correction per batch, and applies the block's updates
with one product ``X^T D`` at its end. It is the same arithmetic as updating after every
batch (the same weights to about 1e-15 in float64), in a different order of summation, and
about twice as fast at batch size 10.

The plan brings the weights up to date (``settle``) whenever it publishes them to the network.
"""

from __future__ import annotations

import numpy as np

from .kernels import DenseKernel

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
            or first.kind != "dense" or len(net.layers) < 2
            or first.output_size < MIN_UNITS):
        return 0
    k = BLOCK_ROWS // max(batch_size, 1)
    return k if k >= 2 else 0


class DeferredFirstLayer:
    """Trains the first layer (``kernel``) by deferred updates; the plan updates the other
    parameters after every batch as usual."""

    def __init__(self, kernel: DenseKernel, x: np.ndarray, y: np.ndarray, batch_size: int,
                 blocks_of: int):
        self.kernel, self.x, self.y = kernel, x, y
        W = kernel.W
        self.batch_size, self.blocks_of = batch_size, blocks_of
        rows, dt, n_in, n_out = batch_size * blocks_of, W.dtype, W.shape[0], W.shape[1]
        self.X = np.empty((rows, n_in), dt)
        self.F = np.empty((rows, n_out), dt)  # X @ W at the block's start
        self.D = np.empty((rows, n_out), dt)  # scaled gradients at z
        self._gram = np.empty(rows * rows, dt)
        self._update = np.empty_like(W)
        self._ones = np.ones(batch_size, dt)
        # The last batch's rows, kept for its weight gradient when the block moves on.
        self._last_x = np.empty((batch_size, n_in), dt)
        self._last_d = np.empty((batch_size, n_out), dt)
        self._work: dict[int, tuple] = {}
        self.m = self.start = self.stop = self.done = self.base = 0
        self.stale = False
        self.G = self._gram[:0].reshape(0, 0)
        self._gradient_rows: tuple | None = None  # (x, lr * dz, lr) of the last batch

    # --- batches -------------------------------------------------------------------

    def batches(self, order: np.ndarray, n_batches: int):
        """(x, y) per batch in ``order``, gathered a block at a time."""
        bs, k = self.batch_size, self.blocks_of
        for first in range(0, n_batches, k):
            idx = order[first * bs:min(first + k, n_batches) * bs]
            self._begin(idx)
            for r0 in range(0, len(idx), bs):
                self.start, self.stop = r0, min(r0 + bs, len(idx))
                yield self.X[r0:self.stop], self.y[idx[r0:self.stop]]
        self.apply()

    def _begin(self, idx: np.ndarray) -> None:
        self.apply()
        if self._gradient_rows is not None:  # X and D are about to be overwritten
            x, dz, lr = self._gradient_rows
            n = len(x)
            np.copyto(self._last_x[:n], x)
            np.copyto(self._last_d[:n], dz)
            self._gradient_rows = (self._last_x[:n], self._last_d[:n], lr)
        m = self.m = len(idx)
        X = self.X[:m]
        np.take(self.x, idx, axis=0, out=X, mode="clip")
        np.dot(X, self.kernel.W, out=self.F[:m])
        self.G = self._gram[:m * m].reshape(m, m)
        np.dot(X, X.T, out=self.G)
        self.base = self.done = 0
        self.stale = False

    def commit(self, lr: float) -> None:
        """The plan has applied the current batch's other updates: count it in, its rows of
        D scaled by the learning rate ``lr``. A rate of exactly 0 has the batch's weight
        gradient taken now, before its rows are scaled to zero."""
        rows = slice(self.start, self.stop)
        if lr == 0.0:
            np.dot(self.X[rows].T, self.D[rows], out=self.kernel.dW)
            self._gradient_rows = None
        else:
            self._gradient_rows = (self.X[rows], self.D[rows], lr)
        self.D[rows] *= lr
        self.done = self.stop

    # --- the first layer's steps ---------------------------------------------------

    def _work_arrays(self, n: int, dtype):
        work = self._work.get(n)
        if work is None or work[0].dtype != dtype:
            z = np.empty((n, self.kernel.W.shape[1]), dtype)
            work = self._work[n] = (z, np.empty_like(z), np.empty_like(z))
        return work

    def forward(self, x, span=None):
        k, r0, r1, base = self.kernel, self.start, self.stop, self.base
        if self.stale:  # the weights moved mid-block (settle): redo X @ W from here on
            np.dot(self.X[base:self.m], k.W, out=self.F[base:self.m])
            self.stale = False
        z, a, _ = self._work_arrays(len(x), k.W.dtype)
        if r0 > base:
            np.dot(self.G[r0:r1, base:r0], self.D[base:r0], out=z)
            np.subtract(self.F[r0:r1], z, out=z)
        else:
            np.copyto(z, self.F[r0:r1])
        z += k.b
        k.x, k.z = x, z
        k.a = k.activation.forward(z, a)
        return k.a

    def backward(self, grad, input_grad=False, grad_is_dz=False):
        k = self.kernel
        _, _, tmp = self._work_arrays(len(grad), grad.dtype)
        dz = grad if grad_is_dz else k.activation.backward(grad, k.z, k.a, tmp)
        self.D[self.start:self.stop] = dz
        np.dot(self._ones[:len(dz)], dz, out=k.db)
        return None

    # --- applying the updates ------------------------------------------------------

    def apply(self) -> None:
        """Subtract the committed batches' updates from the first layer's weights."""
        b, e = self.base, self.done
        if e > b:
            np.dot(self.X[b:e].T, self.D[b:e], out=self._update)
            self.kernel.W -= self._update
            self.base = e
            self.stale = e < self.m

    def settle(self) -> None:
        """Bring the weights up to date, and the first layer's weight gradient too (the last
        batch's), for whoever reads them mid-training."""
        self.apply()
        if self._gradient_rows is not None:
            x, dz, lr = self._gradient_rows
            np.dot(x.T, dz, out=self.kernel.dW)
            self.kernel.dW /= lr
            self._gradient_rows = None
