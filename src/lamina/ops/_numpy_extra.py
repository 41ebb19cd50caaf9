"""Yet more of ``keras.ops.numpy``: ``trunc``, ``fabs``, ``sinc``, ``fmax``/``fmin``,
``heaviside``, ``roll``, ``ptp``, ``vdot``, ``tri``, ``diagflat``, ``quantile``/``percentile``,
``nanargmax``/``nanargmin``, ``trapezoid``, ``vander``, the splits
(``array_split``, ``hsplit``, ``vsplit``, ``dsplit``) and the complex-number parts of real
tensors (``real``, ``imag``, ``conj``/``conjugate``).

All are composed from the differentiable ops of ``_core``, ``_math`` and ``_array``.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor
from lamina.ops._array import concatenate, flip, getitem, moveaxis, sort, split, take, transpose
from lamina.ops._core import cast, convert_to_tensor, ndim, reshape, shape, zeros_like
from lamina.ops._math import (
    abs,
    argmax,
    argmin,
    ceil,
    divide,
    equal,
    floor,
    greater,
    isnan,
    less,
    max,
    maximum,
    min,
    minimum,
    multiply,
    sin,
    subtract,
    sum,
    where,
)
from lamina.ops._math import all as all_
from lamina.ops._more import _axis_arg, _dtype_of, _promote, cumprod, diag
from lamina.ops._numpy_build import _pair
from lamina.ops._numpy_more import _as_float, _tensor

__all__ = [
    "array_split", "bartlett", "blackman", "conj", "conjugate", "diagflat", "dsplit", "fabs",
    "fmax", "fmin", "get_item", "hamming", "hanning", "heaviside", "hsplit", "imag", "kaiser",
    "nanargmax", "nanargmin", "percentile", "ptp", "quantile", "real", "roll", "select", "sinc",
    "trapezoid", "tri", "trunc", "vander", "vdot", "vsplit",
]  # fmt: skip


def trunc(x) -> Tensor:
    """``x`` rounded towards zero (integers pass unchanged); no gradient."""
    x = _tensor(x)
    if _dtype_of(x).kind != "f":
        return x
    return where(less(x, 0), ceil(x), floor(x))


def fabs(x) -> Tensor:
    """``|x|`` as a float (integers give ``floatx()``)."""
    return abs(_as_float(x))


def sinc(x) -> Tensor:
    """``sin(pi x) / (pi x)``, 1 at 0.

    Example:
        >>> from lamina import ops
        >>> ops.sinc([0.0, 0.5]).numpy().round(4)
        array([1.    , 0.6366], dtype=float32)
    """
    x = _as_float(x)
    zero = equal(x, 0)
    px = multiply(where(zero, np.ones((), _dtype_of(x)), x), math.pi)
    return where(zero, np.ones((), _dtype_of(x)), divide(sin(px), px))


def _nan_aware(pick, x1, x2):
    x1, x2 = _pair(x1, x2)
    if _dtype_of(x1).kind != "f":
        return pick(x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, pick(x1, x2)))


def fmax(x1, x2) -> Tensor:
    """The elementwise maximum, ignoring NaN (NaN only where both are NaN)."""
    return _nan_aware(maximum, x1, x2)


def fmin(x1, x2) -> Tensor:
    """The elementwise minimum, ignoring NaN (NaN only where both are NaN)."""
    return _nan_aware(minimum, x1, x2)


def heaviside(x1, x2) -> Tensor:
    """The step function: 0 where ``x1 < 0``, 1 where ``x1 > 0``, ``x2`` where ``x1 == 0``."""
    x1, x2 = _pair(x1, x2)
    dt = _dtype_of(x1)
    if dt == np.int64:
        dt = np.dtype("float64")
    elif dt.kind != "f":
        dt = np.dtype(config.floatx())
    x1, x2 = cast(x1, dt), cast(x2, dt)
    step = where(greater(x1, 0), np.ones((), dt), np.zeros((), dt))
    return where(equal(x1, 0), x2, step)


def roll(x, shift, axis=None) -> Tensor:
    """``x`` with its elements shifted by ``shift`` along ``axis`` (of the flattened ``x``
    when ``None``), those pushed off the end coming back at the start.

    Example:
        >>> from lamina import ops
        >>> ops.roll([1, 2, 3, 4], 1).numpy()
        array([4, 1, 2, 3], dtype=int32)
    """
    x = _tensor(x)
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, 0), shape(x))
    shifts = np.atleast_1d(np.asarray(shift, dtype=int)).tolist()
    axes = np.atleast_1d(np.asarray(axis, dtype=int)).tolist()
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: `shift` and `axis` must have the same length. Got "
                         f"shift={shift!r}, axis={axis!r}.")
    out = x
    for s, a in zip(shifts, axes):
        a = _axis_arg("roll", "axis", a, ndim(x))
        n = shape(x)[a]
        if n:
            out = take(out, (np.arange(n) - s) % n, axis=a)
    return out


def ptp(x, axis=None, keepdims=False) -> Tensor:
    """The range, ``max - min``, along ``axis``."""
    return subtract(max(x, axis=axis, keepdims=keepdims), min(x, axis=axis, keepdims=keepdims))


def vdot(x1, x2) -> Tensor:
    """The dot product of ``x1`` and ``x2`` flattened (real tensors: no conjugation)."""
    x1, x2 = _pair(x1, x2)
    a, b = reshape(x1, (-1,)), reshape(x2, (-1,))
    if shape(a) != shape(b):
        raise ValueError(f"vdot: `x1` and `x2` must have the same number of elements. Got "
                         f"shapes {shape(x1)} and {shape(x2)}.")
    return sum(multiply(a, b))


def tri(N, M=None, k=0, dtype=None) -> Tensor:
    """An ``N x M`` matrix with ones at and below diagonal ``k`` and zeros above."""
    return convert_to_tensor(np.tri(N, M=M, k=k, dtype=dtype or config.floatx()))


def diagflat(x, k=0) -> Tensor:
    """The flattened ``x`` placed on diagonal ``k`` of a square matrix."""
    return diag(reshape(_tensor(x), (-1,)), k=k)


def array_split(x, indices_or_sections, axis=0) -> list:
    """``x`` split along ``axis``: into ``n`` nearly equal pieces (the first ones one longer)
    for an int, or at the given indices."""
    x = _tensor(x)
    a = _axis_arg("array_split", "axis", axis, ndim(x))
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections < 1:
            raise ValueError(f"array_split: the number of sections must be at least 1. Got "
                             f"{sections}.")
        size, extra = divmod(shape(x)[a], sections)
        bounds = np.cumsum([0] + [size + 1] * extra + [size] * (sections - extra))
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], shape(x)[a]]
    lead = (slice(None),) * a
    return [getitem(x, (*lead, slice(int(lo), builtins.max(int(lo), int(hi)))))
            for lo, hi in zip(bounds[:-1], bounds[1:])]


def _split_on(name, x, indices_or_sections, axis, least):
    x = _tensor(x)
    if ndim(x) < least:
        raise ValueError(f"{name}: `x` must have at least {least} dimensions. Got shape "
                         f"{shape(x)}.")
    if isinstance(indices_or_sections, (int, np.integer)):
        return split(x, int(indices_or_sections), axis=axis)
    return array_split(x, indices_or_sections, axis=axis)


def hsplit(x, indices_or_sections) -> list:
    """``x`` split along its second axis (the first, for 1-D) into equal pieces or at indices."""
    return _split_on("hsplit", x, indices_or_sections, 0 if ndim(x) == 1 else 1, 1)


def vsplit(x, indices_or_sections) -> list:
    """``x`` split along its first axis (at least 2-D)."""
    return _split_on("vsplit", x, indices_or_sections, 0, 2)


def dsplit(x, indices_or_sections) -> list:
    """``x`` split along its third axis (at least 3-D)."""
    return _split_on("dsplit", x, indices_or_sections, 2, 3)


def real(x) -> Tensor:
    """The real part: ``x`` itself (lamina's tensors are real)."""
    x = _tensor(x)
    return getitem(x, (Ellipsis,))


def imag(x) -> Tensor:
    """The imaginary part: zeros like ``x`` (lamina's tensors are real); no gradient."""
    return zeros_like(x)


def conjugate(x) -> Tensor:
    """The complex conjugate: ``x`` itself (lamina's tensors are real)."""
    return real(x)


def conj(x) -> Tensor:
    """The complex conjugate (``conjugate``): ``x`` itself for real tensors."""
    return real(x)


# ---------------------------------------------------------------------------
# Quantiles, NaN-ignoring arg-extremes, integrals, Vandermonde matrices

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x, q, axis=None, method="linear", keepdims=False) -> Tensor:
    """The ``q``-th quantiles (``q`` in ``[0, 1]``, a number or 1-D) of ``x`` along ``axis``
    (all of ``x`` when ``None``), as ``numpy.quantile``; a 1-D ``q`` adds a first axis.

    ``method`` picks between the two nearest sorted values: 'linear' (interpolate),
    'lower', 'higher', 'midpoint' or 'nearest'. The gradient goes to those values.

    Example:
        >>> from lamina import ops
        >>> float(ops.quantile([1.0, 2.0, 3.0, 4.0], 0.5))
        2.5
    """
    if method not in _METHODS:
        raise ValueError(f"quantile: `method` must be one of {_METHODS}. Got {method!r}.")
    qs = np.asarray(q.numpy() if isinstance(q, Tensor) else q, dtype=np.float64)
    if qs.ndim > 1 or np.any(qs < 0) or np.any(qs > 1):
        raise ValueError(f"quantile: `q` must be a number or 1-D, with values in [0, 1]. Got "
                         f"q={qs.tolist()!r}.")
    x = _as_float(x)
    s, n = shape(x), ndim(x)
    axes = list(range(n)) if axis is None else [
        _axis_arg("quantile", "axis", a, n)
        for a in ((axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))]
    rest = [i for i in range(n) if i not in axes]
    flat = reshape(transpose(x, rest + axes), [s[i] for i in rest] + [-1])
    m = shape(flat)[-1]
    ordered = sort(flat, axis=-1)
    pos = qs.reshape(-1) * (m - 1)
    lo, hi = np.floor(pos).astype(int), np.ceil(pos).astype(int)
    v_lo, v_hi = take(ordered, lo, axis=-1), take(ordered, hi, axis=-1)
    dt = _dtype_of(ordered)
    if method == "linear":
        out = v_lo + multiply(v_hi - v_lo, (pos - lo).astype(dt))
    elif method == "lower":
        out = v_lo
    elif method == "higher":
        out = v_hi
    elif method == "midpoint":
        out = multiply(v_lo + v_hi, np.asarray(0.5, dt))
    else:
        out = take(ordered, np.around(pos).astype(int), axis=-1)
    if keepdims:
        out = reshape(out, [1 if i in axes else s[i] for i in range(n)] + [len(pos)])
    out = moveaxis(out, -1, 0)
    return out if qs.ndim else getitem(out, 0)


