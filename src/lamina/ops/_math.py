"""Elementwise arithmetic, comparisons and reductions of ``lamina.ops``."""

from __future__ import annotations

import math

import numpy as np

from lamina import config
from lamina.autodiff.tape import apply, as_input_array
from lamina.autodiff.tensor import Tensor
from lamina.ops import _primitives as P
from lamina.ops._core import (
    _axis,
    _meta,
    _new,
    cast,
    dtype,
    ndim,
    ones_like,
    squeeze,
    stop_gradient,
    zeros_like,  # noqa: F401  (divide_no_nan)
)

# ---------------------------------------------------------------------------
# Elementwise arithmetic


def add(x1, x2) -> Tensor:
    """``x1 + x2`` with broadcasting."""
    return apply(P.ADD, (x1, x2))


def subtract(x1, x2) -> Tensor:
    """``x1 - x2`` with broadcasting."""
    return apply(P.SUBTRACT, (x1, x2))


def multiply(x1, x2) -> Tensor:
    """``x1 * x2`` with broadcasting."""
    return apply(P.MULTIPLY, (x1, x2))


def divide(x1, x2) -> Tensor:
    """``x1 / x2`` with broadcasting."""
    return apply(P.DIVIDE, (x1, x2))


true_divide = divide


def divide_no_nan(x1, x2) -> Tensor:
    """``x1 / x2``, with 0 wherever ``x2`` is 0."""
    safe = where(equal(x2, 0), ones_like(x2), x2)
    return where(equal(x2, 0), zeros_like(divide(x1, safe)), divide(x1, safe))


def negative(x) -> Tensor:
    """``-x``."""
    return apply(P.NEGATIVE, (x,))


def power(x1, x2) -> Tensor:
    """``x1 ** x2``."""
    return apply(P.POWER, (x1, x2))


def square(x) -> Tensor:
    """``x ** 2``."""
    return apply(P.SQUARE, (x,))


def sqrt(x) -> Tensor:
    """Square root."""
    return apply(P.SQRT, (x,))


def rsqrt(x) -> Tensor:
    """``1 / sqrt(x)``."""
    return reciprocal(sqrt(x))


def reciprocal(x) -> Tensor:
    """``1 / x``."""
    return apply(P.RECIPROCAL, (x,))


def exp(x) -> Tensor:
    """Exponential."""
    return apply(P.EXP, (x,))


def expm1(x) -> Tensor:
    """``exp(x) - 1``, accurate near 0."""
    return apply(P.EXPM1, (x,))


def log(x) -> Tensor:
    """Natural logarithm."""
    return apply(P.LOG, (x,))


def log1p(x) -> Tensor:
    """``log(1 + x)``, accurate near 0."""
    return apply(P.LOG1P, (x,))


def log2(x) -> Tensor:
    """Base-2 logarithm."""
    return divide(log(x), math.log(2.0))


def log10(x) -> Tensor:
    """Base-10 logarithm."""
    return divide(log(x), math.log(10.0))


def abs(x) -> Tensor:  # noqa: A001 - Keras's name
    """Absolute value (gradient 0 at 0, as in TensorFlow)."""
    return apply(P.ABS, (x,))


absolute = abs


def sin(x) -> Tensor:
    """Sine."""
    return apply(P.SIN, (x,))


def cos(x) -> Tensor:
    """Cosine."""
    return apply(P.COS, (x,))


def tan(x) -> Tensor:
    """Tangent."""
    return divide(sin(x), cos(x))


def erf(x) -> Tensor:
    """The error function."""
    return apply(P.ERF, (x,))


def maximum(x1, x2) -> Tensor:
    """Elementwise maximum; a tie sends the gradient to ``x1``."""
    return apply(P.MAXIMUM, (x1, x2))


def minimum(x1, x2) -> Tensor:
    """Elementwise minimum; a tie sends the gradient to ``x1``."""
    return apply(P.MINIMUM, (x1, x2))


def clip(x, x_min, x_max) -> Tensor:
    """Limit ``x`` to ``[x_min, x_max]``; the gradient passes on the closed interval."""
    return apply(P.CLIP, (x, x_min, x_max))


