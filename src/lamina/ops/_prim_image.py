"""Image primitives: resizing, affine resampling and cropping at traced offsets.

The numbers follow TensorFlow's kernels, which is what Keras 3 computes with
its TensorFlow backend:

* ``resize``: ``tf.image.resize`` without antialiasing (half-pixel centres).
  Bilinear samples input position ``(i + 0.5) * in / out - 0.5`` (in float32),
  clamps the two neighbours to the image and blends them as TensorFlow does,
  ``top = a + (b - a) * t`` along the width first, then along the height, so
  float32 results are TensorFlow's to the last bit. Nearest takes
  ``floor((i + 0.5) * in / out)``. The VJP applies the transposed
  interpolation matrices.
* ``affine_transform``: ``ImageProjectiveTransformV3``. Output pixel
  ``(x, y)`` reads input point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``
  with ``k = c0 x + c1 y + 1``; points outside the image are first mapped back
  by ``fill_mode`` (``reflect``: ``dcba|abcd|dcba``, ``wrap``: ``abcd|abcd``,
  ``nearest``: clamp, ``constant``: left outside, where reads give
  ``fill_value``), then sampled by ``nearest`` (rounding half away from 0) or
  ``bilinear`` interpolation. The coordinates are computed in float32, as
  TensorFlow does. The VJP (for the images; none for the transform) scatters
  the output gradient back with the same interpolation weights.
* ``crop_at``: a window of fixed size at offsets that are an input of the
  primitive, so a random crop drawn at each step replays in a traced plan.
"""

from __future__ import annotations

import numpy as np

from lamina.ops._table import _def
from lamina.utils.image_resize import interpolation_weights, linear_taps, nearest_index

__all__ = ["AFFINE_TRANSFORM", "CROP_AT", "RESIZE", "affine_coordinates", "resize_tables"]

_F32 = np.float32


# -- resize --------------------------------------------------------------------------------

def resize_tables(in_size: int, out_size: int, method: str):
    """``(lower, upper, lerp)`` per output index along one axis (TensorFlow's half-pixel rule).

    ``lerp`` is the weight of ``upper`` (float32); for ``"nearest"`` ``upper`` equals
    ``lower`` and ``lerp`` is 0. (The taps of ``lamina.utils.image_resize``, which reads
    image files with the same rule.)
    """
    if method == "nearest":
        index = nearest_index(in_size, out_size).astype(np.intp)
        return index, index, np.zeros(out_size, _F32)
    lower, upper, lerp = linear_taps(in_size, out_size)
    return lower.astype(np.intp), upper.astype(np.intp), lerp.astype(_F32)


