"""``Model``: a layer with training (``compile``/``fit``/``evaluate``/``predict``) and ``summary``.

``Model(inputs, outputs)`` builds a functional model; subclassing ``Model``
and writing ``call`` gives a custom model; ``Sequential`` is the common case.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor
from lamina.layers.layer import Layer
from lamina.trainers.trainer import Trainer

__all__ = ["Model"]


def _symbolic(x) -> bool:
    from lamina.layers.input_spec import KerasTensor

    if isinstance(x, (list, tuple)):
        return bool(x) and all(_symbolic(v) for v in x)
    if isinstance(x, dict):
        return bool(x) and all(_symbolic(v) for v in x.values())
    return isinstance(x, KerasTensor)


def _functional_arguments(args, kwargs) -> bool:
    inputs = kwargs.get("inputs", args[0] if args else None)
    outputs = kwargs.get("outputs", args[1] if len(args) > 1 else None)
    return _symbolic(inputs) and _symbolic(outputs)


_FUNCTIONAL_SUBCLASSES: dict = {}


def _with_functional(cls):
    """``cls`` with ``Functional`` mixed in after it (so its own methods come first)."""
    from lamina.models.functional import Functional

    if issubclass(cls, Functional):
        return cls
    derived = _FUNCTIONAL_SUBCLASSES.get(cls)
    if derived is None:
        derived = type(cls.__name__, (cls, Functional), {
            "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__})
        _FUNCTIONAL_SUBCLASSES[cls] = derived
    return derived


def input_rank_error(model_name, input_name, expected, got) -> ValueError:
    """The error for data whose rank differs from a model input's (Keras refuses it too)."""
    expected, got = tuple(expected), tuple(got)
    hint = ""
    inner = expected[1:]
    if inner and all(d is not None for d in inner) and \
            int(np.prod(got[1:], dtype=np.int64)) == int(np.prod(inner, dtype=np.int64)):
        hint = f" If each sample holds the same values, reshape it: `x.reshape(-1, {', '.join(map(str, inner))})`."
    where = f"input '{input_name}' of model '{model_name}'" if input_name != model_name \
        else f"model '{model_name}'"
    return ValueError(
        f"The {where} expects data of shape {expected} ({len(expected)} axes, the batch first), "
        f"but received shape {got} ({len(got)} ax{'i' if len(got) == 1 else 'e'}s). Only a trailing axis of size 1 may be "
        f"added or dropped, as in Keras.{hint} Or build the model on an Input of the data's shape."
    )


