"""Which metric ``compile(metrics=[...])`` means: ``"accuracy"`` and ``"crossentropy"`` are
resolved from the shapes of the labels and the outputs, as Keras 3 does; anything else is looked
up by ``lamina.metrics.get``."""

from __future__ import annotations

from lamina.metrics.accuracy_metrics import (
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
)
from lamina.metrics.metric import Metric
from lamina.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
from lamina.metrics.reduction_metrics import MeanMetricWrapper
from lamina.utils import naming

__all__ = ["get_metric", "resolve_accuracy"]

_ACCURACY_NAMES = ("accuracy", "acc")
_CROSSENTROPY_NAMES = ("crossentropy", "ce")


def _shape(x) -> tuple:
    shape = getattr(x, "shape", None)
    if shape is None:
        import numpy as np

        shape = np.shape(x)
    return tuple(shape)


def _binary_or_sparse(y_true_shape, y_pred_shape):
    if y_true_shape is None or y_pred_shape is None:
        raise ValueError(
            "To resolve 'accuracy' (or 'crossentropy') lamina needs the shapes of a batch of "
            f"labels and of model outputs. Got y_true shape {y_true_shape} and y_pred shape "
            f"{y_pred_shape}. Resolve it once the first batch has gone through the model, or "
            "name the metric explicitly, e.g. 'sparse_categorical_accuracy'."
        )
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    true_last = y_true_shape[-1] if y_true_shape else None
    pred_last = y_pred_shape[-1] if y_pred_shape else None
    is_binary = pred_last == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (
        true_last == 1 and pred_last is not None and pred_last > 1
    )
    return is_binary, is_sparse


def resolve_accuracy(y_true_shape, y_pred_shape):
    """The accuracy class that ``"accuracy"`` means for labels and outputs of these shapes.

    Keras 3 decides from the shapes, not from the loss:

    * ``BinaryAccuracy`` when the output has one unit (``y_pred.shape[-1] == 1``);
    * ``SparseCategoricalAccuracy`` when the labels have fewer axes than the
      outputs, or one column against several output units (integer labels);
    * ``CategoricalAccuracy`` otherwise (one-hot labels; also multi-label
      sigmoid outputs, as in Keras 3).

    Args:
        y_true_shape: the shape of a batch of labels, e.g. ``(32,)`` or ``(32, 1)``.
        y_pred_shape: the shape of a batch of outputs, e.g. ``(32, 10)``.

    Example:
        >>> resolve_accuracy((32,), (32, 10)).__name__
        'SparseCategoricalAccuracy'
        >>> resolve_accuracy((32,), (32, 1)).__name__
        'BinaryAccuracy'
    """
    is_binary, is_sparse = _binary_or_sparse(y_true_shape, y_pred_shape)
    if is_binary:
        return BinaryAccuracy
    if is_sparse:
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def _resolve_crossentropy(y_true_shape, y_pred_shape):
    is_binary, is_sparse = _binary_or_sparse(y_true_shape, y_pred_shape)
    if is_binary:
        return BinaryCrossentropy
    if is_sparse:
        return SparseCategoricalCrossentropy
    return CategoricalCrossentropy


def _object_name(obj) -> str:
    if hasattr(obj, "name"):
        return obj.name
    if hasattr(obj, "__name__"):
        return naming.to_snake_case(obj.__name__)
    return naming.to_snake_case(type(obj).__name__)


def get_metric(
    identifier, y_true=None, y_pred=None, *, y_true_shape=None, y_pred_shape=None
) -> Metric:
    """The ``Metric`` that ``compile(metrics=[identifier])`` uses for these labels and outputs.

    ``"accuracy"`` and ``"acc"`` become the accuracy that fits the shapes (see
    ``resolve_accuracy``); ``"crossentropy"`` and ``"ce"`` likewise pick binary,
    sparse or categorical cross-entropy (a tf.keras 2 spelling Keras 3 dropped).
    Anything else goes through ``get``; a plain function is wrapped in
    ``MeanMetricWrapper``. The metric is named as given: a string keeps its
    spelling (``"acc"`` logs as ``acc``), a function its snake_case name.

    Args:
        identifier: what the user put in ``metrics=[...]``.
        y_true: a batch of labels (or anything with ``.shape``).
        y_pred: a batch of model outputs (or anything with ``.shape``).
        y_true_shape: the labels' shape, instead of ``y_true``.
        y_pred_shape: the outputs' shape, instead of ``y_pred``.

    Example:
        >>> import numpy as np
        >>> m = get_metric("acc", np.zeros((8,)), np.zeros((8, 3)))
        >>> type(m).__name__, m.name
        ('SparseCategoricalAccuracy', 'acc')
        >>> get_metric("accuracy", y_true_shape=(8, 1), y_pred_shape=(8, 1)).name
        'accuracy'
    """
    if identifier is None:
        raise ValueError("Expected a metric in `metrics`, got None. Remove it from the list.")
    key = str(identifier).lower() if isinstance(identifier, str) else None
    if key in _ACCURACY_NAMES or key in _CROSSENTROPY_NAMES:
        if y_true_shape is None and y_true is not None:
            y_true_shape = _shape(y_true)
        if y_pred_shape is None and y_pred is not None:
            y_pred_shape = _shape(y_pred)
        resolve = resolve_accuracy if key in _ACCURACY_NAMES else _resolve_crossentropy
        metric = resolve(y_true_shape, y_pred_shape)(name=str(identifier))
    else:
        from lamina.metrics import get

        metric = get(identifier)
    name = identifier if isinstance(identifier, str) else _object_name(metric)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric, name=name)
    metric.name = name
    return metric
