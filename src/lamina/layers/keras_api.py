"""The parts of Keras's ``Layer`` API around the core contract, mixed into ``Layer``.

``layer.py`` holds what a layer is (config, weights, ``build``, ``call``);
this module holds what Keras programs also reach for: the symbolic ``input``
and ``output``, build configs and per-layer variable stores (what ``.keras``
files use, and what a custom layer may override), masking defaults, and the
introspection helpers. A Keras attribute that lamina does not have raises an
``AttributeError`` that says so, and what to use instead, rather than a bare one.
"""

from __future__ import annotations

import inspect

import numpy as np

from lamina.layers.input_spec import KerasTensor

__all__ = ["KerasLayerAPI", "NOT_PROVIDED", "outermost_call"]

# Keras attributes of Layer and Model that lamina does not provide, with what to do instead.
NOT_PROVIDED = {
    "dtype_policy": "lamina has no mixed precision; the layer's dtype is `layer.dtype`",
    "quantize": "lamina does not quantize models", "quantized_build": "lamina does not "
    "quantize models", "quantized_call": "lamina does not quantize models",
    "get_quantization_layer_structure": "lamina does not quantize models",
    "rematerialized_call": "lamina does not rematerialize activations",
    "stateless_call": "stateless (JAX-style) calls are not provided; call the layer",
    "stateless_compute_loss": "stateless (JAX-style) calls are not provided; use compute_loss",
    "get_state_tree": "use model.get_weights() / set_weights()",
    "set_state_tree": "use model.get_weights() / set_weights()",
    "metrics_variables": "lamina's metrics keep NumPy state, not variables; use "
                         "metric.result() and metric.reset_state()",
    "distribute_strategy": "lamina has no tf.distribute strategies",
    "distribute_reduction_method": "lamina has no tf.distribute strategies",
    "export": "save with model.save('model.keras')",
}  # fmt: skip


def _tuple_shape(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_tuple_shape(s) for s in shape]
    return tuple(None if d is None else int(d) for d in shape)


