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

from lamina.callbacks.backup_and_restore import BackupAndRestore
from lamina.callbacks.callback import Callback
from lamina.callbacks.callback_list import CallbackList
from lamina.callbacks.csv_logger import CSVLogger
from lamina.callbacks.early_stopping import EarlyStopping
from lamina.callbacks.history import History
from lamina.callbacks.lambda_callback import LambdaCallback
from lamina.callbacks.learning_rate_scheduler import LearningRateScheduler
from lamina.callbacks.model_checkpoint import ModelCheckpoint
from lamina.callbacks.progbar_logger import ProgbarLogger
from lamina.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from lamina.callbacks.terminate_on_nan import TerminateOnNaN

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
    "TerminateOnNaN",
]

# Keras callbacks lamina does not have, and what to use instead.
_NOT_AVAILABLE = {
    "TensorBoard": "lamina has no TensorBoard writer; log with CSVLogger('log.csv') and plot "
    "the History (pandas.DataFrame(history.history).plot()).",
    "RemoteMonitor": "lamina does not send logs over the network; use LambdaCallback("
    "on_epoch_end=...) to forward them.",
    "SwapEMAWeights": "lamina's optimizers have no EMA weights to swap.",
}


def __getattr__(name):
    if name in _NOT_AVAILABLE:
        raise AttributeError(f"lamina.callbacks.{name} is not available: {_NOT_AVAILABLE[name]}")
    raise AttributeError(f"module 'lamina.callbacks' has no attribute {name!r}")
