"""The ``Layer`` base class: Keras's ``__init__`` / ``build`` / ``call`` / ``get_config`` contract.

A layer stores and validates its configuration in ``__init__``, creates its
weights with ``add_weight`` in ``build(input_shape)`` the first time it sees
data, and computes its outputs with ``lamina.ops`` in ``call``. Because every
op records itself on the tape, a user's subclass trains with no extra code.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor, Variable
from lamina.layers.input_spec import KerasTensor, check_input
from lamina.layers.keras_api import KerasLayerAPI, outermost_call
from lamina.utils import naming
from lamina.utils.memory import check_array

__all__ = ["Layer"]

_CALL_ARGS_CACHE: dict = {}


def _call_accepts(cls, name: str) -> bool:
    key = (cls, name)
    hit = _CALL_ARGS_CACHE.get(key)
    if hit is None:
        params = inspect.signature(cls.call).parameters
        hit = name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        _CALL_ARGS_CACHE[key] = hit
    return hit


def standardize_dtype(dtype) -> str:
    """A dtype name (``"float32"``) from a string, NumPy dtype or ``None`` (floatx)."""
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, dict):  # a Keras DTypePolicy config
        dtype = dtype.get("config", {}).get("name", config.floatx())
    name = getattr(dtype, "name", dtype)
    if name in ("string", "str"):  # Keras's text inputs (NumPy str arrays; see layers.text_preprocessing)
        return "string"
    if name in ("mixed_float16", "mixed_bfloat16"):
        raise ValueError(
            f"dtype={name!r}: mixed precision is not supported by lamina (NumPy has no fast "
            "half-precision matmul on CPU). Use 'float32' or 'float64'."
        )
    return np.dtype(name).name


def _to_input_tensor(x, dtype: str | None, autocast: bool):
    """Turn user data into a tensor; floats are cast to the layer's dtype."""
    if isinstance(x, Tensor):
        if autocast and dtype and x.dtype.kind == "f" and x.dtype != dtype:
            from lamina import ops

            return ops.cast(x, dtype)
        return x
    if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
        x = x.to_numpy()
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(
            "Layer inputs must be numeric arrays; got an array of Python objects. "
            "Convert the data with `np.asarray(x, dtype='float32')` (check for strings "
            "or missing values first)."
        )
    if autocast and dtype and arr.dtype.kind == "f" and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return Tensor(arr)


