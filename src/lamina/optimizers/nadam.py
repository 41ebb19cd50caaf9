"""Nadam: Adam with Nesterov momentum (Dozat 2016)."""

from __future__ import annotations

import numpy as np

from lamina.optimizers.optimizer import Optimizer, check_number

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Nadam: Adam whose momentum looks one step ahead, with a warming momentum schedule.

    At step ``t`` (1 for the first update), with ``mu_t = beta_1 * (1 - 0.5 * 0.96**t)``
    and ``P_t = mu_1 * ... * mu_t`` (kept in a state variable)::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2**t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to ``0.001``.
        beta_1: decay rate of the first-moment estimate. Defaults to ``0.9``.
        beta_2: decay rate of the second-moment estimate. Defaults to ``0.999``.
        epsilon: added to ``sqrt(v_hat)`` for stability. Defaults to ``1e-7``.
        **kwargs: the common arguments of ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> from lamina import optimizers
        >>> w = lamina.Variable([1.0])
        >>> opt = optimizers.Nadam(learning_rate=0.1)
        >>> _ = opt.apply_gradients([(np.array([2.0]), w)])
        >>> np.round(w.numpy(), 4)  # m_hat = 0.1256 + 2.0, v_hat = 4
        array([0.8937], dtype=float32)
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
        check_number(self, "beta_2", beta_2, low=0, high=1, high_open=True)
        check_number(self, "epsilon", epsilon, low=0)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        """Create the momentum and velocity slots and the momentum-product scalar."""
        if self.built:
            return
        var_list = list(var_list)
        dtype = var_list[0].value.dtype if var_list else np.dtype("float32")
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        self._u_product = self._make_variable(np.ones((), dtype), "u_product")
        self._slot_names = ("momentum", "velocity")

    def _before_update(self):
        u = self._u_product.value
        one, half, decay, beta_1, _, _ = self._consts(u.dtype)
        t = u.dtype.type(self._local_step())
        u[...] = u[()] * beta_1 * (one - half * decay**t)

    def _constants(self, dtype):
        f = dtype.type
        return f(1), f(0.5), f(0.96), f(self.beta_1), f(self.beta_2), f(self.epsilon)

    def _coefficients(self, lr, dtype):
        one, half, decay, beta_1, beta_2, epsilon = self._consts(dtype)
        t = dtype.type(self._local_step())
        mu_t = beta_1 * (one - half * decay**t)
        mu_next = beta_1 * (one - half * decay ** (t + one))
        u_product = self._u_product.value[()]
        if u_product.dtype != dtype:
            u_product = dtype.type(u_product)
        return (
            lr,
            one - beta_1,
            one - beta_2,
            mu_next,
            one - u_product * mu_next,
            one - mu_t,
            one - u_product,
            one - beta_2**t,
            epsilon,
        )

    def _kernel(self, g, w, slots, tmp, c):
        (
            lr,
            one_minus_beta_1,
            one_minus_beta_2,
            mu_next,
            denom_m,
            one_minus_mu,
            denom_g,
            denom_v,
            epsilon,
        ) = c
        m, v = slots
        t0, t1 = tmp
        np.subtract(g, m, out=t0)
        np.multiply(t0, one_minus_beta_1, out=t0)
        np.add(m, t0, out=m)
        np.multiply(g, g, out=t0)
        np.subtract(t0, v, out=t0)
        np.multiply(t0, one_minus_beta_2, out=t0)
        np.add(v, t0, out=v)
        # t0 = m_hat
        np.multiply(m, mu_next, out=t0)
        np.divide(t0, denom_m, out=t0)
        np.multiply(g, one_minus_mu, out=t1)
        np.divide(t1, denom_g, out=t1)
        np.add(t0, t1, out=t0)
        # t1 = sqrt(v_hat) + epsilon
        np.divide(v, denom_v, out=t1)
        np.sqrt(t1, out=t1)
        np.add(t1, epsilon, out=t1)
        np.multiply(t0, lr, out=t0)
        np.divide(t0, t1, out=t0)
        np.subtract(w, t0, out=w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
