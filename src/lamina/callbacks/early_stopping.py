"""``EarlyStopping``: stop training when a monitored metric stops improving."""

from __future__ import annotations

import numpy as np

from lamina.callbacks.monitor_callback import MonitorCallback
from lamina.utils.progbar import print_msg

__all__ = ["EarlyStopping"]



def _copy_weights(weights):
    if isinstance(weights, (list, tuple)):
        return [np.array(w, copy=True) for w in weights]
    return weights


class EarlyStopping(MonitorCallback):
    """Stops training once ``monitor`` has not improved for ``patience`` epochs.

    At the end of every epoch (from ``start_from_epoch`` on) the monitored
    value is compared with the best so far. An *improvement* is a change of
    more than ``min_delta`` in the right direction (down for losses and
    errors, up for accuracies; see ``mode``). After ``patience`` epochs in a
    row without one, it sets ``model.stop_training``; ``stopped_epoch`` and
    ``best_epoch`` (both 0-based) record what happened.

    With a ``baseline``, improving on the best value does not reset the wait
    unless the value also beats the baseline, so a model that never beats
    the baseline stops after ``patience`` epochs.

    With ``restore_best_weights=True`` the weights of the best epoch are put
    back at the end of training (whether or not it stopped early), and it
    says so: printed with ``verbose=1``, logged to the ``"lamina"`` logger
    otherwise (``Restoring model weights from the end of the best epoch: 3.``).

    Args:
        monitor: the key to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        min_delta: the least change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints when it stops and when it restores weights.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        baseline: a value the metric must beat for the wait to reset.
        restore_best_weights: put the best epoch's weights back at the end.
        start_from_epoch: epochs of warm-up before monitoring starts.

    Raises:
        ValueError: at the end of an epoch, if ``monitor`` is not in its logs
            (listing the keys that are), except for a ``val_`` key on an epoch
            without validation.

    Example:
        >>> from types import SimpleNamespace
        >>> model = SimpleNamespace(stop_training=False)
        >>> stopper = EarlyStopping(monitor="loss", patience=1)
        >>> stopper.set_model(model)
        >>> stopper.on_train_begin()
        >>> for epoch, loss in enumerate([0.9, 0.8, 0.85, 0.86, 0.7]):
        ...     stopper.on_epoch_end(epoch, {"loss": loss})
        ...     if model.stop_training:
        ...         break
        >>> stopper.stopped_epoch, stopper.best_epoch, stopper.best
        (2, 1, 0.8)
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # Everything per-run starts again, so one instance can serve several fits.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0
        self._reset_monitor_tracking()

    def on_epoch_end(self, epoch, logs=None):
        current = self._get_monitor_value(epoch, logs)
        if current is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _copy_weights(self.model.get_weights())
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            message = (
                f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}."
            )
            if self.verbose > 0:
                print_msg(message)
            else:
                import logging  # only here: importing it costs more than a small fit

                logging.getLogger("lamina").info(message)
            self.model.set_weights(self.best_weights)
        self._warn_if_never_monitored()
