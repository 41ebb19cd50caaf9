"""Sequential and functional models to and from Keras's config dicts.

A ``Sequential`` config lists its layers (the input layer first) and its build
shape; a functional config lists each layer with the calls that feed it
("inbound nodes"), and the model's input and output tensors, exactly as Keras
3 (and, for reading, Keras 2) writes them. The layers themselves are written
and read by ``lamina.saving``.
"""

from __future__ import annotations

from lamina import tree
from lamina.layers import symbolic_ops
from lamina.layers.input_layer import InputLayer
from lamina.layers.input_spec import fill_extra, may_carry_mask
from lamina.saving.deserialization import (
    deserialize_keras_object,
    deserialize_layer,
    loading,
    shape_tuple,
)
from lamina.saving.serialization import dtype_policy, serialize_keras_object, shape_list

__all__ = ["functional_config", "functional_from_config", "sequential_config",
           "sequential_from_config"]


def sequential_config(model) -> dict:
    """Keras's config of a ``Sequential``: its layers (input layer first) and build shape."""
    config = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": dtype_policy(model.dtype),
        "layers": [serialize_keras_object(layer) for layer in _sequential_layers(model)],
    }
    shape = getattr(model, "_build_shape", None)
    if model.built and shape is not None:
        config["build_input_shape"] = shape_list(shape)
    return config


def _sequential_layers(model) -> list:
    """The input layer (if any) then the layers, each once."""
    out = [model._input_layer] if model._input_layer is not None else []
    for layer in model.layers:
        if all(layer is not seen for seen in out):
            out.append(layer)
    return out


def sequential_from_config(cls, config, custom_objects=None):
    """Rebuild a ``Sequential`` from ``sequential_config``'s dict (or Keras's, or Keras 2's)."""
    with loading(custom_objects):
        layer_configs = config.get("layers", config if isinstance(config, list) else [])
        dtype = config.get("dtype") if isinstance(config, dict) else None
        if isinstance(dtype, dict):
            dtype = deserialize_keras_object(dtype)
        kwargs = {"name": config.get("name"), "trainable": config.get("trainable", True)}
        if dtype is not None:
            kwargs["dtype"] = dtype
        model = cls(**kwargs)
        for layer_config in layer_configs:
            layer = deserialize_layer(layer_config)
            if isinstance(layer, InputLayer) and model._layers:
                continue
            model.add(layer, rebuild=False)
        model._maybe_rebuild()
        shape = config.get("build_input_shape")
        if not model.built and shape and model.layers:
            model.build(shape_tuple(shape))
        return model


