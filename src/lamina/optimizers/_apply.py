"""Applying gradients: Keras 3's order of a step (accumulation, clipping, weight decay, the
update rule, constraints, moving average), per variable or over one flat buffer."""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.autodiff import hooks
from lamina.autodiff.tensor import Tensor, Variable, to_array
from lamina.optimizers import schedules as _schedules
from lamina.optimizers._common import _BLOCK, _warn

__all__ = ["ApplyMixin"]





def _reduced(reduce, grads):
    """``grads`` after ``reduce`` (an Allreduce over replicas) of one flat copy of them."""
    dtype = np.result_type(*grads)
    flat = np.concatenate([np.asarray(g, dtype).reshape(-1) for g in grads])
    reduce(flat)
    out, offset = [], 0
    for g in grads:
        out.append(flat[offset:offset + g.size].reshape(g.shape).astype(g.dtype, copy=False))
        offset += g.size
    return out


class ApplyMixin:
    """Part of ``Optimizer`` (see ``optimizer.py``)."""

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
            reduce = self.__dict__.get("_gradient_reducer")
            if reduce is not None:  # the replicas' Allreduce (lamina.distribute), in place
                reduce(g)
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
        reduce = self.__dict__.get("_gradient_reducer")
        if reduce is not None:  # the replicas' Allreduce (lamina.distribute), on a copy
            grads = _reduced(reduce, grads)
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
