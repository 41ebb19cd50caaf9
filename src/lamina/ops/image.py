"""``lamina.ops.image``: Keras's ``keras.ops.image`` functions on NumPy.

Images are 4-D ``(batch, height, width, channels)`` or 3-D ``(height, width,
channels)`` (``data_format="channels_first"``: channels before height and
width). The numbers are TensorFlow's, which Keras 3 computes with its
TensorFlow backend (see ``_prim_image.py``): ``resize`` is bit-for-bit
``tf.image.resize`` in float32, ``affine_transform`` bit-for-bit
``ImageProjectiveTransformV3``. ``resize``, ``crop_images`` and ``pad_images``
are differentiable; ``affine_transform`` passes gradients to the images (not
to the transform).

Example:
    >>> import numpy as np
    >>> from lamina.ops import image
    >>> image.resize(np.ones((1, 4, 4, 3), "float32"), (2, 6)).shape
    (1, 2, 6, 3)
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina import config
from lamina.autodiff.tape import apply
from lamina.autodiff.tensor import Tensor
from lamina.ops import _prim_image as PI
from lamina.ops._array import pad, stack
from lamina.ops._core import cast, convert_to_tensor, expand_dims, reshape, shape, squeeze

__all__ = ["affine_transform", "crop_images", "pad_images", "resize"]

_RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")
_KERAS_ONLY_METHODS = ()
_AFFINE_METHODS = ("nearest", "bilinear")
_FILL_MODES = ("constant", "nearest", "wrap", "reflect")


def standardize_data_format(data_format, who: str = "image functions") -> str:
    """``"channels_last"`` or ``"channels_first"`` (``None``: lamina's configured default)."""
    if data_format is None:
        default = getattr(config, "image_data_format", None)
        return default() if callable(default) else "channels_last"
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"The 'data_format' argument of {who} must be 'channels_last' or 'channels_first'. "
            f"Got data_format={data_format!r} instead.")
    return value


def _spatial_axes(rank: int, data_format: str, who: str) -> tuple:
    if rank not in (3, 4):
        layout = ("(batch, height, width, channels)" if data_format == "channels_last"
                  else "(batch, channels, height, width)")
        raise ValueError(
            f"{who} expects images of shape {layout} or a single image without the batch axis; "
            f"got an array with {rank} dimensions.")
    first = rank - 3 + (1 if data_format == "channels_first" else 0)
    return first, first + 1


def _as_tensor(x):
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


def _check_size(size, who):
    if isinstance(size, (str, bytes)) or not hasattr(size, "__len__") or len(size) != 2 or not all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in size):
        raise ValueError(
            f"The 'size' argument of {who} must be two positive integers (height, width). "
            f"Got size={size!r} instead.")
    return int(size[0]), int(size[1])


