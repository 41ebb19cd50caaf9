"""``LossFunctionWrapper``: a loss class made from a function of ``(y_true, y_pred)``.

The built-in loss classes are such wrappers around the functions of
``regression.py`` and ``probabilistic.py``, with Keras's names and defaults.
"""

from __future__ import annotations

from lamina.autodiff.tensor import Tensor
from lamina.losses.loss import Loss, squeeze_or_expand_to_same_rank

__all__ = ["LossFunctionWrapper"]


# ---------------------------------------------------------------------------
# Classes


class LossFunctionWrapper(Loss):
    """Turn a per-sample loss function ``fn(y_true, y_pred, **kwargs)`` into a ``Loss``.

    ``y_true`` and ``y_pred`` are rank-aligned first (a ``(n,)`` target
    against a ``(n, 1)`` prediction becomes ``(n, 1)``), then ``fn`` is
    called with the stored keyword arguments.

    Args:
        fn: the loss function (built from ``lamina.ops``).
        reduction: see ``Loss``.
        name: name of the loss.
        dtype: see ``Loss``.
        **kwargs: passed to ``fn`` on every call.

    Example:
        >>> import lamina
        >>> def abs_error(y_true, y_pred, scale=1.0):
        ...     return scale * lamina.ops.mean(lamina.ops.abs(y_true - y_pred), axis=-1)
        >>> loss = lamina.losses.LossFunctionWrapper(abs_error, scale=2.0)
        >>> float(loss([0.0, 1.0], [[1.0], [1.0]]))
        1.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        """Align the ranks of ``y_true`` and ``y_pred`` and apply ``fn``."""
        if isinstance(y_true, Tensor) and isinstance(y_pred, Tensor):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        """``name``, ``reduction``, the serialized ``fn`` and its keyword arguments."""
        from lamina.losses import serialize

        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild the wrapper, looking ``fn`` up among lamina's losses."""
        from lamina.losses import deserialize

        config = dict(config)
        if not callable(config.get("fn")):
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        fn_name = getattr(self.fn, "__name__", self.fn)
        return f"<LossFunctionWrapper({fn_name}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A Keras loss class: its config is its constructor's arguments (``fn`` is implied)."""

    _fn = None  # set by each subclass

    def __init__(self, reduction, name, dtype, **kwargs):
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self) -> dict:
        """``name``, ``reduction`` and the loss's own arguments."""
        config = Loss.get_config(self)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Build the loss from ``get_config``'s dict."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
