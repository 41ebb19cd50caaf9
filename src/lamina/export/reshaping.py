"""Converters of the layers that move values without arithmetic: Flatten, Reshape, Permute,
RepeatVector, zero padding, cropping and upsampling (nearest and bilinear)."""

from __future__ import annotations

from lamina.export.layout import to_first, to_last
from lamina.export.registry import converter

_INT64_MAX = 2**63 - 1


@converter("Flatten")
def flatten(g, layer, inputs):
    (x,) = inputs
    name = x.name
    if layer.data_format == "channels_first" and x.rank > 2:
        name = g.op("Transpose", [name], perm=[0, *range(2, x.rank), 1])
    return g.op("Flatten", [name], axis=1)


@converter("Reshape")
def reshape(g, layer, inputs):
    (x,) = inputs
    # 0 copies the (dynamic) batch size from the input.
    return g.op("Reshape", [x.name, g.ints([0, *layer.target_shape], "shape")])


@converter("Permute")
def permute(g, layer, inputs):
    (x,) = inputs
    return g.op("Transpose", [x.name], perm=[0, *layer.dims])


@converter("RepeatVector")
def repeat_vector(g, layer, inputs):
    (x,) = inputs
    expanded = g.op("Unsqueeze", [x.name, g.ints([1], "axes")])
    return g.op("Tile", [expanded, g.ints([1, layer.n, 1], "repeats")])


def _spatial_axes(layer, rank):
    first = 1 if layer.data_format == "channels_last" else 2
    return list(range(first, first + rank))


@converter("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def zero_padding(g, layer, inputs):
    (x,) = inputs
    begins, ends = [0] * x.rank, [0] * x.rank
    for axis, (lo, hi) in zip(_spatial_axes(layer, layer.rank), layer.padding):
        begins[axis], ends[axis] = lo, hi
    return g.op("Pad", [x.name, g.ints(begins + ends, "pads")], mode="constant")


@converter("Cropping1D", "Cropping2D", "Cropping3D")
def cropping(g, layer, inputs):
    (x,) = inputs
    axes = _spatial_axes(layer, layer.rank)
    starts = [lo for lo, _ in layer.cropping]
    ends = [-hi if hi else _INT64_MAX for _, hi in layer.cropping]
    return g.op("Slice", [x.name, g.ints(starts, "starts"), g.ints(ends, "ends"),
                          g.ints(axes, "axes")])


@converter("UpSampling1D", "UpSampling2D", "UpSampling3D")
def upsampling(g, layer, inputs):
    (x,) = inputs
    channels_last = layer.data_format == "channels_last"
    name = to_first(g, x.name, x.rank) if channels_last else x.name
    scales = g.const([1.0, 1.0, *(float(s) for s in layer.size)], "scales", dtype="float32")
    if layer.interpolation == "bilinear":
        # TensorFlow's bilinear resize samples at (i + 0.5) / scale - 0.5: ONNX's half_pixel.
        out = g.op("Resize", [name, "", scales], mode="linear",
                   coordinate_transformation_mode="half_pixel")
    else:
        out = g.op("Resize", [name, "", scales], mode="nearest",
                   coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    return to_last(g, out, x.rank) if channels_last else out
