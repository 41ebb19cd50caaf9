"""Weight constraints: projections applied to a weight after each optimizer update.

The norms are taken along ``axis`` (the input axis of a Dense kernel by
default, so each unit's incoming weights are constrained together), and, as in
Keras, divided with ``epsilon()`` added: ``w * desired / (epsilon + norm)``.
"""

from __future__ import annotations

from lamina import config, ops


class Constraint:
    """Base class of weight constraints: ``c(w)`` returns the projected weight.

    The trainer writes ``c(w)`` back into the variable after every update.
    Subclasses override ``__call__`` and, when they take arguments, ``get_config``.

    Example:
        >>> from lamina import constraints, ops
        >>> class Clip(constraints.Constraint):
        ...     def __call__(self, w):
        ...         return ops.clip(w, -1.0, 1.0)
        >>> Clip()([-3.0, 0.5]).numpy()
        array([-1. ,  0.5], dtype=float32)
    """

    def __call__(self, w):
        """Return ``w`` projected onto the constraint set (the base class returns ``w``)."""
        return w

    def get_config(self) -> dict:
        """Return the constructor arguments as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        """Build a constraint from the dict ``get_config`` returned."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescale each weight vector whose L2 norm exceeds ``max_value`` down to it.

    ``w * clip(norm, 0, max_value) / (epsilon + norm)``, with the norm taken along ``axis``.

    Args:
        max_value: the largest allowed norm.
        axis: the axis (or list of axes) along which norms are taken: ``0`` for a
            Dense kernel ``(inputs, units)``; ``[0, 1, 2]`` for a Conv2D kernel.

    Example:
        >>> from lamina import constraints
        >>> constraints.MaxNorm(2.0)([[3.0], [4.0]]).numpy()
        array([[1.2],
               [1.6]], dtype=float32)
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        """Return ``w`` with every norm along ``axis`` at most ``max_value``."""
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0.0, self.max_value)
        return ops.multiply(w, ops.divide(desired, ops.add(norms, config.epsilon())))

    def get_config(self) -> dict:
        """Return ``{"max_value": max_value, "axis": axis}``."""
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each weight vector's L2 norm into ``[min_value, max_value]``, at speed ``rate``.

    The new norm is ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``
    (``rate=1`` enforces the bounds at once); the weight becomes
    ``w * new_norm / (epsilon + norm)``.

    Args:
        min_value: the smallest allowed norm.
        max_value: the largest allowed norm.
        rate: how far to move towards the bounds at each application, in ``[0, 1]``.
        axis: the axis (or list of axes) along which norms are taken.

    Example:
        >>> from lamina import constraints
        >>> constraints.MinMaxNorm(min_value=10.0, max_value=20.0)([[3.0], [4.0]]).numpy()
        array([[6.],
               [8.]], dtype=float32)
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        """Return ``w`` with its norms moved towards ``[min_value, max_value]``."""
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        clipped = ops.clip(norms, self.min_value, self.max_value)
        desired = ops.add(ops.multiply(clipped, self.rate), ops.multiply(norms, 1 - self.rate))
        return ops.multiply(w, ops.divide(desired, ops.add(norms, config.epsilon())))

    def get_config(self) -> dict:
        """Return the constructor arguments."""
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


class NonNeg(Constraint):
    """Set negative weights to 0: ``max(w, 0)``.

    Example:
        >>> from lamina import constraints
        >>> constraints.NonNeg()([-1.0, 2.0]).numpy()
        array([0., 2.], dtype=float32)
    """

    def __call__(self, w):
        """Return ``max(w, 0)``."""
        return ops.maximum(ops.convert_to_tensor(w), 0.0)


class UnitNorm(Constraint):
    """Scale each weight vector to unit L2 norm: ``w / (epsilon + norm)``.

    Args:
        axis: the axis (or list of axes) along which norms are taken.

    Example:
        >>> from lamina import constraints
        >>> constraints.UnitNorm()([[3.0], [4.0]]).numpy()
        array([[0.6],
               [0.8]], dtype=float32)
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        """Return ``w`` divided by its norms along ``axis``."""
        w = ops.convert_to_tensor(w)
        return ops.divide(w, ops.add(_norms(w, self.axis), config.epsilon()))

    def get_config(self) -> dict:
        """Return ``{"axis": axis}``."""
        return {"axis": self.axis}
