"""Metrics built on confusion-matrix counts: Precision, Recall, AUC and friends.

At every threshold ``t`` a prediction counts as positive when ``y_pred > t``
and a label counts as positive when it is non-zero. The metrics accumulate
(weighted) counts of true/false positives/negatives per threshold:

    precision = TP / (TP + FP)      recall = TP / (TP + FN)      (0 when undefined)

``AUC`` evaluates ``num_thresholds`` evenly spaced thresholds in [0, 1] and
sums the area under the resulting ROC or precision-recall curve with Keras's
Riemann rules (trapezoids by default). Evenly spaced thresholds are counted
in one pass with buckets (``bincount`` then a reversed cumulative sum), as
Keras does, so the counts match Keras's exactly.

Example:
    >>> import lamina
    >>> m = lamina.metrics.Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
"""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor
from lamina.metrics.metric import Metric, as_array, same_rank

__all__ = [
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "Precision",
    "Recall",
    "AUC",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "PrecisionAtRecall",
    "RecallAtPrecision",
]

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


# ---------------------------------------------------------------------------
# Precision and recall


class _PrecisionRecallBase(Metric):
    _second = FP  # FP for precision, FN for recall

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_thresholds(thresholds, default, type(self).__name__)
        self._thresholds_distributed_evenly = evenly_distributed(self.thresholds)
        self._threshold_values = np.asarray(self.thresholds, dtype=self._np_dtype)
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(
            shape=shape, dtype=self.dtype, name="true_positives"
        )
        second_name = "false_positives" if self._second == FP else "false_negatives"
        setattr(
            self, second_name, self.add_variable(shape=shape, dtype=self.dtype, name=second_name)
        )
        self._second_variable = getattr(self, second_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's true positives and false positives (or negatives) per threshold."""
        update_confusion_matrix(
            {TP: self.true_positives, self._second: self._second_variable},
            y_true,
            y_pred,
            self._threshold_values,
            self._thresholds_distributed_evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self) -> Tensor:
        """``TP / (TP + FP)`` (precision) or ``TP / (TP + FN)`` (recall), 0 when undefined."""
        tp = self.true_positives.value
        value = divide_no_nan(tp, tp + self._second_variable.value)
        return Tensor(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecallBase):
    """Precision: the fraction of predicted positives that are positive, ``TP / (TP + FP)``.

    A prediction is positive when ``y_pred > threshold``; a label when it is non-zero.

    Args:
        thresholds: a float or list of floats in [0, 1]; default 0.5 (or, with
            ``top_k``, any kept score). A list gives one precision per threshold.
        top_k: count only the ``k`` highest scores of each sample as predicted.
        class_id: look only at this class (column of ``y_pred``).
        name: the metric's name.
        dtype: the dtype of the counts (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
        >>> float(m.result())
        1.0
    """

    _second = FP


class Recall(_PrecisionRecallBase):
    """Recall: the fraction of positives that are predicted positive, ``TP / (TP + FN)``.

    Args:
        thresholds: a float or list of floats in [0, 1]; default 0.5 (or, with
            ``top_k``, any kept score). A list gives one recall per threshold.
        top_k: count only the ``k`` highest scores of each sample as predicted.
        class_id: look only at this class (column of ``y_pred``).
        name: the metric's name.
        dtype: the dtype of the counts (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _second = FN


# ---------------------------------------------------------------------------
# Values at a constraint (sensitivity at specificity, ...)


class _SensitivitySpecificityBase(Metric):
    """The best value of one rate among the thresholds where another reaches ``value``.

    A subclass names the constructor argument that holds ``value`` in
    ``_argument`` (it is validated, stored and configured under that name)
    and picks the two rates in ``result``.
    """

    _argument = ""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(
                f"The '{self._argument}' argument of {type(self).__name__} must be in [0, 1]. "
                f"Got {value!r} instead."
            )
        setattr(self, self._argument, value)
        self.num_thresholds = num_thresholds
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(
                f"The 'num_thresholds' argument of {type(self).__name__} must be an integer "
                f"> 0. Got {num_thresholds!r} instead."
            )
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        _add_count_variables(self, (len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's confusion counts at every threshold."""
        update_confusion_matrix(
            _count_variables(self),
            y_true,
            y_pred,
            self.thresholds,
            self._thresholds_distributed_evenly,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def _rates(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {
            "sensitivity": divide_no_nan(tp, tp + fn),
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _max_under_constraint(self, constrained, dependent) -> Tensor:
        feasible = constrained >= self.value
        best = np.max(np.where(feasible, dependent, 0), initial=0)
        return Tensor(np.asarray(best, dtype=self._np_dtype))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._argument: getattr(self, self._argument),
        }


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity (recall) among thresholds whose specificity is at least ``specificity``.

    Args:
        specificity: the required specificity, in [0, 1].
        num_thresholds: how many evenly spaced thresholds to try (default 200).
        class_id: look only at this class.
        name: the metric's name.
        dtype: the dtype of the counts (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.SensitivityAtSpecificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
    """

    _argument = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(
            specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self) -> Tensor:
        """The sensitivity at the required specificity."""
        rates = self._rates()
        return self._max_under_constraint(rates["specificity"], rates["sensitivity"])


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity among thresholds whose sensitivity is at least ``sensitivity``.

    Args:
        sensitivity: the required sensitivity (recall), in [0, 1].
        num_thresholds: how many evenly spaced thresholds to try (default 200).
        class_id: look only at this class.
        name: the metric's name.
        dtype: the dtype of the counts (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.SpecificityAtSensitivity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _argument = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(
            sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self) -> Tensor:
        """The specificity at the required sensitivity."""
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["specificity"])


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision among thresholds whose recall is at least ``recall``.

    Args:
        recall: the required recall, in [0, 1].
        num_thresholds: how many evenly spaced thresholds to try (default 200).
        class_id: look only at this class.
        name: the metric's name.
        dtype: the dtype of the counts (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.PrecisionAtRecall(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
    """

    _argument = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(
            recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self) -> Tensor:
        """The precision at the required recall."""
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["precision"])


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall among thresholds whose precision is at least ``precision``.

    Args:
        precision: the required precision, in [0, 1].
        num_thresholds: how many evenly spaced thresholds to try (default 200).
        class_id: look only at this class.
        name: the metric's name.
        dtype: the dtype of the counts (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.RecallAtPrecision(0.8)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.5
    """

    _argument = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(
            precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self) -> Tensor:
        """The recall at the required precision."""
        rates = self._rates()
        return self._max_under_constraint(rates["precision"], rates["sensitivity"])


# ---------------------------------------------------------------------------
# AUC

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


def _enum_value(x) -> str:
    return str(getattr(x, "value", x))


class AUC(Metric):
    """Area under the ROC or precision-recall curve, estimated at fixed thresholds.

    The curve is evaluated at ``num_thresholds`` thresholds evenly spaced in
    [0, 1] (the end ones pushed just outside by ``epsilon``) and its area summed
    with Riemann terms ``(x_i - x_{i+1}) * h_i``:

    * ``summation_method="interpolation"`` (default): ``h_i`` is the mean of the
      two ends (trapezoids) for ROC; for PR, Davis & Goadrich's interpolation
      of true and false positives is integrated exactly.
    * ``"minoring"`` / ``"majoring"``: ``h_i`` is the lower / higher end.

    Args:
        num_thresholds: the number of thresholds (> 1, default 200).
        curve: ``"ROC"`` (false-positive rate vs recall), ``"PR"`` (recall vs
            precision) or ``"PRGAIN"``.
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        name: the metric's name.
        dtype: the dtype of the counts (default ``floatx()``).
        thresholds: explicit thresholds in [0, 1] instead of ``num_thresholds``.
        multi_label: if True, one AUC per label (last axis), then averaged;
            otherwise all labels are pooled into one curve.
        num_labels: the number of labels, with ``multi_label`` (else read from
            the first batch).
        label_weights: per-label weights: in the pooled counts, or in the average
            of per-label AUCs with ``multi_label``.
        from_logits: apply a sigmoid to ``y_pred`` first.

    Example:
        >>> import lamina
        >>> m = lamina.metrics.AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.75
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        self._direction = "up"
        curve_key = _enum_value(curve).lower()
        if curve_key not in _CURVES:
            raise ValueError(
                f"The 'curve' argument of AUC must be 'ROC', 'PR' or 'PRGAIN'. Got {curve!r} "
                "instead."
            )
        summation = _enum_value(summation_method).lower()
        if summation not in _SUMMATIONS:
            raise ValueError(
                "The 'summation_method' argument of AUC must be 'interpolation', 'majoring' "
                f"or 'minoring'. Got {summation_method!r} instead."
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(parse_thresholds(thresholds, 0.5, "AUC"))
            self.num_thresholds = len(inner) + 2
            self._thresholds_distributed_evenly = evenly_distributed([0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "The 'num_thresholds' argument of AUC must be an integer > 1. "
                    f"Got {num_thresholds!r} instead."
                )
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = config.epsilon()
        self._thresholds = np.array([0.0 - eps] + inner + [1.0 + eps])
        self.curve = _CURVES[curve_key]
        self.summation_method = summation
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None
            if label_weights is None
            else np.asarray(as_array(label_weights), dtype=self._np_dtype)
        )
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError(
                    "AUC: 'num_labels' is only used with multi_label=True. Drop num_labels "
                    "or pass multi_label=True."
                )
            self._build(None)

    @property
    def thresholds(self) -> list:
        """The thresholds evaluated, including the two just outside [0, 1]."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "AUC with multi_label=True needs y_pred of rank 2 (samples, labels). "
                    f"Got shape {tuple(shape)}."
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        _add_count_variables(self, variable_shape)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's confusion counts at every threshold."""
        y_pred = as_array(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            # sigmoid(x) = (1 + tanh(x / 2)) / 2: no overflow for large |x|.
            y_pred = 0.5 * (1.0 + np.tanh(0.5 * y_pred.astype(self._np_dtype)))
        update_confusion_matrix(
            _count_variables(self),
            y_true,
            y_pred,
            self._thresholds,
            self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _average_over_labels(self, per_threshold) -> np.ndarray:
        if not self.multi_label:
            return np.sum(per_threshold)
        by_label = np.sum(per_threshold, axis=0)
        if self.label_weights is None:
            return np.mean(by_label)
        return divide_no_nan(np.sum(by_label * self.label_weights), np.sum(self.label_weights))

    def interpolate_pr_auc(self) -> np.ndarray:
        """Area under the PR curve with true/false positives interpolated linearly.

        Between thresholds A and B, precision is ``TP / P`` with TP and ``P = TP + FP``
        linear in each other (slope ``dTP / dP``); integrating it over recall gives
        ``slope * (dTP + intercept * log(P_A / P_B)) / (TP_B + FN_B)`` per interval.
        """
        n = self.num_thresholds
        tp = self.true_positives.value
        fp = self.false_positives.value
        fn = self.false_negatives.value
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both_positive = (p[: n - 1] > 0) & (p[1:] > 0)
        ratio = np.where(
            both_positive, divide_no_nan(p[: n - 1], np.maximum(p[1:], 0)), np.ones_like(p[1:])
        )
        increments = divide_no_nan(
            slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)
        )
        return self._average_over_labels(increments)

    def result(self) -> Tensor:
        """The area under the curve, as a 0-d tensor."""
        if not self._built:
            return Tensor(np.zeros((), self._np_dtype))
        with np.errstate(divide="ignore", invalid="ignore"):
            value = self._area()
        return Tensor(np.asarray(value, dtype=self._np_dtype))

    def _area(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp = self.true_positives.value
        fp = self.false_positives.value
        tn = self.true_negatives.value
        fn = self.false_negatives.value
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:  # PRGAIN: recall and precision gains, scaled by positives / negatives
            scale = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * divide_no_nan(fp, tp)
            no_tp = tp == 0
            x = np.maximum(np.where(no_tp, 0.0, recall_gain), 0.0)
            y = np.where(no_tp, 1.0, precision_gain)
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[: n - 1], y[1:])
        else:
            heights = np.maximum(y[: n - 1], y[1:])
        return self._average_over_labels((x[: n - 1] - x[1:]) * heights)

    def reset_state(self):
        """Zero the counts (a multi-label AUC keeps its number of labels)."""
        super().reset_state()

    def get_config(self) -> dict:
        config_ = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": (None if self.label_weights is None else self.label_weights.tolist()),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config_["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return config_
