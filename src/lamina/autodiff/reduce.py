"""Sums over the trailing axes of an array, as one matrix-vector product.

NumPy reduces the last axis of a C-contiguous array row by row, one short inner loop per row:
over rows of 64 floats that costs about 2.4 ns an element, against 0.3 ns for BLAS's
``rows @ ones``. The sums along trailing axes of the ``sum`` and ``mean`` primitives (and so
of the losses and metrics on them), of softmax and its gradient, of layer normalization and of
the gradients that undo broadcasting all go through :func:`sum_trailing`, so a fused primitive
and the chain of primitives it replaces still add the same numbers in the same order.

The product's order of additions is BLAS's, not NumPy's pairwise one: results differ from
``np.sum`` in the last bits, as those of any two BLAS libraries do. Rows longer than
``MAX_ROW`` keep NumPy's pairwise sum, whose error grows more slowly with the row's length, and
arrays smaller than ``MIN_SIZE`` NumPy's reduction, as fast there as the product's set-up.
Signed zeros: a row of ``-0.0`` sums to ``+0.0`` here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_ROW", "MIN_SIZE", "mean", "sum_trailing", "trailing_axes"]

MAX_ROW = 1024  # elements per summed row, at most, for the product
MIN_SIZE = 4096  # elements in all, at least: below, NumPy's reduction costs no more
_BLAS = (np.dtype(np.float32), np.dtype(np.float64))
_ONES: dict = {}


def _ones(n, dtype):
    key = (n, dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 256:
            _ONES.clear()
        ones = _ONES[key] = np.ones(n, dtype)
        ones.flags.writeable = False
    return ones


def trailing_axes(ndim, axis):
    """How many trailing axes ``axis`` (an int, a tuple, or ``None``) names, or 0 when it names
    anything else (a leading axis, all of them, none, or one twice)."""
    if axis is None or ndim < 2:
        return 0
    if isinstance(axis, (int, np.integer)):
        if axis == -1 or axis == ndim - 1:
            return 1  # (the common case, without the general parse below)
        axes = (axis,)
    else:
        axes = tuple(axis)
    try:
        if not all(-ndim <= int(a) < ndim for a in axes):
            return 0  # (NumPy's reduction then raises its AxisError)
        wanted = sorted({int(a) % ndim for a in axes})
    except (TypeError, ValueError):
        return 0
    if not wanted or len(wanted) != len(axes) or len(wanted) >= ndim:
        return 0
    return len(wanted) if wanted == list(range(ndim - len(wanted), ndim)) else 0


def sum_trailing(x, axis, keepdims=False):
    """``np.add.reduce(x, axis, keepdims=keepdims)``; for the trailing axes of a C-contiguous
    float32/float64 array, computed as ``x.reshape(rows, n) @ ones(n)``.

    Returns ``None`` when the product does not apply, so a caller can use its own reduction.
    """
    if type(x) is not np.ndarray or x.size < MIN_SIZE or x.dtype not in _BLAS or \
            not x.flags.c_contiguous:
        return None
    k = trailing_axes(x.ndim, axis)
    if not k:
        return None
    kept = x.shape[:x.ndim - k]
    n = x.size // max(1, int(np.prod(kept)))
    if not 2 <= n <= MAX_ROW:
        return None
    out = np.matmul(x.reshape(-1, n), _ones(n, x.dtype))
    return out.reshape(kept + (1,) * k if keepdims else kept)


def mean(x, axis=None, keepdims=False):
    """``np.mean(x, axis, keepdims=keepdims)``, its sum from :func:`sum_trailing` where that
    applies (then divided as NumPy divides it: by the count as an ``intp``, into the sum)."""
    total = sum_trailing(x, axis, keepdims)
    if total is None:
        return np.mean(x, axis=axis, keepdims=keepdims)
    count = np.intp(x.size // max(1, total.size))
    return np.true_divide(total, count, out=total, casting="unsafe")
