"""Random geometric augmentation: ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``.

Each layer draws its parameters per image (as host steps), builds the
transforms ``[a0, a1, a2, b0, b1, b2, 0, 0]`` that map an output pixel to the
input point it reads (Keras's matrices, in float32) with ``lamina.ops``, and
resamples with ``lamina.ops.image.affine_transform``. Points that fall outside
the image are filled by ``fill_mode``: ``"reflect"`` (the default,
``dcba|abcd|dcba``), ``"wrap"`` (``abcd|abcd``), ``"nearest"`` (the border
pixel) or ``"constant"`` (``fill_value``). All three are active when called
with ``training=True`` (``fit``) or without the flag, and pass images through
(as floats) in ``predict``, ``evaluate`` and with ``training=False``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from lamina import ops
from lamina.layers.image_preprocessing.base import (
    ImageLayer,
    base_factor,
    check_choice,
    is_active,
)
from lamina.ops import image as image_ops

__all__ = ["RandomRotation", "RandomTranslation", "RandomZoom", "rotation_transform",
           "translation_transform", "zoom_transform"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def rotation_transform(angles, height: int, width: int):
    """``(n, 8)`` transforms turning images by ``angles`` degrees about their centre.

    Keras's ``_compute_affine_matrix`` with no shear, scale 1 and no shift:
    ``[cos, -sin, cx - cx cos + cy sin, sin, cos, cy - cx sin - cy cos, 0, 0]``
    with ``(cx, cy) = ((width - 1) / 2, (height - 1) / 2)``.
    """
    radians = ops.multiply(angles, np.float32(math.pi / 180.0))
    cos, sin = ops.cos(radians), ops.sin(radians)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    a1 = ops.negative(sin)
    a2 = ops.subtract(ops.subtract(cx, ops.multiply(cx, cos)), ops.multiply(cy, a1))
    b2 = ops.subtract(ops.subtract(cy, ops.multiply(cx, sin)), ops.multiply(cy, cos))
    zero = ops.zeros_like(cos)
    return ops.stack([cos, a1, a2, sin, cos, b2, zero, zero], axis=1)


def zoom_transform(width_zoom, height_zoom, height: int, width: int):
    """``(n, 8)`` transforms scaling the reading grid by ``(width_zoom, height_zoom)``
    (each ``(n, 1)``) about the centre: above 1 zooms out, below 1 zooms in."""
    x_offset = ops.multiply(np.float32((width - 1.0) / 2.0), ops.subtract(1.0, width_zoom))
    y_offset = ops.multiply(np.float32((height - 1.0) / 2.0), ops.subtract(1.0, height_zoom))
    zero = ops.zeros_like(width_zoom)
    return ops.concatenate([width_zoom, zero, x_offset, zero, height_zoom, y_offset, zero, zero],
                           axis=1)


def translation_transform(dx, dy):
    """``(n, 8)`` transforms moving images by ``dx`` pixels right and ``dy`` down (each ``(n, 1)``)."""
    zero, one = ops.zeros_like(dx), ops.ones_like(dx)
    return ops.concatenate([one, zero, ops.negative(dx), zero, one, ops.negative(dy), zero, zero],
                           axis=1)


def _range_factor(layer_name, arg, factor, low_open: bool) -> tuple:
    """Zoom's and translation's rule: a number ``f`` is ``(-|f|, |f|)``; a pair is sorted.

    Entries must lie in ``(-1, 1]`` (zoom, ``low_open``) or ``[-1, 1]``.
    """
    interval = "(-1, 1]" if low_open else "[-1, 1]"
    msg = (f"The '{arg}' argument of {layer_name} must be a number or a pair of numbers in "
           f"{interval}. Got {arg}={factor!r} instead.")
    values = list(factor) if isinstance(factor, (tuple, list)) else [factor]
    if len(values) not in (1, 2) or isinstance(factor, (tuple, list)) and len(values) != 2:
        raise ValueError(msg)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError(msg)
        if v > 1 or v < -1 or (low_open and v == -1):
            raise ValueError(msg)
    if len(values) == 2:
        lower, upper = sorted(values)
        return lower, upper
    return -abs(values[0]), abs(values[0])


class _RandomAffine(ImageLayer):
    """Shared arguments and resampling of the three layers (not exported)."""

    def _init_affine(self, fill_mode, interpolation, seed, fill_value) -> None:
        name = type(self).__name__
        self.fill_mode = check_choice(name, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = check_choice(name, "interpolation", interpolation, INTERPOLATIONS)
        self.fill_value = fill_value
        self._init_seed(seed)

    def _resample(self, x, transform):
        return image_ops.affine_transform(
            x, transform, interpolation=self.interpolation, fill_mode=self.fill_mode,
            fill_value=self.fill_value, data_format=self.data_format)

    def _sizes(self, x):
        rank = len(x.shape)
        h_axis, w_axis = self._axes(rank)
        return (x.shape[0] if rank == 4 else 1), x.shape[h_axis], x.shape[w_axis]


class RandomRotation(_RandomAffine):
    """Rotates each image by a random angle during training.

    The angle is drawn uniformly from ``[factor[0] * 360, factor[1] * 360]``
    degrees (a number ``f`` means ``(-f, f)``; positive angles turn
    counter-clockwise on screen), about the image centre.

    Args:
        factor: a fraction of a full turn, or a pair ``(lower, upper)``, in ``[-1, 1]``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: an integer for a generator of this layer's own, or ``None`` (lamina's global one).
        fill_value: the value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np, lamina
        >>> x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
        >>> quarter = lamina.layers.RandomRotation((0.25, 0.25), interpolation="nearest")
        >>> quarter(x)[0, :, :, 0].numpy()
        array([[2., 5., 8.],
               [1., 4., 7.],
               [0., 3., 6.]], dtype=float32)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = base_factor("RandomRotation", factor)
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def call(self, inputs, training=True):
        self._check_images(inputs.shape)
        x = self._float(inputs)
        if not is_active(training):
            return x
        n, height, width = self._sizes(x)
        angles = self._uniform((n,), self.factor[0] * 360.0, self.factor[1] * 360.0)
        return self._resample(x, rotation_transform(angles, height, width))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(factor=self.factor, data_format=self.data_format, fill_mode=self.fill_mode,
                      fill_value=self.fill_value, interpolation=self.interpolation,
                      seed=self.seed)
        return config


