"""Confusion-matrix counts: the shared bucketing of predictions by threshold
(``update_confusion_matrix``) and the ``TruePositives``/``FalsePositives``/``TrueNegatives``/
``FalseNegatives`` metrics. ``confusion_metrics.py`` and ``auc.py`` build on them."""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor
from lamina.metrics.metric import Metric, as_array, same_rank

__all__ = ["FalseNegatives", "FalsePositives", "TrueNegatives", "TruePositives",
           "update_confusion_matrix"]

NEG_INF = -1e10  # the threshold used with top_k: every kept prediction is above it

TP, FP, TN, FN = "tp", "fp", "tn", "fn"


# ---------------------------------------------------------------------------
# Helpers


def divide_no_nan(a, b):
    """``a / b`` where ``b != 0``, else 0 (``ops.divide_no_nan``)."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        a, b = np.broadcast_arrays(a, b)
    return np.divide(a, b, out=np.zeros(a.shape, np.result_type(a, b)), where=b != 0)


def _to_list(x) -> list:
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.tolist() if x.ndim else [x.item()]
    return [x]


def parse_thresholds(thresholds, default, owner: str) -> list:
    """The list of thresholds to evaluate; user thresholds must lie in [0, 1]."""
    if thresholds is None:
        return [default]
    values = _to_list(thresholds)
    bad = [t for t in values if t is None or not 0 <= t <= 1]
    if bad:
        raise ValueError(
            f"The 'thresholds' argument of {owner} must hold values in [0, 1]. Got {bad}. "
            "Pass thresholds between 0 and 1, e.g. thresholds=[0.3, 0.5, 0.7]."
        )
    return [float(t) for t in values]


def evenly_distributed(thresholds) -> bool:
    """True for 3 or more thresholds spaced like ``linspace(0, 1, n)`` (within epsilon)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x: np.ndarray, k: int) -> np.ndarray:
    # Keep the k largest entries of the last axis (ties: lower index first), set the rest
    # to NEG_INF so that they never pass a threshold.
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, x, np.asarray(NEG_INF, x.dtype))


def _reversed_cumsum(x: np.ndarray, dtype) -> np.ndarray:
    return np.add.accumulate(x[::-1], axis=0, dtype=dtype)[::-1]


def _bucket_counts(actual, y_pred, weights, num_thresholds, with_epsilon, multi_label):
    """TP, FP, FN, TN per threshold for evenly spaced thresholds, in one pass.

    A prediction ``p`` lands in bucket ``ceil(p * (T - 1)) - 1`` and counts as
    positive at every threshold up to its bucket: the counts are reversed
    cumulative sums of the bucket totals.
    """
    dtype = y_pred.dtype
    y_pred = np.clip(y_pred, 0.0, 1.0)
    buckets = np.ceil(y_pred * dtype.type(num_thresholds - 1))
    buckets = buckets.astype(np.int64) - 1
    if with_epsilon:
        np.maximum(buckets, 0, out=buckets)  # the first threshold is below 0: all count
    if multi_label:
        labels = y_pred.shape[-1]
        buckets = buckets * labels + np.arange(labels)
        size, shape = num_thresholds * labels, (num_thresholds, labels)
    else:
        size, shape = num_thresholds, (num_thresholds,)
    buckets, actual = buckets.reshape(-1), actual.reshape(-1)
    if weights is not None:
        weights = weights.reshape(-1)
    keep = None if with_epsilon else buckets >= 0  # p == 0 counts nowhere then
    if keep is not None and not keep.all():
        buckets, actual = buckets[keep], actual[keep]
        weights = None if weights is None else weights[keep]
    if weights is None:
        tp_buckets = np.bincount(buckets[actual], minlength=size)
        fp_buckets = np.bincount(buckets[~actual], minlength=size)
    else:
        positive_weights = np.where(actual, weights, 0)
        tp_buckets = np.bincount(buckets, weights=positive_weights, minlength=size)
        fp_buckets = np.bincount(buckets, weights=weights - positive_weights, minlength=size)
    tp = _reversed_cumsum(tp_buckets.reshape(shape).astype(dtype), dtype)
    fp = _reversed_cumsum(fp_buckets.reshape(shape).astype(dtype), dtype)
    # Totals come from the same buckets' sums (every kept prediction is in a bucket); the
    # ones dropped at p == 0 still count as negatives.
    return tp, fp


