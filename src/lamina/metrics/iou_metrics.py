"""Intersection-over-union metrics: ``IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``, ``OneHotMeanIoU``.

Each keeps one ``(num_classes, num_classes)`` confusion matrix, rows the true
class and columns the predicted one, adding every (weighted) label/prediction
pair of every batch. For a class ``c``:

    IoU_c = TP_c / (TP_c + FP_c + FN_c) = cm[c, c] / (row_c + column_c - cm[c, c])

and ``result()`` is the mean of ``IoU_c`` over the target classes that occur
(a class whose denominator is 0 is left out of the mean).

As in Keras, the matrix is integer (``int64``) unless a float ``dtype`` is
given, so fractional sample weights are truncated; labels and predictions are
flattened, pairs with a class outside ``[0, num_classes)`` (or equal to
``ignore_class``) count for nothing, and the result is float32.

Example:
    >>> import lamina
    >>> m = lamina.metrics.MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor
from lamina.metrics.metric import Metric, as_array

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


def _integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class _IoUBase(Metric):
    """The confusion matrix every IoU metric accumulates (see the module's docstring)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        owner = type(self).__name__
        if not _integer(num_classes) or num_classes < 1:
            raise ValueError(
                f"The 'num_classes' argument of {owner} must be a positive integer (the number "
                f"of classes labels can take). Got {num_classes!r} instead."
            )
        if ignore_class is not None and not _integer(ignore_class):
            raise ValueError(
                f"The 'ignore_class' argument of {owner} must be None or an integer class id. "
                f"Got {ignore_class!r} instead."
            )
        super().__init__(name=name, dtype=dtype or "int")
        self._direction = "up"
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(self.num_classes, self.num_classes), dtype=self.dtype,
            name="total_confusion_matrix",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's (weighted) label/prediction pairs to the confusion matrix."""
        self._add_pairs(y_true, y_pred, sample_weight)

    def _add_pairs(self, y_true, y_pred, sample_weight):
        dtype = self._np_dtype
        y_true, y_pred = as_array(y_true), as_array(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        y_true = y_true.astype(dtype, copy=False).reshape(-1)
        y_pred = y_pred.astype(dtype, copy=False).reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs one prediction per label. Got "
                f"{y_true.size} labels and {y_pred.size} predictions. With one-hot or score "
                "inputs, use OneHotIoU / OneHotMeanIoU or sparse_y_true/sparse_y_pred=False."
            )
        if sample_weight is None:
            weight = np.ones_like(y_true)
        else:
            weight = as_array(sample_weight)
            if weight.dtype.kind == "f" and dtype.kind in "iu":
                warnings.warn(
                    f"{type(self).__name__} '{self.name}' counts in {self.dtype}: its float "
                    "sample weights are truncated to integers. Pass integer weights, or "
                    "dtype='float32' to keep fractions.",
                    stacklevel=3,
                )
            weight = np.broadcast_to(weight.astype(dtype, copy=False).reshape(-1)
                                     if weight.ndim > 1 else weight.astype(dtype, copy=False),
                                     y_true.shape)
        n = self.num_classes
        keep = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        rows = y_true[keep].astype(np.int64)
        cols = y_pred[keep].astype(np.int64)
        counts = np.bincount(rows * n + cols, weights=weight[keep], minlength=n * n)
        self.total_cm.value[...] += counts.reshape(n, n).astype(dtype)

    def reset_state(self):
        """Zero the confusion matrix."""
        super().reset_state()


class IoU(_IoUBase):
    """Mean intersection-over-union of the classes in ``target_class_ids``.

    ``IoU_c = TP_c / (TP_c + FP_c + FN_c)`` from the accumulated confusion
    matrix, averaged over the target classes that occur. Labels and predictions
    are class ids (any shape, flattened) unless ``sparse_y_true`` /
    ``sparse_y_pred`` is False, when the arg-max along ``axis`` is taken.

    Args:
        num_classes: the number of classes.
        target_class_ids: the class ids whose IoU is averaged.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default ``"int"``, i.e. int64,
            as Keras: fractional sample weights are truncated).
        ignore_class: a label id whose pairs count for nothing (e.g. 255, "void").
        sparse_y_true: whether labels are class ids (else scores: arg-max).
        sparse_y_pred: whether predictions are class ids (else scores: arg-max).
        axis: the class axis of score inputs (default -1).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[3, 2, 1, 4])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)
        ids = list(target_class_ids) if not _integer(target_class_ids) else [target_class_ids]
        if not ids or not all(_integer(i) and 0 <= i < self.num_classes for i in ids):
            raise ValueError(
                f"The 'target_class_ids' argument of {type(self).__name__} must be a non-empty "
                f"list of class ids in [0, {self.num_classes}) (num_classes={self.num_classes})."
                f" Got {target_class_ids!r} instead."
            )
        self.target_class_ids = [int(i) for i in ids]

    def result(self) -> Tensor:
        """The mean IoU over the target classes that occur (float32)."""
        cm = self.total_cm.value
        tp = np.diagonal(cm).astype(np.float32)
        denominator = (cm.sum(axis=0).astype(np.float32) + cm.sum(axis=1).astype(np.float32)
                       - tp)
        tp, denominator = tp[self.target_class_ids], denominator[self.target_class_ids]
        valid = denominator > 1e-9
        eps = np.float32(config.epsilon())
        iou = np.where(valid, tp / (denominator + eps), np.float32(0.0))
        value = np.sum(iou, dtype=np.float32) / (np.sum(valid, dtype=np.float32) + eps)
        return Tensor(np.asarray(value, dtype=np.float32))

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of a binary task: a prediction is class 1 when ``y_pred >= threshold``.

    Args:
        target_class_ids: which of the classes 0 and 1 to average (default both).
        threshold: the score from which a prediction is class 1 (default 0.5).
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default ``"int"``, i.e. int64).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
        >>> m.update_state([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.9])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise ValueError(
                "The 'threshold' argument of BinaryIoU must be a number such as 0.5. Got "
                f"{threshold!r} instead."
            )
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Threshold the scores, then add the pairs to the confusion matrix."""
        scores = as_array(y_pred).astype(np.float32, copy=False)
        predicted = (scores >= self.threshold).astype(self._np_dtype)
        labels = as_array(y_true).astype(self._np_dtype, copy=False)
        self._add_pairs(labels, predicted, sample_weight)

    def get_config(self) -> dict:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (those that occur).

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default ``"int"``, i.e. int64).
        ignore_class: a label id whose pairs count for nothing.
        sparse_y_true: whether labels are class ids (else scores: arg-max).
        sparse_y_pred: whether predictions are class ids (else scores: arg-max).
        axis: the class axis of score inputs (default -1).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.MeanIoU(num_classes=3, sparse_y_pred=False)
        >>> m.update_state([0, 2], [[0.9, 0.1, 0.0], [0.2, 0.3, 0.5]])
        >>> round(float(m.result()), 4)
        1.0
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        classes = list(range(num_classes)) if _integer(num_classes) and num_classes > 0 else [0]
        super().__init__(num_classes=num_classes, target_class_ids=classes, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels (and, by default, score predictions): arg-max first.

    Args:
        num_classes: the number of classes.
        target_class_ids: the class ids whose IoU is averaged.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default ``"int"``, i.e. int64).
        ignore_class: a class id whose pairs count for nothing.
        sparse_y_pred: whether predictions are class ids (default False: scores).
        axis: the class axis (default -1).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state([[1, 0, 0], [0, 0, 1]], [[0.8, 0.1, 0.1], [0.3, 0.6, 0.1]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels (and, by default, score predictions): arg-max first.

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default ``"int"``, i.e. int64).
        ignore_class: a class id whose pairs count for nothing.
        sparse_y_pred: whether predictions are class ids (default False: scores).
        axis: the class axis (default -1).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.OneHotMeanIoU(num_classes=2)
        >>> m.update_state([[1, 0], [0, 1], [0, 1]], [[0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
