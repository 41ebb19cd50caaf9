"""Adamax, the infinity-norm variant of Adam (Kingma & Ba 2015, section 7)."""

from __future__ import annotations

import numpy as np

from lamina.optimizers.optimizer import Optimizer, check_number

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax: Adam with the second moment replaced by a running max of ``|g|``.

    At step ``t`` (1 for the first update)::

        m = m + (g - m) * (1 - beta_1)
        u = max(beta_2 * u, |g|)
        w = w - learning_rate * m / ((1 - beta_1**t) * (u + epsilon))

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to ``0.001``.
        beta_1: decay rate of the first-moment estimate. Defaults to ``0.9``.
        beta_2: decay rate of the infinity norm. Defaults to ``0.999``.
        epsilon: added to ``u`` for stability. Defaults to ``1e-7``.
        **kwargs: the common arguments of ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> from lamina import optimizers
        >>> w = lamina.Variable([1.0])
        >>> opt = optimizers.Adamax(learning_rate=0.1)
        >>> _ = opt.apply_gradients([(np.array([-4.0]), w)])
        >>> np.round(w.numpy(), 4)
        array([1.1], dtype=float32)
    """

    _n_tmp = 2

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
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
        check_number(self, "beta_1", beta_1, low=0, high=1, high_open=True)
        check_number(self, "beta_2", beta_2, low=0, high=1)
        check_number(self, "epsilon", epsilon, low=0)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        """Create the momentum and infinity-norm slots."""
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])
        self._slot_names = ("momentum", "norm")

    def _constants(self, dtype):
        f = dtype.type
        return f(1), f(self.beta_1), f(1 - self.beta_1), f(self.beta_2), f(self.epsilon)

    def _coefficients(self, lr, dtype):
        one, beta_1, one_minus_beta_1, beta_2, epsilon = self._consts(dtype)
        t = dtype.type(self._local_step())
        return lr, one_minus_beta_1, beta_2, epsilon, one - beta_1**t

    def _kernel(self, g, w, slots, tmp, c):
        lr, one_minus_beta_1, beta_2, epsilon, correction = c
        m, u = slots
        t0, t1 = tmp
        np.subtract(g, m, out=t0)
        np.multiply(t0, one_minus_beta_1, out=t0)
        np.add(m, t0, out=m)
        np.multiply(u, beta_2, out=u)
        np.abs(g, out=t0)
        np.maximum(u, t0, out=u)
        np.add(u, epsilon, out=t0)
        np.multiply(t0, correction, out=t0)
        np.multiply(m, lr, out=t1)
        np.divide(t1, t0, out=t1)
        np.subtract(w, t1, out=w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
