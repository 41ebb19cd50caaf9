"""``Rescaling``: ``inputs * scale + offset``, e.g. pixel values from ``[0, 255]`` to ``[0, 1]``."""

from __future__ import annotations

import numbers

import numpy as np

from lamina import config, ops
from lamina.layers.layer import Layer

__all__ = ["Rescaling"]


def _serialize(value):
    """Keras's form: numbers as they are, arrays as ``__numpy__`` configs."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        arr = value
        return {"class_name": "__numpy__", "config": {"value": arr.tolist(), "dtype": arr.dtype.name}}
    return value


def _deserialize(value):
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        inner = value.get("config", {})
        return np.asarray(inner.get("value"), dtype=inner.get("dtype") or "float32")
    return value


class Rescaling(Layer):
    """Multiplies its inputs by ``scale`` and adds ``offset``, in training and inference alike.

    ``output = inputs * scale + offset``, computed in the layer's dtype
    (integer images become floats). ``scale=1/255`` maps ``[0, 255]`` to
    ``[0, 1]``; ``scale=1/127.5, offset=-1`` maps it to ``[-1, 1]``. ``scale``
    and ``offset`` may be per-channel arrays (with
    ``lamina.config.image_data_format() == "channels_first"`` a per-channel
    ``scale`` applies along the channel axis before height and width).

    Args:
        scale: a number or an array broadcast against the inputs.
        offset: a number or an array (default 0).

    Example:
        >>> import numpy as np, lamina
        >>> lamina.layers.Rescaling(1 / 127.5, offset=-1)(np.array([[0, 255]], "uint8")).numpy()
        array([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        for arg, value in (("scale", scale), ("offset", offset)):
            value = _deserialize(value)
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if not ok:
                try:
                    ok = np.asarray(value).dtype.kind in "biuf"
                except (TypeError, ValueError):
                    ok = False
            if not ok:
                raise ValueError(
                    f"The '{arg}' argument of Rescaling must be a number or an array of numbers "
                    f"(e.g. scale=1/255). Got {arg}={value!r} instead.")
        self.scale = _deserialize(scale)
        self.offset = _deserialize(offset)

    def call(self, inputs):
        dtype = self.compute_dtype
        scale = np.asarray(self.scale, dtype=dtype)
        offset = np.asarray(self.offset, dtype=dtype)
        data_format = getattr(config, "image_data_format", lambda: "channels_last")()
        if scale.ndim and data_format == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        x = inputs if inputs.dtype == np.dtype(dtype) else ops.cast(inputs, dtype)
        return ops.add(ops.multiply(x, scale), offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(scale=_serialize(self.scale), offset=_serialize(self.offset))
        return config_