class Model(Trainer, Layer):
    """A network that can be trained: layers plus ``compile``, ``fit``, ``evaluate``, ``predict``.

    Two ways to make one:

    * functional: ``Model(inputs=lamina.Input((3,)), outputs=y)`` where ``y``
      comes from calling layers on the input;
    * subclassing: define layers in ``__init__`` and the forward pass in ``call``.

    Example:
        >>> import lamina
        >>> class Net(lamina.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = lamina.layers.Dense(4, activation="relu")
        ...         self.out = lamina.layers.Dense(1)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> Net().predict(lamina.ops.ones((2, 3)), verbose=0).shape
        (2, 1)
    """

    _keras_model = True  # (lamina.saving sits above the models and asks the object)
    # Sequential and functional models refuse data whose rank differs from their input's
    # (beyond one trailing axis of 1), as Keras does; a subclassed model's call decides.
    _strict_input_rank = False

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from lamina.models.functional import Functional

            return Functional(*args, **kwargs)
        if cls is not Model and _functional_arguments(args, kwargs):
            # A subclass built functionally, ``CustomModel(inputs, outputs)`` (the Keras guides'
            # way to override train_step): an instance of the subclass that is also Functional.
            cls = _with_functional(cls)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected arguments {args or ''} {kwargs or ''}. "
                "Model(inputs, outputs) (and a subclass called the same way) needs symbolic "
                "tensors: `inputs = keras.Input(shape=...)` and `outputs` made by calling layers "
                "on them. A subclass that defines its own layers takes no such arguments."
            )
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype)
        Trainer.__init__(self)

    def _standardize_input(self, x):
        """Data to a tensor of the model's dtype; 1-D data for a one-feature input becomes a column."""
        if isinstance(x, Tensor):
            return self._adapt_tensor(x)
        else:
            if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
                x = x.to_numpy()
            arr = np.asarray(x)
            if arr.dtype == object:
                raise TypeError(
                    f"Model '{self.name}' received an array of Python objects; it needs "
                    "numbers. Convert the data with `np.asarray(x, dtype='float32')` after "
                    "removing text columns and missing values."
                )
        adapted = self._adapt_array(arr)
        return x if isinstance(x, Tensor) and adapted is arr else Tensor(adapted)

    def _adapt_tensor(self, x):
        """``_adapt_array`` for a tensor, with ops (so that a traced step records the changes)."""
        from lamina import ops

        if x.dtype.kind in "fiub" and x.dtype != self.dtype:
            x = ops.cast(x, self.dtype)
        expected = self._input_batch_shape() if self.built else None
        if expected is not None:
            if x.ndim == len(expected) - 1 and expected[-1] == 1:
                x = ops.expand_dims(x, -1)
            elif x.ndim == len(expected) + 1 and x.shape[-1] == 1:
                x = ops.squeeze(x, -1)
            elif x.ndim != len(expected) and self._strict_input_rank:
                if x.ndim < len(expected):
                    self._check_input_data(x)
                raise input_rank_error(self.name, self.name, expected, x.shape)
        return x

    def _adapt_array(self, arr):
        """Cast numbers to the model's dtype and match the input's rank, as Keras does: a missing
        trailing axis of 1 is added (1-D data for one feature), an extra one removed."""
        if arr.dtype.kind in "fiub" and arr.dtype != self.dtype:
            arr = arr.astype(self.dtype)
        expected = self._input_batch_shape() if self.built else None
        if expected is not None:
            if arr.ndim == len(expected) - 1 and expected[-1] == 1:
                arr = arr.reshape(arr.shape + (1,))
            elif arr.ndim == len(expected) + 1 and arr.shape[-1] == 1:
                arr = arr.reshape(arr.shape[:-1])
            elif arr.ndim != len(expected) and self._strict_input_rank:
                if arr.ndim < len(expected):
                    self._check_input_data(arr)  # the first layer's explanation, if it has one
                raise input_rank_error(self.name, self.name, expected, arr.shape)
        return arr

    def _input_batch_shape(self):
        return self._build_shape

    def _check_input_data(self, arr) -> None:
        """Raise the first layer's friendly shape error for data that cannot fit the model."""
        from lamina.layers.input_spec import check_input

        layers = [layer for layer in self.layers if type(layer).__name__ != "InputLayer"]
        if layers and layers[0].input_spec is not None and hasattr(arr, "shape"):
            check_input(layers[0], layers[0].input_spec, arr.shape)

    def __call__(self, inputs, *args, **kwargs):
        return Layer.__call__(self, inputs, *args, **kwargs)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print a table of the layers with output shapes and parameter counts."""
        from lamina.utils.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable)

    # -- saving (lamina.saving does the work) ------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the model to a Keras 3 ``.keras`` file (architecture, weights, compile, optimizer).

        Load it back with ``lamina.models.load_model`` (or Keras's ``load_model``).
        """
        from lamina.saving.keras_file import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the weights (and the optimizer's state) to a ``.weights.h5`` file."""
        from lamina.saving.keras_file import save_weights

        save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from a ``.weights.h5`` or ``.keras`` file, or a Keras 2 ``.h5`` file."""
        from lamina.saving.keras_file import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """Export the model for inference; lamina writes ``format="onnx"`` (``onnx`` package).

        The ONNX file (opset 18 unless ``opset_version=``; dynamic batch) runs in
        onnxruntime: ``onnxruntime.InferenceSession(path).run(None, {name: x})``. Keras's
        other formats (``"tf_saved_model"``, its default, ``"litert"``, ``"openvino"``,
        ``"torch"``) need TensorFlow, OpenVINO or PyTorch and raise a clear error.
        """
        from lamina.export import export_model

        export_model(self, filepath, format=format, verbose=verbose,
                     input_signature=input_signature, **kwargs)

    def get_compile_config(self):
        """The arguments ``compile`` was given, in Keras's format (None if not compiled)."""
        from lamina.saving.serialization import get_compile_config

        return get_compile_config(self) or None

    def compile_from_config(self, config) -> None:
        """Compile the model from ``get_compile_config()``'s dict (as loading a file does)."""
        from lamina.saving.rebuild import compile_from_config

        compile_from_config(self, config)

    def build_from_config(self, config) -> None:
        """Create the model's weights for the saved input shape (calls the model on zeros)."""
        shape = (config or {}).get("input_shape")
        if shape is not None:
            from lamina.layers.keras_api import _tuple_shape

            self._call_on_zeros(_tuple_shape(shape))

    def to_json(self, **kwargs) -> str:
        """The model's config as a JSON string (``lamina.models.model_from_json`` reads it)."""
        import json

        from lamina.saving.serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    @classmethod
    def from_config(cls, config_, custom_objects=None):
        """Rebuild a model: a functional config gives a functional model, else ``cls(**config)``."""
        if "input_layers" in config_ and "output_layers" in config_:
            from lamina.models.configs import functional_from_config
            from lamina.models.functional import Functional

            return functional_from_config(Functional, config_, custom_objects)
        return super().from_config(config_)

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index`` of ``model.layers``."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No layer named '{name}' in model '{self.name}'. Its layers are: "
            f"{[layer.name for layer in self.layers]}."
        )
