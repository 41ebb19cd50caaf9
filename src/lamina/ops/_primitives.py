"""The derivative table: every differentiable primitive, forward beside its VJP.

Each entry is ``fwd(*arrays, **params) -> (out, saved)`` and
``vjp(g, saved, needs) -> tuple`` with one gradient (or ``None``) per input;
``needs[i]`` says whether input ``i`` wants one, so costly products are
skipped. Gradients may have the broadcast shape: ``autodiff.tape.unbroadcast``
reduces them. Everything else in ``lamina.ops`` is composed from these.

Kinks follow TensorFlow, so lamina's gradients equal Keras's: ``relu'(0) = 0``,
``abs'(0) = 0``, ``maximum`` sends a tie to its first argument, ``minimum``
likewise, ``clip`` passes the gradient on its closed interval, and a reduced
``max``/``min`` splits it evenly between tied entries.
"""

from __future__ import annotations

import math

import numpy as np

from lamina.autodiff.tape import Primitive

PRIMITIVES: dict[str, Primitive] = {}


def _def(name, fwd, vjp, view=False) -> Primitive:
    prim = Primitive(name, fwd, vjp, view=view)
    PRIMITIVES[name] = prim
    return prim


def _expand_reduced(g, shape, axis, keepdims):
    """Reshape a reduction's output gradient so it broadcasts against ``shape``."""
    if axis is None:
        return np.reshape(g, (1,) * len(shape)) if not keepdims else g
    if keepdims:
        return g
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % len(shape) for a in axes)
    return np.expand_dims(g, axes)


def _axis_size(shape, axis):
    if axis is None:
        return int(np.prod(shape)) if len(shape) else 1
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return int(np.prod([shape[a] for a in axes])) if axes else 1


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
RELU = _unary("relu", lambda x: np.maximum(x, 0), lambda x, y: x > 0)


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
    return np.sum(x, axis=axis, keepdims=keepdims), (np.shape(x), axis, keepdims)


def _sum_vjp(g, s, n):
    shape, axis, keepdims = s
    return (np.broadcast_to(_expand_reduced(g, shape, axis, keepdims), shape),)


SUM = _def("sum", _sum_fwd, _sum_vjp)


def _mean_fwd(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims), (np.shape(x), axis, keepdims)


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
        count = np.sum(ties, axis=axis, keepdims=True)
        return (_expand_reduced(g, shape, axis, keepdims) * ties / count,)

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
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    res = out if keepdims else (np.squeeze(out, axis=axis) if axis is not None else out.reshape(()))
    return res, (x, out, axis, keepdims)


def _logsumexp_vjp(g, s, n):
    x, out, axis, keepdims = s
    return (_expand_reduced(g, np.shape(x), axis, keepdims) * np.exp(x - out),)


LOGSUMEXP = _def("logsumexp", _logsumexp_fwd, _logsumexp_vjp)


def _softmax_fwd(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    out = e / np.sum(e, axis=axis, keepdims=True)
    return out, (out, axis)


def _softmax_vjp(g, s, n):
    out, axis = s
    return (out * (g - np.sum(g * out, axis=axis, keepdims=True)),)


SOFTMAX = _def("softmax", _softmax_fwd, _softmax_vjp)


def _log_softmax_fwd(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return out, (out, axis)


def _log_softmax_vjp(g, s, n):
    out, axis = s
    return (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),)


LOG_SOFTMAX = _def("log_softmax", _log_softmax_fwd, _log_softmax_vjp)


def _cumsum_fwd(x, axis=None):
    return np.cumsum(x, axis=axis), (np.shape(x), axis)


def _cumsum_vjp(g, s, n):
    shape, axis = s
    if axis is None:
        return (np.flip(np.cumsum(np.flip(g))).reshape(shape),)
    return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)


CUMSUM = _def("cumsum", _cumsum_fwd, _cumsum_vjp)

# -- shape ------------------------------------------------------------------
RESHAPE = _def(
    "reshape",
    lambda x, shape: (np.reshape(x, shape), np.shape(x)),
    lambda g, s, n: (np.reshape(g, s),),
    view=True,
)


