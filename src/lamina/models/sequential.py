"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from lamina.autodiff.tensor import Tensor
from lamina.layers.input_layer import InputLayer
from lamina.layers.input_spec import KerasTensor
from lamina.layers.keras_api import outermost_call
from lamina.layers.layer import Layer
from lamina.models.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """A model that runs its layers one after the other.

    Give the input shape with ``Input`` first, with ``input_shape=`` on the
    first layer (both build the model at once), or let the first data build it.

    Args:
        layers: a list of layers (and optionally an ``Input`` first).
        trainable: whether ``fit`` updates the weights.
        name: the model's name (``sequential``, ``sequential_1``, ...).

    Example:
        >>> import lamina
        >>> model = lamina.Sequential([lamina.layers.Dense(1, input_shape=[3])])
        >>> [w.shape for w in model.weights]
        [(3, 1), (1,)]
    """

    _sequential = True
    _strict_input_rank = True
    _keras_saved_as = "keras"  # the module Keras files name for it

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._input_layer: InputLayer | None = None
        if layers is not None:
            if isinstance(layers, Layer) or not hasattr(layers, "__iter__"):
                raise TypeError(
                    "Sequential takes a list of layers: `Sequential([Dense(4), Dense(1)])`. "
                    f"Got {type(layers).__name__} instead."
                )
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    # -- structure ------------------------------------------------------------
    def add(self, layer, rebuild: bool = True) -> None:
        """Append ``layer`` (or an ``Input``) to the stack."""
        if isinstance(layer, KerasTensor):
            history = layer._keras_history
            if history is None or not isinstance(history[0], InputLayer):
                raise ValueError(
                    "Only symbolic tensors made by `lamina.Input(...)` can be added to a "
                    "Sequential model."
                )
            layer = history[0]
        if not isinstance(layer, Layer):
            raise TypeError(
                "Only lamina layers can be added to a Sequential model; got "
                f"{layer!r} of type {type(layer).__name__}. Did you forget to call the class, "
                "e.g. `Dense(4)` rather than `Dense`?"
            )
        if isinstance(layer, InputLayer):
            if self._layers_list():
                raise ValueError(
                    "An Input / InputLayer can only be the first entry of a Sequential model."
                )
            self._set_input_layer(layer)
            self._layers.insert(0, layer)
            self._invalidate()
            if rebuild:
                self._maybe_rebuild()
            return
        if any(layer is existing for existing in self._layers):
            raise ValueError(
                f"Layer '{layer.name}' is already in this Sequential model; a layer can "
                "appear only once. Create a new layer instead."
            )
        if self._input_layer is None and not self._layers_list() and layer._batch_input_shape:
            self._set_input_layer(InputLayer(batch_shape=layer._batch_input_shape,
                                             dtype=layer.dtype))
            self._layers.insert(0, self._input_layer)
        layer._set_path_prefix(f"{self.name}/")
        self._layers.append(layer)
        self._invalidate()
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        layers = self._layers_list()
        if not layers:
            raise IndexError("pop() on a Sequential model with no layers.")
        layer = layers[-1]
        self._layers.remove(layer)
        self._invalidate()
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _set_input_layer(self, layer):
        # Stored without Layer.__setattr__'s tracking: the caller puts it first in _layers.
        self.__dict__["_input_layer"] = layer

    def _invalidate(self):
        self.built = False
        self._compiled_step = None
        for attr in ("_compiled_predict", "_compiled_predict_step", "_compiled_test"):
            self.__dict__[attr] = None

    def _layers_list(self) -> list:
        return [layer for layer in self._layers if not isinstance(layer, InputLayer)]

    @property
    def layers(self) -> list:
        """The model's layers, without the input layer (as in Keras)."""
        return self._layers_list()

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError(
                f"Sequential model '{self.name}' has no input shape yet: it was not given "
                "an Input or input_shape and has not seen data."
            )
        return self._input_layer.batch_shape

    def _input_batch_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        return self._build_shape

    def _maybe_rebuild(self):
        if self._input_layer is not None and self._layers_list():
            self.build(self._input_layer.batch_shape)

    # -- building and calling --------------------------------------------------
    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (batch dimension included)."""
        if input_shape is None:
            input_shape = self._input_batch_shape()
        if input_shape is None:
            raise ValueError(
                f"Sequential model '{self.name}' cannot be built without an input shape. "
                "Add `lamina.Input(shape=...)` first, or pass `input_shape=` to the first layer."
            )
        shape = tuple(input_shape)
        if self._input_layer is None:
            self._set_input_layer(InputLayer(batch_shape=(None,) + shape[1:], dtype=self.dtype))
            self._layers.insert(0, self._input_layer)
        x = self._input_layer.output
        if tuple(x.shape) != shape:
            x = KerasTensor(shape, self._input_layer.dtype, history=(self._input_layer, None))
        # The graph of the last build is the one layer.input/output report: drop the older one's.
        for layer, node in self.__dict__.get("_graph_nodes", ()):
            nodes = layer.__dict__.get("_inbound_nodes", [])
            nodes[:] = [n for n in nodes if n is not node]
        graph_nodes, graph_input = [], x
        for layer in self._layers_list():
            x = layer(x)
            nodes = layer.__dict__.get("_inbound_nodes")
            if nodes:
                graph_nodes.append((layer, nodes[-1]))
            if isinstance(x, list):
                raise ValueError(
                    f"Layer '{layer.name}' returns several outputs; a Sequential model needs "
                    "one output per layer. Use the functional API instead."
                )
        self._output_shape = x.shape
        self._build_shape = shape
        self.__dict__.update(_graph_nodes=graph_nodes, _graph=(graph_input, x))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._layers_list():
            x = layer(x, training=training)
        return x

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        if isinstance(inputs, KerasTensor):
            return super().__call__(inputs, training=training, **kwargs)
        with outermost_call(self):
            x = self._standardize_input(inputs)
            if not self.built:
                self._build_on_data(x)
            return self.call(x, training=training)

    def _build_on_data(self, x):
        shape = (None,) + tuple(x.shape[1:])
        self._set_input_layer(InputLayer(batch_shape=shape, dtype=self.dtype))
        self._layers.insert(0, self._input_layer)
        self.build(shape)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers_list():
            shape = layer.compute_output_shape(shape)
        return shape

    def build_from_config(self, config) -> None:
        """Build the model for the saved input shape (``get_build_config()``'s dict)."""
        shape = (config or {}).get("input_shape")
        if shape is not None and not self.built:
            self.build(tuple(None if d is None else int(d) for d in shape))

    def _graph_end(self, index, what):
        graph = self.__dict__.get("_graph")
        if not self.built or graph is None:
            raise AttributeError(
                f"Sequential model '{self.name}' has no {what} yet: it is not built. Start it "
                "with `lamina.Input(shape=...)` (or call it on data) first.")
        return graph[index]

    @property
    def input(self):
        """The symbolic input tensor (the model's ``Input``, once built)."""
        return self._graph_end(0, "input")

    @property
    def output(self):
        """The symbolic output tensor of the last layer, once built."""
        return self._graph_end(1, "output")

    @property
    def output_names(self) -> list:
        """The name of the last layer, which makes the output."""
        layers = self._layers_list()
        if not layers:
            raise AttributeError(f"Sequential model '{self.name}' has no layers yet.")
        return [layers[-1].name]

    @property
    def inputs(self):
        return [self.input]

    @property
    def outputs(self):
        return [self.output]

    @property
    def output_shape(self):
        if not self.built:
            raise AttributeError(f"Sequential model '{self.name}' is not built yet.")
        return self._output_shape

    def get_config(self) -> dict:
        """Keras's config: name, trainable, dtype, the layers (input layer first), build shape."""
        from lamina.models.configs import sequential_config

        return sequential_config(self)

    @classmethod
    def from_config(cls, config_, custom_objects=None):
        """Rebuild a Sequential model from ``get_config()`` (or a Keras 3 / Keras 2 config)."""
        from lamina.models.configs import sequential_from_config

        return sequential_from_config(cls, config_, custom_objects)


def _is_tensor_like(x) -> bool:
    return isinstance(x, Tensor) or hasattr(x, "shape")
