"""More of ``keras.ops.numpy``: ``array``, ``empty``/``empty_like``, ``average`` (with
weights), ``median``, ``inner``, ``kron``, ``cross``, ``fmod`` and ``digitize``.

All are composed from the differentiable ops of ``_core``, ``_math`` and ``_array`` (``median``
through ``sort``, so its gradient goes to the middle element(s)); ``digitize`` has no gradient.
"""

from __future__ import annotations

import builtins

import numpy as np

from lamina.autodiff.tensor import Tensor
from lamina.ops._array import getitem, moveaxis, pad, sort, stack, tensordot, transpose
from lamina.ops._core import (
    cast,
    convert_to_numpy,
    convert_to_tensor,
    ndim,
    reshape,
    shape,
    zeros,
    zeros_like,
)
from lamina.ops._math import (
    ceil,
    divide,
    equal,
    floor,
    greater_equal,
    less,
    logical_and,
    mean,
    mod,
    multiply,
    not_equal,
    subtract,
    sum,
    where,
)
from lamina.ops._more import _axis_arg, _dtype_of, _promote
from lamina.ops._numpy_more import _as_float, _tensor

__all__ = ["array", "average", "bincount", "cross", "digitize", "empty", "empty_like", "fmod",
           "inner", "kron", "median"]


def array(x, dtype=None) -> Tensor:
    """``x`` as a tensor (``convert_to_tensor``), of ``dtype`` when given."""
    return convert_to_tensor(x, dtype=dtype)


def empty(shape, dtype=None) -> Tensor:
    """A tensor of ``shape`` whose values are not to be relied on (lamina fills it with 0)."""
    return zeros(shape, dtype=dtype)


def empty_like(x, dtype=None) -> Tensor:
    """A tensor like ``x`` whose values are not to be relied on (lamina fills it with 0)."""
    return zeros_like(x, dtype=dtype)


def _pair(x1, x2):
    x1, x2 = _tensor(x1), _tensor(x2)
    dt = _promote(_dtype_of(x1), _dtype_of(x2))
    return (x1 if _dtype_of(x1) == dt else cast(x1, dt)), (x2 if _dtype_of(x2) == dt else cast(x2, dt))


# ---------------------------------------------------------------------------
# Statistics


def average(x, axis=None, weights=None) -> Tensor:
    """The mean of ``x`` along ``axis``, weighted by ``weights`` when given.

    ``weights`` has the shape of ``x``, or is 1-D with the length of ``axis``.

    Example:
        >>> from lamina import ops
        >>> float(ops.average([1.0, 2.0, 4.0], weights=[1.0, 1.0, 2.0]))
        2.75
    """
    x = _as_float(x) if weights is None else _as_float(x, weights)
    if weights is None:
        return mean(x, axis=axis)
    w = _as_float(weights, x)
    xs, ws = shape(x), shape(w)
    if ws != xs:
        if axis is None or len(ws) != 1 or not isinstance(axis, (int, np.integer)):
            raise ValueError(
                f"average: `weights` must have the shape of `x` {xs}, or be 1-D along an int "
                f"`axis`. Got weights of shape {ws} with axis={axis!r}."
            )
        a = _axis_arg("average", "axis", axis, len(xs))
        if ws[0] != xs[a]:
            raise ValueError(
                f"average: 1-D `weights` must have the length of axis {axis} of `x` ({xs[a]}). "
                f"Got {ws[0]}."
            )
        w = reshape(w, [xs[a] if i == a else 1 for i in range(len(xs))])
        return divide(sum(multiply(x, w), axis=a), sum(w))
    return divide(sum(multiply(x, w), axis=axis), sum(w, axis=axis))