def _transpose_fwd(x, axes=None):
    return np.transpose(x, axes), axes


def _transpose_vjp(g, s, n):
    if s is None:
        return (np.transpose(g),)
    return (np.transpose(g, np.argsort(s)),)


TRANSPOSE = _def("transpose", _transpose_fwd, _transpose_vjp, view=True)
BROADCAST_TO = _def(
    "broadcast_to", lambda x, shape: (np.broadcast_to(x, shape), None), lambda g, s, n: (g,),
    view=True,
)


def _concat_fwd(*xs, axis=0):
    sizes = [np.shape(x)[axis] for x in xs]
    return np.concatenate(xs, axis=axis), (sizes, axis)


def _concat_vjp(g, s, n):
    sizes, axis = s
    return tuple(np.split(g, np.cumsum(sizes)[:-1], axis=axis))


CONCATENATE = _def("concatenate", _concat_fwd, _concat_vjp)


def _stack_fwd(*xs, axis=0):
    return np.stack(xs, axis=axis), (len(xs), axis)


def _stack_vjp(g, s, n):
    count, axis = s
    return tuple(np.take(g, i, axis=axis) for i in range(count))


STACK = _def("stack", _stack_fwd, _stack_vjp)


def _getitem_fwd(x, index):
    return np.asarray(x)[index], (np.shape(x), np.asarray(x).dtype, index)


def _getitem_vjp(g, s, n):
    shape, dtype, index = s
    out = np.zeros(shape, dtype=g.dtype if g.dtype.kind == "f" else dtype)
    np.add.at(out, index, g)
    return (out,)


GETITEM = _def("getitem", _getitem_fwd, _getitem_vjp, view=True)


def _take_fwd(x, indices, axis=None):
    return np.take(x, indices, axis=axis), (np.shape(x), indices, axis)


def _take_vjp(g, s, n):
    shape, indices, axis = s
    out = np.zeros(shape, dtype=g.dtype)
    if axis is None:
        flat = out.reshape(-1)
        np.add.at(flat, np.asarray(indices).reshape(-1), g.reshape(-1))
        return (out, None)
    axis = axis % len(shape)
    moved = np.moveaxis(out, axis, 0)
    gm = np.moveaxis(g, tuple(range(axis, axis + np.ndim(indices))),
                     tuple(range(np.ndim(indices))))
    np.add.at(moved, np.asarray(indices), gm)
    return (out, None)


TAKE = _def("take", _take_fwd, _take_vjp)


def _along_axis_index(indices, axis, shape):
    grids = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
    grids[axis] = indices
    # A length-1 axis of x that the indices broadcast over is always read at 0.
    return tuple(
        0 if d != axis and n == 1 else grid for d, (grid, n) in enumerate(zip(grids, shape))
    )


def _take_along_fwd(x, indices, axis=-1):
    out = np.take_along_axis(x, indices, axis=axis)
    return out, (np.shape(x), np.asarray(indices), axis)


def _take_along_vjp(g, s, n):
    shape, indices, axis = s
    out = np.zeros(shape, dtype=g.dtype)
    idx = np.broadcast_to(indices, g.shape)
    np.add.at(out, _along_axis_index(idx, axis % len(shape), shape), g)
    return (out, None)


TAKE_ALONG_AXIS = _def("take_along_axis", _take_along_fwd, _take_along_vjp)


def _pad_fwd(x, pad_width, mode="constant", constant_values=0):
    out = np.pad(x, pad_width, mode="constant", constant_values=constant_values)
    return out, (np.shape(x), pad_width)


def _pad_vjp(g, s, n):
    shape, pad_width = s
    index = tuple(slice(lo, lo + size) for (lo, _), size in zip(pad_width, shape))
    return (g[index],)


PAD = _def("pad", _pad_fwd, _pad_vjp)

# -- linear algebra -----------------------------------------------------------


def _matmul_fwd(a, b):
    return np.matmul(a, b), (a, b)


