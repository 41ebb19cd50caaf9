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

from lamina.constraints._constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm
from lamina.utils import registry

_CLASSES = (MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
_REGISTRY: dict = registry.by_class_name(_CLASSES)  # "MaxNorm", "max_norm", ...

# Keras's lower-case aliases of the classes.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm


def _lookup(name: str, custom_objects=None):
    return registry.lookup("constraint", name, _REGISTRY, custom_objects)


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
    return registry.serialize_object(
        "constraint",
        constraint,
        "keras.constraints",
        _REGISTRY,
        fix="Subclass lamina.constraints.Constraint.",
    )


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
    return registry.deserialize("constraint", config, _lookup, custom_objects)


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


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
