"""More of ``keras.ops.numpy``: inverse trigonometric and hyperbolic functions, ``hypot``,
``logaddexp``/``logaddexp2``, ``exp2``, ``cbrt``, angle conversions; stacking (``hstack``,
``vstack``, ``dstack``, ``column_stack``, ``append``), ``diff``, flips and ``rot90``,
``meshgrid``, ``copy``; and the logical tests ``logical_xor``, ``isneginf``, ``isposinf``,
``isreal``, ``isin`` and ``allclose``.

The functions with a new derivative are primitives of ``_prim_numpy_more.py``; the rest are
composed from differentiable ops, so every one has gradients and traces. Result dtypes
follow Keras: integer and boolean inputs to the float functions give ``floatx()``.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from lamina import config
from lamina.autodiff.tape import apply
from lamina.autodiff.tensor import Tensor
from lamina.ops import _prim_numpy_more as P
from lamina.ops._array import concatenate, flip, getitem, swapaxes
from lamina.ops._core import cast, convert_to_tensor, ndim, ones_like, reshape, shape
from lamina.ops._math import (
    all,
    equal,
    exp,
    greater,
    isinf,
    less,
    logical_and,
    logical_not,
    logical_or,
    multiply,
    not_equal,
    sqrt,
    square,
    subtract,
)
from lamina.ops._math import any as _any
from lamina.ops._more import _axis_arg, _dtype_of, _promote, isclose

__all__ = [
    "allclose", "append", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2",
    "arctanh", "cbrt", "column_stack", "copy", "cosh", "deg2rad", "diff", "dstack", "exp2",
    "fliplr", "flipud", "hstack", "hypot", "isin", "isneginf", "isposinf", "isreal",
    "logaddexp", "logaddexp2", "logical_xor", "meshgrid", "rad2deg", "rot90", "sinh",
    "vstack",
]  # fmt: skip

_LN2 = math.log(2.0)


def _tensor(x):
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


def _as_float(x, *others):
    """``x`` cast to Keras's float type for these inputs: the widest float among them, else
    ``floatx()`` (integers and booleans)."""
    dts = [_dtype_of(a) for a in (x, *others)]
    floats = [d for d in dts if d.kind == "f"]
    dt = np.result_type(*floats) if floats else np.dtype(config.floatx())
    return cast(x, dt) if _dtype_of(x) != dt else _tensor(x)


def _unary(prim, x):
    return apply(prim, (_as_float(x),))


# ---------------------------------------------------------------------------
# Elementwise functions


def arcsin(x) -> Tensor:
    """Inverse sine, elementwise (NaN outside ``[-1, 1]``).

    Example:
        >>> from lamina import ops
        >>> ops.arcsin([0.0, 1.0]).numpy()
        array([0.       , 1.5707964], dtype=float32)
    """
    return _unary(P.ARCSIN, x)


def arccos(x) -> Tensor:
    """Inverse cosine, elementwise (NaN outside ``[-1, 1]``)."""
    return _unary(P.ARCCOS, x)


def arctan(x) -> Tensor:
    """Inverse tangent, elementwise, in ``(-pi/2, pi/2)``."""
    return _unary(P.ARCTAN, x)


def arcsinh(x) -> Tensor:
    """Inverse hyperbolic sine, elementwise."""
    return _unary(P.ARCSINH, x)


def arccosh(x) -> Tensor:
    """Inverse hyperbolic cosine, elementwise (NaN below 1)."""
    return _unary(P.ARCCOSH, x)


def arctanh(x) -> Tensor:
    """Inverse hyperbolic tangent, elementwise (infinite at +-1, NaN beyond)."""
    return _unary(P.ARCTANH, x)


def sinh(x) -> Tensor:
    """Hyperbolic sine, elementwise."""
    return _unary(P.SINH, x)


def cosh(x) -> Tensor:
    """Hyperbolic cosine, elementwise."""
    return _unary(P.COSH, x)


def cbrt(x) -> Tensor:
    """Cube root, elementwise (negative for negative ``x``).

    Example:
        >>> from lamina import ops
        >>> ops.cbrt([-8.0, 27.0]).numpy()
        array([-2.,  3.], dtype=float32)
    """
    return _unary(P.CBRT, x)


def arctan2(x1, x2) -> Tensor:
    """The angle of the point ``(x2, x1)``, elementwise, in ``[-pi, pi]``: the quadrant comes
    from both signs.

    Example:
        >>> from lamina import ops
        >>> ops.arctan2([1.0, -1.0], [-1.0, -1.0]).numpy()
        array([ 2.3561945, -2.3561945], dtype=float32)
    """
    return apply(P.ARCTAN2, (_as_float(x1, x2), _as_float(x2, x1)))


def hypot(x1, x2) -> Tensor:
    """``sqrt(x1**2 + x2**2)``, elementwise."""
    a, b = _as_float(x1, x2), _as_float(x2, x1)
    return sqrt(square(a) + square(b))


def logaddexp(x1, x2) -> Tensor:
    """``log(exp(x1) + exp(x2))``, elementwise, without overflow.

    Example:
        >>> from lamina import ops
        >>> ops.logaddexp([1000.0], [1000.0]).numpy()
        array([1000.6932], dtype=float32)
    """
    return apply(P.LOGADDEXP, (_as_float(x1, x2), _as_float(x2, x1)))


def logaddexp2(x1, x2) -> Tensor:
    """``log2(2**x1 + 2**x2)``, elementwise, without overflow."""
    a, b = _as_float(x1, x2), _as_float(x2, x1)
    return multiply(apply(P.LOGADDEXP, (multiply(a, _LN2), multiply(b, _LN2))), 1 / _LN2)


def exp2(x) -> Tensor:
    """``2**x``, elementwise."""
    return exp(multiply(_as_float(x), _LN2))


def _angle_float(x):
    dt = _dtype_of(x)
    if dt == np.int64:
        return cast(x, "float64")
    return _as_float(x)


def deg2rad(x) -> Tensor:
    """Degrees to radians (64-bit integers give float64, as in Keras)."""
    return multiply(_angle_float(x), math.pi / 180.0)


def rad2deg(x) -> Tensor:
    """Radians to degrees (64-bit integers give float64, as in Keras)."""
    return multiply(_angle_float(x), 180.0 / math.pi)


# ---------------------------------------------------------------------------
# Stacking, differences, flips


def _common(name, xs):
    if isinstance(xs, (Tensor, np.ndarray)) or not isinstance(xs, (list, tuple)):
        raise TypeError(
            f"{name}: `xs` must be a list or tuple of tensors. Got {type(xs).__name__}; "
            f"wrap a single tensor in a list, e.g. {name}([x, y])."
        )
    if not xs:
        raise ValueError(f"{name}: `xs` must hold at least one tensor. Got an empty sequence.")
    xs = [_tensor(x) for x in xs]
    dt = _promote(*(_dtype_of(x) for x in xs))
    return [x if _dtype_of(x) == dt else cast(x, dt) for x in xs]


def _at_least(x, n):
    s = shape(x)
    if len(s) >= n:
        return x
    if n == 2:
        return reshape(x, (1, *s) if s else (1, 1))
    return reshape(x, {0: (1, 1, 1), 1: (1, *s, 1), 2: (*s, 1)}[len(s)])


def hstack(xs) -> Tensor:
    """Join ``xs`` along their second axis (the first, for 1-D tensors).

    Example:
        >>> from lamina import ops
        >>> ops.hstack([ops.ones((2, 1)), ops.zeros((2, 2))]).shape
        (2, 3)
    """
    xs = [_at_least(x, 1) if ndim(x) == 0 else x for x in _common("hstack", xs)]
    return concatenate(xs, axis=0 if ndim(xs[0]) == 1 else 1)


def vstack(xs) -> Tensor:
    """Join ``xs`` along their first axis, 1-D tensors as rows."""
    return concatenate([_at_least(x, 2) for x in _common("vstack", xs)], axis=0)


def dstack(xs) -> Tensor:
    """Join ``xs`` along their third axis (``(n,)`` taken as ``(1, n, 1)``, ``(m, n)`` as
    ``(m, n, 1)``)."""
    return concatenate([_at_least(x, 3) for x in _common("dstack", xs)], axis=2)


def column_stack(xs) -> Tensor:
    """Join ``xs`` as columns: 1-D tensors become columns, others join on axis 1."""
    xs = _common("column_stack", xs)
    return concatenate([reshape(x, (-1, 1)) if ndim(x) < 2 else x for x in xs], axis=1)


def append(x1, x2, axis=None) -> Tensor:
    """``x2`` joined to the end of ``x1`` along ``axis`` (both flattened when ``None``)."""
    x1, x2 = _common("append", [x1, x2])
    if axis is None:
        return concatenate([reshape(x1, (-1,)), reshape(x2, (-1,))], axis=0)
    return concatenate([x1, x2], axis=axis)


def diff(a, n=1, axis=-1) -> Tensor:
    """The ``n``-th difference along ``axis``: ``a[i + 1] - a[i]``, ``n`` times.

    Example:
        >>> from lamina import ops
        >>> ops.diff([1.0, 4.0, 9.0, 16.0]).numpy()
        array([3., 5., 7.], dtype=float32)
    """
    a = _tensor(a)
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: `n` must be a non-negative int. Got n={n!r}.")
    rank = ndim(a)
    if rank == 0:
        raise ValueError("diff: `a` must have at least 1 dimension. Got a scalar.")
    ax = _axis_arg("diff", "axis", axis, rank)
    lead = (builtins.slice(None),) * ax
    boolean = _dtype_of(a) == np.bool_
    for _ in range(int(n)):
        hi = getitem(a, (*lead, builtins.slice(1, None)))
        lo = getitem(a, (*lead, builtins.slice(None, -1)))
        a = not_equal(hi, lo) if boolean else subtract(hi, lo)
    return a


def fliplr(x) -> Tensor:
    """``x`` with its second axis reversed (at least 2-D)."""
    if ndim(x) < 2:
        raise ValueError(f"fliplr: `x` must have at least 2 dimensions. Got shape {shape(x)}.")
    return flip(x, axis=1)


def flipud(x) -> Tensor:
    """``x`` with its first axis reversed (at least 1-D)."""
    if ndim(x) < 1:
        raise ValueError("flipud: `x` must have at least 1 dimension. Got a scalar.")
    return flip(x, axis=0)


def rot90(array, k=1, axes=(0, 1)) -> Tensor:
    """``array`` rotated by 90 degrees ``k`` times in the plane of ``axes``, from the first
    axis towards the second.

    Example:
        >>> from lamina import ops
        >>> ops.rot90([[1, 2], [3, 4]]).numpy()
        array([[2, 4],
               [1, 3]], dtype=int32)
    """
    x = _tensor(array)
    n = ndim(x)
    if n < 2:
        raise ValueError(f"rot90: `array` must have at least 2 dimensions. Got shape {shape(x)}.")
    if len(tuple(axes)) != 2:
        raise ValueError(f"rot90: `axes` must name two axes. Got axes={axes!r}.")
    a0 = _axis_arg("rot90", "axes", axes[0], n)
    a1 = _axis_arg("rot90", "axes", axes[1], n)
    if a0 == a1:
        raise ValueError(f"rot90: `axes` must be two different axes. Got axes={tuple(axes)}.")
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, axis=a0), axis=a1)
    if k == 1:
        return swapaxes(flip(x, axis=a1), a0, a1)
    return flip(swapaxes(x, a0, a1), axis=a1)


def meshgrid(*x, indexing="xy") -> list:
    """Coordinate grids from 1-D tensors: one tensor per input, each of the grid's shape.

    ``indexing="xy"`` (Cartesian) swaps the first two grid axes; ``"ij"`` keeps them.

    Example:
        >>> from lamina import ops
        >>> [g.shape for g in ops.meshgrid(ops.arange(3), ops.arange(2))]
        [(2, 3), (2, 3)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: `indexing` must be 'xy' or 'ij'. Got {indexing!r}.")
    xs = [reshape(_tensor(v), (-1,)) for v in x]
    sizes = [shape(v)[0] for v in xs]
    if indexing == "xy" and len(xs) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, v in enumerate(xs):
        pos = (1 - i if i < 2 else i) if indexing == "xy" and len(xs) >= 2 else i
        view = reshape(v, [sizes[j] if j == pos else 1 for j in range(len(xs))])
        ones = np.ones(sizes, dtype=_dtype_of(v))
        out.append(logical_and(view, ones) if _dtype_of(v) == np.bool_ else multiply(view, ones))
    return out


def copy(x) -> Tensor:
    """A tensor with the values of ``x`` (gradients pass through)."""
    x = _tensor(x)
    return getitem(x, (Ellipsis,))


# ---------------------------------------------------------------------------
# Logical tests (no gradient)


def logical_xor(x1, x2) -> Tensor:
    """True where exactly one of ``x1``, ``x2`` is true (nonzero)."""
    a, b = cast(x1, "bool"), cast(x2, "bool")
    return logical_and(logical_or(a, b), logical_not(logical_and(a, b)))


def isposinf(x) -> Tensor:
    """True where ``x`` is positive infinity."""
    return logical_and(isinf(x), greater(x, 0))


def isneginf(x) -> Tensor:
    """True where ``x`` is negative infinity."""
    return logical_and(isinf(x), less(x, 0))


def isreal(x) -> Tensor:
    """True everywhere: lamina's tensors hold real numbers only (no complex dtype)."""
    return cast(ones_like(x), "bool")


def isin(x1, x2, assume_unique=False, invert=False) -> Tensor:
    """True where an element of ``x1`` occurs in ``x2`` (``invert=True``: where it does not).

    Example:
        >>> from lamina import ops
        >>> ops.isin([1, 2, 3], [3, 1]).numpy()
        array([ True, False,  True])
    """
    x1, x2 = _common("isin", [x1, x2])
    flat = reshape(x2, (1,) * ndim(x1) + (-1,))
    found = _any(equal(reshape(x1, (*shape(x1), 1)), flat), axis=-1)
    return logical_not(found) if invert else found


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False) -> Tensor:
    """True when ``isclose(x1, x2, ...)`` holds everywhere (a scalar boolean tensor)."""
    return all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))
