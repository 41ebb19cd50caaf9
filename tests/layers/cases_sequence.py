"""Gradient cases of the sequence layers (embeddings, masking)."""

import numpy as np
from layer_gradients import LayerCase

from lamina import layers

_RNG = np.random.default_rng(14)


CASES = [
    LayerCase("Embedding", lambda: layers.Embedding(6, 3),
              np.array([[1, 2, 2, 0], [5, 3, 1, 1]]), input_gradient=False),
    # (No padded step: a mask flips at the slightest change of a padded step's values.)
    LayerCase("Masking", layers.Masking, _RNG.standard_normal((2, 4, 3))),
]
