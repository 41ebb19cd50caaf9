"""The ``Trainer`` mixin of ``Model``: ``compile``, ``fit``, ``evaluate``, ``predict``.

``fit`` is a skeleton of callback hooks around ``train_step``; ``evaluate``
and ``predict`` likewise around ``test_step`` and ``predict_step``. The
default ``train_step`` records the forward pass on a ``GradientTape``. Each
step function goes through ``lamina.engine``, which traces it on the first
batches of each signature and then replays the plan; ``run_eagerly=True``
runs it step by step instead, with the same numbers.
"""

from __future__ import annotations

import signal
import sys
import threading
import warnings

import numpy as np

from lamina.autodiff import hooks
from lamina.autodiff.tape import GradientTape
from lamina.autodiff.tensor import Tensor
from lamina.trainers import data as data_module

__all__ = ["Trainer"]


def _to_numpy(out):
    if isinstance(out, Tensor):
        return out.value
    if isinstance(out, (list, tuple)):
        return [_to_numpy(o) for o in out]
    return np.asarray(out)


def _positive_int(value, name, fn):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"The '{name}' argument of {fn} must be a positive integer. Got {value!r} instead."
        )
    return int(value)


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


class Trainer:
    """Mixin that gives a model Keras's training API."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self.run_eagerly = False
        self._compiled_step = None
        self._loss_tracker = None
        self._compile_metrics = []
        self._metric_specs = []
        self._weighted_metric_specs = []

    # -- compile ----------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True, **kwargs):
        """Configure training: the optimizer, the loss and the metrics to report.

        Args:
            optimizer: a name (``"adam"``) or an optimizer object.
            loss: a name (``"mse"``), a loss object, or ``fn(y_true, y_pred)``.
            loss_weights: accepted for compatibility (single-output models).
            metrics: names (``"accuracy"``, ``"mae"``), metric objects or functions;
                reported under the names given.
            weighted_metrics: metrics that also use ``sample_weight``/``class_weight``.
            run_eagerly: run ``train_step``/``test_step``/``predict_step`` step by step on
                the tape, instead of tracing them once per batch signature and replaying
                the plan (``lamina.engine``). Both give the same numbers.
            steps_per_execution, jit_compile, auto_scale_loss: accepted and ignored.

        Example:
            >>> import lamina
            >>> model = lamina.Sequential([lamina.layers.Dense(1, input_shape=[3])])
            >>> model.compile(optimizer="adam", loss="mae")
        """
        from lamina import losses, optimizers
        from lamina import metrics as metrics_module

        for old, new in (("lr", "learning_rate"), ("sample_weight_mode", None),
                         ("target_tensors", None), ("experimental_run_tf_function", None)):
            if old in kwargs:
                kwargs.pop(old)
                if new:
                    raise TypeError(f"compile() got '{old}'; pass it to the optimizer as '{new}'.")
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments: {sorted(kwargs)}.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        # No loss is allowed (a custom train_step may compute its own, as in Keras); the
        # default step then says what is missing.
        self._loss_fn = None if loss is None else losses.get(loss)
        if self._loss_fn is not None and not hasattr(self._loss_fn, "reduction"):
            # a plain function: wrap it as Keras does
            self._loss_fn = losses.LossFunctionWrapper(self._loss_fn, name=getattr(
                self._loss_fn, "__name__", "loss"))
        self.loss_weights = loss_weights
        self._metric_specs = self._flatten_metric_arg(metrics, "metrics")
        self._weighted_metric_specs = self._flatten_metric_arg(weighted_metrics, "weighted_metrics")
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_metrics = None  # resolved at the first fit/evaluate (needs output shape)
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = jit_compile
        self._compiled_step = None
        self.__dict__["_compiled_test"] = None
        self.__dict__["_compiled_predict"] = None
        self.compiled = True
        self.stop_training = False

    @staticmethod
    def _flatten_metric_arg(metrics, name):
        if metrics is None:
            return []
        if isinstance(metrics, dict):
            raise TypeError(
                f"{name} as a dict is for models with named outputs, which lamina does not "
                f"support yet; pass a list, e.g. {name}=['accuracy']."
            )
        if isinstance(metrics, (str,)) or callable(metrics) and not isinstance(metrics, list):
            metrics = [metrics]
        return list(metrics)

    def _resolve_metrics(self, y=None, x=None):
        """Create the compiled metrics; ``'accuracy'`` is resolved from label and output shapes."""
        if self._compile_metrics is not None:
            return
        from lamina import metrics as metrics_module

        y_shape = np.shape(_first(y)) if y is not None else None
        try:
            out_shape = tuple(self.compute_output_shape(self._input_batch_shape()))
        except Exception:  # noqa: BLE001 - fall back to running the model once, as Keras does
            out_shape = np.shape(_first(_to_numpy(self(data_module.take(x, slice(0, 2)), training=False)))) \
                if x is not None else None
        if out_shape is not None and y_shape:
            out_shape = (y_shape[0],) + tuple(out_shape[1:])
        elif y_shape is None:
            y_shape = out_shape
        resolved, taken = [], set()
        for specs, weighted in ((self._metric_specs, False), (self._weighted_metric_specs, True)):
            for spec in specs:
                metric = metrics_module.get_metric(spec, y_true_shape=y_shape, y_pred_shape=out_shape)
                # Keras's log names: a repeated name gets _1, _2, ...; a weighted metric whose
                # name is taken becomes weighted_<name>.
                base = metric.name
                if weighted and base in taken:
                    base = f"weighted_{base}"
                name, i = base, 0
                while name in taken:
                    i += 1
                    name = f"{base}_{i}"
                metric.name = name
                taken.add(name)
                resolved.append((metric, weighted))
        self._compile_metrics = resolved

    @property
    def metrics(self) -> list:
        """The loss tracker and the compiled metrics, as Keras lists them."""
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_metrics:
            out.extend(m for m, _ in self._compile_metrics)
        return out

    @property
    def metrics_names(self) -> list:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Reset the loss tracker and every compiled metric."""
        for m in self.metrics:
            m.reset_state()

    def _assert_compiled(self, fn):
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() before {fn}(). For example: "
                "model.compile(optimizer='adam', loss='mse', metrics=['mae'])."
            )

    # -- losses and metrics -------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of ``y_pred`` against ``y`` plus the models' regularization losses."""
        extra = self.losses
        if self._loss_fn is None:
            if not extra:
                raise ValueError(
                    f"Model '{self.name}' has no loss to compute: compile() was given no loss "
                    "and the model adds none of its own. Pass one, e.g. "
                    "model.compile(optimizer='adam', loss='mse'), or override train_step.")
            from lamina import ops

            total = extra[0]
            for term in extra[1:]:
                total = ops.add(total, term)
            return total
        if y is None:
            raise ValueError(
                f"Model '{self.name}' got no targets (y) for its loss "
                f"{getattr(self._loss_fn, 'name', self._loss_fn)!r}: pass y=... to fit/evaluate "
                "(or yield (x, y) batches), or override train_step for a model that needs none.")
        loss = self._loss_fn(y, y_pred, sample_weight=sample_weight)
        if extra:
            from lamina import ops

            total = extra[0]
            for term in extra[1:]:
                total = ops.add(total, term)
            loss = ops.add(loss, ops.cast(total, loss.dtype))
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics for one batch and return their current values.

        The metrics get NumPy arrays (when traced, the engine hands them the arrays).
        """
        if hooks.active() is None:
            y, y_pred = _to_numpy(y), _to_numpy(y_pred)
            sample_weight = None if sample_weight is None else _to_numpy(sample_weight)
        for metric, weighted in self._compile_metrics or []:
            metric.update_state(y, y_pred, sample_weight=sample_weight if weighted else None)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """The current value of every metric, sorted by name (as Keras logs them).

        Python floats; inside a traced step, the tensors the engine replays.
        """
        if hooks.active() is not None:
            return {m.name: m.result() for m in sorted(self.metrics, key=_name)}
        return pythonify({m.name: m.result() for m in self.metrics})

    # -- steps ----------------------------------------------------------------------
    def train_step(self, data):
        """One optimization step on a batch; override to customise.

        ``data`` is what Keras passes: ``(x, y)``, ``(x, y, sample_weight)`` when
        there are sample weights, or ``x`` alone when there is no target
        (``keras.utils.unpack_x_y_sample_weight`` takes any of them apart).
        """
        x, y, sample_weight = data_module.unpack(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        variables = self.trainable_variables
        grads = tape.gradient(loss, variables)
        self.optimizer.apply(grads, variables)  # also applies the variables' constraints
        self._loss_tracker.update_state(loss, sample_weight=_batch_len(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics on one batch without updating weights; override to customise."""
        x, y, sample_weight = data_module.unpack(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=_batch_len(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """Outputs for one batch (``x``, or ``(x,)`` for a list of inputs); override to customise."""
        x, _, _ = data_module.unpack(data)
        return self(x, training=False)

    def _engine_function(self, attr, method, what):
        """The engine's traced version of ``method`` (or ``method`` itself with ``run_eagerly``).

        Kept in ``attr`` while the model's trainable variables and optimizer stay
        the same; a plan freezes both (as a compiled Keras step does).
        """
        key = (id(self.optimizer), tuple(map(id, self.trainable_variables)),
               bool(getattr(self, "run_eagerly", False)))
        cached = self.__dict__.get(attr)
        if cached is not None and cached[0] == key:
            return cached[1]
        if getattr(self, "run_eagerly", False):
            fn = method
        else:
            from lamina import engine

            fn = engine.Function(method, name=f"the {what} of model '{self.name}'")
        self.__dict__[attr] = (key, fn)
        return fn

    def make_train_function(self, force=False):
        """The function ``fit`` calls per batch: ``train_step``, traced and replayed by the engine.

        The trainable variables are first laid out back to back in one buffer, so
        that the optimizer updates all of them in a few calls per step.
        """
        from lamina.engine.layout import consolidate

        if force:
            self.__dict__["_compiled_step"] = None
        consolidate(self.trainable_variables)
        return self._engine_function("_compiled_step", self.train_step, "train step")

    # -- data preparation ------------------------------------------------------------
    def _prepare_targets(self, y):
        """Cast float labels to the model's dtype once, not per batch."""
        if isinstance(y, np.ndarray) and y.dtype.kind == "f" and y.dtype != self.dtype:
            return y.astype(self.dtype)
        if isinstance(y, np.ndarray) and y.dtype.kind == "b":
            return y.astype(self.dtype)
        return y

    def _prepare_inputs(self, x):
        """Cast inputs to the model's dtype and match the input rank, once per fit (not per batch)."""
        return self._adapt_array(x) if isinstance(x, np.ndarray) else x

    def _output_units(self):
        """The size of the output's last axis, or ``None`` when not known yet."""
        try:
            return int(self.compute_output_shape(self._input_batch_shape())[-1])
        except Exception:  # noqa: BLE001 - unbuilt or custom models
            return None

    def _ensure_built(self, first_batch):
        if not self.built:
            x = first_batch
            if hasattr(self, "_build_on_data"):
                self._build_on_data(self._standardize_input(x))
            else:
                self(x)

    # -- fit ------------------------------------------------------------------------------
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
        batch_size = 32 if batch_size is None else _positive_int(batch_size, "batch_size", "fit")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"The 'epochs' argument of fit must be a non-negative integer. Got {epochs!r}.")
        if not 0.0 <= float(validation_split) < 1.0:
            raise ValueError(
                f"The 'validation_split' argument of fit must be in [0, 1). Got {validation_split!r}."
            )
        verbose = _resolve_verbose(verbose)
        stream = data_module.is_stream(x)
        columns = list(x.columns) if hasattr(x, "columns") else None

        # Data: arrays are converted and cast once, before the first epoch.
        if stream:
            if validation_split:
                raise ValueError(
                    "validation_split is not available when x is a generator or PyDataset; "
                    "pass validation_data instead."
                )
            train = data_module.make_data(x, y, None, batch_size, False, steps_per_epoch)
            val_arrays = None
        else:
            xa = data_module.as_arrays(x, "x")
            ya = None if y is None else data_module.as_arrays(y, "y")
            if ya is None and type(self).train_step is Trainer.train_step and \
                    self._loss_fn is not None:
                raise ValueError(
                    "fit() needs labels: pass y=... (or yield (x, y) batches from a generator)."
                )
            sw = data_module.as_sample_weight(sample_weight, self.dtype)
            data_module.check_samples(xa, ya, sw)
            val_arrays = None
            if validation_split:
                (xa, ya, sw), val_arrays, split_at = data_module.split_validation(
                    xa, ya, sw, float(validation_split))
                n_total = len(_first(xa)) + len(_first(val_arrays[0]))
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
        step_fn = self.make_train_function()
        val_data = None
        if val_arrays is not None:
            vx, vy, vsw = val_arrays
            if data_module.is_stream(vx):
                val_data = data_module.make_data(vx, None, None, validation_batch_size or batch_size,
                                                 False, validation_steps)
            else:
                vx = self._prepare_inputs(data_module.as_arrays(vx, "validation x"))
                vy = self._prepare_targets(data_module.as_arrays(vy, "validation y"))
                val_data = data_module.ArrayData(vx, vy, data_module.as_sample_weight(vsw),
                                                 batch_size=validation_batch_size or batch_size,
                                                 steps=validation_steps)

        cbs = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.steps,
        )
        needs_batch_logs = getattr(cbs, "needs_batch_logs", True)
        calls_batch_begin = getattr(cbs, "needs_batch_begin", True)
        # With no callback looking at single batches (a live progress bar only needs the
        # logs of the batches it draws), the engine runs each epoch of in-memory data.
        run_epoch = progress = None
        if not calls_batch_begin and isinstance(train, data_module.ArrayData):
            if not needs_batch_logs or getattr(cbs, "batch_logs_only_drawn", False):
                run_epoch = getattr(step_fn, "run_batches", None)
                progress = cbs if needs_batch_logs else None
        self.stop_training = False
        logs = {}
        cbs.on_train_begin()
        # A callback (BackupAndRestore) may resume an interrupted run, as in Keras.
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
        self._initial_epoch = None
        with _Interrupt() as interrupt:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                steps_done = None
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
                logs = self.get_metrics_result()
                if val_data is not None and (epoch + 1) % int(validation_freq) == 0 and not interrupt.requested:
                    val_logs = self._evaluate_data(val_data, cbs)
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
            yt = np.asarray(_first(y_train))
            yv = np.asarray(_first(y_val))
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
    def _evaluate_data(self, data, callbacks=None) -> dict:
        self.reset_metrics()
        batch_hooks = callbacks is not None and getattr(callbacks, "has_test_batch_hooks", True)
        if callbacks is not None:
            callbacks.on_test_begin()
        test_step = self._test_function()
        run_batches = getattr(test_step, "run_batches", None)
        batches = data.batches()
        if run_batches is not None and not batch_hooks and isinstance(data, data_module.ArrayData):
            x, y, sw = data.epoch_arrays()
            run_batches((data_module.pack(x, y, sw),), data.batch_size,
                        min(data.steps * data.batch_size, data.n))
            batches = ()  # every batch ran, through the engine
        for step, batch in enumerate(batches):
            if batch_hooks:
                callbacks.on_test_batch_begin(step)
            result = test_step(batch)
            if batch_hooks:
                callbacks.on_test_batch_end(step, self._batch_logs(result))
        logs = self.get_metrics_result()
        if callbacks is not None:
            callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on ``x``/``y``.

        Returns:
            The loss alone if there are no metrics, else ``[loss, metric, ...]``;
            with ``return_dict=True`` a dict keyed by name.
        """
        from lamina import callbacks as callbacks_module

        self._assert_compiled("evaluate")
        batch_size = 32 if batch_size is None else _positive_int(batch_size, "batch_size", "evaluate")
        verbose = _resolve_verbose(verbose)
        data = data_module.make_data(x, y, sample_weight, batch_size, False, steps)
        if isinstance(data, data_module.ArrayData):
            data.x = self._prepare_inputs(data.x)
            data.y = self._prepare_targets(data.y)
            if data.y is None and type(self).test_step is Trainer.test_step and \
                    self._loss_fn is not None:
                raise ValueError("evaluate() needs labels: pass y=... as well as x.")
        self._ensure_built(data.first_batch())
        self._resolve_metrics(getattr(data, "y", None), data.first_batch())
        cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                            verbose=verbose, epochs=1, steps=data.steps)
        logs = self._evaluate_data(data, cbs)
        return _logs_out(logs, self, return_dict)

    # -- predict ----------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` (array, list, DataFrame, tensor or generator), in batches.

        Returns:
            A NumPy array (a list of arrays for several outputs).
        """
        batch_size = 32 if batch_size is None else _positive_int(batch_size, "batch_size", "predict")
        if data_module.is_stream(x):
            data = data_module.make_data(x, None, None, batch_size, False, steps)
            batches = (data_module.pack(data_module.unpack(b)[0]) for b in data.batches())
        else:
            arr = data_module.as_arrays(x, "x")
            n = len(_first(arr))
            if n == 0:
                raise ValueError("predict() received no data (0 rows).")
            count = -(-n // batch_size) if steps is None else min(int(steps), -(-n // batch_size))
            batches = (data_module.pack(data_module.take(arr, slice(i * batch_size,
                                                                    (i + 1) * batch_size)))
                       for i in range(count))
        step = self._predict_function()
        outputs = [step(b) for b in batches]
        if not outputs:
            raise ValueError("predict() received no batches.")
        if isinstance(outputs[0], list):
            return [np.concatenate(parts) for parts in zip(*outputs)]
        return outputs[0].copy() if len(outputs) == 1 else np.concatenate(outputs)

    def _test_function(self):
        """``test_step``, traced and replayed by the engine."""
        return self._engine_function("_compiled_test", self.test_step, "test step")

    def _predict_function(self):
        """``predict_step`` as a function of one batch returning NumPy arrays."""
        key = "_compiled_predict"
        step = self._engine_function("_compiled_predict_step", self.predict_step, "predict step")
        cached = self.__dict__.get(key)
        if cached is not None and cached[0] is step:
            return cached[1]

        def fn(batch):
            if isinstance(batch, np.ndarray) and self.built:
                self._check_input_data(self._adapt_array(batch))
            return _to_numpy(step(batch))

        self.__dict__[key] = (step, fn)
        return fn

    # -- single batches -------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss (and metrics) of that batch."""
        self._assert_compiled("train_on_batch")
        xa = self._prepare_inputs(data_module.as_arrays(x, "x"))
        ya = self._prepare_targets(data_module.as_arrays(y, "y"))
        sw = data_module.as_sample_weight(sample_weight, self.dtype)
        if class_weight is not None:
            sw = _class_weights_to_sample_weights(class_weight, ya, sw, self.dtype,
                                                  self._output_units())
        self._ensure_built(xa)
        if hasattr(self, "_check_input_data"):
            self._check_input_data(xa)  # the first layer's explanation, not a NumPy error
        self._resolve_metrics(ya, xa)
        self.reset_metrics()
        result = self.make_train_function()(data_module.pack(xa, ya, sw))
        logs = result if isinstance(result, dict) else self.get_metrics_result()
        return _logs_out(logs, self, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of one batch, without training."""
        self._assert_compiled("test_on_batch")
        xa = self._prepare_inputs(data_module.as_arrays(x, "x"))
        ya = self._prepare_targets(data_module.as_arrays(y, "y"))
        self._ensure_built(xa)
        if hasattr(self, "_check_input_data"):
            self._check_input_data(xa)
        self._resolve_metrics(ya, xa)
        self.reset_metrics()
        self.test_step(data_module.pack(xa, ya, data_module.as_sample_weight(sample_weight)))
        return _logs_out(self.get_metrics_result(), self, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch ``x`` as NumPy arrays."""
        return _to_numpy(self.predict_step(data_module.pack(data_module.as_arrays(x, "x")))).copy()


def _logs_out(logs, model, return_dict):
    if return_dict:
        return logs
    ordered = [logs["loss"]] + [logs[m.name] for m, _ in (model._compile_metrics or [])]
    return ordered[0] if len(ordered) == 1 else ordered


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


def _name(metric):
    return metric.name


def pythonify(logs) -> dict:
    """Logs as Keras hands them to callbacks: sorted by name, numbers as Python floats."""
    out = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            out.update(pythonify(value))
            continue
        try:
            value = float(np.asarray(_to_numpy(value)))
        except (TypeError, ValueError):
            pass
        out[key] = value
    return out


def _first(a):
    return a[0] if isinstance(a, list) else a


def _batch_len(x) -> int:
    x = _first(x)
    return int(x.shape[0]) if hasattr(x, "shape") and len(x.shape) else 1


def _resolve_verbose(verbose):
    if verbose == "auto":
        from lamina.utils.progbar import resolve_verbose

        return resolve_verbose(verbose)
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"The 'verbose' argument must be 'auto', 0, 1 or 2. Got {verbose!r} instead.")
    return int(verbose)


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
