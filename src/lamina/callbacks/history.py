"""``History``: the record of every epoch's logs that ``fit`` returns."""

from __future__ import annotations

from lamina.callbacks._utils import legacy_alias
from lamina.callbacks.callback import Callback

__all__ = ["History"]


class _HistoryDict(dict):
    """A plain dict of lists that also answers Keras 2's names (``'acc'``, ``'val_acc'``, ``'lr'``).

    Only lookups fall back to the other spelling; iteration, ``len`` and
    ``pandas.DataFrame(history.history)`` see exactly the keys the logs had.
    """

    def __missing__(self, key):
        alias = legacy_alias(key) if isinstance(key, str) else None
        if alias is not None and dict.__contains__(self, alias):
            return dict.__getitem__(self, alias)
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class History(Callback):
    """Records each epoch's logs; ``fit`` adds one and returns it.

    Attributes:
        history: dict mapping each log key (``"loss"``, ``"val_accuracy"``, ...)
            to the list of its values, one per epoch. Keras 2 names are
            understood too: ``history.history["acc"]`` returns the
            ``"accuracy"`` list when that is what was logged.
        epoch: the indices of the epochs recorded (0-based).
        params: the loop's settings, e.g. ``{"verbose": 1, "epochs": 10, "steps": 4}``.
        model: the model trained.

    Example:
        >>> history = History()
        >>> history.on_train_begin()
        >>> history.on_epoch_end(0, {"loss": 0.9, "accuracy": 0.5})
        >>> history.on_epoch_end(1, {"loss": 0.7, "accuracy": 0.75})
        >>> history.history["loss"], history.epoch
        ([0.9, 0.7], [0, 1])
        >>> history.history["acc"]
        [0.5, 0.75]
    """

    def __init__(self):
        super().__init__()
        self.history = _HistoryDict()
        self.epoch = []

    def on_train_begin(self, logs=None):
        # As Keras: a History reused across fit calls keeps extending `history`.
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
