"""``TerminateOnNaN``: stop training as soon as the loss stops being a finite number."""

from __future__ import annotations

import math

import numpy as np

from lamina.callbacks.callback import Callback
from lamina.utils.progbar import print_msg

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stops training after the first batch whose loss is NaN or infinite.

    By default it prints ``Batch 3: Invalid loss, terminating training`` and
    sets ``model.stop_training``, so the epoch ends and every callback's
    ``on_train_end`` still runs. With ``raise_error=True`` it raises
    ``RuntimeError`` at once instead.

    A NaN loss usually means unscaled inputs or a learning rate too high:
    standardize the features and lower the learning rate.

    Args:
        raise_error: raise ``RuntimeError`` instead of stopping gracefully.

    Example:
        >>> from types import SimpleNamespace
        >>> model = SimpleNamespace(stop_training=False)
        >>> cb = TerminateOnNaN()
        >>> cb.set_model(model)
        >>> cb.on_train_batch_end(3, {"loss": float("nan")})
        Batch 3: Invalid loss, terminating training
        >>> model.stop_training
        True
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if isinstance(loss, float):
            finite = math.isfinite(loss)
        else:
            try:
                finite = bool(np.all(np.isfinite(np.asarray(loss, dtype=np.float64))))
            except (TypeError, ValueError):
                return
        if finite:
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately."
            )
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
