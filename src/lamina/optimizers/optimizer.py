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
import operator
import os
import re
import sys
import warnings

import numpy as np

from lamina import config
from lamina.autodiff import hooks
from lamina.autodiff.tensor import Tensor, Variable, to_array
from lamina.optimizers import schedules as _schedules
from lamina.optimizers._layout import Segment, Storage, flat_view
from lamina.utils import naming

__all__ = ["Optimizer"]

_HERE = os.path.dirname(os.path.abspath(__file__))
# Keras 2 / tf.keras config keys that have no meaning here and are dropped.
_IGNORED_LEGACY_KWARGS = ("jit_compile", "is_legacy_optimizer")
# Segments above 4 * _BLOCK elements are updated block by block (cache-sized).
_BLOCK = 1 << 16
_VALUE = operator.attrgetter("value")


def _warn(message: str, category=UserWarning) -> None:
    """Warn, pointing at the first caller outside lamina.optimizers."""
    level = 2
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def _is_number(x) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float, np.integer, np.floating)):
        return True
    if isinstance(x, (np.ndarray, Tensor)):
        a = to_array(x)
        return a.ndim == 0 and a.dtype.kind in "iuf"
    return False


def check_number(owner, name: str, value, low=None, high=None, high_open=False, none_ok=False):
    """Raise a ValueError naming ``name`` unless ``value`` is a number in the range.

    Used by the optimizers to validate their hyperparameters.
    """
    if value is None and none_ok:
        return value
    where = owner if isinstance(owner, str) else type(owner).__name__
    if not _is_number(value) or not math.isfinite(float(value)):
        allowed = " or None" if none_ok else ""
        raise ValueError(
            f"The '{name}' argument of {where} must be a finite number{allowed}. "
            f"Got {name}={value!r} ({type(value).__name__}) instead."
        )
    v = float(value)
    if (low is not None and v < low) or (
        high is not None and (v >= high if high_open else v > high)
    ):
        if high is None:
            rng = f">= {low}"
        else:
            rng = f"in [{low}, {high}{')' if high_open else ']'}"
        raise ValueError(
            f"The '{name}' argument of {where} must be {rng}. Got {name}={value!r} instead."
        )
    return value


