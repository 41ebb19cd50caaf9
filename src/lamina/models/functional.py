"""Functional models: ``Model(inputs, outputs)`` over a graph of layer calls.

Calling a layer on a ``KerasTensor`` records ``(layer, inputs)`` on the
result. The model walks that record back from the outputs to the inputs once,
keeps the calls in order, and replays them on data.
"""

from __future__ import annotations

from lamina.autodiff.tensor import Tensor
from lamina.layers.input_spec import KerasTensor
from lamina.models.model import Model

__all__ = ["Functional"]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class Functional(Model):
    """A model defined by its input and output symbolic tensors.

    Example:
        >>> import lamina
        >>> inputs = lamina.Input(shape=(3,))
        >>> outputs = lamina.layers.Dense(2)(inputs)
        >>> lamina.Model(inputs, outputs).output_shape
        (None, 2)
    """

    _functional = True
    _keras_saved_as = "keras.src.models.functional"  # the module Keras files name for it

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        if self.__dict__.get("_traced"):
            return  # Model.__new__ built this object; Python calls __init__ a second time
        self.__dict__["_traced"] = True
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = _as_list(inputs)
        self.outputs = _as_list(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    "Model(inputs, outputs) takes symbolic tensors made with lamina.Input and "
                    f"layer calls; got {type(t).__name__}."
                )
        self._steps = self._trace()
        input_layers = [t._keras_history[0] for t in self.inputs]
        ordered = list(input_layers)
        for layer, _, _ in self._steps:
            if all(layer is not seen for seen in ordered):
                ordered.append(layer)
        self._layers = ordered
        for layer in ordered:
            layer._set_path_prefix(f"{self.name}/")
        self._build_shape = self.inputs[0].shape if len(self.inputs) == 1 else None
        self.built = True

    def _trace(self):
        input_ids = {id(t) for t in self.inputs}
        order, seen = [], set()

        def visit(t):
            if id(t) in seen or id(t) in input_ids:
                return
            history = t._keras_history
            if history is None or history[1] is None:
                raise ValueError(
                    "An output of this model does not come from its inputs: every path "
                    "must start at one of the `inputs` given to Model()."
                )
            layer, layer_inputs = history
            for parent in _as_list(layer_inputs):
                visit(parent)
            seen.add(id(t))
            order.append((layer, layer_inputs, t))

        for out in self.outputs:
            visit(out)
        # One step per layer call: a call with several outputs appears once.
        steps, done = [], set()
        for layer, layer_inputs, _ in order:
            key = (id(layer), id(layer_inputs))
            if key in done:
                continue
            done.add(key)
            siblings = [o for lay, li, o in order if lay is layer and li is layer_inputs]
            steps.append((layer, layer_inputs, siblings))
        return steps

    @property
    def layers(self):
        return list(self._layers)

    @property
    def operations(self):
        """The layers of the graph, input layers first (Keras 3's name for ``layers`` here)."""
        return self.layers

    @property
    def output_names(self) -> list:
        """The names of the layers that produce the outputs."""
        return [t._keras_history[0].name for t in self.outputs]

    def get_build_config(self):
        return {"input_shape": None}  # the graph defines the shapes

    def build_from_config(self, config) -> None:
        return None  # built when it is made from its inputs and outputs

    @property
    def input(self):
        """The model's input tensor(s), as given to ``Model(inputs, outputs)``."""
        return self._inputs_struct

    @property
    def output(self):
        """The model's output tensor(s), as given to ``Model(inputs, outputs)``."""
        return self._outputs_struct

    def _input_batch_shape(self):
        return self._build_shape

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        if isinstance(inputs, KerasTensor) or (
            isinstance(inputs, (list, tuple)) and inputs and isinstance(inputs[0], KerasTensor)
        ):
            return super().__call__(inputs, training=training, **kwargs)
        if len(self.inputs) == 1:
            data = [self._standardize_input(inputs)]
        else:
            data = [self._standardize_input(x) for x in _as_list(inputs)]
            if len(data) != len(self.inputs):
                raise ValueError(
                    f"Model '{self.name}' has {len(self.inputs)} inputs but received "
                    f"{len(data)} arrays."
                )
        return self.call(data if len(data) > 1 else data[0], training=training)

    def call(self, inputs, training=None, mask=None):
        values = {}
        for kt, x in zip(self.inputs, _as_list(inputs)):
            values[id(kt)] = x if isinstance(x, Tensor) else Tensor(x)
        for layer, layer_inputs, outs in self._steps:
            if isinstance(layer_inputs, (list, tuple)):
                args = [values[id(t)] for t in layer_inputs]
            else:
                args = values[id(layer_inputs)]
            result = layer(args, training=training)
            for kt, value in zip(outs, _as_list(result) if len(outs) > 1 else [result]):
                values[id(kt)] = value
        results = [values[id(t)] for t in self.outputs]
        return results[0] if len(results) == 1 and not isinstance(self._outputs_struct, (list, tuple)) else results

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        return self.compute_output_shape(None)

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def get_config(self) -> dict:
        """Keras's config: the layers with the calls that connect them, inputs and outputs."""
        from lamina.models.configs import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config_, custom_objects=None):
        """Rebuild a functional model from ``get_config()`` (or a Keras 3 / Keras 2 config)."""
        from lamina.models.configs import functional_from_config

        return functional_from_config(cls, config_, custom_objects)

