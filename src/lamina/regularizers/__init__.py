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

from lamina.regularizers._regularizers import L1, L1L2, L2, OrthogonalRegularizer, Regularizer
from lamina.utils import registry

_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)
# "L1", "l1", "L1L2", "l1l2", "OrthogonalRegularizer", "orthogonal_regularizer", ...
_REGISTRY: dict = registry.by_class_name(_CLASSES)

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
    return registry.lookup("regularizer", name, _REGISTRY, custom_objects, valid=_NAMES)


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
    return registry.serialize_object(
        "regularizer",
        regularizer,
        "keras.regularizers",
        _REGISTRY,
        fix="Subclass lamina.regularizers.Regularizer and implement get_config().",
    )


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
    if isinstance(config, str) and config == "l1_l2":
        if not (custom_objects and config in custom_objects):
            return _l1_l2_default()
    return registry.deserialize("regularizer", config, _lookup, custom_objects)


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


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
