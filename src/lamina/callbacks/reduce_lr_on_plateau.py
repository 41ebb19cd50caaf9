"""``ReduceLROnPlateau``: lower the learning rate when a metric stops improving."""

from __future__ import annotations

import warnings

import numpy as np

from lamina.callbacks._utils import get_learning_rate, set_learning_rate
from lamina.callbacks.monitor_callback import MonitorCallback
from lamina.utils import naming
from lamina.utils.progbar import print_msg

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without improvement.

    ``new_lr = max(lr * factor, min_lr)``. An improvement is a change of more
    than ``min_delta`` in the right direction (see ``mode``). After a
    reduction, ``cooldown`` epochs pass before waiting starts again. The
    learning rate is added to each epoch's logs as ``learning_rate``, so it
    shows in the progress bar and in ``History``.

    Args:
        monitor: the key to watch in the epoch logs.
        factor: multiplier for the learning rate, below 1.
        patience: epochs without improvement before reducing.
        verbose: 1 prints each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        min_delta: the least change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate never goes below this.

    Example:
        >>> from types import SimpleNamespace
        >>> model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=0.1))
        >>> reduce_lr = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
        >>> reduce_lr.set_model(model)
        >>> reduce_lr.on_train_begin()
        >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
        ...     reduce_lr.on_epoch_end(epoch, {"loss": loss})
        >>> model.optimizer.learning_rate
        0.025
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        if "epsilon" in kwargs:  # tf.keras 1.x name of min_delta
            warnings.warn(
                "ReduceLROnPlateau's 'epsilon' argument is now called 'min_delta'.", stacklevel=2
            )
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            name = next(iter(kwargs))
            valid = [
                "monitor",
                "factor",
                "patience",
                "verbose",
                "mode",
                "min_delta",
                "cooldown",
                "min_lr",
            ]
            raise TypeError(
                str(naming.unknown_name_error("ReduceLROnPlateau argument", name, valid))
            )
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                "ReduceLROnPlateau does not support a factor >= 1.0 (it would not reduce "
                f"anything). Received factor={factor}; use e.g. factor=0.5."
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0
        self._reset_monitor_tracking()

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        """Whether the callback is in its cooldown period after a reduction."""
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            logs = {}
        logs["learning_rate"] = get_learning_rate(self)
        current = self._get_monitor_value(epoch, logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce_lr(self, epoch):
        old_lr = get_learning_rate(self)
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        set_learning_rate(self, new_lr)
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True

    def on_train_end(self, logs=None):
        self._warn_if_never_monitored()
