"""Array helpers from ``keras.utils``: ``to_categorical`` (one-hot labels) and ``normalize``."""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor

__all__ = ["normalize", "to_categorical"]


def to_categorical(x, num_classes: int | None = None) -> np.ndarray:
    """Turn integer class labels into one-hot rows, for ``categorical_crossentropy``.

    ``y[i, c] = 1`` where ``c = x[i]``, else 0. A trailing axis of size 1
    (labels shaped ``(n, 1)``) is dropped first, as Keras does; the classes
    axis is always last.

    Args:
        x: class labels, integers from 0 to ``num_classes - 1`` (a list, an
            array, a tensor or a pandas Series). Floats such as ``2.0`` are
            accepted when they are whole numbers.
        num_classes: the number of classes; ``None`` uses ``max(x) + 1``.

    Returns:
        A float NumPy array of shape ``x.shape + (num_classes,)``.

    Raises:
        ValueError: if a label is negative, not a whole number, or not below
            ``num_classes``.

    Example:
        >>> from lamina.utils import to_categorical
        >>> to_categorical([0, 2, 1], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]])
    """
    if isinstance(x, Tensor):
        x = x.value
    elif hasattr(x, "to_numpy"):
        x = x.to_numpy()
    raw = np.asarray(x)
    if raw.dtype == object or raw.dtype.kind not in "fiub":
        raise ValueError(
            "to_categorical needs integer class labels 0..K-1; got values of dtype "
            f"{raw.dtype}. Map text labels to numbers first, e.g. "
            "`classes, y = np.unique(labels, return_inverse=True)`."
        )
    if raw.dtype.kind == "f" and raw.size and not np.all(np.mod(raw, 1) == 0):
        raise ValueError(
            "to_categorical needs whole-number class labels; got non-integer values such as "
            f"{raw[np.mod(raw, 1) != 0].ravel()[0]!r}. Round or map the labels to 0..K-1 first."
        )
    labels = raw.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if labels.size and labels.min() < 0:
        raise ValueError(
            f"to_categorical got a negative label ({labels.min()}); labels must be 0..K-1."
        )
    if not num_classes:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    num_classes = int(num_classes)
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"to_categorical got label {labels.max()} but num_classes={num_classes}; labels "
            f"must be below num_classes. Use num_classes={labels.max() + 1} (or None), or "
            "renumber labels that start at 1 with `y - 1`."
        )
    out = np.zeros((labels.size, num_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out.reshape(tuple(shape) + (num_classes,))


def normalize(x, axis: int | None = -1, order: int = 2):
    """Scale ``x`` so that its ``order``-norm along ``axis`` is 1: ``x / ||x||``.

    Slices whose norm is 0 are left as they are (divided by 1). A NumPy array
    (or list) gives a NumPy array; a lamina tensor gives a tensor.

    Args:
        x: the array to normalize.
        axis: the axis along which the norm is taken (default the last).
        order: the norm's order (2 for the Euclidean length, 1 for the sum of
            absolute values).

    Returns:
        A normalized copy of ``x``.

    Example:
        >>> import numpy as np
        >>> from lamina.utils import normalize
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    if isinstance(x, Tensor):
        from lamina import ops

        return ops.normalize(x, axis=axis, order=order)
    x = np.asarray(x.to_numpy() if hasattr(x, "to_numpy") else x)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, -1 if axis is None else axis)
