"""``ActivityRegularization``: the identity, plus an L1/L2 penalty on its inputs in the losses.

Keras keeps it with the Dropout family; it lives in a module of its own here because it
draws nothing and acts in inference as well as in training: the penalty is the layer's
``activity_regularizer``, applied by ``Layer.__call__`` like any layer's.
"""

from __future__ import annotations

from lamina import regularizers
from lamina.layers.layer import Layer
from lamina.regularizers._regularizers import _check_factor

__all__ = ["ActivityRegularization"]


class ActivityRegularization(Layer):
    """Passes its inputs on and adds ``l1 * sum(|x|) + l2 * sum(x**2)`` (per sample) to the losses.

    The penalty is the layer's ``activity_regularizer`` (``L1L2(l1, l2)``), so,
    as for any layer's activity regularizer, it is divided by the batch size
    and joins ``model.losses`` on every call: ``fit`` and ``evaluate`` add it
    to the compiled loss.

    Args:
        l1: the non-negative L1 factor (default 0.0).
        l2: the non-negative L2 factor (default 0.0).
        **kwargs: ``Layer``'s arguments (``name``, ``dtype``, ...).

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> layer = lamina.layers.ActivityRegularization(l1=0.1)
        >>> layer(np.array([[1.0, -2.0], [3.0, 0.0]])).shape
        (2, 2)
        >>> round(float(layer.losses[0]), 4)
        0.3
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        l1 = _check_factor(0.0 if l1 is None else l1, "l1", "ActivityRegularization")
        l2 = _check_factor(0.0 if l2 is None else l2, "l2", "ActivityRegularization")
        if "activity_regularizer" in kwargs:
            raise TypeError(
                "ActivityRegularization takes its penalty from 'l1' and 'l2'; remove the "
                "'activity_regularizer' argument."
            )
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self.built = True  # no weights

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.pop("activity_regularizer", None)
        config_.update(l1=self.l1, l2=self.l2)
        return config_
