"""``ProgbarLogger``: prints the progress bar of ``fit``, ``evaluate`` and ``predict``."""

from __future__ import annotations

from lamina.callbacks.callback import Callback
from lamina.utils.progbar import Progbar, end_open_line, is_interactive, print_msg, resolve_verbose

__all__ = ["ProgbarLogger"]


class ProgbarLogger(Callback):
    """Prints ``Epoch 1/10`` and a progress bar per epoch (see ``lamina.utils.Progbar``).

    ``fit``, ``evaluate`` and ``predict`` add one when ``verbose`` is not 0.
    It reads ``verbose``, ``epochs`` and ``steps`` from ``params``. Inside
    ``fit`` the validation pass prints nothing of its own: its ``val_*``
    metrics appear on the epoch's line.

    Output goes to ``sys.stdout``: a live bar on a terminal or in a notebook;
    elsewhere ``verbose=1`` prints the final line of each epoch only.

    Example:
        >>> logger = ProgbarLogger()
        >>> logger.set_params({"verbose": 2, "epochs": 1, "steps": 2})
        >>> logger.on_train_begin()
        >>> logger.on_epoch_begin(0)
        >>> logger.on_epoch_end(0, {"loss": 0.5})  # doctest: +ELLIPSIS
        2/2 - 0s - ...s/step - loss: 0.5000
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        params = params or {}
        self.verbose = resolve_verbose(params.get("verbose", 1))
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _implements(self, hook):
        # Per-batch updates only matter for a live bar, or to count steps when
        # the number per epoch is unknown; otherwise the trainer may skip them.
        per_batch = self.verbose == 1 and is_interactive() or self.target is None
        if hook in ("on_train_batch_end", "on_predict_batch_end"):
            return per_batch
        if hook == "on_test_batch_end":
            return per_batch and not self._called_in_fit
        if hook.endswith("batch_begin"):
            return False
        return super()._implements(hook)

    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # validation inside fit is silent

    def on_train_end(self, logs=None):
        self._called_in_fit = False
        end_open_line()  # in case fit was interrupted mid-epoch

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # the outputs are not metrics

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.progbar is None:
            # The logs already hold running means: show them as given.
            self.progbar = Progbar(
                target=self.target, verbose=self.verbose, unit_name="step", stateless_metrics=()
            )

    def would_draw(self, batch) -> bool:
        """Whether ``on_train_batch_end(batch, ...)`` would redraw the bar now.

        The fused epoch loop asks before computing a batch's logs, which it
        does only for the updates that are drawn.
        """
        return batch == 0 or self.progbar is None or not self.progbar._is_throttled()

    def _update_progbar(self, batch, logs=None):
        self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            # The logs are running means shown as given, so an update that would not be
            # drawn can be skipped whole (keeping the first, which times the first step).
            if self.seen > 1 and self.progbar._is_throttled():
                return
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs):
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
