"""``Callback``: the base class of everything ``fit``/``evaluate``/``predict`` call back into."""

from __future__ import annotations

__all__ = ["Callback"]

# Hooks that, in the base class, forward to an older name: overriding either one counts.
_FORWARDS = {
    "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
}


class Callback:
    """Base class for callbacks: override the hooks for the moments you care about.

    ``fit`` calls, in this order::

        on_train_begin
          on_epoch_begin(epoch)
            on_train_batch_begin(step) / on_train_batch_end(step, logs)   # each step
            on_test_begin ... on_test_end(logs)   # validation, if any (see below)
          on_epoch_end(epoch, logs)     # logs: metrics, plus val_* after validation
        on_train_end(logs)

    ``evaluate`` calls ``on_test_begin``, ``on_test_batch_begin/end`` and
    ``on_test_end``; ``predict`` the ``on_predict_*`` hooks, with
    ``{"outputs": batch_outputs}`` as the batch logs. ``on_batch_begin`` and
    ``on_batch_end`` are older names for the train-batch hooks: the base
    ``on_train_batch_begin/end`` call them.

    Every hook takes ``logs``, a dict of floats keyed by metric name (sorted),
    or ``None``. Stop training from a callback with
    ``self.model.stop_training = True``.

    Attributes:
        model: the model being trained (set by ``set_model``).
        params: the loop's settings (set by ``set_params``):
            ``{"verbose": ..., "epochs": ..., "steps": ...}``.

    Example:
        >>> class CountBatches(Callback):
        ...     def on_train_begin(self, logs=None):
        ...         self.batches = 0
        ...     def on_train_batch_end(self, batch, logs=None):
        ...         self.batches += 1
        >>> counter = CountBatches()
        >>> counter.on_train_begin()
        >>> for step in range(3):
        ...     counter.on_train_batch_end(step, {"loss": 0.1})
        >>> counter.batches
        3
    """

    # Class-level defaults keep subclasses that skip ``super().__init__()`` working.
    params = None
    _model = None

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        """Receive the loop's settings (``verbose``, ``epochs``, ``steps``)."""
        self.params = params

    def set_model(self, model):
        """Receive the model the callback works on."""
        self._model = model

    @property
    def model(self):
        """The model the callback works on (``None`` before ``set_model``)."""
        return self._model

    @model.setter
    def model(self, model):
        self._model = model

    def _implements(self, hook: str) -> bool:
        """Whether calling ``hook`` on this callback could do anything.

        ``CallbackList`` asks once per loop, so that per-batch hooks nobody
        overrides cost nothing. Subclasses may narrow the answer.
        """
        return overrides(self, hook)

    # ------------------------------------------------------------------ hooks

    def on_batch_begin(self, batch, logs=None):
        """Older name of ``on_train_batch_begin``, called by it."""

    def on_batch_end(self, batch, logs=None):
        """Older name of ``on_train_batch_end``, called by it."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch ``epoch`` (0-based) in ``fit``."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of epoch ``epoch`` with its metrics (and ``val_*`` ones)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before training step ``batch`` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after training step ``batch`` with the metrics so far this epoch."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of ``evaluate`` (and of validation in ``fit``)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of ``evaluate`` with the metrics so far."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of ``predict``; ``logs`` is ``{"outputs": ...}``."""

    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts."""

    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends, with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called when ``evaluate`` (or a validation pass) starts."""

    def on_test_end(self, logs=None):
        """Called when ``evaluate`` (or a validation pass) ends, with its metrics."""

    def on_predict_begin(self, logs=None):
        """Called when ``predict`` starts."""

    def on_predict_end(self, logs=None):
        """Called when ``predict`` ends."""


def overrides(callback, hook: str) -> bool:
    """Whether ``callback`` replaces ``Callback``'s do-nothing ``hook``.

    Counts methods defined by a subclass, functions set on the instance (as
    ``LambdaCallback`` does), and for the train-batch hooks also their older
    names ``on_batch_begin``/``on_batch_end``, which the base class forwards to.

    Example:
        >>> class Printer(Callback):
        ...     def on_batch_end(self, batch, logs=None):
        ...         print(batch)
        >>> overrides(Printer(), "on_train_batch_end"), overrides(Printer(), "on_epoch_end")
        (True, False)
    """
    instance_attrs = getattr(callback, "__dict__", {})
    for name in _FORWARDS.get(hook, (hook,)):
        if name in instance_attrs:
            return True
        if getattr(type(callback), name, None) is not getattr(Callback, name):
            return True
    return False
