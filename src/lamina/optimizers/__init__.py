"""``lamina.optimizers``: Keras 3's optimizers, learning-rate schedules and registry.

Every optimizer has Keras's arguments, defaults and update equations, and
gives the same numbers in float32. Look one up by name with ``get``.

Example:
    >>> from lamina import optimizers
    >>> opt = optimizers.get("adam")
    >>> type(opt).__name__, opt.get_config()["beta_1"]
    ('Adam', 0.9)
"""

from __future__ import annotations

from lamina.optimizers import schedules
from lamina.optimizers.adadelta import Adadelta
from lamina.optimizers.adagrad import Adagrad
from lamina.optimizers.adam import Adam, AdamW
from lamina.optimizers.adamax import Adamax
from lamina.optimizers.nadam import Nadam
from lamina.optimizers.optimizer import Optimizer
from lamina.optimizers.rmsprop import RMSprop
from lamina.optimizers.sgd import SGD
from lamina.utils import naming, registry

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
    "schedules",
    "get",
    "serialize",
    "deserialize",
]

_BUILTIN = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam)
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in _BUILTIN}
_BY_CLASS_NAME = {cls.__name__: cls for cls in _BUILTIN}


def serialize(optimizer) -> dict:
    """Return the Keras-format dict of an optimizer.

    The dict has ``module``, ``class_name``, ``config`` and ``registered_name``,
    as Keras writes it into ``.keras`` files.

    Example:
        >>> from lamina import optimizers
        >>> optimizers.serialize(optimizers.SGD())["class_name"]
        'SGD'
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(
            f"optimizers.serialize expects an Optimizer instance; got {type(optimizer).__name__}."
        )
    return registry.object_config(optimizer, "keras.optimizers", _BY_CLASS_NAME)


def deserialize(config, custom_objects=None) -> Optimizer:
    """Create an optimizer from a ``{"class_name": ..., "config": ...}`` dict.

    Built-in class names are matched case-insensitively.

    Args:
        config: the dict, as ``serialize`` writes it.
        custom_objects: optional ``{name: class}`` for optimizers of your own.

    Example:
        >>> from lamina import optimizers
        >>> opt = optimizers.deserialize({"class_name": "RMSprop", "config": {"rho": 0.8}})
        >>> opt.rho
        0.8
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "optimizers.deserialize expects a dict with 'class_name' and 'config', such as "
            f"{{'class_name': 'Adam', 'config': {{'learning_rate': 0.001}}}}. Got {config!r}."
        )

    def find(name, custom_objects):
        custom = dict(custom_objects or {})
        cls = custom.get(name) or ALL_OBJECTS_DICT.get(str(name).lower())
        if cls is None:
            raise naming.unknown_name_error(
                "optimizer", name, [c.__name__ for c in _BUILTIN] + list(custom))
        return cls

    return registry.deserialize(
        "optimizer", config, find, custom_objects,
        build=lambda cls, inner: cls.from_config(inner, custom_objects=custom_objects))


def get(identifier):
    """Return an optimizer from a name, a config dict or an instance.

    Args:
        identifier: ``None`` (returns ``None``); a name such as ``"adam"`` or
            ``"RMSprop"`` (any case; default arguments); a dict
            ``{"class_name": ..., "config": ...}``; an ``Optimizer`` instance
            (returned as is); or an optimizer class (instantiated with defaults).

    Example:
        >>> from lamina import optimizers
        >>> type(optimizers.get("RMSprop")).__name__
        'RMSprop'
        >>> optimizers.get("adamm")
        Traceback (most recent call last):
        ...
        ValueError: Unknown optimizer 'adamm'. Valid names: ... Did you mean 'adam'?
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier.lower())
        if cls is None:
            raise naming.unknown_name_error("optimizer", identifier, ALL_OBJECTS_DICT)
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Pass a name such as "
        "'adam', a config dict, or an optimizer instance such as keras.optimizers.Adam()."
    )


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
