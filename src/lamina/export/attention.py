"""Converters of EinsumDense (ONNX's ``Einsum``) and MultiHeadAttention (its projections as
EinsumDense, scores by ``Einsum``, ``Softmax``, the values combined by ``Einsum``).

MultiHeadAttention follows lamina's two paths: with no dropout, no returned scores and one
attention axis, the scores are scaled after the product and masked with TensorFlow's fused
mask value; otherwise the query is scaled first and the Softmax layer's masking applies.
A causal mask (``use_causal_mask=True``) or a sliding window is a constant of the graph.
"""

from __future__ import annotations

import numpy as np

from lamina.export.activations import activation
from lamina.export.core import weight
from lamina.export.graph import ExportError, Value
from lamina.export.registry import converter


def _einsum_dense(g, layer, x: Value) -> Value:
    out = g.op("Einsum", [x.name, g.const(weight(layer, "kernel", g.dtype), "kernel")],
               equation=layer.equation)
    if layer.bias is not None:
        out = g.op("Add", [out, g.const(weight(layer, "bias", g.dtype), "bias")])
    shape = tuple(layer.compute_output_shape(x.shape))
    return Value(activation(g, layer, layer.activation, Value(out, shape, g.dtype)), shape,
                 g.dtype)


@converter("EinsumDense")
def einsum_dense(g, layer, inputs):
    (x,) = inputs
    return _einsum_dense(g, layer, x)


def _sub(g, layer, sub, x):
    outer = g.scope
    g.scope = f"{outer}/{sub.name}"
    try:
        return _einsum_dense(g, sub, x)
    finally:
        g.scope = outer


def _constant_mask(layer, kwargs, t, s):
    """The constant ``(1, T, S)`` causal / sliding-window mask of this call, ``"dynamic"``
    for a causal mask over lengths known at run time, or ``None``."""
    from lamina.layers.attention import masks as M

    parts = []
    if kwargs.get("use_causal_mask") or layer._sliding_window:
        if t is None or s is None:
            if layer._sliding_window or len(layer._attention_axes) != 1:
                raise ExportError(
                    f"MultiHeadAttention '{layer.name}': a sliding-window mask (or a causal "
                    "one over several attention axes) exports for sequences of known length "
                    "only; give keras.Input the sequence length.")
            return "dynamic"
        if kwargs.get("use_causal_mask"):
            parts.append(np.asarray(M.causal_mask(t, s)))
        if layer._sliding_window:
            parts.append(np.asarray(M.band_mask(t, s, layer._sliding_window)))
    if not parts:
        return None
    return np.logical_and.reduce(parts) if len(parts) > 1 else parts[0]


def _attention_mask(g, layer, kwargs, query, value, key, rank):
    """The ONNX name of the call's mask, broadcast to the scores' rank, or ``None``: the
    Keras masks the query, value and key carry, and the causal / sliding-window mask."""
    for name in ("attention_mask", "query_mask", "value_mask", "key_mask"):
        if kwargs.get(name) is not None:
            raise ExportError(f"MultiHeadAttention '{layer.name}' is called with {name}: masks "
                              "given as call arguments do not export; masks carried by the "
                              "inputs (Embedding(mask_zero=True)) and use_causal_mask do.")
    n = len(layer._attention_axes)
    data_masks = [(query.mask, -1), (value.mask, -2)] + \
        ([(key.mask, -2)] if key is not value else [])
    parts = [g.op("Unsqueeze", [m, g.ints([axis], "axes")]) for m, axis in data_masks if m]
    if parts and n != 1:
        raise ExportError(f"MultiHeadAttention '{layer.name}': input masks export with one "
                          "attention axis only.")
    constant = _constant_mask(layer, kwargs, query.shape[1], value.shape[1])
    if isinstance(constant, str):
        parts.append(_dynamic_causal_mask(g, query.name, value.name, 3))
    elif constant is not None:
        parts.append(g.const(constant, "constant_mask", dtype=bool))
    if not parts:
        return None
    mask = parts[0]
    for part in parts[1:]:
        mask = g.op("And", [mask, part])
    # As lamina: axes of 1 inserted before the query axes up to the scores' rank.
    extra = rank - (2 * n + 1)
    for _ in range(extra):
        mask = g.op("Unsqueeze", [mask, g.ints([-2 * n - 1], "axes")])
    return mask


def _dynamic_causal_mask(g, query, value, rank):
    """``(1, ..., T, S)``, True where key step ``j <= i``, for lengths known at run time."""
    def length(name):
        return g.op("Slice", [g.op("Shape", [name]), g.ints([1], "starts"), g.ints([2], "ends")])

    size = g.op("Concat", [length(query), length(value)], axis=0)
    one = g.helper.make_tensor("one", g.onnx.TensorProto.FLOAT, [1], [1.0])
    ones = g.op("ConstantOfShape", [size], value=one)
    lower = g.op("Trilu", [ones], upper=0)
    mask = g.op("Cast", [lower], to=g.onnx.TensorProto.BOOL)
    return g.op("Unsqueeze", [mask, g.ints(range(rank - 2), "axes")])


