"""``timeseries_dataset_from_array``: sliding windows over a series, as a ``lamina.data.Dataset``.

Keras's windows: starts ``0, stride, 2 stride, ...`` (relative to ``start_index``)
while a window of ``sequence_length`` steps ``sampling_rate`` apart fits before
``end_index`` (and a target exists); window ``i`` starting at ``p`` pairs with
``targets[start_index + p]``. ``shuffle`` permutes the starts with
``np.random.RandomState(seed)`` as Keras does, then shuffles windows in a buffer of
``batch_size * 8`` (lamina's seeded buffer; TensorFlow's draws differ). Windows
are gathered lazily, batch by batch.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["timeseries_dataset_from_array"]


def _check_int(name, value, low, high=None, data_len=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"timeseries_dataset_from_array: '{name}' must be an integer; got "
                         f"{value!r}.")
    if value < low:
        raise ValueError(f"timeseries_dataset_from_array: '{name}' must be >= {low}; got "
                         f"{name}={value}.")
    if high is not None and value >= high:
        raise ValueError(
            f"timeseries_dataset_from_array: '{name}' must be lower than the length of the data "
            f"({data_len}); got {name}={value}.")


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """Windows of ``sequence_length`` steps over ``data`` (and their targets) as batches.

    Args:
        data: an array (or list) whose first axis is time.
        targets: one target per time step (``targets[i]`` goes with the window starting
            at step ``i``), or ``None`` for windows only.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between the rows taken within a window.
        batch_size: windows per batch (``None``: single windows).
        shuffle: shuffle the windows; ``seed`` seeds it.
        start_index, end_index: use only ``data[start_index:end_index]`` for windows.
        format: ``"tf"`` or ``"grain"`` (both give lamina's data set).

    Returns:
        A ``lamina.data.Dataset`` of ``windows`` or ``(windows, targets)`` batches;
        windows have shape ``(batch, sequence_length) + data.shape[1:]``.

    Example:
        >>> import numpy as np, lamina
        >>> ds = lamina.utils.timeseries_dataset_from_array(
        ...     np.arange(10), None, sequence_length=3, sequence_stride=3, batch_size=2)
        >>> [b.tolist() for b in ds]
        [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8]]]
    """
    from lamina.data.dataset import Dataset

    data = np.asarray(data)
    if data.ndim == 0:
        raise ValueError("timeseries_dataset_from_array: 'data' must be an array of time steps "
                         "(first axis = time); got a single value.")
    n = len(data)
    if format not in ("tf", "grain"):
        raise ValueError(f"The 'format' argument must be 'tf' or 'grain'. Got {format!r}.")
    if start_index is not None:
        _check_int("start_index", start_index, 0, n, n)
    if end_index is not None:
        _check_int("end_index", end_index, 1, n, n)
        if start_index and end_index <= start_index:
            raise ValueError(
                "timeseries_dataset_from_array: 'end_index' must be higher than 'start_index'; "
                f"got start_index={start_index}, end_index={end_index}.")
    _check_int("sampling_rate", sampling_rate, 1, n, n)
    _check_int("sequence_stride", sequence_stride, 1, n, n)
    _check_int("sequence_length", sequence_length, 1)
    if batch_size is not None:
        _check_int("batch_size", batch_size, 1)
    start = 0 if start_index is None else int(start_index)
    end = n if end_index is None else int(end_index)
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = int(np.random.default_rng().integers(1_000_000))
        np.random.RandomState(seed).shuffle(starts)
    series = data[start:end]
    target_series = None if targets is None else targets[start:end]
    offsets = np.arange(sequence_length, dtype=np.int64) * sampling_rate

    def window(position):
        p = int(position)
        rows = series[p + offsets]
        return rows if target_series is None else (rows, target_series[p])

    ds = Dataset.from_tensor_slices(starts).map(window)
    if batch_size is not None:
        if shuffle:
            ds = ds.shuffle(buffer_size=batch_size * 8, seed=seed)
        ds = ds.batch(batch_size)
    elif shuffle:
        ds = ds.shuffle(buffer_size=1024, seed=seed)
    return ds
