"""Regression losses (squared, absolute, percentage, logarithmic errors, Huber, log-cosh,
cosine similarity) and the margin and count losses (hinges, KL divergence, Poisson): one
function per formula, and the class that wraps it."""

from __future__ import annotations

import math

import numpy as np

from lamina import config, ops
from lamina.losses.loss import squeeze_or_expand_to_same_rank
from lamina.losses.wrapper import _BuiltinLoss

__all__ = ['mean_squared_error', 'mean_absolute_error', 'mean_absolute_percentage_error', 'mean_squared_logarithmic_error', 'huber', 'log_cosh', 'cosine_similarity', 'hinge', 'squared_hinge', 'categorical_hinge', 'kl_divergence', 'poisson', 'MeanSquaredError', 'MeanAbsoluteError', 'MeanAbsolutePercentageError', 'MeanSquaredLogarithmicError', 'Huber', 'LogCosh', 'Hinge', 'SquaredHinge', 'CategoricalHinge', 'KLDivergence', 'Poisson', 'CosineSimilarity']


def _inputs(y_true, y_pred, align=False):
    """Tensors for a loss function: ``y_true`` in ``y_pred``'s dtype, optionally rank-aligned."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    if align:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


# ---------------------------------------------------------------------------
# Regression


def mean_squared_error(y_true, y_pred):
    """Mean squared error over the last axis.

    ``loss = mean(square(y_true - y_pred), axis=-1)``

    Args:
        y_true: targets, shape ``(batch, ..., d)``.
        y_pred: predictions, same shape (a trailing axis of 1 may differ).

    Returns:
        One loss per sample, shape ``(batch, ...)``.

    Example:
        >>> import lamina
        >>> lamina.losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
        array([0.5], dtype=float32)
    """
    y_true, y_pred = _inputs(y_true, y_pred, align=True)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the last axis.

    ``loss = mean(abs(y_true - y_pred), axis=-1)``

    Example:
        >>> import lamina
        >>> lamina.losses.mean_absolute_error([[0.0, 1.0]], [[2.0, 1.0]]).numpy()
        array([1.], dtype=float32)
    """
    y_true, y_pred = _inputs(y_true, y_pred, align=True)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """Mean absolute percentage error over the last axis.

    ``loss = 100 * mean(abs(y_true - y_pred) / maximum(abs(y_true), epsilon), axis=-1)``

    ``epsilon`` is ``lamina.config.epsilon()`` (1e-7), so a zero target gives
    a huge but finite loss.

    Example:
        >>> import lamina
        >>> lamina.losses.mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 4.0]]).numpy()
        array([25.], dtype=float32)
    """
    y_true, y_pred = _inputs(y_true, y_pred, align=True)
    scale = ops.maximum(ops.abs(y_true), config.epsilon())
    return 100.0 * ops.mean(ops.abs((y_true - y_pred) / scale), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean squared logarithmic error over the last axis.

    ``loss = mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``

    Values below ``epsilon`` (including negatives) count as ``epsilon``.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.mean_squared_logarithmic_error([[0.0]], [[1.0]])[0]), 4)
        0.4805
    """
    y_true, y_pred = _inputs(y_true, y_pred, align=True)
    eps = config.epsilon()
    log_pred = ops.log(ops.maximum(y_pred, eps) + 1.0)
    log_true = ops.log(ops.maximum(y_true, eps) + 1.0)
    return ops.mean(ops.square(log_pred - log_true), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: quadratic for small errors, linear for large ones.

    With ``e = y_pred - y_true``:
    ``loss = mean(0.5 * e**2 if |e| <= delta else delta * |e| - 0.5 * delta**2, axis=-1)``

    Args:
        y_true: targets.
        y_pred: predictions.
        delta: the error size where the loss turns from quadratic to linear.

    Example:
        >>> import lamina
        >>> lamina.losses.huber([[0.0, 0.0]], [[0.5, 3.0]]).numpy()
        array([1.3125], dtype=float32)
    """
    y_true, y_pred = _inputs(y_true, y_pred, align=True)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ops.mean(ops.where(abs_error <= delta, quadratic, linear), axis=-1)


_LOG2 = math.log(2.0)


