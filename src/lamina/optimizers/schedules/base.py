"""The base class of learning-rate schedules and the checks and conversions they share."""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor, to_array

__all__ = ["LearningRateSchedule"]


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    A subclass implements ``__call__(step)``, returning the learning rate for
    ``step`` (an integer, array or lamina tensor; the optimizer passes its
    ``iterations`` variable), and ``get_config()``, returning the constructor
    arguments so that ``from_config`` can rebuild it.

    Example:
        >>> from lamina import optimizers
        >>> class HalfEveryStep(optimizers.schedules.LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate * 0.5 ** int(step)
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> HalfEveryStep(1.0)(3)
        0.125
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must implement `__call__(step)`."
        )

    def get_config(self) -> dict:
        """Return the constructor arguments as a dict (JSON-safe)."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must implement `get_config()`."
        )

    @classmethod
    def from_config(cls, config: dict):
        """Build a schedule from the dict ``get_config()`` returned."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# -- helpers -----------------------------------------------------------------


def dtype_of(initial_learning_rate) -> np.dtype:
    # Keras converts the initial rate with convert_to_tensor: Python numbers become
    # floatx(); arrays and NumPy floats keep their own float type.
    if isinstance(initial_learning_rate, (np.ndarray, np.floating, Tensor)):
        dt = to_array(initial_learning_rate).dtype
        if dt.kind == "f":
            return dt
    return np.dtype(config.floatx())


def step_array(step, dtype) -> np.ndarray:
    return np.asarray(to_array(step), dtype=dtype)


def as_tensor(value) -> Tensor:
    return Tensor(np.asarray(value))


def check_positive(schedule: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(
            f"The '{name}' argument of {schedule} must be a number > 0. "
            f"Got {value!r} ({type(value).__name__}) instead."
        )
    if not value > 0:
        raise ValueError(
            f"The '{name}' argument of {schedule} must be > 0. Got {name}={value!r} instead. "
            "It is the number of steps over which the rate decays."
        )


def check_number(schedule: str, name: str, value, allow_none: bool = False) -> None:
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(
            f"The '{name}' argument of {schedule} must be a number. "
            f"Got {value!r} ({type(value).__name__}) instead."
        )
