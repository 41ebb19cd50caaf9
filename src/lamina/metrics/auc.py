"""``AUC``: the area under the ROC or precision-recall curve, from confusion counts at
thresholds (Keras's interpolation and summation methods)."""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor
from lamina.metrics.confusion_counts import (
    _add_count_variables,
    _count_variables,
    divide_no_nan,
    evenly_distributed,
    parse_thresholds,
    update_confusion_matrix,
)
from lamina.metrics.metric import Metric, as_array

__all__ = ["AUC"]


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