def median(x, axis=None, keepdims=False) -> Tensor:
    """The median of ``x`` along ``axis`` (all of ``x`` when ``None``): the middle value, or
    the mean of the two middle values. The gradient goes to those values.

    Example:
        >>> from lamina import ops
        >>> float(ops.median([3.0, 1.0, 4.0, 2.0]))
        2.5
    """
    x = _as_float(x)
    s = shape(x)
    n = len(s)
    if axis is None:
        axes = list(range(n))
    else:
        axes = [_axis_arg("median", "axis", a, n) for a in
                ((axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))]
    rest = [i for i in range(n) if i not in axes]
    flat = reshape(transpose(x, rest + axes) if axes else x, [s[i] for i in rest] + [-1])
    m = shape(flat)[-1]
    if m == 0:
        raise ValueError(f"median: the axes reduced have no elements (shape {s}, axis={axis}).")
    ordered = sort(flat, axis=-1)
    mid = getitem(ordered, (Ellipsis, builtins.slice((m - 1) // 2, m // 2 + 1)))
    out = mean(mid, axis=-1)
    if keepdims:
        out = reshape(out, [1 if i in axes else s[i] for i in range(n)])
    return out


# ---------------------------------------------------------------------------
# Products


def inner(x1, x2) -> Tensor:
    """The sum of products over the last axes of ``x1`` and ``x2`` (a product for scalars)."""
    x1, x2 = _pair(x1, x2)
    if ndim(x1) == 0 or ndim(x2) == 0:
        return multiply(x1, x2)
    if shape(x1)[-1] != shape(x2)[-1]:
        raise ValueError(
            f"inner: the last axes of `x1` and `x2` must have the same length. Got shapes "
            f"{shape(x1)} and {shape(x2)}."
        )
    return tensordot(x1, x2, axes=([-1], [-1]))


def kron(x1, x2) -> Tensor:
    """The Kronecker product: blocks ``x1[i, j, ...] * x2``, tiled in ``x1``'s layout.

    Example:
        >>> from lamina import ops
        >>> ops.kron([1.0, 2.0], [1.0, 10.0]).numpy()
        array([ 1., 10.,  2., 20.], dtype=float32)
    """
    x1, x2 = _pair(x1, x2)
    n = builtins.max(ndim(x1), ndim(x2))
    s1 = (1,) * (n - ndim(x1)) + shape(x1)
    s2 = (1,) * (n - ndim(x2)) + shape(x2)
    a = reshape(x1, [d for k in s1 for d in (k, 1)])
    b = reshape(x2, [d for k in s2 for d in (1, k)])
    return reshape(multiply(a, b), [p * q for p, q in zip(s1, s2)])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None) -> Tensor:
    """The cross product of the 2- or 3-vectors on axes ``axisa`` of ``x1`` and ``axisb`` of
    ``x2``, as ``numpy.cross`` (2-vectors have z = 0; two 2-vectors give the z component only).

    Example:
        >>> from lamina import ops
        >>> ops.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).numpy()
        array([0., 0., 1.], dtype=float32)
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = _pair(x1, x2)
    a = moveaxis(x1, _axis_arg("cross", "axisa", axisa, ndim(x1)), -1)
    b = moveaxis(x2, _axis_arg("cross", "axisb", axisb, ndim(x2)), -1)
    da, db = shape(a)[-1], shape(b)[-1]
    if da not in (2, 3) or db not in (2, 3):
        raise ValueError(
            f"cross: the vectors must have 2 or 3 components. Got {da} (axis {axisa} of `x1`, "
            f"shape {shape(x1)}) and {db} (axis {axisb} of `x2`, shape {shape(x2)})."
        )

    def parts(v, d):
        if d == 2:
            v = pad(v, [(0, 0)] * (ndim(v) - 1) + [(0, 1)])
        return [getitem(v, (Ellipsis, i)) for i in range(3)]

    (a0, a1, a2), (b0, b1, b2) = parts(a, da), parts(b, db)
    z = subtract(multiply(a0, b1), multiply(a1, b0))
    if da == 2 and db == 2:
        return z
    out = stack([subtract(multiply(a1, b2), multiply(a2, b1)),
                 subtract(multiply(a2, b0), multiply(a0, b2)), z], axis=-1)
    return moveaxis(out, -1, _axis_arg("cross", "axisc", axisc, ndim(out)))


# ---------------------------------------------------------------------------
# Remainders and bins


def fmod(x1, x2) -> Tensor:
    """The remainder of ``x1 / x2`` with the sign of ``x1`` (C's ``fmod``), elementwise.

    For floats the gradient is ``1`` for ``x1`` and ``-trunc(x1 / x2)`` for ``x2``.

    Example:
        >>> from lamina import ops
        >>> ops.fmod([-7.0, 7.0], [3.0, -3.0]).numpy()
        array([-1.,  1.], dtype=float32)
    """
    x1, x2 = _pair(x1, x2)
    if _dtype_of(x1) == np.bool_:
        x1, x2 = cast(x1, "int32"), cast(x2, "int32")
    if _dtype_of(x1).kind == "f":
        q = divide(x1, x2)
        t = where(less(q, 0), ceil(q), floor(q))  # trunc, a constant for the gradient
        return subtract(x1, multiply(x2, t))
    r = mod(x1, x2)  # (sign of x2): move it to the sign of x1 where they differ
    flip = logical_and(not_equal(r, 0), not_equal(less(r, 0), less(x1, 0)))
    return where(flip, subtract(r, x2), r)


def digitize(x, bins) -> Tensor:
    """For each ``x``, the index ``i`` of its bin: ``bins[i - 1] <= x < bins[i]`` for
    increasing ``bins`` (``bins[i - 1] > x >= bins[i]`` for decreasing), as int32; no gradient.

    Example:
        >>> from lamina import ops
        >>> ops.digitize([0.5, 1.0, 3.5], [1.0, 2.0, 3.0]).numpy()
        array([0, 1, 3], dtype=int32)
    """
    x, bins = _pair(x, bins)
    if ndim(bins) != 1:
        raise ValueError(f"digitize: `bins` must be 1-D. Got shape {shape(bins)}.")
    if shape(bins)[0] == 0:
        return zeros_like(x, dtype="int32")
    col = reshape(x, (*shape(x), 1))
    up = sum(cast(greater_equal(col, bins), "int32"), axis=-1)
    down = sum(cast(less(col, bins), "int32"), axis=-1)
    rising = greater_equal(getitem(bins, -1), getitem(bins, 0))
    return cast(where(rising, up, down), "int32")


def bincount(x, weights=None, minlength=0, sparse=False) -> Tensor:
    """How often each value ``0, 1, ...`` occurs in the non-negative integers ``x`` (the sum
    of ``weights`` at those places, when given): length ``max(x) + 1``, at least
    ``minlength``. A 2-D ``x`` counts each row. Gradients flow to ``weights``.

    The length is read from the values of ``x``, so a compiled step that calls it runs
    step by step (eagerly) instead of from a traced plan.

    Example:
        >>> from lamina import ops
        >>> ops.bincount([0, 1, 1, 3]).numpy()
        array([1, 2, 0, 1], dtype=int32)
    """
    if sparse:
        raise ValueError("bincount: `sparse=True` is not supported by lamina (NumPy arrays are "
                         "dense). Use sparse=False.")
    x = _tensor(x)
    if _dtype_of(x).kind not in "iub" or ndim(x) not in (1, 2):
        raise ValueError(
            f"bincount: `x` must be a 1-D or 2-D tensor of non-negative integers. Got dtype "
            f"{_dtype_of(x)} and shape {shape(x)}."
        )
    values = convert_to_numpy(x)
    if values.size and values.min() < 0:
        raise ValueError(f"bincount: `x` must be non-negative. Got the value {values.min()}.")
    length = builtins.max(int(minlength), int(values.max()) + 1 if values.size else 0)
    hits = equal(reshape(x, (*shape(x), 1)), np.arange(length, dtype=_dtype_of(x)))
    if weights is None:
        return cast(sum(cast(hits, "int32"), axis=-2), "int32")  # (NumPy sums to int64)
    w = _tensor(weights)
    if shape(w) != shape(x):
        raise ValueError(f"bincount: `weights` must have the shape of `x` {shape(x)}. Got "
                         f"{shape(w)}.")
    dt = _promote(_dtype_of(x), _dtype_of(w))
    w = cast(w, dt) if _dtype_of(w) != dt else w
    return sum(where(hits, reshape(w, (*shape(w), 1)), np.zeros((), dt)), axis=-2)
