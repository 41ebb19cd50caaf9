"""``lamina.callbacks``: hooks into ``fit``, ``evaluate`` and ``predict``, as ``keras.callbacks``.

Pass instances to ``fit(..., callbacks=[...])``. ``fit`` always adds a
``History`` (which it returns) and, unless ``verbose=0``, a ``ProgbarLogger``.

Example:
    >>> from lamina import callbacks
    >>> stop = callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    >>> isinstance(stop, callbacks.Callback)
    True
"""

from __future__ import annotations

import importlib

from lamina.callbacks.callback import Callback
from lamina.callbacks.callback_list import CallbackList
from lamina.callbacks.history import History
from lamina.callbacks.progbar_logger import ProgbarLogger

# The others load on first use (``fit`` needs only the four above).
_LAZY = {
    "BackupAndRestore": "backup_and_restore",
    "CSVLogger": "csv_logger",
    "EarlyStopping": "early_stopping",
    "LambdaCallback": "lambda_callback",
    "LearningRateScheduler": "learning_rate_scheduler",
    "ModelCheckpoint": "model_checkpoint",
    "ReduceLROnPlateau": "reduce_lr_on_plateau",
    "TensorBoard": "tensorboard",  # tensorboardX is imported when the first event is written
    "TerminateOnNaN": "terminate_on_nan",
}

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]

# Keras callbacks lamina does not have, and what to use instead.
_NOT_AVAILABLE = {
    "RemoteMonitor": "lamina does not send logs over the network; use LambdaCallback("
    "on_epoch_end=...) to forward them.",
    "SwapEMAWeights": "lamina's optimizers have no EMA weights to swap.",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"lamina.callbacks.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    if name in _NOT_AVAILABLE:
        raise AttributeError(f"lamina.callbacks.{name} is not available: {_NOT_AVAILABLE[name]}")
    raise AttributeError(f"module 'lamina.callbacks' has no attribute {name!r}")


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
