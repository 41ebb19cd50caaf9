"""``AdditiveAttention``: Bahdanau-style attention, Keras 3's layer.

The scores are ``sum(scale * tanh(query + key))`` over the features, with ``scale`` a
learned vector (``use_scale=True``, the default) or 1; masks, dropout and the output are
``Attention``'s.
"""

from __future__ import annotations

from lamina import ops
from lamina.layers.attention.attention import Attention

__all__ = ["AdditiveAttention"]


class AdditiveAttention(Attention):
    """Additive attention over ``[query, value]`` or ``[query, value, key]``.

    Args:
        use_scale: learn a vector ``scale`` (one weight per feature) for the scores.
        dropout: the dropout rate on the attention distribution (training only).

    Call arguments are ``Attention``'s.

    Example:
        >>> import numpy as np, lamina
        >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
        >>> lamina.layers.AdditiveAttention()([q, v]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],),
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        pairs = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.sum(pairs, axis=-1)

    def get_config(self) -> dict:
        config_ = super().get_config()
        del config_["score_mode"]
        return config_