def where(condition, x1=None, x2=None) -> Tensor:
    """``x1`` where ``condition`` holds, else ``x2``; with one argument, the indices."""
    if x1 is None and x2 is None:
        # The result's shape depends on the values: this reads them (no gradient, not traced).
        cond = condition.value if isinstance(condition, Tensor) else as_input_array(condition)
        return tuple(_new(i) for i in np.nonzero(cond))
    if x1 is None or x2 is None:
        raise ValueError("where() needs both x1 and x2, or neither.")
    return apply(P.WHERE, (condition, x1, x2))


# Ops without gradients: primitives whose VJP passes nothing back.


def _nograd(prim, doc):
    def op(*args, **kwargs):
        return apply(prim, args, **kwargs)

    op.__name__ = op.__qualname__ = prim.name
    op.__doc__ = doc
    return op


sign = _nograd(P.SIGN, "The sign of ``x`` (-1, 0 or 1); no gradient.")
floor = _nograd(P.FLOOR, "Round down; no gradient.")
ceil = _nograd(P.CEIL, "Round up; no gradient.")
floor_divide = _nograd(P.FLOOR_DIVIDE, "``x1 // x2``; no gradient.")
mod = _nograd(P.MOD, "``x1 % x2``; no gradient.")
equal = _nograd(P.EQUAL, "``x1 == x2`` elementwise.")
not_equal = _nograd(P.NOT_EQUAL, "``x1 != x2`` elementwise.")
less = _nograd(P.LESS, "``x1 < x2`` elementwise.")
less_equal = _nograd(P.LESS_EQUAL, "``x1 <= x2`` elementwise.")
greater = _nograd(P.GREATER, "``x1 > x2`` elementwise.")
greater_equal = _nograd(P.GREATER_EQUAL, "``x1 >= x2`` elementwise.")
logical_and = _nograd(P.LOGICAL_AND, "Elementwise logical and.")
logical_or = _nograd(P.LOGICAL_OR, "Elementwise logical or.")
logical_not = _nograd(P.LOGICAL_NOT, "Elementwise logical not.")
isnan = _nograd(P.ISNAN, "True where ``x`` is NaN.")
isinf = _nograd(P.ISINF, "True where ``x`` is infinite.")
isfinite = _nograd(P.ISFINITE, "True where ``x`` is finite.")


def round(x, decimals=0) -> Tensor:  # noqa: A001 - Keras's name
    """Round half to even; no gradient."""
    return apply(P.ROUND, (x,), decimals=decimals)


def argmax(x, axis=None, keepdims=False) -> Tensor:
    """Index of the largest value along ``axis`` (int32)."""
    return apply(P.ARGMAX, (x,), axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False) -> Tensor:
    """Index of the smallest value along ``axis`` (int32)."""
    return apply(P.ARGMIN, (x,), axis=axis, keepdims=keepdims)


def argsort(x, axis=-1) -> Tensor:
    """Indices that sort ``x`` along ``axis``."""
    return apply(P.ARGSORT, (x,), axis=axis)


