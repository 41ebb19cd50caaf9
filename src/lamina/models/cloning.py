"""``clone_model`` and ``model_from_json``: new models from an existing one's structure."""

from __future__ import annotations

__all__ = ["clone_model", "model_from_json"]


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the same structure as ``model`` and freshly initialized weights.

    Args:
        model: a ``Sequential`` or functional model (a subclassed model is rebuilt
            with ``from_config(get_config())``).
        input_tensors: optional new input (``lamina.Input``) to build the clone on.
        clone_function: ``fn(layer) -> new layer``; default: a new layer from the
            layer's config (same name, new weights). Return the layer itself to share it.
        call_function: not supported (raises if given).
        recursive: also apply ``clone_function`` inside nested models.

    Example:
        >>> import lamina
        >>> model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
        >>> clone = lamina.models.clone_model(model)
        >>> clone.layers[0] is model.layers[0], clone.layers[0].units
        (False, 2)
    """
    from lamina.layers.input_layer import InputLayer
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential

    if kwargs:
        raise TypeError(f"clone_model got unexpected keyword arguments: {sorted(kwargs)}.")
    if call_function is not None:
        raise ValueError("clone_model(call_function=...) is not supported by lamina.")
    clone_function = clone_function or _default_clone

    def clone_layer(layer):
        if recursive and isinstance(layer, (Sequential, Functional)):
            return clone_model(layer, clone_function=clone_function, recursive=True)
        if isinstance(layer, (Sequential, Functional)) and clone_function is _default_clone:
            return clone_model(layer)
        return clone_function(layer)

    if isinstance(model, Sequential):
        new = Sequential(name=model.name, trainable=model.trainable)
        if input_tensors is not None:
            new.add(input_tensors[0] if isinstance(input_tensors, (list, tuple)) else input_tensors)
        elif model._input_layer is not None:
            new.add(InputLayer(batch_shape=model._input_layer.batch_shape,
                               dtype=model._input_layer.dtype, name=model._input_layer.name))
        for layer in model.layers:
            new.add(clone_layer(layer), rebuild=False)
        new._maybe_rebuild()
        return new
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone_layer)
    if clone_function is not _default_clone:
        raise ValueError(
            "clone_model(clone_function=...) needs a Sequential or functional model; "
            f"{type(model).__name__} is a subclassed model."
        )
    return model.__class__.from_config(model.get_config())


def _clone_functional(model, input_tensors, clone_layer):
    from lamina.layers.input_layer import Input, InputLayer
    from lamina.models.functional import Functional

    if input_tensors is not None:
        new_inputs = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [
            input_tensors]
        if len(new_inputs) != len(model.inputs):
            raise ValueError(
                f"clone_model got {len(new_inputs)} input tensors for a model with "
                f"{len(model.inputs)} inputs."
            )
    else:
        new_inputs = []
        for t in model.inputs:
            old = t._keras_history[0]
            new_inputs.append(Input(batch_shape=old.batch_shape, dtype=old.dtype, name=old.name))
    mapping = {id(old): new for old, new in zip(model.inputs, new_inputs)}
    clones: dict = {}
    for layer, layer_inputs, outs in model._steps:
        if isinstance(layer, InputLayer):
            continue
        if id(layer) not in clones:
            clones[id(layer)] = clone_layer(layer)
        new_layer = clones[id(layer)]
        if isinstance(layer_inputs, (list, tuple)):
            args = [mapping[id(t)] for t in layer_inputs]
        else:
            args = mapping[id(layer_inputs)]
        result = new_layer(args)
        results = result if isinstance(result, list) else [result]
        for old, new in zip(outs, results if len(outs) > 1 else [result]):
            mapping[id(old)] = new
    outputs = [mapping[id(t)] for t in model.outputs]
    inputs = new_inputs if isinstance(model._inputs_struct, (list, tuple)) else new_inputs[0]
    outputs = outputs if isinstance(model._outputs_struct, (list, tuple)) else outputs[0]
    return Functional(inputs, outputs, name=model.name, trainable=model.trainable)


def model_from_json(json_string, custom_objects=None):
    """A model (new weights) from ``model.to_json()``'s string; never runs code from it.

    Example:
        >>> import lamina
        >>> model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
        >>> lamina.models.model_from_json(model.to_json()).layers[0].units
        2
    """
    from lamina.saving import safety
    from lamina.saving.keras_file import model_from_config

    config = safety.parse_json(json_string, what="the model JSON")
    return model_from_config(config, custom_objects=custom_objects, compile=True)
