"""The ``Initializer`` base class and the shape/dtype checks every initializer shares."""

from __future__ import annotations

import numpy as np

from lamina import config


class Initializer:
    """Base class of weight initializers: ``init(shape, dtype=None)`` returns the starting values.

    Subclasses implement ``__call__`` and, when their constructor takes
    arguments, ``get_config`` (returning those arguments) so that
    ``from_config(get_config())`` rebuilds an equal initializer.

    Example:
        >>> import numpy as np
        >>> from lamina import initializers
        >>> class Twos(initializers.Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return np.full(shape, 2.0, dtype=dtype or "float32")
        >>> Twos()((2,))
        array([2., 2.], dtype=float32)
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return an array of ``shape`` and ``dtype`` (default ``floatx()``)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(self, shape, dtype=None)."
        )

    def get_config(self) -> dict:
        """Return the constructor arguments as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        """Build an initializer from the dict ``get_config`` returned."""
        return cls(**config)

    def clone(self):
        """Return a new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def standardize_shape(shape, owner: str) -> tuple:
    """``shape`` as a tuple of non-negative ints; a single int is a 1-D shape."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        out = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner} needs a shape of known sizes, such as (3, 4). Got shape={shape!r}."
        ) from None
    if any(d < 0 for d in out):
        raise ValueError(f"{owner} got a negative size in shape={out}.")
    return out


def standardize_dtype(dtype, owner: str, float_only: bool = False) -> np.dtype:
    """``dtype`` as a NumPy dtype (``floatx()`` for ``None``); random draws must be floats."""
    dt = np.dtype(config.floatx() if dtype is None else getattr(dtype, "name", dtype))
    if float_only and dt.kind != "f":
        raise ValueError(
            f"{owner} draws random floats, so its dtype must be a float type such as "
            f"'float32'. Got dtype={dt.name!r}."
        )
    return dt