def _matmul_vjp(g, s, n):
    a, b = s
    a = np.asarray(a)
    b = np.asarray(b)
    ga = gb = None
    if a.ndim == 1 and b.ndim == 1:
        return (g * b if n[0] else None, g * a if n[1] else None)
    if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        if n[0]:
            ga = np.matmul(b, g[..., None])[..., 0]
        if n[1]:
            gb = a[:, None] * g[..., None, :]
        return ga, gb
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
        if n[0]:
            ga = g[..., :, None] * b
        if n[1]:
            gb = np.matmul(np.swapaxes(a, -1, -2), g[..., None])[..., 0]
            gb = gb.reshape(-1, b.shape[0]).sum(0) if gb.ndim > 1 else gb
        return ga, gb
    if n[0]:
        ga = np.matmul(g, np.swapaxes(b, -1, -2))
    if n[1]:
        if a.ndim > 2 and b.ndim == 2:
            # Fold batch dims: one BLAS call instead of a batched one plus a sum.
            gb = np.matmul(a.reshape(-1, a.shape[-1]).T, g.reshape(-1, g.shape[-1]))
        else:
            gb = np.matmul(np.swapaxes(a, -1, -2), g)
    return ga, gb


MATMUL = _def("matmul", _matmul_fwd, _matmul_vjp)


def _dense_fwd(x, kernel, bias):
    out = np.matmul(x, kernel)
    out += bias
    return out, (x, kernel)


def _dense_vjp(g, s, n):
    # Fused x @ kernel + bias, for speed: one node per Dense layer instead of two.
    x, kernel = s
    gx = np.matmul(g, kernel.T) if n[0] else None
    gk = None
    if n[1]:
        if x.ndim == 2:
            gk = x.T @ g
        else:
            gk = x.reshape(-1, x.shape[-1]).T @ g.reshape(-1, g.shape[-1])
    gb = g.sum(axis=tuple(range(g.ndim - 1))) if n[2] else None
    return gx, gk, gb


DENSE = _def("dense", _dense_fwd, _dense_vjp)


# Cross-entropy from logits, fused for numerical stability (log of softmax
# computed once, no probabilities clipped).


def _sparse_xent_logits_fwd(logits, labels, axis=-1):
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    logz = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    logp = shifted - logz
    idx = np.expand_dims(np.asarray(labels, dtype=np.intp), axis)
    out = -np.take_along_axis(logp, idx, axis=axis)
    return np.squeeze(out, axis=axis), (logp, idx, axis)


def _sparse_xent_logits_vjp(g, s, n):
    logp, idx, axis = s
    grad = np.exp(logp)
    np.put_along_axis(grad, idx, np.take_along_axis(grad, idx, axis=axis) - 1, axis=axis)
    return (grad * np.expand_dims(g, axis), None)


SPARSE_XENT_LOGITS = _def(
    "sparse_softmax_cross_entropy", _sparse_xent_logits_fwd, _sparse_xent_logits_vjp
)


def _xent_logits_fwd(labels, logits, axis=-1):
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return -np.sum(labels * logp, axis=axis), (labels, logp, axis)


def _xent_logits_vjp(g, s, n):
    labels, logp, axis = s
    ge = np.expand_dims(g, axis)
    glabels = -ge * logp if n[0] else None
    glogits = None
    if n[1]:
        glogits = ge * (np.exp(logp) * np.sum(labels, axis=axis, keepdims=True) - labels)
    return glabels, glogits


XENT_LOGITS = _def("softmax_cross_entropy", _xent_logits_fwd, _xent_logits_vjp)


def _sigmoid_xent_logits_fwd(labels, logits):
    # max(z, 0) - z * y + log(1 + exp(-|z|))
    out = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    return out, (labels, logits)


def _sigmoid_xent_logits_vjp(g, s, n):
    labels, logits = s
    glabels = -g * logits if n[0] else None
    glogits = g * (_sigmoid(logits) - labels) if n[1] else None
    return glabels, glogits


SIGMOID_XENT_LOGITS = _def(
    "sigmoid_cross_entropy", _sigmoid_xent_logits_fwd, _sigmoid_xent_logits_vjp
)