def log_cosh(y_true, y_pred):
    """Logarithm of the hyperbolic cosine of the error, averaged over the last axis.

    ``loss = mean(log(cosh(x)), axis=-1)`` with ``x = y_pred - y_true``,
    computed as ``x + softplus(-2x) - log(2)`` so it never overflows. It is
    about ``x**2 / 2`` for small errors and ``|x| - log(2)`` for large ones.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.log_cosh([[0.0]], [[1.0]])[0]), 4)
        0.4338
    """
    y_true, y_pred = _inputs(y_true, y_pred, align=True)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(-2.0 * x) - _LOG2, axis=-1)


def _l2_normalize(x, axis):
    # x * min(1 / ||x||, 1 / eps): a zero vector stays zero.
    inv_norm = ops.rsqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    return x * ops.minimum(inv_norm, 1.0 / config.epsilon())


def cosine_similarity(y_true, y_pred, axis=-1):
    """The negative cosine similarity between targets and predictions.

    ``loss = -sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)``

    The result lies in ``[-1, 1]``: ``-1`` for vectors pointing the same way,
    ``0`` for orthogonal ones (or a zero vector), ``1`` for opposite ones, so
    minimising it maximises the similarity.

    Example:
        >>> import lamina
        >>> lamina.losses.cosine_similarity([[1.0, 0.0], [1.0, 0.0]],
        ...                                 [[2.0, 0.0], [0.0, 3.0]]).numpy()
        array([-1., -0.], dtype=float32)
    """
    y_true, y_pred = _inputs(y_true, y_pred, align=True)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


# ---------------------------------------------------------------------------
# Hinge


def _hinge_labels(y_true):
    # Labels that are all 0 or 1 become -1 or 1; anything else is kept.
    values = ops.convert_to_numpy(y_true)
    if np.all((values == 0) | (values == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true, y_pred):
    """Hinge loss for labels in ``{-1, 1}`` (or ``{0, 1}``, converted to ``{-1, 1}``).

    ``loss = mean(maximum(1 - y_true * y_pred, 0), axis=-1)``

    The conversion happens only when every label is 0 or 1.

    Example:
        >>> import lamina
        >>> lamina.losses.hinge([[1.0, 0.0]], [[0.5, -2.0]]).numpy()
        array([0.25], dtype=float32)
    """
    y_true, y_pred = _inputs(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Squared hinge loss for labels in ``{-1, 1}`` (``{0, 1}`` are converted).

    ``loss = mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``

    Example:
        >>> import lamina
        >>> lamina.losses.squared_hinge([[1.0, 0.0]], [[0.5, -2.0]]).numpy()
        array([0.125], dtype=float32)
    """
    y_true, y_pred = _inputs(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """Categorical hinge loss for one-hot targets.

    ``loss = maximum(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)``
    and ``neg = max((1 - y_true) * y_pred)`` over the last axis.

    Example:
        >>> import lamina
        >>> lamina.losses.categorical_hinge([[0.0, 1.0, 0.0]], [[0.5, 1.0, 0.2]]).numpy()
        array([0.5], dtype=float32)
    """
    y_true, y_pred = _inputs(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


# ---------------------------------------------------------------------------
# Probabilistic


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence of ``y_pred`` from ``y_true`` over the last axis.

    ``loss = sum(t * log(t / p), axis=-1)`` with ``t`` and ``p`` clipped to
    ``[epsilon, 1]``.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.kl_divergence([[0.5, 0.5]], [[0.25, 0.75]])[0]), 4)
        0.1438
    """
    y_true, y_pred = _inputs(y_true, y_pred)
    eps = config.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Poisson loss (negative log-likelihood up to a constant) over the last axis.

    ``loss = mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.poisson([[0.0, 2.0]], [[1.0, 1.0]])[0]), 4)
        1.0
    """
    y_true, y_pred = _inputs(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + config.epsilon()), axis=-1)


class MeanSquaredError(_BuiltinLoss):
    """Mean of squared errors: ``mean(square(y_true - y_pred))``.

    Args:
        reduction: see ``lamina.losses.Loss``.
        name: defaults to ``"mean_squared_error"``.
        dtype: compute dtype, ``floatx()`` by default.

    Example:
        >>> import lamina
        >>> float(lamina.losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
        0.5
    """

    _fn = staticmethod(mean_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction, name, dtype)


class MeanAbsoluteError(_BuiltinLoss):
    """Mean of absolute errors: ``mean(abs(y_true - y_pred))``.

    Example:
        >>> import lamina
        >>> float(lamina.losses.MeanAbsoluteError()([[0.0, 1.0]], [[2.0, 1.0]]))
        1.0
    """

    _fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(reduction, name, dtype)


class MeanAbsolutePercentageError(_BuiltinLoss):
    """``100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), epsilon)))``.

    Example:
        >>> import lamina
        >>> float(lamina.losses.MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 4.0]]))
        25.0
    """

    _fn = staticmethod(mean_absolute_percentage_error)

    def __init__(
        self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None
    ):
        super().__init__(reduction, name, dtype)


class MeanSquaredLogarithmicError(_BuiltinLoss):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)))``.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.MeanSquaredLogarithmicError()([[0.0]], [[1.0]])), 4)
        0.4805
    """

    _fn = staticmethod(mean_squared_logarithmic_error)

    def __init__(
        self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None
    ):
        super().__init__(reduction, name, dtype)


