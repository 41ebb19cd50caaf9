"""Gradient cases of the image preprocessing layers (float64, against central differences).

The random layers pass images through at inference; in training they are checked with
factor ranges of zero width, where the draw is fixed (``uniform(a, a) == a``), so the
resampling, contrast and brightness paths are differentiated for real.
"""

import numpy as np
from layer_gradients import LayerCase

from lamina import layers

_RNG = np.random.default_rng(23)


def images(*shape):
    return _RNG.standard_normal(shape)


CASES = [
    LayerCase("Rescaling", lambda: layers.Rescaling(0.5, offset=-1.0), images(2, 3, 4, 2)),
    LayerCase("Rescaling/per_channel", lambda: layers.Rescaling(np.array([0.5, 2.0])),
              images(1, 3, 3, 2), covers=("Rescaling",)),
    LayerCase("Resizing", lambda: layers.Resizing(5, 3), images(2, 3, 4, 2)),
    LayerCase("Resizing/nearest", lambda: layers.Resizing(2, 7, interpolation="nearest"),
              images(1, 3, 4, 2), covers=("Resizing",)),
    LayerCase("Resizing/crop_to_aspect_ratio",
              lambda: layers.Resizing(3, 3, crop_to_aspect_ratio=True), images(1, 4, 6, 1),
              covers=("Resizing",)),
    LayerCase("Resizing/pad_to_aspect_ratio",
              lambda: layers.Resizing(4, 2, pad_to_aspect_ratio=True, fill_value=0.3),
              images(1, 3, 3, 1), covers=("Resizing",)),
    LayerCase("Resizing/channels_first",
              lambda: layers.Resizing(4, 2, data_format="channels_first"), images(3, 3, 3),
              covers=("Resizing",)),
    LayerCase("CenterCrop", lambda: layers.CenterCrop(2, 3), images(2, 4, 5, 2)),
    LayerCase("CenterCrop/resized", lambda: layers.CenterCrop(5, 6), images(1, 3, 4, 1),
              covers=("CenterCrop",)),
    LayerCase("RandomCrop/inference", lambda: layers.RandomCrop(2, 3, seed=1),
              images(2, 4, 5, 2), covers=("RandomCrop",)),
    LayerCase("RandomFlip/inference", lambda: layers.RandomFlip(seed=1), images(2, 3, 3, 2),
              covers=("RandomFlip",)),
    LayerCase("RandomRotation/inference", lambda: layers.RandomRotation(0.2, seed=1),
              images(2, 4, 4, 1), covers=("RandomRotation",)),
    LayerCase("RandomRotation/fixed_angle", lambda: layers.RandomRotation((0.1, 0.1)),
              images(2, 4, 5, 2), training=True, covers=("RandomRotation",)),
    LayerCase("RandomZoom/inference", lambda: layers.RandomZoom(0.2, seed=1),
              images(2, 4, 4, 1), covers=("RandomZoom",)),
    LayerCase("RandomZoom/fixed_zoom",
              lambda: layers.RandomZoom((-0.3, -0.3), (0.2, 0.2), fill_mode="constant"),
              images(1, 5, 4, 2), training=True, covers=("RandomZoom",)),
    LayerCase("RandomTranslation/inference", lambda: layers.RandomTranslation(0.2, 0.2, seed=1),
              images(2, 4, 4, 1), covers=("RandomTranslation",)),
    LayerCase("RandomTranslation/fixed_shift",
              lambda: layers.RandomTranslation((0.3, 0.3), (-0.2, -0.2), fill_mode="wrap",
                                               interpolation="nearest"),
              images(1, 4, 5, 2), training=True, covers=("RandomTranslation",)),
    LayerCase("RandomContrast/inference", lambda: layers.RandomContrast(0.5, seed=1),
              images(2, 3, 3, 2), covers=("RandomContrast",)),
    LayerCase("RandomContrast/fixed_factor",
              lambda: layers.RandomContrast((-0.4, 0.4), value_range=(-100, 100)),
              images(2, 3, 3, 2), training=True, covers=("RandomContrast",)),
    LayerCase("RandomBrightness/inference", lambda: layers.RandomBrightness(0.2, seed=1),
              images(2, 3, 3, 2), covers=("RandomBrightness",)),
    LayerCase("RandomBrightness/fixed_delta",
              lambda: layers.RandomBrightness((0.1, 0.1), value_range=(-10, 10)),
              images(2, 3, 3, 2), training=True, covers=("RandomBrightness",)),
]
