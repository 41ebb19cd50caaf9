"""Cross-entropy losses (binary, categorical, sparse categorical, and their focal forms): one
function per formula, following Keras 3's numerics (epsilon clipping, label smoothing, logits
taken from a softmax or sigmoid output), and the class that wraps it."""

from __future__ import annotations

import warnings

import numpy as np

from lamina import config, ops
from lamina.autodiff import hooks
from lamina.losses.loss import set_loss_mask
from lamina.losses.regression import _inputs
from lamina.losses.wrapper import _BuiltinLoss

__all__ = ['binary_crossentropy', 'binary_focal_crossentropy', 'categorical_crossentropy', 'categorical_focal_crossentropy', 'sparse_categorical_crossentropy', 'BinaryCrossentropy', 'BinaryFocalCrossentropy', 'CategoricalCrossentropy', 'CategoricalFocalCrossentropy', 'SparseCategoricalCrossentropy']


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