def percentile(x, q, axis=None, method="linear", keepdims=False) -> Tensor:
    """The ``q``-th percentiles (``q`` in ``[0, 100]``): ``quantile`` of ``q / 100``."""
    qs = np.asarray(q.numpy() if isinstance(q, Tensor) else q, dtype=np.float64) / 100.0
    return quantile(x, qs, axis=axis, method=method, keepdims=keepdims)


def _nan_arg(name, pick, fill, x, axis, keepdims):
    x = _tensor(x)
    if _dtype_of(x).kind != "f":
        return pick(x, axis=axis, keepdims=keepdims)
    nan = isnan(x)
    found = pick(where(nan, np.asarray(fill, _dtype_of(x)), x), axis=axis, keepdims=keepdims)
    none = all_(nan, axis=axis, keepdims=keepdims)
    return cast(where(none, np.asarray(-1, np.int32), cast(found, "int32")), "int32")


def nanargmax(x, axis=None, keepdims=False) -> Tensor:
    """The index of the largest number along ``axis`` ignoring NaN (-1 where all are NaN)."""
    return _nan_arg("nanargmax", argmax, -np.inf, x, axis, keepdims)


def nanargmin(x, axis=None, keepdims=False) -> Tensor:
    """The index of the smallest number along ``axis`` ignoring NaN (-1 where all are NaN)."""
    return _nan_arg("nanargmin", argmin, np.inf, x, axis, keepdims)


