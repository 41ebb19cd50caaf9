"""Gradient cases of the merge layers (several inputs: each input's gradient is checked)."""

import numpy as np
from layer_gradients import LayerCase

from lamina import layers

_RNG = np.random.default_rng(13)


def normal(*shape):
    return _RNG.standard_normal(shape)


def distinct(*shape):
    return _RNG.permutation(int(np.prod(shape))).reshape(shape) / 5.0


_MASK_A = np.array([[True, True, False], [True, False, False]])
_MASK_B = np.array([[True, False, True], [False, False, True]])

CASES = [
    LayerCase("Add", layers.Add, [normal(3, 4), normal(3, 4), normal(3, 4)]),
    LayerCase("Add/broadcast", layers.Add, [normal(2, 3, 4), normal(2, 4)], covers=("Add",)),
    LayerCase("Subtract", layers.Subtract, [normal(3, 4), normal(3, 4)]),
    LayerCase("Multiply", layers.Multiply, [normal(3, 4), normal(3, 1)]),
    LayerCase("Average", layers.Average, [normal(3, 4), normal(3, 4)]),
    LayerCase("Maximum", layers.Maximum, [distinct(3, 4), distinct(3, 4) + 0.1]),
    LayerCase("Minimum", layers.Minimum, [distinct(3, 4), distinct(3, 4) + 0.1]),
    # (masks, as Embedding(mask_zero=True) makes: masked-out entries take the other input's
    # value, or 1 in a product; tests/layers/test_merging_masks.py has the values)
    LayerCase("Maximum/masked", layers.Maximum, [distinct(2, 3, 2), distinct(2, 3, 2) + 0.1],
              covers=("Maximum",), kwargs={"mask": [_MASK_A, _MASK_B]}),
    LayerCase("Minimum/one_masked", layers.Minimum, [distinct(2, 3, 2), distinct(2, 3, 2) + 0.1],
              covers=("Minimum",), kwargs={"mask": [None, _MASK_B]}),
    LayerCase("Multiply/masked", layers.Multiply, [normal(2, 3, 2), normal(2, 3, 2)],
              covers=("Multiply",), kwargs={"mask": [_MASK_A, _MASK_B]}),
    LayerCase("Concatenate", layers.Concatenate, [normal(2, 3), normal(2, 2)]),
    LayerCase("Concatenate/axis_1", lambda: layers.Concatenate(axis=1),
              [normal(2, 3, 2), normal(2, 1, 2)], covers=("Concatenate",)),
    LayerCase("Dot", lambda: layers.Dot(axes=1), [normal(3, 4), normal(3, 4)]),
    LayerCase("Dot/normalized_3d", lambda: layers.Dot(axes=2, normalize=True),
              [normal(2, 3, 4), normal(2, 5, 4)], covers=("Dot",)),
]
