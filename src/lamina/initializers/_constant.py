"""Deterministic initializers: Zeros, Ones, Constant and Identity."""

from __future__ import annotations

import numpy as np

from lamina.initializers._base import Initializer, standardize_dtype, standardize_shape


class Zeros(Initializer):
    """Fill with 0.

    Example:
        >>> from lamina import initializers
        >>> initializers.Zeros()((2,))
        array([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return zeros of ``shape``; any numeric or boolean ``dtype`` works."""
        return np.zeros(standardize_shape(shape, "Zeros"), standardize_dtype(dtype, "Zeros"))


class Ones(Initializer):
    """Fill with 1.

    Example:
        >>> from lamina import initializers
        >>> initializers.Ones()((2,), dtype="int32")
        array([1, 1], dtype=int32)
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return ones of ``shape``; any numeric or boolean ``dtype`` works."""
        return np.ones(standardize_shape(shape, "Ones"), standardize_dtype(dtype, "Ones"))


def _to_plain(value):
    """A JSON-friendly form of ``value`` (Keras writes arrays as ``__numpy__`` configs)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) or hasattr(value, "numpy"):
        arr = np.asarray(value)
        return {
            "class_name": "__numpy__",
            "config": {"value": arr.tolist(), "dtype": arr.dtype.name},
        }
    return value


def _from_plain(value):
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        inner = value["config"]
        return np.asarray(inner["value"], dtype=inner.get("dtype"))
    return value


class Constant(Initializer):
    """Fill with ``value``.

    Args:
        value: a Python number (an array broadcastable to the shape also works).

    Example:
        >>> from lamina import initializers
        >>> initializers.Constant(0.5)((2, 2))
        array([[0.5, 0.5],
               [0.5, 0.5]], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return ``value`` broadcast to ``shape`` and cast to ``dtype``."""
        shape = standardize_shape(shape, "Constant")
        dt = standardize_dtype(dtype, "Constant")
        value = np.asarray(self.value, dtype=dt)
        try:
            return np.array(np.broadcast_to(value, shape))
        except ValueError:
            raise ValueError(
                f"Constant initializer: value of shape {value.shape} cannot fill shape {shape}. "
                "Pass a scalar, or an array that broadcasts to the weight's shape."
            ) from None

    def get_config(self) -> dict:
        """Return ``{"value": value}``."""
        return {"value": _to_plain(self.value)}

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild from ``get_config()`` (also reads Keras's ``__numpy__`` array configs)."""
        return cls(_from_plain(config.get("value", 0.0)))


class Identity(Initializer):
    """The identity matrix times ``gain`` (ones on the diagonal of a non-square matrix).

    Only 2-D shapes are allowed.

    Args:
        gain: the value on the diagonal.

    Example:
        >>> from lamina import initializers
        >>> initializers.Identity(gain=2.0)((2, 3))
        array([[2., 0., 0.],
               [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return ``gain * eye(rows, cols)``."""
        shape = standardize_shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer only makes 2-D matrices; got shape={shape} of rank "
                f"{len(shape)}. Use it for Dense kernels, or use Orthogonal for higher ranks."
            )
        dt = standardize_dtype(dtype, "Identity")
        return (self.gain * np.eye(*shape)).astype(dt)

    def get_config(self) -> dict:
        """Return ``{"gain": gain}`` (Keras 3.15 returns ``{}`` and so loses the gain)."""
        return {"gain": self.gain}
