"""Cosine decay (with optional linear warmup) and cosine decay with warm restarts (SGDR)."""

from __future__ import annotations

import math

import numpy as np

from lamina.optimizers.schedules.base import (
    LearningRateSchedule,
    as_tensor,
    check_number,
    check_positive,
    dtype_of,
    step_array,
)

__all__ = ["CosineDecay", "CosineDecayRestarts"]


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
        check_number("CosineDecay", "initial_learning_rate", initial_learning_rate)
        check_positive("CosineDecay", "decay_steps", decay_steps)
        check_number("CosineDecay", "alpha", alpha)
        check_number("CosineDecay", "warmup_target", warmup_target, allow_none=True)
        check_number("CosineDecay", "warmup_steps", warmup_steps)
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
        dt = dtype_of(self.initial_learning_rate)
        lr0 = np.asarray(self.initial_learning_rate, dtype=dt)
        decay_steps = dt.type(self.decay_steps)
        s = step_array(step, dt)
        if self.warmup_target is None:
            return as_tensor(self._decay(np.minimum(s, decay_steps), decay_steps, lr0, dt))
        target = dt.type(self.warmup_target)
        warmup_steps = dt.type(self.warmup_steps)
        s = np.minimum(s, decay_steps + warmup_steps)
        with np.errstate(divide="ignore", invalid="ignore"):
            warm = (target - lr0) * (s / warmup_steps) + lr0
        cool = self._decay(s - warmup_steps, decay_steps, target, dt)
        return as_tensor(np.where(s < warmup_steps, warm, cool))

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
        check_number("CosineDecayRestarts", "initial_learning_rate", initial_learning_rate)
        check_positive("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        check_number("CosineDecayRestarts", "t_mul", t_mul)
        check_number("CosineDecayRestarts", "m_mul", m_mul)
        check_number("CosineDecayRestarts", "alpha", alpha)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        dt = dtype_of(self.initial_learning_rate)
        one = dt.type(1.0)
        lr0 = np.asarray(self.initial_learning_rate, dtype=dt)
        alpha = dt.type(self.alpha)
        t_mul = dt.type(self._t_mul)
        m_mul = dt.type(self._m_mul)
        fraction = step_array(step, dt) / dt.type(self.first_decay_steps)
        if t_mul == one:
            restarts = np.floor(fraction)
            fraction = fraction - restarts
        else:
            restarts = np.floor(np.log(one - fraction * (one - t_mul)) / np.log(t_mul))
            done = (one - np.power(t_mul, restarts)) / (one - t_mul)
            fraction = (fraction - done) / np.power(t_mul, restarts)
        peak = dt.type(0.5) * np.power(m_mul, restarts)
        cosine = peak * (one + np.cos(dt.type(math.pi) * fraction))
        return as_tensor(lr0 * ((one - alpha) * cosine + alpha))

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
