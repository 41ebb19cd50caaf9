"""``lamina.activations``: Keras 3's activation functions and their registry.

Layers take an activation as a name (``activation="relu"``), a function, or
``None`` (linear); ``get`` turns any of these into the function. Every function
is built from ``lamina.ops``, so gradients come for free and match Keras's,
kinks included.

Example:
    >>> from lamina import activations
    >>> activations.get("relu") is activations.relu
    True
    >>> activations.serialize(activations.get("swish"))
    'silu'
"""

from __future__ import annotations

import types

from lamina.activations._functions import (
    celu,
    elu,
    exponential,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    swish,
    tanh,
    tanh_shrink,
    threshold,
)
from lamina.utils import registry

_FUNCTIONS = (
    celu,
    elu,
    exponential,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    tanh,
    tanh_shrink,
    threshold,
)
_REGISTRY: dict = {fn.__name__: fn for fn in _FUNCTIONS}
_REGISTRY.update(swish=silu, hard_swish=hard_silu)
_BUILTIN_IDS = {id(fn) for fn in _FUNCTIONS}


def _lookup(name: str, custom_objects=None):
    return registry.lookup("activation", name, _REGISTRY, custom_objects)


def serialize(activation):
    """Return what a config stores for ``activation``.

    A built-in activation becomes its name (``"relu"``; ``swish`` becomes
    ``"silu"``, its canonical name). Any other function becomes a dict naming
    it, which ``deserialize`` resolves through ``custom_objects``. An object
    with ``get_config`` (such as an activation layer) becomes
    ``{"class_name": ..., "config": ...}``.

    Example:
        >>> from lamina import activations
        >>> activations.serialize(activations.relu)
        'relu'
    """
    if id(activation) in _BUILTIN_IDS:
        return activation.__name__
    if isinstance(activation, types.FunctionType):
        return registry.function_config(activation)
    if hasattr(activation, "get_config"):
        return registry.object_config(activation)
    raise ValueError(
        f"Cannot serialize the activation {activation!r}: it is neither a built-in "
        "activation, a function, nor an object with get_config(). Use a named function."
    )


def deserialize(config, custom_objects=None):
    """Return the activation function a config describes.

    Args:
        config: a name (``"relu"``) or a dict written by ``serialize`` / Keras
            (``{"class_name": "function", "config": "relu", ...}``).
        custom_objects: optional ``{name: function_or_class}`` for activations
            that are not built in. Nothing is ever imported or executed from a config.

    Example:
        >>> from lamina import activations
        >>> activations.deserialize({"class_name": "function", "config": "tanh"}).__name__
        'tanh'
    """
    if isinstance(config, dict) and str(config.get("module", "")).startswith("keras.layers"):
        # An activation layer (ReLU, ...): layers sit above activations, so found by name.
        cls = registry.classes("layer").get(config.get("class_name"))
        if isinstance(cls, type):
            return cls.from_config(config.get("config") or {})
    return registry.deserialize("activation", config, _lookup, custom_objects,
                                find_function=_lookup)


def get(identifier):
    """Return the activation function for ``identifier``.

    Args:
        identifier: ``None`` (gives ``linear``), a name such as ``"relu"``, a
            config dict, or any callable (returned as is).

    Raises:
        ValueError: for an unknown name (the message lists the valid names and
            the closest one) or an identifier of another type.

    Example:
        >>> from lamina import activations
        >>> activations.get(None).__name__
        'linear'
        >>> activations.get("gelu")([0.0]).numpy()
        array([0.], dtype=float32)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return _lookup(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        "An activation must be a name (e.g. 'relu'), a function, a config dict or None. "
        f"Got {identifier!r} of type {type(identifier).__name__} instead."
    )


__all__ = [
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
