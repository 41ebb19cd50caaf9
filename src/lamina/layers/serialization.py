"""Layers to and from Keras's config dicts, by registered class name only (no code is loaded)."""

from __future__ import annotations

__all__ = ["deserialize_layer", "get_layer_class", "register_layer", "serialize_layer"]

_REGISTRY: dict = {}


def register_layer(cls, name: str | None = None):
    """Make ``cls`` loadable from configs under ``name`` (default its class name)."""
    _REGISTRY[name or cls.__name__] = cls
    return cls


def _builtin_layers() -> dict:
    from lamina import layers

    out = {}
    for name in layers.__all__:
        obj = getattr(layers, name)
        if isinstance(obj, type) and issubclass(obj, layers.Layer):
            out[name] = obj
    from lamina.models.sequential import Sequential
    from lamina.models.functional import Functional

    out["Sequential"] = Sequential
    out["Functional"] = Functional
    return out


def get_layer_class(class_name: str, custom_objects=None):
    """The lamina class for a Keras layer class name, or a clear error."""
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    table = {**_builtin_layers(), **_REGISTRY}
    if class_name in table:
        return table[class_name]
    from lamina.utils.naming import unknown_name_error

    import lamina

    err = unknown_name_error("layer class", class_name, table)
    raise ValueError(
        f"{err} lamina {lamina.__version__} does not provide this layer. If it is your own "
        "class, pass it in `custom_objects={'" + class_name + "': " + class_name + "}` or "
        "register it with `lamina.utils.register_keras_serializable()`."
    )


def serialize_layer(layer) -> dict:
    """A Keras-style dict: module, class_name, config, registered_name."""
    out = {
        "module": "keras.layers",
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "registered_name": None,
    }
    shape = getattr(layer, "_build_shape", None)
    if shape is not None and type(layer).__name__ != "InputLayer":
        out["build_config"] = {"input_shape": list(shape)}
    return out


def deserialize_layer(config: dict, custom_objects=None):
    """Create a layer from ``serialize_layer``'s output."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "A layer config must be a dict with 'class_name' and 'config'; got "
            f"{type(config).__name__}."
        )
    cls = get_layer_class(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config", {})))
