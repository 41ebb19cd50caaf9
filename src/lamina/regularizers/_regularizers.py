"""Weight penalties: L1, L2, L1L2 and OrthogonalRegularizer, built from ``lamina.ops``.

Each regularizer maps a weight to a scalar tensor that is added to the
training loss; being composed of lamina ops, it is differentiable.
"""

from __future__ import annotations

import math

import numpy as np

from lamina import config, ops


def _check_factor(value, name: str, owner: str) -> float:
    """A penalty factor must be a finite, non-negative number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"The '{name}' argument of {owner} must be a non-negative float. "
            f"Got {name}={value!r} instead."
        )
    return float(value)


class Regularizer:
    """Base class of weight penalties: ``reg(weight)`` returns a scalar added to the loss.

    Subclasses implement ``__call__`` with lamina ops (so the penalty has a
    gradient) and ``get_config``. Any function ``f(weight) -> scalar`` works as
    a regularizer too.

    Example:
        >>> from lamina import ops, regularizers
        >>> class SumOfWeights(regularizers.Regularizer):
        ...     def __call__(self, x):
        ...         return ops.sum(x)
        ...     def get_config(self):
        ...         return {}
        >>> float(SumOfWeights()([1.0, 2.0]))
        3.0
    """

    def __call__(self, x):
        """Return the penalty for weight ``x`` (the base class penalizes nothing)."""
        return 0.0

    def get_config(self) -> dict:
        """Return the constructor arguments as a JSON-serializable dict."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    @classmethod
    def from_config(cls, config: dict):
        """Build a regularizer from the dict ``get_config`` returned."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """L1 penalty: ``l1 * sum(abs(x))``.

    Args:
        l1: the non-negative factor (``None`` means the default, 0.01).

    Example:
        >>> from lamina import regularizers
        >>> float(regularizers.L1(0.5)([1.0, -3.0]))
        2.0
    """

    def __init__(self, l1=0.01):
        self.l1 = _check_factor(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x):
        """Return ``l1 * sum(abs(x))`` as a scalar tensor of ``x``'s dtype."""
        return ops.multiply(ops.sum(ops.abs(ops.convert_to_tensor(x))), self.l1)

    def get_config(self) -> dict:
        """Return ``{"l1": l1}``."""
        return {"l1": self.l1}


class L2(Regularizer):
    """L2 penalty: ``l2 * sum(square(x))`` (no factor 1/2, as in Keras).

    Args:
        l2: the non-negative factor (``None`` means the default, 0.01).

    Example:
        >>> from lamina import regularizers
        >>> float(regularizers.L2(0.5)([1.0, -3.0]))
        5.0
    """

    def __init__(self, l2=0.01):
        self.l2 = _check_factor(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x):
        """Return ``l2 * sum(square(x))`` as a scalar tensor of ``x``'s dtype."""
        return ops.multiply(ops.sum(ops.square(ops.convert_to_tensor(x))), self.l2)

    def get_config(self) -> dict:
        """Return ``{"l2": l2}``."""
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Both penalties: ``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Both factors default to 0 here (Keras's class defaults); the name
    ``"l1_l2"`` in ``regularizers.get`` gives 0.01 for each, as Keras documents.

    Args:
        l1: the non-negative L1 factor.
        l2: the non-negative L2 factor.

    Example:
        >>> from lamina import regularizers
        >>> float(regularizers.L1L2(l1=0.5, l2=0.5)([1.0, -3.0]))
        7.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _check_factor(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x):
        """Return the combined penalty as a scalar tensor of ``x``'s dtype."""
        x = ops.convert_to_tensor(x)
        penalty = ops.zeros((), dtype=x.dtype)
        if self.l1:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.abs(x)), self.l1))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.square(x)), self.l2))
        return penalty

    def get_config(self) -> dict:
        """Return ``{"l1": l1, "l2": l2}``."""
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Push the rows (or columns) of a 2-D weight towards being orthogonal.

    With ``u_i`` the unit-normalized rows (``mode="rows"``) or columns and ``n``
    of them, the penalty is ``factor * mean over pairs i < j of |u_i . u_j|``,
    i.e. ``factor * 0.5 * sum_{i != j} |u_i . u_j| / (n * (n - 1) / 2)``.
    A single row (or column) has no pairs and gets penalty 0 (Keras returns NaN).

    Args:
        factor: the non-negative factor.
        mode: ``"rows"`` or ``"columns"``.

    Example:
        >>> from lamina import regularizers
        >>> float(regularizers.OrthogonalRegularizer(factor=1.0)([[1.0, 0.0], [1.0, 0.0]]))
        1.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _check_factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "The 'mode' argument of OrthogonalRegularizer must be 'rows' or 'columns'. "
                f"Got mode={mode!r} instead."
            )
        self.mode = mode

    def __call__(self, x):
        """Return the penalty for the 2-D weight ``x``."""
        x = ops.convert_to_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                f"OrthogonalRegularizer needs a 2-D weight (a Dense kernel); got shape "
                f"{x.shape} of rank {x.ndim}. Reshape the weight or use L1/L2 instead."
            )
        axis = 1 if self.mode == "rows" else 0
        # x / max(norm, eps), written so that an all-zero row has a finite gradient.
        eps = config.epsilon()
        sumsq = ops.sum(ops.square(x), axis=axis, keepdims=True)
        unit = ops.multiply(x, ops.rsqrt(ops.maximum(sumsq, eps * eps)))
        if self.mode == "rows":
            product = ops.matmul(unit, ops.transpose(unit))
        else:
            product = ops.matmul(ops.transpose(unit), unit)
        n = product.shape[0]
        if n < 2:
            return ops.zeros((), dtype=x.dtype)
        off_diagonal = ops.multiply(product, 1.0 - np.eye(n, dtype=x.dtype))
        pairs = n * (n - 1) / 2.0
        return ops.divide(ops.multiply(ops.sum(ops.abs(off_diagonal)), self.factor * 0.5), pairs)

    def get_config(self) -> dict:
        """Return ``{"factor": factor, "mode": mode}``."""
        return {"factor": self.factor, "mode": self.mode}
