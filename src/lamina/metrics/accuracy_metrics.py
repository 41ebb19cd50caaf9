"""Accuracy metrics: how often predictions match the labels.

Each metric is the mean of a per-sample match (1 or 0), weighted by
``sample_weight``. The functions (``binary_accuracy`` etc.) return the
matches as a float tensor; the classes average them across batches.

Which accuracy fits which model:

* ``BinaryAccuracy``: one sigmoid output per label, labels 0/1;
  a prediction counts as 1 when ``y_pred > threshold``.
* ``CategoricalAccuracy``: softmax over classes, one-hot labels;
  matches when ``argmax(y_true) == argmax(y_pred)``.
* ``SparseCategoricalAccuracy``: softmax over classes, integer labels
  (shape ``(n,)`` or ``(n, 1)``, ints or floats); ``y_true == argmax(y_pred)``.
* ``TopKCategoricalAccuracy`` / ``SparseTopKCategoricalAccuracy``: the label
  is among the ``k`` highest scores (ties at the boundary count as inside).
* ``Accuracy``: exact equality ``y_true == y_pred``.

Example:
    >>> import lamina
    >>> m = lamina.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    >>> float(m.result())
    0.5
"""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor
from lamina.metrics.metric import as_array, same_rank
from lamina.metrics.reduction_metrics import MeanMetricWrapper

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
]


# ---------------------------------------------------------------------------
# NumPy kernels: boolean matches, one per sample. The metric classes average
# them directly; the public functions return them as float tensors.


