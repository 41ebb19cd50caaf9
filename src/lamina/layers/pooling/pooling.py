"""``MaxPooling1D``-``3D`` and ``AveragePooling1D``-``3D``: the max or the mean over each window."""

from __future__ import annotations

from lamina import ops
from lamina.layers.convolutional.base_conv import (
    check_output_size,
    check_spatial_input,
    conv_output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from lamina.layers.layer import Layer

__all__ = ["AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "MaxPooling1D",
           "MaxPooling2D", "MaxPooling3D"]


class BasePooling(Layer):
    """Pooling over ``rank`` spatial dimensions; ``strides`` default to ``pool_size``."""

    rank = 2
    mode = "max"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        cls = type(self).__name__
        self.pool_size = standardize_tuple(cls, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else standardize_tuple(
            cls, "strides", strides, self.rank)
        self.padding = standardize_padding(cls, padding)
        self.data_format = standardize_data_format(cls, data_format)

    def _spatial(self, shape):
        return shape[1:-1] if self.data_format == "channels_last" else shape[2:]

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        check_spatial_input(self, self.rank, self.data_format, shape)
        spatial = tuple(conv_output_length(n, k, s, self.padding) for n, k, s in
                        zip(self._spatial(shape), self.pool_size, self.strides))
        check_output_size(self, shape, spatial, self.pool_size, self.padding)
        if self.data_format == "channels_last":
            return (shape[0], *spatial, shape[-1])
        return (shape[0], shape[1], *spatial)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)  # the layout checks (traced once)
        pool = ops.max_pool if self.mode == "max" else ops.average_pool
        return pool(inputs, self.pool_size, strides=self.strides, padding=self.padding,
                    data_format=self.data_format)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(pool_size=list(self.pool_size), padding=self.padding,
                       strides=list(self.strides), data_format=self.data_format)
        return config_


class MaxPooling1D(BasePooling):
    """The maximum over windows of ``pool_size`` steps of ``(batch, steps, channels)``."""

    rank, mode = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling2D(BasePooling):
    """The maximum over each ``pool_size`` window of ``(batch, height, width, channels)``.

    Example:
        >>> import lamina
        >>> lamina.layers.MaxPooling2D()(lamina.ops.ones((1, 28, 28, 3))).shape
        (1, 14, 14, 3)
    """

    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling3D(BasePooling):
    """The maximum over each window of ``(batch, depth, height, width, channels)``."""

    rank, mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling1D(BasePooling):
    """The mean over windows of ``(batch, steps, channels)`` (padding does not count)."""

    rank, mode = 1, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling2D(BasePooling):
    """The mean over each ``pool_size`` window of ``(batch, height, width, channels)``."""

    rank, mode = 2, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling3D(BasePooling):
    """The mean over each window of ``(batch, depth, height, width, channels)``."""

    rank, mode = 3, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)
