"""The NaN-ignoring reductions of ``keras.ops.numpy``: ``nansum``, ``nanprod``, ``nanmean``,
``nanvar``, ``nanstd``, ``nanmax``, ``nanmin``, ``nancumsum`` and ``nancumprod``.

Each replaces the NaNs with the operation's identity (0 for sums, 1 for products, -inf or
+inf for the extremes) by a ``where`` with a constant mask and reduces what is left, so the
gradients reach the numbers and never the NaNs. Integers hold no NaN and reduce as usual.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor
from lamina.ops._core import cast
from lamina.ops._math import (
    all,
    cumsum,
    divide,
    isnan,
    logical_not,
    max,
    min,
    prod,
    sqrt,
    square,
    subtract,
    sum,
    where,
)
from lamina.ops._more import _dtype_of, cumprod
from lamina.ops._numpy_more import _as_float, _tensor

__all__ = ["nancumprod", "nancumsum", "nanmax", "nanmean", "nanmin", "nanprod", "nanstd",
           "nansum", "nanvar"]


def _filled(x, value):
    x = _tensor(x)
    if _dtype_of(x).kind != "f":
        return x, None
    nan = isnan(x)
    return where(nan, np.asarray(value, dtype=_dtype_of(x)), x), nan


def _int_result(x, out):
    """Keras's dtypes of integer sums and products: small ints as int32 (uint32)."""
    dt = _dtype_of(x)
    if dt == np.bool_ or dt in (np.int8, np.int16):
        dt = np.dtype("int32")
    elif dt in (np.uint8, np.uint16):
        dt = np.dtype("uint32")
    return out if _dtype_of(out) == dt else cast(out, dt)


def nansum(x, axis=None, keepdims=False) -> Tensor:
    """The sum along ``axis``, NaNs counted as 0.

    Example:
        >>> from lamina import ops
        >>> float(ops.nansum([1.0, float("nan"), 2.0]))
        3.0
    """
    filled, _ = _filled(x, 0)
    return _int_result(filled, sum(filled, axis=axis, keepdims=keepdims))


def nanprod(x, axis=None, keepdims=False) -> Tensor:
    """The product along ``axis``, NaNs counted as 1."""
    filled, _ = _filled(x, 1)
    return _int_result(filled, prod(filled, axis=axis, keepdims=keepdims))


def _count(nan, x, axis, keepdims):
    keep = cast(logical_not(nan), _dtype_of(x))
    return sum(keep, axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False) -> Tensor:
    """The mean along ``axis`` of the numbers that are not NaN (NaN where all are)."""
    x = _as_float(x)
    filled, nan = _filled(x, 0)
    total = sum(filled, axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):  # (0 / 0 where all are NaN)
        return divide(total, _count(nan, x, axis, keepdims))


def nanvar(x, axis=None, keepdims=False) -> Tensor:
    """The variance along ``axis`` of the numbers that are not NaN."""
    x = _as_float(x)
    filled, nan = _filled(x, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = divide(sum(filled, axis=axis, keepdims=True), _count(nan, x, axis, True))
        dev = where(nan, np.zeros((), _dtype_of(x)), subtract(filled, m))
        return divide(sum(square(dev), axis=axis, keepdims=keepdims),
                      _count(nan, x, axis, keepdims))


def nanstd(x, axis=None, keepdims=False) -> Tensor:
    """The standard deviation along ``axis`` of the numbers that are not NaN."""
    return sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _extreme(reduce, fill, x, axis, keepdims):
    x = _tensor(x)
    filled, nan = _filled(x, fill)
    out = reduce(filled, axis=axis, keepdims=keepdims)
    if nan is None:
        return out
    return where(all(nan, axis=axis, keepdims=keepdims), np.asarray(np.nan, _dtype_of(x)), out)


def nanmax(x, axis=None, keepdims=False) -> Tensor:
    """The maximum along ``axis``, ignoring NaN (NaN where all are NaN)."""
    return _extreme(max, -np.inf, x, axis, keepdims)


def nanmin(x, axis=None, keepdims=False) -> Tensor:
    """The minimum along ``axis``, ignoring NaN (NaN where all are NaN)."""
    return _extreme(min, np.inf, x, axis, keepdims)


def _cumulative_dtype(x, dtype):
    x = _tensor(x)
    if dtype is not None:
        x = cast(x, dtype)
    return cast(x, "int32") if _dtype_of(x) == np.bool_ else x


def nancumsum(x, axis=None, dtype=None) -> Tensor:
    """The cumulative sum along ``axis`` (flattened when ``None``), NaNs counted as 0."""
    filled, _ = _filled(_cumulative_dtype(x, dtype), 0)
    out = cumsum(filled, axis=axis)
    return out if _dtype_of(out) == _dtype_of(filled) else cast(out, _dtype_of(filled))


def nancumprod(x, axis=None, dtype=None) -> Tensor:
    """The cumulative product along ``axis`` (flattened when ``None``), NaNs counted as 1."""
    filled, _ = _filled(_cumulative_dtype(x, dtype), 1)
    return cumprod(filled, axis=axis)
