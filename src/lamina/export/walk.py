"""The walk over a model's layers: Sequential chains, functional graphs, models inside models.

Each layer call becomes the nodes its converter writes; a nested model is walked in place
(its nodes are named under its own name). The walk reads the model's structure through the
attributes lamina's models keep (``_steps`` of a functional model, the layer list of a
Sequential), so this package needs nothing above the layers.
"""

from __future__ import annotations

import inspect

from lamina import tree
from lamina.export.graph import ExportError, Value
from lamina.export.registry import find, handles_masks, masked_layers, supported_layers

__all__ = ["ExportError", "convert_model", "model_inputs", "model_outputs_struct"]


def _kind(model) -> str:
    if getattr(model, "_functional", False) and hasattr(model, "_steps"):
        return "functional"
    if hasattr(model, "_layers_list"):
        return "sequential"
    if getattr(model, "_keras_model", False):
        return "subclassed"
    return "layer"


def model_inputs(model) -> list:
    """The model's input ``KerasTensor``s, in order (the model must be built)."""
    kind = _kind(model)
    if kind == "subclassed":
        raise ExportError(
            f"Model '{model.name}' ({type(model).__name__}) is a subclassed model: its `call` "
            "is Python code that the ONNX export cannot read. Build the same network as a "
            "Sequential or functional model (keras.Model(inputs, outputs)), set its weights "
            "with set_weights(model.get_weights()), and export that.")
    if not model.built or (kind == "sequential" and not model.layers):
        raise ExportError(
            f"Model '{model.name}' is not built, so its input shapes are unknown. Start it "
            "with keras.Input(shape=...) or call it on data once before export.")
    return list(model.inputs)


def model_outputs_struct(model):
    """The structure of the model's outputs (a tensor, a list or a dict of them)."""
    if _kind(model) == "functional":
        return model._outputs_struct
    return model.outputs[0]


def _unsupported(layer, where: str) -> ExportError:
    names = ", ".join(supported_layers())
    return ExportError(
        f"Layer '{layer.name}' ({type(layer).__name__}){where} has no ONNX converter in "
        f"lamina, so the model cannot be exported. Layers that export: {names}; and "
        "Sequential or functional models made of them.")


def _as_values(outs, shapes, layer, graph) -> list:
    outs = outs if isinstance(outs, list) else [outs]
    if len(outs) != len(shapes):
        raise ExportError(f"Layer '{layer.name}': its converter made {len(outs)} outputs, "
                          f"the layer has {len(shapes)}.")
    values = []
    for o, shape in zip(outs, shapes):
        if not isinstance(o, Value):
            o = Value(o, shape, graph.dtype)
        elif o.shape is None:
            o.shape = tuple(shape)
        values.append(o)
    return values


def convert_layer(graph, layer, inputs: list, out_shapes: list, where: str = "",
                  call_kwargs=None) -> list:
    """Write ``layer`` applied to ``inputs``; return its output ``Value``s. ``call_kwargs``
    are the arguments the graph fixed for this call (``graph.call_kwargs`` while converting)."""
    if _kind(layer) != "layer":
        return convert_model(graph, layer, inputs, where)
    fn = find(layer)
    if fn is None:
        raise _unsupported(layer, where)
    masked = any(v.mask is not None for v in inputs) and not handles_masks(layer)
    if masked:
        _check_mask_passes(layer, inputs, where)
    outer, outer_kwargs = graph.scope, graph.call_kwargs
    graph.scope = f"{outer}/{layer.name}" if outer else layer.name
    graph.call_kwargs = dict(call_kwargs or {})
    try:
        outs = fn(graph, layer, inputs)
    finally:
        graph.scope, graph.call_kwargs = outer, outer_kwargs
    values = _as_values(outs, out_shapes, layer, graph)
    if masked and layer.supports_masking:  # the mask passes through unchanged
        for v in values:
            v.mask = inputs[0].mask
    return values


# Layers whose call takes a mask but uses it only in training.
_MASK_UNUSED_AT_INFERENCE = ("BatchNormalization",)


def _check_mask_passes(layer, inputs, where):
    """Refuse a layer that would read or change the Keras mask its inputs carry (its converter
    knows nothing of masks); a layer that passes it unchanged, or drops it, is fine."""
    from lamina.layers.keras_api import KerasLayerAPI

    name = type(layer).__name__
    reads = "mask" in inspect.signature(layer.call).parameters and \
        name not in _MASK_UNUSED_AT_INFERENCE
    changes = getattr(type(layer), "compute_mask", None) is not KerasLayerAPI.compute_mask
    if reads or changes or (layer.supports_masking and len(inputs) > 1):
        raise ExportError(
            f"Layer '{layer.name}' ({name}){where} receives a Keras mask (from "
            "Embedding(mask_zero=True) or Masking) and uses it, which lamina's ONNX export does "
            f"not do for {name}. Masks export through: {', '.join(masked_layers())}.")


def convert_model(graph, model, inputs: list, where: str = "", top: bool = False) -> list:
    """Write every layer of ``model`` applied to ``inputs``; return the output ``Value``s
    (flattened, in the order of ``tree.flatten`` of the model's outputs). Below the top
    model, node names start with the model's name."""
    model_inputs(model)  # (the checks: built, not subclassed)
    inside = f" in model '{model.name}'"
    outer = graph.scope
    if not top:
        graph.scope = f"{outer}/{model.name}" if outer else model.name
    try:
        if _kind(model) == "sequential":
            return _sequential(graph, model, inputs, inside)
        return _functional(graph, model, inputs, inside)
    finally:
        graph.scope = outer


def _sequential(graph, model, inputs, where):
    if len(inputs) != 1:
        raise ExportError(f"Sequential model '{model.name}' takes one input; got {len(inputs)}.")
    x = inputs[0]
    for layer in model.layers:
        shape = tuple(layer.compute_output_shape(x.shape))
        (x,) = convert_layer(graph, layer, [x], [shape], where)
    return [x]


def _functional(graph, model, inputs, where):
    if len(inputs) != len(model.inputs):
        raise ExportError(f"Model '{model.name}' has {len(model.inputs)} inputs; got "
                          f"{len(inputs)}.")
    values = {id(kt): v for kt, v in zip(model.inputs, inputs)}
    for layer, layer_inputs, outs in model._steps:
        call_kwargs = getattr(outs[0], "_call_kwargs", None) or {}
        if call_kwargs.get("training"):
            raise ExportError(
                f"Layer '{layer.name}' ({type(layer).__name__}){where} is called with "
                "training=True in the graph, so it would act as in training; the ONNX file is "
                "for inference. Build the model without training=True there.")
        if getattr(outs[0], "_call_extra", None):
            raise ExportError(
                f"Layer '{layer.name}' ({type(layer).__name__}){where} is called with other "
                "tensor arguments besides its inputs (layer(a, b) or a tensor keyword), which "
                "the ONNX export does not convert yet. Pass them as one list of inputs.")
        args = [values[id(t)] for t in tree.flatten(layer_inputs)]
        got = convert_layer(graph, layer, args, [tuple(o.shape) for o in outs], where,
                            call_kwargs)
        for kt, value in zip(outs, got):
            values[id(kt)] = value
    return [values[id(t)] for t in model.outputs]
