"""The ``Optimizer`` base class: Keras 3's optimizer contract on NumPy arrays.

An optimizer is ``build(var_list)`` (create the per-variable state, "slots")
plus an update rule. ``apply_gradients`` runs one step the way Keras 3 does:

1. drop variables whose gradient is ``None`` (with a warning);
2. divide by ``loss_scale_factor``; with ``gradient_accumulation_steps``, add
   to the accumulators and only update every that-many calls, with the mean;
3. clip (``clipnorm`` per variable, ``global_clipnorm`` over all of them, or
   ``clipvalue`` elementwise);
4. decoupled weight decay: ``w -= w * weight_decay * learning_rate``;
5. the optimizer's own rule (``update_step``);
6. variable constraints, the weights' moving average (``use_ema``), and
   ``iterations += 1``.

Speed: every step works in place on state allocated by ``build``. The state
of all variables of one dtype lives in one flat array per slot, and when the
variables themselves are views into one flat buffer laid out back to back
(as lamina's trainer arranges), a step is a handful of NumPy calls over that
whole buffer (``apply_flat``), whatever the number of variables. Both paths
give bitwise identical results.

Built-in optimizers implement ``_coefficients(lr, dtype)`` (the scalars of
one step) and ``_kernel(g, w, slots, tmp, c)`` (in-place array updates);
an optimizer of your own can instead override ``update_step`` with
``lamina.ops`` and ``self.assign``, as in Keras.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor, Variable
from lamina.optimizers import schedules as _schedules
from lamina.optimizers._apply import ApplyMixin
from lamina.optimizers._common import _is_number, _warn, check_number  # noqa: F401  (check_number: used by the optimizers)
from lamina.optimizers._state import StateMixin
from lamina.optimizers._transforms import TransformsMixin
from lamina.utils import naming

__all__ = ["Optimizer"]

# Keras 2 / tf.keras config keys that have no meaning here and are dropped.
_IGNORED_LEGACY_KWARGS = ("jit_compile", "is_legacy_optimizer")


class Optimizer(StateMixin, ApplyMixin, TransformsMixin):
    """Base class of all optimizers (Keras 3's ``keras.optimizers.Optimizer``).

    Subclasses set up their state in ``build`` and define the update rule.

    Args:
        learning_rate: a float >= 0, a ``LearningRateSchedule``, or a callable
            taking no arguments that returns the rate.
        weight_decay: if set, decoupled weight decay
            ``w -= w * weight_decay * learning_rate`` before each update.
        clipnorm: if set, each variable's gradient is rescaled so its L2 norm
            is at most this value.
        clipvalue: if set, gradients are clipped elementwise to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, all gradients are rescaled together so their
            joint L2 norm is at most this value. At most one clip argument may be set.
        use_ema: keep an exponential moving average of the weights.
        ema_momentum: the average's momentum:
            ``average = ema_momentum * average + (1 - ema_momentum) * w``.
        ema_overwrite_frequency: every that many steps, copy the average into
            the weights. ``None``: only ``finalize_variable_values`` does.
        loss_scale_factor: multiply the loss by this (``scale_loss``) and divide
            the gradients by it before using them.
        gradient_accumulation_steps: update only every that many calls (>= 2),
            with the mean of the gradients since the last update.
        name: the optimizer's name; automatic (``"adam"``, ``"adam_1"``...) if omitted.

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> from lamina import ops, optimizers
        >>> class PlainSGD(optimizers.Optimizer):
        ...     def __init__(self, learning_rate=0.1, **kwargs):
        ...         super().__init__(learning_rate=learning_rate, **kwargs)
        ...     def update_step(self, gradient, variable, learning_rate):
        ...         self.assign_sub(variable, ops.multiply(gradient, learning_rate))
        >>> w = lamina.Variable([1.0, 2.0])
        >>> _ = PlainSGD().apply_gradients([(np.array([1.0, 1.0]), w)])
        >>> w.numpy()
        array([0.9, 1.9], dtype=float32)
    """

    # Built-in optimizers: scratch arrays their kernel needs, and the kernel.
    _n_tmp = 1
    _kernel = None

    def __init__(
        self,
        learning_rate,
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
        cls = type(self).__name__
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
            _warn(
                f"{cls}: the `lr` argument is deprecated (Keras 3 removed it). "
                f"Use `learning_rate=` instead: {cls}(learning_rate={learning_rate!r}).",
                DeprecationWarning,
            )
        decay = kwargs.pop("decay", None)
        if decay:
            _warn(
                f"{cls}: the `decay` argument is no longer supported and is ignored, as in "
                "Keras 3. For the old behaviour (lr / (1 + decay * iterations)) use "
                f"{cls}(learning_rate=keras.optimizers.schedules.InverseTimeDecay("
                f"{learning_rate!r}, decay_steps=1, decay_rate={decay!r})).",
                UserWarning,
            )
        for key in _IGNORED_LEGACY_KWARGS:
            kwargs.pop(key, None)
        if kwargs:
            raise self._unknown_arguments(kwargs)

        self.name = self._check_name(name)
        self.weight_decay = check_number(self, "weight_decay", weight_decay, none_ok=True)
        self.clipnorm = check_number(self, "clipnorm", clipnorm, none_ok=True)
        self.clipvalue = check_number(self, "clipvalue", clipvalue, none_ok=True)
        self.global_clipnorm = check_number(self, "global_clipnorm", global_clipnorm, none_ok=True)
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{cls}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Got clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}. Keep one of them."
            )
        self.use_ema = bool(use_ema)
        if use_ema:
            check_number(self, "ema_momentum", ema_momentum, low=0, high=1)
            if ema_overwrite_frequency is not None and (
                isinstance(ema_overwrite_frequency, bool)
                or not isinstance(ema_overwrite_frequency, (int, np.integer))
                or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    f"The 'ema_overwrite_frequency' argument of {cls} must be an integer >= 1 "
                    f"or None. Got ema_overwrite_frequency={ema_overwrite_frequency!r} instead."
                )
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if loss_scale_factor is not None:
            check_number(self, "loss_scale_factor", loss_scale_factor)
            if not loss_scale_factor > 0:
                raise ValueError(
                    f"The 'loss_scale_factor' argument of {cls} must be > 0 or None. "
                    f"Got loss_scale_factor={loss_scale_factor!r} instead."
                )
        self.loss_scale_factor = loss_scale_factor
        if gradient_accumulation_steps is not None and (
            isinstance(gradient_accumulation_steps, bool)
            or not isinstance(gradient_accumulation_steps, (int, np.integer))
            or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                f"The 'gradient_accumulation_steps' argument of {cls} must be an integer >= 2 "
                f"or None. Got gradient_accumulation_steps={gradient_accumulation_steps!r} "
                "instead."
            )
        self.gradient_accumulation_steps = gradient_accumulation_steps

        self.built = False
        self._variables: list = []
        self._trainable_variables: list = []
        self._trainable_variables_indices: dict = {}
        self._exclude_from_weight_decay = set()
        self._exclude_vars: list = []
        self._slot_views: list = []  # (variable, storage index, slot name, k): see __setstate__
        self._exclude_from_weight_decay_pattern = None
        self._wd_key = None
        self._ready = False
        self._segments: list = []
        self._flat_segment = None
        self._storages: list = []
        self._slot_names: tuple = ()
        self._is_fast = False
        self._iterations = self._make_variable(np.zeros((), np.int64), "iteration")
        self._learning_rate = None
        self._set_learning_rate(learning_rate)

    # -- construction helpers ---------------------------------------------------
    def _check_name(self, name):
        if name is None:
            return naming.uniquify(naming.to_snake_case(type(self).__name__))
        if not isinstance(name, str):
            raise ValueError(
                f"The 'name' argument of {type(self).__name__} must be a string or None. "
                f"Got name={name!r} instead."
            )
        return name

    def _unknown_arguments(self, kwargs) -> ValueError:
        valid = set()
        for klass in type(self).__mro__:
            init = klass.__dict__.get("__init__")
            if init is None or klass is object:
                continue
            for p in inspect.signature(init).parameters.values():
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self":
                    valid.add(p.name)
        parts = []
        for key in kwargs:
            hint = naming.closest(key, valid)
            parts.append(f"{key!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
        return ValueError(
            f"{type(self).__name__} got unexpected argument(s): {', '.join(parts)}. "
            f"Valid arguments: {', '.join(sorted(valid))}."
        )

    def _make_variable(self, value: np.ndarray, name: str, track: bool = True) -> Variable:
        var = Variable(value, dtype=value.dtype, trainable=False, name=name)
        var.value = value  # keep the caller's array (a view into flat storage)
        var.path = f"{self.name}/{name}"
        if track:
            self._variables.append(var)
        return var

    def _check_learning_rate(self, value):
        if isinstance(value, _schedules.LearningRateSchedule) or (
            callable(value) and not isinstance(value, (Tensor, np.ndarray))
        ):
            return value
        if not _is_number(value) or not math.isfinite(float(value)) or float(value) < 0:
            raise ValueError(
                f"The 'learning_rate' argument of {type(self).__name__} must be a number >= 0, "
                "a keras.optimizers.schedules.LearningRateSchedule, or a callable that takes "
                f"no arguments and returns the rate. Got learning_rate={value!r} "
                f"({type(value).__name__}) instead."
            )
        return float(value)

    def _set_learning_rate(self, value):
        value = self._check_learning_rate(value)
        old = self._learning_rate
        if not isinstance(value, float):
            self._learning_rate = value
            if isinstance(old, Variable):
                self._variables = [v for v in self._variables if v is not old]
            return
        if isinstance(old, Variable):
            old.assign(value)
            return
        if old is not None:
            raise TypeError(
                f"{type(self).__name__} '{self.name}' was created with a "
                f"{type(old).__name__} as its learning rate, so a float cannot be set. Create "
                "the optimizer with a float `learning_rate` to change it during training."
            )
        lr = self._make_variable(np.array(value, dtype=config.floatx()), "learning_rate")
        self._learning_rate = lr

    # -- public attributes --------------------------------------------------------
    @property
    def iterations(self):
        """The number of updates so far, a lamina int64 Variable.

        With ``gradient_accumulation_steps`` this counts real updates
        (calls // steps).
        """
        if self.gradient_accumulation_steps:
            return Tensor(self._iterations.value // self.gradient_accumulation_steps)
        return self._iterations

    @property
    def learning_rate(self):
        """The current learning rate.

        For a float rate, the float32 Variable holding it (``float()`` reads it);
        for a schedule, its value at the current iteration. Set it to a float to
        change the rate, or to a schedule or callable to replace it.
        """
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr
        if isinstance(lr, _schedules.LearningRateSchedule):
            return lr(self._iterations)
        return lr()

    @learning_rate.setter
    def learning_rate(self, value):
        self._set_learning_rate(value)

    @property
    def lr(self):
        """Deprecated alias of ``learning_rate`` (Keras 2 name)."""
        _warn(
            "`optimizer.lr` is deprecated (Keras 3 removed it); use `optimizer.learning_rate`.",
            DeprecationWarning,
        )
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        _warn(
            "`optimizer.lr` is deprecated (Keras 3 removed it); use `optimizer.learning_rate`.",
            DeprecationWarning,
        )
        self.learning_rate = value

    @property
    def variables(self) -> list:
        """The optimizer's state variables, in Keras's order.

        ``iteration``, ``learning_rate`` (for a float rate), the weights'
        averages (``use_ema``), the gradient accumulators, then the slots of each
        variable in turn (for Adam: momentum and velocity of the first variable,
        then of the second, ...).
        """
        return self._variables[:]

    @property
    def is_flat(self) -> bool:
        """True when the variables share one flat buffer and ``apply_flat`` updates it whole."""
        if self.built:
            self._sync()
        return self._flat_segment is not None

    # -- config -------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Return the constructor arguments (Keras's keys) as a dict."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            learning_rate = _schedules.serialize(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr.value)
        else:
            learning_rate = lr
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Create an optimizer from the dict ``get_config()`` returned."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)

    def __setstate__(self, state):
        # After pickling or deepcopy, arrays that were views are copies: point the slot
        # variables back into their storage, and re-key everything that used id().
        self.__dict__.update(state)
        for var, storage_index, name, k in self._slot_views:
            storage = self._storages[storage_index]
            var.value = storage.view(storage.arrays[name], k)
        self._trainable_variables_indices = {
            id(v): i for i, v in enumerate(self._trainable_variables)
        }
        self._exclude_from_weight_decay = {id(v) for v in self._exclude_vars}
        self._wd_key = None
        self._ready = False
        self._flat_segment = None

    def __repr__(self) -> str:
        lr = self._learning_rate
        shown = float(lr.value) if isinstance(lr, Variable) else lr
        return (
            f"<{type(self).__name__} name={self.name!r} learning_rate={shown!r} built={self.built}>"
        )

