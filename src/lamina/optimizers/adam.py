"""Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019)."""

from __future__ import annotations

import numpy as np

from lamina.optimizers.optimizer import Optimizer, check_number

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam: steps scaled by running estimates of the gradient's first two moments.

    At step ``t`` (1 for the first update)::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    With ``amsgrad=True``, ``v_hat = max(v_hat, v)`` replaces ``v`` in the last line.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to ``0.001``.
        beta_1: decay rate of the first-moment estimate. Defaults to ``0.9``.
        beta_2: decay rate of the second-moment estimate. Defaults to ``0.999``.
        epsilon: added to ``sqrt(v)`` for stability ("epsilon hat" of the
            paper). Defaults to ``1e-7``.
        amsgrad: use the AMSGrad variant (Reddi et al. 2018). Defaults to ``False``.
        **kwargs: the common arguments of ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> from lamina import optimizers
        >>> w = lamina.Variable([1.0, 1.0])
        >>> opt = optimizers.Adam(learning_rate=0.1)
        >>> _ = opt.apply_gradients([(np.array([3.0, -0.5]), w)])
        >>> np.round(w.numpy(), 4)  # the first step is about learning_rate * sign(g)
        array([0.9, 1.1], dtype=float32)
    """

    _n_tmp = 2

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
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
        self.amsgrad = amsgrad

    def build(self, var_list):
        """Create the momentum and velocity slots (and ``velocity_hat`` for AMSGrad)."""
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        names = ("momentum", "velocity")
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")
            names += ("velocity_hat",)
        self._slot_names = names

    def _constants(self, dtype):
        f = dtype.type
        # The kernel's constants as 0-d arrays: cheaper ufunc operands than NumPy scalars.
        as_0d = lambda v: np.asarray(v, dtype)  # noqa: E731
        return (
            f(1),
            f(self.beta_1),
            f(self.beta_2),
            as_0d(1 - self.beta_1),
            as_0d(1 - self.beta_2),
            as_0d(self.epsilon),
        )

    def _coefficients(self, lr, dtype):
        one, beta_1, beta_2, one_minus_beta_1, one_minus_beta_2, epsilon = self._consts(dtype)
        t = dtype.type(self._local_step())
        alpha = lr * np.sqrt(one - beta_2**t) / (one - beta_1**t)
        return alpha, one_minus_beta_1, one_minus_beta_2, epsilon

    def _kernel(self, g, w, slots, tmp, c):
        # Keras's order of operations, in place (positional ``out``: less call overhead):
        # m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= m * alpha / (sqrt(v) + eps)
        alpha, one_minus_beta_1, one_minus_beta_2, epsilon = c
        m, v = slots[0], slots[1]
        t0, t1 = tmp
        subtract, multiply, add = np.subtract, np.multiply, np.add
        subtract(g, m, t0)
        multiply(t0, one_minus_beta_1, t0)
        add(m, t0, m)
        multiply(g, g, t0)
        subtract(t0, v, t0)
        multiply(t0, one_minus_beta_2, t0)
        add(v, t0, v)
        if self.amsgrad:
            v = np.maximum(slots[2], v, out=slots[2])
        np.sqrt(v, t0)
        add(t0, epsilon, t0)
        multiply(m, alpha, t1)
        np.divide(t1, t0, t1)
        subtract(w, t1, w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "amsgrad": self.amsgrad,
            }
        )
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    Before each Adam step, ``w = w - w * weight_decay * learning_rate``.
    Use ``exclude_from_weight_decay(var_names=["bias"])`` to exempt variables.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to ``0.001``.
        weight_decay: the decay rate; required. Defaults to ``0.004``.
        beta_1: see ``Adam``. Defaults to ``0.9``.
        beta_2: see ``Adam``. Defaults to ``0.999``.
        epsilon: see ``Adam``. Defaults to ``1e-7``.
        amsgrad: see ``Adam``. Defaults to ``False``.
        **kwargs: the common arguments of ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> from lamina import optimizers
        >>> w = lamina.Variable([1.0])
        >>> opt = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
        >>> _ = opt.apply_gradients([(np.array([0.0]), w)])  # only the decay moves w
        >>> w.numpy()
        array([0.95], dtype=float32)
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
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
        if weight_decay is None:
            raise ValueError(
                "The 'weight_decay' argument of AdamW must be a float. Got weight_decay=None; "
                "use Adam for no weight decay."
            )
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
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
