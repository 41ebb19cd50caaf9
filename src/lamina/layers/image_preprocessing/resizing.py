"""``Resizing`` and ``CenterCrop``: images to a fixed height and width, in training and inference."""

from __future__ import annotations

import numbers

import numpy as np

from lamina import ops
from lamina.layers.image_preprocessing.base import ImageLayer, check_choice
from lamina.ops import image as image_ops

__all__ = ["CenterCrop", "Resizing", "check_size"]


def check_size(layer_name: str, height, width) -> tuple:
    """``(height, width)`` as ints, or a ValueError naming the layer and the bad value."""
    for arg, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
            raise ValueError(
                f"The '{arg}' argument of {layer_name} must be a positive integer (pixels). Got "
                f"{arg}={value!r} instead.")
    return int(height), int(width)


def _replace_spatial(layer, input_shape):
    layer._check_images(input_shape)
    shape = list(input_shape)
    h, w = layer._axes(len(shape))
    shape[h], shape[w] = layer.height, layer.width
    return tuple(shape)


def _saturate_cast(x, dtype):
    info = np.iinfo(dtype)
    return ops.cast(ops.clip(ops.round(x), info.min, info.max), dtype)


class Resizing(ImageLayer):
    """Resizes images to ``(height, width)`` (TensorFlow's ``tf.image.resize`` numbers).

    Bilinear interpolation with half-pixel centres, as Keras computes it;
    ``"nearest"`` picks the pixel under each output pixel's centre. With
    ``crop_to_aspect_ratio=True`` the largest centred window with the target's
    aspect ratio is resized (no distortion); with ``pad_to_aspect_ratio=True``
    the short side is padded evenly with ``fill_value`` first. Integer images
    come back rounded, in their own dtype. Differentiable.

    Args:
        height, width: the output size in pixels.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        crop_to_aspect_ratio: crop to the target aspect ratio before resizing.
        pad_to_aspect_ratio: pad to the target aspect ratio before resizing.
        fill_mode: ``"constant"`` (the padding mode).
        fill_value: the padding value.
        antialias: only ``False`` is supported.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np, lamina
        >>> lamina.layers.Resizing(2, 3)(np.zeros((4, 8, 8, 3), "float32")).shape
        (4, 2, 3, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = check_size("Resizing", height, width)
        self.interpolation = check_choice("Resizing", "interpolation", interpolation,
                                          ("bilinear", "nearest"))
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise ValueError("Resizing: give crop_to_aspect_ratio=True or pad_to_aspect_ratio="
                             "True, not both.")
        self.fill_mode = check_choice("Resizing", "fill_mode", fill_mode, ("constant",))
        self.fill_value = fill_value
        if antialias:
            raise ValueError("Resizing: antialias=True is not supported by lamina; use "
                             "antialias=False (the default).")
        self.antialias = False

    def call(self, inputs):
        self._check_images(inputs.shape)
        out = image_ops.resize(
            inputs, (self.height, self.width), interpolation=self.interpolation,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
            fill_value=self.fill_value, data_format=self.data_format)
        if out.dtype != inputs.dtype and inputs.dtype.kind in "iu":
            return _saturate_cast(out, inputs.dtype)
        return out

    def compute_output_shape(self, input_shape):
        return _replace_spatial(self, input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            height=self.height, width=self.width, interpolation=self.interpolation,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
            fill_value=self.fill_value, antialias=self.antialias, data_format=self.data_format)
        return config


class CenterCrop(ImageLayer):
    """Crops the central ``(height, width)`` window of images, in training and inference.

    The window starts at ``((H - height) // 2, (W - width) // 2)``. An image
    smaller than the target on either side is instead resized like
    ``Resizing(height, width, crop_to_aspect_ratio=True)`` (the largest centred
    window with the target's aspect ratio, bilinear). Outputs are floats.

    Args:
        height, width: the output size in pixels.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np, lamina
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> lamina.layers.CenterCrop(2, 2)(x)[0, :, :, 0].numpy()
        array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = check_size("CenterCrop", height, width)

    def call(self, inputs):
        self._check_images(inputs.shape)
        x = self._float(inputs)
        h_axis, w_axis = self._axes(len(x.shape))
        h_diff, w_diff = x.shape[h_axis] - self.height, x.shape[w_axis] - self.width
        if h_diff >= 0 and w_diff >= 0:
            return image_ops.crop_images(
                x, top_cropping=h_diff // 2, left_cropping=w_diff // 2,
                target_height=self.height, target_width=self.width, data_format=self.data_format)
        return image_ops.resize(x, (self.height, self.width), crop_to_aspect_ratio=True,
                                data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        return _replace_spatial(self, input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(height=self.height, width=self.width, data_format=self.data_format)
        return config
