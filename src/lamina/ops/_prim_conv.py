"""Convolution and pooling primitives, channels-last, over 1, 2 or 3 spatial dimensions.

A convolution copies the input's windows into one matrix, one kernel offset at a
time (im2col: ``k`` strided copies for a kernel of ``k`` positions, each a
contiguous block of channels), and multiplies it by the kernel in one matrix
product; its backward pass is two more products and the scatter of the windows'
gradients back onto the input (col2im). Pooling takes the maximum or the mean
over the same windows. Layouts: inputs ``(batch, *spatial, channels)``, kernels
``(*kernel_size, channels // groups, filters)``; ``padding`` is explicit, one
``(before, after)`` pair per spatial dimension (``ops.conv`` turns Keras's
``"same"``/``"valid"``/``"causal"`` into these).
"""

from __future__ import annotations

import math

import numpy as np

from lamina.ops._table import _def

__all__ = ["CONV", "CONV_INPUT_GRADIENT", "MAX_POOL", "AVERAGE_POOL", "output_size"]


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
    lead = (slice(None),) * (1 + len(out))
    for offsets in np.ndindex(*kernel_size):
        cols[lead + offsets] = xp[_window_slices(offsets, out, strides, dilation)]
    return cols


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