def trapezoid(y, x=None, dx=1.0, axis=-1) -> Tensor:
    """The integral of ``y`` along ``axis`` by the trapezoidal rule, at the points ``x``
    (1-D, or the shape of ``y``) or ``dx`` apart."""
    y = _as_float(y)
    a = _axis_arg("trapezoid", "axis", axis, ndim(y))
    lead = (slice(None),) * a
    mids = multiply(getitem(y, (*lead, slice(1, None))) + getitem(y, (*lead, slice(None, -1))),
                    np.asarray(0.5, _dtype_of(y)))
    if x is None:
        return multiply(sum(mids, axis=a), dx)
    xs = _as_float(x, y)
    if ndim(xs) == 1:
        xs = reshape(xs, [shape(xs)[0] if i == a else 1 for i in range(ndim(y))])
    d = getitem(xs, (*lead, slice(1, None))) - getitem(xs, (*lead, slice(None, -1)))
    return sum(multiply(mids, d), axis=a)


def vander(x, N=None, increasing=False) -> Tensor:
    """The Vandermonde matrix of the 1-D ``x``: columns ``x**(N-1), ..., x, 1`` (the other
    way round with ``increasing=True``); ``N`` defaults to ``len(x)``.

    Example:
        >>> from lamina import ops
        >>> ops.vander([1, 2, 3], 3).numpy()
        array([[1, 1, 1],
               [4, 2, 1],
               [9, 3, 1]], dtype=int32)
    """
    x = _tensor(x)
    if ndim(x) != 1:
        raise ValueError(f"vander: `x` must be 1-D. Got shape {shape(x)}.")
    n = shape(x)[0] if N is None else int(N)
    col = reshape(x, (-1, 1))
    if n == 0:
        return getitem(col, (slice(None), slice(0, 0)))
    ones = np.ones((shape(x)[0], 1), dtype=_dtype_of(x))
    powers = cumprod(concatenate([ones] + [col] * (n - 1), axis=1), axis=1)
    return powers if increasing else flip(powers, axis=1)


