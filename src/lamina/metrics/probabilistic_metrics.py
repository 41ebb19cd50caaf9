"""Cross-entropy, KL-divergence, Poisson and hinge metrics.

Each class averages, over every sample since the last reset, the per-sample
value of the loss function of the same name in ``lamina.losses``, with
Keras's numerics (probabilities clipped to ``[eps, 1 - eps]``, categorical
predictions renormalised to sum to 1). The values are computed on NumPy
arrays directly, so an update costs a few microseconds.

Example:
    >>> import lamina
    >>> m = lamina.metrics.BinaryCrossentropy()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    0.8149
"""

from __future__ import annotations

import warnings

import numpy as np

from lamina import config
from lamina.metrics.metric import as_array, float_array, same_rank
from lamina.metrics.reduction_metrics import MeanMetricWrapper
from lamina.metrics.regression_metrics import aligned, mean_last

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
]


# ---------------------------------------------------------------------------
# NumPy kernels


def _binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    # Keras requires equal ranks here; lamina aligns (n,) labels with (n, 1) outputs.
    y_true, y_pred = aligned(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        # max(x, 0) - x * z + log(1 + exp(-|x|)): stable for large |x|.
        values = np.maximum(y_pred, 0) - y_pred * y_true + np.log1p(np.exp(-np.abs(y_pred)))
    else:
        eps = config.epsilon()
        p = np.clip(y_pred, eps, 1.0 - eps)
        values = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
    return np.add.reduce(values, axis=axis) / values.shape[axis]


def _check_same_shape(name, y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name} needs y_true and y_pred of the same shape (one-hot labels). Got "
            f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}. For integer "
            "labels use SparseCategoricalCrossentropy / 'sparse_categorical_crossentropy'."
        )