def update_confusion_matrix(
    variables: dict,
    y_true,
    y_pred,
    thresholds,
    evenly=False,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
) -> None:
    """Add a batch's TP/FP/TN/FN counts per threshold to ``variables`` (keys 'tp', 'fp', ...).

    Args:
        variables: ``{"tp": Variable, ...}``; each has one entry per threshold
            (and per label, shape ``(T, L)``, with ``multi_label``).
        y_true: labels; non-zero means positive.
        y_pred: scores; positive at threshold ``t`` when ``y_pred > t``.
        thresholds: the thresholds, sorted when ``evenly``.
        evenly: the thresholds are evenly spaced (use the one-pass bucket count).
        top_k: keep only the ``k`` highest scores of each sample.
        class_id: look only at this class (last axis).
        sample_weight: per-sample (or per-entry) weights.
        multi_label: count each label (last axis) separately.
        label_weights: per-label weights, used when not ``multi_label``.
    """
    dtype = next(iter(variables.values())).value.dtype
    y_true = as_array(y_true)
    y_pred = as_array(y_pred)
    if y_pred.dtype != dtype:
        y_pred = y_pred.astype(dtype)
    if y_true.dtype != dtype and y_true.dtype != np.bool_:
        y_true = y_true.astype(dtype)
    y_pred, y_true = same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = as_array(sample_weight).astype(dtype, copy=False)[..., None]
        _, sample_weight = same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "With class_id, y_pred must be 2-D of shape (num_samples, num_classes). "
                f"Got shape {y_pred.shape}."
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    weights = None
    if sample_weight is not None:
        weights = np.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        per_label = np.broadcast_to(np.asarray(label_weights, dtype), y_pred.shape)
        weights = per_label if weights is None else weights * per_label
    actual = y_true != 0
    if not multi_label:
        y_pred, actual = y_pred.reshape(-1), actual.reshape(-1)
        if weights is not None:
            weights = weights.reshape(-1)
    if actual.shape != y_pred.shape:
        actual = np.broadcast_to(actual, y_pred.shape)

    if evenly:
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        tp, fp = _bucket_counts(actual, y_pred, weights, len(thresholds), with_epsilon, multi_label)
        counts = {TP: tp, FP: fp}
        if TN in variables or FN in variables:
            axis = 0 if multi_label else None
            if weights is None:
                total_true = np.count_nonzero(actual, axis=axis)
                total_false = actual.shape[0] - total_true
            else:
                total_true = np.where(actual, weights, 0).sum(axis=axis, dtype=dtype)
                total_false = np.where(actual, 0, weights).sum(axis=axis, dtype=dtype)
            counts[FN] = (total_true - tp).astype(dtype)
            counts[TN] = (total_false - fp).astype(dtype)
    else:
        t = thresholds
        if not isinstance(t, np.ndarray) or t.dtype != dtype:
            t = np.asarray(thresholds, dtype=dtype)
        if len(t) == 1 and not multi_label:
            predicted = y_pred > t[0]  # (N,)
            axis = None
        else:
            predicted = y_pred > t.reshape((-1,) + (1,) * y_pred.ndim)  # (T, N) or (T, N, L)
            axis = 1

        def count(mask):
            if weights is None:
                return np.count_nonzero(mask, axis=axis)
            return np.where(mask, weights, 0).sum(axis=axis, dtype=dtype)

        counts = {}
        if TP in variables:
            counts[TP] = count(actual & predicted)
        if FN in variables:
            counts[FN] = count(actual & ~predicted)
        if FP in variables:
            counts[FP] = count(~actual & predicted)
        if TN in variables:
            counts[TN] = count(~actual & ~predicted)
    for key, variable in variables.items():
        value, count = variable.value, counts[key]
        if not isinstance(count, np.ndarray) or count.ndim == 0:
            value[0] += count  # one threshold: an item update is cheapest
        else:
            value += count


_COUNT_VARIABLES = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def _add_count_variables(metric, shape) -> None:
    """Give ``metric`` the four count variables (``true_positives``, ...) of ``shape``."""
    for name in _COUNT_VARIABLES:
        setattr(metric, name, metric.add_variable(shape, dtype=metric.dtype, name=name))


def _count_variables(metric) -> dict:
    """The four count variables of ``metric``, keyed for ``update_confusion_matrix``."""
    return {
        TP: metric.true_positives,
        TN: metric.true_negatives,
        FP: metric.false_positives,
        FN: metric.false_negatives,
    }


# ---------------------------------------------------------------------------
# Single counts


class _ConfusionMatrixConditionCount(Metric):
    """One confusion-matrix count (TP, FP, TN or FN) per threshold."""

    _condition = TP

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, 0.5, type(self).__name__)
        self._thresholds_distributed_evenly = evenly_distributed(self.thresholds)
        self._threshold_values = np.asarray(self.thresholds, dtype=self._np_dtype)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), dtype=self.dtype, name="accumulator"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's count at every threshold."""
        update_confusion_matrix(
            {self._condition: self.accumulator},
            y_true,
            y_pred,
            self._threshold_values,
            self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
        )

    def result(self) -> Tensor:
        """The count (one per threshold when there are several)."""
        value = self.accumulator.value
        return Tensor(value[0].copy() if len(self.thresholds) == 1 else value.copy())

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true positives: label non-zero and ``y_pred > threshold``.

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5); one
            count per threshold.
        name: the metric's name.
        dtype: the dtype of the count (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.TruePositives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> float(m.result())
        2.0
    """

    _condition = TP


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false positives: label 0 and ``y_pred > threshold``.

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5).
        name: the metric's name.
        dtype: the dtype of the count (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.FalsePositives()
        >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
        >>> float(m.result())
        2.0
    """

    _condition = FP


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true negatives: label 0 and ``y_pred <= threshold``.

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5).
        name: the metric's name.
        dtype: the dtype of the count (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.TrueNegatives()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _condition = TN


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false negatives: label non-zero and ``y_pred <= threshold``.

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5).
        name: the metric's name.
        dtype: the dtype of the count (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.FalseNegatives()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _condition = FN
