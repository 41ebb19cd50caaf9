"""Converters of the pooling layers: max and average pooling (1-3 D, "valid" and "same") and
the global poolings (``keepdims`` too)."""

from __future__ import annotations

from lamina.export.layout import onnx_pads, spatial_of, to_first, to_last
from lamina.export.registry import converter

_POOLS = ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
          "AveragePooling2D", "AveragePooling3D")


@converter(*_POOLS)
def pool(g, layer, inputs):
    (x,) = inputs
    channels_last = layer.data_format == "channels_last"
    name = to_first(g, x.name, x.rank) if channels_last else x.name
    attrs = dict(kernel_shape=list(layer.pool_size), strides=list(layer.strides),
                 **onnx_pads(layer.padding, spatial_of(layer, x.shape), layer.pool_size,
                             layer.strides, (1,) * layer.rank))
    if layer.mode == "max":
        y = g.op("MaxPool", [name], **attrs)
    else:
        # TensorFlow averages over the window's pixels inside the input only.
        y = g.op("AveragePool", [name], count_include_pad=0, **attrs)
    return to_last(g, y, x.rank) if channels_last else y


_GLOBAL = ("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D")


@converter(*_GLOBAL, masks=True)
def global_pool(g, layer, inputs):
    (x,) = inputs
    axes = g.ints(layer._axes(), "axes")
    keepdims = int(layer.keepdims)
    if x.mask is not None and layer.mode == "average" and layer.rank == 1:
        # The mean over the steps the mask keeps (the output carries no mask).
        weights = g.op("Cast", [x.mask], to=g.helper.np_dtype_to_tensor_dtype(g.dtype))
        weights = g.op("Unsqueeze", [weights, g.ints(
            [-1 if layer.data_format == "channels_last" else 1], "channel_axis")])
        total = g.op("ReduceSum", [g.op("Mul", [x.name, weights]), axes], keepdims=keepdims)
        return g.op("Div", [total, g.op("ReduceSum", [weights, axes], keepdims=keepdims)])
    op = "ReduceMax" if layer.mode == "max" else "ReduceMean"
    return g.op(op, [x.name, axes], keepdims=keepdims)
