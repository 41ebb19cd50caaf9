"""``lamina.applications``: Keras's ImageNet architectures (``keras.applications``).

``MobileNetV2``, ``ResNet50``, ``VGG16``, ``VGG19`` and ``EfficientNetB0`` build the same
Functional models as Keras (layer names, weights, parameter counts), with
``weights=None`` for random weights or ``weights="imagenet"`` to read Keras's
pretrained weight files from Keras's cache (``~/.keras/models``; lamina does
not download). Each module has its ``preprocess_input`` and ``decode_predictions``.
Submodules load on first use.

Example:
    >>> from lamina import applications
    >>> model = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3))
    >>> model.name
    'mobilenetv2_0.35_32'
"""

from __future__ import annotations

import importlib

_MODULES = ("efficientnet", "imagenet_utils", "mobilenet_v2", "resnet", "resnet50", "vgg16", "vgg19")
_LAZY = {"EfficientNetB0": "efficientnet", "MobileNetV2": "mobilenet_v2", "ResNet50": "resnet",
         "VGG16": "vgg16", "VGG19": "vgg19"}

__all__ = sorted([*_MODULES, *_LAZY])


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"lamina.applications.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(f"lamina.applications.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'lamina.applications' has no attribute {name!r} (lamina has "
                         f"{', '.join(sorted(_LAZY))})")


def __dir__():
    return sorted(__all__)
