"""Convolution layers: ``Conv1D``-``3D``, their transposes, depthwise and separable ones."""

from lamina.layers.convolutional.conv import Conv1D, Conv2D, Conv3D
from lamina.layers.convolutional.conv_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
)
from lamina.layers.convolutional.depthwise_conv import DepthwiseConv1D, DepthwiseConv2D
from lamina.layers.convolutional.separable_conv import SeparableConv1D, SeparableConv2D

__all__ = ["Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
           "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]
