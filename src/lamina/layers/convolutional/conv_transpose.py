"""``Conv1DTranspose``, ``Conv2DTranspose``, ``Conv3DTranspose``: the transposed convolutions."""

from __future__ import annotations

from lamina import ops
from lamina.layers.convolutional.base_conv import BaseConv, check_spatial_input, standardize_tuple
from lamina.ops._conv import transposed_size

__all__ = ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"]


class BaseConvTranspose(BaseConv):
    """An N-D transposed convolution: each input position spreads over a window of the output.

    The kernel is ``(*kernel_size, filters, in_channels)``, as in Keras. The output
    size along a spatial dimension of size ``n`` is ``n * stride`` with
    ``padding="same"``, ``(n - 1) * stride + max(kernel, stride)`` with ``"valid"``,
    or fixed by ``output_padding``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)
        cls = type(self).__name__
        self.output_padding = None if output_padding is None else standardize_tuple(
            cls, "output_padding", output_padding, self.rank, allow_zero=True)
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"{cls}: each `output_padding` must be smaller than its stride; "
                             f"got output_padding={self.output_padding}, strides={self.strides}.")

    def compute_output_shape(self, input_shape):
        check_spatial_input(self, self.rank, self.data_format, input_shape)
        spatial = tuple(
            None if n is None else transposed_size(
                n, k, s, self.padding, None if self.output_padding is None else
                self.output_padding[i], d)
            for i, (n, k, s, d) in enumerate(zip(self._spatial(input_shape), self.kernel_size,
                                                 self.strides, self.dilation_rate)))
        return self._with_spatial(tuple(input_shape), spatial, self.filters)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (self.filters, channels),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.bias = self.add_weight(
            name="bias", shape=(self.filters,), initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint,
        ) if self.use_bias else None
        self._channels = channels
        self.built = True

    def call(self, inputs):
        self.check_call_input(inputs)
        outputs = ops.conv_transpose(inputs, self.kernel, strides=self.strides,
                                     padding=self.padding, output_padding=self.output_padding,
                                     data_format=self.data_format,
                                     dilation_rate=self.dilation_rate)
        return self.activation(self.add_bias(outputs, self.filters))

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.pop("groups")
        config_["output_padding"] = None if self.output_padding is None else \
            list(self.output_padding)
        return config_


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution over ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution (upsampling images).

    Example:
        >>> import lamina
        >>> layer = lamina.layers.Conv2DTranspose(4, 3, strides=2, padding="same")
        >>> layer(lamina.ops.ones((1, 5, 5, 2))).shape
        (1, 10, 10, 4)
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution over ``(batch, depth, height, width, channels)``."""

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
