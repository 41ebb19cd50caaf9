"""The ``Trainer`` mixin of ``Model``: ``compile``, ``fit``, ``evaluate``, ``predict``.

``fit`` is a skeleton of callback hooks around ``train_step``; ``evaluate``
and ``predict`` likewise around ``test_step`` and ``predict_step``. The
default ``train_step`` records the forward pass on a ``GradientTape``. Each
step function goes through ``lamina.engine``, which traces it on the first
batches of each signature and then replays the plan; ``run_eagerly=True``
runs it step by step instead, with the same numbers.
"""

from __future__ import annotations

import operator

import numpy as np

from lamina.autodiff import hooks
from lamina.autodiff.tape import GradientTape
from lamina.trainers import data as data_module

__all__ = ["Trainer"]

from lamina.trainers.fit import FitMixin, _class_weights_to_sample_weights
from lamina.trainers.keras_api import KerasTrainerAPI
from lamina.trainers.logs import (
    batch_len,
    first,
    logs_out,
    metric_name,
    positive_int,
    pythonify,
    resolve_verbose,
    to_numpy,
)


class Trainer(FitMixin, KerasTrainerAPI):
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
            steps_per_execution, jit_compile, auto_scale_loss: accepted (and reported by
                the attributes of the same names); the engine decides how steps run.

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
        loss = self._single_output_loss(loss)
        self.loss = loss
        # No loss is allowed (a custom train_step may compute its own, as in Keras); the
        # default step then says what is missing.
        self._loss_fn = None if loss is None else losses.get(loss)
        if self._loss_fn is not None and not hasattr(self._loss_fn, "reduction"):
            # a plain function: wrap it as Keras does
            self._loss_fn = losses.LossFunctionWrapper(self._loss_fn, name=getattr(
                self._loss_fn, "__name__", "loss"))
        self.loss_weights = loss_weights
        self._loss_weight = self._single_loss_weight(loss_weights)
        self._metric_specs = self._flatten_metric_arg(metrics, "metrics")
        self._weighted_metric_specs = self._flatten_metric_arg(weighted_metrics, "weighted_metrics")
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_metrics = None  # resolved at the first fit/evaluate (needs output shape)
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = jit_compile
        try:
            steps = operator.index(steps_per_execution)
        except TypeError:
            steps = 0
        if isinstance(steps_per_execution, bool) or steps < 1:
            raise ValueError(f"compile(steps_per_execution=...) must be an integer >= 1; got "
                             f"{steps_per_execution!r}.")
        self.steps_per_execution = steps
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

        y_shape = np.shape(first(y)) if y is not None else None
        try:
            out_shape = tuple(self.compute_output_shape(self._input_batch_shape()))
        except Exception:  # noqa: BLE001 - fall back to running the model once, as Keras does
            out_shape = np.shape(first(to_numpy(self(data_module.take(x, slice(0, 2)), training=False)))) \
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
        if self._loss_weight is not None and self._loss_weight != 1.0:
            from lamina import ops

            loss = ops.multiply(loss, loss.dtype.type(self._loss_weight))
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
            y, y_pred = to_numpy(y), to_numpy(y_pred)
            sample_weight = None if sample_weight is None else to_numpy(sample_weight)
        for metric, weighted in self._compile_metrics or []:
            metric.update_state(y, y_pred, sample_weight=sample_weight if weighted else None)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """The current value of every metric, sorted by name (as Keras logs them).

        Python floats; inside a traced step, the tensors the engine replays.
        """
        if hooks.active() is not None:
            return {m.name: m.result() for m in sorted(self.metrics, key=metric_name)}
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
        self._loss_tracker.update_state(loss, sample_weight=batch_len(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics on one batch without updating weights; override to customise."""
        x, y, sample_weight = data_module.unpack(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=batch_len(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """Outputs for one batch (``x``, or ``(x,)`` for a list of inputs); override to customise."""
        x, _, _ = data_module.unpack(data)
        return self(x, training=False)

    def _custom_train_step(self) -> bool:
        return type(self).train_step is not Trainer.train_step

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
        batch_size = 32 if batch_size is None else positive_int(batch_size, "batch_size", "evaluate")
        verbose = resolve_verbose(verbose)
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
        return logs_out(logs, self, return_dict)

    # -- predict ----------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` (array, list, DataFrame, tensor or generator), in batches.

        Returns:
            A NumPy array (a list of arrays for several outputs).
        """
        batch_size = 32 if batch_size is None else positive_int(batch_size, "batch_size", "predict")
        if data_module.is_stream(x):
            data = data_module.make_data(x, None, None, batch_size, False, steps)
            batches = (data_module.pack(data_module.unpack(b)[0]) for b in data.batches())
        else:
            arr = data_module.as_arrays(x, "x")
            n = len(first(arr))
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
            return to_numpy(step(batch))

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
        return logs_out(logs, self, return_dict)

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
        return logs_out(self.get_metrics_result(), self, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch ``x`` as NumPy arrays."""
        return to_numpy(self.predict_step(data_module.pack(data_module.as_arrays(x, "x")))).copy()
