"""Primitives of shapes, indexing, linear algebra and the fused dense and cross-entropy ops."""

from __future__ import annotations

import numpy as np

from lamina.ops._prim_math import _sigmoid
from lamina.ops._table import _def, rmax, rsum

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


def _indices(indices):
    idx = np.asarray(indices)
    return idx if idx.dtype.kind in "iu" else idx.astype(np.intp)


def _take_fwd(x, indices, axis=None):
    indices = _indices(indices)
    return np.take(x, indices, axis=axis), (np.shape(x), indices, axis)


def _take_vjp(g, s, n):
    shape, indices, axis = s
    out = np.zeros(shape, dtype=g.dtype)
    if axis is None:
        flat = out.reshape(-1)
        np.add.at(flat, indices.reshape(-1), g.reshape(-1))
        return (out, None)
    axis = axis % len(shape)
    moved = np.moveaxis(out, axis, 0)
    gm = np.moveaxis(g, tuple(range(axis, axis + np.ndim(indices))),
                     tuple(range(np.ndim(indices))))
    np.add.at(moved, indices, gm)
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
    indices = np.asarray(indices).astype(np.intp, copy=False)
    out = np.take_along_axis(x, indices, axis=axis)
    return out, (np.shape(x), indices, axis)


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


def _rows_dot(a, b):
    """``a @ b`` for ``a`` ``(..., k)`` and a matrix ``b`` ``(k, m)``: when ``a``'s leading axes
    fold into rows without a copy, one 2-D BLAS product; NumPy's ``matmul`` would make one per
    leading index (a Dense layer over ``(32, 64, 64)``: 32 small products, 1.5x the time)."""
    if a.ndim == 2 and b.ndim == 2:
        return np.dot(a, b)
    if a.ndim > 2 and b.ndim == 2 and type(a) is np.ndarray and a.flags.c_contiguous:
        return np.dot(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[1:])
    return np.matmul(a, b)


def _matmul_fwd(a, b):
    if np.ndim(a) >= 2 and np.ndim(b) == 2:
        a, b = np.asarray(a), np.asarray(b)
        return _rows_dot(a, b), (a, b)
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
    if a.ndim == 2 and b.ndim == 2:
        return (np.dot(g, b.T) if n[0] else None, np.dot(a.T, g) if n[1] else None)
    if n[0]:
        ga = _rows_dot(g, b.T) if b.ndim == 2 else np.matmul(g, np.swapaxes(b, -1, -2))
    if n[1]:
        if a.ndim > 2 and b.ndim == 2:
            # Fold batch dims: one BLAS call instead of a batched one plus a sum.
            gb = np.matmul(a.reshape(-1, a.shape[-1]).T, g.reshape(-1, g.shape[-1]))
        else:
            gb = np.matmul(np.swapaxes(a, -1, -2), g)
    return ga, gb


def _matmul_vjp_into(g, s, n, outs):
    a, b = s
    if not (np.ndim(a) == 2 and np.ndim(b) == 2):
        grads = _matmul_vjp(g, s, n)
    else:
        grads = []
        for i, (need, out) in enumerate(zip(n, outs)):
            if not need:
                grads.append(None)
                continue
            left, right = (g, b.T) if i == 0 else (a.T, g)
            if out is not None and left.dtype == right.dtype == out.dtype:
                grads.append(np.dot(left, right, out))
            else:
                grads.append(np.dot(left, right))
    result = []
    for grad, out in zip(grads, outs):
        if out is not None and grad is not None and grad is not out:
            np.copyto(out, grad)
            grad = out
        result.append(grad)
    return tuple(result)


MATMUL = _def("matmul", _matmul_fwd, _matmul_vjp)
MATMUL.vjp_into = _matmul_vjp_into


# np.dot on two 2-D arrays: the same BLAS product as np.matmul, with less call overhead.

def _dense_fwd(x, kernel, bias):
    out = _rows_dot(x, kernel)
    out += bias
    return out, (x, kernel)


def _dense_vjp(g, s, n):
    return _dense_vjp_into(g, s, n, (None, None, None))


def _dense_vjp_into(g, s, n, outs):
    # Fused x @ kernel + bias, for speed: one node per Dense layer instead of two.
    x, kernel = s
    gx = gk = gb = None
    if n[0]:
        gx = _rows_dot(g, kernel.T)
    if n[1]:
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        out = outs[1]
        if out is not None and x2.dtype == g2.dtype == out.dtype:
            gk = np.dot(x2.T, g2, out)
        else:
            gk = np.dot(x2.T, g2)
            if out is not None:
                np.copyto(out, gk)
                gk = out
    if n[2]:
        axes = tuple(range(g.ndim - 1))
        out = outs[2]
        gb = np.add.reduce(g, axes, None, out) if out is not None and out.dtype == g.dtype \
            else np.add.reduce(g, axes)
        if out is not None and gb is not out:
            np.copyto(out, gb)
            gb = out
    return gx, gk, gb


