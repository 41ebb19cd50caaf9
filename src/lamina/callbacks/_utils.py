"""Helpers shared by the callbacks: plain-Python logs, legacy metric names, learning rates."""

from __future__ import annotations

import numbers

import numpy as np

# Keras 2 / tf.keras tutorials say 'acc' and 'lr'; Keras 3 logs say what compile was given.
_ALIASES = {"acc": "accuracy", "accuracy": "acc", "lr": "learning_rate"}


def _to_python(value):
    """A scalar (number, NumPy scalar, 0-d array or tensor) as a float; anything else unchanged."""
    if type(value) is float:
        return value
    if isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, complex):
        return float(value)
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        try:
            value = value.numpy()
        except Exception:  # pragma: no cover - an object with an odd numpy()
            return value
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biuf":
        return float(value)
    return value


def pythonify_logs(logs):
    """Logs as Keras hands them to callbacks: keys sorted, nested dicts flattened, floats.

    Example:
        >>> import numpy as np
        >>> pythonify_logs({"loss": np.float32(0.5), "accuracy": 1})
        {'accuracy': 1.0, 'loss': 0.5}
    """
    if not logs:
        return {}
    result = {}
    for key in sorted(logs):
        value = logs[key]
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[key] = _to_python(value)
    return result


def legacy_alias(key):
    """The other spelling of a metric key (``val_acc`` <-> ``val_accuracy``, ``lr``), or None."""
    prefix = "val_" if key.startswith("val_") else ""
    other = _ALIASES.get(key[len(prefix) :])
    return prefix + other if other else None


def get_optimizer(callback):
    model = callback.model
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError(
            f"{type(callback).__name__} changes the optimizer's learning rate, but the model "
            "has no optimizer. Call model.compile(optimizer=..., loss=...) before fit."
        )
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{type(callback).__name__} needs an optimizer with a 'learning_rate' attribute; "
            f"{type(optimizer).__name__} has none."
        )
    return optimizer


def get_learning_rate(callback) -> float:
    """The current learning rate of ``callback.model.optimizer`` as a float."""
    value = get_optimizer(callback).learning_rate
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        return float(value)
    except TypeError:
        raise TypeError(
            f"{type(callback).__name__} needs a constant learning rate, but the optimizer's "
            f"learning_rate is {value!r}. Give the optimizer a float learning rate, or use "
            "the schedule alone without this callback."
        ) from None


def set_learning_rate(callback, value: float) -> None:
    """Set ``callback.model.optimizer.learning_rate`` to ``value``."""
    get_optimizer(callback).learning_rate = float(value)
