"""``lamina.constraints``: Keras 3's weight constraints and their registry.

A layer's ``kernel_constraint`` / ``bias_constraint`` takes an object, a class,
a name (``"max_norm"``, ``"NonNeg"``) or a config dict; ``get`` resolves all of
these. The trainer applies the constraint after each optimizer update.

Example:
    >>> from lamina import constraints
    >>> constraints.get("non_neg")([-1.0, 1.0]).numpy()
    array([0., 1.], dtype=float32)
"""

from __future__ import annotations

import inspect
import types

from lamina.constraints._constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm
from lamina.utils.naming import to_snake_case, unknown_name_error

_CLASSES = (MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
_REGISTRY: dict = {}
for _cls in _CLASSES:
    _REGISTRY[_cls.__name__] = _cls
    _REGISTRY[to_snake_case(_cls.__name__)] = _cls  # "max_norm", "min_max_norm", ...
del _cls

# Keras's lower-case aliases of the classes.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm


def _lookup(name: str, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _REGISTRY:
        return _REGISTRY[name]
    raise unknown_name_error("constraint", name, _REGISTRY)


def serialize(constraint):
    """Return the Keras-format config dict of ``constraint`` (``None`` stays ``None``).

    Example:
        >>> from lamina import constraints
        >>> constraints.serialize(constraints.UnitNorm(axis=1))
        {'module': 'keras.constraints', 'class_name': 'UnitNorm', 'config': {'axis': 1}, \
'registered_name': None}
    """
    if constraint is None:
        return None
    if isinstance(constraint, types.FunctionType):
        return {
            "module": constraint.__module__,
            "class_name": "function",
            "config": constraint.__name__,
            "registered_name": constraint.__name__,
        }
    if not hasattr(constraint, "get_config"):
        raise ValueError(
            f"Cannot serialize the constraint {constraint!r}: it has no get_config(). "
            "Subclass lamina.constraints.Constraint."
        )
    cls = type(constraint)
    builtin = _REGISTRY.get(cls.__name__) is cls
    return {
        "module": "keras.constraints" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": constraint.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config, custom_objects=None):
    """Build a constraint from a name or a config dict (``serialize``'s or Keras's).

    Args:
        config: ``"max_norm"``, or ``{"class_name": "MaxNorm", "config": {...}}``.
        custom_objects: optional ``{name: class_or_function}`` for custom
            constraints. Nothing is ever imported or executed from a config.

    Example:
        >>> from lamina import constraints
        >>> constraints.deserialize({"class_name": "MaxNorm", "config": {"max_value": 3}})
        MaxNorm(max_value=3, axis=0)
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "A constraint config must be a name or a dict with a 'class_name' key. "
            f"Got {config!r} instead."
        )
    registered = config.get("registered_name")
    if config["class_name"] == "function":
        name = registered or config.get("config")
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        raise ValueError(
            f"The constraint function {name!r} is not built in. Pass it in "
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
    """Return a constraint for ``identifier``.

    Args:
        identifier: ``None`` (returned as ``None``), a name (``"max_norm"``,
            ``"MinMaxNorm"``, ``"non_neg"``, ``"unit_norm"``), a config dict, a class
            (instantiated with its defaults), or any callable.

    Raises:
        ValueError: for an unknown name (the message lists the valid names and
            the closest one) or an identifier of another kind.

    Example:
        >>> from lamina import constraints
        >>> constraints.get("max_norm")
        MaxNorm(max_value=2, axis=0)
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        "A constraint must be a name (e.g. 'max_norm'), a Constraint, a function, a config "
        f"dict or None. Got {identifier!r} of type {type(identifier).__name__} instead."
    )


__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]