def functional_config(model) -> dict:
    """Keras's config of a functional model: layers with their inbound nodes, inputs, outputs."""
    history = {}  # id(KerasTensor) -> [layer name, node index, tensor index]
    for t in model.inputs:
        history[id(t)] = [t._keras_history[0].name, 0, 0]
    calls: dict = {}
    nodes: dict = {}
    for layer, layer_inputs, outs in model._steps:
        index = calls.get(id(layer), 0)
        calls[id(layer)] = index + 1
        for i, t in enumerate(outs):
            history[id(t)] = [layer.name, index, i]
        nodes.setdefault(id(layer), []).append(
            (layer_inputs, outs[0]._call_kwargs or {}, getattr(outs[0], "_call_extra", None)))

    def ref(t):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": t.dtype,
                           "keras_history": history[id(t)]}}

    layers = []
    for layer in model.operations:
        if getattr(layer, "_is_operation", False):  # an op on symbolic tensors (x + y)
            for layer_inputs, _, _ in nodes.get(id(layer), []):
                entry, node = symbolic_ops.keras_entry(
                    layer, lambda i, inputs=layer_inputs: ref(inputs[i]))
                entry["inbound_nodes"] = [node]
                layers.append(entry)
            continue
        entry = serialize_keras_object(layer)
        entry["name"] = layer.name
        inbound = []
        for layer_inputs, call_kwargs, extra in nodes.get(id(layer), []):
            if isinstance(layer_inputs, dict):
                args = [{k: ref(t) for k, t in layer_inputs.items()}]
            elif isinstance(layer_inputs, (list, tuple)) and \
                    getattr(layer, "_inputs_as_arguments", False):
                args = [ref(t) for t in layer_inputs]  # layer(query, value): one arg each
            elif isinstance(layer_inputs, (list, tuple)):
                args = [[ref(t) for t in layer_inputs]]
            else:
                args = [ref(layer_inputs)]
            kwargs = {"mask": None} if getattr(layer, "_keras_model", False) else \
                dict(getattr(layer, "_keras_node_kwargs", {}))
            if any(_maybe_masked(t) for t in tree.flatten(layer_inputs)):
                kwargs.pop("mask", None)  # Keras refers to its mask computation here instead
            kwargs.update(call_kwargs)  # arguments fixed at the call, e.g. training=False
            if extra:  # other arguments holding tensors: layer(a, b), mask=...
                more, named = fill_extra(extra, ref)
                args += list(more)
                kwargs.update(named)
            inbound.append({"args": args, "kwargs": kwargs})
        entry["inbound_nodes"] = inbound
        layers.append(entry)

    def endpoints(tensors, struct):
        if isinstance(struct, dict):  # named inputs or outputs keep their names, as in Keras
            return {k: history[id(t)] for k, t in struct.items()}
        triples = [history[id(t)] for t in tensors]
        return triples[0] if len(triples) == 1 and not isinstance(struct, (list, tuple)) \
            else triples

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": endpoints(model.inputs, model._inputs_struct),
        "output_layers": endpoints(model.outputs, model._outputs_struct),
    }


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model from ``functional_config``'s dict (or Keras's / Keras 2's)."""
    with loading(custom_objects):
        created, outputs, pending = {}, {}, []
        masks_only = _mask_operations(config.get("layers", []), config.get("output_layers"))
        for entry in config.get("layers", []):
            if entry.get("name") in masks_only:
                continue  # a mask computation Keras recorded; lamina recomputes masks itself
            if symbolic_ops.is_keras_entry(entry):  # an op on symbolic tensors (x + y)
                for node_index, node in enumerate(entry.get("inbound_nodes") or []):
                    pending.append((entry.get("name"), node_index, (entry, node)))
                continue
            layer = deserialize_layer(entry)
            name = entry.get("name") or layer.name
            if name in created:
                raise ValueError(f"The model config has two layers named {name!r}.")
            created[name] = layer
            if isinstance(layer, InputLayer):
                outputs[(name, 0)] = [layer.output]
            for node_index, node in enumerate(entry.get("inbound_nodes") or []):
                pending.append((name, node_index, _positional(layer, node)))
        while pending:
            progress, waiting = False, []
            for name, node_index, node in pending:
                if isinstance(node, tuple):
                    try:
                        op, tensors = symbolic_ops.from_keras_entry(
                            *node, lambda r: _resolve_tensors(r, outputs))
                    except KeyError:
                        waiting.append((name, node_index, node))
                        continue
                    result = op(tensors)
                    outputs[(name, node_index)] = result if isinstance(result, list) else [result]
                    progress = True
                    continue
                layer = created[name]
                args, more, named = _node_call(layer, node, masks_only)
                try:
                    tensors = _resolve_tensors(args, outputs)
                    more = [_resolve_tensors(a, outputs) if _holds_ref(a) else a for a in more]
                    named = {k: _resolve_tensors(v, outputs) for k, v in named.items()}
                except KeyError:
                    waiting.append((name, node_index, node))
                    continue
                result = layer(tensors, *more, **_node_kwargs(node), **named)
                outputs[(name, node_index)] = result if isinstance(result, list) else [result]
                progress = True
            if not progress:
                missing = sorted({n for n, _, _ in waiting})
                raise ValueError(
                    f"The functional model config cannot be rebuilt: the inputs of layers "
                    f"{missing} are never produced. The file may be damaged."
                )
            pending = waiting

        def endpoint(spec):
            if isinstance(spec, dict):
                return {k: endpoint(v) for k, v in spec.items()}
            if isinstance(spec, (list, tuple)) and spec and isinstance(spec[0], str):
                return _tensor_at(spec, outputs)
            return [endpoint(s) for s in spec]

        inputs = endpoint(config["input_layers"])
        outs = endpoint(config["output_layers"])
        keras2 = any("module" not in entry for entry in config.get("layers", []))
        if keras2:  # Keras 2 lists every endpoint, even a single one
            inputs = inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else inputs
            outs = outs[0] if isinstance(outs, list) and len(outs) == 1 else outs
        return cls(inputs=inputs, outputs=outs, name=config.get("name"),
                   trainable=config.get("trainable", True))


def _positional(layer, node):
    """A call Keras recorded with tensors as keywords (``mha(query=a, value=b, key=c)``) as
    positional inputs, for layers whose inputs are call arguments (``_inputs_as_arguments``)."""
    names = getattr(layer, "_inputs_as_arguments", None)
    if not isinstance(names, tuple) or not isinstance(node, dict) or \
            not any(k in names for k in node.get("kwargs") or {}):
        return node
    args, kwargs = list(node.get("args", [])), dict(node["kwargs"])
    for n in names[len(args):]:
        if n not in kwargs:
            break
        args.append(kwargs.pop(n))
    return {"args": args, "kwargs": kwargs}


def _is_tensor_ref(value) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _maybe_masked(t) -> bool:
    """Whether ``t`` may carry a mask (a nested model's outputs may, whatever it holds)."""
    history = getattr(t, "_keras_history", None) or ()
    return may_carry_mask(t) or bool(history) and getattr(history[0], "_keras_model", False)


