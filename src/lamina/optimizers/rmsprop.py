"""RMSprop (Tieleman & Hinton 2012)."""

from __future__ import annotations

import numpy as np

from lamina.optimizers.optimizer import Optimizer, check_number

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    ::

        v = rho * v + (1 - rho) * g**2
        d = v + epsilon                      (centered: d = v - a**2 + epsilon,
                                              with a = rho * a + (1 - rho) * g)
        step = learning_rate * g / sqrt(d)
        w = w - step                         (momentum: s = momentum * s + step; w = w - s)

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to ``0.001``.
        rho: decay rate of the running average of ``g**2``. Defaults to ``0.9``.
        momentum: momentum of the steps; 0 for none. Defaults to ``0.0``.
        epsilon: added inside the square root for stability. Defaults to ``1e-7``.
        centered: normalise by the estimated variance of the gradient instead
            of its second moment. Defaults to ``False``.
        **kwargs: the common arguments of ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> from lamina import optimizers
        >>> w = lamina.Variable([1.0])
        >>> opt = optimizers.RMSprop(learning_rate=0.01)
        >>> _ = opt.apply_gradients([(np.array([2.0]), w)])
        >>> np.round(w.numpy(), 4)  # 1 - 0.01 * 2 / sqrt(0.1 * 4)
        array([0.9684], dtype=float32)
    """

    _n_tmp = 2

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
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
        check_number(self, "rho", rho, low=0, high=1)
        check_number(self, "momentum", momentum, low=0, high=1)
        check_number(self, "epsilon", epsilon, low=0)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        """Create the velocity slots, plus momentum and average-gradient slots when used."""
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        names = ("velocity",)
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
            names += ("momentum",)
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")
            names += ("average_gradient",)
        self._slot_names = names

    def _constants(self, dtype):
        f = dtype.type
        return f(self.rho), f(1 - self.rho), f(self.momentum), f(self.epsilon)

    def _coefficients(self, lr, dtype):
        return (lr,) + self._consts(dtype)

    def _kernel(self, g, w, slots, tmp, c):
        lr, rho, one_minus_rho, momentum, epsilon = c
        velocity = slots[0]
        t0, t1 = tmp
        np.multiply(velocity, rho, out=velocity)
        np.multiply(g, g, out=t0)
        np.multiply(t0, one_minus_rho, out=t0)
        np.add(velocity, t0, out=velocity)
        if self.centered:
            average = slots[-1]
            np.multiply(average, rho, out=average)
            np.multiply(g, one_minus_rho, out=t0)
            np.add(average, t0, out=average)
            np.multiply(average, average, out=t0)
            np.subtract(velocity, t0, out=t0)
            np.add(t0, epsilon, out=t0)
        else:
            np.add(velocity, epsilon, out=t0)
        np.sqrt(t0, out=t0)
        np.multiply(g, lr, out=t1)
        np.divide(t1, t0, out=t1)
        if self.momentum > 0:
            m = slots[1]
            np.multiply(m, momentum, out=m)
            np.add(m, t1, out=m)
            np.subtract(w, m, out=w)
        else:
            np.subtract(w, t1, out=w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "centered": self.centered,
            }
        )
        return config
