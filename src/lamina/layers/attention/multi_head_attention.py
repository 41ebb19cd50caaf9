"""``MultiHeadAttention`` (Vaswani et al., 2017), with Keras 3's arguments, weights and numbers.

The query, key and value are projected by ``EinsumDense`` sublayers named ``query``, ``key``
and ``value`` to ``num_heads`` heads; each head's scores are
``softmax(q . k / sqrt(key_dim))`` over the attention axes, the values are averaged by them,
and the ``attention_output`` sublayer projects the heads back. The weights are those four
sublayers' kernels and biases, in Keras's order and ``.keras`` layout.

Masks as in Keras: the query's padding mask (from ``Embedding(mask_zero=True)`` or
``Masking``), the value's and the key's, an explicit ``attention_mask`` and the causal mask
are merged with a logical and; the output carries the query's mask. Keras on TensorFlow
computes the scores in one of two ways and lamina follows it: without dropout, without
``return_attention_scores`` and on 3-D inputs it uses the fused ``dot_product_attention``
(scaled after the product, masked scores replaced by ``-0.7 * 3.38953e38``, so a query
position with nothing to attend to averages all values); otherwise the ``Softmax`` layer's
path (the query scaled first, masked scores replaced by ``-1e9`` and their probabilities
set to 0, so such a position gets zeros).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from lamina import constraints, initializers, ops, regularizers
from lamina.layers.activations import Softmax
from lamina.layers.attention import masks as M
from lamina.layers.attention.equations import attention_equations, projection_equation
from lamina.layers.attention.symbolic import is_symbolic, record_call
from lamina.layers.core_einsum_dense import EinsumDense
from lamina.layers.layer import Layer, _to_input_tensor
from lamina.layers.regularization import Dropout

__all__ = ["MultiHeadAttention"]


def _positive_int(name, value, optional=False):
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"The '{name}' argument of MultiHeadAttention must be a positive "
                         f"integer{' or None' if optional else ''}. Got {name}={value!r} "
                         "instead.")
    return int(value)


def _list(shape):
    return None if shape is None else [None if d is None else int(d) for d in shape]


class MultiHeadAttention(Layer):
    """Multi-head attention: each query position attends to the key/value positions.

    Args:
        num_heads: the number of attention heads.
        key_dim: the size of each head's query and key.
        value_dim: the size of each head's value (default ``key_dim``).
        dropout: the dropout rate on the attention probabilities (training only).
        use_bias: whether the projections have biases.
        output_shape: the output's shape after the batch and sequence axes (an int or a
            tuple); default the query's last dimension.
        attention_axes: the axes attention runs over (default all but the batch, heads and
            features axes, i.e. the sequence axis of 3-D inputs).
        sliding_window: optional: each query position attends only to key positions less
            than this many steps away (on both sides; with ``use_causal_mask``, before it).
        kernel_initializer, bias_initializer: the projections' initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: their penalties.
        kernel_constraint, bias_constraint: their constraints.
        use_gate: gate the heads with a sigmoid projection of the query (``gate``).
        seed: the seed of the dropout.

    Call arguments:
        query: ``(batch, T, dim)``; value: ``(batch, S, dim)``; key: optional
            ``(batch, S, dim)`` (default ``value``).
        value_mask, key_mask: padding masks ``(batch, S)``; by default the masks the
            value and the key carry (``Embedding(mask_zero=True)``, ``Masking``).
        query_mask: ignored, as in Keras 3: the query's padding mask is always the one the
            query tensor carries.
        attention_mask: boolean ``(batch, T, S)``: ``True`` where a query may attend.
        return_attention_scores: also return the probabilities ``(batch, heads, T, S)``.
        training: whether dropout is active.
        use_causal_mask: each position attends only to itself and earlier positions.

    Example:
        >>> import numpy as np, lamina
        >>> mha = lamina.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = np.ones((1, 3, 8), "float32")
        >>> out, scores = mha(x, x, return_attention_scores=True)
        >>> out.shape, scores.shape
        ((1, 3, 8), (1, 2, 3, 3))
    """

    # A functional config lists the query, the value (and the key) as arguments of their own.
    _inputs_as_arguments = ("query", "value", "key")

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        self._num_heads = _positive_int("num_heads", num_heads)
        self._key_dim = _positive_int("key_dim", key_dim)
        value_dim = _positive_int("value_dim", value_dim, optional=True)
        super().__init__(**kwargs)
        if flash_attention:
            raise ValueError("MultiHeadAttention: flash_attention is not available in lamina "
                             "(NumPy has no fused attention kernel); leave it as None.")
        if not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise ValueError(f"The 'dropout' argument of MultiHeadAttention must be a rate in "
                             f"[0, 1). Got dropout={dropout!r} instead.")
        self.supports_masking = True
        self._value_dim = value_dim or self._key_dim
        self._dropout = dropout
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        if output_shape:
            output_shape = (int(output_shape),) if isinstance(output_shape, numbers.Integral) \
                else tuple(int(d) for d in output_shape)
        self._output_shape = output_shape or None
        if isinstance(attention_axes, numbers.Integral):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"The 'attention_axes' argument of MultiHeadAttention must be an "
                             f"int, a list or a tuple. Got attention_axes={attention_axes!r}.")
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._sliding_window = _positive_int("sliding_window", sliding_window, optional=True)
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        self._build_shapes = None

    # Keras's read-only views of the configuration and the sublayers.
    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)

    # -- building --------------------------------------------------------------------------
    def _sublayer_kwargs(self) -> dict:
        return dict(kernel_initializer=self._kernel_initializer.clone(),
                    bias_initializer=self._bias_initializer.clone(),
                    kernel_regularizer=self._kernel_regularizer,
                    bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer,
                    kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype)

    def _projection(self, input_shape, heads_dim, name, **extra):
        equation, bias_axes, rank = projection_equation(len(input_shape) - 1, 1, 2)
        layer = EinsumDense(equation, output_shape=[None] * (rank - 3) + [self._num_heads,
                                                                           heads_dim],
                            bias_axes=bias_axes if self._use_bias else None, name=name,
                            **extra, **self._sublayer_kwargs())
        layer.build(tuple(input_shape))
        return layer, rank

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and query_shape and isinstance(query_shape[0], (list, tuple)):
            query_shape, value_shape, key_shape = (list(query_shape) + [None])[:3]
        if value_shape is None:
            raise ValueError(f"MultiHeadAttention '{self.name}' is built from the shapes of "
                             "the query and the value; got the query's only.")
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        given_key = key_shape is not None
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"MultiHeadAttention '{self.name}': the value and the key must have the same "
                f"shape except the last axis; got value shape {value_shape} and key shape "
                f"{key_shape}.")
        if len(query_shape) != len(value_shape):
            raise ValueError(
                f"MultiHeadAttention '{self.name}': the query and the value must have the same "
                f"rank; got query shape {query_shape} and value shape {value_shape}.")
        self.query_dense, rank = self._projection(query_shape, self._key_dim, "query")
        self.key_dense, _ = self._projection(key_shape, self._key_dim, "key")
        if self._use_gate:
            self._gate_dense, _ = self._projection(query_shape, self._value_dim, "gate",
                                                   activation="sigmoid")
        self.value_dense, _ = self._projection(value_shape, self._value_dim, "value")
        self._build_attention(rank)
        out_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes, out_rank = projection_equation(len(query_shape) - 1, 2,
                                                            len(out_shape))
        self.output_dense = EinsumDense(
            equation, output_shape=[None] * (out_rank - 1 - len(out_shape)) + list(out_shape),
            bias_axes=bias_axes if self._use_bias else None, name="attention_output",
            **self._sublayer_kwargs())
        heads = self.query_dense.compute_output_shape(query_shape)[:-1] + (self._value_dim,)
        self.output_dense.build(heads)
        self._build_shapes = {"query_shape": _list(query_shape),
                              "value_shape": _list(value_shape)}
        if given_key:
            self._build_shapes["key_shape"] = _list(key_shape)
        self._build_shape = query_shape  # (what summary() shows the output shape of)
        self._set_path_prefix(self._path_prefix)
        self.built = True

    def _set_path_prefix(self, prefix: str) -> None:
        super()._set_path_prefix(prefix)
        for layer in self._layers:  # the sublayers' weights are "<this layer>/query/kernel"...
            layer._set_path_prefix(f"{self.path}/")

    def _build_attention(self, rank):
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else rank - 1 + a
                                         for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = \
            attention_equations(rank, self._attention_axes)
        n = len(self._attention_axes)
        self._norm_axes = tuple(range(scores_rank - n, scores_rank))
        self._softmax = Softmax(axis=self._norm_axes, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype, seed=self.seed)

    def get_build_config(self):
        return {"shapes_dict": dict(self._build_shapes)} if self._build_shapes else None

    def build_from_config(self, config) -> None:
        config = config or {}
        if self.built:
            return
        if "shapes_dict" in config:
            self.build(**{k: tuple(v) if v is not None else None
                          for k, v in config["shapes_dict"].items()})
        elif config.get("input_shape") is not None:
            self.build(config["input_shape"])

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, query=None, value=None, key=None, **kwargs):
        if query is None and "inputs" in kwargs:
            query = kwargs.pop("inputs")
        if value is None and isinstance(query, (list, tuple)) and 2 <= len(query) <= 3:
            query, value, key = (list(query) + [None])[:3]  # a functional graph's replay
        if query is None or value is None:
            raise TypeError(f"MultiHeadAttention '{self.name}' needs a query and a value: "
                            "call it as mha(query, value) (mha(x, x) for self-attention).")
        if is_symbolic(query, value, key):
            return self._symbolic(query, value, key, kwargs)
        if not self.built:
            self.build(M.shape_of(query), M.shape_of(value),
                       None if key is None else M.shape_of(key))
        # As Keras 3: the query's mask is the one the query tensor carries (an explicit
        # query_mask is ignored); the value's and the key's fill in when not given.
        kwargs["query_mask"] = getattr(query, "_keras_mask", None)
        for name, tensor in (("value_mask", value), ("key_mask", key)):
            if kwargs.get(name) is None and tensor is not None:
                kwargs[name] = getattr(tensor, "_keras_mask", None)
        for tensor in (query, value, key):  # Keras takes the masks off the inputs, too
            if getattr(tensor, "_keras_mask", None) is not None:
                tensor._keras_mask = None
        return super().__call__(query, value, key, **kwargs)

    def _symbolic(self, query, value, key, kwargs):
        shapes = [tuple(query.shape), tuple(value.shape)] + ([] if key is None else
                                                             [tuple(key.shape)])
        if not self.built:
            self.build(*shapes)
        inputs = [query, value] + ([] if key is None else [key])
        out = self.compute_output_shape(*shapes)
        if kwargs.get("return_attention_scores"):
            out = [out, self._scores_shape(*shapes)]
        return record_call(self, inputs, out, kwargs)

    def _scores_shape(self, query_shape, value_shape, key_shape=None):
        rank = len(query_shape) + 1
        batch = [i for i in range(rank - 1) if i not in self._attention_axes]
        full_q = tuple(query_shape[:-1]) + (self._num_heads,)
        return tuple([full_q[i] for i in batch] + [query_shape[i] for i in self._attention_axes]
                     + [value_shape[i] for i in self._attention_axes])

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        owner = f"MultiHeadAttention '{self.name}'"
        value = _to_input_tensor(value, self.dtype, self.autocast)
        key = value if key is None else _to_input_tensor(key, self.dtype, self.autocast)
        for what, mask, tensor in (("query_mask", query_mask, query),
                                   ("value_mask", value_mask, value),
                                   ("key_mask", key_mask, key)):
            if mask is not None:
                M.check_mask_shape(owner, what, M.shape_of(mask), tensor.shape[:-1],
                                   f"the {what[:-5]}'s shape {tuple(tensor.shape)} without "
                                   "its last axis")
        query_mask, value_mask, key_mask = map(M.as_mask, (query_mask, value_mask, key_mask))
        if attention_mask is not None:
            scores = self._scores_shape(query.shape, value.shape)
            heads_axis = len(scores) - 2 * len(self._attention_axes) - 1
            expected = scores if len(M.shape_of(attention_mask)) == len(scores) else \
                scores[:heads_axis] + scores[heads_axis + 1:]
            M.check_mask_shape(owner, "attention_mask", M.shape_of(attention_mask), expected,
                               "(batch, query steps, key steps) as the query and value give")
        causal_only = bool(use_causal_mask) and attention_mask is None and \
            self._sliding_window is None and all(
                m is None for m in (query_mask, value_mask, key_mask)) and \
            type(self)._compute_attention is MultiHeadAttention._compute_attention
        if not causal_only:
            attention_mask = self._attention_mask(query, value, query_mask, value_mask,
                                                  key_mask, attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        q = self.query_dense(query)
        k = self.key_dense(key)
        v = self.value_dense(value)
        # (use_causal_mask only when set, so overrides with Keras's older signature work)
        extra = {"use_causal_mask": True} if causal_only else {}
        out, scores = self._compute_attention(q, k, v, attention_mask, training,
                                              return_attention_scores, **extra)
        out = self.output_dense(out if gate is None else ops.multiply(out, gate))
        if query_mask is not None:
            out._keras_mask = query_mask
        return (out, scores) if return_attention_scores else out

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask):
        """The merged mask, ``(batch, T, S)`` (or broadcastable to it), or ``None``."""
        t, s = query.shape[1], value.shape[1]
        return M.merge_masks(
            M.as_mask(attention_mask),
            None if query_mask is None else ops.expand_dims(query_mask, -1),
            None if value_mask is None else ops.expand_dims(value_mask, -2),
            None if key_mask is None else ops.expand_dims(key_mask, -2),
            M.causal_mask(t, s) if use_causal_mask else None,
            M.band_mask(t, s, self._sliding_window) if self._sliding_window else None)

    def _expand_mask(self, mask, rank):
        axis = -len(self._attention_axes) * 2 - 1
        while mask.ndim < rank:
            mask = ops.expand_dims(mask, axis)
        return mask

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        """The heads' outputs and probabilities from the projected query, key and value."""
        if use_causal_mask:
            attention_mask = M.causal_mask(query.shape[1], value.shape[1])
        if not (self._dropout > 0 or return_attention_scores or query.ndim != 4):
            # TensorFlow's fused dot_product_attention: scaled after the product.
            scores = ops.einsum(self._dot_product_equation, key, query)
            scores = ops.multiply(scores, np.asarray(self._inverse_sqrt_key_dim, scores.dtype))
            if attention_mask is not None:
                scores = ops.where(self._expand_mask(attention_mask, scores.ndim), scores,
                                   M.fused_mask_value(scores.dtype))
            probs = ops.softmax(scores, axis=-1)
            return ops.einsum(self._combine_equation, probs, value), None
        query = ops.multiply(query, np.asarray(self._inverse_sqrt_key_dim, query.dtype))
        scores = ops.einsum(self._dot_product_equation, key, query)
        mask = None if attention_mask is None else self._expand_mask(attention_mask,
                                                                     scores.ndim)
        probs = self._softmax(scores, mask=mask)
        dropped = self._dropout_layer(probs, training=training) if self._dropout > 0 else probs
        return ops.einsum(self._combine_equation, dropped, value), probs

    # -- shapes and config -----------------------------------------------------------------
    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and query_shape and isinstance(query_shape[0], (list, tuple)):
            query_shape, value_shape = query_shape[0], query_shape[1]
        query_shape = tuple(query_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False,
                            **kwargs):
        from lamina.layers.input_spec import KerasTensor

        out = KerasTensor(self.compute_output_shape(query.shape, value.shape), self.dtype)
        if not return_attention_scores:
            return out
        if not self.built:
            self.build(query.shape, value.shape, None if key is None else key.shape)
        return out, KerasTensor(self._scores_shape(query.shape, value.shape), self.dtype)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            num_heads=self._num_heads, key_dim=self._key_dim, value_dim=self._value_dim,
            dropout=self._dropout, use_bias=self._use_bias, use_gate=self._use_gate,
            output_shape=self._output_shape, attention_axes=self._attention_axes,
            sliding_window=self._sliding_window,
            kernel_initializer=initializers.serialize(self._kernel_initializer),
            bias_initializer=initializers.serialize(self._bias_initializer),
            kernel_regularizer=regularizers.serialize(self._kernel_regularizer),
            bias_regularizer=regularizers.serialize(self._bias_regularizer),
            activity_regularizer=regularizers.serialize(self._activity_regularizer),
            kernel_constraint=constraints.serialize(self._kernel_constraint),
            bias_constraint=constraints.serialize(self._bias_constraint),
            seed=self.seed)
        return config_
