"""``lamina.losses``: Keras's loss functions and classes, and ``get`` to look them up by name.

Each loss exists as a function returning one value per sample
(``mean_squared_error``) and as a class that also weights and reduces
(``MeanSquaredError``). ``get`` accepts a name (``"mse"``,
``"categorical_crossentropy"``, ``"CategoricalCrossentropy"``), a config
dict, a class, an instance or any callable ``fn(y_true, y_pred)``; a plain
function written with ``lamina.ops`` works wherever a loss is expected.

Example:
    >>> import lamina
    >>> lamina.losses.get("mse") is lamina.losses.mean_squared_error
    True
    >>> float(lamina.losses.get("MeanSquaredError")([[1.0, 2.0]], [[1.0, 4.0]]))
    2.0
"""

from __future__ import annotations

import inspect

from lamina.losses import probabilistic as _probabilistic
from lamina.losses import regression as _regression
from lamina.losses.loss import Loss
from lamina.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
)
from lamina.losses.regression import (
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SquaredHinge,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    squared_hinge,
)
from lamina.losses.wrapper import LossFunctionWrapper
from lamina.utils import registry

__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "Huber",
    "LogCosh",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "CosineSimilarity",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "huber",
    "log_cosh",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "poisson",
    "cosine_similarity",
    "get",
    "serialize",
    "deserialize",
]

# Every loss by its Python name, plus Keras's short aliases and the Keras 2
# spellings that tutorials still use.
_OBJECTS = {name: globals()[name] for module in (_regression, _probabilistic)
            for name in module.__all__}
_OBJECTS["LossFunctionWrapper"] = LossFunctionWrapper
_OBJECTS["Loss"] = Loss
_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "bce": "binary_crossentropy",
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
    "huber_loss": "huber",
}
_ALIASES.update({k.upper(): v for k, v in _ALIASES.items() if len(k) <= 4})
_OBJECTS.update({alias: _OBJECTS[target] for alias, target in _ALIASES.items()})
_NOT_BY_NAME = {"Loss", "LossFunctionWrapper"}  # abstract: they need a call or a fn
_VALID_NAMES = [n for n in _OBJECTS if n not in _NOT_BY_NAME and not n.isupper()]


def _lookup(name: str, custom_objects=None):
    return registry.lookup("loss", name, _OBJECTS, custom_objects, valid=_VALID_NAMES)


def serialize(loss) -> dict | None:
    """Return the Keras config dict of a loss (a ``Loss`` instance or a named function).

    Functions are stored by name, as Keras does:
    ``{"module": "builtins", "class_name": "function", "config": name, ...}``.

    Example:
        >>> import lamina
        >>> lamina.losses.serialize(lamina.losses.Huber(delta=2.0))["config"]["delta"]
        2.0
        >>> lamina.losses.serialize(lamina.losses.mean_squared_error)["config"]
        'mean_squared_error'
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return registry.object_config(loss, "keras.losses", _OBJECTS)
    if inspect.isfunction(loss):
        if loss.__name__ == "<lambda>":
            raise ValueError(
                "A lambda cannot be saved as a loss: lamina never stores code. Define the "
                "loss with `def my_loss(y_true, y_pred): ...` and pass "
                "custom_objects={'my_loss': my_loss} when loading."
            )
        return {
            "module": "builtins",
            "class_name": "function",
            "config": loss.__name__,
            "registered_name": "function",
        }
    raise TypeError(
        f"lamina.losses.serialize expects a Loss instance or a loss function. Got "
        f"{loss!r} of type {type(loss).__name__} instead."
    )


def deserialize(config, custom_objects=None):
    """Rebuild a loss from ``serialize``'s dict (or from a name).

    A class name gives an instance, a function name gives the function.

    Args:
        config: a dict made by ``serialize`` (Keras's format) or a name.
        custom_objects: optional ``{name: class_or_function}`` for your own losses.

    Example:
        >>> import lamina
        >>> loss = lamina.losses.deserialize(
        ...     {"class_name": "Huber", "config": {"delta": 2.0}})
        >>> loss.delta
        2.0
    """
    def build(cls, inner):
        if not issubclass(cls, Loss):
            raise TypeError(f"{cls.__name__!r} is not a Loss class, so it cannot be built "
                            "from a loss config.")
        if isinstance(inner.get("fn"), (dict, str)):  # a wrapped function, maybe a custom one
            inner["fn"] = deserialize(inner["fn"], custom_objects)
        return cls.from_config(inner)

    return registry.deserialize("loss", config, _lookup, custom_objects, find_function=_lookup,
                                build=build)


def get(identifier):
    """Return the loss an identifier names.

    Args:
        identifier: ``None``; a name (``"mse"``, ``"binary_crossentropy"``,
            ``"BinaryCrossentropy"``); a config dict; a ``Loss`` class (it is
            instantiated); a ``Loss`` instance or any callable
            ``fn(y_true, y_pred)`` (returned as is).

    Returns:
        A loss function, a ``Loss`` instance, or ``None``.

    Raises:
        ValueError: for an unknown name (the message lists the valid names
            and the closest one) or an identifier that is not a loss.

    Example:
        >>> import lamina
        >>> type(lamina.losses.get("BinaryCrossentropy")).__name__
        'BinaryCrossentropy'
        >>> lamina.losses.get("mae").__name__
        'mean_absolute_error'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        obj = _lookup(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        if not issubclass(obj, Loss):
            raise ValueError(f"Could not interpret loss identifier: {identifier!r} is not a Loss.")
        return obj()
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret loss identifier {identifier!r} of type "
        f"{type(identifier).__name__}. Pass a loss name such as 'mse', a Loss instance, or "
        "a function fn(y_true, y_pred)."
    )


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