class Huber(_BuiltinLoss):
    """Huber loss: ``0.5 * e**2`` for ``|e| <= delta``, else ``delta * |e| - 0.5 * delta**2``.

    Args:
        delta: where the loss turns from quadratic to linear.
        reduction: see ``lamina.losses.Loss``.
        name: defaults to ``"huber_loss"``.
        dtype: compute dtype.

    Example:
        >>> import lamina
        >>> float(lamina.losses.Huber()([[0.0, 0.0]], [[0.5, 3.0]]))
        1.3125
    """

    _fn = staticmethod(huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction, name, dtype, delta=delta)


class LogCosh(_BuiltinLoss):
    """``mean(log(cosh(y_pred - y_true)))``: like MSE for small errors, MAE for large ones.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.LogCosh()([[0.0]], [[1.0]])), 4)
        0.4338
    """

    _fn = staticmethod(log_cosh)

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction, name, dtype)


class Hinge(_BuiltinLoss):
    """``mean(maximum(1 - y_true * y_pred, 0))`` for labels in {-1, 1} (or {0, 1}).

    Example:
        >>> import lamina
        >>> float(lamina.losses.Hinge()([[1.0, 0.0]], [[0.5, -2.0]]))
        0.25
    """

    _fn = staticmethod(hinge)

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction, name, dtype)


class SquaredHinge(_BuiltinLoss):
    """``mean(square(maximum(1 - y_true * y_pred, 0)))`` for labels in {-1, 1} (or {0, 1}).

    Example:
        >>> import lamina
        >>> float(lamina.losses.SquaredHinge()([[1.0, 0.0]], [[0.5, -2.0]]))
        0.125
    """

    _fn = staticmethod(squared_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(reduction, name, dtype)


class CategoricalHinge(_BuiltinLoss):
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``.

    Example:
        >>> import lamina
        >>> float(lamina.losses.CategoricalHinge()([[0.0, 1.0, 0.0]], [[0.5, 1.0, 0.2]]))
        0.5
    """

    _fn = staticmethod(categorical_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction, name, dtype)


class KLDivergence(_BuiltinLoss):
    """``sum(y_true * log(y_true / y_pred))`` with both clipped to ``[epsilon, 1]``.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])), 4)
        0.1438
    """

    _fn = staticmethod(kl_divergence)

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction, name, dtype)


class Poisson(_BuiltinLoss):
    """``mean(y_pred - y_true * log(y_pred + epsilon))``.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.Poisson()([[0.0, 2.0]], [[1.0, 1.0]])), 4)
        1.0
    """

    _fn = staticmethod(poisson)

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction, name, dtype)


class CosineSimilarity(_BuiltinLoss):
    """The negative cosine similarity ``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``.

    Args:
        axis: the axis the similarity is computed along.
        reduction: see ``lamina.losses.Loss``.
        name: defaults to ``"cosine_similarity"``.
        dtype: compute dtype.

    Example:
        >>> import lamina
        >>> float(lamina.losses.CosineSimilarity()([[1.0, 0.0], [1.0, 0.0]],
        ...                                        [[2.0, 0.0], [0.0, 3.0]]))
        -0.5
    """

    _fn = staticmethod(cosine_similarity)

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(reduction, name, dtype, axis=axis)
