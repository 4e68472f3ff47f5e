"""Batch normalisation written out in NumPy (Q6), following Keras' conventions.

Training mode, over every axis but the last (the features or channels):

    mu = mean(x),  var = mean((x - mu)^2)            (the biased variance)
    x_hat = (x - mu) / sqrt(var + eps)
    y = gamma * x_hat + beta
    running_mean <- momentum * running_mean + (1 - momentum) * mu
    running_var  <- momentum * running_var  + (1 - momentum) * var

Inference mode uses the running statistics instead of the batch's. Keras'
defaults are momentum 0.99 and eps 0.001.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class BatchNorm:
    gamma: np.ndarray
    beta: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray
    momentum: float = 0.99
    eps: float = 1e-3

    @classmethod
    def fresh(cls, features: int, momentum: float = 0.99, eps: float = 1e-3) -> BatchNorm:
        """Keras' initial state: gamma 1, beta 0, running mean 0, running variance 1."""
        return cls(
            np.ones(features),
            np.zeros(features),
            np.zeros(features),
            np.ones(features),
            momentum,
            eps,
        )

    def forward_train(self, x: np.ndarray):
        """Normalise with the batch's statistics, update the running ones; return (y, cache)."""
        axes = tuple(range(x.ndim - 1))
        mu = x.mean(axis=axes)
        var = x.var(axis=axes)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mu) * inv_std
        y = self.gamma * x_hat + self.beta
        self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
        self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        return y, (x_hat, inv_std, axes)

    def forward_inference(self, x: np.ndarray) -> np.ndarray:
        return (
            self.gamma * (x - self.running_mean) / np.sqrt(self.running_var + self.eps) + self.beta
        )

    def backward(self, dy: np.ndarray, cache):
        """Gradients (dx, dgamma, dbeta) of the training-mode forward pass, given dL/dy."""
        x_hat, inv_std, axes = cache
        n = np.prod([dy.shape[a] for a in axes])
        dbeta = dy.sum(axis=axes)
        dgamma = (dy * x_hat).sum(axis=axes)
        dx_hat = dy * self.gamma
        dx = (inv_std / n) * (
            n * dx_hat - dx_hat.sum(axis=axes) - x_hat * (dx_hat * x_hat).sum(axis=axes)
        )
        return dx, dgamma, dbeta


def normalise_without_eps(x: np.ndarray) -> np.ndarray:
    """(x - mu) / sqrt(var): what the division gives when epsilon is left out."""
    axes = tuple(range(x.ndim - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes))


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of the scalar function f at x."""
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f(x)
        flat[i] = old - h
        minus = f(x)
        flat[i] = old
        out[i] = (plus - minus) / (2 * h)
    return grad


def fold_into_dense(kernel, bias, bn: BatchNorm):
    """Fold inference-mode BN into the layer before it: one affine map instead of two."""
    scale = bn.gamma / np.sqrt(bn.running_var + bn.eps)
    bias = np.zeros(kernel.shape[-1]) if bias is None else bias
    return kernel * scale, (bias - bn.running_mean) * scale + bn.beta


def running_stats_drift(
    batch_size: int, steps: int, mean: float, std: float, seed: int, momentum=0.99
):
    """Feed batches of a known distribution; return where the running statistics end up."""
    rng = np.random.default_rng(seed)
    bn = BatchNorm.fresh(1, momentum=momentum)
    for _ in range(steps):
        bn.forward_train(rng.normal(mean, std, size=(batch_size, 1)))
    return float(bn.running_mean[0]), float(bn.running_var[0])