def _lerp_along(x, axis, lower, upper, lerp, method):
    if method == "nearest":
        return np.take(x, lower, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    a = np.take(x, lower, axis=axis)
    b = np.take(x, upper, axis=axis)
    return a + (b - a) * lerp.astype(x.dtype, copy=False).reshape(shape)


def _interp_matrix(in_size, out_size, method, dtype):
    if method not in ("bilinear", "nearest"):
        return interpolation_weights(in_size, out_size, method).astype(dtype)
    lower, upper, lerp = resize_tables(in_size, out_size, method)
    m = np.zeros((out_size, in_size), dtype=dtype)
    rows = np.arange(out_size)
    np.add.at(m, (rows, lower), 1 - lerp.astype(dtype))
    if method != "nearest":
        np.add.at(m, (rows, upper), lerp.astype(dtype))
    return m


def _along(x, matrix, axis):
    """``matrix`` (new, old) applied to ``x`` along ``axis``."""
    return np.moveaxis(np.tensordot(x, matrix, axes=([axis], [1])), -1, axis)


def _resize_fwd(x, *, size, method, axes):
    out = x
    for axis, n in ((axes[1], size[1]), (axes[0], size[0])):  # width first, as TensorFlow
        if out.shape[axis] != n and method not in ("bilinear", "nearest"):
            out = _along(out, _interp_matrix(out.shape[axis], n, method, out.dtype), axis)
        elif out.shape[axis] != n:
            lower, upper, lerp = resize_tables(out.shape[axis], n, method)
            out = _lerp_along(out, axis, lower, upper, lerp, method)
    if out is x:  # the same size: a copy, so that the result never aliases a variable
        out = x.copy()
    return out, (x.shape, size, method, axes)


def _resize_vjp(g, saved, needs):
    shape, size, method, axes = saved
    for axis, n in ((axes[0], size[0]), (axes[1], size[1])):
        if shape[axis] != n:
            g = _along(g, _interp_matrix(shape[axis], n, method, g.dtype).T, axis)
    return (np.ascontiguousarray(g),)


# -- affine transform ----------------------------------------------------------------------

def _reflect(c, n):
    """TensorFlow's FILL_REFLECT on float32 coordinates ``c`` along an axis of ``n`` pixels."""
    if n <= 1:
        return np.zeros_like(c)
    sz2 = _F32(2 * n)
    out = c.copy()
    neg = c < 0
    if neg.any():
        v = c[neg]
        v = sz2 * np.trunc(-v / sz2) + v
        out[neg] = np.where(v < -n, v + sz2, -v - _F32(1))
    pos = c > n - 1
    if pos.any():
        v = c[pos]
        v = v - sz2 * np.trunc(v / sz2)
        out[pos] = np.where(v >= n, sz2 - v - _F32(1), v)
    return np.clip(out, _F32(0), _F32(n - 1))


def _wrap(c, n):
    """TensorFlow's FILL_WRAP on float32 coordinates ``c`` along an axis of ``n`` pixels."""
    if n <= 1:
        return np.zeros_like(c)
    sz = _F32(n - 1)
    out = c.copy()
    neg = c < 0
    if neg.any():
        v = c[neg]
        out[neg] = v + _F32(n) * (np.trunc(-v / sz) + _F32(1))
    pos = c > n - 1
    if pos.any():
        v = c[pos]
        out[pos] = v - _F32(n) * np.trunc(v / sz)
    return np.clip(out, _F32(0), _F32(n - 1))


def _map(c, n, fill_mode):
    if fill_mode == "reflect":
        return _reflect(c, n)
    if fill_mode == "wrap":
        return _wrap(c, n)
    if fill_mode == "nearest":
        return np.clip(c, _F32(0), _F32(n - 1))
    return c  # constant: reads outside the image give fill_value


def affine_coordinates(transform, height: int, width: int):
    """Input ``(x, y)`` (float32, shape ``(batch, height, width)``) read by each output pixel,
    and where the projection's denominator is not 0."""
    t = np.asarray(transform, dtype=_F32).reshape(-1, 8)[:, :, None, None]
    x = np.arange(width, dtype=_F32)[None, None, :]
    y = np.arange(height, dtype=_F32)[None, :, None]
    k = t[:, 6] * x + t[:, 7] * y + _F32(1)
    ok = k != 0
    k = np.where(ok, k, _F32(1))
    xs = (t[:, 0] * x + t[:, 1] * y + t[:, 2]) / k
    ys = (t[:, 3] * x + t[:, 4] * y + t[:, 5]) / k
    return xs, ys, np.broadcast_to(ok, xs.shape)


def _round_half_away(v):
    whole = np.trunc(v)
    return whole + np.where(np.abs(v - whole) >= 0.5, np.sign(v), _F32(0))


def _gather_index(yi, xi, h, w, ok, base, sentinel):
    """Row of each integer point ``(yi, xi)`` in the batch's flattened pixels, or
    ``sentinel`` (the fill row) for points outside the image."""
    valid = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w) & ok  # False for NaN too
    row = np.where(valid, yi, _F32(0)).astype(np.intp)
    row *= w
    row += np.where(valid, xi, _F32(0)).astype(np.intp)
    row += base
    return np.where(valid, row, sentinel).reshape(base.shape[0], -1)