def _aspect_box(height, width, target_height, target_width, grow: bool):
    """Keras's crop (``grow=False``) or pad (``grow=True``) box for the target aspect ratio,
    computed in float32 as Keras does: ``(box_height, box_width)``."""
    f32 = np.float32
    box_h = int(f32(width * target_height) / f32(target_width))
    box_w = int(f32(height * target_width) / f32(target_height))
    if grow:
        return max(height, box_h), max(width, box_w)
    return max(min(height, box_h), 1), max(min(width, box_w), 1)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize images to ``size = (height, width)`` (TensorFlow's ``tf.image.resize`` numbers).

    Output pixel ``i`` samples input position ``(i + 0.5) * in / out - 0.5``
    (half-pixel centres): ``"bilinear"`` blends the two nearest pixels
    (clamped at the border), ``"nearest"`` takes pixel
    ``floor((i + 0.5) * in / out)``. ``crop_to_aspect_ratio=True`` first crops
    the largest centred window with the target's aspect ratio;
    ``pad_to_aspect_ratio=True`` instead pads the short side evenly with
    ``fill_value``. Bilinear output of integer images is float32; nearest keeps
    the dtype.

    Args:
        images: ``(batch, height, width, channels)`` or one ``(height, width, channels)``.
        size: ``(height, width)`` of the result.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``, ``"area"``,
            ``"lanczos3"`` or ``"lanczos5"`` (TensorFlow's weights for each).
        antialias: only ``False`` is supported.
        crop_to_aspect_ratio, pad_to_aspect_ratio: keep the aspect ratio (at most one).
        fill_mode: ``"constant"`` (the only mode, for the padding).
        fill_value: the padding value.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> from lamina.ops import image
        >>> image.resize(np.array([[[0.0], [1.0]]], "float32"), (1, 4))[..., 0].numpy()
        array([[0.  , 0.25, 0.75, 1.  ]], dtype=float32)
    """
    who = "ops.image.resize"
    size = _check_size(size, who)
    if interpolation not in _RESIZE_METHODS:
        extra = (" (Keras has it; lamina implements only 'bilinear' and 'nearest')"
                 if interpolation in _KERAS_ONLY_METHODS else "")
        raise ValueError(
            f"The 'interpolation' argument of {who} must be one of {_RESIZE_METHODS}. Got "
            f"interpolation={interpolation!r}{extra}.")
    if antialias:
        raise ValueError(
            f"{who}: antialias=True is not supported by lamina; use antialias=False (the "
            "default), or resize in several steps of at most a factor 2 when shrinking.")
    if fill_mode != "constant":
        raise ValueError(
            f"The 'fill_mode' argument of {who} must be 'constant' (the only mode for padding). "
            f"Got fill_mode={fill_mode!r} instead.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{who}: give crop_to_aspect_ratio=True or pad_to_aspect_ratio=True, "
                         "not both.")
    data_format = standardize_data_format(data_format, who)
    images = _as_tensor(images)
    axes = _spatial_axes(len(shape(images)), data_format, who)
    height, width = (shape(images)[a] for a in axes)
    if crop_to_aspect_ratio:
        box_h, box_w = _aspect_box(height, width, *size, grow=False)
        top, left = int((height - box_h) / 2), int((width - box_w) / 2)
        images = _slice(images, axes, top, left, box_h, box_w)
    elif pad_to_aspect_ratio:
        box_h, box_w = _aspect_box(height, width, *size, grow=True)
        top, left = int((box_h - height) / 2), int((box_w - width) / 2)
        if top or left:  # Keras pads the same amount on both sides
            widths = [(0, 0)] * len(shape(images))
            widths[axes[0]], widths[axes[1]] = (top, top), (left, left)
            images = pad(images, widths, constant_values=fill_value)
    if interpolation == "bilinear" and np.dtype(images.dtype).kind != "f":
        images = cast(images, "float32")
    return apply(PI.RESIZE, (images,), size=size, method=interpolation, axes=axes)


def _slice(images, axes, top, left, height, width):
    index = [slice(None)] * len(shape(images))
    index[axes[0]] = slice(top, top + height)
    index[axes[1]] = slice(left, left + width)
    return images[tuple(index)]


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Resample images through projective transforms (``ImageProjectiveTransformV3``'s numbers).

    ``transform`` is ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (one row per image,
    or one for all): output pixel ``(x, y)`` reads the input at
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``.
    Points outside the image are mapped by ``fill_mode``: ``"constant"`` reads
    ``fill_value``, ``"nearest"`` the closest border pixel, ``"reflect"``
    mirrors (``dcba|abcd|dcba``), ``"wrap"`` tiles the image.

    Args:
        images: ``(batch, height, width, channels)`` or one ``(height, width, channels)``.
        transform: ``(batch, 8)`` or ``(8,)``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"constant"`` (default), ``"nearest"``, ``"wrap"`` or ``"reflect"``.
        fill_value: the value read outside the image with ``"constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> from lamina.ops import image
        >>> x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
        >>> shift = np.array([1, 0, -1, 0, 1, 0, 0, 0], "float32")  # one pixel to the right
        >>> image.affine_transform(x, shift)[0, 0, :, 0].numpy()
        array([0., 0., 1., 2.], dtype=float32)
    """
    who = "ops.image.affine_transform"
    if interpolation not in _AFFINE_METHODS:
        raise ValueError(
            f"The 'interpolation' argument of {who} must be one of {_AFFINE_METHODS}. Got "
            f"interpolation={interpolation!r} instead.")
    if fill_mode not in _FILL_MODES:
        raise ValueError(
            f"The 'fill_mode' argument of {who} must be one of {_FILL_MODES}. Got "
            f"fill_mode={fill_mode!r} instead.")
    data_format = standardize_data_format(data_format, who)
    images = _as_tensor(images)
    transform = _as_tensor(transform)
    rank = len(shape(images))
    _spatial_axes(rank, data_format, who)
    if len(shape(transform)) not in (1, 2) or shape(transform)[-1] != 8:
        raise ValueError(
            f"{who} expects a transform of shape (8,) or (batch, 8); got shape "
            f"{shape(transform)}.")
    if len(shape(transform)) == 1:
        transform = reshape(transform, (1, 8))
    if rank == 3:
        images = expand_dims(images, 0)
    batch = shape(images)[0]
    if shape(transform)[0] not in (1, batch):
        raise ValueError(
            f"{who}: {shape(transform)[0]} transforms for {batch} images; give one per image "
            "or a single one for all.")
    out = apply(PI.AFFINE_TRANSFORM, (images, transform), interpolation=interpolation,
                fill_mode=fill_mode, fill_value=float(fill_value),
                channels_first=data_format == "channels_first")
    return squeeze(out, 0) if rank == 3 else out


def _resolve(name, start, end, target, size):
    """Keras's rule: exactly two of (start, end, target) given; returns ``(start, target)``."""
    given = [start, end, target]
    if given.count(None) != 1:
        raise ValueError(
            f"{name}: give exactly two of top/bottom and the target height (and of left/right "
            f"and the target width). Got {given}.")
    for value in given:
        if isinstance(value, numbers.Real) and value < 0:
            raise ValueError(f"{name}: croppings, paddings and targets must be >= 0. Got {given}.")
    if start is None:
        start = size - target - end
    if target is None:
        target = size - end - start
    return start, target


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop images to ``(target_height, target_width)``, cutting the given margins.

    Give two of ``top_cropping``/``bottom_cropping``/``target_height`` (and of
    the width's three). ``top_cropping`` and ``left_cropping`` may be integer
    tensors (offsets drawn at each step, e.g. by ``RandomCrop``); the target
    sizes are then required.

    Example:
        >>> import numpy as np
        >>> from lamina.ops import image
        >>> x = np.zeros((2, 5, 6, 3), "float32")
        >>> image.crop_images(x, top_cropping=1, left_cropping=2, target_height=3,
        ...                   target_width=2).shape
        (2, 3, 2, 3)
    """
    who = "ops.image.crop_images"
    data_format = standardize_data_format(data_format, who)
    images = _as_tensor(images)
    axes = _spatial_axes(len(shape(images)), data_format, who)
    height, width = (shape(images)[a] for a in axes)
    if isinstance(top_cropping, Tensor) or isinstance(left_cropping, Tensor):
        if target_height is None or target_width is None:
            raise ValueError(f"{who}: with tensor offsets give target_height and target_width.")
        starts = stack([cast(_as_tensor(0 if v is None else v), "int64")
                        for v in (top_cropping, left_cropping)])
        return apply(PI.CROP_AT, (images, starts), size=(int(target_height), int(target_width)),
                     axes=axes)
    top, target_height = _resolve(who, top_cropping, bottom_cropping, target_height, height)
    left, target_width = _resolve(who, left_cropping, right_cropping, target_width, width)
    if top < 0 or left < 0 or top + target_height > height or left + target_width > width:
        raise ValueError(
            f"{who}: a crop of {target_height}x{target_width} at offsets ({top}, {left}) does "
            f"not fit in images of height {height} and width {width}.")
    return _slice(images, axes, int(top), int(left), int(target_height), int(target_width))


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Pad images with zeros to ``(target_height, target_width)``.

    Give two of ``top_padding``/``bottom_padding``/``target_height`` (and of
    the width's three).

    Example:
        >>> import numpy as np
        >>> from lamina.ops import image
        >>> image.pad_images(np.ones((2, 2, 1)), 1, 1, target_height=4, target_width=4).shape
        (4, 4, 1)
    """
    who = "ops.image.pad_images"
    data_format = standardize_data_format(data_format, who)
    images = _as_tensor(images)
    axes = _spatial_axes(len(shape(images)), data_format, who)
    height, width = (shape(images)[a] for a in axes)
    given_h = [top_padding, bottom_padding, target_height]
    given_w = [left_padding, right_padding, target_width]
    for given in (given_h, given_w):
        if given.count(None) != 1:
            raise ValueError(
                f"{who}: give exactly two of top/bottom padding and the target height (and of "
                f"left/right and the target width). Got {given}.")
        if any(v is not None and v < 0 for v in given):
            raise ValueError(f"{who}: paddings and targets must be >= 0. Got {given}.")
    top = top_padding if top_padding is not None else target_height - height - bottom_padding
    bottom = bottom_padding if bottom_padding is not None else target_height - height - top
    left = left_padding if left_padding is not None else target_width - width - right_padding
    right = right_padding if right_padding is not None else target_width - width - left
    if min(top, bottom, left, right) < 0:
        raise ValueError(
            f"{who}: images of height {height} and width {width} do not fit in the target "
            f"({target_height}, {target_width}) with the given paddings.")
    widths = [(0, 0)] * len(shape(images))
    widths[axes[0]], widths[axes[1]] = (int(top), int(bottom)), (int(left), int(right))
    return pad(images, widths)