def all(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - Keras's name
    """True where all entries along ``axis`` are true."""
    return apply(P.ALL, (x,), axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - Keras's name
    """True where any entry along ``axis`` is true."""
    return apply(P.ANY, (x,), axis=_axis(axis), keepdims=keepdims)


def count_nonzero(x, axis=None) -> Tensor:
    """How many entries are non-zero along ``axis`` (int32)."""
    return apply(P.COUNT_NONZERO, (x,), axis=_axis(axis))


# ---------------------------------------------------------------------------
# Reductions


def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - Keras's name
    """Sum along ``axis`` (all axes when ``None``)."""
    return apply(P.SUM, (x,), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False) -> Tensor:
    """Mean along ``axis`` (all axes when ``None``)."""
    if np.asarray(_meta(x)).dtype.kind in "iub":
        x = cast(x, config.floatx())
    return apply(P.MEAN, (x,), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False, initial=None) -> Tensor:  # noqa: A001
    """Largest value along ``axis``; tied entries share the gradient."""
    out = apply(P.MAX, (x,), axis=_axis(axis), keepdims=keepdims)
    return out if initial is None else maximum(out, initial)


def min(x, axis=None, keepdims=False, initial=None) -> Tensor:  # noqa: A001
    """Smallest value along ``axis``; tied entries share the gradient."""
    out = apply(P.MIN, (x,), axis=_axis(axis), keepdims=keepdims)
    return out if initial is None else minimum(out, initial)


amax = max
amin = min


def prod(x, axis=None, keepdims=False, dtype=None) -> Tensor:
    """Product along ``axis``."""
    if dtype is not None:
        x = cast(x, dtype)
    return apply(P.PROD, (x,), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False) -> Tensor:
    """Variance (population, ``ddof=0``) along ``axis``."""
    axis = _axis(axis)
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False) -> Tensor:
    """Standard deviation (population) along ``axis``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def moments(x, axes, keepdims=False, synchronized=False):
    """Return ``(mean, variance)`` of ``x`` over ``axes``."""
    axes = _axis(axes)
    m = mean(x, axis=axes, keepdims=True)
    v = mean(square(subtract(x, stop_gradient(m))), axis=axes, keepdims=True)
    v = subtract(v, square(subtract(m, stop_gradient(m))))
    if not keepdims:
        m = squeeze(m, axis=axes)
        v = squeeze(v, axis=axes)
    return m, v


def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    """``log(sum(exp(x)))`` along ``axis``, computed without overflow."""
    return apply(P.LOGSUMEXP, (x,), axis=_axis(axis), keepdims=keepdims)


def cumsum(x, axis=None, dtype=None) -> Tensor:
    """Cumulative sum along ``axis`` (flattened when ``None``)."""
    if dtype is not None:
        x = cast(x, dtype)
    return apply(P.CUMSUM, (x,), axis=axis)


def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:
    """Vector or matrix norm along ``axis``, as ``numpy.linalg.norm``.

    One axis (or a 1-D input with ``axis=None``) gives a vector norm: ``ord`` is
    ``None``/2 (Euclidean), ``inf``, ``-inf``, 0 (count of non-zeros) or any other
    number ``p`` for ``sum(|x|^p)^(1/p)``. Two axes (or a 2-D input) give a matrix
    norm: ``None``/``"fro"``, 1, -1, ``inf`` or ``-inf``. With ``ord=None`` and
    ``axis=None`` any input is flattened.

    Example:
        >>> from lamina import ops
        >>> float(ops.norm([3.0, 4.0]))
        5.0
    """
    ord = {"euclidean": None, "inf": np.inf}.get(ord, ord) if isinstance(ord, str) else ord
    n = ndim(x)
    if axis is None and ord is None:
        return sqrt(sum(square(x), keepdims=keepdims))
    axes = tuple(range(n)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % n for a in axes)
    if len(axes) == 1:
        if ord in (None, 2, "fro"):
            return sqrt(sum(square(x), axis=axes, keepdims=keepdims))
        if ord == np.inf:
            return max(abs(x), axis=axes, keepdims=keepdims)
        if ord == -np.inf:
            return min(abs(x), axis=axes, keepdims=keepdims)
        if ord == 0:
            return sum(cast(not_equal(x, 0), dtype(x)), axis=axes, keepdims=keepdims)
        if not isinstance(ord, str):
            p = float(ord)
            return power(sum(power(abs(x), p), axis=axes, keepdims=keepdims), 1.0 / p)
    elif len(axes) == 2:
        row, col = axes
        if ord in (None, "fro"):
            return sqrt(sum(square(x), axis=axes, keepdims=keepdims))
        if ord in (1, -1, np.inf, -np.inf):
            # 1: largest column sum of |x|; inf: largest row sum (min for -1 / -inf).
            summed, reduced = (row, col) if ord in (1, -1) else (col, row)
            pick = max if ord > 0 else min
            out = pick(sum(abs(x), axis=summed, keepdims=True), axis=reduced, keepdims=True)
            return out if keepdims else squeeze(out, axis=axes)
        if ord in (2, -2, "nuc"):
            raise ValueError(
                f"norm: the matrix norm ord={ord!r} needs singular values, which lamina does "
                "not differentiate. Use ord='fro', 1, -1, inf or -inf, or a vector norm."
            )
    else:
        raise ValueError(
            f"norm: `axis` must name one or two axes; got axis={axis!r} for an input with "
            f"{n} dimensions. Pass axis=None with ord=None to flatten."
        )
    raise ValueError(
        f"norm: ord={ord!r} is not a valid {'vector' if len(axes) == 1 else 'matrix'} norm. "
        "Use None, 2, 1, inf, -inf or a number (vectors); None, 'fro', 1, -1, inf, -inf "
        "(matrices)."
    )
