"""Random colour augmentation: ``RandomContrast`` and ``RandomBrightness``.

Both draw one value per image (as host steps) and clip the result to
``value_range``. They are active when called with ``training=True`` (``fit``)
or without the flag, and return their inputs unchanged in ``predict``,
``evaluate`` and with ``training=False``, as Keras 3 does.
"""

from __future__ import annotations

from lamina import ops
from lamina.layers.image_preprocessing.base import ImageLayer, base_factor, is_active

__all__ = ["RandomBrightness", "RandomContrast"]


def _value_range(layer_name, value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            f"The 'value_range' argument of {layer_name} must be a pair (low, high), e.g. "
            f"(0, 255) or (0, 1). Got value_range={value_range!r} instead.")
    return value_range


class RandomContrast(ImageLayer):
    """Scales the contrast of each image by a random factor during training.

    ``output = clip((x - mean) * c + mean, *value_range)``, where ``mean`` is
    each image's per-channel mean over height and width and ``c`` is drawn
    uniformly from ``[1 - factor[0], 1 + factor[1]]``. As in Keras 3, a number
    ``f`` is stored as ``factor = (0, f)``, so ``c`` lies in ``[1, 1 + f]`` (more
    contrast only); pass the pair ``(f, f)`` for ``c`` in ``[1 - f, 1 + f]``.

    Args:
        factor: a number in ``[0, 1]`` or a pair ``(lower, upper)``.
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: an integer for a generator of this layer's own, or ``None``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.RandomContrast(0.5, seed=0)
        >>> x = np.array([[[[0.0], [100.0]]]], "float32")
        >>> layer(x, training=False)[0, 0, :, 0].numpy()
        array([  0., 100.], dtype=float32)
        >>> y = layer(x)[0, 0, :, 0].numpy()  # c in [1, 1.5]: the spread grows
        >>> bool(100 <= y[1] - y[0] <= 150)
        True
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = base_factor("RandomContrast", factor, bounds=(0, 1))
        self.value_range = _value_range("RandomContrast", value_range)
        self._init_seed(seed)

    def call(self, inputs, training=True):
        self._check_images(inputs.shape)
        if not is_active(training):
            return inputs
        x = self._float(inputs)
        rank = len(x.shape)
        h_axis, w_axis = self._axes(rank)
        shape = (x.shape[0], 1, 1, 1) if rank == 4 else (1, 1, 1)
        contrast = ops.cast(self._uniform(shape, 1.0 - self.factor[0], 1.0 + self.factor[1]),
                            x.dtype)
        mean = ops.mean(ops.mean(x, axis=h_axis, keepdims=True), axis=w_axis, keepdims=True)
        out = ops.add(ops.multiply(ops.subtract(x, mean), contrast), mean)
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomBrightness(ImageLayer):
    """Shifts the brightness of each image by a random amount during training.

    ``output = clip(x + d * (high - low), low, high)`` with ``(low, high) =
    value_range`` and ``d`` drawn uniformly from ``factor``'s range (a number
    ``f`` means ``(-f, f)``; ``f`` in ``[-1, 1]``), the same ``d`` for every
    pixel and channel of an image.

    Args:
        factor: a number or a pair ``(lower, upper)`` in ``[-1, 1]``.
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: an integer for a generator of this layer's own, or ``None``.

    Example:
        >>> import numpy as np, lamina
        >>> brighter = lamina.layers.RandomBrightness((0.1, 0.1), value_range=(0, 1))
        >>> brighter(np.array([[[[0.5], [0.95]]]], "float32"))[0, 0, :, 0].numpy()
        array([0.6, 1. ], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = base_factor("RandomBrightness", factor)
        self.value_range = sorted(_value_range("RandomBrightness", value_range))
        self._init_seed(seed)

    def call(self, inputs, training=True):
        self._check_images(inputs.shape)
        if not is_active(training):
            return inputs
        x = self._float(inputs)
        shape = (x.shape[0], 1, 1, 1) if len(x.shape) == 4 else (1, 1, 1)
        low, high = self.value_range
        delta = ops.multiply(self._uniform(shape, self.factor[0], self.factor[1]), high - low)
        out = ops.add(x, ops.cast(delta, x.dtype))
        return ops.clip(out, low, high)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config
