"""Functional models: ``Model(inputs, outputs)`` over a graph of layer calls.

Calling a layer on a ``KerasTensor`` records ``(layer, inputs)`` on the
result. The model walks that record back from the outputs to the inputs once,
keeps the calls in order, and replays them on data.
"""

from __future__ import annotations

import numpy as np

from lamina import tree
from lamina.autodiff.tensor import Tensor
from lamina.layers.input_spec import KerasTensor, extra_tensors, fill_extra
from lamina.layers.keras_api import outermost_call
from lamina.models.model import Model, input_rank_error

__all__ = ["Functional"]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _put_back_masks(args, made: dict) -> None:
    for t in tree.flatten(args):
        if id(t) in made and getattr(t, "_keras_mask", None) is None:
            t._keras_mask = made[id(t)]


def _symbolic(x) -> bool:
    return isinstance(x, KerasTensor) or (
        tree.is_nested(x) and bool(tree.flatten(x)) and
        all(isinstance(t, KerasTensor) for t in tree.flatten(x)))


class Functional(Model):
    """A model defined by its input and output symbolic tensors.

    ``inputs`` and ``outputs`` may be one tensor, a list, or a dict of tensors
    (keyed by name). The model is called with data of the same structure (a dict
    keyed by the inputs' names works for a list of named inputs too) and returns
    outputs of the outputs' structure. A layer called with fixed arguments in the
    graph (``use_causal_mask=True``) is called with them every time; a ``training=``
    given in the graph (``base(x, training=False)``) holds only when the model itself is
    called without one, since Keras 3 lets the model's flag (``fit``'s True, ``predict``'s
    False) win. Freeze a base with ``base.trainable = False``: its BatchNormalization
    layers then run in inference mode whatever the flag.

    Example:
        >>> import lamina
        >>> inputs = lamina.Input(shape=(3,))
        >>> outputs = lamina.layers.Dense(2)(inputs)
        >>> lamina.Model(inputs, outputs).output_shape
        (None, 2)
    """

    _functional = True
    _strict_input_rank = True
    _keras_saved_as = "keras.src.models.functional"  # the module Keras files name for it

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        if self.__dict__.get("_traced"):
            return  # Model.__new__ built this object; Python calls __init__ a second time
        self.__dict__["_traced"] = True
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        for what, struct in (("inputs", inputs), ("outputs", outputs)):
            if not _symbolic(struct):
                leaf = next((t for t in tree.flatten(struct) if not isinstance(t, KerasTensor)),
                            struct)
                raise TypeError(
                    f"Model(inputs, outputs) takes symbolic tensors made with lamina.Input and "
                    f"layer calls (one, a list or a dict of them); `{what}` holds "
                    f"{type(leaf).__name__}.")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = tree.flatten(inputs)
        self.outputs = tree.flatten(outputs)
        self._steps, ordered = self._trace()
        names = [layer.name for layer in ordered]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"Model '{self.name}' uses the layer name(s) {repeated} more than once; every "
                "layer of a functional model needs its own name (saved files refer to layers "
                "by name). Rename one of them with name=...")
        self._layers = ordered
        for layer in ordered:
            layer._set_path_prefix(f"{self.name}/")
        self._build_shape = self.inputs[0].shape if len(self.inputs) == 1 else None
        self.built = True

    def _trace(self):
        """The layer calls in an order that computes them (``steps``) and the layers in Keras's
        order (by depth from the outputs, deepest first; ties in first-seen order), which is
        the order of ``layers`` and of the weights."""
        input_ids = {id(t) for t in self.inputs}
        order, seen = [], set()
        first_seen: dict = {}  # id(layer) -> (index, layer), in depth-first pre-order
        parents: dict = {}  # id(output tensor) -> the tensors its call read

        def note(layer):
            first_seen.setdefault(id(layer), (len(first_seen), layer))

        def visit(t):
            if id(t) in input_ids:
                note(t._keras_history[0])
                return
            if id(t) in seen:
                return
            history = t._keras_history
            if history is None or history[1] is None:
                raise ValueError(
                    "An output of this model does not come from its inputs: every path "
                    "must start at one of the `inputs` given to Model()."
                )
            layer, layer_inputs = history
            note(layer)
            parents[id(t)] = tree.flatten(layer_inputs) + extra_tensors(t._call_extra)
            for parent in parents[id(t)]:
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
            every = getattr(siblings[0], "_call_outputs", None)
            if every is not None and all(
                    any(o is e for e in every) for o in siblings):
                siblings = list(every)  # zipped with the call's flat results, in order
            steps.append((layer, layer_inputs, siblings))
        # Depth: outputs are 0, a tensor read by a call of depth d is at least d + 1.
        depth: dict = {}
        for _layer, layer_inputs, outs in reversed(steps):
            d = max(depth.get(id(o), 0) for o in outs)
            for parent in tree.flatten(layer_inputs) + extra_tensors(outs[0]._call_extra):
                depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
            for o in outs:
                depth[id(o)] = d
        layer_depth: dict = {}
        for layer, _, outs in steps:
            layer_depth[id(layer)] = max(layer_depth.get(id(layer), 0),
                                         max(depth.get(id(o), 0) for o in outs))
        for t in self.inputs:
            layer = t._keras_history[0]
            layer_depth[id(layer)] = max(layer_depth.get(id(layer), 0), depth.get(id(t), 0))
            note(layer)
        layers = sorted((layer for _, layer in first_seen.values()),
                        key=lambda lay: (-layer_depth.get(id(lay), 0), first_seen[id(lay)][0]))
        return steps, layers

    @property
    def layers(self):
        """The layers of the graph, input layers first (not the ops applied to symbolic
        tensors between them: those are in ``operations``, as in Keras)."""
        return [layer for layer in self._layers if not getattr(layer, "_is_operation", False)]

    @property
    def operations(self):
        """The layers of the graph and the ops applied to symbolic tensors (``x + y``,
        ``ops.mean(x)``) between them, in the order they are computed from."""
        return list(self._layers)

    @property
    def input_names(self) -> list:
        """The names of the input layers, in the order of ``inputs``."""
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self) -> list:
        """The output names: a dict output's keys, else the names of the layers making them."""
        if isinstance(self._outputs_struct, dict):
            return sorted(self._outputs_struct)
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

    def _flat_inputs(self, data) -> list:
        """The data for each of ``self.inputs``, matched by structure, name or position."""
        n = len(self.inputs)
        struct = self._inputs_struct
        if isinstance(data, dict):
            if isinstance(struct, dict) and set(data) >= set(struct):
                return tree.flatten({k: data[k] for k in struct})
            names = [t.name or t._keras_history[0].name for t in self.inputs]
            missing = [name for name in names if name not in data]
            if not missing:
                return [data[name] for name in names]
            raise ValueError(
                f"Model '{self.name}' has inputs named {names}, but the data is a dict with "
                f"keys {sorted(data)}: missing {missing}. Key the data by the inputs' names.")
        if n == 1:
            leaves = tree.flatten(data) if isinstance(data, (list, tuple)) and \
                len(tree.flatten(data)) == 1 else [data]
            return leaves
        flat = tree.flatten(data) if tree.is_nested(data) else [data]
        if len(flat) != n:
            raise ValueError(
                f"Model '{self.name}' has {n} inputs ({self._input_summary()}) but received "
                f"{len(flat)} array{'s' if len(flat) != 1 else ''}. Pass a list of {n} arrays "
                "in the order of the inputs, or a dict keyed by their names.")
        return flat

    def _input_summary(self) -> str:
        return ", ".join(f"{t.name or t._keras_history[0].name} {t.shape}" for t in self.inputs)

    def _adapt_input(self, kt, x):
        """One input's data cast to the model's dtype and matched to that input's rank."""
        if not isinstance(x, Tensor):
            if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
                x = x.to_numpy()
            arr = np.asarray(x)
            if arr.dtype == object:
                raise TypeError(
                    f"Model '{self.name}' received an array of Python objects for input "
                    f"'{kt.name}'; it needs numbers.")
            if arr.dtype.kind in "fiub" and arr.dtype != kt.dtype:
                arr = arr.astype(kt.dtype)
            if arr.ndim == len(kt.shape) - 1 and kt.shape[-1] == 1:
                arr = arr.reshape(arr.shape + (1,))
            elif arr.ndim == len(kt.shape) + 1 and arr.shape[-1] == 1:
                arr = arr.reshape(arr.shape[:-1])
            elif arr.ndim != len(kt.shape):
                raise input_rank_error(self.name, kt.name, kt.shape, arr.shape)
            return Tensor(arr)
        from lamina import ops

        if x.dtype.kind in "fiub" and x.dtype != kt.dtype:
            x = ops.cast(x, kt.dtype)
        if x.ndim == len(kt.shape) - 1 and kt.shape[-1] == 1:
            x = ops.expand_dims(x, -1)
        elif x.ndim == len(kt.shape) + 1 and x.shape[-1] == 1:
            x = ops.squeeze(x, -1)
        elif x.ndim != len(kt.shape):
            raise input_rank_error(self.name, kt.name, kt.shape, x.shape)
        return x

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        if _symbolic(inputs):
            return super().__call__(inputs, training=training, **kwargs)
        with outermost_call(self):
            flat = [self._adapt_input(kt, x)
                    for kt, x in zip(self.inputs, self._flat_inputs(inputs))]
            return self._run(flat, training)

    def call(self, inputs, training=None, mask=None):
        flat = self._flat_inputs(inputs)
        return self._run([x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in flat],
                         training)

    def _run(self, flat_inputs, training):
        values = {id(kt): x for kt, x in zip(self.inputs, flat_inputs)}
        # The mask each tensor was made with: a layer that takes its inputs' masks off
        # (MultiHeadAttention, as Keras does) leaves them to the other layers that read those
        # tensors, as in Keras, whose graph keeps the masks it computed when it was built.
        made = {id(x): x._keras_mask for x in flat_inputs
                if getattr(x, "_keras_mask", None) is not None}
        for layer, layer_inputs, outs in self._steps:
            args = tree.map_structure(lambda t: values[id(t)], layer_inputs) \
                if tree.is_nested(layer_inputs) else values[id(layer_inputs)]
            _put_back_masks(args, made)
            call_kwargs = dict(getattr(outs[0], "_call_kwargs", None) or {})
            if training is not None or "training" not in call_kwargs:
                # Keras 3: the model's own flag wins; a training= given in the graph holds
                # only when the model is called without one
                call_kwargs["training"] = training
            extra = getattr(outs[0], "_call_extra", None)
            if extra:  # other arguments holding tensors: Cross()(query, context), mask=...
                more, named = fill_extra(extra, lambda t: values[id(t)])
                _put_back_masks([more, named], made)
                result = layer(args, *more, **call_kwargs, **named)
            else:
                result = layer(args, **call_kwargs)
            for kt, value in zip(outs, tree.flatten(result) if len(outs) > 1 else [result]):
                values[id(kt)] = value
                if getattr(value, "_keras_mask", None) is not None:
                    made[id(value)] = value._keras_mask
        return tree.pack_sequence_as(self._outputs_struct, [values[id(t)] for t in self.outputs]) \
            if tree.is_nested(self._outputs_struct) else values[id(self._outputs_struct)]

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        if isinstance(self._outputs_struct, dict):
            return tree.pack_sequence_as(self._outputs_struct, shapes)
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

