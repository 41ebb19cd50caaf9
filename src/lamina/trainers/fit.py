"""``fit``: the epoch loop, its callbacks and its data, around the engine's train step.

Each epoch the data are shuffled once (``data.ArrayData``); when no callback
reads single batches (a live progress bar may), the engine runs the epoch
(``lamina.engine.loop``), else the loop calls the train step batch by batch
and hands each batch's logs to the callbacks. Validation runs after each
epoch through ``evaluate``'s loop. Ctrl-C stops after the current batch.
"""

from __future__ import annotations

import signal
import sys
import threading
import warnings

import numpy as np

from lamina.distribute._fit import fit_hook
from lamina.trainers import data as data_module
from lamina.trainers.logs import first, non_negative_int, positive_int, pythonify, resolve_verbose

__all__ = ["FitMixin"]


class _Interrupt:
    """Turns the first Ctrl-C during fit into a request to stop after the current batch."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handle)
            except (ValueError, OSError):
                self._previous = None
        return self

    def _handle(self, signum, frame):
        if self.requested:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class FitMixin:
    """``fit`` and its helpers; mixed into ``Trainer``."""

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, **kwargs):
        """Train the model for ``epochs`` passes over the data.

        Keras's rules: ``validation_split`` takes the last fraction of the rows
        before shuffling; the last partial batch is used; the reported epoch
        loss is the mean of the batch losses weighted by batch size, including
        regularization penalties. Ctrl-C stops after the current batch and
        returns the History so far.

        With ``sample_weight`` or ``class_weight`` (a dict, or ``"balanced"``:
        ``n / (n_classes * count)``), a batch's loss is ``sum(w_i * loss_i) /
        batch_size`` (Keras's ``sum_over_batch_size``), so zero-weight rows still
        count in the denominator; metrics in ``metrics`` ignore the weights and
        those in ``weighted_metrics`` average with them (``sum(w*m) / sum(w)``).
        A class without a ``class_weight`` key weighs 1.0; a key that is not a
        class of the model is an error.

        Returns:
            A ``History`` whose ``.history`` maps ``"loss"``, metric names and
            ``"val_..."`` names to one value per epoch.
        """
        from lamina import callbacks as callbacks_module
        from lamina.trainers import checks

        self._assert_compiled("fit")
        if "nb_epoch" in kwargs:
            epochs = kwargs.pop("nb_epoch")
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword arguments: {sorted(kwargs)}.")
        given_batch_size = batch_size
        batch_size = 32 if batch_size is None else positive_int(batch_size, "batch_size", "fit")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"The 'epochs' argument of fit must be a non-negative integer. Got {epochs!r}.")
        initial_epoch = non_negative_int(initial_epoch, "initial_epoch", "fit")
        if steps_per_epoch is not None:
            steps_per_epoch = positive_int(steps_per_epoch, "steps_per_epoch", "fit")
        if validation_steps is not None:
            validation_steps = positive_int(validation_steps, "validation_steps", "fit")
        if validation_batch_size is not None:
            validation_batch_size = positive_int(validation_batch_size, "validation_batch_size",
                                                 "fit")
        validation_freq = positive_int(validation_freq, "validation_freq", "fit")
        if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)):
            raise ValueError("The 'validation_split' argument of fit must be a number in [0, 1). "
                             f"Got {validation_split!r}.")
        if not 0.0 <= float(validation_split) < 1.0:
            raise ValueError(
                f"The 'validation_split' argument of fit must be in [0, 1). Got {validation_split!r}."
            )
        verbose = resolve_verbose(verbose)
        dist = fit_hook(self)  # several replicas (lamina.distribute), or None
        if dist is not None:
            verbose = dist.verbose(verbose)
        stream = data_module.is_stream(x)
        columns = list(x.columns) if hasattr(x, "columns") else None

        # Data: arrays are converted and cast once, before the first epoch.
        if stream:
            if validation_split:
                raise ValueError(
                    "validation_split is not available when x is a generator, PyDataset or "
                    "Dataset; pass validation_data instead."
                )
            if sample_weight is not None:
                raise ValueError(
                    "sample_weight cannot be given with a generator, PyDataset or Dataset: "
                    "yield (x, y, sample_weight) batches instead (as Keras requires).")
            train = data_module.make_data(x, y, None, given_batch_size, False, steps_per_epoch)
            if class_weight is not None:  # applied batch by batch, from each batch's labels
                train = data_module.ClassWeighted(train, lambda yb, swb: (
                    _class_weights_to_sample_weights(class_weight, yb, swb, self.dtype,
                                                     self._output_units())))
            val_arrays = None
        else:
            xa = data_module.as_arrays(x, "x", self._takes_text())
            ya = None if y is None else data_module.as_arrays(y, "y")
            if ya is None and not self._custom_train_step() and \
                    self._loss_fn is not None:
                raise ValueError(
                    "fit() needs labels: pass y=... (or yield (x, y) batches from a generator)."
                )
            sw = data_module.as_sample_weight(sample_weight, self.dtype)
            data_module.check_samples(xa, ya, sw)
            if len(first(xa)) == 0:
                raise ValueError(
                    f"fit() received no data (0 rows): x has shape {first(xa).shape}. Pass at "
                    "least one sample.")
            val_arrays = None
            if validation_split:
                (xa, ya, sw), val_arrays, split_at = data_module.split_validation(
                    xa, ya, sw, float(validation_split))
                n_total = len(first(xa)) + len(first(val_arrays[0]))
                self._explain_split(ya, val_arrays[1], split_at, n_total, validation_split, verbose)
            xa = self._prepare_inputs(xa)
            ya = self._prepare_targets(ya)
            if val_arrays is not None:
                val_arrays = (self._prepare_inputs(val_arrays[0]), *val_arrays[1:])
            if class_weight is not None:
                sw = _class_weights_to_sample_weights(class_weight, ya, sw, self.dtype,
                                                      self._output_units())
            train = data_module.ArrayData(xa, ya, sw, batch_size=batch_size, shuffle=shuffle,
                                          steps=steps_per_epoch)
        if validation_data is not None:
            val_arrays = _unpack_validation(validation_data)

        self._ensure_built(train.first_batch())
        if isinstance(train, data_module.ArrayData):
            train.x = self._prepare_inputs(train.x)  # now that the input shape is known
            self._check_input_data(train.x)
        self._resolve_metrics(getattr(train, "y", None), train.first_batch())
        if not stream:
            checks.check_before_fit(self, self._loss_fn, train.x, train.y, columns)
            self._check_batch_memory(min(train.batch_size, train.n), "fit()", True)
        step_fn = self.make_train_function()
        val_data = None
        if val_arrays is not None:
            vx, vy, vsw = val_arrays
            if data_module.is_stream(vx):
                val_data = data_module.make_data(vx, None, None, validation_batch_size,
                                                 False, validation_steps)
            else:
                vx = self._prepare_inputs(data_module.as_arrays(
                    vx, "validation_data x", self._takes_text()))
                vy = self._prepare_targets(data_module.as_arrays(vy, "validation_data y"))
                _check_validation(self, vx, vy)
                val_data = data_module.ArrayData(vx, vy, data_module.as_sample_weight(vsw),
                                                 batch_size=validation_batch_size or batch_size,
                                                 steps=validation_steps)

        if dist is not None:  # this replica's part of each batch, its callbacks
            train, val_data, callbacks = dist.prepare(train, val_data, callbacks)
        cbs = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.steps,
        )
        needs_batch_logs = getattr(cbs, "needs_batch_logs", True)
        calls_batch_begin = getattr(cbs, "needs_batch_begin", True)
        # With no callback looking at single batches (a live progress bar only needs the
        # logs of the batches it draws), the engine runs each epoch of in-memory data.
        run_epoch = progress = None
        custom_step = _overrides(self, "train_step")  # its returned logs may name other keys
        if not calls_batch_begin and isinstance(train, data_module.ArrayData) and not custom_step:
            if not needs_batch_logs or getattr(cbs, "batch_logs_only_drawn", False):
                run_epoch = getattr(step_fn, "run_batches", None)
                progress = cbs if needs_batch_logs else None
        self.stop_training = False
        logs = {}
        cbs.on_train_begin()
        if dist is not None:  # rank 0's weights (perhaps just restored) on every replica
            dist.begin(self)
        # A callback (BackupAndRestore) may resume an interrupted run, as in Keras.
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
        self._initial_epoch = None
        with _Interrupt() as interrupt:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                steps_done = result = None
                if run_epoch is not None:  # the engine runs the whole epoch, batch by batch
                    steps_done = self._run_epoch(run_epoch, train, interrupt, progress)
                for step, batch in enumerate(() if steps_done is not None else train.batches()):
                    if calls_batch_begin:
                        cbs.on_train_batch_begin(step)
                    result = step_fn(batch)
                    steps_done = step + 1
                    if needs_batch_logs:
                        cbs.on_train_batch_end(step, self._batch_logs(result))
                    if self.stop_training or interrupt.requested:
                        break
                if not steps_done:
                    raise ValueError(
                        "fit() got no batches in this epoch: the data is empty, or a generator "
                        "ran out. Pass steps_per_epoch, or use a PyDataset that can be "
                        "iterated once per epoch."
                    )
                if dist is not None:  # the metrics over every replica's rows
                    dist.end_epoch(self)
                logs = self._metrics_or_step_logs(result)
                if val_data is not None and (epoch + 1) % int(validation_freq) == 0 and not interrupt.requested:
                    val_logs = self._evaluate_data(val_data, cbs)
                    if self.__dict__.pop("_evaluated_nothing", False):
                        _warn_empty_validation()
                    else:
                        logs.update({f"val_{k}": v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                if interrupt.requested:
                    from lamina.utils.progbar import end_open_line

                    end_open_line()
                    print(
                        f"\nTraining stopped by Ctrl-C during epoch {epoch + 1}, after {steps_done} "
                        "batches. The model keeps the weights of the last completed batch; "
                        "the History covers the epochs reported so far.",
                        file=sys.stderr,
                    )
                    break
                if self.stop_training:
                    break
        cbs.on_train_end(logs)
        if dist is not None:
            dist.end()
        return self.history

    def _run_epoch(self, run_batches, train, interrupt, progress):
        """One epoch of in-memory data through the engine's batch loop; returns the batches run."""
        x, y, sw = train.epoch_arrays()
        rows = min(train.steps * train.batch_size, train.n)
        observe = None
        if progress is not None:
            observe = (progress.would_draw_train_batch,
                       lambda i: progress.on_train_batch_end(i, self.get_metrics_result()))
        return run_batches((data_module.pack(x, y, sw),), train.batch_size, rows,
                           lambda: interrupt.requested or self.stop_training, observe)

    def _metrics_or_step_logs(self, result) -> dict:
        """An epoch's logs, Keras's way: the metrics' results, unless the last step returned
        a dict with other keys (a custom ``train_step`` returning ``{"loss": tracker.result()}``
        for a tracker named otherwise); then what that step returned."""
        metric_logs = self.get_metrics_result()
        if isinstance(result, dict) and set(result) != set(metric_logs):
            return pythonify(result)
        return metric_logs

    def _batch_logs(self, result) -> dict:
        """A step's result as the logs callbacks get (Keras keeps the metrics' names and order)."""
        if isinstance(result, dict):
            return pythonify(result)
        return self.get_metrics_result()

    def _explain_split(self, y_train, y_val, split_at, n_total, fraction, verbose):
        if verbose:
            print(
                f"validation_split={fraction}: validating on the last {n_total - split_at} of "
                f"{n_total} rows (rows {split_at}-{n_total - 1}), taken before shuffling."
            )
        try:
            yt = np.asarray(first(y_train))
            yv = np.asarray(first(y_val))
        except Exception:  # noqa: BLE001 - advisory only
            return
        if yt.ndim == 2 and yt.shape[1] > 1:
            yt, yv = yt.argmax(1), yv.argmax(1)
        yt, yv = yt.reshape(-1), yv.reshape(-1)
        if yt.dtype.kind == "f" and not (np.all(np.mod(yt, 1) == 0) and len(_distinct(yt)) <= 50):
            return
        train_classes = set(_distinct(yt).tolist())
        val_classes = set(_distinct(yv).tolist())
        if len(train_classes) > 1 and (len(val_classes) == 1 or not val_classes <= train_classes):
            warnings.warn(
                f"validation_split={fraction} takes the LAST {n_total - split_at} rows as "
                f"validation data before shuffling, and their labels look unlike the training "
                f"labels (validation classes {sorted(val_classes)}, training classes "
                f"{sorted(train_classes)}). If the data is sorted, shuffle it first "
                "(e.g. `idx = np.random.permutation(len(x)); x, y = x[idx], y[idx]`).",
                stacklevel=3,
            )

    # -- evaluate ----------------------------------------------------------------------------


def _overrides(model, method) -> bool:
    from lamina.trainers.trainer import Trainer

    return getattr(type(model), method, None) is not getattr(Trainer, method)


def _warn_empty_validation():
    warnings.warn(
        "fit: the validation data gave no batches, so the epoch's logs have no val_ entries "
        "(they would otherwise read 0). Give validation_data with rows, "
        "a validation_split that leaves at least one row, or a validation dataset that is "
        "not exhausted (repeat() it, or leave validation_steps out).", stacklevel=3)


def _check_validation(model, vx, vy):
    """The checks of the training data, for ``validation_data``, with messages that say so."""
    from lamina.trainers import checks

    try:
        if hasattr(model, "_check_input_data") and isinstance(vx, np.ndarray):
            model._check_input_data(vx)
        data_module.check_samples(vx, vy)
        checks.check_before_fit(model, model._loss_fn, vx, vy, warn=False)
    except ValueError as e:
        shapes = f"x_val {getattr(vx, 'shape', type(vx).__name__)}"
        if vy is not None:
            shapes += f", y_val {getattr(vy, 'shape', type(vy).__name__)}"
        raise ValueError(f"validation_data ({shapes}) does not fit the model: {e}") from None


def _unpack_validation(validation_data):
    if data_module.is_stream(validation_data):
        return validation_data, None, None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight), "
            f"or a generator; got {type(validation_data).__name__}"
            + (f" of length {len(validation_data)}" if hasattr(validation_data, "__len__") else "")
            + "."
        )
    if len(validation_data) == 2:
        return validation_data[0], validation_data[1], None
    return tuple(validation_data)


