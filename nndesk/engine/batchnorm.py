"""Batch normalization (Ioffe & Szegedy), then an activation.

After a dense layer it normalizes each unit over the batch; after a convolution, each channel
over the batch and every position of the image. For one unit or channel with its m values x:

    training:   mu = mean(x);   var = mean((x - mu)^2)
                x_hat = (x - mu) / sqrt(var + eps);   y = gamma · x_hat + beta
                running_mean <- (1 - momentum) · running_mean + momentum · mu
                running_var  <- (1 - momentum) · running_var + momentum · var · m / (m - 1)
    inference:  x_hat = (x - running_mean) / sqrt(running_var + eps)
                dx = dy · gamma / sqrt(running_var + eps)    (a fixed scale per channel)
    backward:   dgamma = sum(dy · x_hat);   dbeta = sum(dy)
                dx = gamma / sqrt(var + eps) · (dy - mean(dy) - x_hat · mean(dy · x_hat))
    then        a = f(y)

The running statistics follow PyTorch's ``BatchNorm1d``/``BatchNorm2d`` (unbiased variance in
the running average) so that a saved model gives PyTorch's outputs.
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS
from .layers import Layer


class BatchNorm(Layer):
    kind = "batchnorm"

    def __init__(self, config):
        super().__init__(config)
        self.momentum = float(config.get("momentum", 0.1))
        self.eps = float(config.get("epsilon", 1e-5))
        self.activation = ACTIVATIONS[config.get("activation", "linear")]
        self.y = self.a = None

    def build(self, input_shape):
        self.input_shape = self.output_shape = tuple(input_shape)
        channels = self.input_shape[0]
        self.param_count = 2 * channels
        self.macs = 2 * self.input_size
        return self.output_shape

    def bind(self, params, grads, rng, default_initializer):
        c = self.input_shape[0]
        self.gamma, self.beta = params[:c], params[c:]
        self.dgamma, self.dbeta = grads[:c], grads[c:]
        self.gamma[...], self.beta[...] = 1.0, 0.0
        self.running_mean = np.zeros(c, params.dtype)
        self.running_var = np.ones(c, params.dtype)

    def _channels(self, x):
        """x as (N, C, positions): one channel's values are x[:, c, :]."""
        return x.reshape(len(x), self.input_shape[0], -1)

    def _scale(self, x_hat):
        return self.gamma[:, None] * x_hat + self.beta[:, None]

    def infer(self, x):
        x3 = self._channels(x)
        x_hat = (x3 - self.running_mean[:, None]) / np.sqrt(self.running_var[:, None] + self.eps)
        y = self._scale(x_hat).reshape(len(x), -1)
        return self.activation.forward(y), y

    def forward(self, x, training):
        if not training:
            return self.infer(x)[0]
        x3 = self._channels(x)
        m = x3.shape[0] * x3.shape[2]
        mu = x3.mean(axis=(0, 2))
        var = x3.var(axis=(0, 2))
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = (x3 - mu[:, None]) * self.inv_std[:, None]
        self.y = self._scale(self.x_hat).reshape(len(x), -1)
        self.a = self.activation.forward(self.y)
        unbiased = var * m / (m - 1) if m > 1 else var
        self.running_mean[...] = (1 - self.momentum) * self.running_mean + self.momentum * mu
        self.running_var[...] = (1 - self.momentum) * self.running_var + self.momentum * unbiased
        return self.a

    def backward(self, grad, input_grad=True, grad_is_dz=False):
        dy = grad if grad_is_dz else self.activation.backward(grad, self.y, self.a)
        dy = self._channels(dy)
        self.dgamma[...] = (dy * self.x_hat).sum(axis=(0, 2))
        self.dbeta[...] = dy.sum(axis=(0, 2))
        if not input_grad:
            return None
        mean_dy = dy.mean(axis=(0, 2))[:, None]
        mean_dy_xhat = (dy * self.x_hat).mean(axis=(0, 2))[:, None]
        dx = (self.gamma * self.inv_std)[:, None] * (dy - mean_dy - self.x_hat * mean_dy_xhat)
        return dx.reshape(len(dx), -1)

    def input_gradient(self, x, dz):
        scale = self.gamma / np.sqrt(self.running_var + self.eps)
        return (self._channels(dz) * scale[:, None]).reshape(len(dz), -1)

    def weights(self):
        return {"weight": self.gamma, "bias": self.beta, "running_mean": self.running_mean,
                "running_var": self.running_var}

    def gradients(self):
        return {"weight": self.dgamma, "bias": self.dbeta}

    def buffers(self):
        return [self.running_mean, self.running_var]
