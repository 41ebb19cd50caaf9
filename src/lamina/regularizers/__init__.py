"""``lamina.regularizers``: Keras 3's weight penalties and their registry.

A layer's ``kernel_regularizer`` / ``bias_regularizer`` / ``activity_regularizer``
takes an object, a class, a name (``"l2"``, ``"L1"``, ``"l1_l2"``) or a config
dict; ``get`` resolves all of these. The penalties are summed into the loss.

Example:
    >>> from lamina import regularizers
    >>> reg = regularizers.get("l2")
    >>> reg.l2, round(float(reg([1.0, 2.0])), 6)
    (0.01, 0.05)
"""

from __future__ import annotations

import inspect
import types

from lamina.regularizers._regularizers import L1, L1L2, L2, OrthogonalRegularizer, Regularizer
from lamina.utils.naming import to_snake_case, unknown_name_error

_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)
_REGISTRY: dict = {}
for _cls in _CLASSES:
    _REGISTRY[_cls.__name__] = _cls
    _REGISTRY[to_snake_case(_cls.__name__)] = _cls  # "l1", "l2", "l1l2", "orthogonal_regularizer"
del _cls

# Keras's lower-case aliases of the classes.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def _l1_l2_default():
    # Keras documents the string "l1_l2" as l1 = l2 = 0.01 (its get() rejects it).
    return L1L2(l1=0.01, l2=0.01)


_NAMES = (*_REGISTRY, "l1_l2")


def _lookup(name: str, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _REGISTRY:
        return _REGISTRY[name]
    raise unknown_name_error("regularizer", name, _NAMES)


def serialize(regularizer):
    """Return the Keras-format config dict of ``regularizer`` (``None`` stays ``None``).

    Example:
        >>> from lamina import regularizers
        >>> regularizers.serialize(regularizers.L2(0.1))
        {'module': 'keras.regularizers', 'class_name': 'L2', 'config': {'l2': 0.1}, \
'registered_name': None}
    """
    if regularizer is None:
        return None
    if isinstance(regularizer, types.FunctionType):
        return {
            "module": regularizer.__module__,
            "class_name": "function",
            "config": regularizer.__name__,
            "registered_name": regularizer.__name__,
        }
    if not hasattr(regularizer, "get_config"):
        raise ValueError(
            f"Cannot serialize the regularizer {regularizer!r}: it has no get_config(). "
            "Subclass lamina.regularizers.Regularizer and implement get_config()."
        )
    cls = type(regularizer)
    builtin = _REGISTRY.get(cls.__name__) is cls
    return {
        "module": "keras.regularizers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": regularizer.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config, custom_objects=None):
    """Build a regularizer from a name or a config dict (``serialize``'s or Keras's).

    Args:
        config: ``"l2"``, or ``{"class_name": "L2", "config": {"l2": 0.1}}``.
        custom_objects: optional ``{name: class_or_function}`` for custom
            regularizers. Nothing is ever imported or executed from a config.

    Example:
        >>> from lamina import regularizers
        >>> regularizers.deserialize({"class_name": "L1", "config": {"l1": 0.3}})
        L1(l1=0.3)
    """
    if isinstance(config, str):
        if config == "l1_l2" and not (custom_objects and config in custom_objects):
            return _l1_l2_default()
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "A regularizer config must be a name or a dict with a 'class_name' key. "
            f"Got {config!r} instead."
        )
    registered = config.get("registered_name")
    if config["class_name"] == "function":
        name = registered or config.get("config")
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        raise ValueError(
            f"The regularizer function {name!r} is not built in. Pass it in "
            f"custom_objects={{{name!r}: ...}} to load it."
        )
    if custom_objects and registered in custom_objects:
        cls = custom_objects[registered]
    else:
        cls = _lookup(config["class_name"], custom_objects)
    inner = config.get("config") or {}
    if inspect.isclass(cls):
        return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
    return cls


def get(identifier):
    """Return a regularizer for ``identifier``.

    Args:
        identifier: ``None`` (returned as ``None``), a name (``"l1"``, ``"l2"``,
            ``"L1L2"``, ``"l1_l2"``, ``"orthogonal_regularizer"``), a config dict,
            a class (instantiated with its defaults), or any callable.

    Raises:
        ValueError: for an unknown name (the message lists the valid names and
            the closest one) or an identifier of another kind.

    Example:
        >>> from lamina import regularizers
        >>> regularizers.get("l1_l2")
        L1L2(l1=0.01, l2=0.01)
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier == "l1_l2":
            return _l1_l2_default()
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        "A regularizer must be a name (e.g. 'l2'), a Regularizer, a function, a config "
        f"dict or None. Got {identifier!r} of type {type(identifier).__name__} instead."
    )


__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
]
