"""Adagrad (Duchi et al. 2011)."""

from __future__ import annotations

import numpy as np

from lamina.optimizers.optimizer import Optimizer, check_number

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: per-parameter steps shrinking with the sum of past squared gradients.

    ::

        a = a + g**2                       (a starts at initial_accumulator_value)
        w = w - learning_rate * g / sqrt(a + epsilon)

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to ``0.001``.
        initial_accumulator_value: the accumulators' starting value (>= 0). Defaults to ``0.1``.
        epsilon: added inside the square root for stability. Defaults to ``1e-7``.
        **kwargs: the common arguments of ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> from lamina import optimizers
        >>> w = lamina.Variable([1.0])
        >>> opt = optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.0)
        >>> _ = opt.apply_gradients([(np.array([2.0]), w)])
        >>> np.round(w.numpy(), 4)  # 1 - 0.1 * 2 / sqrt(4)
        array([0.9], dtype=float32)
    """

    _n_tmp = 2

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        check_number(self, "initial_accumulator_value", initial_accumulator_value, low=0)
        check_number(self, "epsilon", epsilon, low=0)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list):
        """Create the accumulator slots, filled with ``initial_accumulator_value``."""
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=self.initial_accumulator_value
        )
        self._slot_names = ("accumulator",)

    def _constants(self, dtype):
        return (dtype.type(self.epsilon),)

    def _coefficients(self, lr, dtype):
        return (lr,) + self._consts(dtype)

    def _kernel(self, g, w, slots, tmp, c):
        lr, epsilon = c
        (accumulator,) = slots
        t0, t1 = tmp
        np.multiply(g, g, out=t0)
        np.add(accumulator, t0, out=accumulator)
        np.add(accumulator, epsilon, out=t0)
        np.sqrt(t0, out=t0)
        np.multiply(g, lr, out=t1)
        np.divide(t1, t0, out=t1)
        np.subtract(w, t1, out=w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon,
            }
        )
        return config
