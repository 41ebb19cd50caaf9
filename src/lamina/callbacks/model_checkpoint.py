"""``ModelCheckpoint``: save the model (or its weights) during training, as Keras does.

Every file is written under a temporary name in its folder and renamed into
place, so an interrupted save never leaves a broken checkpoint behind.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from lamina.callbacks.monitor_callback import MonitorCallback

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
    """Save the model (``.keras``) or its weights (``.weights.h5``) after epochs or batches.

    ``filepath`` may contain ``{epoch}`` (1-based) and any logged value, with
    Python format specs: ``"ckpt/{epoch:02d}-{val_loss:.2f}.keras"``.

    Args:
        filepath: where to save; must end in ``.keras`` (or ``.h5``, Keras's legacy
            format), or ``.weights.h5`` with ``save_weights_only=True``.
        monitor: the logged value ``save_best_only`` compares (``"val_loss"``).
        verbose: 1 prints a line for each save (and each skipped save).
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: save only the weights (``model.save_weights``).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (from the metric's name).
        save_freq: ``"epoch"``, or save every this many batches.
        initial_value_threshold: with ``save_best_only``, the value to beat first.

    Example:
        >>> import os, tempfile, numpy as np
        >>> import lamina
        >>> folder = tempfile.mkdtemp()
        >>> model = lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> ckpt = lamina.callbacks.ModelCheckpoint(os.path.join(folder, "m-{epoch:02d}.keras"),
        ...                                         monitor="loss")
        >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[ckpt])
        >>> sorted(os.listdir(folder))
        ['m-01.keras', 'm-02.keras']
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, **kwargs):
        if "period" in kwargs:  # Keras 2
            period = kwargs.pop("period")
            raise TypeError(
                f"ModelCheckpoint(period={period!r}) is Keras 2's argument; Keras 3 uses "
                f"save_freq: save every epoch with save_freq='epoch', or every N batches with "
                "save_freq=N."
            )
        if kwargs:
            raise TypeError(f"ModelCheckpoint got unexpected arguments {sorted(kwargs)}.")
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer))
            or save_freq <= 0
        ):
            raise ValueError(
                f"The 'save_freq' argument of ModelCheckpoint must be 'epoch' or a positive "
                f"number of batches. Got save_freq={save_freq!r} instead."
            )
        if self.save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "With save_weights_only=True the filepath must end in '.weights.h5' "
                    f"(Keras 3's weights format). Got filepath={self.filepath!r}; e.g. "
                    f"{_replace_suffix(self.filepath, '.weights.h5')!r}."
                )
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "ModelCheckpoint saves whole models as '.keras' files (or legacy '.h5' files). "
                f"Got filepath={self.filepath!r}; use "
                f"{_replace_suffix(self.filepath, '.keras')!r}, or save_weights_only=True with "
                f"{_replace_suffix(self.filepath, '.weights.h5')!r}."
            )

    # -- hooks ------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._reset_monitor_tracking()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def on_train_end(self, logs=None):
        if self.save_best_only:
            self._warn_if_never_monitored()

    # -- saving -----------------------------------------------------------------------------
    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch, batch, logs):
        logs = dict(logs or {})
        values = {"epoch": epoch + 1, **logs}
        if batch is not None and "batch" not in logs:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except KeyError as e:
            raise KeyError(
                f"ModelCheckpoint cannot fill in the filepath {self.filepath!r}: {e} is not "
                f"in the logs, which have {sorted(logs)} (and 'epoch'). Use one of those names, "
                "and compile the metric or pass validation data for 'val_' names."
            ) from None

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = self._get_monitor_value(epoch, logs)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available; it is not in this "
                f"epoch's logs, so the model was saved anyway.",
                stacklevel=3,
            )
            return True
        best_text = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"ModelCheckpoint needs a file path, but {filepath!r} is an existing folder."
            )
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")


def _replace_suffix(path: str, suffix: str) -> str:
    for ending in (".weights.h5", ".hdf5", ".h5", ".keras"):
        if path.endswith(ending):
            return path[: -len(ending)] + suffix
    return path + suffix
