"""Primitives of elementwise arithmetic, reductions and the softmax family (forward beside VJP).

Kinks follow TensorFlow, so lamina's gradients equal Keras's: ``relu'(0) = 0``,
``abs'(0) = 0``, ``maximum`` sends a tie to its first argument, ``minimum``
likewise, ``clip`` passes the gradient on its closed interval, and a reduced
``max``/``min`` splits it evenly between tied entries.
"""

from __future__ import annotations

import math

import numpy as np

from lamina.autodiff import reduce as _reduce
from lamina.ops._table import _axis_size, _def, _expand_reduced, _nograd, rmax, rsum

# -- elementwise arithmetic --------------------------------------------------
ADD = _def("add", lambda a, b: (np.add(a, b), None), lambda g, s, n: (g, g))
SUBTRACT = _def("subtract", lambda a, b: (np.subtract(a, b), None), lambda g, s, n: (g, -g))
NEGATIVE = _def("negative", lambda a: (np.negative(a), None), lambda g, s, n: (-g,))
MULTIPLY = _def(
    "multiply",
    lambda a, b: (np.multiply(a, b), (a, b)),
    lambda g, s, n: (g * s[1] if n[0] else None, g * s[0] if n[1] else None),
)


def _divide_vjp(g, s, n):
    a, b = s
    ga = g / b if n[0] else None
    gb = -g * a / (b * b) if n[1] else None
    return ga, gb


DIVIDE = _def("divide", lambda a, b: (np.true_divide(a, b), (a, b)), _divide_vjp)


def _power_fwd(a, b):
    out = np.power(a, b)
    return out, (a, b, out)


def _power_vjp(g, s, n):
    a, b, out = s
    ga = g * b * np.power(a, np.subtract(b, 1)) if n[0] else None
    gb = None
    if n[1]:
        a_arr = np.asarray(a)
        safe = np.where(a_arr > 0, a_arr, 1)
        gb = g * out * np.where(a_arr > 0, np.log(safe), 0)
    return ga, gb


POWER = _def("power", _power_fwd, _power_vjp)


def _unary(name, fwd, grad):
    """A one-input primitive whose VJP is ``g * grad(x, out)``."""

    def f(x):
        out = fwd(x)
        return out, (x, out)

    def v(g, s, n):
        return (g * grad(s[0], s[1]),)

    return _def(name, f, v)


EXP = _unary("exp", np.exp, lambda x, y: y)
EXPM1 = _unary("expm1", np.expm1, lambda x, y: y + 1)
LOG = _unary("log", np.log, lambda x, y: 1 / x)
LOG1P = _unary("log1p", np.log1p, lambda x, y: 1 / (1 + x))


def _sqrt_grad(x, y):
    with np.errstate(divide="ignore"):  # sqrt'(0) = inf, as in TensorFlow, with no warning
        return 0.5 / y


SQRT = _unary("sqrt", np.sqrt, _sqrt_grad)
SQUARE = _unary("square", np.square, lambda x, y: 2 * x)
ABS = _unary("abs", np.abs, lambda x, y: np.sign(x))
SIN = _unary("sin", np.sin, lambda x, y: np.cos(x))
COS = _unary("cos", np.cos, lambda x, y: -np.sin(x))
TANH = _unary("tanh", np.tanh, lambda x, y: 1 - y * y)
RECIPROCAL = _unary("reciprocal", np.reciprocal, lambda x, y: -y * y)
_ZEROS: dict = {}


def _zero(dtype):
    """A 0-d zero of ``dtype``: a cheaper ufunc operand than the Python ``0`` (no conversion)."""
    zero = _ZEROS.get(dtype)
    if zero is None:
        zero = _ZEROS[dtype] = np.zeros((), dtype)
    return zero


def _relu_fwd(x):
    out = np.maximum(x, _zero(x.dtype)) if type(x) is np.ndarray else np.maximum(x, 0)
    return out, out


