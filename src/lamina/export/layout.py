"""Keras's channels-last tensors and ONNX's channels-first operators: the Transposes between
them, and TensorFlow's ``"same"`` padding written as ONNX pads."""

from __future__ import annotations

from lamina.ops._conv import same_padding

__all__ = ["onnx_pads", "to_first", "to_last"]


def to_first(g, name: str, rank: int) -> str:
    """``(batch, *spatial, channels)`` to ``(batch, channels, *spatial)``."""
    return g.op("Transpose", [name], name="to_channels_first", perm=[0, rank - 1,
                                                                    *range(1, rank - 1)])


def to_last(g, name: str, rank: int) -> str:
    """``(batch, channels, *spatial)`` to ``(batch, *spatial, channels)``."""
    return g.op("Transpose", [name], name="to_channels_last", perm=[0, *range(2, rank), 1])


def spatial_of(layer, shape) -> tuple:
    """The spatial sizes of a Keras input shape in the layer's data format."""
    shape = tuple(shape)
    return shape[1:-1] if layer.data_format == "channels_last" else shape[2:]


def onnx_pads(padding: str, spatial, window, strides, dilation) -> dict:
    """The ONNX attributes of ``padding`` ("valid" or "same", TensorFlow's rule: the odd pixel
    goes at the end) for inputs of ``spatial`` sizes; an unknown size uses ``SAME_UPPER``,
    which is the same rule."""
    if padding == "valid":
        return {"pads": [0] * (2 * len(window))}
    if any(n is None for n in spatial):
        return {"auto_pad": "SAME_UPPER"}
    pairs = [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, window, strides, dilation)]
    return {"pads": [lo for lo, _ in pairs] + [hi for _, hi in pairs]}
