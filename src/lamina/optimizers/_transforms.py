"""The optional transforms of a step: gradient clipping, decoupled weight decay and the
exponential moving average of the weights."""

from __future__ import annotations

import re

import numpy as np

__all__ = ["TransformsMixin"]





class TransformsMixin:
    """Part of ``Optimizer`` (see ``optimizer.py``)."""

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