def _distinct(a):
    """The sorted distinct values of an array, as ``np.unique`` gives them.

    (``np.unique`` imports ``numpy.ma`` on first use, which costs more than a
    small ``fit``.)
    """
    s = np.sort(np.asarray(a).reshape(-1))
    if s.size < 2:
        return s
    keep = np.empty(s.shape, bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    if s.dtype.kind in "fc" and np.isnan(s[-1]):  # one NaN, as np.unique(equal_nan=True)
        keep[np.isnan(s)] = False
        keep[np.argmax(np.isnan(s))] = True
    return s[keep]


def _class_weights_to_sample_weights(class_weight, y, sw, dtype, units=None):
    """Per-sample weights from ``class_weight``, by Keras's rule.

    Each row gets the weight of its class (the label, the argmax of a one-hot
    row, or the single column of an ``(n, 1)`` label); a class without a key
    gets 1.0 and keys that are not labels in ``y`` are ignored, as in Keras
    (``class_weight={1: 3.0}`` up-weights class 1 only). When the keys and the
    labels look numbered differently (labels without a key *and* keys without
    a label, e.g. labels 1..3 and keys 0..2) it warns. ``"balanced"`` weights
    each class by ``n_samples / (n_classes * count)``. A ``sample_weight``
    given as well is multiplied in.
    """
    y_arr = np.asarray(y)
    labels = y_arr.argmax(axis=-1) if y_arr.ndim == 2 and y_arr.shape[1] > 1 else y_arr.reshape(-1)
    if labels.dtype.kind == "f":
        if not np.all(np.mod(labels, 1) == 0):
            raise ValueError("class_weight needs class labels, but y has non-integer values.")
        labels = labels.astype(np.int64)
    present = _distinct(labels)
    if present.size == 0:  # no rows: nothing to weigh (fit explains the empty data)
        return np.ones(0, dtype=dtype) if sw is None else np.asarray(sw, dtype=dtype)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"class_weight must be a dict {{class: weight}} or 'balanced'. Got {class_weight!r}."
            )
        counts = np.bincount(labels, minlength=int(present.max()) + 1)
        weights = {int(c): len(labels) / (len(present) * counts[c]) for c in present}
    elif isinstance(class_weight, dict):
        weights = {}
        for key, value in class_weight.items():
            try:
                k = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"class_weight keys must be class indices; got {key!r}.") from None
            weights[k] = float(value)
        n_classes = (2 if units == 1 else units) or int(present.max()) + 1
        wrong = sorted(k for k in weights if not 0 <= k < n_classes)
        if wrong:
            raise ValueError(
                f"class_weight has keys {wrong} that are not classes of this model: its output "
                f"has classes 0 to {n_classes - 1}. Give weights for those classes only "
                f"(the labels in y are {sorted(present.tolist())})."
            )
        missing = sorted(set(present.tolist()) - set(weights))
        unknown = sorted(set(weights) - set(present.tolist()))
        if missing and unknown:
            warnings.warn(
                f"class_weight has keys {unknown} that are not labels in y, and classes "
                f"{missing} of y have no key (they get weight 1.0, as in Keras). The labels are "
                f"{sorted(present.tolist())}: check that the keys use the same numbering.",
                stacklevel=3,
            )
    else:
        raise TypeError(f"class_weight must be a dict or 'balanced'; got {type(class_weight).__name__}.")
    lo, hi = int(min(present.min(), 0)), int(present.max())
    table = np.ones(hi - lo + 1, dtype=dtype)  # classes without a key weigh 1.0
    for k, v in weights.items():
        if lo <= k <= hi:
            table[k - lo] = v
    cw = table[labels - lo]
    return cw if sw is None else (np.asarray(sw, dtype=dtype) * cw)
