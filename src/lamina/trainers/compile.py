"""``compile`` and what it sets up: the loss, the metrics and their logs.

``CompileMixin`` is part of ``Trainer``: ``compile`` resolves the optimizer, the loss
(and, for several outputs, the per-output losses of ``compile_utils.py``), the metrics
(resolved from the shapes at the first ``fit``/``evaluate``), and ``compute_loss`` /
``compute_metrics`` / ``get_metrics_result`` are what the training and test steps call.
"""

from __future__ import annotations

import operator

import numpy as np

from lamina.autodiff import hooks
from lamina.trainers import data as data_module
from lamina.trainers.logs import first, metric_name, pythonify, to_numpy

__all__ = ["CompileMixin"]


class CompileMixin:
    """``compile``, the compiled loss and metrics, and their results."""

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
        names = self._output_names_or_none()
        self._multi = None
        if names is not None and len(names) > 1:
            # Several outputs: losses, weights and metrics per output (compile_utils.py).
            from lamina.trainers.compile_utils import MultiOutput

            self._multi = MultiOutput(self, names, loss, loss_weights, metrics,
                                      weighted_metrics)
            self._loss_fn = None
            self._loss_weight = None
            self._metric_specs, self._weighted_metric_specs = [], []
            self.loss, self.loss_weights = loss, loss_weights
        else:
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
            self._weighted_metric_specs = self._flatten_metric_arg(weighted_metrics,
                                                                   "weighted_metrics")
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
        from lamina import distribute

        if distribute.has_strategy():  # compiled in `with strategy.scope():` (lamina.distribute)
            self.__dict__["_distribute_strategy"] = distribute.get_strategy()

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

        if self._multi is not None:
            shapes = [tuple(t.shape) for t in getattr(self, "outputs", [])] or \
                [None] * len(self._multi.names)
            resolved = self._multi.resolve_metrics(y, shapes)
            self._compile_metrics = [(metric, weighted) for metric, weighted, _ in resolved]
            return

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
                metric.name = unique_metric_name("", metric.name, weighted, taken)
                resolved.append((metric, weighted))
        self._compile_metrics = resolved

    @property
    def metrics(self) -> list:
        """The loss tracker, the compiled metrics and the outputs' losses, then the metrics
        the model's layers hold (a layer updating its own metric in ``call``), as Keras lists
        them."""
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_metrics:
            out.extend(m for m, _ in self._compile_metrics)
        multi = self.__dict__.get("_multi")
        if multi is not None:
            out.extend(multi.trackers.values())
        held = getattr(super(), "metrics", None)
        if held:
            known = {id(m) for m in out}
            out.extend(m for m in held if id(m) not in known)
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
        multi = self.__dict__.get("_multi")
        if multi is not None and y is not None:
            return _plus_penalties(multi.loss(y, y_pred, sample_weight), extra)
        if self._loss_fn is None:
            if not extra:
                raise ValueError(
                    f"Model '{self.name}' has no loss to compute: compile() was given no loss "
                    "and the model adds none of its own. Pass one, e.g. "
                    "model.compile(optimizer='adam', loss='mse'), or override train_step.")
            return _plus_penalties(None, extra)
        if y is None:
            raise ValueError(
                f"Model '{self.name}' got no targets (y) for its loss "
                f"{getattr(self._loss_fn, 'name', self._loss_fn)!r}: pass y=... to fit/evaluate "
                "(or yield (x, y) batches), or override train_step for a model that needs none.")
        loss = self._loss_fn(y, y_pred, sample_weight=sample_weight)
        if self._loss_weight is not None and self._loss_weight != 1.0:
            from lamina import ops

            loss = ops.multiply(loss, loss.dtype.type(self._loss_weight))
        return _plus_penalties(loss, extra)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics for one batch and return their current values.

        The metrics get NumPy arrays (when traced, the engine hands them the arrays).
        """
        multi = self.__dict__.get("_multi")
        if multi is not None:
            multi.update_metrics(y, y_pred, sample_weight)
            return self.get_metrics_result()
        mask = getattr(y_pred, "_keras_mask", None)
        plain = {False: None, True: sample_weight}
        # An output mask weighs the metrics that average per sample, as in Keras.
        masked = plain if mask is None else {
            w: masked_weights(plain[w], mask, y_pred) for w in plain}
        if hooks.active() is None:
            y, y_pred = to_numpy(y), to_numpy(y_pred)
            plain = {k: None if v is None else to_numpy(v) for k, v in plain.items()}
            masked = {k: None if v is None else to_numpy(v) for k, v in masked.items()}
        for metric, weighted in self._compile_metrics or []:
            chosen = masked if getattr(metric, "uses_output_mask", False) else plain
            metric.update_state(y, y_pred, sample_weight=chosen[weighted])
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """The current value of every metric, sorted by name (as Keras logs them).

        Python floats; inside a traced step, the tensors the engine replays.
        """
        if hooks.active() is not None:
            return {m.name: m.result() for m in sorted(self.metrics, key=metric_name)}
        return pythonify({m.name: m.result() for m in self.metrics})


def _plus_penalties(loss, penalties):
    """``loss`` plus the regularization penalties (summed first, in the loss's dtype)."""
    if not penalties:
        return loss
    from lamina import ops

    total = penalties[0]
    for term in penalties[1:]:
        total = ops.add(total, term)
    return total if loss is None else ops.add(loss, ops.cast(total, loss.dtype))


def unique_metric_name(prefix: str, name: str, weighted: bool, taken: set) -> str:
    """Keras's log name of a compiled metric: ``<prefix>_<name>``; a repeated name gets ``_1``,
    ``_2``, ...; a weighted metric whose name is taken becomes ``weighted_<name>``. The name is
    added to ``taken``."""
    join = (lambda n: f"{prefix}_{n}") if prefix else (lambda n: n)
    base = join(name)
    if weighted and base in taken:
        base = join(f"weighted_{name}")
    result, i = base, 0
    while result in taken:
        i += 1
        result = f"{base}_{i}"
    taken.add(result)
    return result


def masked_weights(sample_weight, mask, y_pred):
    """``sample_weight`` times the output's mask (as Keras's metrics apply it), with ops."""
    from lamina import ops
    from lamina.losses.loss import squeeze_or_expand_to_same_rank

    dtype = y_pred.dtype if hasattr(y_pred, "dtype") and y_pred.dtype.kind == "f" else "float32"
    float_mask = ops.cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(
        float_mask, ops.cast(sample_weight, dtype))
    return ops.multiply(sample_weight, float_mask)