def _accuracy_matches(y_true, y_pred) -> np.ndarray:
    y_pred = as_array(y_pred)
    y_true = as_array(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = y_true.astype(y_pred.dtype)
    y_true, y_pred = same_rank(y_true, y_pred)
    return np.equal(y_true, y_pred)


def _binary_matches(y_true, y_pred, threshold=0.5) -> np.ndarray:
    y_pred = as_array(y_pred)
    y_true = as_array(y_true)
    y_true, y_pred = same_rank(y_true, y_pred)
    predicted = np.greater(y_pred, threshold)
    if y_true.dtype != np.bool_:
        predicted = predicted.astype(y_true.dtype)  # a same-dtype comparison is faster
    return np.equal(y_true, predicted)


def _float32_threshold(threshold) -> float:
    # Keras compares against a float32 tensor: round the threshold to float32 once,
    # keeping it a Python float so that NumPy compares in y_pred's own dtype.
    return float(np.float32(threshold))


def _categorical_matches(y_true, y_pred) -> np.ndarray:
    y_true = as_array(y_true)
    y_pred = as_array(y_pred)
    true_ids = y_true.argmax(axis=-1)
    reshape_to = None
    if true_ids.ndim == y_pred.ndim:
        reshape_to = true_ids.shape
        true_ids = true_ids.reshape(true_ids.shape[:-1])
    matches = np.equal(true_ids, y_pred.argmax(axis=-1))
    return matches.reshape(reshape_to) if reshape_to is not None else matches


def _sparse_categorical_matches(y_true, y_pred) -> np.ndarray:
    y_true = as_array(y_true)
    y_pred = as_array(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    predicted = y_pred.argmax(axis=-1)
    if predicted.dtype != y_true.dtype:
        predicted = predicted.astype(y_true.dtype)  # float labels: 2.0 matches class 2
    matches = np.equal(y_true, predicted)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches.reshape(matches.shape[:-1])
    return matches


def in_top_k(targets: np.ndarray, predictions: np.ndarray, k: int) -> np.ndarray:
    """Whether each target class is among the ``k`` highest predictions of its row.

    Ties at the boundary count as inside (TensorFlow's ``in_top_k``): the target
    is in the top ``k`` when fewer than ``k`` classes score strictly higher. A
    target outside ``[0, classes)`` or with a non-finite score is never in.

    Example:
        >>> import numpy as np
        >>> in_top_k(np.array([0, 1]), np.array([[0.5, 0.5, 0.0], [0.9, 0.1, 0.0]]), 1)
        array([ True, False])
    """
    targets = np.asarray(targets).astype(np.int64, copy=False)
    num_classes = predictions.shape[-1]
    valid = (targets >= 0) & (targets < num_classes)
    safe = np.where(valid, targets, 0)
    target_scores = predictions[np.arange(len(safe)), safe]
    higher = np.add.reduce(predictions > target_scores[:, None], axis=-1, dtype=np.intp)
    return (higher < k) & valid & np.isfinite(target_scores)


def _top_k_matches(y_true, y_pred, k=5) -> np.ndarray:
    y_true = as_array(y_true)
    y_pred = as_array(y_pred)
    true_ids = y_true.argmax(axis=-1)
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    matches = in_top_k(true_ids.reshape(-1), y_pred, k)
    return matches.reshape(true_ids.shape)


def _sparse_top_k_matches(y_true, y_pred, k=5, from_sorted_ids=False) -> np.ndarray:
    y_true = as_array(y_true)
    y_pred = as_array(y_pred)
    shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    y_true = y_true.reshape(-1)
    if from_sorted_ids:
        # y_pred holds class ids, best first: look for the label among the first k.
        matches = np.any(y_true.astype(y_pred.dtype)[:, None] == y_pred[:, :k], axis=1)
    else:
        # Labels are cast to int32 first, as Keras does (1.9 becomes 1).
        matches = in_top_k(y_true.astype(np.int32), y_pred, k)
    return matches.reshape(shape)


def _as_float_tensor(matches: np.ndarray) -> Tensor:
    return Tensor(matches.astype(config.floatx()))


# ---------------------------------------------------------------------------
# Public functions


def accuracy(y_true, y_pred):
    """Per-element exact equality: ``1.0`` where ``y_true == y_pred``, else ``0.0``.

    Example:
        >>> import lamina
        >>> lamina.metrics.accuracy([1, 2, 3], [1, 0, 3]).numpy()
        array([1., 0., 1.], dtype=float32)
    """
    return _as_float_tensor(_accuracy_matches(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per-element match of 0/1 labels with predictions thresholded at ``threshold``.

    ``match = (y_true == (y_pred > threshold))``. Shapes ``(n,)`` and ``(n, 1)``
    are aligned first.

    Example:
        >>> import lamina
        >>> lamina.metrics.binary_accuracy([[1], [0]], [[0.7], [0.6]]).numpy()
        array([[1.],
               [0.]], dtype=float32)
    """
    return _as_float_tensor(_binary_matches(y_true, y_pred, _float32_threshold(threshold)))


def categorical_accuracy(y_true, y_pred):
    """Per-sample match of one-hot labels: ``argmax(y_true) == argmax(y_pred)``.

    Example:
        >>> import lamina
        >>> lamina.metrics.categorical_accuracy([[0, 0, 1], [0, 1, 0]],
        ...                                     [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]).numpy()
        array([0., 1.], dtype=float32)
    """
    return _as_float_tensor(_categorical_matches(y_true, y_pred))


def sparse_categorical_accuracy(y_true, y_pred):
    """Per-sample match of integer labels: ``y_true == argmax(y_pred)``.

    ``y_true`` may have shape ``(n,)`` or ``(n, 1)`` and hold ints or floats.

    Example:
        >>> import lamina
        >>> lamina.metrics.sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3],
        ...                                                   [0.05, 0.95, 0.0]]).numpy()
        array([0., 1.], dtype=float32)
    """
    return _as_float_tensor(_sparse_categorical_matches(y_true, y_pred))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample: is ``argmax(y_true)`` among the ``k`` highest scores of ``y_pred``?

    Example:
        >>> import lamina
        >>> lamina.metrics.top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
        ...                                           [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]],
        ...                                           k=1).numpy()
        array([0., 1.], dtype=float32)
    """
    return _as_float_tensor(_top_k_matches(y_true, y_pred, k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Per-sample: is the integer label among the ``k`` highest scores of ``y_pred``?

    With ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted from best
    to worst instead of scores, and the label is looked for among the first ``k``.

    Example:
        >>> import lamina
        >>> lamina.metrics.sparse_top_k_categorical_accuracy(
        ...     [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]], k=1).numpy()
        array([0., 1.], dtype=float32)
    """
    return _as_float_tensor(_sparse_top_k_matches(y_true, y_pred, k, from_sorted_ids))


# ---------------------------------------------------------------------------
# Metric classes


class Accuracy(MeanMetricWrapper):
    """How often predictions exactly equal labels.

    ``result = sum(w * (y_true == y_pred)) / sum(w)``

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.Accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> float(m.result())
        0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(_accuracy_matches, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions match 0/1 labels.

    ``result = mean(y_true == (y_pred > threshold))``, weighted by ``sample_weight``.
    Labels of shape ``(n,)`` and predictions of shape ``(n, 1)`` (or the
    reverse) are aligned first.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).
        threshold: predictions above it count as 1 (default 0.5).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.BinaryAccuracy()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        >>> float(m.result())
        0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(
            _binary_matches, name=name, dtype=dtype, threshold=_float32_threshold(threshold)
        )
        self.threshold = threshold
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches the one-hot label ``argmax(y_true)``.

    Logits work as well as probabilities (the argmax is the same). For integer
    labels use ``SparseCategoricalAccuracy``.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.CategoricalAccuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        ...                sample_weight=[0.7, 0.3])
        >>> round(float(m.result()), 6)
        0.3
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_categorical_matches, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` equals the integer label.

    ``y_true`` may have shape ``(n,)`` or ``(n, 1)`` and may hold floats
    (``2.0`` matches class 2).

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.SparseCategoricalAccuracy()
        >>> m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(_sparse_categorical_matches, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the ``k`` highest predictions.

    Args:
        k: how many of the top predictions to look at (default 5).
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(_top_k_matches, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: how many of the top predictions to look at (default 5).
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).
        from_sorted_ids: if True, ``y_pred`` holds class ids sorted from best
            to worst (at least ``k`` per sample) instead of scores.

    Example:
        >>> import lamina
        >>> m = lamina.metrics.SparseTopKCategoricalAccuracy(k=1)
        >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(
        self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False
    ):
        super().__init__(
            _sparse_top_k_matches, name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
