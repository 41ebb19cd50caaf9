"""``compile``'s losses and metrics for models with several outputs, as Keras resolves them.

A model with one output keeps the plain path of ``Trainer`` (one loss function, metrics
named as given). With several outputs (a list or dict of them):

* ``loss`` is one loss for every output, a list with one per output (``None`` for none),
  or a dict keyed by output name; ``loss_weights`` is a number, a list or a dict alike;
* the total loss is the weighted sum of the outputs' losses (plus the regularization
  penalties), and each output's unweighted loss is tracked as ``"<output>_loss"``;
* ``metrics`` (and ``weighted_metrics``) is a list with one entry per output (a metric
  or a list of them) or a dict keyed by output name; their logs are named
  ``"<output>_<metric>"``;
* targets and sample weights come as a list in the outputs' order or a dict keyed by
  output name (a single sample weight applies to every output).
"""

from __future__ import annotations

from lamina import tree

__all__ = ["MultiOutput"]


def _is_nested_spec(value) -> bool:
    return isinstance(value, (list, tuple)) or (isinstance(value, dict) and
                                               "class_name" not in value)


class MultiOutput:
    """The per-output losses, weights and metrics of a model with several outputs."""

    def __init__(self, model, names, loss, loss_weights, metrics, weighted_metrics):
        self.model = model
        self.names = list(names)
        n = len(self.names)
        self.losses = self._per_output("loss", loss, n, allow_single=True)
        weights = self._per_output("loss_weights", loss_weights, n, allow_single=True)
        self.weights = [None if w is None else float(w) for w in weights]
        self.metric_specs = self._per_output("metrics", metrics, n, allow_single=False)
        self.weighted_specs = self._per_output("weighted_metrics", weighted_metrics, n,
                                               allow_single=False)
        self.loss_fns = [None if spec is None else _loss_function(spec) for spec in self.losses]
        if all(fn is None for fn in self.loss_fns) and loss is not None:
            raise ValueError(f"compile(loss={loss!r}) gives none of the outputs {self.names} a "
                             "loss.")
        from lamina import metrics as metrics_module

        active = [i for i, fn in enumerate(self.loss_fns) if fn is not None]
        self.trackers = {i: metrics_module.Mean(name=f"{self.names[i]}_loss") for i in active} \
            if len(active) > 1 else {}
        self.resolved = None  # [(metric, weighted, output index)] once shapes are known

    # -- arguments per output -------------------------------------------------------------
    def _per_output(self, what, value, n, allow_single):
        if value is None:
            return [None] * n
        if isinstance(value, dict) and "class_name" not in value:
            unknown = sorted(set(value) - set(self.names))
            if unknown:
                raise ValueError(
                    f"compile({what}=...) is keyed by {sorted(value)}, but the model's outputs "
                    f"are named {self.names}: {unknown} match no output. Key it by output "
                    "name.")
            if what == "loss" and set(value) != set(self.names) and not isinstance(
                    self.model_output_struct(), dict):
                raise ValueError(
                    f"compile(loss=...) must give a loss for every output {self.names} (None "
                    f"for an output without one); got keys {sorted(value)}.")
            return [value.get(name) for name in self.names]
        if isinstance(value, (list, tuple)):
            if len(value) != n:
                raise ValueError(
                    f"compile({what}=...) got a list of {len(value)} entries but the model has "
                    f"{n} outputs {self.names}: give one entry per output (None for none), or a "
                    "dict keyed by output name.")
            return list(value)
        if allow_single:
            return [value] * n
        raise ValueError(
            f"compile({what}=...) for a model with {n} outputs {self.names} must be a list with "
            f"one entry per output (a metric, a list of metrics, or None) or a dict keyed by "
            f"output name, e.g. {what}={{{self.names[0]!r}: ['mae']}}; got {value!r}.")

    def model_output_struct(self):
        return getattr(self.model, "_outputs_struct", None)

    # -- matching data to outputs ------------------------------------------------------------
    def flat(self, what, value, y_pred_flat_count):
        """``value`` (targets or sample weights) as one entry per output, in output order."""
        n = len(self.names)
        if value is None:
            return [None] * n
        if isinstance(value, dict):
            missing = [name for i, name in enumerate(self.names)
                       if name not in value and (what != "targets" or self.loss_fns[i]
                                                 is not None or self._has_metrics(i))]
            if missing:
                raise ValueError(
                    f"The {what} are a dict with keys {sorted(value)}, but the model's outputs "
                    f"are named {self.names}: missing {missing}.")
            return [value.get(name) for name in self.names]
        active = [i for i, fn in enumerate(self.loss_fns) if fn is not None]
        if isinstance(value, (list, tuple)):
            if len(value) == n:
                return list(value)
            if what == "targets" and len(value) == len(active):
                return self._to_active(list(value), active)
            raise ValueError(
                f"The model has {n} outputs {self.names} but the {what} are a list of "
                f"{len(value)}: give one per output, in order, or a dict keyed by output "
                "name." + self._active_hint(what, active))
        if what == "sample weights":
            return [value] * n  # one weight per sample for every output, as Keras does
        if len(active) == 1:  # e.g. loss=["mse", None]: the one target is the one loss's
            return self._to_active([value], active)
        raise ValueError(
            f"The model has {n} outputs {self.names} but got one array of {what}: give a list "
            "with one per output, or a dict keyed by output name." +
            self._active_hint(what, active))

    def _to_active(self, values, active):
        """Targets given only for the outputs with a loss (Keras's rule when ``loss`` has
        ``None`` entries): the i-th target goes to the i-th output that has a loss."""
        flat = [None] * len(self.names)
        for i, v in zip(active, values):
            flat[i] = v
        return flat

    def _active_hint(self, what, active):
        if what != "targets" or len(active) == len(self.names):
            return ""
        named = [self.names[i] for i in active]
        return (f" (Targets for only the outputs with a loss, {named}, in that order, are "
                "accepted too.)")

    def _has_metrics(self, i):
        return bool(self.metric_specs[i]) or bool(self.weighted_specs[i])

    def flat_predictions(self, y_pred):
        if isinstance(y_pred, dict):
            return [y_pred[name] for name in self.names]
        return tree.flatten(y_pred)

    # -- loss --------------------------------------------------------------------------------
    def loss(self, y, y_pred, sample_weight):
        from lamina import ops

        preds = self.flat_predictions(y_pred)
        targets = self.flat("targets", y, len(preds))
        weights = self.flat("sample weights", sample_weight, len(preds))
        total = None
        for i, fn in enumerate(self.loss_fns):
            if fn is None:
                continue
            if targets[i] is None:
                raise ValueError(f"Output '{self.names[i]}' has a loss but got no targets.")
            value = fn(targets[i], preds[i], sample_weight=weights[i])
            tracker = self.trackers.get(i)
            if tracker is not None:
                tracker.update_state(value, sample_weight=_rows(preds[i]))
            if self.weights[i] is not None and self.weights[i] != 1.0:
                value = ops.multiply(value, value.dtype.type(self.weights[i]))
            total = value if total is None else ops.add(total, ops.cast(value, total.dtype))
        return total

    # -- metrics ---------------------------------------------------------------------------
    def resolve_metrics(self, y, y_pred_shapes):
        """The metric objects, named ``<output>_<metric>`` (Keras's names and repeats)."""
        if self.resolved is not None:
            return self.resolved
        from lamina import metrics as metrics_module
        from lamina.trainers.compile import unique_metric_name

        targets = self.flat("targets", y, len(self.names)) if y is not None else \
            [None] * len(self.names)
        resolved, taken = [], set()
        for specs_per_output, weighted in ((self.metric_specs, False),
                                          (self.weighted_specs, True)):
            for i, specs in enumerate(specs_per_output):
                if specs is None:
                    continue
                if y is not None and targets[i] is None:
                    raise ValueError(
                        f"compile() gave output '{self.names[i]}' metrics, but the data has no "
                        f"targets for it: give its targets too (a list with one per output, or "
                        f"a dict keyed by output name), or drop its metrics.")
                for spec in specs if isinstance(specs, (list, tuple)) else [specs]:
                    y_shape = None if targets[i] is None else tuple(_shape(targets[i]))
                    metric = metrics_module.get_metric(spec, y_true_shape=y_shape,
                                                       y_pred_shape=y_pred_shapes[i])
                    metric.name = unique_metric_name(self.names[i], metric.name, weighted,
                                                     taken)
                    resolved.append((metric, weighted, i))
        self.resolved = resolved
        return resolved

    def update_metrics(self, y, y_pred, sample_weight):
        preds = self.flat_predictions(y_pred)
        targets = self.flat("targets", y, len(preds))
        weights = self.flat("sample weights", sample_weight, len(preds))
        for metric, weighted, i in self.resolved or []:
            metric.update_state(targets[i], preds[i],
                                sample_weight=weights[i] if weighted else None)


def _loss_function(spec):
    from lamina import losses

    fn = losses.get(spec)
    if fn is not None and not hasattr(fn, "reduction"):
        fn = losses.LossFunctionWrapper(fn, name=getattr(fn, "__name__", "loss"))
    return fn


def _shape(a):
    return a.shape if hasattr(a, "shape") else (len(a),)


def _rows(a) -> int:
    shape = _shape(a)
    return int(shape[0]) if len(shape) else 1
