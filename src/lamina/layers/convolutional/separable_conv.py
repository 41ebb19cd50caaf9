"""``SeparableConv1D``, ``SeparableConv2D``: a depthwise convolution, then a pointwise one."""

from __future__ import annotations

from lamina import constraints, initializers, ops, regularizers
from lamina.layers.convolutional.base_conv import BaseConv

__all__ = ["SeparableConv1D", "SeparableConv2D"]


class BaseSeparableConv(BaseConv):
    """A depthwise convolution (``depth_multiplier`` filters per channel) and a 1x1 one.

    Weights: ``depthwise_kernel`` ``(*kernel_size, in_channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, ..., in_channels * depth_multiplier, filters)``, ``bias``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, depthwise_initializer, bias_initializer,
                         depthwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, bias_constraint, **kwargs)
        if isinstance(depth_multiplier, bool) or int(depth_multiplier) <= 0:
            raise ValueError(f"{type(self).__name__}: `depth_multiplier` must be a positive "
                             f"integer; got {depth_multiplier!r}.")
        self.depth_multiplier = int(depth_multiplier)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self.bias = self.add_weight(
            name="bias", shape=(self.filters,), initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint,
        ) if self.use_bias else None
        self._channels = channels
        self.built = True

    def call(self, inputs):
        self.check_call_input(inputs)
        inputs, padding = self._pad_causal(inputs)
        outputs = ops.separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                     strides=self.strides, padding=padding,
                                     data_format=self.data_format,
                                     dilation_rate=self.dilation_rate)
        return self.activation(self.add_bias(outputs, self.filters))

    def get_config(self) -> dict:
        config_ = super(BaseConv, self).get_config()
        config_.update(
            depth_multiplier=self.depth_multiplier, filters=self.filters,
            **self._common_config(),
            depthwise_initializer=initializers.serialize(self.kernel_initializer),
            pointwise_initializer=initializers.serialize(self.pointwise_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            depthwise_regularizer=regularizers.serialize(self.kernel_regularizer),
            pointwise_regularizer=regularizers.serialize(self.pointwise_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            depthwise_constraint=constraints.serialize(self.kernel_constraint),
            pointwise_constraint=constraints.serialize(self.pointwise_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config_


class SeparableConv1D(BaseSeparableConv):
    """Depthwise-separable 1-D convolution over ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


class SeparableConv2D(BaseSeparableConv):
    """Depthwise-separable 2-D convolution: cheaper than ``Conv2D`` for the same filters.

    Example:
        >>> import lamina
        >>> lamina.layers.SeparableConv2D(8, 3)(lamina.ops.ones((1, 5, 5, 3))).shape
        (1, 3, 3, 8)
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)