# ---------------------------------------------------------------------------
# Windows, selection, indexing


def _window(fn, name, x, *args):
    n = int(x.numpy()) if isinstance(x, Tensor) else int(x)
    if n < 0:
        raise ValueError(f"{name}: the window length must be non-negative. Got {n}.")
    return convert_to_tensor(fn(n, *args).astype(config.floatx()))


def bartlett(x) -> Tensor:
    """The Bartlett (triangular) window of ``x`` points, in ``floatx()``; no gradient."""
    return _window(np.bartlett, "bartlett", x)


def blackman(x) -> Tensor:
    """The Blackman window of ``x`` points, in ``floatx()``; no gradient."""
    return _window(np.blackman, "blackman", x)


def hamming(x) -> Tensor:
    """The Hamming window of ``x`` points, in ``floatx()``; no gradient."""
    return _window(np.hamming, "hamming", x)


def hanning(x) -> Tensor:
    """The Hann window of ``x`` points, in ``floatx()``; no gradient."""
    return _window(np.hanning, "hanning", x)


def kaiser(x, beta) -> Tensor:
    """The Kaiser window of ``x`` points with shape ``beta``, in ``floatx()``; no gradient."""
    return _window(np.kaiser, "kaiser", x, float(beta))


def select(condlist, choicelist, default=0) -> Tensor:
    """Each element from the first of ``choicelist`` whose condition in ``condlist`` holds
    there, ``default`` where none does. Gradients flow to the choices picked.

    Example:
        >>> from lamina import ops
        >>> x = ops.arange(4)
        >>> ops.select([x < 1, x > 2], [x, x * 10], default=-1).numpy()
        array([ 0, -1, -1, 30], dtype=int32)
    """
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise TypeError("select: `condlist` and `choicelist` must be lists of tensors. Got "
                        f"{type(condlist).__name__} and {type(choicelist).__name__}.")
    if len(condlist) != len(choicelist) or not condlist:
        raise ValueError(
            "select: `condlist` and `choicelist` must be non-empty and of the same length. Got "
            f"{len(condlist)} conditions and {len(choicelist)} choices."
        )
    choices = [_tensor(c) for c in choicelist]
    dt = _promote(*(_dtype_of(c) for c in choices))
    out = cast(_tensor(default), dt)
    for cond, choice in zip(reversed(condlist), reversed(choices)):
        out = where(cast(cond, "bool"), cast(choice, dt) if _dtype_of(choice) != dt else choice,
                    out)
    return out


def get_item(x, key) -> Tensor:
    """``x[key]`` (``getitem``)."""
    return getitem(x, key)
