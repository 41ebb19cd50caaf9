"""Keras's trainer attributes around ``compile``/``fit``, mixed into ``Trainer``.

The compiled step functions as Keras names them (``train_function``,
``make_test_function``, ...), the settings ``compile`` records
(``steps_per_execution``, ``jit_compile``) and the backwards-compatibility
shims of Keras 3 on TensorFlow that older guides call (``compiled_loss``,
``compiled_metrics``): each does what Keras's does, with the same warning.
"""

from __future__ import annotations

import warnings

__all__ = ["KerasTrainerAPI"]


class KerasTrainerAPI:
    """Keras's ``Trainer`` attributes beyond ``compile``/``fit``/``evaluate``/``predict``."""

    steps_per_execution = 1
    _jit_compile = False
    _loss_weight = None
    _multi = None

    @property
    def jit_compile(self) -> bool:
        """Accepted for compatibility: lamina's engine traces every step (there is no XLA)."""
        return self._jit_compile

    @jit_compile.setter
    def jit_compile(self, value) -> None:
        self._jit_compile = False if value == "auto" else bool(value)

    @property
    def unrolled_steps_per_execution(self) -> int:
        return self.steps_per_execution

    # -- the compiled steps --------------------------------------------------------------
    def make_test_function(self, force=False):
        """The function ``evaluate`` calls per batch: ``test_step``, traced by the engine."""
        if force:
            self.__dict__["_compiled_test"] = None
        return self._test_function()

    def make_predict_function(self, force=False):
        """The function ``predict`` calls per batch: ``predict_step``, traced by the engine."""
        if force:
            self.__dict__["_compiled_predict_step"] = None
            self.__dict__["_compiled_predict"] = None
        return self._engine_function("_compiled_predict_step", self.predict_step, "predict step")

    def _made(self, attr):
        cached = self.__dict__.get(attr)
        return None if cached is None else cached[1]

    @property
    def train_function(self):
        """The compiled train step once ``fit`` (or ``make_train_function``) made it, else None.

        Setting it to None (as Keras programs do to force a new trace) drops the compiled step.
        """
        return self._made("_compiled_step")

    @train_function.setter
    def train_function(self, value):
        self._drop_compiled(value, "_compiled_step")

    @property
    def test_function(self):
        """The compiled test step once ``evaluate`` made it, else None."""
        return self._made("_compiled_test")

    @test_function.setter
    def test_function(self, value):
        self._drop_compiled(value, "_compiled_test")

    @property
    def predict_function(self):
        """The compiled predict step once ``predict`` made it, else None."""
        return self._made("_compiled_predict_step")

    @predict_function.setter
    def predict_function(self, value):
        self._drop_compiled(value, "_compiled_predict_step", "_compiled_predict")

    def _drop_compiled(self, value, *attrs):
        if value is not None:
            raise ValueError(
                "lamina makes the compiled step functions itself (the engine traces "
                "train_step/test_step/predict_step); only None can be assigned, to drop one so "
                "that it is traced again.")
        for attr in attrs:
            self.__dict__[attr] = None

    # -- Keras 3's shims for Keras 2 code ---------------------------------------------
    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """Deprecated in Keras 3: ``compute_loss(y=y, y_pred=y_pred, sample_weight=...)``."""
        warnings.warn("model.compiled_loss() is deprecated (in Keras 3 too); use "
                      "model.compute_loss(x, y, y_pred, sample_weight) instead.", stacklevel=2)
        return self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)

    @property
    def compiled_metrics(self):
        """Deprecated in Keras 3: update the metrics of ``self.metrics`` instead.

        As in Keras, ``update_state(y, y_pred)`` updates every metric the model
        lists: the compiled ones with ``(y, y_pred)``, a plain ``Mean`` (the
        loss tracker included) with ``y_pred``.
        """
        model = self

        class _CompiledMetrics:
            def update_state(self, y, y_pred, sample_weight=None):
                warnings.warn("model.compiled_metrics is deprecated (in Keras 3 too); update "
                              "each metric of model.metrics instead.", stacklevel=2)
                model._update_listed_metrics(y, y_pred, sample_weight)

        return _CompiledMetrics()

    def _update_listed_metrics(self, y, y_pred, sample_weight):
        from lamina.metrics import Mean

        self._resolve_metrics(y)  # (made at the first fit/evaluate otherwise)
        compiled = {id(m) for m, _ in (self._compile_metrics or ())}
        for metric in self.metrics:
            if id(metric) not in compiled and isinstance(metric, Mean):
                metric.update_state(y_pred, sample_weight=sample_weight)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)

    # -- compile's loss argument ------------------------------------------------------
    def _single_output_loss(self, loss):
        """The one loss of a list or dict keyed by output name, or a message naming the outputs.

        For a model with one output, ``["mse"]`` and ``{"<output layer name>": "mse"}``
        mean ``"mse"``, as they do in Keras (several outputs: ``compile_utils.py``).
        """
        names = self._output_names_or_none()
        if isinstance(loss, (list, tuple)):
            if len(loss) == 1:
                return loss[0]
            raise ValueError(
                f"compile(loss=...) got a list of {len(loss)} losses, one per output, but "
                f"model '{self.name}' has {self._output_count()}. Pass one loss, such as "
                "loss='mse'.")
        if isinstance(loss, dict) and "class_name" not in loss:
            if len(loss) == 1 and (names is None or next(iter(loss)) in names):
                return next(iter(loss.values()))
            known = f"its output is named {names[0]!r}" if names and len(names) == 1 else (
                f"its outputs are named {names}" if names else "its output has no name")
            raise ValueError(
                f"compile(loss=...) got a dict of losses keyed by {sorted(loss)}, but model "
                f"'{self.name}' cannot use it: {known}. Key the dict by the output layer's name "
                "or pass one loss, such as loss='mse'.")
        return loss

    def _output_names_or_none(self):
        try:
            return list(self.output_names)
        except AttributeError:
            return None

    def _output_count(self) -> str:
        names = self._output_names_or_none()
        return "one output" if not names or len(names) == 1 else f"{len(names)} outputs"

    def _single_loss_weight(self, loss_weights):
        """The one output's weight from a number, ``[w]`` or ``{name: w}``; None for none."""
        weight = loss_weights
        if isinstance(weight, (list, tuple)) and len(weight) == 1:
            weight = weight[0]
        elif isinstance(weight, dict) and len(weight) == 1:
            names = self._output_names_or_none()
            key, weight = next(iter(weight.items()))
            if names is not None and key not in names:
                raise ValueError(f"compile(loss_weights=...) is keyed by {key!r}, but model "
                                 f"'{self.name}''s output is named {names[0]!r}.")
        if weight is None:
            return None
        if isinstance(weight, (list, tuple, dict)) or isinstance(weight, bool):
            raise ValueError(
                f"compile(loss_weights=...) must be one number for model '{self.name}' (one "
                f"output); got {loss_weights!r}.")
        return float(weight)
