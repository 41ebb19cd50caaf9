"""Keras's image preprocessing layers: rescaling, resizing and cropping, random augmentation.

``Rescaling``, ``Resizing`` and ``CenterCrop`` act in training and inference
alike. The random layers (``RandomCrop``, ``RandomFlip``, ``RandomRotation``,
``RandomZoom``, ``RandomTranslation``, ``RandomContrast``,
``RandomBrightness``) transform only in training (see ``base.py`` for Keras's
``training`` rule) and draw their values from seeded generators as host steps,
so a traced training step draws new values at every batch.
"""

from lamina.layers.image_preprocessing.random_affine import (
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from lamina.layers.image_preprocessing.random_color import RandomBrightness, RandomContrast
from lamina.layers.image_preprocessing.random_crop import RandomCrop
from lamina.layers.image_preprocessing.random_flip import RandomFlip
from lamina.layers.image_preprocessing.rescaling import Rescaling
from lamina.layers.image_preprocessing.resizing import CenterCrop, Resizing

__all__ = [
    "CenterCrop",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
]
