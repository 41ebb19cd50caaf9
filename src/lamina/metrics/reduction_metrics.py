"""Metrics that average or add up values: ``Sum``, ``Mean`` and ``MeanMetricWrapper``.

``Mean`` keeps two scalars, ``total`` and ``count``, in the metric's dtype
(float32 by default, as in Keras, so long runs accumulate float32 rounding
exactly as Keras does). For values of shape ``(batch, ...)`` each sample first
becomes one number (the mean over its other axes); then

    total += sum(w_i * v_i)        count += sum(w_i)   (count += batch without weights)
    result = total / count         (0 while count is 0)

``MeanMetricWrapper`` applies a function ``fn(y_true, y_pred)`` that returns one
value per sample (any loss function, or your own) and averages it this way.

Example:
    >>> import lamina
    >>> m = lamina.metrics.Mean()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    2.0
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor
from lamina.metrics.metric import Metric, as_array, same_rank

__all__ = ["Sum", "Mean", "MeanMetricWrapper"]


def _reduce_trailing(values: np.ndarray, start: int, use_mean: bool) -> np.ndarray:
    axes = tuple(range(start, values.ndim))
    return values.mean(axis=axes) if use_mean else values.sum(axis=axes)


def samplewise(values: np.ndarray, sample_weight, use_mean: bool, dtype):
    """Reduce ``values`` to one number per sample and weight them, as Keras's metrics do.

    ``sample_weight`` is aligned with ``values`` (a trailing axis of 1 is added
    or dropped), ``values`` are reduced over the axes the weight lacks, the
    weight is broadcast and multiplied in, and both are finally reduced to
    shape ``(batch,)`` with ``mean`` (``use_mean``) or ``sum``.

    Returns:
        ``(values, weights)``; ``weights`` is ``None`` when ``sample_weight`` is.
    """
    if values.dtype != dtype:
        values = values.astype(dtype)
    weights = None
    if sample_weight is not None:
        weights = as_array(sample_weight)
        if weights.dtype != dtype:
            weights = weights.astype(dtype)
        values, weights = same_rank(values, weights)
        weight_ndim = weights.ndim
        if values.ndim > weight_ndim:
            values = _reduce_trailing(values, weight_ndim, use_mean)
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {np.shape(sample_weight)} does not fit values of "
                f"shape {values.shape}. Pass one weight per sample: shape ({values.shape[0]},)."
                if values.ndim
                else f"sample_weight of shape {np.shape(sample_weight)} does not fit a "
                "scalar value. Pass a scalar weight."
            ) from None
        values = values * weights
        if weight_ndim > 1:
            weights = _reduce_trailing(weights, 1, use_mean)
    if values.ndim > 1:
        values = _reduce_trailing(values, 1, use_mean)
    return values, weights


class Sum(Metric):
    """The (weighted) sum of the values seen so far.

    ``result = sum(sample_weight * values)`` over every batch since the last reset.

    Args:
        name: the metric's name.
        dtype: the dtype of the running total (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.Sum()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
        >>> float(m.result())
        4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="total"
        )

    def update_state(self, values, sample_weight=None):
        """Add ``sum(sample_weight * values)`` to the total."""
        values, _ = samplewise(as_array(values), sample_weight, False, self._np_dtype)
        total = self.total.value  # a 0-d array, updated in place
        total += values.sum(dtype=self._np_dtype)

    def result(self) -> Tensor:
        """The total so far, as a 0-d tensor."""
        return Tensor(self.total.value.copy())


