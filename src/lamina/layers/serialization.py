"""Layers to and from Keras's config dicts, by registered class name only (no code is loaded).

``serialize_layer`` gives Keras 3's ``{"module", "class_name", "config",
"registered_name", "build_config"}`` dict; ``deserialize_layer`` rebuilds a
layer from it (or from a Keras 2 ``{"class_name", "config"}`` dict). The work
is done by ``lamina.saving``; this module keeps the layer registry.

Example:
    >>> import lamina
    >>> config = lamina.layers.serialize(lamina.layers.Dense(3, name="out"))
    >>> lamina.layers.deserialize(config).units
    3
"""

from __future__ import annotations

__all__ = [
    "builtin_layer_classes",
    "deserialize_layer",
    "get_layer_class",
    "register_layer",
    "registered_layer",
    "serialize_layer",
]

_REGISTRY: dict = {}


def register_layer(cls, name: str | None = None):
    """Make ``cls`` loadable from configs under ``name`` (default its class name).

    Prefer ``lamina.saving.register_keras_serializable`` for your own layers: it
    also gives them the ``"Package>Name"`` that Keras uses.
    """
    _REGISTRY[name or cls.__name__] = cls
    return cls


def registered_layer(name: str):
    """The class registered with ``register_layer`` under ``name``, or None."""
    return _REGISTRY.get(name)


def builtin_layer_classes() -> dict:
    """lamina's layer classes by Keras class name, models included."""
    from lamina import layers
    from lamina.models.functional import Functional
    from lamina.models.model import Model
    from lamina.models.sequential import Sequential

    out = {}
    for name in layers.__all__:
        obj = getattr(layers, name, None)
        if isinstance(obj, type) and issubclass(obj, layers.Layer) and obj is not layers.Layer:
            out[name] = obj
    out.update(Sequential=Sequential, Functional=Functional, Model=Model)
    return out


def get_layer_class(class_name: str, custom_objects=None):
    """The lamina class for a Keras layer class name, or an error naming the lamina version."""
    from lamina.saving import object_registration
    from lamina.saving.serialization import UnknownObjectError, builtin_classes

    found = object_registration.get_registered_object(class_name, custom_objects)
    if found is not None:
        return found
    table = {**builtin_classes("layer"), **_REGISTRY}
    if class_name in table:
        return table[class_name]
    import lamina
    from lamina.utils.naming import closest

    guess = closest(class_name, table)
    raise UnknownObjectError(
        f"Unknown layer class {class_name!r}: lamina {lamina.__version__} does not provide it."
        + (f" Did you mean {guess!r}?" if guess else "")
        + " If it is your own class, pass custom_objects={'" + class_name + "': "
        + class_name + "} or register it with @lamina.saving.register_keras_serializable()."
    )


def serialize_layer(layer) -> dict:
    """A Keras-style dict: module, class_name, config, registered_name (and build_config)."""
    from lamina.saving.serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize_layer(config, custom_objects=None):
    """Create a layer from ``serialize_layer``'s output (or a Keras 2 layer config)."""
    from lamina.layers.layer import Layer
    from lamina.saving.serialization import deserialize_keras_object

    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "A layer config must be a dict with 'class_name' and 'config'; got "
            f"{type(config).__name__}."
        )
    layer = deserialize_keras_object(config, custom_objects=custom_objects, kind="layer")
    if not isinstance(layer, Layer):
        raise TypeError(
            f"The config of {config.get('class_name')!r} did not give a layer "
            f"(got {type(layer).__name__})."
        )
    return layer