class RandomZoom(_RandomAffine):
    """Zooms each image in or out by a random factor during training.

    The reading grid is scaled about the centre by ``1 + h`` vertically, with
    ``h`` uniform in ``height_factor``'s range, and by ``1 + w`` horizontally
    (``w`` from ``width_factor``; ``None`` keeps the aspect ratio, ``w = h``).
    Positive values zoom out (the picture shrinks), negative values zoom in.

    Args:
        height_factor: a number ``f`` (range ``(-f, f)``) or a pair, in ``(-1, 1]``.
        width_factor: the same for the width, or ``None`` (follow the height).
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: an integer for a generator of this layer's own, or ``None``.
        fill_value: the value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.RandomZoom(0.2, seed=1)
        >>> layer(np.ones((2, 8, 8, 3), "float32")).shape
        (2, 8, 8, 3)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _range_factor(
            "RandomZoom", "height_factor", height_factor, low_open=True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _range_factor(
                "RandomZoom", "width_factor", width_factor, low_open=True)
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def call(self, inputs, training=True):
        self._check_images(inputs.shape)
        x = self._float(inputs)
        if not is_active(training):
            return x
        n, height, width = self._sizes(x)
        height_zoom = self._uniform((n, 1), 1.0 + self.height_lower, 1.0 + self.height_upper)
        width_zoom = height_zoom if self.width_factor is None else self._uniform(
            (n, 1), 1.0 + self.width_lower, 1.0 + self.width_upper)
        return self._resample(x, zoom_transform(width_zoom, height_zoom, height, width))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor,
                      fill_mode=self.fill_mode, interpolation=self.interpolation, seed=self.seed,
                      fill_value=self.fill_value, data_format=self.data_format)
        return config


class RandomTranslation(_RandomAffine):
    """Shifts each image by a random offset during training.

    The shift is ``dy = u * height`` pixels down with ``u`` uniform in
    ``height_factor``'s range and ``dx = v * width`` pixels right with ``v``
    from ``width_factor`` (a number ``f`` means ``(-f, f)``).

    Args:
        height_factor: a fraction of the height, or a pair ``(lower, upper)``, in ``[-1, 1]``.
        width_factor: a fraction of the width, or a pair, in ``[-1, 1]``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: an integer for a generator of this layer's own, or ``None``.
        fill_value: the value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np, lamina
        >>> x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
        >>> right = lamina.layers.RandomTranslation(0.0, (0.25, 0.25), fill_mode="constant")
        >>> right(x)[0, 0, :, 0].numpy()
        array([0., 0., 1., 2.], dtype=float32)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _range_factor(
            "RandomTranslation", "height_factor", height_factor, low_open=False)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _range_factor(
            "RandomTranslation", "width_factor", width_factor, low_open=False)
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def call(self, inputs, training=True):
        self._check_images(inputs.shape)
        x = self._float(inputs)
        if not is_active(training):
            return x
        n, height, width = self._sizes(x)
        dy = ops.multiply(self._uniform((n, 1), self.height_lower, self.height_upper), height)
        dx = ops.multiply(self._uniform((n, 1), self.width_lower, self.width_upper), width)
        return self._resample(x, translation_transform(dx, dy))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor,
                      fill_mode=self.fill_mode, interpolation=self.interpolation, seed=self.seed,
                      fill_value=self.fill_value, data_format=self.data_format)
        return config
