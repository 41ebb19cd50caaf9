"""``keras.ops.nn.dot_product_attention`` composed from einsums, ``where`` and ``softmax``
(so it has gradients and traces with no primitive of its own)."""

from __future__ import annotations

import math

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor
from lamina.ops._array import einsum, repeat
from lamina.ops._core import cast, convert_to_tensor, shape
from lamina.ops._math import add, logical_and, multiply, where
from lamina.ops._more import _dtype_of, _promote
from lamina.ops._nn import softmax

__all__ = ["dot_product_attention"]


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None) -> Tensor:
    """Scaled dot-product attention, ``softmax(scale * q k^T + bias) v``, over
    ``(batch, length, heads, head_dim)`` arrays.

    ``key``/``value`` may have fewer heads than ``query`` when they divide its heads
    (grouped-query attention: each key head serves ``heads // key_heads`` query heads).
    ``mask`` is boolean (True takes part), broadcast to ``(batch, heads, T, S)``;
    ``is_causal`` adds the lower-triangular mask; ``scale`` defaults to
    ``1 / sqrt(head_dim)``. ``flash_attention`` and ``attn_logits_soft_cap`` are not
    available on NumPy (as in Keras's NumPy and TensorFlow backends).

    Example:
        >>> from lamina import ops
        >>> q = ops.ones((2, 4, 8, 16))
        >>> ops.dot_product_attention(q, ops.ones((2, 6, 8, 16)), ops.ones((2, 6, 8, 16))).shape
        (2, 4, 8, 16)
    """
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "dot_product_attention: `attn_logits_soft_cap` is only supported by Keras on JAX "
            f"with TPUs. Got attn_logits_soft_cap={attn_logits_soft_cap!r}; pass None."
        )
    if flash_attention:
        raise ValueError(
            "dot_product_attention: flash attention is not available on NumPy. Got "
            "flash_attention=True; pass None or False."
        )
    q, k, v = (t if isinstance(t, Tensor) else convert_to_tensor(t) for t in (query, key, value))
    shapes = [shape(q), shape(k), shape(v)]
    if any(len(s) != 4 for s in shapes):
        raise ValueError(
            "dot_product_attention: `query`, `key` and `value` must be 4-D, (batch, length, "
            f"heads, head_dim). Got shapes {shapes[0]}, {shapes[1]} and {shapes[2]}."
        )
    heads, key_heads = shapes[0][2], shapes[1][2]
    if key_heads == 0 or heads % key_heads or shapes[2][2] != key_heads:
        raise ValueError(
            "dot_product_attention: the heads of `key` and `value` (axis 2) must be equal and "
            f"divide the heads of `query`. Got query {shapes[0]}, key {shapes[1]}, value "
            f"{shapes[2]}."
        )
    dt = _promote(_dtype_of(q), _dtype_of(k), _dtype_of(v))
    if dt.kind != "f":
        dt = np.dtype(config.floatx())
    q, k, v = cast(q, dt), cast(k, dt), cast(v, dt)
    if heads != key_heads:
        k = repeat(k, heads // key_heads, axis=2)
        v = repeat(v, heads // key_heads, axis=2)
    scale = 1.0 / math.sqrt(shapes[1][3]) if scale is None else scale
    logits = multiply(einsum("btnh,bsnh->bnts", q, k), np.asarray(scale, dtype=dt))
    if bias is not None:
        logits = add(logits, cast(bias, dt))
    keep = None
    if mask is not None:
        keep = cast(mask, "bool")
    if is_causal:
        t_len, s_len = shapes[0][1], shapes[1][1]
        causal = np.tril(np.ones((t_len, s_len), dtype=bool))
        keep = causal if keep is None else logical_and(keep, causal)
    if keep is not None:
        # Keras's large negative for masked logits (finite, so a fully masked row is uniform).
        big = 65500.0 if dt == np.float16 else 3.38953e38
        logits = where(keep, logits, np.asarray(-0.7 * big, dtype=dt))
    return einsum("bnts,bsnh->btnh", softmax(logits, axis=-1), v)
