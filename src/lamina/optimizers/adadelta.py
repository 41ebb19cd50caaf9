"""Adadelta (Zeiler 2012)."""

from __future__ import annotations

import numpy as np

from lamina.optimizers.optimizer import Optimizer, check_number

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta: steps sized by the ratio of running RMS of updates and of gradients.

    ::

        a = rho * a + (1 - rho) * g**2
        delta = -sqrt(d + epsilon) * g / sqrt(a + epsilon)
        d = rho * d + (1 - rho) * delta**2
        w = w + learning_rate * delta

    The original method has no learning rate (``learning_rate=1.0``); Keras's
    default is ``0.001``.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to ``0.001``.
        rho: decay rate of both running averages. Defaults to ``0.95``.
        epsilon: added inside the square roots. Defaults to ``1e-7``.
        **kwargs: the common arguments of ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> from lamina import optimizers
        >>> w = lamina.Variable([1.0])
        >>> opt = optimizers.Adadelta(learning_rate=1.0, epsilon=1e-6)
        >>> _ = opt.apply_gradients([(np.array([1.0]), w)])
        >>> np.round(w.numpy(), 5)  # 1 - sqrt(1e-6) / sqrt(0.05 + 1e-6)
        array([0.99553], dtype=float32)
    """

    _n_tmp = 2

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.95,
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
        check_number(self, "rho", rho, low=0, high=1)
        check_number(self, "epsilon", epsilon, low=0)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        """Create the accumulated-gradient and accumulated-update slots."""
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )
        self._slot_names = ("accumulated_grad", "accumulated_delta_var")

    def _constants(self, dtype):
        f = dtype.type
        return f(self.rho), f(1 - self.rho), f(self.epsilon)

    def _coefficients(self, lr, dtype):
        return (lr,) + self._consts(dtype)

    def _kernel(self, g, w, slots, tmp, c):
        lr, rho, one_minus_rho, epsilon = c
        grads_sq, deltas_sq = slots
        t0, t1 = tmp
        np.multiply(grads_sq, rho, out=grads_sq)
        np.multiply(g, g, out=t0)
        np.multiply(t0, one_minus_rho, out=t0)
        np.add(grads_sq, t0, out=grads_sq)
        # t0 = -delta = sqrt(d + eps) * g / sqrt(a + eps)
        np.add(deltas_sq, epsilon, out=t0)
        np.sqrt(t0, out=t0)
        np.multiply(t0, g, out=t0)
        np.add(grads_sq, epsilon, out=t1)
        np.sqrt(t1, out=t1)
        np.divide(t0, t1, out=t0)
        np.multiply(deltas_sq, rho, out=deltas_sq)
        np.multiply(t0, t0, out=t1)
        np.multiply(t1, one_minus_rho, out=t1)
        np.add(deltas_sq, t1, out=deltas_sq)
        np.multiply(t0, lr, out=t0)
        np.subtract(w, t0, out=w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
