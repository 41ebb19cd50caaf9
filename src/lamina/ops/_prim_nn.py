"""Fused neural-network primitives: batch normalization and the batch statistics it uses,
and the layer normalization the engine fuses (``engine/fuse_norm.py``).

One forward and one backward function per op, so that the tape and a traced
step compute bit-identical numbers, and the statistics' gradient is exact in
one pass. Statistics and per-feature vectors are kept in "keepdims" shape,
broadcasting against ``x``.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff import reduce as _reduce
from lamina.autodiff.tape import unbroadcast, unbroadcast_into
from lamina.ops._table import _axis_size, _def, _no_gradient

__all__ = ["BATCH_MOMENTS", "BATCH_NORM", "LAYER_NORM", "batch_norm_backward",
           "batch_norm_forward", "batch_statistics"]


def batch_statistics(x: np.ndarray, axes: tuple):
    """Batch mean and biased variance (mean squared deviation, divided by n) over ``axes``."""
    mean = np.mean(x, axis=axes, keepdims=True)
    variance = np.mean(np.square(np.subtract(x, mean)), axis=axes, keepdims=True)
    return mean, variance


def batch_norm_forward(x, mean, variance, gamma, beta, epsilon):
    """``x * inv + (beta - mean * inv)`` with ``inv = gamma / sqrt(variance + epsilon)``.

    Keras's order of operations (``tf.nn.batch_normalization``). ``gamma`` and
    ``beta`` may be ``None``. Returns ``(out, rstd, inv)``.
    """
    rstd = np.reciprocal(np.sqrt(np.add(variance, epsilon)))
    inv = rstd if gamma is None else np.multiply(rstd, gamma)
    shift = np.multiply(mean, inv)
    shift = np.negative(shift) if beta is None else np.subtract(beta, shift)
    return np.add(np.multiply(x, inv), shift), rstd, inv


def batch_norm_backward(g, x, mean, rstd, inv, axes, batch_stats: bool, need_dx: bool = True):
    """Gradients ``(dx, dgamma, dbeta)`` of batch normalization for the output gradient ``g``.

    With ``xhat = (x - mean) * rstd``: ``dbeta = sum(g)``, ``dgamma = sum(g * xhat)``;
    with batch statistics ``dx = inv / n * (n * g - dbeta - xhat * dgamma)`` (the
    statistics depend on ``x``), with fixed statistics ``dx = g * inv``. Sums run
    over ``axes`` and keep their dimensions.
    """
    xhat = np.multiply(np.subtract(x, mean), rstd)
    dbeta = np.sum(g, axis=axes, keepdims=True)
    dgamma = np.sum(np.multiply(g, xhat), axis=axes, keepdims=True)
    if not need_dx:
        return None, dgamma, dbeta
    if not batch_stats:
        return np.multiply(g, inv), dgamma, dbeta
    n = x.size // inv.size
    dx = np.multiply(g, n)
    dx -= dbeta
    dx -= np.multiply(xhat, dgamma)
    dx *= inv / n
    return dx, dgamma, dbeta


def _bn_fwd(x, gamma, beta, mean, variance, *, epsilon, axes, batch_stats):
    out, rstd, inv = batch_norm_forward(x, mean, variance, gamma, beta, epsilon)
    return out, (x, mean, rstd, inv, axes, batch_stats, np.shape(gamma), np.shape(beta))


def _bn_vjp(g, saved, needs):
    # With batch statistics, dx includes their dependence on x: no gradient goes to them.
    x, mean, rstd, inv, axes, batch_stats, gamma_shape, beta_shape = saved
    dx, dgamma, dbeta = batch_norm_backward(g, x, mean, rstd, inv, axes, batch_stats, needs[0])
    return (dx, dgamma.reshape(gamma_shape) if needs[1] else None,
            dbeta.reshape(beta_shape) if needs[2] else None, None, None)


def _moments_fwd(x, axes):
    mean, variance = batch_statistics(x, axes)
    return np.stack([mean, variance]), None


# Fused batch normalization (for speed and so the statistics' gradient is exact in one pass),
# and the batch statistics it uses, stacked: [mean, variance] in "keepdims" shape.
BATCH_NORM = _def("batch_normalization", _bn_fwd, _bn_vjp)
BATCH_MOMENTS = _def("batch_moments", _moments_fwd, _no_gradient)


# -- layer normalization ---------------------------------------------------------------------
#
# Keras writes layer normalization on its ops (``moments``, ``rsqrt`` and the affine terms:
# about twenty primitives forward and thirty backward). This primitive computes that chain's
# forward, on the same values in the same order, in two ways backward:
#
# ``chain_vjp=True``: ``engine/fuse_norm.py`` replaces such a chain, written by hand in a layer
# of the user's, by this primitive in a traced plan. Its VJP is then the chain's own operations
# (so eager and traced steps agree to the bit), without its Python calls and with the passes
# the identities below make redundant:
#
# - ``-(m * inv) + beta`` is ``beta - m * inv`` (IEEE subtraction is addition of the negation);
# - ``(-g) * a`` is ``-(g * a)`` (rounding is symmetric), so the gradient through ``-m * inv``
#   reuses ``g * inv`` and ``g * x + (-g) * m`` is ``g * x - g * m``;
# - ``(c / n) * (2 * d)`` is ``(2 * (c / n)) * d`` (scaling by two is exact), a product of the
#   small statistic array instead of a second full one;
# - the variance's correction ``square(m - stop_gradient(m))`` and its gradient are kept
#   (they are per-row arrays: cheap), so infinities and NaNs travel as in the chain.
#
# ``chain_vjp=False``: ``ops.layer_normalization`` (which ``LayerNormalization`` calls, as in
# Keras) is this primitive in eager and traced steps alike, so nothing needs the chain's
# rounding: the VJP is the closed form (``_ln_vjp_direct``), in half the passes.
#
# ``tests/engine/test_fuse_norm.py`` checks the fused forward and VJP bit for bit against the
# chain and against the textbook formulas; the engine pass also checks its rewrite on random
# data before it uses it. The registry's float64 finite differences check both VJPs.


def _ln_fwd(x, epsilon, *affine, axis, scale, center, chain_vjp=True):
    gamma = affine[0] if scale else None
    beta = affine[-1] if center else None
    mean = _reduce.mean(x, axis, True)
    d = np.subtract(x, mean)
    variance = _reduce.mean(np.square(d), axis, True)
    e = np.subtract(mean, mean)  # (the chain's ``mean - stop_gradient(mean)``)
    variance = np.subtract(variance, np.square(e))
    s = np.sqrt(np.add(variance, epsilon))
    r = np.reciprocal(s)
    inv = np.multiply(r, gamma) if scale else r
    shift = np.multiply(mean, inv)
    shift = np.subtract(beta, shift) if center else np.negative(shift)
    out = np.multiply(x, inv)
    if out.shape == np.broadcast_shapes(out.shape, shift.shape) and \
            out.dtype == np.result_type(out, shift):
        np.add(out, shift, out=out)
    else:
        out = np.add(out, shift)
    saved = (x, mean, d, e, s, r, inv, gamma, np.shape(beta) if center else None, axis,
             chain_vjp)
    return out, saved


def _ln_vjp(g, saved, needs):
    return _ln_vjp_into(g, saved, needs, (None,) * len(needs))


def _ln_vjp_into(g, saved, needs, outs):
    if not saved[-1]:
        return _ln_vjp_direct(g, saved, needs, outs)
    x, mean, d, e, s, r, inv, gamma, beta_shape, axis, _ = saved
    scale = gamma is not None
    need_x = needs[0]
    need_gamma = scale and needs[2]
    need_beta = beta_shape is not None and needs[-1]
    gx = g_gamma = g_beta = None
    if need_beta:
        g_beta = _reduced(g, beta_shape, outs[-1])
    g_r = g_shift = None
    if scale and (need_x or need_gamma):
        # inv (x's shape) gets g * x from x * inv and (-g) * mean from -(mean * inv)
        g_inv = _in_place(np.subtract, np.multiply(g, x), np.multiply(g, mean))
        if need_gamma:
            g_gamma = _reduced(np.multiply(g_inv, r), np.shape(gamma), outs[2])
        if need_x:
            g_r = unbroadcast(np.multiply(g_inv, gamma), r.shape)
    elif need_x:
        # inv is r (the statistics' shape): -(mean * inv) is too, and gets g summed
        g_shift = np.negative(unbroadcast(g, mean.shape))
        g_r = np.add(unbroadcast(np.multiply(g, x), r.shape), np.multiply(g_shift, mean))
    if need_x:
        n = _axis_size(x.shape, axis)
        gx = np.multiply(g, inv)  # through x * inv
        g_s = np.multiply(g_r, np.multiply(np.negative(r), r))
        with np.errstate(divide="ignore"):
            g_var = np.multiply(g_s, np.divide(0.5, s))
        # mean's gradient from -(mean * inv): (-g) * inv, summed where inv has x's shape
        g_mean = unbroadcast(np.negative(gx), mean.shape) if scale else \
            np.multiply(g_shift, inv)
        g_mean = np.add(g_mean, np.multiply(np.negative(g_var), np.multiply(2, e)))
        # through the variance, then through the mean
        gx = _in_place(np.add, gx, np.multiply(np.multiply(np.divide(g_var, n), 2), d))
        gx = _in_place(np.add, gx, np.divide(g_mean, n))
        if outs[0] is not None:
            np.copyto(outs[0], gx)
            gx = outs[0]
    return (gx, None) + ((g_gamma,) if scale else ()) + \
        ((g_beta,) if beta_shape is not None else ())


def _ln_vjp_direct(g, saved, needs, outs):
    """The VJP of ``ops.layer_normalization`` (``chain_vjp=False``: no chain to agree with), by
    the closed form, in about half the passes of the chain's:
    ``dx = r * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))`` with ``xhat = (x - m) * r``
    and ``dxhat = g * gamma``; ``dgamma = sum(g * xhat)``, ``dbeta = sum(g)`` over the other
    axes."""
    x, mean, d, e, s, r, inv, gamma, beta_shape, axis, _ = saved
    scale = gamma is not None
    need_x = needs[0]
    need_gamma = scale and needs[2]
    gx = g_gamma = g_beta = None
    if beta_shape is not None and needs[-1]:
        g_beta = _reduced(g, beta_shape, outs[-1])
    if need_x or need_gamma:
        xhat = np.multiply(d, r)
        if need_gamma:
            g_gamma = _reduced(np.multiply(g, xhat), np.shape(gamma), outs[2])
        if need_x:
            dxhat = np.multiply(g, gamma) if scale else g
            m1 = _reduce.mean(dxhat, axis, True)
            p = np.multiply(dxhat, xhat)
            m2 = _reduce.mean(p, axis, True)
            gx = np.subtract(dxhat, m1, out=p) if p.dtype == np.result_type(dxhat, m1) \
                else np.subtract(dxhat, m1)  # (into p, fresh and of the result's shape)
            gx = _in_place(np.subtract, gx, _in_place(np.multiply, xhat, m2))
            gx = _in_place(np.multiply, gx, r)
            if outs[0] is not None:
                np.copyto(outs[0], gx)
                gx = outs[0]
    return (gx, None) + ((g_gamma,) if scale else ()) + \
        ((g_beta,) if beta_shape is not None else ())


def _in_place(ufunc, a, b):
    """``ufunc(a, b)``, written into ``a`` when ``a`` is a fresh array of the result's shape."""
    if type(a) is np.ndarray and a.base is None and a.flags.writeable and \
            a.shape == np.broadcast_shapes(a.shape, np.shape(b)) and \
            a.dtype == np.result_type(a, b):
        return ufunc(a, b, out=a)
    return ufunc(a, b)


def _reduced(grad, shape, out):
    """``unbroadcast`` of ``grad`` to ``shape`` (into ``out``, a flat gradient's view, if given)."""
    if out is not None and out.dtype == grad.dtype:
        return unbroadcast_into(grad, tuple(shape), out)
    result = unbroadcast(grad, tuple(shape))
    if out is not None:
        np.copyto(out, result)
        return out
    return result


LAYER_NORM = _def("layer_normalization", _ln_fwd, _ln_vjp)
LAYER_NORM.vjp_into = _ln_vjp_into
