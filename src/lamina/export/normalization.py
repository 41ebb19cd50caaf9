"""Converters of the normalizations in inference form: BatchNormalization (its moving
statistics folded into one scale and one shift), LayerNormalization (``rms_scaling`` too),
UnitNormalization, and the preprocessing layers Normalization and Rescaling."""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.export.core import weight
from lamina.export.registry import converter


def _float_input(g, x):
    if x.dtype.kind == "f" and x.dtype == g.dtype:
        return x.name
    return g.op("Cast", [x.name], to=g.helper.np_dtype_to_tensor_dtype(g.dtype))


@converter("BatchNormalization")
def batch_normalization(g, layer, inputs):
    (x,) = inputs
    dtype = g.dtype
    shape = layer.stats_shape(x.rank)[1:]  # (no batch axis: it broadcasts)
    # The numbers lamina's batch-norm step computes: inv = gamma / sqrt(var + eps).
    variance = weight(layer, "moving_variance", dtype)
    inv = np.reciprocal(np.sqrt(np.add(variance, dtype.type(layer.epsilon))))
    if layer.gamma is not None:
        inv = np.multiply(inv, weight(layer, "gamma", dtype))
    shift = -np.multiply(weight(layer, "moving_mean", dtype), inv)
    if layer.beta is not None:
        shift = np.add(weight(layer, "beta", dtype), shift)
    out = g.op("Mul", [x.name, g.const(inv.reshape(shape), "scale")])
    return g.op("Add", [out, g.const(shift.reshape(shape), "shift")])


def _broadcast(layer, value, rank):
    shape = [1] * rank
    for axis, size in zip(layer._axes, value.shape):
        shape[axis] = size
    return value.reshape(shape[1:])


@converter("LayerNormalization")
def layer_normalization(g, layer, inputs):
    (x,) = inputs
    axes = g.ints(layer._axes, "axes")
    mean = g.op("ReduceMean", [x.name, axes], keepdims=1)
    centered = g.op("Sub", [x.name, mean])
    variance = g.op("ReduceMean", [g.op("Mul", [centered, centered]), axes], keepdims=1)
    inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, g.const(
        float(layer.epsilon), "epsilon")])])])
    gamma = None if layer.gamma is None else \
        g.const(_broadcast(layer, weight(layer, "gamma", g.dtype), x.rank), "gamma")
    if layer.rms_scaling:  # lamina (as Keras 3.15) scales by the variance, not the mean square
        out = g.op("Mul", [x.name, inv])
        return g.op("Mul", [out, gamma]) if gamma is not None else out
    out = g.op("Mul", [centered, inv])
    if gamma is not None:
        out = g.op("Mul", [out, gamma])
    if layer.beta is not None:
        beta = g.const(_broadcast(layer, weight(layer, "beta", g.dtype), x.rank), "beta")
        out = g.op("Add", [out, beta])
    return out


@converter("UnitNormalization")
def unit_normalization(g, layer, inputs):
    (x,) = inputs
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    axes = sorted(a % x.rank for a in axes)
    square_sum = g.op("ReduceSum", [g.op("Mul", [x.name, x.name]), g.ints(axes, "axes")],
                      keepdims=1)
    floor = g.const(1e-12 * 1e-12, "epsilon_squared")
    inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Max", [square_sum, floor])])])
    return g.op("Mul", [x.name, inv])


@converter("Normalization")
def normalization(g, layer, inputs):
    (x,) = inputs
    dtype = g.dtype
    mean, variance = (np.asarray(v, dtype=dtype) for v in layer._statistics())
    # The denominator lamina computes at every call, once here.
    denom = np.maximum(np.sqrt(variance), dtype.type(config.epsilon()))
    mean_c = g.const(mean.reshape(mean.shape[1:]) if mean.ndim == x.rank else mean, "mean")
    denom_c = g.const(denom.reshape(denom.shape[1:]) if denom.ndim == x.rank else denom,
                      "denominator")
    name = _float_input(g, x)
    if layer.invert:
        return g.op("Add", [mean_c, g.op("Mul", [name, denom_c])])
    return g.op("Div", [g.op("Sub", [name, mean_c]), denom_c])


@converter("Rescaling")
def rescaling(g, layer, inputs):
    (x,) = inputs
    dtype = g.dtype
    scale = np.asarray(layer.scale, dtype=dtype)
    offset = np.asarray(layer.offset, dtype=dtype)
    if scale.ndim and getattr(config, "image_data_format", lambda: "channels_last")() \
            == "channels_first":
        scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
    out = g.op("Mul", [_float_input(g, x), g.const(scale, "scale")])
    return g.op("Add", [out, g.const(offset, "offset")])