def _categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = aligned(y_true, y_pred, align=False)
    _check_same_shape("categorical_crossentropy", y_true, y_pred)
    if y_pred.shape[-1] == 1:
        warnings.warn(
            "categorical_crossentropy expects y_pred of shape (batch_size, num_classes) with "
            f"num_classes > 1. Got y_pred.shape={y_pred.shape}. With two classes and one "
            "output unit use binary_crossentropy.",
            SyntaxWarning,
            stacklevel=3,
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        shifted = y_pred - np.max(y_pred, axis=axis, keepdims=True)
        log_p = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    else:
        eps = config.epsilon()
        p = y_pred / np.sum(y_pred, axis=axis, keepdims=True)
        log_p = np.log(np.clip(p, eps, 1.0 - eps))
    return -np.sum(y_true * log_p, axis=axis)


def _sparse_crossentropy_values(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample sparse cross-entropy and the mask of counted samples (or ``None``)."""
    y_pred = float_array(y_pred)
    y_true = as_array(y_true)
    if axis not in (-1, y_pred.ndim - 1):
        raise ValueError(f"sparse_categorical_crossentropy supports only axis=-1. Got axis={axis}.")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    labels = y_true.astype(np.int64)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    num_classes = y_pred.shape[-1]
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(
            "sparse_categorical_crossentropy needs one integer label per sample: y_true of "
            f"shape {y_pred.shape[:-1]} (or with a trailing 1). Got y_true.shape="
            f"{as_array(y_true).shape} for y_pred.shape={y_pred.shape}. For one-hot labels "
            "use CategoricalCrossentropy / 'categorical_crossentropy'."
        )
    if labels.size and (
        np.minimum.reduce(labels, axis=None) < 0
        or np.maximum.reduce(labels, axis=None) >= num_classes
    ):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must be in [0, {num_classes}) for "
            f"{num_classes} output units. Got labels from {labels.min()} to {labels.max()}. "
            "If your classes are numbered 1..K, subtract 1 from the labels."
        )
    if from_logits:
        logits = y_pred
    else:
        eps = config.epsilon()
        logits = np.log(np.clip(y_pred, eps, 1.0 - eps))
    top = np.maximum.reduce(logits, axis=-1, keepdims=True)
    log_norm = np.log(np.add.reduce(np.exp(logits - top), axis=-1)) + top[..., 0]
    if logits.ndim == 2:
        picked = logits[np.arange(len(labels)), labels]
    else:
        picked = np.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
    values = log_norm - picked
    if valid is not None:
        values = np.where(valid, values, 0.0).astype(y_pred.dtype)
    return values, valid


def _sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    return _sparse_crossentropy_values(y_true, y_pred, from_logits, ignore_class, axis)[0]


def _kl_divergence(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred, align=False)
    eps = config.epsilon()
    y_true = np.clip(y_true, eps, 1.0)
    y_pred = np.clip(y_pred, eps, 1.0)
    return np.sum(y_true * np.log(y_true / y_pred), axis=-1)


def _poisson(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred, align=False)
    return mean_last(y_pred - y_true * np.log(y_pred + config.epsilon()))


def _hinge_labels(y_true: np.ndarray) -> np.ndarray:
    # Labels that are all 0 or 1 become -1 or 1; any other labels are kept.
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def _hinge(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred, align=False)
    return mean_last(np.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0))


def _squared_hinge(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred, align=False)
    return mean_last(np.square(np.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)))


def _categorical_hinge(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred, align=False)
    pos = np.sum(y_true * y_pred, axis=-1)
    neg = np.max((1.0 - y_true) * y_pred, axis=-1)
    return np.maximum(neg - pos + 1.0, 0.0)


# ---------------------------------------------------------------------------
# Classes


class _LossMetric(MeanMetricWrapper):
    """The running mean of one of the kernels above (lower is better).

    The keyword arguments go to the kernel on every update and are kept as
    attributes of the same names; the config is ``name``, ``dtype`` and these
    arguments, as in Keras (the kernel itself is implied by the class).
    """

    def __init__(self, fn, name, dtype, **kwargs):
        super().__init__(fn, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)
        self._direction = "down"

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            **{key: getattr(self, key) for key in self._fn_kwargs},
        }


class BinaryCrossentropy(_LossMetric):
    """Mean binary cross-entropy between 0/1 labels and predicted probabilities.

    ``value = -mean(y * log(p) + (1 - y) * log(1 - p), axis=-1)``, with ``p``
    clipped to ``[eps, 1 - eps]`` (or ``p = sigmoid(y_pred)`` when ``from_logits``).

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).
        from_logits: whether ``y_pred`` holds logits instead of probabilities.
        label_smoothing: in ``[0, 1]``; labels become ``y * (1 - s) + 0.5 * s``.

    Example:
        >>> import lamina
        >>> m = lamina.metrics.BinaryCrossentropy()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        0.8149
    """

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            _binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(_LossMetric):
    """Mean categorical cross-entropy between one-hot labels and predicted probabilities.

    ``value = -sum(y * log(p), axis)``, with ``p = y_pred / sum(y_pred)`` clipped to
    ``[eps, 1 - eps]`` (or ``p = softmax(y_pred)`` when ``from_logits``).

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).
        from_logits: whether ``y_pred`` holds logits instead of probabilities.
        label_smoothing: in ``[0, 1]``; labels become ``y * (1 - s) + s / num_classes``.
        axis: the class axis (default -1).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.CategoricalCrossentropy()
        >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(float(m.result()), 4)
        1.1769
    """

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        super().__init__(
            _categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_LossMetric):
    """Mean cross-entropy between integer labels and predicted class probabilities.

    ``value = -log(p[y])`` with ``p`` clipped to ``[eps, 1 - eps]`` and renormalised
    (or ``p = softmax(y_pred)`` when ``from_logits``).

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).
        from_logits: whether ``y_pred`` holds logits instead of probabilities.
        ignore_class: a label value whose samples give 0. As in Keras, they are
            left out of the count only when ``sample_weight`` is passed.
        axis: the class axis; only -1 is supported.

    Example:
        >>> import lamina
        >>> m = lamina.metrics.SparseCategoricalCrossentropy()
        >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(float(m.result()), 4)
        1.1769
    """

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        super().__init__(
            _sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's cross-entropies to the running mean."""
        values, valid = _sparse_crossentropy_values(
            y_true, y_pred, self.from_logits, self.ignore_class, self.axis
        )
        if valid is not None and sample_weight is not None:
            weights = as_array(sample_weight).astype(self._np_dtype)
            mask, weights = same_rank(valid.astype(self._np_dtype), weights)
            sample_weight = weights * mask
        self._accumulate(values, sample_weight)


class KLDivergence(_LossMetric):
    """Mean Kullback-Leibler divergence ``sum(y * log(y / p), axis=-1)``, both clipped to [eps, 1].

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.KLDivergence()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        0.4581
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(_kl_divergence, name=name, dtype=dtype)


class Poisson(_LossMetric):
    """Mean Poisson deviance term ``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.Poisson()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(_poisson, name=name, dtype=dtype)


class Hinge(_LossMetric):
    """Mean hinge loss ``mean(max(1 - y * y_pred, 0), axis=-1)``; 0/1 labels become -1/1.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.Hinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        1.3
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(_hinge, name=name, dtype=dtype)


class SquaredHinge(_LossMetric):
    """Mean squared hinge loss ``mean(max(1 - y * y_pred, 0) ** 2, axis=-1)``.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.SquaredHinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        1.86
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(_squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(_LossMetric):
    """Mean categorical hinge ``max(max((1 - y) * y_pred) - sum(y * y_pred) + 1, 0)``.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.CategoricalHinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        1.4
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(_categorical_hinge, name=name, dtype=dtype)