@converter("MultiHeadAttention", masks=True)
def multi_head_attention(g, layer, inputs):
    from lamina.layers.attention import masks as M

    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    kwargs = g.call_kwargs
    scores_out = bool(kwargs.get("return_attention_scores"))
    gate = _sub(g, layer, layer._gate_dense, query) if layer._use_gate else None
    q = _sub(g, layer, layer.query_dense, query)
    k = _sub(g, layer, layer.key_dense, key)
    v = _sub(g, layer, layer.value_dense, value)
    scale = g.const(float(layer._inverse_sqrt_key_dim), "inverse_sqrt_key_dim")
    fast = not (layer._dropout > 0 or scores_out or q.rank != 4)
    scores_rank = q.rank - 1 + len(layer._attention_axes)  # (batch, heads, T..., S...)
    mask = mask_c = _attention_mask(g, layer, kwargs, query, value, key, scores_rank)
    if fast:
        scores = g.op("Einsum", [k.name, q.name], equation=layer._dot_product_equation)
        scores = g.op("Mul", [scores, scale])
        if mask is not None:
            scores = g.op("Where", [mask_c, scores, g.const(M.fused_mask_value(g.dtype),
                                                            "mask_value")])
        probs = g.op("Softmax", [scores], axis=-1)
    else:
        scaled = g.op("Mul", [q.name, scale])
        scores = g.op("Einsum", [k.name, scaled], equation=layer._dot_product_equation)
        if mask is not None:
            scores = g.op("Where", [mask_c, scores, g.const(-1e9, "mask_value")])
        axes = list(layer._norm_axes)
        if len(axes) == 1:
            probs = g.op("Softmax", [scores], axis=axes[0])
        else:
            lse = g.op("ReduceLogSumExp", [scores, g.ints(axes, "axes")], keepdims=1)
            probs = g.op("Exp", [g.op("Sub", [scores, lse])])
        if mask is not None:
            probs = g.op("Where", [mask_c, probs, g.const(0.0, "zero")])
    heads = g.op("Einsum", [probs, v.name], equation=layer._combine_equation)
    if gate is not None:
        heads = g.op("Mul", [heads, gate.name])
    heads_shape = tuple(q.shape[:-1]) + (layer._value_dim,)
    out = _sub(g, layer, layer.output_dense, Value(heads, heads_shape, g.dtype))
    out = Value(out.name, None, g.dtype, query.mask)  # (lamina: the query's mask goes on)
    return [out, probs] if scores_out else out


@converter("Attention", "AdditiveAttention")
def dot_attention(g, layer, inputs):
    from lamina.layers.attention import masks as M

    kwargs = g.call_kwargs
    if kwargs.get("mask") is not None:
        raise ExportError(f"{type(layer).__name__} '{layer.name}' is called with a mask: masks "
                          "that come with the data do not export; use_causal_mask does.")
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    additive = type(layer).__name__ == "AdditiveAttention"
    if layer.score_mode == "dot" and not additive:
        key_t = g.op("Transpose", [key.name], perm=[0, 2, 1])
        scores = g.op("MatMul", [query.name, key_t])
        if layer.scale is not None:
            scores = g.op("Mul", [scores, g.const(weight(layer, "scale", g.dtype), "scale")])
    else:
        pairs = g.op("Add", [g.op("Unsqueeze", [query.name, g.ints([-2], "axes")]),
                             g.op("Unsqueeze", [key.name, g.ints([-3], "axes")])])
        if additive:
            pairs = g.op("Tanh", [pairs])
        if layer.scale is not None:
            pairs = g.op("Mul", [g.const(weight(layer, "scale", g.dtype), "scale"), pairs])
        if not additive:
            pairs = g.op("Tanh", [pairs])
        scores = g.op("ReduceSum", [pairs, g.ints([-1], "axes")], keepdims=0)
        if not additive:
            scores = g.op("Mul", [g.const(weight(layer, "concat_score_weight", g.dtype),
                                          "concat_score_weight"), scores])
    if kwargs.get("use_causal_mask"):
        mask = _dynamic_causal_mask(g, query.name, key.name, 3)
        lowered = g.op("Sub", [scores, g.const(M.subtract_mask_value(g.dtype), "mask_value")])
        scores = g.op("Where", [mask, scores, lowered])
    weights = g.op("Softmax", [scores], axis=-1)
    out = g.op("MatMul", [weights, value.name])
    return [out, weights] if kwargs.get("return_attention_scores") else out
