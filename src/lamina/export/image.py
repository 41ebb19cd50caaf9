"""Converters of the image preprocessing layers that act at inference: Resizing (bilinear and
nearest with TensorFlow's half-pixel sampling; ``crop_to_aspect_ratio`` and
``pad_to_aspect_ratio`` for images of known size), CenterCrop, and RandomCrop (which resizes
with the aspect ratio kept at inference)."""

from __future__ import annotations

from lamina.export.graph import ExportError
from lamina.export.layout import to_first, to_last
from lamina.export.registry import converter
from lamina.ops.image import _aspect_box


def _spatial(layer, x):
    axes = (1, 2) if layer.data_format == "channels_last" else (2, 3)
    return axes, x.shape[axes[0]], x.shape[axes[1]]


def _float(g, x):
    if x.dtype == g.dtype:
        return x.name
    return g.op("Cast", [x.name], to=g.helper.np_dtype_to_tensor_dtype(g.dtype))


def _known_size(layer, x, what):
    _, h, w = _spatial(layer, x)
    if h is None or w is None:
        raise ExportError(f"{type(layer).__name__} '{layer.name}': {what} exports for images "
                          f"of known size only; got input shape {x.shape}.")
    return h, w


def _crop(g, name, axes, top, left, height, width):
    return g.op("Slice", [name, g.ints([top, left], "starts"),
                          g.ints([top + height, left + width], "ends"), g.ints(axes, "axes")])


def _resize(g, layer, x, name, size, interpolation, crop=False, pad=False, fill=0.0):
    """``name`` (``x``'s values, in ``x``'s layout) resized to ``size``; the output name."""
    axes, h, w = _spatial(layer, x)
    if crop:
        h, w = _known_size(layer, x, "crop_to_aspect_ratio")
        box_h, box_w = _aspect_box(h, w, *size, grow=False)
        name = _crop(g, name, axes, int((h - box_h) / 2), int((w - box_w) / 2), box_h, box_w)
    elif pad:
        h, w = _known_size(layer, x, "pad_to_aspect_ratio")
        box_h, box_w = _aspect_box(h, w, *size, grow=True)
        top, left = int((box_h - h) / 2), int((box_w - w) / 2)
        if top or left:  # the same amount on both sides, as Keras pads
            begins, ends = [0] * 4, [0] * 4
            begins[axes[0]] = ends[axes[0]] = top
            begins[axes[1]] = ends[axes[1]] = left
            name = g.op("Pad", [name, g.ints(begins + ends, "pads"),
                                g.const(float(fill), "fill_value")], mode="constant")
    channels_last = layer.data_format == "channels_last"
    if channels_last:
        name = to_first(g, name, 4)
    sizes = g.op("Concat", [g.op("Slice", [g.op("Shape", [name]), g.ints([0], "starts"),
                                           g.ints([2], "ends")]),
                            g.ints(list(size), "size")], axis=0)
    if interpolation == "bilinear":
        out = g.op("Resize", [name, "", "", sizes], mode="linear",
                   coordinate_transformation_mode="half_pixel")
    else:
        # TensorFlow's nearest neighbour reads pixel floor((i + 0.5) * in / out).
        out = g.op("Resize", [name, "", "", sizes], mode="nearest",
                   coordinate_transformation_mode="tf_half_pixel_for_nn", nearest_mode="floor")
    return to_last(g, out, 4) if channels_last else out


@converter("Resizing")
def resizing(g, layer, inputs):
    (x,) = inputs
    if x.dtype.kind != "f":
        raise ExportError(f"Resizing '{layer.name}' exports for float images only; got "
                          f"{x.dtype} inputs. Cast them first (an Input of dtype float32).")
    return _resize(g, layer, x, x.name, (layer.height, layer.width), layer.interpolation,
                   crop=layer.crop_to_aspect_ratio, pad=layer.pad_to_aspect_ratio,
                   fill=layer.fill_value)


@converter("CenterCrop")
def center_crop(g, layer, inputs):
    (x,) = inputs
    axes, _, _ = _spatial(layer, x)
    h, w = _known_size(layer, x, "CenterCrop")
    size = (layer.height, layer.width)
    if h >= layer.height and w >= layer.width:
        return _crop(g, _float(g, x), axes, (h - layer.height) // 2, (w - layer.width) // 2,
                     *size)
    return _resize(g, layer, x, _float(g, x), size, "bilinear", crop=True)


@converter("RandomCrop")
def random_crop(g, layer, inputs):
    # At inference (predict), RandomCrop resizes to its size with the aspect ratio kept.
    (x,) = inputs
    return _resize(g, layer, x, _float(g, x), (layer.height, layer.width), "bilinear",
                   crop=True)
