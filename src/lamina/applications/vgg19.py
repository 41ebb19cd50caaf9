"""VGG19 (Simonyan & Zisserman, 2014): VGG16 with four convolutions in the last three blocks.

Keras's architecture, layer names and weight files (``keras.applications.VGG19``);
``preprocess_input`` is the "caffe" mode (BGR, ImageNet means subtracted).

Example:
    >>> from lamina.applications import VGG19
    >>> VGG19(weights=None, include_top=False, input_shape=(32, 32, 3)).count_params()
    20024384
"""

from __future__ import annotations

from lamina.applications.imagenet_utils import decode_predictions
from lamina.applications.vgg16 import build_vgg, preprocess_input

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]

_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))  # (filters, convolutions)


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """VGG19 as Keras builds it (the arguments are VGG16's)."""
    return build_vgg("VGG19", _BLOCKS, include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)