def _mask_operations(entries, output_layers=None) -> set:
    """Names of the operation nodes (``keras.src.ops``) whose outputs only feed ``mask=``.

    Keras 3 writes the computations of masks (``not_equal`` for an Embedding's
    padding, ``any`` for Masking) into a functional config as nodes of their own;
    lamina computes masks as the layers run, so it skips them. An operation whose
    result is data (a model output, a layer's input, or the input of another
    operation that is data: ``x + y`` between layers) is kept.
    """
    ops_nodes = {e.get("name") for e in entries if symbolic_ops.is_keras_entry(e)}
    if not ops_nodes:
        return set()
    uses: dict = {}  # node name -> [(consumer name or None for an output, as a mask?)]

    def walk(value, consumer, as_mask):
        if _is_tensor_ref(value):
            uses.setdefault(value["config"]["keras_history"][0], []).append(
                (consumer, as_mask))
        elif isinstance(value, (list, tuple)) and len(value) == 3 and \
                isinstance(value[0], str) and consumer is None:
            uses.setdefault(value[0], []).append((None, False))  # an output endpoint
        elif isinstance(value, dict):
            for v in value.values():
                walk(v, consumer, as_mask)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, consumer, as_mask)

    for entry in entries:
        for node in entry.get("inbound_nodes") or []:
            if not isinstance(node, dict):
                continue
            walk(node.get("args", []), entry.get("name"), False)
            for key, value in (node.get("kwargs") or {}).items():
                walk(value, entry.get("name"), key == "mask")
    walk(output_layers or [], None, False)
    masks_only = set(ops_nodes)
    changed = True
    while changed:
        changed = False
        for name in list(masks_only):
            if any(not as_mask and consumer not in masks_only
                   for consumer, as_mask in uses.get(name, [])):
                masks_only.discard(name)
                changed = True
    return masks_only


def _holds_ref(value) -> bool:
    if _is_tensor_ref(value):
        return True
    return isinstance(value, (list, tuple)) and any(_holds_ref(v) for v in value)


def _node_call(layer, node, masks_only=()):
    """``(inputs, other positional arguments, keyword arguments holding tensors)`` of one
    saved call. A layer whose tensors are its call's arguments (attention) takes them as one
    list; any other layer called with several arguments (``Cross()(query, context)``) gets
    the first as its inputs and the rest as they were. A ``mask=`` computed by Keras's own
    mask operations is left out: lamina computes those masks as the layers run."""
    if not isinstance(node, dict) or getattr(layer, "_inputs_as_arguments", False):
        return _node_inputs(node), [], _tensor_kwargs(node, masks_only)
    args = list(node.get("args", []))
    if len(args) <= 1:
        return _node_inputs(node), [], _tensor_kwargs(node, masks_only)
    return args[0], args[1:], _tensor_kwargs(node, masks_only)


def _tensor_kwargs(node, masks_only) -> dict:
    if not isinstance(node, dict):
        return {}
    named = {}
    for key, value in (node.get("kwargs") or {}).items():
        if not _holds_ref(value):
            continue
        if key == "mask" and (not _is_tensor_ref(value) or
                              value["config"]["keras_history"][0] in masks_only):
            continue
        named[key] = value
    return named


def _node_inputs(node):
    """The symbolic inputs of one inbound node (Keras 3 dict or Keras 2 list form)."""
    if isinstance(node, dict):
        args = node.get("args", [])
        return args[0] if len(args) == 1 else args
    # Keras 2: [[layer_name, node_index, tensor_index, kwargs], ...]
    refs = [[item[0], item[1], item[2]] for item in node]
    return refs[0] if len(refs) == 1 else refs


def _node_kwargs(node) -> dict:
    """The fixed arguments of a saved layer call (``training``, ``use_causal_mask``,
    ``return_attention_scores``, ...: plain values; never tensors or masks). A ``training``
    given here holds only when the model is called without a flag (``Functional._run``)."""
    if not isinstance(node, dict):
        return {}
    kwargs = node.get("kwargs") or {}
    return {k: v for k, v in kwargs.items()
            if k == "training" and isinstance(v, bool) or k not in ("training", "mask")
            and isinstance(v, (bool, int, float, str))}


def _resolve_tensors(args, outputs):
    if isinstance(args, dict) and args.get("class_name") == "__keras_tensor__":
        history = args["config"]["keras_history"]
        return _tensor_at(history, outputs)
    if isinstance(args, (list, tuple)) and len(args) == 3 and isinstance(args[0], str):
        return _tensor_at(args, outputs)
    if isinstance(args, (list, tuple)):
        return [_resolve_tensors(a, outputs) for a in args]
    if isinstance(args, dict):  # named inputs of a nested model
        return {k: _resolve_tensors(a, outputs) for k, a in args.items()}
    raise ValueError(f"Unrecognized layer input in a functional config: {args!r}.")


def _tensor_at(history, outputs):
    name, node_index, tensor_index = history[0], int(history[1]), int(history[2])
    return outputs[(name, node_index)][tensor_index]
