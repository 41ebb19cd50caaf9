"""Images on disk, the Keras way: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``.

Pillow decodes and encodes every file; it is imported on first use, and when it
is missing the error says how to install it (``pip install "lamina[image]"``).
``load_img`` returns a PIL image and ``img_to_array`` a float32 ``(height, width,
channels)`` array, as in Keras. ``smart_resize`` (``keras.preprocessing.image``)
crops to the target's aspect ratio and resizes with ``tf.image.resize``'s
arithmetic (``image_resize.py``). ``read_image_like_tf`` decodes a file to the
pixels TensorFlow's decoder gives, for the image data sets.

Example:
    >>> import numpy as np
    >>> from lamina.utils import array_to_img, img_to_array
    >>> img = array_to_img(np.zeros((2, 3, 3)), scale=False)
    >>> img.size, img_to_array(img).shape
    ((3, 2), (2, 3, 3))
"""

from __future__ import annotations

import io
import os
import pathlib
import warnings

import numpy as np

from lamina import config
from lamina.utils import image_resize

__all__ = ["array_to_img", "img_to_array", "load_img", "read_image_like_tf", "save_img",
           "smart_resize"]

COLOR_MODES = ("grayscale", "rgb", "rgba")
DATA_FORMATS = ("channels_last", "channels_first")
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N")


