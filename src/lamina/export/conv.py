"""Converters of the convolution layers: Conv1D/2D/3D (groups, dilation, causal padding),
DepthwiseConv1D/2D, SeparableConv1D/2D and Conv1D/2D/3DTranspose.

The input is transposed to channels first, convolved by ONNX's ``Conv`` or ``ConvTranspose``
(Keras's kernel ``(*window, in, out)`` becomes ONNX's ``(out, in, *window)``), transposed
back, and the layer's activation applied.
"""

from __future__ import annotations

import numpy as np

from lamina.export.activations import activation
from lamina.export.core import weight
from lamina.export.graph import ExportError, Value
from lamina.export.layout import onnx_pads, spatial_of, to_first, to_last
from lamina.export.registry import converter
from lamina.ops._conv import same_padding


def _onnx_kernel(kernel: np.ndarray) -> np.ndarray:
    """``(*window, a, b)`` to ``(b, a, *window)``."""
    r = kernel.ndim - 2
    return np.transpose(kernel, (r + 1, r, *range(r)))


def _channels_first_input(g, layer, x):
    """The input in ONNX's layout, with causal padding applied; the padding mode left."""
    name, padding = x.name, layer.padding
    if padding == "causal":
        left = (layer.kernel_size[0] - 1) * layer.dilation_rate[0]
        begins = [0, left, 0] if layer.data_format == "channels_last" else [0, 0, left]
        name = g.op("Pad", [name, g.ints(begins + [0, 0, 0], "causal_pads")], mode="constant")
        padding = "valid"
    if layer.data_format == "channels_last":
        name = to_first(g, name, x.rank)
    return name, padding


def _finish(g, layer, x, y):
    if layer.data_format == "channels_last":
        y = to_last(g, y, x.rank)
    shape = layer.compute_output_shape(x.shape)  # (the last axis's size, for sparsemax)
    return activation(g, layer, layer.activation, Value(y, shape, g.dtype))


def _attrs(layer, x, padding):
    return dict(strides=list(layer.strides), dilations=list(layer.dilation_rate),
                kernel_shape=list(layer.kernel_size),
                **onnx_pads(padding, spatial_of(layer, x.shape), layer.kernel_size,
                            layer.strides, layer.dilation_rate))


def _bias(g, layer):
    return [g.const(weight(layer, "bias", g.dtype), "bias")] if layer.bias is not None else []


@converter("Conv1D", "Conv2D", "Conv3D")
def conv(g, layer, inputs):
    (x,) = inputs
    name, padding = _channels_first_input(g, layer, x)
    kernel = g.const(_onnx_kernel(weight(layer, "kernel", g.dtype)), "kernel")
    y = g.op("Conv", [name, kernel, *_bias(g, layer)], group=layer.groups,
             **_attrs(layer, x, padding))
    return _finish(g, layer, x, y)


def _depthwise_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras's ``(*window, channels, multiplier)`` to ONNX's ``(channels * multiplier, 1,
    *window)``: output channel ``c * multiplier + m``, as TensorFlow orders them."""
    window = kernel.shape[:-2]
    flat = kernel.reshape(*window, -1)
    return np.transpose(flat, (len(window), *range(len(window))))[:, None]


@converter("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise_conv(g, layer, inputs):
    (x,) = inputs
    name, padding = _channels_first_input(g, layer, x)
    kernel = g.const(_depthwise_kernel(weight(layer, "kernel", g.dtype)), "kernel")
    y = g.op("Conv", [name, kernel, *_bias(g, layer)], group=layer._channels,
             **_attrs(layer, x, padding))
    return _finish(g, layer, x, y)


@converter("SeparableConv1D", "SeparableConv2D")
def separable_conv(g, layer, inputs):
    (x,) = inputs
    name, padding = _channels_first_input(g, layer, x)
    depthwise = g.const(_depthwise_kernel(weight(layer, "depthwise_kernel", g.dtype)),
                        "depthwise_kernel")
    y = g.op("Conv", [name, depthwise], name="depthwise", group=layer._channels,
             **_attrs(layer, x, padding))
    pointwise = g.const(_onnx_kernel(weight(layer, "pointwise_kernel", g.dtype)),
                        "pointwise_kernel")
    ones = [1] * layer.rank
    y = g.op("Conv", [y, pointwise, *_bias(g, layer)], name="pointwise", strides=ones,
             dilations=ones, kernel_shape=ones, pads=[0] * (2 * layer.rank))
    return _finish(g, layer, x, y)


@converter("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
def conv_transpose(g, layer, inputs):
    (x,) = inputs
    spatial = spatial_of(layer, x.shape)
    if any(n is None for n in spatial):
        raise ExportError(
            f"{type(layer).__name__} '{layer.name}' exports for inputs of known spatial size "
            f"only; got input shape {x.shape}. Give keras.Input its full shape.")
    out_spatial = spatial_of(layer, layer.compute_output_shape(x.shape))
    begins, ends, extra = [], [], []
    for n, m, k, s, d in zip(spatial, out_spatial, layer.kernel_size, layer.strides,
                             layer.dilation_rate):
        span = (k - 1) * d + 1
        # lamina's output is the input gradient of a convolution of an (m)-sized input with
        # TensorFlow's padding (lo, hi); ONNX crops lo at the start and the rest at the end.
        lo = 0 if layer.padding == "valid" else same_padding(m, k, s, d)[0]
        full = (n - 1) * s + span
        hi = max(full - lo - m, 0)
        begins.append(lo)
        ends.append(hi)
        extra.append(m - (full - lo - hi))
    name = to_first(g, x.name, x.rank) if layer.data_format == "channels_last" else x.name
    kernel = g.const(_onnx_kernel(weight(layer, "kernel", g.dtype)), "kernel")
    y = g.op("ConvTranspose", [name, kernel, *_bias(g, layer)], strides=list(layer.strides),
             dilations=list(layer.dilation_rate), kernel_shape=list(layer.kernel_size),
             pads=begins + ends, output_padding=extra)
    return _finish(g, layer, x, y)
