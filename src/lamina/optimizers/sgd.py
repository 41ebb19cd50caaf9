"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

import numpy as np

from lamina.optimizers.optimizer import Optimizer, check_number

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent with optional momentum.

    Without momentum: ``w = w - learning_rate * g``.

    With ``momentum`` ``m``: ``v = m * v - learning_rate * g``, then
    ``w = w + v``; with ``nesterov=True``, ``w = w + m * v - learning_rate * g``.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to ``0.01``.
        momentum: a float in [0, 1]; 0 is plain gradient descent. Defaults to ``0.0``.
        nesterov: use Nesterov momentum. Defaults to ``False``.
        **kwargs: the common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``use_ema``, ``name``, ...).

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> from lamina import optimizers
        >>> w = lamina.Variable([1.0])
        >>> opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     _ = opt.apply_gradients([(np.array([1.0]), w)])
        >>> w.numpy()  # steps of 0.1, then 0.9 * 0.1 + 0.1
        array([0.71], dtype=float32)
    """

    _n_tmp = 2

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
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
        check_number(self, "momentum", momentum, low=0, high=1)
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables):
        """Create one momentum slot per variable (none when ``momentum`` is 0)."""
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")
            self._slot_names = ("momentum",)

    def _constants(self, dtype):
        return (dtype.type(self.momentum),)

    def _coefficients(self, lr, dtype):
        return (lr,) + self._consts(dtype)

    def _kernel(self, g, w, slots, tmp, c):
        lr, momentum = c
        step = np.multiply(g, lr, out=tmp[0])
        if not slots:
            np.subtract(w, step, out=w)
            return
        (m,) = slots
        np.multiply(m, momentum, out=m)
        np.subtract(m, step, out=m)
        if self.nesterov:
            ahead = np.multiply(m, momentum, out=tmp[1])
            np.subtract(ahead, step, out=ahead)
            np.add(w, ahead, out=w)
        else:
            np.add(w, m, out=w)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