def pil_image():
    """``PIL.Image``, imported now; a clear error when Pillow is not installed."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "Reading and writing images needs Pillow, which is not installed. Install it with "
            '`pip install "lamina[image]"` (or `pip install Pillow`).'
        ) from None
    return Image


def _resampling(image_module):
    methods = getattr(image_module, "Resampling", image_module)
    return {"nearest": methods.NEAREST, "bilinear": methods.BILINEAR,
            "bicubic": methods.BICUBIC, "hamming": methods.HAMMING, "box": methods.BOX,
            "lanczos": methods.LANCZOS}


def data_format_of(data_format, where: str) -> str:
    """``data_format`` checked; ``None`` is ``lamina.config.image_data_format()`` (channels last)."""
    if data_format is None:  # (config gains image_data_format in a parallel change)
        return getattr(config, "image_data_format", lambda: "channels_last")()
    if data_format not in DATA_FORMATS:
        raise ValueError(
            f"The 'data_format' argument of {where} must be one of {DATA_FORMATS}. "
            f"Got {data_format!r} instead."
        )
    return data_format


def _open(path, where: str):
    """The PIL image in ``path`` (a path, ``pathlib.Path``, bytes path or ``io.BytesIO``)."""
    image = pil_image()
    if isinstance(path, io.BytesIO):
        source, name = path, "the BytesIO object"
    elif isinstance(path, (str, bytes, pathlib.Path, os.PathLike)):
        name = os.fsdecode(path)
        try:
            with open(path, "rb") as f:  # read, then close: the file is not held open
                source = io.BytesIO(f.read())
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{where}: no image file at '{name}' (resolved to '{os.path.abspath(name)}')."
            ) from None
    else:
        raise TypeError(
            f"The 'path' argument of {where} must be a file path or an io.BytesIO. "
            f"Got {type(path).__name__} instead."
        )
    try:
        return image.open(source), name
    except Exception as err:  # PIL.UnidentifiedImageError and truncated-header errors
        raise ValueError(
            f"{where}: could not read '{name}' as an image ({err}). lamina reads the formats "
            "Pillow knows (PNG, JPEG, BMP, GIF, ...); check that the file is a complete image."
        ) from None


def load_img(path, color_mode: str = "rgb", target_size=None, interpolation: str = "nearest",
             keep_aspect_ratio: bool = False):
    """Load an image file as a PIL image, as ``keras.utils.load_img``.

    Args:
        path: the image file (a path or an ``io.BytesIO``).
        color_mode: ``"rgb"`` (default), ``"grayscale"`` (8-bit ``L``; 16- and
            32-bit grayscale images keep their depth) or ``"rgba"``.
        target_size: ``None`` (the file's size) or ``(height, width)``.
        interpolation: Pillow's resampling when the size changes: ``"nearest"``
            (default), ``"bilinear"``, ``"bicubic"``, ``"hamming"``, ``"box"``,
            ``"lanczos"``.
        keep_aspect_ratio: crop the centre of the image to the target's aspect
            ratio before resizing, instead of stretching it.

    Returns:
        A ``PIL.Image.Image``.

    Example:
        >>> import io, numpy as np
        >>> from lamina.utils import array_to_img, load_img
        >>> buf = io.BytesIO(); array_to_img(np.ones((4, 6, 3))).save(buf, format="PNG")
        >>> load_img(buf, target_size=(2, 3)).size
        (3, 2)
    """
    img, name = _open(path, "load_img")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode in ("rgb", "rgba"):
        mode = color_mode.upper()
        if img.mode != mode:
            img = img.convert(mode)
    else:
        raise ValueError(
            f"The 'color_mode' argument of load_img must be one of {COLOR_MODES}. "
            f"Got {color_mode!r} instead."
        )
    if target_size is None:
        return img
    width_height = (int(target_size[1]), int(target_size[0]))
    if img.size == width_height:
        return img
    methods = _resampling(pil_image())
    if interpolation not in methods:
        raise ValueError(
            f"The 'interpolation' argument of load_img must be one of {tuple(methods)}. "
            f"Got {interpolation!r} instead."
        )
    box = None
    if keep_aspect_ratio:  # the largest centred crop with the target's aspect ratio
        width, height = img.size
        crop_h = min(height, (width * width_height[1]) // width_height[0])
        crop_w = min(width, (height * width_height[0]) // width_height[1])
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
        box = (left, top, left + crop_w, top + crop_h)
    return img.resize(width_height, methods[interpolation], box=box)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a 3-D array (``(height, width, channels)`` by default), as Keras's.

    Args:
        img: a PIL image (or anything ``np.asarray`` turns into a 2-D or 3-D array).
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``lamina.config.image_data_format()``.
        dtype: the array's dtype; default ``lamina.config.floatx()`` (float32).

    Returns:
        A NumPy array; a grayscale image gets a channel axis of size 1.
    """
    data_format = data_format_of(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 2:
        return x.reshape((1, *x.shape) if data_format == "channels_first" else (*x.shape, 1))
    if x.ndim != 3:
        raise ValueError(
            f"img_to_array expects a 2-D (grayscale) or 3-D image; got an array of shape {x.shape}."
        )
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale: bool = True, dtype=None):
    """A 3-D array as a PIL image, as ``keras.utils.array_to_img``.

    Args:
        x: ``(height, width, channels)`` (or channels first) with 1, 3 or 4 channels.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        scale: stretch the values to 0..255 (minimum to 0, maximum to 255) first;
            ``False`` casts them to 8 bits as they are.
        dtype: the float dtype of the arithmetic; default ``lamina.config.floatx()``.

    Returns:
        A PIL image: ``RGB``, ``RGBA``, ``L``, or 32-bit ``I`` for one channel above 255.
    """
    data_format = data_format_of(data_format, "array_to_img")
    image = pil_image()
    x = np.array(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"array_to_img expects one image, an array of rank 3 (height, width, channels); "
            f"got shape {x.shape}. For a batch, convert one image: array_to_img(x[0])."
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(
        f"array_to_img supports 1, 3 or 4 channels; got {channels} (shape {x.shape}). "
        "Pass data_format='channels_first' if the channels come first."
    )


def save_img(path, x, data_format=None, file_format=None, scale: bool = True, **kwargs):
    """Save a 3-D array as an image file, as ``keras.utils.save_img``.

    Args:
        path: a file path, or a file object (then give ``file_format``).
        x: the image array (see ``array_to_img``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        file_format: ``"png"``, ``"jpeg"``, ...; by default from the file's extension.
        scale: stretch the values to 0..255 first (see ``array_to_img``).
        **kwargs: passed to ``PIL.Image.Image.save`` (e.g. ``quality=95``).
    """
    data_format = data_format_of(data_format, "save_img")
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("JPEG has no alpha channel: the RGBA image is saved as RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def smart_resize(x, size, interpolation: str = "bilinear", data_format: str = "channels_last"):
    """Resize without distortion: centre-crop to the target's aspect ratio, then resize.

    As ``keras.preprocessing.image.smart_resize``, on NumPy (the resize is
    ``tf.image.resize``'s, see ``lamina.utils.image_resize``).

    Args:
        x: one image ``(height, width, channels)`` or a batch of them.
        size: the target ``(height, width)``.
        interpolation: one of ``image_resize.INTERPOLATIONS`` (default ``"bilinear"``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A NumPy array of the target size (float32; the input's dtype for ``"nearest"``).
    """
    if len(size) != 2:
        raise ValueError(f"smart_resize expects size=(height, width); got {size!r}.")
    data_format = data_format_of(data_format, "smart_resize")
    img = np.asarray(x)
    if img.ndim not in (3, 4):
        raise ValueError(
            "smart_resize expects an image (height, width, channels) or a batch of them; "
            f"got shape {img.shape}."
        )
    channels_axis = -1 if data_format == "channels_last" else -3
    img = image_resize.crop_to_aspect_ratio(img, size, channels_axis)
    if data_format == "channels_first":
        img = np.moveaxis(img, -3, -1)
    out = image_resize.resize(img, size, interpolation)
    return np.moveaxis(out, -1, -3) if data_format == "channels_first" else out


def read_image_like_tf(path, num_channels: int):
    """Decode ``path`` to a uint8 ``(height, width, num_channels)`` array, as ``tf.io.decode_image``.

    Grayscale from colour uses libpng's weights, ``(9797 R + 19234 G + 3737 B) >> 15``,
    as TensorFlow's PNG decoder; a JPEG gives its luma plane; 16-bit grayscale keeps its
    high byte. (TensorFlow decodes JPEG with libjpeg's fast DCT, Pillow with the
    accurate one: JPEG pixels may differ by a few levels.) An animated GIF gives its
    first frame.
    """
    img, _ = _open(path, "image_dataset_from_directory")
    try:
        if num_channels == 1 and img.format == "JPEG":
            img.draft("L", img.size)
        img.load()
        if img.mode in _SIXTEEN_BIT or img.mode == "I":
            gray = (np.asarray(img).astype(np.int64) >> 8).clip(0, 255).astype(np.uint8)
            if num_channels == 1:
                return gray[:, :, None]
            gray = np.repeat(gray[:, :, None], 3, axis=2)
            if num_channels == 4:
                return np.concatenate([gray, np.full_like(gray[:, :, :1], 255)], axis=2)
            return gray
        if num_channels == 1:
            if img.mode in ("L", "LA", "1"):
                return np.asarray(img.convert("L"))[:, :, None]
            rgb = np.asarray(img.convert("RGB")).astype(np.int64)
            gray = (9797 * rgb[..., 0] + 19234 * rgb[..., 1] + 3737 * rgb[..., 2]) >> 15
            return gray.astype(np.uint8)[:, :, None]
        return np.asarray(img.convert("RGB" if num_channels == 3 else "RGBA"))
    except OSError as err:  # a truncated or corrupt body: the header read, the pixels did not
        raise ValueError(
            f"image_dataset_from_directory: could not decode the image file '{path}' ({err}). "
            "Fix or remove the file."
        ) from None