def _relu_vjp(g, out, n):
    # g where x > 0, else 0 (relu'(0) = 0, and 0 where x is NaN, as TensorFlow's
    # ``g * (x > 0)``): NumPy multiplies by a boolean mask about twice as fast as it takes
    # ``sign``, whose loop has no SIMD form.
    return (np.multiply(g, np.greater(out, _zero(out.dtype) if type(out) is np.ndarray else 0)),)


RELU = _def("relu", _relu_fwd, _relu_vjp)


def _sigmoid(x):
    # tanh form: stable for large |x| with no overflow warnings.
    return np.multiply(np.tanh(np.multiply(x, 0.5)), 0.5) + 0.5


SIGMOID = _unary("sigmoid", _sigmoid, lambda x, y: y * (1 - y))
SOFTPLUS = _unary("softplus", lambda x: np.logaddexp(0, x), lambda x, y: _sigmoid(x))


def _erf(x):
    try:
        from scipy.special import erf  # optional: fast and exact

        return erf(x)
    except ImportError:  # pragma: no cover - exercised without scipy
        return np.vectorize(math.erf, otypes=[np.asarray(x).dtype])(x)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
ERF = _unary(
    "erf", lambda x: np.asarray(_erf(x), dtype=np.asarray(x).dtype),
    lambda x, y: _TWO_OVER_SQRT_PI * np.exp(-np.square(x)),
)


def _maximum_vjp(g, s, n):
    a, b = s
    mask = np.greater_equal(a, b)
    return (g * mask if n[0] else None, g * ~mask if n[1] else None)


def _minimum_vjp(g, s, n):
    a, b = s
    mask = np.less_equal(a, b)
    return (g * mask if n[0] else None, g * ~mask if n[1] else None)


MAXIMUM = _def("maximum", lambda a, b: (np.maximum(a, b), (a, b)), _maximum_vjp)
MINIMUM = _def("minimum", lambda a, b: (np.minimum(a, b), (a, b)), _minimum_vjp)


def _where_vjp(g, s, n):
    cond = s
    return (None, g * cond if n[1] else None, g * ~cond if n[2] else None)


WHERE = _def(
    "where",
    lambda c, a, b: (np.where(c, a, b), np.asarray(c, dtype=bool)),
    _where_vjp,
)


def _clip_fwd(x, lo, hi):
    return np.clip(x, lo, hi), (x, lo, hi)


def _clip_vjp(g, s, n):
    x, lo, hi = s
    inside = np.logical_and(np.greater_equal(x, lo), np.less_equal(x, hi))
    return (g * inside, None, None)


CLIP = _def("clip", _clip_fwd, _clip_vjp)


def _cast_fwd(x, dtype):
    out = np.asarray(x).astype(dtype)
    return out, (np.asarray(x).dtype, out.dtype)


def _cast_vjp(g, s, n):
    # As in TensorFlow, only a cast between float types passes a gradient.
    src, dst = s
    if src.kind not in "fc" or dst.kind not in "fc":
        return (None,)
    return (g.astype(src),)


CAST = _def("cast", _cast_fwd, _cast_vjp)

# -- reductions -------------------------------------------------------------


def _sum_fwd(x, axis=None, keepdims=False):
    return rsum(x, axis, keepdims), (np.shape(x), axis, keepdims)


def _sum_vjp(g, s, n):
    shape, axis, keepdims = s
    return (np.broadcast_to(_expand_reduced(g, shape, axis, keepdims), shape),)


SUM = _def("sum", _sum_fwd, _sum_vjp)


def _mean_fwd(x, axis=None, keepdims=False):
    return _reduce.mean(x, axis, keepdims), (np.shape(x), axis, keepdims)


def _mean_vjp(g, s, n):
    shape, axis, keepdims = s
    g = _expand_reduced(g, shape, axis, keepdims) / _axis_size(shape, axis)
    return (np.broadcast_to(g, shape),)


MEAN = _def("mean", _mean_fwd, _mean_vjp)


