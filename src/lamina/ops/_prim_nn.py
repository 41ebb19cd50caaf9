"""Fused neural-network primitives: batch normalization and the batch statistics it uses.

One forward and one backward function per op, so that the tape and a traced
step compute bit-identical numbers, and the statistics' gradient is exact in
one pass. Statistics and per-feature vectors are kept in "keepdims" shape,
broadcasting against ``x``.
"""

from __future__ import annotations

import numpy as np

from lamina.ops._table import _def, _no_gradient

__all__ = ["BATCH_MOMENTS", "BATCH_NORM", "batch_norm_backward", "batch_norm_forward",
           "batch_statistics"]


def batch_statistics(x: np.ndarray, axes: tuple):
    """Batch mean and biased variance (mean squared deviation, divided by n) over ``axes``."""
    mean = np.mean(x, axis=axes, keepdims=True)
    variance = np.mean(np.square(np.subtract(x, mean)), axis=axes, keepdims=True)
    return mean, variance


def batch_norm_forward(x, mean, variance, gamma, beta, epsilon):
    """``x * inv + (beta - mean * inv)`` with ``inv = gamma / sqrt(variance + epsilon)``.

    Keras's order of operations (``tf.nn.batch_normalization``). ``gamma`` and
    ``beta`` may be ``None``. Returns ``(out, rstd, inv)``.
    """
    rstd = np.reciprocal(np.sqrt(np.add(variance, epsilon)))
    inv = rstd if gamma is None else np.multiply(rstd, gamma)
    shift = np.multiply(mean, inv)
    shift = np.negative(shift) if beta is None else np.subtract(beta, shift)
    return np.add(np.multiply(x, inv), shift), rstd, inv


def batch_norm_backward(g, x, mean, rstd, inv, axes, batch_stats: bool, need_dx: bool = True):
    """Gradients ``(dx, dgamma, dbeta)`` of batch normalization for the output gradient ``g``.

    With ``xhat = (x - mean) * rstd``: ``dbeta = sum(g)``, ``dgamma = sum(g * xhat)``;
    with batch statistics ``dx = inv / n * (n * g - dbeta - xhat * dgamma)`` (the
    statistics depend on ``x``), with fixed statistics ``dx = g * inv``. Sums run
    over ``axes`` and keep their dimensions.
    """
    xhat = np.multiply(np.subtract(x, mean), rstd)
    dbeta = np.sum(g, axis=axes, keepdims=True)
    dgamma = np.sum(np.multiply(g, xhat), axis=axes, keepdims=True)
    if not need_dx:
        return None, dgamma, dbeta
    if not batch_stats:
        return np.multiply(g, inv), dgamma, dbeta
    n = x.size // inv.size
    dx = np.multiply(g, n)
    dx -= dbeta
    dx -= np.multiply(xhat, dgamma)
    dx *= inv / n
    return dx, dgamma, dbeta


def _bn_fwd(x, gamma, beta, mean, variance, *, epsilon, axes, batch_stats):
    out, rstd, inv = batch_norm_forward(x, mean, variance, gamma, beta, epsilon)
    return out, (x, mean, rstd, inv, axes, batch_stats, np.shape(gamma), np.shape(beta))


def _bn_vjp(g, saved, needs):
    # With batch statistics, dx includes their dependence on x: no gradient goes to them.
    x, mean, rstd, inv, axes, batch_stats, gamma_shape, beta_shape = saved
    dx, dgamma, dbeta = batch_norm_backward(g, x, mean, rstd, inv, axes, batch_stats, needs[0])
    return (dx, dgamma.reshape(gamma_shape) if needs[1] else None,
            dbeta.reshape(beta_shape) if needs[2] else None, None, None)


def _moments_fwd(x, axes):
    mean, variance = batch_statistics(x, axes)
    return np.stack([mean, variance]), None


# Fused batch normalization (for speed and so the statistics' gradient is exact in one pass),
# and the batch statistics it uses, stacked: [mean, variance] in "keepdims" shape.
BATCH_NORM = _def("batch_normalization", _bn_fwd, _bn_vjp)
BATCH_MOMENTS = _def("batch_moments", _moments_fwd, _no_gradient)
