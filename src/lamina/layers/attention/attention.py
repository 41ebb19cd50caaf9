"""``Attention``: dot-product (Luong-style) attention of a query over a value, Keras 3's layer.

``scores = query @ key^T`` (times a learned ``scale`` with ``use_scale``), or with
``score_mode="concat"`` ``concat_score_weight * sum(tanh(scale * (query + key)))``; the
value's padding mask and the causal mask subtract ``1e9`` from the scores they hide; the
output ``softmax(scores) @ value`` is zero where the query is padding and carries the
query's mask.
"""

from __future__ import annotations

import numbers

from lamina import ops
from lamina import random as lamina_random
from lamina.autodiff import hooks
from lamina.layers.attention import masks as M
from lamina.layers.attention.symbolic import record_call
from lamina.layers.layer import Layer
from lamina.layers.regularization import dropout_mask

__all__ = ["Attention"]


class Attention(Layer):
    """Dot-product attention over ``[query, value]`` or ``[query, value, key]``.

    Args:
        use_scale: learn a scalar ``scale`` for the scores.
        score_mode: ``"dot"`` (``query @ key^T``) or ``"concat"``
            (``sum(tanh(query + key))``, weighted by a learned scalar).
        dropout: the dropout rate on the attention distribution (training only).
        seed: the seed of that dropout.

    Call arguments:
        inputs: ``[query (batch, Tq, dim), value (batch, Tv, dim)]``, optionally with a
            key ``(batch, Tv, dim)`` third (default: the value).
        mask: ``[query_mask (batch, Tq), value_mask (batch, Tv)]``; by default the
            inputs' own masks.
        return_attention_scores: also return the distribution ``(batch, Tq, Tv)``.
        training: whether dropout is active.
        use_causal_mask: each query position ``i`` attends to value positions ``<= i``.

    Example:
        >>> import numpy as np, lamina
        >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
        >>> lamina.layers.Attention()([q, v]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"The 'score_mode' argument of {type(self).__name__} must be "
                             f"'dot' or 'concat'. Got score_mode={score_mode!r} instead.")
        if not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise ValueError(f"The 'dropout' argument of {type(self).__name__} must be a rate "
                             f"in [0, 1). Got dropout={dropout!r} instead.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self.seed_generator = lamina_random.SeedGenerator(seed) if dropout > 0 else None
        self.supports_masking = True
        self.scale = None
        self.concat_score_weight = None

    # -- inputs ------------------------------------------------------------------------------
    def _owner(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def _validate(self, shapes, mask=None):
        if not isinstance(shapes, (list, tuple)) or not shapes or \
                not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"{self._owner()} must be called on a list of inputs, [query, "
                             f"value] or [query, value, key]; got one input of shape "
                             f"{tuple(shapes) if isinstance(shapes, (list, tuple)) else shapes}.")
        if not 2 <= len(shapes) <= 3:
            raise ValueError(f"{self._owner()} takes 2 or 3 inputs ([query, value] or [query, "
                             f"value, key]); got {len(shapes)}.")
        query, value = tuple(shapes[0]), tuple(shapes[1])
        key = tuple(shapes[2]) if len(shapes) > 2 else value
        if key[-2] is not None and value[-2] is not None and key[-2] != value[-2]:
            raise ValueError(f"{self._owner()}: the key and the value must have the same number "
                             f"of steps; got value shape {value} and key shape {key}.")
        if self._needs_same_dim() and None not in (query[-1], key[-1]) and query[-1] != key[-1]:
            raise ValueError(f"{self._owner()}: the query and the key must have the same last "
                             f"dimension; got query shape {query} and key shape {key}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3:
                raise ValueError(f"{self._owner()}: the mask must be a list [query_mask, "
                                 f"value_mask]; got {mask!r}.")
            for what, m, shape in (("query mask", mask[0], query),
                                   ("value mask", mask[1], value)):
                if m is not None:
                    M.check_mask_shape(self._owner(), f"the {what}", M.shape_of(m), shape[:-1],
                                       f"the {what.split()[0]}'s shape {shape} without its "
                                       "last axis")

    def _needs_same_dim(self) -> bool:
        return True

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    # -- the computation -----------------------------------------------------------------
    def _calculate_scores(self, query, key):
        """The scores ``(batch, Tq, Tv)`` of each query step against each key step."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        pairs = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(pairs), axis=-1))

    def _draw_dropout(self, shape, dtype):
        return dropout_mask(self.dropout, shape,
                            lamina_random.make_generator(self.seed_generator), dtype)

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        if scores_mask is not None:
            if scores_mask.ndim == 2:
                scores_mask = ops.expand_dims(scores_mask, -2)
            scores = ops.where(scores_mask, scores,
                               ops.subtract(scores, M.subtract_mask_value(scores.dtype)))
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ops.multiply(weights, hooks.host(self._draw_dropout, tuple(weights.shape),
                                                       weights.dtype))
        return ops.matmul(weights, value), weights

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate([tuple(x.shape) for x in inputs], mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = M.as_mask(mask[0]) if mask else None
        value_mask = M.as_mask(mask[1]) if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = value_mask
        if use_causal_mask:
            causal = M.causal_mask(scores.shape[-2], scores.shape[-1])
            scores_mask = causal if value_mask is None else \
                ops.logical_and(ops.expand_dims(value_mask, -2), causal)
        out, weights = self._apply_scores(scores, value, scores_mask, training)
        if query_mask is not None:
            out = ops.where(ops.expand_dims(query_mask, -1), out, ops.zeros((), out.dtype))
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if not mask or mask[0] is None:
            return None
        return M.as_mask(mask[0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def _symbolic_call(self, inputs, *args, **kwargs):
        if not kwargs.get("return_attention_scores") or args:
            return super()._symbolic_call(inputs, *args, **kwargs)
        shapes = [tuple(t.shape) for t in inputs] if isinstance(inputs, (list, tuple)) else \
            tuple(inputs.shape)
        self._validate(shapes)
        if not self.built:
            self._maybe_build(shapes)
        key = shapes[2] if len(shapes) > 2 else shapes[1]
        return record_call(self, inputs, [self.compute_output_shape(shapes),
                                          tuple(shapes[0][:-1]) + (key[-2],)], kwargs)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(use_scale=self.use_scale, score_mode=self.score_mode,
                       dropout=self.dropout, seed=self.seed)
        return config_
