"""Gradient cases of the convolution, pooling, padding, cropping and upsampling layers."""

import numpy as np
from layer_gradients import LayerCase

from lamina import layers

_RNG = np.random.default_rng(12)


def normal(*shape):
    return _RNG.standard_normal(shape)


def distinct(*shape):
    """Values without ties (max pooling's gradient is not defined at a tie)."""
    return _RNG.permutation(int(np.prod(shape))).reshape(shape) / 7.0


CASES = [
    LayerCase("Conv1D", lambda: layers.Conv1D(3, 3, strides=2, padding="same",
                                              activation="tanh"), normal(2, 7, 2)),
    LayerCase("Conv1D/causal_dilated", lambda: layers.Conv1D(2, 2, padding="causal",
                                                             dilation_rate=2),
              normal(2, 6, 2), covers=("Conv1D",)),
    LayerCase("Conv2D", lambda: layers.Conv2D(3, (3, 2), padding="same"), normal(2, 5, 4, 2)),
    LayerCase("Conv2D/groups_channels_first",
              lambda: layers.Conv2D(4, 3, groups=2, data_format="channels_first"),
              normal(1, 4, 5, 5), covers=("Conv2D",)),
    LayerCase("Conv3D", lambda: layers.Conv3D(2, 2, use_bias=False), normal(1, 3, 3, 3, 2)),
    LayerCase("Conv1DTranspose", lambda: layers.Conv1DTranspose(2, 3, strides=2),
              normal(2, 4, 3)),
    LayerCase("Conv2DTranspose", lambda: layers.Conv2DTranspose(2, 3, strides=2,
                                                                padding="same"),
              normal(1, 3, 3, 2)),
    LayerCase("Conv3DTranspose", lambda: layers.Conv3DTranspose(2, 2, strides=(1, 2, 1)),
              normal(1, 2, 2, 2, 2)),
    LayerCase("DepthwiseConv1D", lambda: layers.DepthwiseConv1D(3, depth_multiplier=2),
              normal(2, 6, 2)),
    LayerCase("DepthwiseConv2D", lambda: layers.DepthwiseConv2D(3, padding="same"),
              normal(1, 4, 4, 3)),
    LayerCase("SeparableConv1D", lambda: layers.SeparableConv1D(3, 3, depth_multiplier=2),
              normal(2, 6, 2)),
    LayerCase("SeparableConv2D", lambda: layers.SeparableConv2D(3, 3, padding="same"),
              normal(1, 4, 4, 2)),
    LayerCase("MaxPooling1D", layers.MaxPooling1D, distinct(2, 6, 2)),
    LayerCase("MaxPooling2D", lambda: layers.MaxPooling2D(3, strides=2, padding="same"),
              distinct(1, 5, 5, 2)),
    LayerCase("MaxPooling3D", layers.MaxPooling3D, distinct(1, 4, 4, 2, 1)),
    LayerCase("AveragePooling1D", lambda: layers.AveragePooling1D(3, strides=1),
              normal(2, 5, 2)),
    LayerCase("AveragePooling2D", lambda: layers.AveragePooling2D(2), normal(1, 4, 4, 2)),
    LayerCase("AveragePooling3D", lambda: layers.AveragePooling3D(2, padding="same"),
              normal(1, 3, 3, 3, 1)),
    LayerCase("GlobalMaxPooling1D", layers.GlobalMaxPooling1D, distinct(2, 5, 3)),
    LayerCase("GlobalMaxPooling2D", layers.GlobalMaxPooling2D, distinct(2, 3, 3, 2)),
    LayerCase("GlobalMaxPooling3D", lambda: layers.GlobalMaxPooling3D(keepdims=True),
              distinct(1, 2, 2, 2, 2)),
    LayerCase("GlobalAveragePooling1D", layers.GlobalAveragePooling1D, normal(2, 5, 3)),
    LayerCase("GlobalAveragePooling2D", layers.GlobalAveragePooling2D, normal(2, 3, 3, 2)),
    LayerCase("GlobalAveragePooling3D", layers.GlobalAveragePooling3D, normal(1, 2, 2, 2, 2)),
    LayerCase("ZeroPadding1D", lambda: layers.ZeroPadding1D((1, 2)), normal(2, 3, 2)),
    LayerCase("ZeroPadding2D", lambda: layers.ZeroPadding2D(((1, 0), (0, 2))),
              normal(1, 2, 3, 2)),
    LayerCase("ZeroPadding3D", layers.ZeroPadding3D, normal(1, 2, 2, 2, 1)),
    LayerCase("Cropping1D", layers.Cropping1D, normal(2, 5, 2)),
    LayerCase("Cropping2D", lambda: layers.Cropping2D(((1, 0), (1, 1))), normal(1, 4, 4, 2)),
    LayerCase("Cropping3D", layers.Cropping3D, normal(1, 3, 4, 3, 1)),
    LayerCase("UpSampling1D", lambda: layers.UpSampling1D(3), normal(2, 3, 2)),
    LayerCase("UpSampling2D", lambda: layers.UpSampling2D((2, 1)), normal(1, 2, 3, 2)),
    LayerCase("UpSampling3D", layers.UpSampling3D, normal(1, 2, 1, 2, 1)),
]