class Mean(Metric):
    """The (weighted) mean of the values seen so far.

    ``result = sum(w * v) / sum(w)`` over every sample since the last reset;
    values with more than one axis are first averaged per sample. Without
    weights the count grows by the batch size (by 1 for a scalar value); with a
    scalar weight ``w`` a batch counts as ``w`` samples, as in Keras.

    Args:
        name: the metric's name.
        dtype: the dtype of ``total`` and ``count`` (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.Mean()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0])
        >>> float(m.result())
        4.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="total"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="count"
        )
        # 1-element views of the two 0-d variables: item reads and writes on them are
        # several times cheaper than in-place arithmetic on 0-d arrays.
        self._total = self.total.value.reshape(1)
        self._count = self.count.value.reshape(1)

    def update_state(self, values, sample_weight=None):
        """Add a batch of ``values`` (optionally weighted) to ``total`` and ``count``."""
        self._accumulate(as_array(values), sample_weight)

    def _accumulate(self, values: np.ndarray, sample_weight) -> None:
        # total/count are 1-element float arrays: ``x[0] += v`` adds in their dtype
        # (float32 by default), as Keras's assign_add does.
        dtype = self._np_dtype
        total, count = self._total, self._count
        if sample_weight is None:
            if values.ndim > 1 and values.size == values.shape[0]:
                values = values.reshape(-1)  # (n, 1): one value per sample already
            if values.ndim == 1:
                # The common case, kept to a few NumPy calls.
                if values.dtype == np.bool_:
                    total[0] += int(np.count_nonzero(values))
                else:
                    if values.dtype != dtype:
                        values = values.astype(dtype)
                    total[0] += np.add.reduce(values)
                count[0] += values.shape[0]
                return
        if values.ndim == 0 and (
            sample_weight is None or isinstance(sample_weight, (int, float, np.generic))
        ):
            # One number per batch (a loss), optionally weighted by e.g. the batch size.
            value = values[()]  # a NumPy scalar: cheaper arithmetic than a 0-d array
            if values.dtype != dtype:
                value = dtype.type(value)
            if sample_weight is None:
                total[0] += value
                count[0] += 1
            else:
                weight = dtype.type(sample_weight)
                total[0] += value * weight
                count[0] += weight
            return
        values, weights = samplewise(values, sample_weight, True, dtype)
        total[0] += values.sum(dtype=dtype)
        if weights is not None:
            count[0] += weights.sum(dtype=dtype)
        else:
            count[0] += values.shape[0] if values.ndim else 1

    def _update_block(self, n_batches, values, sample_weight=None):
        """``update_state`` for ``n_batches`` batches at once (the engine's deferred updates).

        One value per batch (a loss, weighted by a number such as the batch
        size) is added batch after batch with ``_add_batches``: the rounding of
        one update per batch. Returns ``False`` for anything else: the engine
        then makes one update per batch.
        """
        values = as_array(values)
        dtype = self._np_dtype
        if values.shape == (n_batches,) and (
                sample_weight is None or isinstance(sample_weight, (int, float, np.generic))):
            if values.dtype != dtype:
                values = values.astype(dtype)
            if sample_weight is None:
                self._add_batches(values, np.ones(n_batches, dtype))
            else:
                weight = dtype.type(sample_weight)
                self._add_batches(values * weight, np.full(n_batches, weight, dtype))
            return True
        return False  # the engine then makes one update per batch

    def _add_batches(self, totals, counts) -> None:
        """Add per-batch ``totals`` and ``counts``, one batch after the other.

        The result has the rounding of one ``total += t; count += c`` per batch
        (a cumulative sum in the metric's dtype is that sequence of additions),
        so the fused epoch loop reports the numbers of the batch-by-batch loop.
        """
        dtype = self._np_dtype
        for state, parts in ((self._total, totals), (self._count, counts)):
            seq = np.concatenate((state, np.asarray(parts).astype(dtype, copy=False)))
            state[0] = np.cumsum(seq, dtype=dtype)[-1]

    def result(self) -> Tensor:
        """``total / count`` as a 0-d tensor (0 before any sample, like ``divide_no_nan``)."""
        count = self._count[0]
        if count == 0:
            return Tensor(np.zeros((), self._np_dtype))
        return Tensor(np.asarray(self._total[0] / count))


def _is_lamina(fn) -> bool:
    module = getattr(fn, "__module__", None) or type(fn).__module__
    return module.startswith("lamina.")


def _is_loss(fn) -> bool:
    if getattr(fn, "__module__", "").startswith("lamina.metrics"):
        return False  # lamina's own metric kernels
    try:
        from lamina import losses
    except ImportError:  # pragma: no cover - lamina.losses is part of lamina
        return False
    if isinstance(fn, losses.Loss):
        return True
    name = getattr(fn, "__name__", None)
    return name is not None and getattr(losses, name, None) is fn


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred)`` over every sample seen so far.

    ``fn`` returns one value per sample (for example any loss function, or
    your own function written with NumPy or ``lamina.ops``). The values are
    averaged as in ``Mean``, weighted by ``sample_weight``.

    Args:
        fn: a function ``fn(y_true, y_pred, **kwargs)``.
        name: the metric's name.
        dtype: the dtype of ``total`` and ``count`` (default ``floatx()``).
        **kwargs: extra keyword arguments passed to ``fn`` on every call.

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> def abs_error(y_true, y_pred):
        ...     return abs(y_true - y_pred)
        >>> m = lamina.metrics.MeanMetricWrapper(abs_error, name="abs_error")
        >>> m.update_state(np.array([1.0, 2.0]), np.array([1.5, 2.0]))
        >>> float(m.result())
        0.25
    """

    # The trainer weighs this metric by the model output's mask (as Keras does).
    uses_output_mask = True

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(
                f"The 'fn' argument of MeanMetricWrapper must be a function "
                f"fn(y_true, y_pred). Got {fn!r} of type {type(fn).__name__} instead."
            )
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if _is_loss(fn):
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Compute ``fn(y_true, y_pred)`` for the batch and add it to the mean."""
        if self._fn_kwargs:
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        else:
            values = self._fn(y_true, y_pred)
        if type(values) is not np.ndarray:
            if isinstance(values, Tensor) and sample_weight is not None:
                sample_weight = _apply_loss_mask(values, sample_weight, self._np_dtype)
            values = as_array(values)
        self._accumulate(values, sample_weight)

    def _update_block(self, n_batches, y_true, y_pred, sample_weight=None):
        """``update_state`` for ``n_batches`` equal batches stacked row after row.

        Without weights, lamina's own metric functions (one value per sample,
        each row on its own) run once on all the rows; the values are summed per
        batch and added batch after batch, as ``update_state`` would. Returns
        ``False`` for other functions and for weights: the engine then makes one
        update per batch.
        """
        y_true, y_pred = as_array(y_true), as_array(y_pred)
        rows = y_pred.shape[0]
        if sample_weight is None and rows % n_batches == 0 and _is_lamina(self._fn) and \
                y_true.shape[:1] == (rows,):
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
            values = as_array(values) if not isinstance(values, np.ndarray) else values
            if values.shape == (rows,) or values.shape == (rows, 1):
                values = values.reshape(n_batches, rows // n_batches)
                if values.dtype != np.bool_ and values.dtype != self._np_dtype:
                    values = values.astype(self._np_dtype)
                sums = np.add.reduce(values, 1)  # each batch as update_state sums it
                self._add_batches(sums, np.full(n_batches, rows // n_batches))
                return True
        return False

    def get_config(self) -> dict:
        """``name``, ``dtype``, the serialized ``fn`` and ``fn``'s keyword arguments."""
        from lamina.metrics import serialize_function

        return {**super().get_config(), "fn": serialize_function(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild the wrapper; ``fn`` may be a name or ``serialize``'s dict."""
        config = dict(config)
        if "fn" in config:
            from lamina.metrics import deserialize_function

            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)


def _apply_loss_mask(values: Tensor, sample_weight, dtype):
    # A per-sample loss can carry a mask of entries to leave out (e.g.
    # sparse_categorical_crossentropy with ignore_class). Keras applies it to
    # the weights only when there are weights, and so does lamina.
    try:
        from lamina.losses.loss import get_loss_mask
    except ImportError:  # pragma: no cover
        return sample_weight
    mask = get_loss_mask(values)
    if mask is None:
        return sample_weight
    mask = np.asarray(mask, dtype=dtype)
    weights = as_array(sample_weight).astype(dtype)
    mask, weights = same_rank(mask, weights)
    return weights * mask
