"""``DepthwiseConv1D``, ``DepthwiseConv2D``: each channel convolved with its own filters."""

from __future__ import annotations

from lamina import constraints, initializers, ops, regularizers
from lamina.layers.convolutional.base_conv import BaseConv

__all__ = ["DepthwiseConv1D", "DepthwiseConv2D"]


class BaseDepthwiseConv(BaseConv):
    """Each input channel gets ``depth_multiplier`` filters of its own.

    The kernel is ``(*kernel_size, in_channels, depth_multiplier)``; output channel
    ``c * depth_multiplier + j`` is channel ``c`` with filter ``j`` (Keras's order).
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, depthwise_initializer, bias_initializer,
                         depthwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, bias_constraint, **kwargs)
        if isinstance(depth_multiplier, bool) or int(depth_multiplier) <= 0:
            raise ValueError(f"{type(self).__name__}: `depth_multiplier` must be a positive "
                             f"integer; got {depth_multiplier!r}.")
        self.depth_multiplier = int(depth_multiplier)

    def compute_output_shape(self, input_shape):
        channels = tuple(input_shape)[self._channel_axis()]
        self.filters = None if channels is None else channels * self.depth_multiplier
        try:
            return super().compute_output_shape(input_shape)
        finally:
            if not self.built:
                self.filters = None

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.bias = self.add_weight(
            name="bias", shape=(channels * self.depth_multiplier,),
            initializer=self.bias_initializer, regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
        ) if self.use_bias else None
        self.filters = channels * self.depth_multiplier
        self._channels = channels
        self.built = True

    def call(self, inputs):
        self.check_call_input(inputs)
        inputs, padding = self._pad_causal(inputs)
        outputs = ops.depthwise_conv(inputs, self.kernel, strides=self.strides, padding=padding,
                                     data_format=self.data_format,
                                     dilation_rate=self.dilation_rate)
        return self.activation(self.add_bias(outputs, self.filters))

    def get_config(self) -> dict:
        config_ = super(BaseConv, self).get_config()
        config_.update(
            depth_multiplier=self.depth_multiplier, **self._common_config(),
            depthwise_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            depthwise_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            depthwise_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config_


class DepthwiseConv1D(BaseDepthwiseConv):
    """Depthwise 1-D convolution over ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise 2-D convolution over images: each channel filtered on its own.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.DepthwiseConv2D(3, depth_multiplier=2)
        >>> layer(lamina.ops.ones((1, 5, 5, 3))).shape
        (1, 3, 3, 6)
    """

    rank = 2

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