DENSE = _def("dense", _dense_fwd, _dense_vjp)
DENSE.vjp_into = _dense_vjp_into


# Cross-entropy from logits, fused for numerical stability (log of softmax
# computed once, no probabilities clipped).


def _sparse_xent_saved(logits, labels, axis=-1):
    shifted = logits - rmax(logits, axis, True)
    logz = np.log(rsum(np.exp(shifted), axis, True))
    logp = shifted - logz
    labels = np.asarray(labels, dtype=np.intp)
    if logp.ndim == 2 and axis in (-1, 1):  # the common case: one fancy index
        return logp, (_rows(logp.shape[0]), labels), axis
    return logp, np.expand_dims(labels, axis), axis


_ROWS: dict = {}


def _rows(n):
    """``np.arange(n)``, kept for the few batch sizes a model sees (read-only)."""
    rows = _ROWS.get(n)
    if rows is None:
        if len(_ROWS) > 16:
            _ROWS.clear()
        rows = _ROWS[n] = np.arange(n)
        rows.flags.writeable = False
    return rows


def _sparse_xent_logits_fwd(logits, labels, axis=-1):
    saved = _sparse_xent_saved(logits, labels, axis)
    logp, idx, axis = saved
    if isinstance(idx, tuple):
        return -logp[idx], saved
    return np.squeeze(-np.take_along_axis(logp, idx, axis=axis), axis=axis), saved


def _sparse_xent_logits_vjp(g, s, n):
    logp, idx, axis = s
    grad = np.exp(logp)
    if isinstance(idx, tuple) and g.dtype == grad.dtype:
        grad[idx] -= 1
        grad *= g.reshape(-1, 1)
        return (grad, None)
    if isinstance(idx, tuple):
        grad[idx] -= 1
        return (grad * np.expand_dims(g, -1), None)
    np.put_along_axis(grad, idx, np.take_along_axis(grad, idx, axis=axis) - 1, axis=axis)
    return (grad * np.expand_dims(g, axis), None)


SPARSE_XENT_LOGITS = _def(
    "sparse_softmax_cross_entropy", _sparse_xent_logits_fwd, _sparse_xent_logits_vjp
)
SPARSE_XENT_LOGITS.fwd_saved = _sparse_xent_saved


# Cross-entropy from logits against one-hot rows (what sparse labels become): TensorFlow's
# numerics, loss = log(sum(exp(z - max))) - (z - max)[label] and gradient (softmax - onehot)
# times the upstream gradient. With the one-hot rows an input, a traced epoch makes them once
# per block of batches, and each step's gradient is two array operations.

def _onehot_xent_saved(logits, onehot, axis=-1):
    shifted = logits - rmax(logits, axis, True)
    probs = np.exp(shifted)
    total = rsum(probs, axis, True)
    probs /= total
    return probs, onehot, axis, shifted, total


def _onehot_xent_fwd(logits, onehot, axis=-1):
    probs, onehot, axis, shifted, total = _onehot_xent_saved(logits, onehot, axis)
    picked = rsum(np.multiply(shifted, onehot), axis)  # exact: the other terms are zeros
    out = np.log(np.squeeze(total, axis=axis)) - picked
    return out, (probs, onehot, axis)


def _onehot_xent_vjp(g, s, n):
    probs, onehot, axis = s[:3]
    grad = np.subtract(probs, onehot)
    if g.dtype == grad.dtype:
        grad *= np.expand_dims(g, axis) if axis not in (-1, grad.ndim - 1) else \
            g.reshape(g.shape + (1,))
        return (grad, None)
    return (grad * np.expand_dims(g, axis), None)


SPARSE_XENT_ONEHOT = _def("onehot_softmax_cross_entropy", _onehot_xent_fwd, _onehot_xent_vjp)
SPARSE_XENT_ONEHOT.fwd_saved = lambda logits, onehot, axis=-1: \
    _onehot_xent_saved(logits, onehot, axis)[:3]


def _xent_logits_fwd(labels, logits, axis=-1):
    shifted = logits - rmax(logits, axis, True)
    logp = shifted - np.log(rsum(np.exp(shifted), axis, True))
    return -rsum(labels * logp, axis), (labels, logp, axis)


def _xent_logits_vjp(g, s, n):
    labels, logp, axis = s
    ge = np.expand_dims(g, axis)
    glabels = -ge * logp if n[0] else None
    glogits = None
    if n[1]:
        glogits = ge * (np.exp(logp) * rsum(labels, axis, True) - labels)
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