class Optimizer:
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

    # -- build ----------------------------------------------------------------------
    def build(self, var_list):
        """Create the optimizer's state for ``var_list`` (the variables it will update).

        Subclasses call ``super().build(var_list)`` first, then add their slots
        with ``add_optimizer_variables`` or ``add_variable_from_reference``.
        """
        var_list = list(var_list)
        for v in var_list:
            if not isinstance(v, Variable):
                raise ValueError(
                    f"{type(self).__name__}.build expects lamina Variables; got "
                    f"{type(v).__name__}. Pass model.trainable_variables."
                )
        self._trainable_variables = var_list
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(var_list)}
        self._setup_storage(var_list)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(var_list, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                var_list, "gradient_accumulator"
            )
        self.built = True

    def _setup_storage(self, var_list):
        groups: dict = {}
        for i, v in enumerate(var_list):
            groups.setdefault(v.value.dtype, []).append(i)
        self._storages = []
        self._segments = [None] * len(var_list)
        self._place = [None] * len(var_list)
        for dtype, indices in groups.items():
            storage = Storage(dtype, [var_list[i].value.shape for i in indices])
            storage.indices = indices
            self._storages.append(storage)
            for k, i in enumerate(indices):
                self._place[i] = (storage, k)
                self._segments[i] = Segment(var_list[i], var_list[i].value, storage, k)
        self._total = sum(int(v.value.size) for v in var_list)
        self._ready = False

    def _bind(self):
        """Point each segment at its slices of the state arrays."""
        n_tmp = max(self._n_tmp, 1)
        for storage in self._storages:
            if "__tmp0" not in storage.arrays:
                for j in range(n_tmp):
                    storage.arrays[f"__tmp{j}"] = np.empty(storage.total, storage.dtype)
        for seg, var in zip(self._segments, self._trainable_variables):
            if var.value.shape != seg.w.shape or var.value.dtype != seg.dtype:
                raise ValueError(
                    f"Variable '{var.path}' changed from {seg.w.shape} {seg.dtype} to "
                    f"{var.value.shape} {var.value.dtype} after optimizer '{self.name}' was "
                    "built. Build a new optimizer for the new variables."
                )
            seg.w = var.value
            self._bind_segment(seg, n_tmp)
        self._wd_key = None
        self._bound_values = [v.value for v in self._trainable_variables]
        self._flat_segment = None
        self._is_fast = self._fast()
        if (
            len(self._storages) == 1
            and self._is_fast
            and all(s.sizes and min(s.sizes) > 0 for s in self._storages)
        ):
            flat = flat_view(self._bound_values)
            if flat is not None:
                seg = Segment(None, flat, self._storages[0], None)
                self._bind_segment(seg, n_tmp)
                self._flat_segment = seg
        self._ready = True

    def _bind_segment(self, seg, n_tmp):
        arrays = seg.storage.arrays
        seg.tmp = tuple(seg.part(arrays[f"__tmp{j}"]) for j in range(n_tmp))
        seg.slots = tuple(seg.part(arrays[name]) for name in self._slot_names)
        seg.acc = (
            seg.part(arrays["gradient_accumulator"]) if "gradient_accumulator" in arrays else None
        )
        seg.avg = seg.part(arrays["average"]) if "average" in arrays else None
        seg.gbuf = seg.part(arrays["__grad"]) if "__grad" in arrays else None
        seg.wd = None

    def _sync(self):
        """Re-bind if built state changed or a variable's array was replaced."""
        if not self._ready:
            self._bind()
            return
        if any(map(operator.is_not, map(_VALUE, self._trainable_variables), self._bound_values)):
            self._bind()

    def _fast(self) -> bool:
        return type(self)._kernel is not None and type(self).update_step is Optimizer.update_step

    def _constants(self, dtype) -> tuple:
        """Hyperparameters cast to ``dtype``, computed once (built-in optimizers)."""
        return ()

    def _consts(self, dtype) -> tuple:
        c = self._const_cache.get(dtype)
        if c is None:
            c = self._const_cache[dtype] = self._constants(dtype)
        return c

    def __setattr__(self, name, value):
        # Changing a hyperparameter (``opt.beta_1 = 0.8``) invalidates the cast constants.
        if not name.startswith("_"):
            object.__setattr__(self, "_const_cache", {})
            if name not in ("learning_rate", "lr"):  # (read at every step anyway)
                version = self.__dict__.get("_config_version", 0) + 1
                object.__setattr__(self, "_config_version", version)
        object.__setattr__(self, name, value)

    def _grad_buffer(self, seg) -> np.ndarray:
        if seg.gbuf is None:
            for storage in self._storages:
                if "__grad" not in storage.arrays:
                    storage.arrays["__grad"] = np.empty(storage.total, storage.dtype)
            for s in self._segments:
                s.gbuf = s.part(s.storage.arrays["__grad"])
            if self._flat_segment is not None:
                fs = self._flat_segment
                fs.gbuf = fs.storage.arrays["__grad"]
        return seg.gbuf

    # -- state variables (Keras API) ------------------------------------------------
    def add_variable(
        self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None
    ):
        """Create and track one state variable of ``shape`` (not tied to a model variable)."""
        dtype = np.dtype(dtype or config.floatx())
        shape = tuple(int(d) for d in shape)
        value = np.empty(shape, dtype)
        value[...] = self._initial_values(initializer, shape, dtype)
        return self._make_variable(value, name or "variable")

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """Create a state variable shaped like ``reference_variable``.

        Its name is ``"<reference path with _>_<name>"``, e.g. ``dense_kernel_momentum``.
        """
        name = f"{self._reference_name(reference_variable)}_{name or 'var'}"
        ref = to_array(reference_variable)
        return self.add_variable(ref.shape, initializer, ref.dtype, name=name)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Create one state variable per model variable for each name in ``name``.

        Args:
            trainable_variables: the model variables the state follows.
            name: a slot name, or a list of names.
            initializer: ``"zeros"``, ``"ones"``, a number, or a callable
                ``f(shape, dtype)``; or a list of them, one per name.

        Returns:
            A list of variables (one per model variable), or a tuple of such
            lists when ``name`` is a list. The variables are created
            interleaved (all slots of the first model variable, then the
            next...), which fixes their order in ``variables``.
        """
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(initializer, (list, tuple)):
            inits = list(initializer)
        else:
            inits = [initializer] * len(names)
        if len(inits) != len(names):
            raise ValueError(
                f"add_optimizer_variables got {len(names)} names but {len(inits)} initializers. "
                "Give one initializer per name, or one for all."
            )
        trainable_variables = list(trainable_variables)
        same = len(trainable_variables) == len(self._trainable_variables) and all(
            a is b for a, b in zip(trainable_variables, self._trainable_variables)
        )
        out = tuple([] for _ in names)
        if not same:
            for var in trainable_variables:
                for j, (n, init) in enumerate(zip(names, inits)):
                    out[j].append(self.add_variable_from_reference(var, n, init))
        else:
            for n, init in zip(names, inits):
                for storage in self._storages:
                    flat = np.empty(storage.total, storage.dtype)
                    for k in range(len(storage.indices)):
                        storage.view(flat, k)[...] = self._initial_values(
                            init, storage.shapes[k], storage.dtype
                        )
                    storage.arrays[n] = flat
            for i, var in enumerate(trainable_variables):
                storage, k = self._place[i]
                for j, n in enumerate(names):
                    full = f"{self._reference_name(var)}_{n}"
                    slot = self._make_variable(storage.view(storage.arrays[n], k), full)
                    self._slot_views.append((slot, self._storages.index(storage), n, k))
                    out[j].append(slot)
            self._ready = False
        return out[0] if isinstance(name, str) else out

    @staticmethod
    def _reference_name(var) -> str:
        path = getattr(var, "path", None) or getattr(var, "name", "variable")
        return str(path).replace("/", "_").replace(":", "_")

    @staticmethod
    def _initial_values(initializer, shape, dtype):
        if isinstance(initializer, str):
            key = initializer.lower()
            if key == "zeros":
                return 0
            if key == "ones":
                return 1
            from lamina import initializers

            initializer = initializers.get(initializer)
        if _is_number(initializer):
            return initializer
        value = getattr(initializer, "value", None)
        if _is_number(value):
            return value
        if callable(initializer):
            return to_array(initializer(shape, dtype=dtype))
        raise ValueError(
            f"Optimizer state initializer must be 'zeros', 'ones', a number or a callable "
            f"f(shape, dtype). Got {initializer!r} instead."
        )

    def _var_key(self, variable):
        return id(variable)

    def _get_variable_index(self, variable) -> int:
        try:
            return self._trainable_variables_indices[id(variable)]
        except KeyError:
            raise self._unknown_variable(variable) from None

    def _unknown_variable(self, variable) -> ValueError:
        return ValueError(
            f"Unknown variable: {getattr(variable, 'path', variable)!r}. Optimizer "
            f"'{self.name}' can only update the variables it was built with. For a new set "
            "of variables, create a new optimizer."
        )

    def assign(self, variable, value):
        """Write ``value`` into ``variable`` (use in ``update_step``)."""
        variable.assign(value)

    def assign_add(self, variable, value):
        """Add ``value`` to ``variable`` in place (use in ``update_step``)."""
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        """Subtract ``value`` from ``variable`` in place (use in ``update_step``)."""
        variable.assign_sub(value)

    # -- the update rule -------------------------------------------------------------
    def update_step(self, gradient, variable, learning_rate):
        """Update ``variable`` (and its slots) from ``gradient`` with ``learning_rate``.

        Override this in an optimizer of your own. The built-in optimizers
        implement it with in-place NumPy kernels.
        """
        if type(self)._kernel is None:
            raise NotImplementedError(
                f"{type(self).__name__} must implement `update_step(gradient, variable, "
                "learning_rate)`."
            )
        if not self.built:
            raise ValueError(f"Call {self.name}.build(var_list) before update_step.")
        self._sync()
        seg = self._segments[self._get_variable_index(variable)]
        g = np.asarray(to_array(gradient), dtype=seg.dtype)
        lr = seg.dtype.type(to_array(learning_rate))
        self._kernel(g, seg.w, seg.slots, seg.tmp, self._coefficients(lr, seg.dtype))

    def _coefficients(self, lr, dtype):
        """The scalars of one step, cast to ``dtype`` (built-in optimizers)."""
        return (lr,)

    def _before_update(self):
        """Hook run once per update, before the per-variable steps (Nadam)."""

    def _local_step(self) -> int:
        it = int(self._iterations.value)
        if self.gradient_accumulation_steps:
            it //= self.gradient_accumulation_steps
        return it + 1

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        for grad, var in zip(grads, trainable_variables):
            self.update_step(grad, var, learning_rate)

    # -- applying gradients -------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply one step from ``(gradient, variable)`` pairs; returns ``iterations``.

        Gradients may be lamina tensors, NumPy arrays or ``None`` (that
        variable is skipped). The optimizer is built on the first call.

        Example:
            >>> import numpy as np
            >>> import lamina
            >>> from lamina import optimizers
            >>> w = lamina.Variable([1.0, 2.0])
            >>> opt = optimizers.SGD(learning_rate=0.1)
            >>> _ = opt.apply_gradients([(np.array([1.0, -1.0]), w)])
            >>> w.numpy(), int(opt.iterations)
            (array([0.9, 2.1], dtype=float32), 1)
        """
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads = [p[0] for p in pairs]
        variables = [p[1] for p in pairs]
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Apply one step from ``grads``, matched one to one with ``trainable_variables``.

        Without ``trainable_variables`` the optimizer must be built, and
        ``grads`` follow the order of the variables it was built with.
        """
        if hooks.active() is not None and hooks.has_traced(grads):
            # A traced step: the update is one step of the plan, replayed on a flat gradient
            # when the variables lie back to back in one buffer.
            if trainable_variables is None:
                trainable_variables = self._trainable_variables
            hooks.host_update(self.apply, self.flat_update, list(grads), list(trainable_variables))
            return
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{self.name}.apply(grads) without variables needs a built optimizer. "
                    "Call optimizer.build(trainable_variables) first, or pass them."
                )
            variables = self._trainable_variables
            if len(grads) != len(variables):
                raise ValueError(
                    f"{self.name} was built with {len(variables)} variables but got "
                    f"{len(grads)} gradients. Pass one gradient per variable."
                )
            in_order = True
        else:
            variables = list(trainable_variables)
            if len(variables) != len(grads):
                raise ValueError(
                    f"{self.name}.apply got {len(grads)} gradients for {len(variables)} "
                    "variables. Pass one gradient per variable."
                )
            if not self.built:
                self.build(variables)
            index = self._trainable_variables_indices
            for v in variables:
                if id(v) not in index:
                    raise self._unknown_variable(v)
            built = self._trainable_variables
            in_order = len(variables) == len(built) and all(
                a is b for a, b in zip(variables, built)
            )
        self._sync()

        index = self._trainable_variables_indices
        segments = self._segments
        segs, arrays, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(v)
                continue
            seg = segments[index[id(v)]]
            a = g.value if isinstance(g, Tensor) else np.asarray(g)
            if a.shape != seg.w.shape:
                raise ValueError(
                    f"The gradient for variable '{v.path}' has shape {a.shape} but the variable "
                    f"has shape {seg.w.shape}. Pass gradients in the same order as the variables."
                )
            segs.append(seg)
            arrays.append(a)
        if not arrays:
            raise ValueError(
                "No gradients provided for any variable. Check that the loss depends on the "
                "variables (and that compile() was given a loss)."
            )
        if missing:
            _warn(
                f"Gradients do not exist for variables {[v.path for v in missing]} when "
                "minimizing the loss. If using `model.compile()`, did you forget to provide a "
                "`loss` argument?"
            )
        flat = self._flat_segment
        if flat is not None and in_order and not missing:
            gbuf = self._grad_buffer(flat)
            np.concatenate([a.reshape(-1) for a in arrays], out=gbuf, casting="same_kind")
            self._step([flat], [gbuf], [flat], self._trainable_variables)
            return
        arrays = [a if a.dtype == s.dtype else a.astype(s.dtype) for s, a in zip(segs, arrays)]
        used = [s.var for s in segs]
        self._step(segs, arrays, segments, used)

    def apply_flat(self, flat_grad):
        """Apply one step from one 1-D gradient laid out like the variables.

        ``flat_grad`` holds the gradients of the variables the optimizer was
        built with, raveled and concatenated in that order. When the variables
        are views into one flat buffer (``is_flat``), the whole update is a few
        NumPy calls over it. ``flat_grad`` itself is never modified.
        """
        if not self.built:
            raise ValueError(
                f"{self.name}.apply_flat needs a built optimizer: call "
                "optimizer.build(trainable_variables) first."
            )
        self._sync()
        g = flat_grad.value if isinstance(flat_grad, Tensor) else np.asarray(flat_grad)
        if g.shape != (self._total,):
            raise ValueError(
                f"{self.name}.apply_flat expects a 1-D gradient of {self._total} elements (all "
                f"variables raveled and concatenated). Got shape {g.shape}."
            )
        seg = self._flat_segment
        if seg is None:
            parts, o = [], 0
            for v in self._trainable_variables:
                n = v.value.size
                parts.append(g[o : o + n].reshape(v.value.shape))
                o += n
            self.apply(parts)
            return
        if g.dtype != seg.dtype:
            gbuf = self._grad_buffer(seg)
            np.copyto(gbuf, g, casting="same_kind")
            g = gbuf
        self._step([seg], [g], [seg], self._trainable_variables)

    def _flat_update_function(self):
        """A function ``g -> None`` applying one plain step from a flat gradient, or ``None``.

        The same arithmetic as ``apply_flat`` for the common case (one flat
        buffer, a built-in update rule; no loss scaling, gradient accumulation,
        clipping, moving average or constraints), without re-checking the
        options and the buffers at every step. The fused training loop fetches
        it once per epoch.
        """
        if not self.built:
            return None
        self._sync()
        seg = self._flat_segment
        if (
            seg is None
            or not self._is_fast
            or self.loss_scale_factor is not None
            or self.gradient_accumulation_steps
            or self.clipnorm
            or self.global_clipnorm
            or self.clipvalue
            or self.use_ema
            or seg.w.size > _BLOCK * 4
            or any(v.constraint is not None for v in self._trainable_variables)
        ):
            return None
        kernel, coefficients, before, lr_value = (
            self._kernel, self._coefficients, self._before_update, self._lr_value)
        w, slots, tmp, dtype = seg.w, seg.slots, seg.tmp, seg.dtype
        iterations = self._iterations.value
        decay = self._decay if self.weight_decay is not None else None
        segs = [seg]

        version, apply_flat = self.__dict__.get("_config_version", 0), self.apply_flat

        def update(g):
            if self._flat_segment is not seg or self.__dict__.get("_config_version", 0) != version:
                return apply_flat(g)  # re-bound, or an option changed: the general path
            lr = lr_value()
            if lr.dtype != dtype:
                lr = dtype.type(lr)
            if decay is not None:
                decay(segs, lr)
            before()
            kernel(g, w, slots, tmp, coefficients(lr, dtype))
            iterations[()] = iterations.item() + 1

        return update

    def flat_update(self, variables):
        """The function the engine calls with one flat gradient per step, or ``None``.

        Only for exactly the variables this optimizer was built with, in order
        (the flat gradient is laid out like them). The lean update of
        ``_flat_update_function`` when it applies (it checks on each call that
        nothing it relies on changed, else takes the general path), otherwise
        ``apply_flat``.
        """
        if not self.built or len(variables) != len(self._trainable_variables) or any(
                a is not b for a, b in zip(variables, self._trainable_variables)):
            return None
        return self._flat_update_function() or self.apply_flat

    def _step(self, segs, grads, every_seg, used_vars):
        """One optimizer step over ``segs`` (see the module docstring for the order)."""
        steps = self.gradient_accumulation_steps
        it = self._iterations.value.item()
        if self.loss_scale_factor is not None:
            grads = [
                np.divide(g, s.dtype.type(self.loss_scale_factor), out=self._grad_buffer(s))
                for s, g in zip(segs, grads)
            ]
        if steps:
            if (it + 1) % steps:
                for s, g in zip(segs, grads):
                    np.add(s.acc, g, out=s.acc)
                self._finish(every_seg, used_vars, it)
                return
            means = []
            for s, g in zip(segs, grads):
                buf = self._grad_buffer(s)
                np.add(g, s.acc, out=buf)
                np.divide(buf, s.dtype.type(steps), out=buf)
                means.append(buf)
            grads = means
        if self.clipnorm or self.global_clipnorm or self.clipvalue:
            grads = self._clip(segs, grads)
        lr = self._lr_value()
        if self.weight_decay is not None:
            self._decay(segs, lr)
        if self._is_fast:
            self._before_update()
            coeffs: dict = {}
            kernel = self._kernel
            for s, g in zip(segs, grads):
                dt = s.dtype
                c = coeffs.get(dt)
                if c is None:
                    c = coeffs[dt] = self._coefficients(lr if lr.dtype == dt else dt.type(lr), dt)
                if s.w.size <= _BLOCK * 4 or not s.w.flags.c_contiguous:
                    kernel(g, s.w, s.slots, s.tmp, c)
                    continue
                # Large arrays: go block by block so the kernel's passes stay in cache.
                g, w = g.reshape(-1), s.w.reshape(-1)
                slots = [a.reshape(-1) for a in s.slots]
                tmp = [a.reshape(-1) for a in s.tmp]
                for b in range(0, w.size, _BLOCK):
                    e = b + _BLOCK
                    kernel(g[b:e], w[b:e], [a[b:e] for a in slots], [a[b:e] for a in tmp], c)
        else:
            self._backend_update_step(
                [Tensor(g) for g in grads], [s.var for s in segs], self.learning_rate
            )
        if steps:
            for s in segs:
                s.acc.fill(0)
        self._finish(every_seg, used_vars, it)

    def _finish(self, every_seg, used_vars, it):
        for v in used_vars:
            if v.constraint is not None:
                v.assign(v.constraint(v))
        if self.use_ema:
            self._update_moving_average(every_seg, it)
        self._iterations.value[()] = it + 1  # (item assignment: far cheaper than += on 0-d)

    def _lr_value(self):
        """The learning rate now, as a NumPy scalar."""
        lr = self._learning_rate
        if type(lr) is Variable:
            return lr.value[()]
        if isinstance(lr, _schedules.LearningRateSchedule):
            value = to_array(lr(self._iterations))
        else:
            value = to_array(lr())
        if value.dtype.kind != "f":
            value = value.astype(config.floatx())
        return value[()]

    # -- clipping and weight decay ----------------------------------------------------
    def _squared_norms(self, seg, g) -> np.ndarray:
        """Per-variable sums of squares of ``g`` (float64 accumulation, rounded to its dtype)."""
        sq = np.multiply(g, g, out=seg.tmp[0]).reshape(-1)
        return np.add.reduceat(sq, seg.starts, dtype=np.float64).astype(seg.dtype)

    def _clip(self, segs, grads):
        if self.clipnorm and self.clipnorm > 0:
            out = []
            for s, g in zip(segs, grads):
                c = s.dtype.type(self.clipnorm)
                denominators = np.maximum(np.sqrt(self._squared_norms(s, g)), c)
                buf = self._grad_buffer(s)
                np.multiply(g, c, out=buf)
                if s.var is not None:
                    np.divide(buf, denominators[0], out=buf)
                else:
                    if s.seg_ids is None:
                        s.seg_ids = np.repeat(
                            np.arange(len(s.storage.sizes), dtype=np.intp), s.storage.sizes
                        )
                    np.take(denominators, s.seg_ids, out=s.tmp[0])
                    np.divide(buf, s.tmp[0], out=buf)
                out.append(buf)
            return out
        if self.global_clipnorm and self.global_clipnorm > 0:
            dtype = segs[0].dtype
            sums = np.concatenate([self._squared_norms(s, g) for s, g in zip(segs, grads)])
            norm = np.sqrt(np.add.reduce(sums.astype(dtype)))
            with np.errstate(divide="ignore", invalid="ignore"):
                limit = dtype.type(1.0 / self.global_clipnorm)
                scale = dtype.type(self.global_clipnorm) * np.minimum(dtype.type(1.0) / norm, limit)
                scale = scale + (norm - norm)
            return [
                np.multiply(g, s.dtype.type(scale), out=self._grad_buffer(s))
                for s, g in zip(segs, grads)
            ]
        if self.clipvalue and self.clipvalue > 0:
            return [
                np.clip(
                    g,
                    s.dtype.type(-self.clipvalue),
                    s.dtype.type(self.clipvalue),
                    out=self._grad_buffer(s),
                )
                for s, g in zip(segs, grads)
            ]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt variables from weight decay.

        Args:
            var_list: variables to exempt.
            var_names: strings; a variable whose name contains any of them is
                exempt (e.g. ``["bias"]``).
        """
        self._exclude_vars = list(var_list or [])
        self._exclude_from_weight_decay = {id(v) for v in self._exclude_vars}
        if var_names:
            self._exclude_from_weight_decay_pattern = re.compile(
                "|".join(re.escape(str(n)) for n in set(var_names))
            )
        else:
            self._exclude_from_weight_decay_pattern = None
        self._wd_key = None

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_from_weight_decay:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        if pattern is not None and pattern.search(str(variable.name)) is not None:
            return False
        return True

    def _refresh_decay(self):
        wd = self.weight_decay
        use = [self._use_weight_decay(v) for v in self._trainable_variables]
        for seg, u in zip(self._segments, use):
            seg.wd = seg.dtype.type(wd) if u else None
        flat = self._flat_segment
        if flat is not None:
            if all(use):
                flat.wd = flat.dtype.type(wd)
            elif not any(use):
                flat.wd = None
            else:
                mask = np.zeros(flat.w.size, flat.dtype)
                for k, u in enumerate(use):
                    if u:
                        flat.storage.view(mask, k)[...] = flat.dtype.type(wd)
                flat.wd = mask
        self._wd_key = (wd, id(self._exclude_from_weight_decay))

    def _decay(self, segs, lr):
        if self._wd_key != (self.weight_decay, id(self._exclude_from_weight_decay)):
            self._refresh_decay()
        for s in segs:
            if s.wd is None:
                continue
            t = s.tmp[0]
            np.multiply(s.w, s.wd, out=t)
            np.multiply(t, s.dtype.type(lr), out=t)
            np.subtract(s.w, t, out=s.w)

    # -- moving average of the weights --------------------------------------------------
    def _update_moving_average(self, every_seg, it):
        steps = self.gradient_accumulation_steps
        iters = it // steps if steps else it
        for s in every_seg:
            dt = s.dtype
            momentum = dt.type(iters != 0) * dt.type(self.ema_momentum)
            np.multiply(s.avg, momentum, out=s.avg)
            np.multiply(s.w, dt.type(1) - momentum, out=s.tmp[0])
            np.add(s.avg, s.tmp[0], out=s.avg)
        freq = self.ema_overwrite_frequency
        if freq and (iters + 1) % freq == 0:
            for s in every_seg:
                np.copyto(s.w, s.avg)

    def finalize_variable_values(self, var_list):
        """Finish training: with ``use_ema``, copy the moving averages into ``var_list``."""
        if not self.use_ema:
            return
        var_list = list(var_list)
        averages = self._model_variables_moving_average
        if len(var_list) != len(averages):
            raise ValueError(
                f"{self.name} holds moving averages for {len(averages)} variables but "
                f"finalize_variable_values got {len(var_list)}. Pass the variables the "
                "optimizer was built with."
            )
        for var, avg in zip(var_list, averages):
            var.assign(avg.value)

    def scale_loss(self, loss):
        """Multiply ``loss`` by ``loss_scale_factor`` when one is set."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # -- state in and out ---------------------------------------------------------------
    def set_weights(self, weights):
        """Set the state variables from a list of arrays (in ``variables`` order)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not been built. "
                "Call `optimizer.build(trainable_variables)` first."
            )
        weights = list(weights)
        if len(weights) != len(self._variables):
            raise ValueError(
                f"{self.name} has {len(self._variables)} state variables but set_weights got "
                f"{len(weights)} arrays."
            )
        for var, w in zip(self._variables, weights):
            w = to_array(w)
            if tuple(var.shape) != tuple(w.shape):
                raise ValueError(
                    f"Optimizer variable '{var.path}' has shape {var.shape}; the array given "
                    f"for it has shape {w.shape}."
                )
            var.assign(w)

    def save_own_variables(self, store):
        """Write the state into ``store`` under keys ``"0"``, ``"1"``, ... (Keras format)."""
        for i, var in enumerate(self._variables):
            store[str(i)] = var.numpy()

    def load_own_variables(self, store):
        """Read the state written by ``save_own_variables`` (warns and skips on a mismatch)."""
        if len(store.keys()) != len(self._variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self._variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables."
            )
            if not self.built:
                msg += " This is likely because the optimizer has not been built yet."
            _warn(msg)
            return
        for i, var in enumerate(self._variables):
            var.assign(store[str(i)])

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
