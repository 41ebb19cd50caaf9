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

import math

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor, to_array
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


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    A subclass implements ``__call__(step)``, returning the learning rate for
    ``step`` (an integer, array or lamina tensor; the optimizer passes its
    ``iterations`` variable), and ``get_config()``, returning the constructor
    arguments so that ``from_config`` can rebuild it.

    Example:
        >>> from lamina import optimizers
        >>> class HalfEveryStep(optimizers.schedules.LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate * 0.5 ** int(step)
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> HalfEveryStep(1.0)(3)
        0.125
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must implement `__call__(step)`."
        )

    def get_config(self) -> dict:
        """Return the constructor arguments as a dict (JSON-safe)."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must implement `get_config()`."
        )

    @classmethod
    def from_config(cls, config: dict):
        """Build a schedule from the dict ``get_config()`` returned."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# -- helpers -----------------------------------------------------------------


def _dtype_of(initial_learning_rate) -> np.dtype:
    # Keras converts the initial rate with convert_to_tensor: Python numbers become
    # floatx(); arrays and NumPy floats keep their own float type.
    if isinstance(initial_learning_rate, (np.ndarray, np.floating, Tensor)):
        dt = to_array(initial_learning_rate).dtype
        if dt.kind == "f":
            return dt
    return np.dtype(config.floatx())


def _step_array(step, dtype) -> np.ndarray:
    return np.asarray(to_array(step), dtype=dtype)


def _result(value) -> Tensor:
    return Tensor(np.asarray(value))


def _check_positive(schedule: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(
            f"The '{name}' argument of {schedule} must be a number > 0. "
            f"Got {value!r} ({type(value).__name__}) instead."
        )
    if not value > 0:
        raise ValueError(
            f"The '{name}' argument of {schedule} must be > 0. Got {name}={value!r} instead. "
            "It is the number of steps over which the rate decays."
        )


def _check_number(schedule: str, name: str, value, allow_none: bool = False) -> None:
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(
            f"The '{name}' argument of {schedule} must be a number. "
            f"Got {value!r} ({type(value).__name__}) instead."
        )


# -- schedules ---------------------------------------------------------------


class _RateDecay(LearningRateSchedule):
    """Shared by the schedules that decay by ``decay_rate`` over ``decay_steps`` steps."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        schedule = type(self).__name__
        _check_number(schedule, "initial_learning_rate", initial_learning_rate)
        _check_positive(schedule, "decay_steps", decay_steps)
        _check_number(schedule, "decay_rate", decay_rate)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step):
        """``(dtype, initial rate, step / decay_steps)``, the ratio floored with ``staircase``."""
        dt = _dtype_of(self.initial_learning_rate)
        lr0 = np.asarray(self.initial_learning_rate, dtype=dt)
        p = _step_array(step, dt) / dt.type(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return dt, lr0, p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_RateDecay):
    """Exponential decay: the rate shrinks by ``decay_rate`` every ``decay_steps`` steps.

    ``lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)``; with
    ``staircase=True`` the exponent is ``floor(step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the number of steps for one factor of ``decay_rate`` (> 0).
        decay_rate: the factor per ``decay_steps`` steps.
        staircase: decay in whole steps of ``decay_steps``.
        name: the schedule's name.

    Example:
        >>> from lamina.optimizers.schedules import ExponentialDecay
        >>> s = ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True)
        >>> [round(float(s(k)), 4) for k in range(5)]
        [0.1, 0.1, 0.05, 0.05, 0.025]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        dt, lr0, p = self._progress(step)
        return _result(lr0 * np.power(dt.type(self.decay_rate), p))


