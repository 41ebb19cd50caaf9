"""The optimizer's state: building it for a list of variables (flat per-dtype storage, each
variable's slots as views), Keras's state-variable API, and the state in and out of files."""

from __future__ import annotations

import operator

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Variable, to_array
from lamina.optimizers._apply import ApplyMixin
from lamina.optimizers._common import _VALUE, _is_number, _warn
from lamina.optimizers._layout import Segment, Storage, flat_view

__all__ = ["StateMixin"]





class StateMixin:
    """Part of ``Optimizer`` (see ``optimizer.py``)."""

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
        return type(self)._kernel is not None and type(self).update_step is ApplyMixin.update_step

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