def _affine_fwd(images, transform, *, interpolation, fill_mode, fill_value, channels_first):
    img = np.moveaxis(images, 1, -1) if channels_first else images
    n, h, w, c = img.shape
    dtype = img.dtype if img.dtype.kind == "f" else np.dtype(_F32)
    xs, ys, ok = affine_coordinates(transform, h, w)
    xs, ys = _map(xs, w, fill_mode), _map(ys, h, fill_mode)
    if xs.shape[0] != n:
        xs, ys, ok = (np.broadcast_to(a, (n, h, w)) for a in (xs, ys, ok))
    # The pixels one row per (image, y, x), and one more row holding fill_value.
    fill = np.asarray(fill_value, dtype=_F32).astype(dtype)
    rows = np.concatenate([img.reshape(n * h * w, c).astype(dtype, copy=False),
                           np.full((1, c), fill, dtype)])
    base, sentinel = (np.arange(n) * (h * w)).reshape(n, 1, 1), n * h * w
    if interpolation == "nearest":
        corners = [_gather_index(_round_half_away(ys), _round_half_away(xs), h, w, ok, base,
                                 sentinel)]
        weights = None
        out = np.take(rows, corners[0], axis=0)
    else:
        x0, y0 = np.floor(xs), np.floor(ys)
        x1, y1 = x0 + _F32(1), y0 + _F32(1)
        wx = [(x1 - xs).reshape(n, -1, 1).astype(dtype), (xs - x0).reshape(n, -1, 1).astype(dtype)]
        wy = [(y1 - ys).reshape(n, -1, 1).astype(dtype), (ys - y0).reshape(n, -1, 1).astype(dtype)]
        corners = [_gather_index(yy, xx, h, w, ok, base, sentinel)
                   for yy in (y0, y1) for xx in (x0, x1)]
        v = [np.take(rows, index, axis=0) for index in corners]
        # TensorFlow's order: along x at both rows, then along y.
        top = wx[0] * v[0] + wx[1] * v[1]
        bottom = wx[0] * v[2] + wx[1] * v[3]
        out = wy[0] * top + wy[1] * bottom
        weights = (wx, wy)
    if not ok.all():
        out = np.where(ok.reshape(n, -1, 1), out, fill)
    out = out.reshape(n, h, w, c)
    if img.dtype != dtype:
        out = out.astype(img.dtype)
    if channels_first:
        out = np.moveaxis(out, -1, 1)
    return np.ascontiguousarray(out), (corners, weights, img.shape, images.dtype, channels_first)


def _affine_vjp(g, saved, needs):
    corners, weights, shape, dtype, channels_first = saved
    if not needs[0] or dtype.kind != "f":
        return (None, None)
    n, h, w, c = shape
    if channels_first:
        g = np.moveaxis(g, 1, -1)
    g = np.asarray(g).reshape(n, h * w, c)
    size = n * h * w + 1  # the last row collects what fell outside the image (dropped)
    grad = np.zeros((c, size), dtype=g.dtype)
    if weights is None:  # nearest: one pixel, weight 1
        weights = [None]
    else:  # bilinear: the corners' weights are products of the x and y weights
        wx, wy = weights
        weights = [wy[i] * wx[j] for i in (0, 1) for j in (0, 1)]
    for index, weight in zip(corners, weights):
        contrib = g if weight is None else g * weight
        flat_index = index.ravel()
        for ch in range(c):
            grad[ch] += np.bincount(flat_index, weights=contrib[..., ch].ravel(), minlength=size)
    grad = grad[:, :-1].T.reshape(n, h, w, c)
    if channels_first:
        grad = np.moveaxis(grad, -1, 1)
    return (np.ascontiguousarray(grad), None)


# -- crop at traced offsets ------------------------------------------------------------------

def _crop_index(ndim, starts, size, axes):
    index = [slice(None)] * ndim
    for axis, start, n in zip(axes, np.asarray(starts).reshape(-1), size):
        index[axis] = slice(int(start), int(start) + n)
    return tuple(index)


def _crop_fwd(x, starts, *, size, axes):
    index = _crop_index(x.ndim, starts, size, axes)
    out = x[index]
    if any(out.shape[a] != n for a, n in zip(axes, size)):
        raise ValueError(
            f"crop_at: the window of size {tuple(size)} at offsets "
            f"{np.asarray(starts).tolist()} does not fit in images of shape {x.shape}.")
    return out.copy(), (x.shape, index)


def _crop_vjp(g, saved, needs):
    shape, index = saved
    grad = np.zeros(shape, dtype=g.dtype)
    grad[index] = g
    return (grad, None)


# Bilinear/nearest resize along two axes (TensorFlow's half-pixel numbers).
RESIZE = _def("image_resize", _resize_fwd, _resize_vjp)
# Projective resampling of images (ImageProjectiveTransformV3); differentiable in the images.
AFFINE_TRANSFORM = _def("image_affine_transform", _affine_fwd, _affine_vjp)
# A window of fixed size at offsets given as an input (a random crop that replays).
CROP_AT = _def("image_crop_at", _crop_fwd, _crop_vjp)
