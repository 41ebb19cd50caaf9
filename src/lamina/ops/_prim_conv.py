"""Convolution and pooling primitives, channels-last, over 1, 2 or 3 spatial dimensions.

A convolution copies the input's windows into one matrix (im2col: one copy from
a strided view of the input, each window row's channels in one piece), and
multiplies it by the kernel in one matrix product; its backward pass is two more
products and the scatter of the windows' gradients back onto the input (col2im).
Pooling takes the maximum or the mean over the same windows. ``conv_pool`` is a
convolution, its bias, a ReLU and a max pool fused for speed (the engine's
``fuse_conv.py`` uses it in training steps). Layouts: inputs ``(batch, *spatial,
channels)``, kernels ``(*kernel_size, channels // groups, filters)``;
``padding`` is explicit, one ``(before, after)`` pair per spatial dimension
(``ops.conv`` turns Keras's ``"same"``/``"valid"``/``"causal"`` into these).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lamina.ops._table import _def

__all__ = ["CONV", "CONV_INPUT_GRADIENT", "CONV_POOL", "MAX_POOL", "AVERAGE_POOL", "output_size"]


def output_size(size: int, window: int, stride: int, dilation: int, pad: int) -> int:
    """Positions of a (dilated) window of ``window`` taps along ``size + pad`` with ``stride``."""
    span = (window - 1) * dilation + 1
    return max((size + pad - span) // stride + 1, 0)


def _pad(x, padding, value=0.0):
    if not any(lo or hi for lo, hi in padding):
        return x
    widths = ((0, 0), *padding, (0, 0))
    return np.pad(x, widths, mode="constant", constant_values=value)


def _window_slices(offsets, out, strides, dilation):
    """The slice of the padded input that kernel offset ``offsets`` reads, for every output."""
    return (slice(None),) + tuple(
        slice(o * d, o * d + (n - 1) * s + 1, s)
        for o, n, s, d in zip(offsets, out, strides, dilation))


def _geometry(x_shape, kernel_size, strides, padding, dilation):
    spatial = x_shape[1:-1]
    out = tuple(output_size(n, k, s, d, lo + hi) for n, k, s, d, (lo, hi) in
                zip(spatial, kernel_size, strides, dilation, padding))
    return out


def _im2col(xp, kernel_size, out, strides, dilation):
    """``(batch, *out, *kernel_size, channels)``: the window of every output position."""
    batch, channels = xp.shape[0], xp.shape[-1]
    cols = np.empty((batch, *out, *kernel_size, channels), xp.dtype)
    steps = xp.strides[1:-1]
    _copy_windows(cols, as_strided(xp, cols.shape, (
        xp.strides[0], *(a * s for a, s in zip(steps, strides)),
        *(a * d for a, d in zip(steps, dilation)), xp.strides[-1]), writeable=False),
        len(kernel_size))
    return cols


def _copy_windows(dst, windows, taps):
    """``dst[...] = windows`` (a strided view of the input, ``(..., *kernel_size, channels)``).

    One copy, whose inner loop NumPy runs over each window row's channels (a
    kernel row of contiguous channels in one piece); with one channel, a copy
    per kernel offset, whose inner loop is an output row instead.
    """
    if windows.shape[-1] > 1:
        np.copyto(dst, windows)
        return
    for offsets in np.ndindex(*windows.shape[-1 - taps:-1]):
        at = (Ellipsis, *offsets, slice(None))
        dst[at] = windows[at]


def _col2im(dcols, padded_shape, kernel_size, out, strides, dilation):
    """The adjoint of ``_im2col``: every window's gradient added back where it was read."""
    dxp = np.zeros(padded_shape, dcols.dtype)
    lead = (slice(None),) * (1 + len(out))
    for offsets in np.ndindex(*kernel_size):
        dxp[_window_slices(offsets, out, strides, dilation)] += dcols[lead + offsets]
    return dxp


def _unpad(dxp, padding, shape):
    if not any(lo or hi for lo, hi in padding):
        return dxp
    return dxp[(slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in
                                      zip(padding, shape[1:-1]))]


def _is_pointwise(kernel_size, strides, padding):
    return all(k == 1 for k in kernel_size) and all(s == 1 for s in strides) and \
        not any(lo or hi for lo, hi in padding)


# -- the matrix products, for one group, depthwise, or groups in turn ----------------------


