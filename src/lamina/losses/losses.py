"""Keras's built-in losses: one function per formula, one class wrapping each function.

A function such as ``mean_squared_error(y_true, y_pred)`` returns one loss per
sample (it averages or sums over the last axis). The matching class
(``MeanSquaredError``) adds ``sample_weight`` and reduction to one number.
Every function is composed from ``lamina.ops``, so gradients come for free,
and follows Keras 3's numerics: the same epsilon clipping, label conversion
and label smoothing.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from lamina import config, ops
from lamina.autodiff import hooks
from lamina.autodiff.tensor import Tensor
from lamina.losses.loss import Loss, set_loss_mask, squeeze_or_expand_to_same_rank

__all__ = [
    "LossFunctionWrapper",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "Huber",
    "LogCosh",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "CosineSimilarity",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "huber",
    "log_cosh",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "poisson",
    "cosine_similarity",
]


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


def _check_same_shape(fn_name, y_true, y_pred):
    if tuple(y_true.shape) == tuple(y_pred.shape):
        return
    hint = ""
    if (
        fn_name.startswith("categorical")
        and len(y_true.shape) in (1, 2)
        and (len(y_true.shape) == 1 or y_true.shape[-1] == 1)
    ):
        hint = (
            " y_true looks like integer class ids: use sparse_categorical_crossentropy, "
            "or one-hot encode the labels first."
        )
    elif fn_name.startswith("binary") and y_pred.shape[-1:] == (2,):
        hint = (
            " For two classes use one sigmoid output unit with binary_crossentropy, or "
            "two softmax units with sparse_categorical_crossentropy."
        )
    raise ValueError(
        f"{fn_name} needs y_true and y_pred of the same shape. Got "
        f"y_true.shape={tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}.{hint}"
    )


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over ``axis``.

    ``loss = mean(-(t * log(p) + (1 - t) * log(1 - p)), axis=axis)`` with
    ``p`` clipped to ``[epsilon, 1 - epsilon]``. With ``label_smoothing = s``
    the targets become ``t * (1 - s) + 0.5 * s``. When ``from_logits`` is True
    (or ``y_pred`` came from ``lamina.ops.sigmoid``) the stable logits form is
    used instead of the clipped probabilities.

    Args:
        y_true: 0/1 (or soft) targets, same shape as ``y_pred``.
        y_pred: probabilities, or logits when ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in ``[0, 1]``.
        axis: the axis averaged over.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.binary_crossentropy([[1.0, 0.0]], [[0.8, 0.4]])[0]), 4)
        0.367
    """
    y_true, y_pred = _inputs(y_true, y_pred)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits)
    return ops.mean(bce, axis=axis)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary cross-entropy scaled down for examples the model already gets right.

    With ``p_t = t * p + (1 - t) * (1 - p)``:
    ``loss = mean((1 - p_t) ** gamma * bce(t, p), axis=axis)``, and with
    ``apply_class_balancing`` each term is also weighted by ``alpha`` for
    class 1 and ``1 - alpha`` for class 0 (Lin et al., 2017).

    Args:
        y_true: 0/1 targets.
        y_pred: probabilities, or logits when ``from_logits=True``.
        apply_class_balancing: weight the classes by ``alpha`` / ``1 - alpha``.
        alpha: the weight of class 1 when balancing.
        gamma: the focusing exponent; 0 gives plain binary cross-entropy.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in ``[0, 1]``; targets become ``t * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.binary_focal_crossentropy([[1.0]], [[0.5]])[0]), 4)
        0.1733
    """
    y_true, y_pred = _inputs(y_true, y_pred)
    _check_same_shape("binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = ops.sigmoid(y_pred)  # carries its logits into the cross-entropy
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


def _categorical_targets(fn_name, y_true, y_pred, label_smoothing, axis):
    if isinstance(axis, bool):
        raise ValueError(f"The 'axis' argument of {fn_name} must be an int. Got {axis!r} instead.")
    y_true, y_pred = _inputs(y_true, y_pred)
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            f"{fn_name} expects y_pred of shape (batch_size, num_classes) with "
            f"num_classes > 1, but got y_pred.shape={tuple(y_pred.shape)}. With one "
            "output unit use binary_crossentropy.",
            SyntaxWarning,
            stacklevel=3,
        )
    _check_same_shape(fn_name, y_true, y_pred)
    if label_smoothing:
        # Keras counts the classes along the last axis, whatever ``axis`` is.
        num_classes = y_true.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return y_true, y_pred


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy between one-hot (or soft) targets and class scores.

    ``loss = -sum(t * log(p), axis=axis)``, where ``p`` is ``y_pred`` rescaled
    to sum to 1 and clipped to ``[epsilon, 1 - epsilon]``, or
    ``softmax(y_pred)`` computed stably when ``from_logits`` is True (or
    ``y_pred`` came from ``lamina.ops.softmax``). With ``label_smoothing = s``
    and ``K`` classes the targets become ``t * (1 - s) + s / K``.

    Args:
        y_true: one-hot targets, same shape as ``y_pred``.
        y_pred: class probabilities, or logits when ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in ``[0, 1]``.
        axis: the class axis.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])[0]), 4)
        0.6931
    """
    y_true, y_pred = _categorical_targets(
        "categorical_crossentropy", y_true, y_pred, label_smoothing, axis
    )
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical cross-entropy scaled down for classes predicted with confidence.

    ``loss = sum(-alpha * (1 - p) ** gamma * t * log(p), axis=axis)``, with
    ``p`` rescaled to sum to 1 and clipped to ``[epsilon, 1 - epsilon]``
    (after a softmax when ``from_logits``).

    Args:
        y_true: one-hot targets.
        y_pred: class probabilities, or logits when ``from_logits=True``.
        alpha: weighting factor (a number, or one weight per class).
        gamma: the focusing exponent.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in ``[0, 1]``.
        axis: the class axis.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.categorical_focal_crossentropy(
        ...     [[0.0, 1.0]], [[0.5, 0.5]])[0]), 4)
        0.0433
    """
    y_true, y_pred = _categorical_targets(
        "categorical_focal_crossentropy", y_true, y_pred, label_smoothing, axis
    )
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    eps = config.epsilon()
    probs = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    weight = ops.power(1.0 - probs, gamma) * alpha
    return ops.sum(weight * (-y_true * ops.log(probs)), axis=axis)


def _check_class_ids(y_true, y_pred, axis):
    labels_shape = tuple(ops.shape(y_true))
    expected = tuple(np.delete(np.asarray(y_pred.shape), axis % len(y_pred.shape)))
    if labels_shape != expected:
        hint = ""
        if labels_shape == tuple(y_pred.shape):
            hint = (
                " y_true looks one-hot encoded: use categorical_crossentropy, or pass "
                "the class ids (argmax of the one-hot rows)."
            )
        raise ValueError(
            "sparse_categorical_crossentropy needs one integer class id per sample: y_true "
            f"of shape {expected} (or {expected + (1,)}) for y_pred of shape "
            f"{tuple(y_pred.shape)}. Got y_true.shape={labels_shape}.{hint}"
        )
    # The values are checked on every batch (a host step when traced: it reads them).
    hooks.host(_check_class_range, y_true, int(y_pred.shape[axis]), defer=_check_block)


def _check_block(n_batches, y_true, num_classes):
    _check_class_range(y_true, num_classes)  # (the labels of several batches, stacked)
    return True


def _check_class_range(y_true, num_classes):
    labels = ops.convert_to_numpy(y_true)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        hint = ""
        if labels.min() >= 1 and labels.max() == num_classes:
            hint = " The labels seem to run from 1: subtract 1 so they start at 0."
        raise ValueError(
            f"sparse_categorical_crossentropy: y_true holds class ids from {labels.min():g} "
            f"to {labels.max():g}, but y_pred has {num_classes} classes, so ids must lie in "
            f"0..{num_classes - 1}.{hint}"
        )


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Categorical cross-entropy with integer class ids as targets.

    ``loss = -log(p[y_true])``, where ``p`` is ``softmax(log(clip(y_pred,
    epsilon, 1 - epsilon)))`` for probabilities (Keras's numerics: clipped
    rows are renormalised) and ``softmax(y_pred)`` when ``from_logits`` is
    True (or ``y_pred`` came from ``lamina.ops.softmax``).

    Args:
        y_true: class ids, shape ``y_pred.shape`` without ``axis`` (a trailing
            axis of 1 is dropped).
        y_pred: class probabilities, or logits when ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a class id whose samples get loss 0 and are left out of
            the mean when a loss object reduces them (e.g. a "void" label).
        axis: the class axis.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.sparse_categorical_crossentropy([1], [[0.5, 0.5]])[0]), 4)
        0.6931
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[axis] == 1:
        y_true = ops.squeeze(y_true, axis=axis)
    valid = None
    if ignore_class is not None:
        valid = ops.convert_to_numpy(y_true) != ignore_class
        y_true = ops.where(valid, y_true, 0)
        y_pred = ops.where(np.expand_dims(valid, axis), y_pred, 0.0)
    _check_class_ids(y_true, y_pred, axis)
    losses = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    if valid is not None:
        valid = valid.reshape(losses.shape)
        losses = ops.where(valid, losses, 0.0)
        set_loss_mask(losses, valid)
    return losses


# ---------------------------------------------------------------------------
# Classes


class LossFunctionWrapper(Loss):
    """Turn a per-sample loss function ``fn(y_true, y_pred, **kwargs)`` into a ``Loss``.

    ``y_true`` and ``y_pred`` are rank-aligned first (a ``(n,)`` target
    against a ``(n, 1)`` prediction becomes ``(n, 1)``), then ``fn`` is
    called with the stored keyword arguments.

    Args:
        fn: the loss function (built from ``lamina.ops``).
        reduction: see ``Loss``.
        name: name of the loss.
        dtype: see ``Loss``.
        **kwargs: passed to ``fn`` on every call.

    Example:
        >>> import lamina
        >>> def abs_error(y_true, y_pred, scale=1.0):
        ...     return scale * lamina.ops.mean(lamina.ops.abs(y_true - y_pred), axis=-1)
        >>> loss = lamina.losses.LossFunctionWrapper(abs_error, scale=2.0)
        >>> float(loss([0.0, 1.0], [[1.0], [1.0]]))
        1.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        """Align the ranks of ``y_true`` and ``y_pred`` and apply ``fn``."""
        if isinstance(y_true, Tensor) and isinstance(y_pred, Tensor):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        """``name``, ``reduction``, the serialized ``fn`` and its keyword arguments."""
        from lamina.losses import serialize

        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild the wrapper, looking ``fn`` up among lamina's losses."""
        from lamina.losses import deserialize

        config = dict(config)
        if not callable(config.get("fn")):
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        fn_name = getattr(self.fn, "__name__", self.fn)
        return f"<LossFunctionWrapper({fn_name}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A Keras loss class: its config is its constructor's arguments (``fn`` is implied)."""

    _fn = None  # set by each subclass

    def __init__(self, reduction, name, dtype, **kwargs):
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self) -> dict:
        """``name``, ``reduction`` and the loss's own arguments."""
        config = Loss.get_config(self)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Build the loss from ``get_config``'s dict."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


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