def _extreme(name, reduce):
    def fwd(x, axis=None, keepdims=False):
        out = reduce(x, axis=axis, keepdims=keepdims)
        return out, (x, out, axis, keepdims)

    def vjp(g, s, n):
        x, out, axis, keepdims = s
        shape = np.shape(x)
        ties = np.equal(x, _expand_reduced(out, shape, axis, keepdims))
        g = _expand_reduced(g, shape, axis, keepdims)
        # the ties share the gradient; counted in g's dtype (an int64 count would make a
        # float32 gradient float64, and everything upstream of it with it)
        count = np.sum(ties, axis=axis, keepdims=True, dtype=g.dtype)
        return (g * ties / count,)

    return _def(name, fwd, vjp)


MAX = _extreme("max", np.max)
MIN = _extreme("min", np.min)


def _prod_fwd(x, axis=None, keepdims=False):
    out = np.prod(x, axis=axis, keepdims=keepdims)
    return out, (x, out, axis, keepdims)


def _prod_vjp(g, s, n):
    x, out, axis, keepdims = s
    shape = np.shape(x)
    ge = _expand_reduced(g, shape, axis, keepdims)
    oe = _expand_reduced(out, shape, axis, keepdims)
    if np.all(x != 0):
        return (ge * oe / x,)
    # With zeros present, the product of the other entries is computed directly.
    moved_axes = tuple(range(len(shape))) if axis is None else (
        (axis,) if isinstance(axis, int) else tuple(axis)
    )
    flat = np.moveaxis(np.asarray(x), [a % len(shape) for a in moved_axes],
                       list(range(-len(moved_axes), 0)))
    lead = flat.shape[: flat.ndim - len(moved_axes)]
    flat2 = flat.reshape(lead + (-1,))
    left = np.cumprod(np.concatenate([np.ones(lead + (1,), flat2.dtype), flat2[..., :-1]], -1), -1)
    right = np.flip(np.cumprod(np.concatenate(
        [np.ones(lead + (1,), flat2.dtype), np.flip(flat2, -1)[..., :-1]], -1), -1), -1)
    others = (left * right).reshape(flat.shape)
    others = np.moveaxis(others, list(range(-len(moved_axes), 0)),
                         [a % len(shape) for a in moved_axes])
    return (ge * others,)


PROD = _def("prod", _prod_fwd, _prod_vjp)


def _logsumexp_fwd(x, axis=None, keepdims=False):
    m = rmax(x, axis, True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(rsum(np.exp(x - m), axis, True)) + m
    res = out if keepdims else (np.squeeze(out, axis=axis) if axis is not None else out.reshape(()))
    return res, (x, out, axis, keepdims)


def _logsumexp_vjp(g, s, n):
    x, out, axis, keepdims = s
    return (_expand_reduced(g, np.shape(x), axis, keepdims) * np.exp(x - out),)


LOGSUMEXP = _def("logsumexp", _logsumexp_fwd, _logsumexp_vjp)


def _float_array(x) -> bool:
    return type(x) is np.ndarray and x.dtype.kind == "f"


_ROW_STARTS: dict = {}


def _max_keepdims(x, axis):
    """``rmax(x, axis, keepdims=True)``, faster along the last axis of a contiguous array.

    ``np.maximum.reduceat`` over the rows of the flat array: one call instead of a reduction
    loop per row, about twice as fast for short rows; a maximum is exact in any order (and
    where it picks ``-0.0`` or ``0.0`` the softmax's numbers do not change).
    """
    if type(x) is np.ndarray and x.ndim >= 2 and x.size >= 1024 and \
            axis in (-1, x.ndim - 1) and x.shape[-1] >= 2 and x.flags.c_contiguous:
        key = (x.size, x.shape[-1])
        starts = _ROW_STARTS.get(key)
        if starts is None:
            if len(_ROW_STARTS) > 64:
                _ROW_STARTS.clear()
            starts = _ROW_STARTS[key] = np.arange(0, x.size, x.shape[-1])
        return np.maximum.reduceat(x.reshape(-1), starts).reshape(x.shape[:-1] + (1,))
    return rmax(x, axis, True)


def _softmax_fwd(x, axis=-1):
    e = np.subtract(x, _max_keepdims(x, axis))
    if not _float_array(e):
        e = np.exp(e)
        out = e / rsum(e, axis, True)
        return out, (out, axis)
    # the same operations in the same order, each written into the one fresh buffer
    np.exp(e, out=e)
    np.divide(e, rsum(e, axis, True), out=e)
    return e, (e, axis)


def _softmax_vjp(g, s, n):
    out, axis = s
    t = np.multiply(g, out)
    if not (_float_array(t) and t.shape == out.shape):
        return (out * (g - rsum(t, axis, True)),)
    # out * (g - sum(g * out)), in one buffer (a product's two orders round alike)
    np.subtract(g, rsum(t, axis, True), out=t)
    return (np.multiply(out, t, out=t),)


SOFTMAX = _def("softmax", _softmax_fwd, _softmax_vjp)


def _log_softmax_fwd(x, axis=-1):
    shifted = x - rmax(x, axis, True)
    out = shifted - np.log(rsum(np.exp(shifted), axis, True))
    return out, (out, axis)


def _log_softmax_vjp(g, s, n):
    out, axis = s
    return (g - np.exp(out) * rsum(g, axis, True),)


LOG_SOFTMAX = _def("log_softmax", _log_softmax_fwd, _log_softmax_vjp)


def _cumsum_fwd(x, axis=None):
    return np.cumsum(x, axis=axis), (np.shape(x), axis)


def _cumsum_vjp(g, s, n):
    shape, axis = s
    if axis is None:
        return (np.flip(np.cumsum(np.flip(g))).reshape(shape),)
    return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)