class InverseTimeDecay(_RateDecay):
    """Inverse-time decay: ``lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True``, ``step / decay_steps`` is rounded down. Keras 2's
    ``decay=`` argument of the optimizers is this schedule with ``decay_steps=1``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the step count that ``decay_rate`` refers to (> 0).
        decay_rate: how fast the rate falls.
        staircase: decay in whole steps of ``decay_steps``.
        name: the schedule's name.

    Example:
        >>> from lamina.optimizers.schedules import InverseTimeDecay
        >>> s = InverseTimeDecay(0.1, decay_steps=1, decay_rate=1.0)
        >>> [round(float(s(k)), 4) for k in range(4)]
        [0.1, 0.05, 0.0333, 0.025]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        dt, lr0, p = self._progress(step)
        denom = dt.type(1) + dt.type(self.decay_rate) * p
        return _result(lr0 / denom)


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate on each interval between step boundaries.

    ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the
    last boundary.

    Args:
        boundaries: increasing step numbers; one fewer than ``values``.
        values: the rates.
        name: the schedule's name.

    Example:
        >>> from lamina.optimizers.schedules import PiecewiseConstantDecay
        >>> s = PiecewiseConstantDecay(boundaries=[2, 4], values=[1.0, 0.5, 0.1])
        >>> [round(float(s(k)), 2) for k in range(6)]
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries = list(boundaries)
        values = list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay needs exactly one more value than boundaries. "
                f"Got boundaries={boundaries} ({len(boundaries)}) and values={values} "
                f"({len(values)}). Add or remove a value."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        s = np.asarray(to_array(step))
        if s.dtype.kind not in "iuf":
            s = s.astype(np.int64)
        # Keras compares in the step's dtype (so float boundaries are truncated
        # for an integer step).
        bounds = np.asarray(self.boundaries).astype(s.dtype)
        dt = np.dtype(config.floatx())
        vals = np.asarray(self.values, dtype=dt)
        index = np.sum(s[..., None] > bounds, axis=-1)
        return _result(vals[index])

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``.

    ``lr(step) = (initial - end) * (1 - step / decay_steps) ** power + end`` with
    ``step = min(step, decay_steps)``. With ``cycle=True`` the decay restarts:
    ``decay_steps`` grows to the next multiple of itself above ``step``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps to reach ``end_learning_rate`` (> 0).
        end_learning_rate: the final rate. Defaults to ``0.0001``.
        power: the polynomial's power. Defaults to ``1.0`` (linear).
        cycle: restart the decay after ``decay_steps``.
        name: the schedule's name.

    Example:
        >>> from lamina.optimizers.schedules import PolynomialDecay
        >>> s = PolynomialDecay(0.1, decay_steps=4, end_learning_rate=0.0)
        >>> [round(float(s(k)), 3) for k in range(6)]
        [0.1, 0.075, 0.05, 0.025, 0.0, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _check_number("PolynomialDecay", "initial_learning_rate", initial_learning_rate)
        _check_positive("PolynomialDecay", "decay_steps", decay_steps)
        _check_number("PolynomialDecay", "end_learning_rate", end_learning_rate)
        _check_number("PolynomialDecay", "power", power)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        dt = _dtype_of(self.initial_learning_rate)
        lr0 = np.asarray(self.initial_learning_rate, dtype=dt)
        end = dt.type(self.end_learning_rate)
        s = _step_array(step, dt)
        steps = np.asarray(self.decay_steps, dtype=dt)
        if self.cycle:
            multiplier = np.where(s == 0, dt.type(1.0), np.ceil(s / dt.type(self.decay_steps)))
            steps = steps * multiplier
        else:
            s = np.minimum(s, steps)
        p = s / steps
        return _result((lr0 - end) * np.power(dt.type(1) - p, dt.type(self.power)) + end)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


def _cosine(fraction, dt):
    return dt.type(0.5) * (dt.type(1.0) + np.cos(dt.type(math.pi) * fraction))


class CosineDecay(LearningRateSchedule):
    """Cosine decay, optionally after a linear warmup.

    Without warmup: ``lr(step) = initial * ((1 - alpha) * c + alpha)`` with
    ``c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))``.

    With ``warmup_target``: the rate rises linearly from ``initial_learning_rate``
    to ``warmup_target`` over ``warmup_steps`` steps, then decays from
    ``warmup_target`` as above over the next ``decay_steps`` steps.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the length of the cosine decay (> 0).
        alpha: the final rate as a fraction of the rate the decay starts from.
        name: the schedule's name.
        warmup_target: the rate at the end of the warmup, or ``None`` for no warmup.
        warmup_steps: the length of the warmup.

    Example:
        >>> from lamina.optimizers.schedules import CosineDecay
        >>> s = CosineDecay(0.0, decay_steps=2, warmup_target=0.1, warmup_steps=2)
        >>> [round(float(s(k)), 3) for k in range(5)]
        [0.0, 0.05, 0.1, 0.05, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        _check_number("CosineDecay", "initial_learning_rate", initial_learning_rate)
        _check_positive("CosineDecay", "decay_steps", decay_steps)
        _check_number("CosineDecay", "alpha", alpha)
        _check_number("CosineDecay", "warmup_target", warmup_target, allow_none=True)
        _check_number("CosineDecay", "warmup_steps", warmup_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay(self, s, decay_steps, start_lr, dt):
        decayed = dt.type(1 - self.alpha) * _cosine(s / decay_steps, dt) + dt.type(self.alpha)
        return start_lr * decayed

    def __call__(self, step):
        dt = _dtype_of(self.initial_learning_rate)
        lr0 = np.asarray(self.initial_learning_rate, dtype=dt)
        decay_steps = dt.type(self.decay_steps)
        s = _step_array(step, dt)
        if self.warmup_target is None:
            return _result(self._decay(np.minimum(s, decay_steps), decay_steps, lr0, dt))
        target = dt.type(self.warmup_target)
        warmup_steps = dt.type(self.warmup_steps)
        s = np.minimum(s, decay_steps + warmup_steps)
        with np.errstate(divide="ignore", invalid="ignore"):
            warm = (target - lr0) * (s / warmup_steps) + lr0
        cool = self._decay(s - warmup_steps, decay_steps, target, dt)
        return _result(np.where(s < warmup_steps, warm, cool))

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2017).

    The first period lasts ``first_decay_steps`` steps; each next period is
    ``t_mul`` times longer and starts from ``m_mul`` times the previous peak.
    Within a period at fraction ``f``:
    ``lr = initial * ((1 - alpha) * 0.5 * m_mul**i * (1 + cos(pi * f)) + alpha)``,
    where ``i`` counts the restarts so far.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: the length of the first period (> 0).
        t_mul: how much longer each period is than the one before.
        m_mul: how much lower each period starts than the one before.
        alpha: the floor, as a fraction of ``initial_learning_rate``.
        name: the schedule's name.

    Example:
        >>> from lamina.optimizers.schedules import CosineDecayRestarts
        >>> s = CosineDecayRestarts(0.1, first_decay_steps=2, t_mul=1.0)
        >>> [round(float(s(k)), 3) for k in range(5)]
        [0.1, 0.05, 0.1, 0.05, 0.1]
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        _check_number("CosineDecayRestarts", "initial_learning_rate", initial_learning_rate)
        _check_positive("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        _check_number("CosineDecayRestarts", "t_mul", t_mul)
        _check_number("CosineDecayRestarts", "m_mul", m_mul)
        _check_number("CosineDecayRestarts", "alpha", alpha)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        dt = _dtype_of(self.initial_learning_rate)
        one = dt.type(1.0)
        lr0 = np.asarray(self.initial_learning_rate, dtype=dt)
        alpha = dt.type(self.alpha)
        t_mul = dt.type(self._t_mul)
        m_mul = dt.type(self._m_mul)
        fraction = _step_array(step, dt) / dt.type(self.first_decay_steps)
        if t_mul == one:
            restarts = np.floor(fraction)
            fraction = fraction - restarts
        else:
            restarts = np.floor(np.log(one - fraction * (one - t_mul)) / np.log(t_mul))
            done = (one - np.power(t_mul, restarts)) / (one - t_mul)
            fraction = (fraction - done) / np.power(t_mul, restarts)
        peak = dt.type(0.5) * np.power(m_mul, restarts)
        cosine = peak * (one + np.cos(dt.type(math.pi) * fraction))
        return _result(lr0 * ((one - alpha) * cosine + alpha))

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


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
    name = config["class_name"]
    registry = dict(_BUILTIN)
    registry.update(custom_objects or {})
    registered = config.get("registered_name")
    cls = registry.get(name) or (registry.get(registered) if registered else None)
    if cls is None:
        raise naming.unknown_name_error("learning rate schedule", name, registry)
    return cls.from_config(dict(config.get("config", {})))
