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

from lamina.autodiff.tensor import Tensor
from lamina.metrics.confusion_counts import (
    FN,
    FP,
    NEG_INF,
    TP,
    _add_count_variables,
    _count_variables,
    divide_no_nan,
    evenly_distributed,
    parse_thresholds,
    update_confusion_matrix,
)
from lamina.metrics.metric import Metric

__all__ = ["Precision", "PrecisionAtRecall", "Recall", "RecallAtPrecision",
           "SensitivityAtSpecificity", "SpecificityAtSensitivity"]


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
