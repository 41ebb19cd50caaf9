"""Gradient cases of the attention layers and EinsumDense (and Dense/LayerNormalization on
3-D inputs, the Transformer block's other layers)."""

import numpy as np
from layer_gradients import LayerCase

from lamina import layers

_RNG = np.random.default_rng(13)


def normal(*shape):
    return _RNG.standard_normal(shape)


def _mask(*shape):
    m = _RNG.random(shape) < 0.7
    m[..., 0] = True
    return m


def _mha(**kwargs):
    return lambda: layers.MultiHeadAttention(bias_initializer="random_normal", **kwargs)


_ATTENTION_MASK = _mask(2, 3, 4)
_ATTENTION_MASK[0, 1] = False  # a query row that may look at nothing

CASES = [
    LayerCase("EinsumDense", lambda: layers.EinsumDense(
        "abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de", activation="tanh",
        bias_initializer="random_normal"), normal(2, 3, 4)),
    LayerCase("EinsumDense/ellipsis", lambda: layers.EinsumDense(
        "...b,bc->...c", output_shape=3, bias_axes="c", bias_initializer="random_normal"),
        normal(2, 3, 2, 4), covers=("EinsumDense",)),
    LayerCase("EinsumDense/right_ellipsis", lambda: layers.EinsumDense(
        "ab...,bc->ac...", output_shape=3, bias_axes="c"), normal(2, 4, 3),
        covers=("EinsumDense",)),
    LayerCase("MultiHeadAttention", _mha(num_heads=2, key_dim=3), [normal(2, 4, 5)] * 2),
    LayerCase("MultiHeadAttention/cross_key", _mha(num_heads=2, key_dim=2, value_dim=3,
                                                   output_shape=4),
              [normal(2, 3, 5), normal(2, 4, 3), normal(2, 4, 2)],
              covers=("MultiHeadAttention",)),
    LayerCase("MultiHeadAttention/causal", _mha(num_heads=2, key_dim=2),
              [normal(2, 4, 3)] * 2, kwargs={"use_causal_mask": True},
              covers=("MultiHeadAttention",)),
    LayerCase("MultiHeadAttention/attention_mask", _mha(num_heads=2, key_dim=2),
              [normal(2, 3, 3), normal(2, 4, 3)], kwargs={"attention_mask": _ATTENTION_MASK},
              covers=("MultiHeadAttention",)),
    LayerCase("MultiHeadAttention/value_mask_no_bias", lambda: layers.MultiHeadAttention(
        num_heads=2, key_dim=2, use_bias=False), [normal(2, 3, 3), normal(2, 4, 3)],
        kwargs={"value_mask": _mask(2, 4)}, covers=("MultiHeadAttention",)),
    LayerCase("MultiHeadAttention/attention_axes", _mha(num_heads=2, key_dim=2,
                                                        attention_axes=(1, 2)),
              [normal(1, 2, 3, 3)] * 2, covers=("MultiHeadAttention",)),
    LayerCase("Attention", lambda: layers.Attention(use_scale=True),
              [normal(2, 3, 4), normal(2, 5, 4)],
              kwargs={"mask": [_mask(2, 3), _mask(2, 5)]}),
    LayerCase("Attention/causal_key", layers.Attention,
              [normal(2, 4, 3), normal(2, 4, 2), normal(2, 4, 3)],
              kwargs={"use_causal_mask": True}, covers=("Attention",)),
    LayerCase("Attention/concat", lambda: layers.Attention(score_mode="concat", use_scale=True),
              [normal(2, 3, 4), normal(2, 5, 4)], covers=("Attention",)),
    LayerCase("AdditiveAttention", layers.AdditiveAttention,
              [normal(2, 3, 4), normal(2, 5, 4)], kwargs={"mask": [None, _mask(2, 5)]}),
    LayerCase("AdditiveAttention/no_scale_causal", lambda: layers.AdditiveAttention(
        use_scale=False), [normal(2, 4, 3)] * 2, kwargs={"use_causal_mask": True},
        covers=("AdditiveAttention",)),
    LayerCase("LayerNormalization/3d_input", lambda: layers.LayerNormalization(
        beta_initializer="random_normal", gamma_initializer="random_normal"), normal(2, 3, 4),
        covers=("LayerNormalization",)),
]
