"""``Conv1D``, ``Conv2D``, ``Conv3D``: ``BaseConv`` of rank 1, 2 and 3."""

from __future__ import annotations

from lamina.layers.convolutional.base_conv import BaseConv

__all__ = ["Conv1D", "Conv2D", "Conv3D"]


class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)``; ``padding="causal"`` pads the start.

    Example:
        >>> import lamina
        >>> lamina.layers.Conv1D(4, 3)(lamina.ops.ones((2, 10, 3))).shape
        (2, 8, 4)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv2D(BaseConv):
    """2-D convolution over images ``(batch, height, width, channels)``.

    Args:
        filters: the number of output channels.
        kernel_size: an int or ``(height, width)``.
        strides, dilation_rate: an int or one per spatial dimension.
        padding: ``"valid"`` (no padding) or ``"same"`` (output size ``ceil(size / stride)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        groups: split the channels into groups convolved separately.
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as in ``Dense``.

    Example:
        >>> import lamina
        >>> lamina.layers.Conv2D(8, 3, padding="same")(lamina.ops.ones((1, 5, 5, 3))).shape
        (1, 5, 5, 8)
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv3D(BaseConv):
    """3-D convolution over volumes ``(batch, depth, height, width, channels)``."""

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)
