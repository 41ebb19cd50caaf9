"""``LambdaCallback``: a callback made of plain functions."""

from __future__ import annotations

from lamina.callbacks.callback import Callback
from lamina.utils import naming

__all__ = ["LambdaCallback"]

_HOOKS = sorted(name for name in vars(Callback) if name.startswith("on_"))


class LambdaCallback(Callback):
    """A callback whose hooks are the functions you pass.

    The functions are called as the hooks they replace: epoch hooks as
    ``fn(epoch, logs)``, batch hooks as ``fn(batch, logs=logs)``, begin/end
    hooks as ``fn(logs)``. Any other hook can be given by name through
    ``**kwargs`` (e.g. ``on_test_end=fn``).

    Args:
        on_epoch_begin: called at the start of every epoch.
        on_epoch_end: called at the end of every epoch.
        on_train_begin: called when training starts.
        on_train_end: called when training ends.
        on_train_batch_begin: called before every training batch.
        on_train_batch_end: called after every training batch.
        **kwargs: other hooks, by their ``Callback`` method name.

    Example:
        >>> seen = []
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["loss"]))
        >>> cb.on_epoch_end(0, {"loss": 0.25})
        >>> seen
        [0.25]
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        for name in kwargs:
            if name not in _HOOKS:
                raise naming.unknown_name_error("LambdaCallback hook", name, _HOOKS)
        given = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
            **kwargs,
        )
        for name, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(
                    f"LambdaCallback's '{name}' must be a function; got {type(fn).__name__} {fn!r}."
                )
            setattr(self, name, fn)
