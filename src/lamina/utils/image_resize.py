"""Resizing image arrays on NumPy the way ``tf.image.resize`` does (what Keras's image data sets use).

Pixel centres sit at half-integer positions and nothing is antialiased, as in
TensorFlow 2's ``tf.image.resize`` with its defaults. ``"bilinear"`` and
``"nearest"`` reproduce TensorFlow's float32 arithmetic step by step (same
numbers to the last bit); the other methods build one weight matrix per axis
with TensorFlow's taps and kernels and apply it with a matrix product (equal to
about 1e-4 on 0..255 pixels). Images are ``(..., height, width, channels)``.

Example:
    >>> import numpy as np
    >>> from lamina.utils.image_resize import resize
    >>> resize(np.arange(4, dtype="uint8").reshape(1, 4, 1), (1, 2))[..., 0]
    array([[0.5, 2.5]], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["INTERPOLATIONS", "crop_to_aspect_ratio", "resize", "resize_with_pad"]

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")

_F = np.float32
_HALF = _F(0.5)


def _scale(in_size: int, out_size: int):
    return _F(in_size) / _F(out_size)


def linear_taps(in_size, out_size):
    """TensorFlow's bilinear taps: lower and upper source index and the weight of the upper."""
    src = (np.arange(out_size, dtype=_F) + _HALF) * _scale(in_size, out_size) - _HALF
    floor = np.floor(src)
    lower = np.maximum(floor.astype(np.int64), 0)
    upper = np.minimum(np.ceil(src).astype(np.int64), in_size - 1)
    return lower, upper, src - floor


def nearest_index(in_size, out_size):
    src = (np.arange(out_size, dtype=_F) + _HALF) * _scale(in_size, out_size)
    return np.clip(np.floor(src).astype(np.int64), 0, in_size - 1)


def _cubic_table(a: float = -0.5, size: int = 1024):
    """Keys's cubic coefficients at ``i / size`` and ``1 + i / size`` (TensorFlow's table)."""
    x = (np.arange(size + 1) / size).astype(_F)
    a = _F(a)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    x1 = x + _F(1)
    far = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a
    return near, far


def _bicubic_weights(in_size, out_size):
    near, far = _cubic_table()
    src = (np.arange(out_size, dtype=_F) + _HALF) * _scale(in_size, out_size) - _HALF
    base = np.floor(src).astype(np.int64)
    offset = np.rint((src - base) * _F(1024)).astype(np.int64)  # lrintf: ties to even
    taps = ((base - 1, far[offset]), (base, near[offset]), (base + 1, near[1024 - offset]),
            (base + 2, far[1024 - offset]))
    w = np.zeros((out_size, in_size), dtype=np.float64)
    rows = np.arange(out_size)
    for index, weight in taps:  # taps outside the image get no weight; the rest is renormalized
        inside = (index >= 0) & (index < in_size)
        np.add.at(w, (rows[inside], index[inside]), weight[inside])
    return w / w.sum(axis=1, keepdims=True)


def _area_weights(in_size, out_size):
    scale = float(_scale(in_size, out_size))
    w = np.zeros((out_size, in_size), dtype=np.float64)
    for y in range(out_size):
        lo, hi = y * scale, (y + 1) * scale
        for i in range(int(math.floor(lo)), int(math.ceil(hi))):
            w[y, min(i, in_size - 1)] += (min(i + 1, hi) - max(i, lo)) / scale
    return w


def _lanczos(radius):
    def kernel(x):
        x = np.abs(x)
        safe = np.where(x <= 1e-3, 1.0, x)
        value = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) / (np.pi * safe) ** 2
        return np.where(x > radius, 0.0, np.where(x <= 1e-3, 1.0, value))

    return kernel, float(radius)


def _gaussian(x):
    x = np.abs(x)
    sigma = 1.5 / 3.0
    return np.where(x >= 1.5, 0.0, np.exp(-x * x / (2 * sigma * sigma)))


def _mitchell(x):
    x = np.abs(x)
    inner = ((7.0 / 6.0 * x - 2.0) * x) * x + 8.0 / 9.0
    outer = (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, outer, inner))


_KERNELS = {"lanczos3": _lanczos(3), "lanczos5": _lanczos(5), "gaussian": (_gaussian, 1.5),
            "mitchellcubic": (_mitchell, 2.0)}


def _kernel_weights(in_size, out_size, method):
    """``tf.raw_ops.ScaleAndTranslate`` without antialiasing: the kernel at each sample point."""
    kernel, radius = _KERNELS[method]
    inv_scale = _F(1) / (_F(out_size) / _F(in_size))  # float32, as TensorFlow
    w = np.zeros((out_size, in_size), dtype=np.float64)
    for x in range(out_size):
        sample = (_F(x) + _HALF) * inv_scale
        start = min(max(int(np.ceil(sample - _F(radius) - _HALF)), 0), in_size - 1)
        end = min(max(int(np.floor(sample + _F(radius) - _HALF)), 0), in_size - 1) + 1
        weights = kernel(np.arange(start, end, dtype=_F) + _HALF - sample).astype(_F)
        total = weights.sum(dtype=_F)
        if abs(total) >= 1000 * np.finfo(_F).tiny:
            w[x, start:end] = weights * (_F(1) / total)
    return w


