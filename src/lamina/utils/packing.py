"""How a batch is handed to ``train_step``/``test_step``/``predict_step``, as Keras hands it.

``pack_x_y_sample_weight`` gives ``x`` alone when there is no target,
``(x, y)`` without sample weights and ``(x, y, sample_weight)`` with them;
``unpack_x_y_sample_weight`` undoes it, so a custom ``train_step`` can start
with ``x, y = data`` or with ``x, y, sw = keras.utils.unpack_x_y_sample_weight(data)``.
"""

from __future__ import annotations

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch ``data`` a step receives for ``x``, ``y`` and ``sample_weight``.

    Example:
        >>> from lamina.utils import pack_x_y_sample_weight
        >>> pack_x_y_sample_weight([1, 2], [0, 1])
        ([1, 2], [0, 1])
        >>> pack_x_y_sample_weight("x")
        'x'
    """
    if y is None:
        # A list or tuple x would read as (x, y): wrap it, as Keras does.
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sw)``.

    Missing entries are ``None``.

    Example:
        >>> from lamina.utils import unpack_x_y_sample_weight
        >>> unpack_x_y_sample_weight(("x", "y"))
        ('x', 'y', None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError(
        "A batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of "
        f"{len(data)} items. Yield or pass batches in one of these forms."
    )
