"""``CallbackList``: calls a list of callbacks as one, skipping batch hooks nobody uses."""

from __future__ import annotations

from lamina.callbacks._utils import pythonify_logs
from lamina.callbacks.callback import Callback
from lamina.callbacks.history import History
from lamina.callbacks.progbar_logger import ProgbarLogger

__all__ = ["CallbackList"]

_BATCH_HOOKS = (
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


def _flatten(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [cb for item in callbacks for cb in _flatten(item)]
    _check(callbacks)
    return [callbacks]


def _check(callback):
    if isinstance(callback, Callback):
        return
    if isinstance(callback, type) and issubclass(callback, Callback):
        raise TypeError(
            f"callbacks must be callback instances, but got the class {callback.__name__}. "
            f"Call it: {callback.__name__}(...)."
        )
    raise TypeError(
        "callbacks must be a list of lamina.callbacks.Callback instances (e.g. "
        f"[EarlyStopping(patience=3)]); got {type(callback).__name__} {callback!r}. To run "
        "a function at some moment of training, wrap it in LambdaCallback."
    )


class CallbackList(Callback):
    """Calls each hook on every callback in the list, in order, as ``fit`` does.

    Logs are handed on as Keras does: keys sorted, nested dicts flattened and
    scalars turned into Python floats; every callback of one hook receives the
    same dict, so a key one adds (``learning_rate``) is seen by those after it.

    Batch hooks are called only on callbacks that override them (decided when
    the list is built, and again after each ``on_*_begin``). The training loop
    can read these flags to skip work nobody needs:

    * ``needs_batch_logs``: some callback reads the logs of training batches
      (otherwise ``on_train_batch_end`` may be given ``None``, or skipped);
    * ``needs_batch_begin``: some callback has ``on_train_batch_begin``;
    * ``needs_test_batch_logs``, ``needs_predict_batch_outputs``: the same
      for ``evaluate`` batches and ``predict`` outputs;
    * ``has_train_batch_hooks``, ``has_test_batch_hooks``,
      ``has_predict_batch_hooks``: some callback has any batch hook there.

    Args:
        callbacks: a list of ``Callback`` instances (nested lists are flattened).
        add_history: add a ``History`` unless the list has one.
        add_progbar: add a ``ProgbarLogger`` unless the list has one.
        model: the model, given to every callback with ``set_model``.
        **params: the loop's settings, given to every callback with
            ``set_params``: ``verbose``, ``epochs``, ``steps``.

    Example:
        >>> from types import SimpleNamespace
        >>> model = SimpleNamespace(stop_training=False)
        >>> callbacks = CallbackList([], add_history=True, model=model, verbose=0, epochs=2, steps=3)
        >>> callbacks.needs_batch_logs
        False
        >>> callbacks.on_train_begin()
        >>> for epoch in range(2):
        ...     callbacks.on_epoch_begin(epoch)
        ...     callbacks.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
        >>> callbacks.on_train_end()
        >>> model.history.history
        {'loss': [1.0, 0.5]}
    """

    def __init__(
        self,
        callbacks=None,
        add_history=False,
        add_progbar=False,
        model=None,
        **params,
    ):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)
        self._refresh()

    def _add_default_callbacks(self, add_history, add_progbar):
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        # Keras's order: the user's callbacks, then History, then the progress bar
        # (so the bar shows keys the others add, such as learning_rate).
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def append(self, callback):
        """Add a callback at the end of the list."""
        _check(callback)
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._refresh()

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _refresh(self):
        """Decide, per batch hook, which callbacks need calling."""
        for hook in _BATCH_HOOKS:
            users = [cb for cb in self.callbacks if cb._implements(hook)]
            setattr(self, "_" + hook, users)
        self.needs_batch_logs = bool(self._on_train_batch_end)
        # Only lamina's own progress bar reads the training batches' logs (to draw them).
        self.batch_logs_only_drawn = bool(self._on_train_batch_end) and all(
            type(cb) is ProgbarLogger for cb in self._on_train_batch_end)
        self.needs_batch_begin = bool(self._on_train_batch_begin)
        self.needs_test_batch_logs = bool(self._on_test_batch_end)
        self.needs_predict_batch_outputs = bool(self._on_predict_batch_end)
        self.has_train_batch_hooks = bool(self._on_train_batch_begin or self._on_train_batch_end)
        self.has_test_batch_hooks = bool(self._on_test_batch_begin or self._on_test_batch_end)
        self.has_predict_batch_hooks = bool(
            self._on_predict_batch_begin or self._on_predict_batch_end
        )

    def would_draw_train_batch(self, batch) -> bool:
        """Whether a progress bar would redraw after training batch ``batch`` (0-based)."""
        return any(cb.would_draw(batch) for cb in self._on_train_batch_end
                   if isinstance(cb, ProgbarLogger))

    def _implements(self, hook):
        users = getattr(self, "_" + hook, None)
        if users is not None:
            return bool(users)
        return any(cb._implements(hook) for cb in self.callbacks)

    # ------------------------------------------------------- begin / end hooks

    def on_train_begin(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_begin(logs)
        self._refresh()

    def on_train_end(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_test_begin(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_begin(logs)
        self._refresh()

    def on_test_end(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_end(logs)

    def on_predict_begin(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_begin(logs)
        self._refresh()

    def on_predict_end(self, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    # -------------------------------------------------------------- batch hooks

    def on_train_batch_begin(self, batch, logs=None):
        users = self._on_train_batch_begin
        if users:
            logs = pythonify_logs(logs)
            for callback in users:
                callback.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        users = self._on_train_batch_end
        if users:
            logs = pythonify_logs(logs)
            for callback in users:
                callback.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        users = self._on_test_batch_begin
        if users:
            logs = pythonify_logs(logs)
            for callback in users:
                callback.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        users = self._on_test_batch_end
        if users:
            logs = pythonify_logs(logs)
            for callback in users:
                callback.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        users = self._on_predict_batch_begin
        if users:
            logs = pythonify_logs(logs)
            for callback in users:
                callback.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        users = self._on_predict_batch_end
        if users:
            logs = pythonify_logs(logs)
            for callback in users:
                callback.on_predict_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs=logs)
