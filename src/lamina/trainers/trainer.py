"""The ``Trainer`` mixin of ``Model``: ``compile``, ``fit``, ``evaluate``, ``predict``.

``fit`` is a skeleton of callback hooks around ``train_step``; ``evaluate``
and ``predict`` likewise around ``test_step`` and ``predict_step``. The
default ``train_step`` records the forward pass on a ``GradientTape``. Each
step function goes through ``lamina.engine``, which traces it on the first
batches of each signature and then replays the plan; ``run_eagerly=True``
runs it step by step instead, with the same numbers.
"""

from __future__ import annotations

import numpy as np

from lamina import tree
from lamina.autodiff.tape import GradientTape
from lamina.trainers import data as data_module

__all__ = ["Trainer"]

from lamina.trainers.compile import CompileMixin
from lamina.trainers.fit import FitMixin, _class_weights_to_sample_weights
from lamina.trainers.keras_api import KerasTrainerAPI
from lamina.trainers.logs import (
    batch_len,
    first,
    logs_out,
    positive_int,
    resolve_verbose,
    to_numpy,
)


class Trainer(FitMixin, CompileMixin, KerasTrainerAPI):
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

    def _takes_text(self) -> bool:
        """Whether an ``Input`` of the model is a string input (text arrays may come in)."""
        return any(getattr(t, "dtype", None) == "string"
                   for t in tree.flatten(getattr(self, "inputs", None) or []))

    def _prepare_inputs(self, x):
        """Cast inputs to the model's dtype and match the input rank, once per fit (not per batch)."""
        return self._adapt_array(x) if isinstance(x, np.ndarray) else x

    def _output_units(self):
        """The size of the output's last axis, or ``None`` when not known yet."""
        try:
            return int(self.compute_output_shape(self._input_batch_shape())[-1])
        except Exception:  # noqa: BLE001 - unbuilt or custom models
            return None

    def _check_batch_memory(self, rows, what, training):
        """Refuse a batch too large for memory before the first step allocates it."""
        from lamina.trainers.data_checks import check_batch_memory

        check_batch_memory(self, rows, what, training)

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
        custom = type(self).test_step is not Trainer.test_step  # its logs may name other keys
        result = None
        if run_batches is not None and not batch_hooks and isinstance(data, data_module.ArrayData) \
                and not custom:
            x, y, sw = data.epoch_arrays()
            run_batches((data_module.pack(x, y, sw),), data.batch_size,
                        min(data.steps * data.batch_size, data.n))
            batches = ()  # every batch ran, through the engine
            ran = min(data.steps * data.batch_size, data.n) > 0
        else:
            ran = False
        for step, batch in enumerate(batches):
            ran = True
            if batch_hooks:
                callbacks.on_test_batch_begin(step)
            result = test_step(batch)
            if batch_hooks:
                callbacks.on_test_batch_end(step, self._batch_logs(result))
        sync = self.__dict__.get("_distribute_sync")
        if sync is not None:  # fit's validation, split over the replicas (lamina.distribute)
            sync.sum_metrics(self)
        logs = self._metrics_or_step_logs(result)
        self._evaluated_nothing = not ran  # (fit leaves an empty validation set out of its logs)
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
        given = batch_size
        batch_size = 32 if batch_size is None else positive_int(batch_size, "batch_size", "evaluate")
        if steps is not None:
            steps = positive_int(steps, "steps", "evaluate")
        verbose = resolve_verbose(verbose)
        data = data_module.make_data(x, y, sample_weight,
                                     given if data_module.is_stream(x) else batch_size, False,
                                     steps, self._takes_text())
        arrays = isinstance(data, data_module.ArrayData)
        if arrays:
            if data.n == 0:
                raise ValueError(
                    "evaluate() received no data (0 rows): x has shape "
                    f"{getattr(first(data.x), 'shape', None)}. Pass at least one sample.")
            data.x = self._prepare_inputs(data.x)
            data.y = self._prepare_targets(data.y)
            if data.y is None and type(self).test_step is Trainer.test_step and \
                    self._loss_fn is not None:
                raise ValueError("evaluate() needs labels: pass y=... as well as x.")
        self._ensure_built(data.first_batch())
        if arrays:
            from lamina.trainers import checks

            data.x = self._prepare_inputs(data.x)  # now that the input shape is known
            if hasattr(self, "_check_input_data"):
                self._check_input_data(data.x)
            self._check_batch_memory(min(data.batch_size, data.n), "evaluate()", False)
            checks.check_before_fit(self, self._loss_fn, data.x, data.y, warn=False)
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
        given = batch_size
        batch_size = 32 if batch_size is None else positive_int(batch_size, "batch_size", "predict")
        if steps is not None:
            steps = positive_int(steps, "steps", "predict")
        if data_module.is_stream(x):
            data = data_module.make_data(x, None, None, given, False, steps,
                                         self._takes_text())
            batches = (data_module.pack(data_module.unpack(b)[0]) for b in data.batches())
        else:
            arr = data_module.as_arrays(x, "x", self._takes_text())
            n = len(first(arr))
            if n == 0:
                raise ValueError("predict() received no data (0 rows).")
            if self.built:
                self._check_batch_memory(min(batch_size, n), "predict()", False)
            count = -(-n // batch_size) if steps is None else min(int(steps), -(-n // batch_size))
            batches = (data_module.pack(data_module.take(arr, slice(i * batch_size,
                                                                    (i + 1) * batch_size)))
                       for i in range(count))
        step = self._predict_function()
        outputs = [step(b) for b in batches]
        if not outputs:
            raise ValueError("predict() received no batches.")
        if tree.is_nested(outputs[0]):  # several outputs: each concatenated over the batches
            columns = zip(*(tree.flatten(o) for o in outputs))
            return tree.pack_sequence_as(outputs[0], [np.concatenate(c) for c in columns])
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
        xa = self._prepare_inputs(data_module.as_arrays(x, "x", self._takes_text()))
        ya = self._prepare_targets(data_module.as_arrays(y, "y"))
        sw = data_module.as_sample_weight(sample_weight, self.dtype)
        if class_weight is not None:
            sw = _class_weights_to_sample_weights(class_weight, ya, sw, self.dtype,
                                                  self._output_units())
        self._ensure_built(xa)
        if hasattr(self, "_check_input_data"):
            self._check_input_data(xa)  # the first layer's explanation, not a NumPy error
        self._check_batch_once(xa, ya)
        self._resolve_metrics(ya, xa)
        self.reset_metrics()
        result = self.make_train_function()(data_module.pack(xa, ya, sw))
        logs = result if isinstance(result, dict) else self.get_metrics_result()
        # Python numbers, as Keras returns them (the step's own values may be Tensors).
        logs = {k: float(to_numpy(v)) if np.size(to_numpy(v)) == 1 else to_numpy(v)
                for k, v in logs.items()}
        return logs_out(logs, self, return_dict)

    def _check_batch_once(self, x, y):
        """The labels' checks of ``fit`` for one batch, once per signature of shapes."""
        if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
            return
        key = (x.shape[1:], y.shape[1:], id(self._loss_fn))
        if self.__dict__.get("_batch_checked") == key:
            return
        from lamina.trainers import checks

        checks.check_before_fit(self, self._loss_fn, x, y, warn=False)
        self.__dict__["_batch_checked"] = key

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of one batch, without training."""
        self._assert_compiled("test_on_batch")
        xa = self._prepare_inputs(data_module.as_arrays(x, "x", self._takes_text()))
        ya = self._prepare_targets(data_module.as_arrays(y, "y"))
        self._ensure_built(xa)
        if hasattr(self, "_check_input_data"):
            self._check_input_data(xa)
        self._check_batch_once(xa, ya)
        self._resolve_metrics(ya, xa)
        self.reset_metrics()
        self.test_step(data_module.pack(xa, ya, data_module.as_sample_weight(sample_weight)))
        return logs_out(self.get_metrics_result(), self, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch ``x`` as NumPy arrays."""
        return to_numpy(self.predict_step(data_module.pack(data_module.as_arrays(x, "x", self._takes_text())))).copy()
