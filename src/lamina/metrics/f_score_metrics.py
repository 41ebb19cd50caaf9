"""F-scores: ``FBetaScore`` and ``F1Score``, the harmonic means of precision and recall.

Per class (a column of ``y_pred``), predictions are first made binary: with a
``threshold`` an entry counts as predicted when ``y_pred > threshold``; without
one, the largest entry of each row counts (every entry equal to the row's
maximum, unless that maximum is 0). The metric adds up the (weighted) true
positives, false positives, false negatives and the support (the weight of
true labels) of every batch; ``result()`` then computes, with
``eps = config.epsilon()``:

    precision = TP / (TP + FP + eps)        recall = TP / (TP + FN + eps)
    F_beta = (1 + beta**2) * precision * recall / (beta**2 * precision + recall + eps)

``average`` says how the classes are combined: ``None`` gives one score per
class, ``"macro"`` their plain mean, ``"weighted"`` their mean weighted by
support, and ``"micro"`` counts over all classes together before the formula.

Example:
    >>> import numpy as np
    >>> import lamina
    >>> m = lamina.metrics.F1Score(threshold=0.5)
    >>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
    ...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    >>> [round(float(v), 4) for v in np.asarray(m.result())]
    [0.5, 0.8, 0.6667]
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor
from lamina.metrics.metric import Metric, as_array, same_rank

__all__ = ["F1Score", "FBetaScore"]

_AVERAGES = (None, "micro", "macro", "weighted")
_COUNTS = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class FBetaScore(Metric):
    """The F-beta score of every sample seen so far (multi-class or multi-label).

    ``F_beta = (1 + beta**2) * precision * recall / (beta**2 * precision + recall)``
    (with ``epsilon`` in each denominator, as Keras): ``beta > 1`` weighs recall
    more, ``beta < 1`` precision. Labels and predictions are 2-D,
    ``(batch_size, num_classes)``; labels are one-hot (or multi-hot) 0/1 values.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (counts summed over
            classes first), ``"macro"`` (unweighted mean of the class scores) or
            ``"weighted"`` (mean weighted by each class's support).
        beta: the weight of recall, a number > 0 (default 1.0).
        threshold: ``None`` (the largest score of each row is the prediction) or
            a number in (0, 1]: scores above it are predictions.
        name: the metric's name.
        dtype: the dtype of the counts and the result (default ``floatx()``).

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> m = lamina.metrics.FBetaScore(beta=2.0, threshold=0.5, average="macro")
        >>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
        ...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
        >>> round(float(m.result()), 4)
        0.709
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        owner = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(
                f"The 'average' argument of {owner} must be one of None, 'micro', 'macro' or "
                f"'weighted'. Got {average!r} instead."
            )
        if not _real(beta):
            raise ValueError(
                f"The 'beta' argument of {owner} must be a number > 0 such as 1.0 or 2.0. Got "
                f"{beta!r} of type {type(beta).__name__} instead."
            )
        if not beta > 0:
            raise ValueError(
                f"The 'beta' argument of {owner} must be > 0 (1.0 gives the F1 score). Got "
                f"beta={beta!r} instead."
            )
        if threshold is not None:
            if not _real(threshold):
                raise ValueError(
                    f"The 'threshold' argument of {owner} must be None or a number in (0, 1]. "
                    f"Got {threshold!r} of type {type(threshold).__name__} instead."
                )
            if not 0.0 < threshold <= 1.0:
                raise ValueError(
                    f"The 'threshold' argument of {owner} must be None or a number in (0, 1]. "
                    f"Got threshold={threshold!r} instead."
                )
            threshold = float(threshold)
        self.average = average
        self.beta = float(beta)
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2-D labels and predictions of shape "
                f"(batch_size, num_classes). Got y_true.shape={tuple(y_true_shape)} and "
                f"y_pred.shape={tuple(y_pred_shape)}. Give one-hot labels (e.g. "
                "keras.utils.to_categorical(y)) and one output column per class."
            )
        shape = () if self.average == "micro" else (int(y_pred_shape[-1]),)
        for name in _COUNTS:
            setattr(self, name, self.add_variable(shape=shape, dtype=self.dtype, name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's weighted true/false positives, false negatives and support."""
        dtype = self._np_dtype
        y_true = as_array(y_true).astype(dtype, copy=False)
        y_pred = as_array(y_pred).astype(dtype, copy=False)
        if y_true.ndim == 1 and y_pred.ndim == 2 and y_pred.shape[-1] == 1:
            y_true, y_pred = same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        classes = () if self.average == "micro" else self.true_positives.shape
        if y_true.ndim != 2 or y_true.shape != y_pred.shape or \
                (classes and y_pred.shape[-1] != classes[0]):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects y_true and y_pred of one shape "
                f"(batch_size, num_classes), with the number of classes it first saw. Got "
                f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}."
            )
        if self.threshold is None:
            top = np.max(y_pred, axis=-1, keepdims=True)
            predicted = (y_pred >= top) & (np.abs(y_pred) > 1e-9)  # an all-zero row predicts none
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(dtype)
        missed = 1 - predicted
        if sample_weight is not None:
            weight = as_array(sample_weight).astype(dtype, copy=False)
            if weight.ndim < y_true.ndim:
                weight = weight.reshape(weight.shape + (1,) * (y_true.ndim - weight.ndim))
        else:
            weight = None

        def total(values):
            if weight is not None:
                values = values * weight
            return np.sum(values, axis=self.axis, dtype=dtype)

        self.true_positives.value[...] += total(predicted * y_true)
        self.false_positives.value[...] += total(predicted * (1 - y_true))
        self.false_negatives.value[...] += total(missed * y_true)
        self.intermediate_weights.value[...] += total(y_true)

    def result(self) -> Tensor:
        """The score per class (``average=None``) or averaged as ``average`` says."""
        dtype = self._np_dtype
        if not self._built:
            return Tensor(np.zeros((), dtype))
        eps = config.epsilon()
        tp = self.true_positives.value
        precision = tp / (tp + self.false_positives.value + eps)
        recall = tp / (tp + self.false_negatives.value + eps)
        b2 = self.beta**2
        score = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            support = self.intermediate_weights.value
            score = np.sum(score * (support / (np.sum(support) + eps)))
        elif self.average is not None:
            score = np.mean(score)
        return Tensor(np.asarray(score, dtype=dtype))

    def reset_state(self):
        """Zero the counts (the number of classes stays as first seen)."""
        super().reset_state()

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score, ``2 * precision * recall / (precision + recall)``: ``FBetaScore`` with beta 1.

    Args:
        average: ``None`` (one score per class), ``"micro"``, ``"macro"`` or
            ``"weighted"`` (see ``FBetaScore``).
        threshold: ``None`` (the largest score of each row is the prediction) or
            a number in (0, 1]: scores above it are predictions.
        name: the metric's name.
        dtype: the dtype of the counts and the result (default ``floatx()``).

    Example:
        >>> import numpy as np
        >>> import lamina
        >>> m = lamina.metrics.F1Score(average="micro")
        >>> m.update_state(np.eye(3)[[0, 1, 2, 2]],
        ...                np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8],
        ...                          [0.2, 0.5, 0.3]]))
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config_ = super().get_config()
        del config_["beta"]
        return config_