class Layer(KerasLayerAPI):
    """Base class of all layers.

    Subclasses store their configuration in ``__init__``, create weights in
    ``build(input_shape)`` with ``add_weight``, and compute in
    ``call(inputs, training=None)`` with ``lamina.ops``.

    Args:
        activity_regularizer: a regularizer applied to the layer's outputs.
        trainable: whether ``fit`` updates the layer's weights.
        dtype: the float type of the weights and computation (default floatx).
        autocast: cast float inputs to ``dtype``.
        name: the layer's name; unique names (``dense``, ``dense_1``) by default.

    Example:
        >>> import lamina
        >>> class Scale(lamina.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        ...     def call(self, x):
        ...         return x * self.w
        >>> Scale()(lamina.ops.ones((2, 3))).shape
        (2, 3)
    """

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        obj.__dict__["_auto_config"] = (args, dict(kwargs))
        return obj

    def __init__(
        self,
        *,
        activity_regularizer=None,
        trainable: bool = True,
        dtype=None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs,
    ):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        batch_size = kwargs.pop("batch_size", None)
        kwargs.pop("input_dtype", None)
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{kwargs}. Check the spelling against the documentation of "
                f"{type(self).__name__}."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"The 'name' argument of {type(self).__name__} must be a string. Got {name!r} instead.")
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self._dtype = standardize_dtype(dtype)
        self.autocast = autocast
        self._trainable = bool(trainable)
        self.built = False
        self._trainable_variables: list = []
        self._non_trainable_variables: list = []
        self._layers: list = []
        self._activity_losses: list = []
        self._path_prefix = ""
        self.input_spec = None
        self._build_shape = None
        from lamina import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
            self._batch_input_shape = (batch_size,) + shape
        else:
            self._batch_input_shape = None

    # -- attribute tracking ---------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_layers" in d and not name.startswith("__"):
            if isinstance(value, Layer) and value is not self and name != "_parent":
                if all(value is not known for known in d["_layers"]):
                    d["_layers"].append(value)
            elif isinstance(value, (list, tuple)) and value and all(
                isinstance(v, Layer) for v in value
            ) and not name.startswith("_"):
                for v in value:
                    if all(v is not known for known in d["_layers"]):
                        d["_layers"].append(v)
            elif isinstance(value, Variable) and not name.startswith("_"):
                self._track_variable(value)
        object.__setattr__(self, name, value)

    def _track_variable(self, variable: Variable) -> None:
        lists = (self._trainable_variables, self._non_trainable_variables)
        if any(variable is v for lst in lists for v in lst):
            return
        (self._trainable_variables if variable.trainable else self._non_trainable_variables).append(
            variable
        )

    # -- properties -----------------------------------------------------------
    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights and computations."""
        return self._dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype

    @property
    def path(self) -> str:
        return f"{self._path_prefix}{self.name}"

    @property
    def trainable(self) -> bool:
        """Whether ``fit`` updates this layer's weights (``False`` freezes it)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self._trainable = value
        for v in self._trainable_variables:
            v.trainable = value
        for layer in self._layers:
            layer.trainable = value

    def _all_layers(self):
        seen = set()
        stack = list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            yield layer
            stack.extend(reversed(layer._layers))

    @property
    def weights(self) -> list:
        """All weights: each layer's trainable then non-trainable ones, sublayers after."""
        out, seen = [], set()
        for v in self._trainable_variables + self._non_trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for layer in self._layers:
            for v in layer.weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    variables = weights

    @property
    def trainable_weights(self) -> list:
        """The weights ``fit`` updates (empty when the layer is frozen)."""
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list:
        """Weights that ``fit`` does not update by gradient (e.g. moving statistics)."""
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    non_trainable_variables = non_trainable_weights

    @property
    def layers(self) -> list:
        return list(self._layers)

    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        overwrite_with_gradient=False,
        name: str | None = None,
        **kwargs,
    ) -> Variable:
        """Create a weight of this layer.

        Args:
            shape: the weight's shape (default scalar).
            initializer: name, object or callable; default ``"glorot_uniform"``
                for float weights and ``"zeros"`` otherwise.
            dtype: default the layer's dtype.
            trainable: whether gradients update it.
            regularizer: a penalty added to the training loss.
            constraint: applied after each optimizer update.
            name: the weight's name (its path is ``"<layer>/<name>"``).
        """
        from lamina import constraints, initializers, regularizers

        kwargs.pop("use_resource", None)
        kwargs.pop("synchronization", None)
        if kwargs:
            raise TypeError(f"add_weight got unexpected keyword arguments: {sorted(kwargs)}")
        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = standardize_dtype(dtype or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        init = initializers.get(initializer)
        name = name or f"variable_{len(self._trainable_variables) + len(self._non_trainable_variables)}"
        check_array(shape, dtype, f"The weight '{name}' of {type(self).__name__} '{self.name}'",
                    "Check the layer's size arguments (units, filters, input_dim, ...).")
        variable = Variable(
            init(shape, dtype=dtype), dtype=dtype, trainable=trainable and self.trainable,
            name=name, constraint=constraints.get(constraint),
        )
        variable.regularizer = regularizers.get(regularizer)
        variable.path = f"{self.path}/{name}"
        variable._layer = self
        if trainable:
            self._trainable_variables.append(variable)
        else:
            self._non_trainable_variables.append(variable)
        return variable

    def get_weights(self) -> list:
        """The weights' values as NumPy arrays, in ``weights`` order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights) -> None:
        """Set the weights from a list of arrays in ``weights`` order."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' has {len(own)} weights "
                f"({[v.name for v in own]}) but set_weights received {len(weights)} arrays. "
                "Pass one array per weight, in the order of `layer.weights`."
            )
        for v, w in zip(own, weights):
            arr = np.asarray(w)
            if arr.shape != v.shape:
                raise ValueError(
                    f"Layer '{self.name}': weight '{v.name}' has shape {v.shape} but the "
                    f"array given for it has shape {arr.shape}."
                )
        for v, w in zip(own, weights):
            v.assign(w)

    def count_params(self) -> int:
        """The number of scalars in all of this layer's weights."""
        if not self.built and not self.weights:
            raise ValueError(
                f"You called count_params() on layer '{self.name}', which is not built yet. "
                "Build it first by calling it on data or with `layer.build(input_shape)`."
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    # -- building and calling -------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the layer's weights for inputs of ``input_shape`` (override in subclasses)."""
        self.built = True

    def _set_path_prefix(self, prefix: str) -> None:
        self._path_prefix = prefix
        for v in self._trainable_variables + self._non_trainable_variables:
            v.path = f"{self.path}/{v.name}"

    def _maybe_build(self, input_shape) -> None:
        if self.built:
            return
        shape = tuple(input_shape) if input_shape is not None else None
        if self.input_spec is not None and shape is not None:
            check_input(self, self.input_spec, shape)
        self.build(shape)
        self.built = True
        self._build_shape = shape

    def call(self, inputs, *args, **kwargs):
        """The layer's computation (override in subclasses)."""
        return inputs

    def __call__(self, *args, **kwargs):
        with outermost_call(self):
            return self._call(*args, **kwargs)

    def _call(self, *args, **kwargs):
        if not args:
            if "inputs" in kwargs:
                args = (kwargs.pop("inputs"),)
            else:
                raise TypeError(f"Layer '{self.name}' was called without inputs.")
        inputs = args[0]
        if isinstance(inputs, KerasTensor) or (
            isinstance(inputs, (list, tuple)) and inputs and isinstance(inputs[0], KerasTensor)
        ) or (isinstance(inputs, dict) and inputs and
              all(isinstance(v, KerasTensor) for v in inputs.values())):
            return self._symbolic_call(inputs, *args[1:], **kwargs)
        several = isinstance(inputs, (list, tuple)) and inputs and not np.isscalar(inputs[0]) \
            and (isinstance(inputs[0], Tensor) or hasattr(inputs[0], "shape"))
        # The masks that earlier layers attached to the inputs (Keras's mask propagation).
        previous_mask = [getattr(x, "_keras_mask", None) for x in inputs] if several else \
            getattr(inputs, "_keras_mask", None)
        if several:
            inputs = [_to_input_tensor(x, self._dtype, self.autocast) for x in inputs]
            shape = [x.shape for x in inputs]
        else:
            inputs = _to_input_tensor(inputs, self._dtype, self.autocast)
            shape = inputs.shape
        if not self.built:
            self._maybe_build(shape)
        elif self.input_spec is not None and not isinstance(shape, list):
            check_input(self, self.input_spec, shape)
        if "training" in kwargs and not _call_accepts(type(self), "training"):
            kwargs.pop("training")
        if kwargs.get("mask") is not None:
            previous_mask = kwargs["mask"]
        has_mask = any(m is not None for m in previous_mask) if several else \
            previous_mask is not None
        if _call_accepts(type(self), "mask"):
            if has_mask and kwargs.get("mask") is None:
                kwargs["mask"] = previous_mask
        else:
            kwargs.pop("mask", None)
        outputs = self.call(inputs, *args[1:], **kwargs)
        if self.activity_regularizer is not None:
            from lamina import ops

            batch = ops.cast(ops.shape(outputs)[0], outputs.dtype) if hasattr(outputs, "shape") else 1
            self._activity_losses = [ops.divide(self.activity_regularizer(outputs), batch)]
        if self.supports_masking:
            self._attach_masks(inputs, outputs, previous_mask if has_mask else None)
        elif has_mask:
            warnings.warn(
                f"Layer '{self.name}' ({type(self).__name__}) received inputs with a mask but "
                "does not support masking, so the layers after it will not see the mask.",
                stacklevel=2)
        return outputs

    def _attach_masks(self, inputs, outputs, previous_mask):
        """Give the outputs the mask ``compute_mask`` returns (unless they have one already)."""
        flat = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        if all(getattr(t, "_keras_mask", None) is not None for t in flat):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for t, m in zip(flat, masks if isinstance(masks, (list, tuple)) else [masks]):
            if m is not None and isinstance(t, Tensor) and getattr(t, "_keras_mask", None) is None:
                t._keras_mask = m

    def _symbolic_call(self, inputs, *args, **kwargs):
        from lamina.layers.input_spec import symbolic_output

        return symbolic_output(self, inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape``; by default found by running ``call`` on zeros."""
        from lamina.layers.input_spec import infer_output_shape

        return infer_output_shape(self, input_shape)

    # -- configuration --------------------------------------------------------
    def get_config(self) -> dict:
        """The arguments that recreate this layer with ``from_config``."""
        config_ = {"name": self.name, "trainable": self.trainable, "dtype": {
            "module": "keras", "class_name": "DTypePolicy", "config": {"name": self._dtype},
            "registered_name": None}}  # Keras's DTypePolicy form
        if self.activity_regularizer is not None:
            from lamina import regularizers

            config_["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        args, kwargs = self.__dict__.get("_auto_config", ((), {}))
        cls_init = type(self).__init__
        if cls_init is not Layer.__init__ and not type(self).__module__.startswith("lamina."):
            try:
                signature = inspect.signature(cls_init)
                bound = signature.bind_partial(self, *args, **kwargs)
                params = list(signature.parameters.values())
                # (the first parameter is the layer, whatever it is called; ``**kwargs`` merge)
                var_kw = [p.name for p in params if p.kind is p.VAR_KEYWORD]
                extra = {k: v for k, v in bound.arguments.items()
                         if k != params[0].name and k not in var_kw}
                for name in var_kw:
                    extra.update(bound.arguments.get(name, {}))
                config_.update(extra)
            except TypeError:
                pass
        return config_

    @classmethod
    def from_config(cls, config_: dict):
        """Create a layer from the output of ``get_config``."""
        config_ = dict(config_)
        if isinstance(config_.get("dtype"), dict):
            config_["dtype"] = standardize_dtype(config_["dtype"])
        return cls(**config_)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

