"""``lamina.initializers``: Keras 3's weight initializers and their registry.

An initializer is called as ``init(shape, dtype=None)`` and returns a NumPy
array (``floatx()``, float32, unless ``dtype`` says otherwise). Layers take one
as an object, a class, a name (``"glorot_uniform"``, ``"GlorotUniform"``,
``"zeros"``) or a config dict; ``get`` resolves all of these.

Example:
    >>> from lamina import initializers
    >>> init = initializers.get("glorot_uniform")
    >>> init((3, 2)).shape
    (3, 2)
    >>> initializers.serialize(initializers.Zeros())["class_name"]
    'Zeros'
"""

from __future__ import annotations

import inspect

import numpy as np

from lamina.initializers._base import Initializer, standardize_dtype, standardize_shape
from lamina.initializers._constant import Constant, Identity, Ones, Zeros
from lamina.initializers._random import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    compute_fans,
)
from lamina.utils import registry

_CLASSES = (
    Constant,
    Identity,
    Ones,
    Zeros,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
_REGISTRY: dict = registry.by_class_name(_CLASSES)
_REGISTRY.update(
    IdentityInitializer=Identity,
    OrthogonalInitializer=Orthogonal,
    normal=RandomNormal,
    uniform=RandomUniform,
    one=Ones,
    zero=Zeros,
)

# Keras's lower-case aliases of the classes.
constant = Constant
identity = Identity
ones = Ones
zeros = Zeros
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling


def _lookup(name: str, custom_objects=None):
    return registry.lookup("initializer", name, _REGISTRY, custom_objects)


def serialize(initializer) -> dict:
    """Return the Keras-format config dict of ``initializer``.

    Example:
        >>> from lamina import initializers
        >>> initializers.serialize(initializers.Constant(2.0))
        {'module': 'keras.initializers', 'class_name': 'Constant', 'config': {'value': 2.0}, \
'registered_name': None}
    """
    return registry.serialize_object(
        "initializer",
        initializer,
        "keras.initializers",
        _REGISTRY,
        fix="Subclass lamina.initializers.Initializer and implement get_config().",
    )


def deserialize(config, custom_objects=None):
    """Build an initializer from a name or a config dict (``serialize``'s or Keras's).

    Args:
        config: ``"he_normal"``, or ``{"class_name": "HeNormal", "config": {...}}``.
        custom_objects: optional ``{name: class_or_function}`` for custom initializers.
            Nothing is ever imported or executed from a config.

    Example:
        >>> from lamina import initializers
        >>> initializers.deserialize({"class_name": "RandomNormal", "config": {"stddev": 1.0}})
        RandomNormal(seed=None, mean=0.0, stddev=1.0)
    """
    return registry.deserialize("initializer", config, _lookup, custom_objects)


def get(identifier):
    """Return an initializer for ``identifier``.

    Args:
        identifier: ``None`` (returned as ``None``), a name, a config dict, a
            class (instantiated with its defaults), an instance or any callable
            ``f(shape, dtype=None)``, or an array (used as the exact initial
            value; the requested shape must match it).

    Raises:
        ValueError: for an unknown name (the message lists the valid names and
            the closest one) or an identifier of another kind.

    Example:
        >>> from lamina import initializers
        >>> initializers.get("ones")((2,))
        array([1., 1.], dtype=float32)
        >>> initializers.get(initializers.HeNormal)
        HeNormal(seed=None, input_axes=None, output_axes=None)
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, np.ndarray) or hasattr(identifier, "numpy"):
        value = np.array(identifier)

        def initialize_from_value(shape, dtype=None):
            shape = standardize_shape(shape, "The array initializer")
            if shape != value.shape:
                raise ValueError(
                    f"This initializer is an array of shape {value.shape}, but a weight of "
                    f"shape {shape} asked for it. Pass an array with the weight's shape."
                )
            return value.astype(standardize_dtype(dtype, "The array initializer"))

        return initialize_from_value
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        "An initializer must be a name (e.g. 'glorot_uniform'), an Initializer, a callable "
        f"f(shape, dtype), a config dict, an array or None. Got {identifier!r} of type "
        f"{type(identifier).__name__} instead."
    )


__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomInitializer",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

registry.register_getter("initializer", get)  # how a Variable resolves an initializer's name


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
