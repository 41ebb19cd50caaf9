"""Masks of attention: where a query may look, from padding, causality and explicit masks.

A mask is boolean, ``True`` where a query position may attend to a key position. The
layers merge the masks they are given (the inputs' padding masks, an explicit
``attention_mask``, the causal mask) with a logical and, then either replace the masked
scores by a large negative number before the softmax or subtract one from them; the
numbers below are the ones Keras uses for each, so that results match to the bit.
"""

from __future__ import annotations

import numpy as np

from lamina import ops
from lamina.autodiff.tensor import Tensor

__all__ = [
    "as_mask", "band_mask", "causal_mask", "check_mask_shape", "fused_mask_value",
    "merge_masks", "shape_of", "subtract_mask_value",
]


def fused_mask_value(dtype) -> float:
    """What Keras's fused ``dot_product_attention`` (TensorFlow) puts at masked scores:
    0.7 times the most negative float32 (or float16) number."""
    return (65500.0 if np.dtype(dtype) == np.float16 else 3.38953e38) * -0.7


def subtract_mask_value(dtype) -> float:
    """What Keras's ``Attention`` subtracts from masked scores: 1e9 (65504 in float16)."""
    return 65504.0 if np.dtype(dtype) == np.float16 else 1.0e9


def shape_of(x) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _fmt(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        (",)" if len(shape) == 1 else ")")


def check_mask_shape(owner: str, what: str, mask_shape, expected, meaning: str) -> None:
    """Raise a ValueError naming both shapes unless ``mask_shape`` broadcasts to ``expected``.

    Trailing axes are matched (a missing leading axis broadcasts); an axis of 1 stretches.
    """
    mask_shape, expected = tuple(mask_shape), tuple(expected)
    ok = len(mask_shape) <= len(expected) and all(
        m in (1, e) or m is None or e is None
        for m, e in zip(reversed(mask_shape), reversed(expected)))
    if not ok:
        raise ValueError(
            f"{owner}: {what} has shape {_fmt(mask_shape)}, which does not fit the shape "
            f"{_fmt(expected)} it must match ({meaning}); each of its axes must equal that "
            "size or be 1.")


def as_mask(mask):
    """``mask`` as a boolean tensor (``None`` stays ``None``)."""
    if mask is None:
        return None
    t = mask if isinstance(mask, Tensor) else ops.convert_to_tensor(np.asarray(mask))
    return t if t.dtype == np.bool_ else ops.cast(t, "bool")


def merge_masks(*masks):
    """The logical and of the given masks (``None`` entries skipped; all ``None``: ``None``)."""
    out = None
    for m in masks:
        if m is None:
            continue
        out = m if out is None else ops.logical_and(out, m)
    return out


def causal_mask(query_length: int, key_length: int):
    """``(1, T, S)``: ``True`` where key position ``j <= i`` (no look at later steps)."""
    return Tensor(np.tril(np.ones((query_length, key_length), dtype=bool))[None])


def band_mask(query_length: int, key_length: int, band: int):
    """``(1, T, S)``: ``True`` where ``|i - j| < band`` (a sliding window on both sides)."""
    rows = np.arange(query_length)[:, None]
    cols = np.arange(key_length)[None, :]
    return Tensor((np.abs(rows - cols) < band)[None])