def _list_shape(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_list_shape(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


_CALL_DEPTH = [0]


class outermost_call:
    """Around a layer's ``__call__``: the outermost call first clears the ``add_loss`` terms of
    the previous one (of the layer and its sublayers), as Keras does."""

    __slots__ = ("layer",)

    def __init__(self, layer):
        self.layer = layer

    def __enter__(self):
        if _CALL_DEPTH[0] == 0:
            self.layer._clear_losses()
        _CALL_DEPTH[0] += 1

    def __exit__(self, *exc):
        _CALL_DEPTH[0] -= 1
        return False


class KerasLayerAPI:
    """Keras's ``Layer`` methods beyond ``__init__``/``build``/``call``/``get_config``."""

    supports_jit = True
    quantization_mode = None

    # -- attributes lamina does not have ----------------------------------------------
    def __getattr__(self, name):
        # Only reached when normal lookup fails.
        if name in NOT_PROVIDED:
            raise AttributeError(
                f"{type(self).__name__}.{name} is a Keras API that lamina does not provide: "
                f"{NOT_PROVIDED[name]}.")
        # Anything else: the normal lookup again, so that a property (or any descriptor) that
        # raised AttributeError raises its own error, and a missing name the usual one.
        return object.__getattribute__(self, name)

    def add_metric(self, *args, **kwargs):
        """Not available (Keras 3 removed it too): track metrics as attributes instead."""
        raise NotImplementedError(
            "Layer.add_metric() is gone in Keras 3 and lamina. Pass metrics to "
            "compile(metrics=[...]), or create metric objects in __init__ (e.g. "
            "`self.tracker = keras.metrics.Mean(name='my_loss')`), update them in "
            "train_step and list them in the model's `metrics` property.")

    # -- the symbolic graph -------------------------------------------------------------
    @property
    def input(self):
        """The symbolic input of the layer's first call on symbolic tensors (a Functional graph).

        Raises:
            AttributeError: if the layer was never called on symbolic tensors.
        """
        return self._first_node(0, "input")

    @property
    def output(self):
        """The symbolic output of the layer's first call on symbolic tensors.

        ``lamina.Model(model.input, model.layers[2].output)`` builds a model
        that stops at the third layer.

        Raises:
            AttributeError: if the layer was never called on symbolic tensors.
        """
        return self._first_node(1, "output")

    def _first_node(self, index, what):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on symbolic inputs, so it has no "
                f"{what}. It gets one when it is called on `lamina.Input(...)` or on another "
                "layer's output (as when a Functional or Sequential model with an Input is "
                "built).")
        return nodes[0][index]

    def symbolic_call(self, *args, **kwargs):
        """Call the layer on symbolic tensors (``KerasTensor``), recording the call in the graph."""
        return self._symbolic_call(*args, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        """A ``KerasTensor`` (or a list of them) with the shape and dtype ``call`` would return."""
        inputs = args[0] if args else kwargs.get("inputs")
        shapes = ([tuple(t.shape) for t in inputs] if isinstance(inputs, (list, tuple))
                  else tuple(inputs.shape))
        out = self.compute_output_shape(shapes)
        if isinstance(out, list):
            return [KerasTensor(s, self.dtype) for s in out]
        return KerasTensor(out, self.dtype)

    @property
    def call_signature_parameters(self) -> list:
        """The names of ``call``'s parameters (without ``self``)."""
        return [name for name in inspect.signature(self.call).parameters]

    @property
    def input_dtype(self) -> str:
        """The dtype float inputs are cast to before ``call``."""
        return self.compute_dtype

    # -- masking (the defaults; layers that support masks override them) --------------
    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes masks on: set by the layer, else whether it has a
        ``compute_mask`` of its own (as in Keras)."""
        value = self.__dict__.get("_supports_masking")
        if value is None:
            return type(self).compute_mask is not KerasLayerAPI.compute_mask
        return value

    @supports_masking.setter
    def supports_masking(self, value) -> None:
        self.__dict__["_supports_masking"] = bool(value)

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of the outputs: the input's mask if the layer supports masking, else None."""
        return previous_mask if self.supports_masking else None

    # -- losses added in call() ---------------------------------------------------------
    @property
    def losses(self) -> list:
        """The losses of the last call: ``add_loss`` terms and activity penalties (this layer's and
        its sublayers'), then the weight regularizers' penalties now."""
        out = list(self._activity_losses) + list(self.__dict__.get("_added_losses", ()))
        for layer in self._all_layers():
            out.extend(layer._activity_losses)
            out.extend(layer.__dict__.get("_added_losses", ()))
        for layer in [self, *self._all_layers()]:
            for v in layer._trainable_variables + layer._non_trainable_variables:
                if v.regularizer is not None:
                    out.append(v.regularizer(v))
        return out

    def add_loss(self, loss) -> None:
        """Add a loss term (a scalar tensor, or a list of them) computed in ``call``.

        The terms of the last outermost call are in ``layer.losses`` / ``model.losses``
        and ``fit`` adds them to the compiled loss, as Keras does (each outermost call
        starts afresh).

        Example:
            >>> import lamina
            >>> from lamina import ops
            >>> class Sparse(lamina.layers.Layer):
            ...     def call(self, x):
            ...         self.add_loss(0.1 * ops.mean(ops.abs(x)))
            ...         return x
            >>> layer = Sparse()
            >>> _ = layer(ops.ones((2, 3)))
            >>> round(float(layer.losses[0]), 4)
            0.1
        """
        from lamina import ops
        from lamina.autodiff.tensor import Tensor

        terms = list(loss) if isinstance(loss, (list, tuple)) else [loss]
        added = self.__dict__.setdefault("_added_losses", [])
        for term in terms:
            if isinstance(term, KerasTensor):
                raise ValueError(
                    f"Layer '{self.name}'.add_loss() got a symbolic tensor: call it inside "
                    "call() (with the tensors call() computes), not on a functional model's "
                    "tensors.")
            added.append(term if isinstance(term, Tensor) else ops.convert_to_tensor(term))

    def _clear_losses(self) -> None:
        for layer in [self, *self._all_layers()]:
            if layer.__dict__.get("_added_losses"):
                layer.__dict__["_added_losses"] = []

    # -- weights --------------------------------------------------------------
    # -- weights ------------------------------------------------------------------------
    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Create a weight (Keras 3's other name for ``add_weight``)."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast, regularizer=regularizer,
                               constraint=constraint, name=name)

    @property
    def metrics(self) -> list:
        """The metric objects held in the layer's attributes (and its sublayers')."""
        found, seen = [], set()
        for layer in [self, *self._all_layers()]:
            for value in vars(layer).values():
                if hasattr(value, "update_state") and hasattr(value, "result") and \
                        id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
        return found

    def save_own_variables(self, store) -> None:
        """Put the layer's own variables (not its sublayers') in ``store`` as ``"0"``, ``"1"``, ...

        ``.keras`` and ``.weights.h5`` files are written through this method; a
        layer whose state is not its variables overrides it (and ``load_own_variables``).
        """
        for i, v in enumerate(self._trainable_variables + self._non_trainable_variables):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store) -> None:
        """Assign the layer's own variables from ``store`` (what ``save_own_variables`` wrote)."""
        own = self._trainable_variables + self._non_trainable_variables
        if len(store) != len(own):
            raise ValueError(
                f"Layer '{self.name}' has {len(own)} variables "
                f"({[v.name for v in own]}) but {len(store)} were given to load. If the layer "
                "creates its weights in build(), build it first (or give it a "
                "build_from_config()).")
        for i, v in enumerate(own):
            value = np.asarray(store[str(i)])
            if tuple(value.shape) != tuple(v.shape):
                raise ValueError(
                    f"Layer '{self.name}': variable '{v.name}' has shape {tuple(v.shape)} but "
                    f"the value to load has shape {tuple(value.shape)}.")
            v.assign(value)

    # -- build configs --------------------------------------------------------------------
    def get_build_config(self):
        """``{"input_shape": [...]}`` once built, what ``build_from_config`` needs; else None."""
        shape = self.__dict__.get("_build_shape")
        if shape is None or not self.built:
            return None
        from lamina.layers.layer import Layer

        if type(self).build is Layer.build and not self.weights and not self._layers:
            return None  # nothing to build (Keras writes no build_config for such layers)
        return {"input_shape": _list_shape(shape)}

    def build_from_config(self, config) -> None:
        """Create the layer's weights from ``get_build_config()``'s dict (as loading a file does)."""
        shape = (config or {}).get("input_shape")
        if shape is None:
            return
        shape = _tuple_shape(shape)
        self._maybe_build(shape)
        if any(not sub.built for sub in self._all_layers()):
            self._call_on_zeros(shape)

    def _call_on_zeros(self, shape) -> None:
        """Run the layer once on zeros of ``shape`` (None as 1) to create weights made lazily."""
        def zeros(s):
            return np.zeros(tuple(1 if d is None else d for d in s), dtype=self.dtype)

        data = [zeros(s) for s in shape] if isinstance(shape, list) else zeros(shape)
        try:
            self(data, training=False)
        except TypeError:
            try:
                self(data)
            except TypeError:
                # The call takes more tensors than its inputs (``call(self, query, context)``):
                # its sublayers are built when its model calls it, before weights are loaded.
                pass
