"""Global settings: the default float type and the fuzz factor ``epsilon``.

Mirrors ``keras.config``: ``floatx()`` is ``"float32"`` unless changed with
``set_floatx``; ``epsilon()`` is ``1e-7``.

Example:
    >>> import lamina
    >>> lamina.config.floatx()
    'float32'
"""

from __future__ import annotations

_FLOATX = "float32"
_EPSILON = 1e-7
_VALID_FLOATX = ("float16", "float32", "float64")

__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon", "backend"]


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


def backend() -> str:
    """Return the name of the compute backend: always ``"numpy"``."""
    return "numpy"


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