def _forward_product(cols2, kernel, groups):
    """``(rows, taps * channels) x kernel -> (rows, filters)`` for ``groups`` channel groups."""
    rows = cols2.shape[0]
    filters = kernel.shape[-1]
    if groups == 1:
        return np.dot(cols2, kernel.reshape(-1, filters))
    taps = math.prod(kernel.shape[:-2])
    per_group = kernel.shape[-2]
    cols3 = cols2.reshape(rows, taps, groups, per_group)
    w = kernel.reshape(taps, per_group, groups, filters // groups)
    if per_group == 1:  # depthwise: every channel its own filters
        out = np.zeros((rows, groups, filters // groups), cols2.dtype)
        for t in range(taps):
            out += cols3[:, t, :, 0, None] * w[t, 0]
        return out.reshape(rows, filters)
    out = np.empty((rows, filters), cols2.dtype)
    step = filters // groups
    for gi in range(groups):
        a = cols3[:, :, gi, :].reshape(rows, taps * per_group)
        out[:, gi * step:(gi + 1) * step] = np.dot(a, w[:, :, gi, :].reshape(-1, step))
    return out


def _backward_products(cols2, kernel, g2, groups, need_x, need_k):
    """The gradients of ``_forward_product``: of its left operand and of the kernel."""
    rows, filters = g2.shape
    dcols = dk = None
    if groups == 1:
        w2 = kernel.reshape(-1, filters)
        if need_k:
            dk = np.dot(cols2.T, g2).reshape(kernel.shape)
        if need_x:
            dcols = np.dot(g2, w2.T)
        return dcols, dk
    taps = math.prod(kernel.shape[:-2])
    per_group = kernel.shape[-2]
    step = filters // groups
    cols3 = cols2.reshape(rows, taps, groups, per_group)
    w = kernel.reshape(taps, per_group, groups, step)
    g3 = g2.reshape(rows, groups, step)
    if per_group == 1:
        if need_k:
            dw = np.empty((taps, groups, step), g2.dtype)
            for t in range(taps):
                dw[t] = np.einsum("rc,rcj->cj", cols3[:, t, :, 0], g3)
            dk = dw.reshape(kernel.shape)
        if need_x:
            dc = np.empty((rows, taps, groups), g2.dtype)
            for t in range(taps):
                dc[:, t] = np.einsum("rcj,cj->rc", g3, w[t, 0])
            dcols = dc.reshape(rows, -1)
        return dcols, dk
    dw = np.empty_like(w) if need_k else None
    dc = np.empty((rows, taps, groups, per_group), g2.dtype) if need_x else None
    for gi in range(groups):
        gg = g3[:, gi, :]
        if need_k:
            a = cols3[:, :, gi, :].reshape(rows, -1)
            dw[:, :, gi, :] = np.dot(a.T, gg).reshape(taps, per_group, step)
        if need_x:
            dc[:, :, gi, :] = np.dot(gg, w[:, :, gi, :].reshape(-1, step).T).reshape(
                rows, taps, per_group)
    return (None if dc is None else dc.reshape(rows, -1),
            None if dw is None else dw.reshape(kernel.shape))


# -- convolution ------------------------------------------------------------------------------


def _conv_fwd(x, kernel, *, strides, padding, dilation, groups=1):
    kernel_size = kernel.shape[:-2]
    out = _geometry(x.shape, kernel_size, strides, padding, dilation)
    rows = x.shape[0] * math.prod(out)
    if _is_pointwise(kernel_size, strides, padding):
        cols2 = x.reshape(rows, -1)
        padded_shape = x.shape
    else:
        xp = _pad(x, padding)
        padded_shape = xp.shape
        cols2 = _im2col(xp, kernel_size, out, strides, dilation).reshape(rows, -1)
    y = _forward_product(cols2, kernel, groups).reshape(x.shape[0], *out, kernel.shape[-1])
    return y, (cols2, kernel, x.shape, padded_shape, out, (strides, padding, dilation, groups))


def _conv_vjp(g, saved, needs):
    cols2, kernel, x_shape, padded_shape, out, (strides, padding, dilation, groups) = saved
    g2 = np.reshape(g, (cols2.shape[0], kernel.shape[-1]))
    kernel_size = kernel.shape[:-2]
    per_tap = groups == 1 and not _is_pointwise(kernel_size, strides, padding)
    dcols, dk = _backward_products(cols2, kernel, g2, groups, needs[0] and not per_tap,
                                   needs[1])
    dx = None
    if needs[0]:
        kernel_size = kernel.shape[:-2]
        if _is_pointwise(kernel_size, strides, padding):
            dx = dcols.reshape(x_shape)
        elif dcols is None:  # one group: each kernel offset's share, one product at a time
            dxp = _input_gradient(g2, kernel, padded_shape, out, strides, dilation)
            dx = _unpad(dxp, padding, x_shape)
        else:
            dcols = dcols.reshape(x_shape[0], *out, *kernel_size, -1)
            dxp = _col2im(dcols, padded_shape, kernel_size, out, strides, dilation)
            dx = _unpad(dxp, padding, x_shape)
    return dx, dk


def _input_gradient(g2, kernel, padded_shape, out, strides, dilation):
    """col2im without the windows' matrix: per kernel offset, ``g @ kernel[offset].T``
    (contiguous) added onto the input positions that offset reads."""
    kernel_size = kernel.shape[:-2]
    taps = kernel.reshape(-1, kernel.shape[-2], kernel.shape[-1])
    dxp = np.zeros(padded_shape, g2.dtype)
    # One buffer for every offset's product (np.dot writes it in place: same dtype, contiguous).
    part = np.empty((g2.shape[0], kernel.shape[-2]), np.result_type(g2, kernel))
    shaped = part.reshape(padded_shape[0], *out, kernel.shape[-2])
    for t, offsets in enumerate(np.ndindex(*kernel_size)):
        np.dot(g2, taps[t].T, out=part)
        dxp[_window_slices(offsets, out, strides, dilation)] += shaped
    return dxp


CONV = _def("conv", _conv_fwd, _conv_vjp)


# -- the adjoint of a convolution with respect to its input (transposed convolution) ----------


def _conv_input_gradient_fwd(g, kernel, *, x_shape, strides, padding, dilation):
    """``x -> conv(x, kernel)``'s gradient with respect to ``x``, for the output gradient ``g``.

    This is the transposed convolution: every input value spreads over a window
    of the (larger) output. ``x_shape`` is that output's shape.
    """
    kernel_size = kernel.shape[:-2]
    out = tuple(g.shape[1:-1])
    rows = g.shape[0] * math.prod(out)
    g2 = g.reshape(rows, kernel.shape[-1])
    dcols = np.dot(g2, kernel.reshape(-1, kernel.shape[-1]).T)
    padded_shape = (x_shape[0],) + tuple(n + lo + hi for n, (lo, hi) in
                                          zip(x_shape[1:-1], padding)) + (x_shape[-1],)
    dcols = dcols.reshape(g.shape[0], *out, *kernel_size, -1)
    dxp = _col2im(dcols, padded_shape, kernel_size, out, strides, dilation)
    y = _unpad(dxp, padding, x_shape)
    return np.ascontiguousarray(y), (g, kernel, (strides, padding, dilation))


def _conv_input_gradient_vjp(gy, s, n):
    g, kernel, (strides, padding, dilation) = s
    gy = np.asarray(gy, g.dtype)
    # The adjoint of the adjoint is the convolution itself: of gy with the kernel, for g;
    # and the kernel's gradient pairs gy's windows with g.
    y, (cols2, *_) = _conv_fwd(gy, kernel, strides=strides, padding=padding,
                               dilation=dilation)
    dg = y if n[0] else None
    dk = None
    if n[1]:
        dk = np.dot(cols2.T, g.reshape(cols2.shape[0], -1)).reshape(kernel.shape)
    return dg, dk


CONV_INPUT_GRADIENT = _def("conv_input_gradient", _conv_input_gradient_fwd,
                           _conv_input_gradient_vjp)


# -- pooling ------------------------------------------------------------------------------------


def _pool_geometry(x, pool_size, strides, padding, value):
    out = _geometry(x.shape, pool_size, strides, padding, (1,) * len(pool_size))
    xp = _pad(x, padding, value)
    ones = (1,) * len(pool_size)
    slices = [_window_slices(offsets, out, strides, ones) for offsets in np.ndindex(*pool_size)]
    return xp, out, slices


def _max_pool_fwd(x, *, pool_size, strides, padding):
    xp, out, slices = _pool_geometry(x, pool_size, strides, padding, -np.inf)
    y = xp[slices[0]].copy()
    for sl in slices[1:]:
        np.maximum(y, xp[sl], out=y)
    apart = all(s >= k for s, k in zip(strides, pool_size))
    if apart and all(s == k and o * s == n for s, k, o, n in
                     zip(strides, pool_size, out, xp.shape[1:-1])):
        apart = "tiled"  # the windows tile the input: the gradient writes every position once
    return y, (xp, y, x.shape, padding, slices, apart)


def _max_pool_vjp(g, s, n):
    # The gradient goes to the first maximum of each window (row-major order), as TensorFlow.
    xp, y, x_shape, padding, slices, apart = s
    g = np.asarray(g, y.dtype)
    dxp = np.empty(xp.shape, y.dtype) if apart == "tiled" else np.zeros(xp.shape, y.dtype)
    taken = None
    hit = np.empty(y.shape, bool)
    for sl in slices:
        np.equal(xp[sl], y, out=hit)
        if taken is None:
            taken = hit.copy()
        else:
            np.greater(hit, taken, out=hit)  # a maximum not claimed by an earlier offset
            np.logical_or(taken, hit, out=taken)
        if apart:  # windows that do not overlap: each input position is written once
            np.multiply(g, hit, out=dxp[sl])
        else:
            dxp[sl] += np.multiply(g, hit)
    return (_unpad(dxp, padding, x_shape),)


MAX_POOL = _def("max_pool", _max_pool_fwd, _max_pool_vjp)


def _average_pool_fwd(x, *, pool_size, strides, padding):
    xp, out, slices = _pool_geometry(x, pool_size, strides, padding, 0.0)
    total = xp[slices[0]].copy()
    for sl in slices[1:]:
        np.add(total, xp[sl], out=total)
    if any(lo or hi for lo, hi in padding):
        # Padding is not counted: each window averages over the input values it covers.
        ones = _pad(np.ones((1, *x.shape[1:-1], 1), x.dtype), padding, 0.0)
        count = np.zeros((1, *out, 1), x.dtype)
        for sl in slices:
            count += ones[sl]
    else:
        count = np.asarray(math.prod(pool_size), x.dtype)
    return total / count, (xp.shape, count, x.shape, padding, slices)


def _average_pool_vjp(g, s, n):
    padded_shape, count, x_shape, padding, slices = s
    share = np.asarray(g) / count
    dxp = np.zeros(padded_shape, share.dtype)
    for sl in slices:
        dxp[sl] += share
    return (_unpad(dxp, padding, x_shape),)


AVERAGE_POOL = _def("average_pool", _average_pool_fwd, _average_pool_vjp)


# -- fused, for speed: convolution + bias (+ ReLU) + a max pool whose windows tile it --------
#
# The engine (``engine/fuse_conv.py``) rewrites that chain of a training step into this one
# primitive. The convolution's rows are computed in pool-window order, ``(slot, batch,
# *pooled)``, so each pool slot is one contiguous block and the pool's maximum, its ties and
# its gradient are whole-array operations; the bias rides in the product (a column of ones),
# and its gradient comes out of the kernel's. The ReLU commutes with the maximum (it is
# monotone), so it runs on the pooled output. Rows the pool drops are never computed.


def _pooled_im2col(xp, kernel_size, pooled, pool_size, strides, dilation):
    """``(slots * rows, taps * channels + 1)``: each pool slot's windows, then a column of ones."""
    batch, channels = xp.shape[0], xp.shape[-1]
    slots, rows = math.prod(pool_size), batch * math.prod(pooled)
    width = math.prod(kernel_size) * channels
    steps = xp.strides[1:-1]
    windows = (*(a * s for a, s in zip(steps, strides)), xp.strides[0],
               *(a * p * s for a, p, s in zip(steps, pool_size, strides)))
    taps = tuple(a * d for a, d in zip(steps, dilation))
    if channels == 1:
        # One channel: the matrix is made transposed (a view of it is returned), so that the
        # copy's inner loop writes one contiguous row of windows per kernel offset.
        cols_t = np.empty((width + 1, slots * rows), xp.dtype)
        cols_t[width] = 1
        view = cols_t[:width].reshape(*kernel_size, *pool_size, batch, *pooled)
        np.copyto(view, as_strided(xp, view.shape, taps + windows, writeable=False))
        return cols_t.T
    cols2 = np.empty((slots * rows, width + 1), xp.dtype)
    cols2[:, width] = 1
    # (a view: reshaping splits axes only, the last one contiguous)
    view = cols2.reshape(*pool_size, batch, *pooled, width + 1)[..., :width].reshape(
        *pool_size, batch, *pooled, *kernel_size, channels)
    np.copyto(view, as_strided(xp, view.shape, windows + taps + (xp.strides[-1],),
                               writeable=False))
    return cols2


def _conv_pool_fwd(x, kernel, bias, *, strides, padding, dilation, pool_size, relu):
    if kernel.shape[-2] != x.shape[-1]:
        raise ValueError(f"conv_pool: a kernel of shape {kernel.shape} for inputs of shape "
                         f"{x.shape}: the fused step takes one group (in_channels == "
                         "kernel.shape[-2]) only.")
    kernel_size = kernel.shape[:-2]
    filters = kernel.shape[-1]
    out = _geometry(x.shape, kernel_size, strides, padding, dilation)
    pooled = tuple(o // p for o, p in zip(out, pool_size))
    xp = _pad(x, padding)
    cols2 = _pooled_im2col(xp, kernel_size, pooled, pool_size, strides, dilation)
    weights = np.empty((cols2.shape[1], filters), np.result_type(kernel, bias))
    weights[:-1] = kernel.reshape(-1, filters)
    weights[-1] = bias
    slots = math.prod(pool_size)
    z = np.dot(cols2, weights).reshape(slots, -1)  # one contiguous block per pool slot
    y = z[0].copy() if slots == 1 else np.maximum(z[0], z[1])
    for t in range(2, slots):
        np.maximum(y, z[t], out=y)
    if relu:
        np.maximum(y, np.zeros((), y.dtype), out=y)
    geometry = (x.shape, xp.shape, padding, strides, dilation, pooled, pool_size, relu)
    return y.reshape(x.shape[0], *pooled, filters), (cols2, kernel, z, y, geometry)


def _conv_pool_vjp(g, saved, needs):
    return _conv_pool_vjp_into(g, saved, needs, (None, None, None))


def _conv_pool_vjp_into(g, saved, needs, outs):
    cols2, kernel, z, y, geometry = saved
    x_shape, padded_shape, padding, strides, dilation, pooled, pool_size, relu = geometry
    g = np.asarray(g, z.dtype).reshape(-1)
    # Each window's gradient to its first maximum in row-major order, as TensorFlow's pool;
    # the ReLU's (relu'(0) = 0) marks the windows whose maximum is not positive as done.
    taken = np.less_equal(y, 0) if relu else np.zeros(y.shape, bool)
    hit = np.empty(y.shape, bool)
    dz = np.empty(z.shape, z.dtype)
    for t in range(z.shape[0]):
        np.equal(z[t], y, out=hit)
        np.greater(hit, taken, out=hit)  # a maximum not claimed by an earlier slot
        if t + 1 < z.shape[0]:
            np.logical_or(taken, hit, out=taken)
        np.multiply(g, hit, out=dz[t])
    filters = kernel.shape[-1]
    dz2 = dz.reshape(-1, filters)
    dk = db = dx = None
    if needs[1] or needs[2]:
        both = np.dot(cols2.T, dz2)  # the kernel's gradient, then the bias's (ones column)
        if needs[1]:
            dk = _into(outs[1], both[:-1].reshape(kernel.shape))
        if needs[2]:
            db = _into(outs[2], both[-1])
    if needs[0]:
        dx = _unpad(_pooled_input_gradient(dz2, kernel, padded_shape, pooled, pool_size,
                                           strides, dilation), padding, x_shape)
    return dx, dk, db


def _into(out, value):
    if out is None:
        return value
    np.copyto(out, value, casting="same_kind")
    return out


def _pooled_input_gradient(dz2, kernel, padded_shape, pooled, pool_size, strides, dilation):
    """The adjoint of ``_pooled_im2col`` times the kernel: per kernel offset one product.

    Its rows are first put back in window order (batch, then per spatial axis the
    window's index and the slot in it), so that each offset's product is one
    block of the input, added with one strided addition.
    """
    kernel_size = kernel.shape[:-2]
    channels, filters = kernel.shape[-2:]
    nd, batch = len(pooled), padded_shape[0]
    dz = dz2.reshape(*pool_size, batch, *pooled, filters)
    order = (nd,) + tuple(a for i in range(nd) for a in (nd + 1 + i, i)) + (2 * nd + 1,)
    rows = np.ascontiguousarray(dz.transpose(order)).reshape(-1, filters)
    span = tuple(n * p for n, p in zip(pooled, pool_size))  # the output positions pooled
    taps = kernel.reshape(-1, channels, filters)
    dxp = np.zeros(padded_shape, np.result_type(dz2, kernel))
    part = np.empty((rows.shape[0], channels), dxp.dtype)
    block = part.reshape(batch, *span, channels)
    for k, offsets in enumerate(np.ndindex(*kernel_size)):
        np.dot(rows, taps[k].T, out=part)
        into = dxp[(slice(None),) + tuple(slice(o * d, o * d + (n - 1) * s + 1, s) for o, d, n, s
                                          in zip(offsets, dilation, span, strides))]
        np.add(into, block, out=into)
    return dxp


CONV_POOL = _def("conv_pool", _conv_pool_fwd, _conv_pool_vjp)
CONV_POOL.vjp_into = _conv_pool_vjp_into
