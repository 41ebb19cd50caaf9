"""The ``Loss`` base class and the weighting and reduction rules every loss shares.

A loss object turns ``(y_true, y_pred)`` into one loss per sample with
``call`` and then, in ``__call__``, multiplies by ``sample_weight`` (and by a
mask, such as the one ``SparseCategoricalCrossentropy(ignore_class=...)``
leaves on its output) and reduces to one number, exactly as Keras 3 does:

* ``"sum_over_batch_size"`` (default) and ``"mean"``: ``sum(w * loss) / size``,
  where ``size`` counts every per-sample loss, weighted or not. Masked entries
  are left out of both the sum and the count.
* ``"mean_with_sample_weight"``: ``sum(w * loss) / sum(w)``.
* ``"sum"``: ``sum(w * loss)``.
* ``"none"`` or ``None``: the weighted per-sample losses, unreduced.

Example:
    >>> import lamina
    >>> class AbsError(lamina.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return lamina.ops.mean(lamina.ops.abs(y_true - y_pred), axis=-1)
    >>> float(AbsError()([[0.0], [1.0]], [[1.0], [1.0]]))
    0.5
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from lamina import config, ops
from lamina.autodiff.tensor import Tensor
from lamina.utils import naming

__all__ = [
    "Loss",
    "reduce_values",
    "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
# Keras 2 / tf.keras spelled the default "auto"; its meaning is unambiguous.
_LEGACY_REDUCTIONS = {"auto": "sum_over_batch_size"}


def standardize_reduction(reduction):
    """Check a ``reduction`` argument and return its canonical form.

    Example:
        >>> from lamina.losses.loss import standardize_reduction
        >>> standardize_reduction("sum")
        'sum'
    """
    if isinstance(reduction, str) and reduction in _LEGACY_REDUCTIONS:
        return _LEGACY_REDUCTIONS[reduction]
    if reduction not in REDUCTIONS:
        raise ValueError(
            "The 'reduction' argument of a loss must be one of "
            "'sum_over_batch_size', 'sum', 'mean', 'mean_with_sample_weight', "
            f"'none' or None. Got {reduction!r} instead."
        )
    return reduction


# ---------------------------------------------------------------------------
# Masks carried by per-sample losses. ``Tensor`` has fixed slots, so a mask is
# kept beside the tensor it belongs to and dropped when that tensor dies.

_MASKS: dict = {}


def set_loss_mask(values: Tensor, mask) -> None:
    """Attach a boolean ``mask`` to per-sample ``values`` (entries to count)."""
    if isinstance(values, Tensor):
        values._keras_mask = ops.cast(mask, "bool")
        return
    key = id(values)
    _MASKS[key] = np.asarray(ops.convert_to_numpy(mask), dtype=bool)
    weakref.finalize(values, _MASKS.pop, key, None)


def get_loss_mask(values):
    """The mask attached to ``values`` (by a layer or by ``set_loss_mask``), or None."""
    mask = getattr(values, "_keras_mask", None)
    if mask is None:
        mask = _MASKS.get(id(values))
    return mask


# ---------------------------------------------------------------------------
# Shape alignment and reduction.


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make two tensors whose ranks differ by one and whose extra axis is 1 the same rank.

    A rank-1 partner is expanded to ``(n, 1)`` (when ``expand_rank_1``); any
    other partner makes the ``(..., 1)`` tensor lose its last axis. Other
    shape differences are left alone.

    Example:
        >>> from lamina import ops
        >>> from lamina.losses.loss import squeeze_or_expand_to_same_rank
        >>> a, b = squeeze_or_expand_to_same_rank(ops.ones((4,)), ops.ones((4, 1)))
        >>> a.shape, b.shape
        ((4, 1), (4, 1))
    """
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, axis=-1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, axis=-1)
    return x1, x2


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce already-weighted per-sample losses.

    Scalars and empty ``(0,)`` tensors come back unchanged, as in Keras.

    Example:
        >>> from lamina import ops
        >>> from lamina.losses.loss import reduce_values
        >>> float(reduce_values(ops.convert_to_tensor([1.0, 2.0, 3.0]), reduction="sum"))
        6.0
    """
    if reduction is None or reduction == "none" or values.shape in ((), (0,)):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return ops.divide_no_nan(total, ops.cast(ops.sum(sample_weight), total.dtype))
    count = math.prod(values.shape)
    return total / count if count else total  # an empty batch sums to 0


def _merge_mask(sample_weight, mask, dtype, reduction):
    # For the averaging reductions a valid entry weighs size/valid, so that
    # dividing by the full size later averages over the valid entries only.
    if mask is None:
        return sample_weight
    # With lamina.ops throughout, so that a traced step computes the mask's weights anew.
    mask = ops.cast(mask, "bool")
    if reduction in ("mean", "sum_over_batch_size"):
        size = math.prod(mask.shape)
        valid = ops.sum(ops.cast(mask, dtype))
        scale = ops.divide_no_nan(ops.cast(size, dtype), valid)
        float_mask = ops.where(mask, scale, ops.zeros((), dtype=dtype))
    else:
        float_mask = ops.cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_weighted_values(
    values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None
):
    """Weight per-sample losses by ``sample_weight`` and ``mask``, then reduce them.

    Args:
        values: per-sample losses.
        sample_weight: optional weights, broadcastable to ``values`` after a
            trailing axis of length 1 is added or removed.
        mask: optional boolean tensor; ``False`` entries are left out.
        reduction: see ``Loss``.
        dtype: the dtype to compute in (``values``' own when ``None``).

    Example:
        >>> from lamina.losses.loss import reduce_weighted_values
        >>> float(reduce_weighted_values([1.0, 3.0], sample_weight=[1.0, 0.0]))
        0.5
    """
    reduction = standardize_reduction(reduction)
    values = ops.convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=values.dtype)
    sample_weight = _merge_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        try:
            np.broadcast_shapes(values.shape, sample_weight.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {tuple(sample_weight.shape)} does not fit the "
                f"per-sample losses of shape {tuple(values.shape)}. Pass one weight per "
                "sample (a 1-D array as long as the batch) or a single number."
            ) from None
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def _dtype_name(dtype) -> str:
    dtype = getattr(dtype, "compute_dtype", dtype)  # a dtype policy
    return np.dtype(dtype or config.floatx()).name


def _to_tensor(x, dtype):
    if isinstance(x, dict):
        return {k: _to_tensor(v, dtype) for k, v in x.items()}
    return ops.convert_to_tensor(x, dtype=dtype)


class Loss:
    """Base class of all losses: subclasses implement ``call(y_true, y_pred)``.

    ``call`` returns one loss per sample (built from ``lamina.ops`` so it gets
    gradients); ``__call__`` converts the inputs, applies ``sample_weight``
    and reduces.

    Args:
        name: name of the loss; the snake-case class name by default.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
            ``"sum_over_batch_size"`` and ``"mean"`` divide the weighted sum
            by the number of per-sample losses, ``"mean_with_sample_weight"``
            by the sum of the weights.
        dtype: the dtype both ``y_true`` and ``y_pred`` are cast to before
            ``call``; ``lamina.config.floatx()`` by default.

    Example:
        >>> import lamina
        >>> class SquaredError(lamina.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return lamina.ops.sum(lamina.ops.square(y_true - y_pred), axis=-1)
        >>> loss = SquaredError(reduction="sum")
        >>> float(loss([[0.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 3.0]]))
        5.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype = _dtype_name(dtype)

    @property
    def dtype(self) -> str:
        """The dtype the loss computes in (e.g. ``"float32"``)."""
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Return the weighted, reduced loss of ``y_pred`` against ``y_true``.

        Args:
            y_true: targets (array-like, pandas object or tensor).
            y_pred: predictions.
            sample_weight: optional per-sample weights or one number.
        """
        in_mask = get_loss_mask(y_pred)
        y_pred = _to_tensor(y_pred, self.dtype)
        y_true = _to_tensor(y_true, self.dtype)
        losses = self.call(y_true, y_pred)
        out_mask = get_loss_mask(losses)
        if in_mask is not None and out_mask is not None:
            mask = np.logical_and(in_mask, out_mask)
        else:
            mask = out_mask if in_mask is None else in_mask
        return reduce_weighted_values(
            losses,
            sample_weight=sample_weight,
            mask=mask,
            reduction=self.reduction,
            dtype=self.dtype,
        )

    def call(self, y_true, y_pred):
        """Return the per-sample losses; subclasses must implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred) and return one "
            "loss per sample."
        )

    def get_config(self) -> dict:
        """The arguments needed to rebuild this loss with ``from_config``."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        """Build a loss from the dict ``get_config`` returned."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"
