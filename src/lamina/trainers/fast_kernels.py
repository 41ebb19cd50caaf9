"""Fused kernels for layers beyond Dense/Activation/Flatten (registered with ``register_kernel``).

Each kernel repeats its layer's ``call`` on raw arrays (same NumPy calls, in
the same order, so the forward values are bit-identical to the tape path) and
writes its weight gradients straight into the flat gradient buffer. The noise
layers draw their random numbers through the layer's own ``draw_noise``, so
the fused and the generic step drop the same entries for the same seed.
"""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.layers.normalization import (
    BatchNormalization,
    batch_norm_backward,
    batch_norm_forward,
    batch_statistics,
    update_moving_statistics,
)
from lamina.layers.preprocessing import Normalization
from lamina.layers.regularization import (
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from lamina.trainers.fast_path import _Kernel, register_kernel

__all__ = ["BatchNormalizationKernel", "DropoutKernel", "NoiseKernel", "NormalizationKernel"]


def _no_activity_regularizer(layer) -> bool:
    return layer.activity_regularizer is None


@register_kernel(SpatialDropout3D)
@register_kernel(SpatialDropout2D)
@register_kernel(SpatialDropout1D)
@register_kernel(GaussianDropout)
@register_kernel(Dropout)
class DropoutKernel(_Kernel):
    """``Dropout``, spatial dropouts and ``GaussianDropout``: multiply by the layer's noise."""

    supports = staticmethod(_no_activity_regularizer)

    def forward(self, x, training):
        if not self.layer.is_active(training):
            self.noise = None
            return x
        self.noise = self.layer.draw_noise(x.shape, x.dtype)
        return np.multiply(x, self.noise)

    def backward(self, g, need_dx):
        if not need_dx:
            return None
        return g if self.noise is None else g * self.noise


@register_kernel(AlphaDropout)
@register_kernel(GaussianNoise)
class NoiseKernel(_Kernel):
    """``GaussianNoise`` (``x + noise``) and ``AlphaDropout`` (``x * a + b``)."""

    supports = staticmethod(_no_activity_regularizer)

    def forward(self, x, training):
        self.multiplier = None
        if not self.layer.is_active(training):
            return x
        noise = self.layer.draw_noise(x.shape, x.dtype)
        if isinstance(noise, tuple):  # AlphaDropout: (multiplier, offset)
            self.multiplier, offset = noise
            return np.add(np.multiply(x, self.multiplier), offset)
        return np.add(x, noise)

    def backward(self, g, need_dx):
        if not need_dx:
            return None
        return g if self.multiplier is None else g * self.multiplier


@register_kernel(BatchNormalization)
class BatchNormalizationKernel(_Kernel):
    """Batch statistics and moving averages in forward, the closed-form gradient in backward.

    Uses the layer's own arithmetic (``batch_statistics``, ``batch_norm_forward``,
    ``batch_norm_backward``), so both training steps give bit-identical numbers.
    """

    def __init__(self, layer, grads):
        self.layer = layer
        self.g_gamma = grads.get(id(layer.gamma)) if layer.gamma is not None else None
        self.g_beta = grads.get(id(layer.beta)) if layer.beta is not None else None

    @staticmethod
    def supports(layer):
        return _no_activity_regularizer(layer) and layer.built and not layer.renorm

    def forward(self, x, training):
        layer = self.layer
        shape = layer.stats_shape(x.ndim)
        self.batch_stats = bool(training) and layer.trainable
        if self.batch_stats:
            mean, variance = batch_statistics(x, layer._reduction_axes)
            update_moving_statistics(layer, mean, variance)
        else:
            mean = layer.moving_mean.value.reshape(shape).copy()
            variance = layer.moving_variance.value.reshape(shape).copy()
        one, zero = layer.constant_parameters(x.dtype)
        gamma = one if layer.gamma is None else layer.gamma.value.reshape(shape)
        beta = zero if layer.beta is None else layer.beta.value.reshape(shape)
        out, self.rstd, self.inv = batch_norm_forward(x, mean, variance, gamma, beta,
                                                      layer.epsilon)
        self.x, self.mean = x, mean
        return out

    def backward(self, g, need_dx):
        dx, dgamma, dbeta = batch_norm_backward(
            g, self.x, self.mean, self.rstd, self.inv, self.layer._reduction_axes,
            self.batch_stats, need_dx)
        if self.g_beta is not None:
            self.g_beta[...] = dbeta.reshape(self.g_beta.shape)
        if self.g_gamma is not None:
            self.g_gamma[...] = dgamma.reshape(self.g_gamma.shape)
        return dx


@register_kernel(Normalization)
class NormalizationKernel(_Kernel):
    """``(x - mean) / max(sqrt(variance), eps)`` (or its inverse) with the stored statistics."""

    @staticmethod
    def supports(layer):
        return _no_activity_regularizer(layer) and layer.built

    def forward(self, x, training):
        layer = self.layer
        mean, variance = layer._statistics()
        mean = getattr(mean, "value", mean)
        variance = getattr(variance, "value", variance)
        self.denom = np.maximum(np.sqrt(variance), config.epsilon())
        if layer.invert:
            return np.add(mean, np.multiply(x, self.denom))
        return np.true_divide(np.subtract(x, mean), self.denom)

    def backward(self, g, need_dx):
        if not need_dx:
            return None
        if self.layer.invert:
            return g * self.denom
        return g / self.denom
