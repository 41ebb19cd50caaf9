"""Schedules that decay by a rate over a number of steps, piecewise-constant and polynomial schedules."""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.autodiff.tensor import to_array
from lamina.optimizers.schedules.base import (
    LearningRateSchedule,
    as_tensor,
    check_number,
    check_positive,
    dtype_of,
    step_array,
)

__all__ = ["ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay", "PolynomialDecay"]


class _RateDecay(LearningRateSchedule):
    """Shared by the schedules that decay by ``decay_rate`` over ``decay_steps`` steps."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        schedule = type(self).__name__
        check_number(schedule, "initial_learning_rate", initial_learning_rate)
        check_positive(schedule, "decay_steps", decay_steps)
        check_number(schedule, "decay_rate", decay_rate)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step):
        """``(dtype, initial rate, step / decay_steps)``, the ratio floored with ``staircase``."""
        dt = dtype_of(self.initial_learning_rate)
        lr0 = np.asarray(self.initial_learning_rate, dtype=dt)
        p = step_array(step, dt) / dt.type(self.decay_steps)
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
        return as_tensor(lr0 * np.power(dt.type(self.decay_rate), p))


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
        return as_tensor(lr0 / denom)


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
        return as_tensor(vals[index])

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
        check_number("PolynomialDecay", "initial_learning_rate", initial_learning_rate)
        check_positive("PolynomialDecay", "decay_steps", decay_steps)
        check_number("PolynomialDecay", "end_learning_rate", end_learning_rate)
        check_number("PolynomialDecay", "power", power)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        dt = dtype_of(self.initial_learning_rate)
        lr0 = np.asarray(self.initial_learning_rate, dtype=dt)
        end = dt.type(self.end_learning_rate)
        s = step_array(step, dt)
        steps = np.asarray(self.decay_steps, dtype=dt)
        if self.cycle:
            multiplier = np.where(s == 0, dt.type(1.0), np.ceil(s / dt.type(self.decay_steps)))
            steps = steps * multiplier
        else:
            s = np.minimum(s, steps)
        p = s / steps
        return as_tensor((lr0 - end) * np.power(dt.type(1) - p, dt.type(self.power)) + end)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }
