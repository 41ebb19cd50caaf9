"""Regression metrics: mean errors between targets and predictions, and R².

Each ``Mean...Error`` class averages, over every sample since the last reset,
the same per-sample value as the loss function of the same name
(``lamina.losses.mean_squared_error`` etc.), computed here directly on NumPy
arrays so that updating the metric every batch stays cheap.

Example:
    >>> import lamina
    >>> m = lamina.metrics.MeanAbsoluteError()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    >>> float(m.result())
    0.5
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from lamina import config
from lamina.autodiff.tensor import Tensor
from lamina.metrics.metric import Metric, as_array, float_array, same_rank
from lamina.metrics.reduction_metrics import Mean, MeanMetricWrapper

__all__ = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "CosineSimilarity",
    "LogCoshError",
    "R2Score",
    "cosine_similarity",
]

_LOG2 = math.log(2.0)


# ---------------------------------------------------------------------------
# NumPy kernels, one value per sample (the mean over the last axis).


def aligned(y_true, y_pred, align=True):
    """``(y_true, y_pred)`` as arrays in ``y_pred``'s float dtype, optionally rank-aligned."""
    y_pred = float_array(y_pred)
    y_true = as_array(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = y_true.astype(y_pred.dtype)
    if align:
        y_true, y_pred = same_rank(y_true, y_pred)
    return y_true, y_pred


def mean_last(x: np.ndarray) -> np.ndarray:
    """``mean(x, axis=-1)`` with less call overhead than ``ndarray.mean``."""
    if x.ndim and x.shape[-1] == 1:
        return x[..., 0]  # the mean of one value is that value, exactly
    return np.add.reduce(x, axis=-1) / x.shape[-1]


def _mse(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    return mean_last(np.square(y_true - y_pred))


def _mae(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    return mean_last(np.abs(y_true - y_pred))


def _mape(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    scale = np.maximum(np.abs(y_true), config.epsilon())
    return 100.0 * mean_last(np.abs((y_true - y_pred) / scale))


def _msle(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    eps = config.epsilon()
    diff = np.log(np.maximum(y_pred, eps) + 1.0) - np.log(np.maximum(y_true, eps) + 1.0)
    return mean_last(np.square(diff))


def _log_cosh(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    x = y_pred - y_true
    return mean_last(x + np.logaddexp(0.0, -2.0 * x) - _LOG2)


def l2_normalize(x: np.ndarray, axis=-1) -> np.ndarray:
    """``x / max(||x||, epsilon)`` along ``axis``: a zero vector stays zero."""
    squares = np.sum(np.square(x), axis=axis, keepdims=True)
    floor = np.asarray(config.epsilon() ** 2, dtype=x.dtype)
    return x / np.sqrt(np.maximum(squares, floor))


def _cosine(y_true, y_pred, axis=-1):
    y_true, y_pred = aligned(y_true, y_pred)
    return np.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity between targets and predictions, one value per sample.

    ``similarity = sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)``,
    in ``[-1, 1]``: 1 for vectors pointing the same way. This is the metric
    (higher is better); ``lamina.losses.cosine_similarity`` is its negative.

    Example:
        >>> import lamina
        >>> lamina.metrics.cosine_similarity([[0.0, 1.0], [1.0, 1.0]],
        ...                                  [[1.0, 0.0], [1.0, 1.0]]).numpy().round(4)
        array([0., 1.], dtype=float32)
    """
    return Tensor(np.asarray(_cosine(y_true, y_pred, axis)))


# ---------------------------------------------------------------------------
# Classes


class MeanSquaredError(MeanMetricWrapper):
    """Mean squared error: ``mean((y_true - y_pred) ** 2)`` over every value seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.MeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_mse, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean absolute error: ``mean(|y_true - y_pred|)`` over every value seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.MeanAbsoluteError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_mae, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean absolute percentage error: ``100 * mean(|y_true - y_pred| / max(|y_true|, eps))``.

    ``eps`` is ``lamina.config.epsilon()`` (1e-7): a zero target gives a huge
    but finite error.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.MeanAbsolutePercentageError()
        >>> m.update_state([[2.0, 4.0]], [[1.0, 4.0]])
        >>> float(m.result())
        25.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_mape, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean squared logarithmic error: ``mean((log(1 + y_pred) - log(1 + y_true)) ** 2)``.

    Values below ``epsilon`` (negatives included) count as ``epsilon``.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.MeanSquaredLogarithmicError()
        >>> m.update_state([[0.0]], [[math.e - 1]])
        >>> round(float(m.result()), 5)
        1.0
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(_msle, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class LogCoshError(MeanMetricWrapper):
    """Mean of ``log(cosh(y_pred - y_true))`` over every value seen.

    Args:
        name: the metric's name (default ``"logcosh"``, as in Keras).
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.LogCoshError()
        >>> m.update_state([[0.0]], [[1.0]])
        >>> round(float(m.result()), 4)
        0.4338
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(_log_cosh, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """Root mean squared error: ``sqrt(sum(w * (y_true - y_pred) ** 2) / sum(w))``.

    The square root is taken of the running mean, so it is the RMSE of all
    samples seen, not the mean of per-batch RMSEs.

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's squared errors to the running mean."""
        y_true = as_array(y_true).astype(self._np_dtype, copy=False)
        y_pred = as_array(y_pred).astype(self._np_dtype, copy=False)
        y_true, y_pred = same_rank(y_true, y_pred)
        self._accumulate(np.square(y_pred - y_true), sample_weight)

    def result(self) -> Tensor:
        """``sqrt(total / count)`` as a 0-d tensor."""
        return Tensor(np.sqrt(super().result().value))


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between targets and predictions (higher is better).

    ``similarity = sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)``

    Args:
        name: the metric's name.
        dtype: the dtype of the running totals (default ``floatx()``).
        axis: the axis holding the vectors (default -1).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.CosineSimilarity()
        >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self) -> dict:
        # Keras leaves ``axis`` out of the config; lamina keeps it so that a
        # round trip rebuilds the same metric.
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class R2Score(Metric):
    """The coefficient of determination R² of every sample seen so far.

    Per output column ``j``, with weights ``w``:
    ``R2_j = 1 - sum(w * (y - y_pred) ** 2) / sum(w * (y - mean_w(y)) ** 2)``.
    Columns are combined by ``class_aggregation``; with ``num_regressors = p > 0``
    the adjusted score ``1 - (1 - R2) * (n - 1) / (n - p - 1)`` is returned.

    Args:
        class_aggregation: ``"uniform_average"`` (default),
            ``"variance_weighted_average"`` or ``None`` (one score per column).
        num_regressors: the number of independent variables, for adjusted R².
        name: the metric's name.
        dtype: the dtype of the running sums (default ``floatx()``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.R2Score()
        >>> m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]])
        >>> float(m.result())
        0.5
    """

    _AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")

    def __init__(
        self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if class_aggregation not in self._AGGREGATIONS:
            raise ValueError(
                "The 'class_aggregation' argument of R2Score must be one of "
                f"{self._AGGREGATIONS}. Got {class_aggregation!r} instead."
            )
        if num_regressors < 0:
            raise ValueError(
                "The 'num_regressors' argument of R2Score must be >= 0. "
                f"Got {num_regressors!r} instead."
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="num_samples"
        )
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2-D inputs of shape (batch_size, output_dim). Got "
                f"y_true.shape={y_true_shape} and y_pred.shape={y_pred_shape}. Reshape "
                "1-D targets with y.reshape(-1, 1)."
            )
        columns = y_pred_shape[-1]
        self.squared_sum = self.add_variable(shape=(columns,), dtype=self.dtype, name="squared_sum")
        self.sum = self.add_variable(shape=(columns,), dtype=self.dtype, name="sum")
        self.total_mse = self.add_variable(shape=(columns,), dtype=self.dtype, name="residual")
        self.count = self.add_variable(shape=(columns,), dtype=self.dtype, name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch to the per-column sums."""
        dtype = self._np_dtype
        y_true = as_array(y_true).astype(dtype, copy=False)
        y_pred = as_array(y_pred).astype(dtype, copy=False)
        y_true, y_pred = same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weights = np.asarray(1.0 if sample_weight is None else as_array(sample_weight), dtype)
        if weights.ndim == 1:
            weights = weights[:, None]
        weights = np.broadcast_to(weights, y_true.shape)
        weighted = y_true * weights
        self.sum.value[...] += weighted.sum(axis=0)
        self.squared_sum.value[...] += (y_true * weighted).sum(axis=0)
        self.total_mse.value[...] += (np.square(y_true - y_pred) * weights).sum(axis=0)
        self.count.value[...] += weights.sum(axis=0)
        self.num_samples.value[...] += y_true.size

    def result(self) -> Tensor:
        """The (adjusted) R² score, combined across columns by ``class_aggregation``."""
        if not self._built:
            return Tensor(np.zeros((), self._np_dtype))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum.value / self.count.value
            total = self.squared_sum.value - self.sum.value * mean
            raw = 1 - self.total_mse.value / total
        raw = np.where(np.isinf(raw), 0.0, raw).astype(self._np_dtype)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        if self.num_regressors:
            n = float(self.num_samples.value)
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn(
                    "More independent predictors than datapoints in adjusted R2 "
                    "score. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            elif p == n - 1:
                warnings.warn(
                    "Division by zero in adjusted R2 score. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return Tensor(np.asarray(score, dtype=self._np_dtype))

    def reset_state(self):
        """Zero every running sum (the per-column shape is kept)."""
        super().reset_state()

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