CUMSUM = _def("cumsum", _cumsum_fwd, _cumsum_vjp)



# -- no gradient -------------------------------------------------------------------------------
# Comparisons, logic, rounding and index results: their gradient is zero (or undefined), so
# none flows, as in TensorFlow. They are primitives so that traced steps record them.

SIGN = _nograd("sign", np.sign)
FLOOR = _nograd("floor", np.floor)
CEIL = _nograd("ceil", np.ceil)
FLOOR_DIVIDE = _nograd("floor_divide", np.floor_divide)
MOD = _nograd("mod", np.mod)
EQUAL = _nograd("equal", np.equal)
NOT_EQUAL = _nograd("not_equal", np.not_equal)
LESS = _nograd("less", np.less)
LESS_EQUAL = _nograd("less_equal", np.less_equal)
GREATER = _nograd("greater", np.greater)
GREATER_EQUAL = _nograd("greater_equal", np.greater_equal)
LOGICAL_AND = _nograd("logical_and", np.logical_and)
LOGICAL_OR = _nograd("logical_or", np.logical_or)
LOGICAL_NOT = _nograd("logical_not", np.logical_not)
ISNAN = _nograd("isnan", np.isnan)
ISINF = _nograd("isinf", np.isinf)
ISFINITE = _nograd("isfinite", np.isfinite)
ROUND = _nograd("round", np.round)
ALL = _nograd("all", np.all)
ANY = _nograd("any", np.any)


def _argmax(x, axis=None, keepdims=False):
    return np.argmax(x, axis=axis, keepdims=keepdims).astype(np.int32)


def _argmin(x, axis=None, keepdims=False):
    return np.argmin(x, axis=axis, keepdims=keepdims).astype(np.int32)


def _argsort(x, axis=-1):
    return np.argsort(x, axis=axis, kind="stable").astype(np.int32)


def _count_nonzero(x, axis=None):
    return np.asarray(np.count_nonzero(x, axis=axis), dtype=np.int32)


def _one_hot(labels, num_classes, axis=-1, dtype=None):
    labels = np.asarray(labels).astype(np.int64)
    out = (labels[..., None] == np.arange(num_classes)).astype(dtype)
    return out if axis == -1 else np.moveaxis(out, -1, axis)


ARGMAX = _nograd("argmax", _argmax)
ARGMIN = _nograd("argmin", _argmin)
ARGSORT = _nograd("argsort", _argsort)
COUNT_NONZERO = _nograd("count_nonzero", _count_nonzero)
ONE_HOT = _nograd("one_hot", _one_hot)
