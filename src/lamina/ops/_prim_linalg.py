"""Primitives of ``keras.ops.linalg`` (used by ``_linalg.py``): ``inv``, ``det``, ``solve`` and
``cholesky`` with their derivatives; the factors of ``qr`` and ``svd`` without one.

All work on the last two axes, with any batch axes in front. A singular matrix (one that is
not positive definite, for ``cholesky``) gives NaN where its result would be, as JAX's do,
rather than an error: a functional model's graph is built by running its ops on zeros.
"""

from __future__ import annotations

import numpy as np

from lamina.ops._table import _def, _nograd

__all__ = ["CHOLESKY", "DET", "INV", "LOGABSDET", "QR_Q", "QR_R", "SIGNDET", "SOLVE", "SVD_S",
           "SVD_U", "SVD_VH"]


def _t(x):
    return np.swapaxes(x, -1, -2)


def _or_nan(fn, *arrays, like=0):
    """``fn`` of the matrices, NaN for those it cannot take (one at a time only then); each
    result matrix has the shape of the matrix of input ``like``."""
    try:
        return fn(*arrays)
    except np.linalg.LinAlgError:
        batch = np.broadcast_shapes(*(x.shape[:-2] for x in arrays))
        flat = [np.broadcast_to(x, batch + x.shape[-2:]).reshape((-1, *x.shape[-2:]))
                for x in arrays]
        outs = []
        for parts in zip(*flat):
            try:
                outs.append(fn(*parts))
            except np.linalg.LinAlgError:
                outs.append(np.full(parts[like].shape, np.nan, dtype=parts[like].dtype))
        return np.stack(outs).reshape(batch + flat[like].shape[-2:])


def _inv_fwd(a):
    out = _or_nan(np.linalg.inv, a)
    return out, out


def _inv_vjp(g, y, n):
    yt = _t(y)
    return (-(yt @ g @ yt),)


INV = _def("linalg_inv", _inv_fwd, _inv_vjp)


def _det_fwd(a):
    out = np.linalg.det(a)
    return out, (a, out)


def _det_vjp(g, s, n):
    a, d = s
    return ((np.asarray(g) * d)[..., None, None] * _t(np.linalg.inv(a)),)


DET = _def("linalg_det", _det_fwd, _det_vjp)


def _logabsdet_fwd(a):
    return np.linalg.slogdet(a)[1], a


def _logabsdet_vjp(g, a, n):
    return (np.asarray(g)[..., None, None] * _t(np.linalg.inv(a)),)


LOGABSDET = _def("linalg_logabsdet", _logabsdet_fwd, _logabsdet_vjp)
SIGNDET = _nograd("linalg_signdet", lambda a: np.linalg.slogdet(a)[0])


def _solve_fwd(a, b):
    out = _or_nan(np.linalg.solve, a, b, like=1)  # (b is a matrix of right-hand sides here)
    return out, (a, out)


def _solve_vjp(g, s, n):
    a, x = s
    gb = np.linalg.solve(_t(a), g)
    return (-(gb @ _t(x)) if n[0] else None, gb if n[1] else None)


SOLVE = _def("linalg_solve", _solve_fwd, _solve_vjp)


def _cholesky_fwd(a):
    out = _or_nan(np.linalg.cholesky, a)
    return out, out


def _cholesky_vjp(g, low, n):
    # The symmetric gradient of A = L L^T: with phi the lower triangle with half its
    # diagonal, S = L^-T phi(L^T tril(g)) L^-1 and dA = (S + S^T) / 2.
    p = np.tril(_t(low) @ np.tril(g))
    p = p - 0.5 * np.tril(np.triu(p))  # (halve the diagonal)
    eye = np.broadcast_to(np.eye(low.shape[-1], dtype=low.dtype), low.shape)
    inv_low = np.linalg.solve(low, eye)
    s = _t(inv_low) @ p @ inv_low
    return (0.5 * (s + _t(s)),)


CHOLESKY = _def("linalg_cholesky", _cholesky_fwd, _cholesky_vjp)

QR_Q = _nograd("linalg_qr_q", lambda a, mode: np.linalg.qr(a, mode=mode)[0])
QR_R = _nograd("linalg_qr_r", lambda a, mode: np.linalg.qr(a, mode=mode)[1])
SVD_U = _nograd("linalg_svd_u", lambda a, full: np.linalg.svd(a, full_matrices=full)[0])
SVD_S = _nograd("linalg_svd_s", lambda a: np.linalg.svd(a, compute_uv=False))
SVD_VH = _nograd("linalg_svd_vh", lambda a, full: np.linalg.svd(a, full_matrices=full)[2])