def interpolation_weights(in_size, out_size, method):
    """The ``(out_size, in_size)`` matrix of one axis for ``"bicubic"``, ``"area"`` and the kernel
    methods (TensorFlow's weights); bilinear and nearest use ``linear_taps``/``nearest_index``."""
    if method == "bicubic":
        return _bicubic_weights(in_size, out_size)
    if method == "area":
        return _area_weights(in_size, out_size)
    return _kernel_weights(in_size, out_size, method)


def _apply(matrix, image, axis):
    out = np.tensordot(matrix.astype(_F), image, axes=([1], [axis]))
    return np.moveaxis(out, 0, axis)


def resize(image, size, interpolation: str = "bilinear"):
    """Resize ``(..., height, width, channels)`` to ``size = (height, width)``, as ``tf.image.resize``.

    Args:
        image: an array of one image or a batch, channels last.
        size: the target ``(height, width)``.
        interpolation: one of ``INTERPOLATIONS``.

    Returns:
        A float32 array; with ``"nearest"`` the input's dtype (as TensorFlow does).
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"The 'interpolation' argument must be one of {INTERPOLATIONS}. "
            f"Got {interpolation!r} instead."
        )
    image = np.asarray(image)
    height, width = int(size[0]), int(size[1])
    in_h, in_w = image.shape[-3], image.shape[-2]
    if interpolation == "nearest":
        rows = np.take(image, nearest_index(in_h, height), axis=-3)
        return np.take(rows, nearest_index(in_w, width), axis=-2)
    data = image.astype(_F, copy=False)
    if interpolation == "bilinear":
        y_lo, y_hi, y_lerp = linear_taps(in_h, height)
        x_lo, x_hi, x_lerp = linear_taps(in_w, width)
        x_lerp = x_lerp[:, None]
        top, bottom = np.take(data, y_lo, axis=-3), np.take(data, y_hi, axis=-3)
        tl, tr = np.take(top, x_lo, axis=-2), np.take(top, x_hi, axis=-2)
        bl, br = np.take(bottom, x_lo, axis=-2), np.take(bottom, x_hi, axis=-2)
        upper = tl + (tr - tl) * x_lerp
        lower = bl + (br - bl) * x_lerp
        return upper + (lower - upper) * y_lerp[:, None, None]
    out = _apply(interpolation_weights(in_w, width, interpolation), data, data.ndim - 2)
    return _apply(interpolation_weights(in_h, height, interpolation), out, data.ndim - 3)


def crop_to_aspect_ratio(image, size, channels_axis: int = -1):
    """The largest centred crop of ``image`` with the aspect ratio of ``size`` (``smart_resize``'s).

    Args:
        image: ``(..., height, width, channels)`` (or channels first with ``channels_axis=-3``).
        size: the target ``(height, width)``.
        channels_axis: ``-1`` for channels last, ``-3`` for channels first.
    """
    h_axis, w_axis = (-3, -2) if channels_axis == -1 else (-2, -1)
    height, width = image.shape[h_axis], image.shape[w_axis]
    target_h, target_w = int(size[0]), int(size[1])
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    top = int(float(height - crop_h) / 2)
    left = int(float(width - crop_w) / 2)
    index = [slice(None)] * image.ndim
    index[h_axis] = slice(top, top + crop_h)
    index[w_axis] = slice(left, left + crop_w)
    return image[tuple(index)]


def resize_with_pad(image, size, interpolation: str = "bilinear"):
    """Fit ``image`` inside ``size`` keeping its aspect ratio, then pad with zeros to ``size``.

    The arithmetic of ``tf.image.resize_with_pad`` (float32 ratios, floors).
    """
    height, width = image.shape[-3], image.shape[-2]
    target_h, target_w = _F(size[0]), _F(size[1])
    ratio = max(_F(width) / target_w, _F(height) / target_h)
    new_h, new_w = _F(height) / ratio, _F(width) / ratio
    pad_top = max(0, int(np.floor((target_h - new_h) / _F(2))))
    pad_left = max(0, int(np.floor((target_w - new_w) / _F(2))))
    resized = resize(image, (int(np.floor(new_h)), int(np.floor(new_w))), interpolation)
    out = np.zeros(image.shape[:-3] + (int(size[0]), int(size[1]), image.shape[-1]),
                   dtype=resized.dtype)
    out[..., pad_top:pad_top + resized.shape[-3], pad_left:pad_left + resized.shape[-2], :] = \
        resized
    return out