class BinaryCrossentropy(_BuiltinLoss):
    """Binary cross-entropy for 0/1 targets (see ``binary_crossentropy``).

    Args:
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: targets become ``t * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.
        reduction: see ``lamina.losses.Loss``.
        name: defaults to ``"binary_crossentropy"``.
        dtype: compute dtype.

    Example:
        >>> import lamina
        >>> loss = lamina.losses.BinaryCrossentropy()
        >>> round(float(loss([[1.0], [0.0]], [[0.8], [0.4]])), 4)
        0.367
    """

    _fn = staticmethod(binary_crossentropy)

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class BinaryFocalCrossentropy(_BuiltinLoss):
    """Binary focal cross-entropy (see ``binary_focal_crossentropy``).

    Args:
        apply_class_balancing: weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: the class-1 weight when balancing.
        gamma: the focusing exponent.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: targets become ``t * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.
        reduction: see ``lamina.losses.Loss``.
        name: defaults to ``"binary_focal_crossentropy"``.
        dtype: compute dtype.

    Example:
        >>> import lamina
        >>> round(float(lamina.losses.BinaryFocalCrossentropy()([[1.0]], [[0.5]])), 4)
        0.1733
    """

    _fn = staticmethod(binary_focal_crossentropy)

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction,
            name,
            dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy for one-hot targets (see ``categorical_crossentropy``).

    Args:
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: with ``K`` classes, targets become ``t * (1 - s) + s / K``.
        axis: the class axis.
        reduction: see ``lamina.losses.Loss``.
        name: defaults to ``"categorical_crossentropy"``.
        dtype: compute dtype.

    Example:
        >>> import lamina
        >>> loss = lamina.losses.CategoricalCrossentropy()
        >>> round(float(loss([[0.0, 1.0]], [[0.5, 0.5]])), 4)
        0.6931
    """

    _fn = staticmethod(categorical_crossentropy)

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Categorical focal cross-entropy (see ``categorical_focal_crossentropy``).

    Args:
        alpha: weighting factor (a number, or one weight per class).
        gamma: the focusing exponent.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in ``[0, 1]``.
        axis: the class axis.
        reduction: see ``lamina.losses.Loss``.
        name: defaults to ``"categorical_focal_crossentropy"``.
        dtype: compute dtype.

    Example:
        >>> import lamina
        >>> loss = lamina.losses.CategoricalFocalCrossentropy()
        >>> round(float(loss([[0.0, 1.0]], [[0.5, 0.5]])), 4)
        0.0433
    """

    _fn = staticmethod(categorical_focal_crossentropy)

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction,
            name,
            dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy for integer class ids (see ``sparse_categorical_crossentropy``).

    With ``ignore_class``, samples of that class get loss 0 and the default
    reduction averages over the other samples only.

    Args:
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: a class id to leave out of the loss, or None.
        reduction: see ``lamina.losses.Loss``.
        axis: the class axis.
        name: defaults to ``"sparse_categorical_crossentropy"``.
        dtype: compute dtype.

    Example:
        >>> import lamina
        >>> loss = lamina.losses.SparseCategoricalCrossentropy(ignore_class=0)
        >>> round(float(loss([1, 0], [[0.5, 0.5], [0.9, 0.1]])), 4)
        0.6931
    """

    _fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction,
            name,
            dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )


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
