"""Global settings: the default float type, the fuzz factor ``epsilon``, the image layout.

Mirrors ``keras.config``: ``floatx()`` is ``"float32"`` unless changed with
``set_floatx``; ``epsilon()`` is ``1e-7``; ``image_data_format()`` is
``"channels_last"``.

Example:
    >>> import lamina
    >>> lamina.config.floatx()
    'float32'
"""

from __future__ import annotations

_FLOATX = "float32"
_EPSILON = 1e-7
_VALID_FLOATX = ("float16", "float32", "float64")
_IMAGE_DATA_FORMAT = "channels_last"

__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon", "backend", "image_data_format",
           "set_image_data_format"]


def floatx() -> str:
    """Return the default float type name, ``"float32"`` unless changed."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type used for new weights and converted inputs.

    Args:
        value: one of ``"float16"``, ``"float32"``, ``"float64"``.

    Example:
        >>> import lamina
        >>> lamina.config.set_floatx("float64"); lamina.config.floatx()
        'float64'
        >>> lamina.config.set_floatx("float32")
    """
    global _FLOATX
    value = str(value)
    if value not in _VALID_FLOATX:
        raise ValueError(
            f"The 'value' argument of set_floatx must be one of {_VALID_FLOATX}. "
            f"Got {value!r} instead."
        )
    _FLOATX = value


def epsilon() -> float:
    """Return the fuzz factor used to keep logs and divisions finite (``1e-7``)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by ``epsilon()``.

    Example:
        >>> import lamina
        >>> lamina.config.set_epsilon(1e-7)
    """
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """Return the default layout of images: ``"channels_last"`` (batch, height, width, channels)."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image layout: ``"channels_last"`` or ``"channels_first"``.

    Example:
        >>> import lamina
        >>> lamina.config.set_image_data_format("channels_last")
    """
    global _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "The 'data_format' argument of set_image_data_format must be 'channels_last' or "
            f"'channels_first'. Got {data_format!r} instead.")
    _IMAGE_DATA_FORMAT = value


def backend() -> str:
    """Return the name of the compute backend: always ``"numpy"``."""
    return "numpy"


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
