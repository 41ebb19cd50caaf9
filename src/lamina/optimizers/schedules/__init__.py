"""Learning-rate schedules: the learning rate as a function of the optimizer step.

Pass a schedule as an optimizer's ``learning_rate``; before every update the
optimizer calls it with its iteration counter (``0`` for the first update).
The arithmetic follows Keras 3 operation by operation, in ``floatx()``
(float32), so the values match Keras to the last bit or so.

Example:
    >>> from lamina import optimizers
    >>> schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> float(schedule(10))
    0.05000000074505806
    >>> opt = optimizers.SGD(learning_rate=schedule)
"""

from __future__ import annotations

from lamina.optimizers.schedules.base import LearningRateSchedule
from lamina.optimizers.schedules.cosine import CosineDecay, CosineDecayRestarts
from lamina.optimizers.schedules.decay import (
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)
from lamina.utils import naming, registry

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
]


_BUILTIN = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule) -> dict:
    """Return the Keras-format dict for a schedule.

    The dict has ``module``, ``class_name``, ``config`` and ``registered_name``,
    as Keras writes it into ``.keras`` files.

    Example:
        >>> from lamina.optimizers import schedules
        >>> schedules.serialize(schedules.ExponentialDecay(0.1, 10, 0.9))["class_name"]
        'ExponentialDecay'
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(
            "schedules.serialize expects a LearningRateSchedule; got "
            f"{type(learning_rate_schedule).__name__}."
        )
    return registry.object_config(learning_rate_schedule, "keras.optimizers.schedules", _BUILTIN)


def deserialize(config, custom_objects=None) -> LearningRateSchedule:
    """Rebuild a schedule from the dict ``serialize`` made.

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: optional ``{name: class}`` for schedules of your own.

    Example:
        >>> from lamina.optimizers import schedules
        >>> s = schedules.deserialize({"class_name": "CosineDecay",
        ...                            "config": {"initial_learning_rate": 0.1, "decay_steps": 5}})
        >>> type(s).__name__
        'CosineDecay'
    """
    if isinstance(config, LearningRateSchedule):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "schedules.deserialize expects a dict with 'class_name' and 'config', such as "
            "{'class_name': 'ExponentialDecay', 'config': {...}}. "
            f"Got {config!r} instead."
        )

    def find(name, custom_objects):
        known = {**_BUILTIN, **(custom_objects or {})}
        if name not in known:
            raise naming.unknown_name_error("learning rate schedule", name, known)
        return known[name]

    return registry.deserialize("learning rate schedule", config, find, custom_objects)


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
