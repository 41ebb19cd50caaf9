"""``LearningRateScheduler``: set the learning rate from a function of the epoch."""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from lamina.callbacks._utils import get_learning_rate, set_learning_rate
from lamina.callbacks.callback import Callback
from lamina.utils.progbar import print_msg

__all__ = ["LearningRateScheduler"]


def _takes_learning_rate(schedule):
    """True if ``schedule`` accepts two positional arguments, None if that cannot be told."""
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):
        return None
    positional = 0
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            positional += 1
    return positional >= 2


def _as_float(value):
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())[()]
    if isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    ):
        return float(value)
    raise ValueError(
        f"The output of the `schedule` function should be a float. Got: {value!r}. "
        "Return the new learning rate as a number, e.g. `return lr * 0.9`."
    )


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate at the start of each epoch from ``schedule``.

    ``schedule(epoch, lr)`` gets the epoch index (0-based) and the current
    learning rate and returns the new one; a one-argument ``schedule(epoch)``
    works too. The learning rate is added to each epoch's logs as
    ``learning_rate``.

    Args:
        schedule: a function of ``(epoch, lr)`` or of ``epoch`` returning a float.
        verbose: 1 prints the learning rate set at each epoch.

    Example:
        >>> from types import SimpleNamespace
        >>> model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=0.1))
        >>> scheduler = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr / 2)
        >>> scheduler.set_model(model)
        >>> for epoch in range(4):
        ...     scheduler.on_epoch_begin(epoch)
        >>> model.optimizer.learning_rate
        0.025
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler's 'schedule' must be a function of (epoch, lr) or of "
                f"epoch; got {type(schedule).__name__} {schedule!r}."
            )
        self.schedule = schedule
        self.verbose = verbose
        self._two_args = _takes_learning_rate(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        lr = get_learning_rate(self)
        if self._two_args is None:  # signature unknown: try (epoch, lr) first, as Keras does
            try:
                new_lr = self.schedule(epoch, lr)
            except TypeError:
                new_lr = self.schedule(epoch)
        elif self._two_args:
            new_lr = self.schedule(epoch, lr)
        else:
            new_lr = self.schedule(epoch)
        new_lr = _as_float(new_lr)
        set_learning_rate(self, new_lr)
        if self.verbose > 0:
            print_msg(
                f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new_lr}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self)
