"""User data for ``fit``/``evaluate``/``predict``: arrays, lists, pandas, generators, ``PyDataset``.

``as_arrays`` turns one argument into NumPy with errors that name the
problem. ``ArrayData`` holds in-memory ``(x, y, sample_weight)`` and yields
batches, shuffling once per epoch with lamina's seeded generator (so batches
are contiguous slices). ``StreamData`` wraps generators and ``PyDataset``;
``dataset_data.DatasetData`` wraps a ``lamina.data.Dataset`` (tf.data's pipelines).
"""

from __future__ import annotations

import math

import numpy as np

from lamina import random as _random
from lamina import tree
from lamina.autodiff.tensor import Tensor
from lamina.trainers import data_checks
from lamina.utils.packing import pack_x_y_sample_weight, unpack_x_y_sample_weight

__all__ = ["ArrayData", "StreamData", "as_arrays", "check_samples", "make_data", "split_validation", "take", "unpack"]


def _frame_to_array(df, name):
    bad = []
    for col, dtype in df.dtypes.items():
        try:
            kind = np.dtype(dtype).kind
        except TypeError:  # pandas extension dtypes (category, string, ...)
            kind = "O"
        if kind not in "fiub":
            bad.append((col, str(dtype)))
    if bad:
        cols = ", ".join(f"'{c}' ({d})" for c, d in bad)
        raise TypeError(
            f"The '{name}' DataFrame has non-numeric columns: {cols}. Encode them as numbers "
            "(e.g. `pd.get_dummies(df, columns=[...])` for categories), convert them with "
            "`df[col].astype('float32')`, or drop them."
        )
    return df.to_numpy()


def as_arrays(data, name="x", text_ok=False):
    """``data`` as a NumPy array (a list of arrays for several inputs).

    ``text_ok``: the model has a string ``Input``, so text arrays pass (as ``str`` arrays)."""
    if isinstance(data, Tensor):
        return data.value
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "SU" or (text_ok and data.dtype == object and data.size and all(
                isinstance(v, (str, bytes)) for v in data.reshape(-1)[:64])):
            if text_ok:
                return data.astype(str) if data.dtype.kind != "U" else data
            raise data_checks.text_error(name, data)
        if data.dtype == object:
            raise TypeError(
                f"'{name}' is an array of Python objects (dtype object); it must be numeric. "
                "Check for text or missing values, then use `x.astype('float32')`."
            )
        return data
    if hasattr(data, "to_numpy") and hasattr(data, "dtypes") and hasattr(data, "columns"):
        return _frame_to_array(data, name)
    if hasattr(data, "to_numpy"):  # pandas Series
        arr = data.to_numpy()
        if arr.dtype == object or arr.dtype.kind not in "fiub":
            raise TypeError(
                f"The '{name}' Series has dtype {data.dtype}; it must be numeric. Convert it "
                "first, e.g. `series.astype('float32')` or `series.cat.codes` for categories."
            )
        return arr
    if isinstance(data, dict):
        # Named inputs (or targets, or sample weights): one array per name, as in Keras.
        if not data:
            raise ValueError(f"'{name}' is an empty dict.")
        return {key: as_arrays(value, f"{name}[{key!r}]", text_ok)
                for key, value in data.items()}
    if isinstance(data, (list, tuple)) and data and all(
        isinstance(d, (np.ndarray, Tensor)) or hasattr(d, "to_numpy") for d in data
    ):
        # A list of arrays is several inputs, as in Keras.
        return [as_arrays(d, name, text_ok) for d in data]
    try:
        arr = np.asarray(data)
    except ValueError:  # NumPy's "inhomogeneous shape": a ragged list of sequences
        if isinstance(data, (list, tuple)):
            raise data_checks.ragged_error(name, data) from None
        raise
    if arr.dtype.kind in "SU":
        if text_ok:
            return arr.astype(str) if arr.dtype.kind != "U" else arr
        raise data_checks.text_error(name, arr)
    if arr.dtype == object:
        if isinstance(data, (list, tuple)) and len({len(d) for d in data if hasattr(d, "__len__")}) > 1:
            raise data_checks.ragged_error(name, data)
        raise TypeError(
            f"'{name}' could not be turned into a numeric array (rows of different lengths, "
            "or text values). Check the data, then pass `np.asarray(x, dtype='float32')`."
        )
    return arr


def _length(a) -> int:
    return len(tree.flatten(a)[0]) if tree.is_nested(a) else len(a)


def _take(a, index):
    if isinstance(a, dict):
        return {key: _take(part, index) for key, part in a.items()}
    if isinstance(a, list):
        return [_take(part, index) for part in a]
    return a[index]


def split_validation(x, y, sw, validation_split: float):
    """Keras's rule: the last ``validation_split`` fraction of rows, before any shuffling."""
    n = _length(x)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves no rows for "
            f"{'training' if split_at == 0 else 'validation'} with {n} samples. Use a "
            "fraction that leaves at least one row on each side, or pass validation_data."
        )
    train = (_take(x, slice(0, split_at)), None if y is None else _take(y, slice(0, split_at)),
             None if sw is None else _take(sw, slice(0, split_at)))
    val = (_take(x, slice(split_at, n)), None if y is None else _take(y, slice(split_at, n)),
           None if sw is None else _take(sw, slice(split_at, n)))
    return train, val, split_at


class ArrayData:
    """In-memory data, batched in order or shuffled once per epoch."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False,
                 steps=None):
        self.x = x
        self.y = y
        self.sample_weight = sample_weight
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.n = _length(x)
        full = int(math.ceil(self.n / self.batch_size)) if self.n else 0
        self.steps = full if steps is None else min(int(steps), full) if steps else full
        self._epoch_arrays = None

    def first_batch(self):
        return _take(self.x, slice(0, min(self.batch_size, self.n)))

    def epoch_order(self):
        """This epoch's order of the rows (a permutation), or ``None`` when not shuffling."""
        if self.shuffle and self.n > 1:
            return _random.global_generator().permutation(self.n)
        return None

    def epoch_arrays(self, order=False, x=True):
        """``(x, y, sample_weight)`` for one epoch: shuffled copies, or the arrays themselves.

        ``order``: the permutation ``epoch_order()`` gave, when the caller drew it
        (``None``: not shuffled); by default it is drawn here. ``x=False``: the
        caller gathers x itself (``None`` in its place). The shuffled copies are
        made into the same arrays every epoch (one copy of the data in memory, and
        no fresh allocation of its size per epoch).
        """
        perm = self.epoch_order() if order is False else order
        xs = self.x if x else None
        if perm is not None:
            if self._epoch_arrays is None:
                self._epoch_arrays = {}
            return (None if xs is None else self._gather("x", xs, perm),
                    None if self.y is None else self._gather("y", self.y, perm),
                    None if self.sample_weight is None else
                    self._gather("sw", self.sample_weight, perm))
        return xs, self.y, self.sample_weight

    def _gather(self, name, a, perm):
        if isinstance(a, dict):
            return {k: self._gather(f"{name}.{k}", part, perm) for k, part in a.items()}
        if isinstance(a, list):
            return [self._gather(f"{name}{i}", part, perm) for i, part in enumerate(a)]
        if not isinstance(a, np.ndarray):
            return a[perm]
        buf = self._epoch_arrays.get(name)
        if buf is None or buf.shape != a.shape or buf.dtype != a.dtype:
            buf = self._epoch_arrays[name] = np.empty_like(a)
        return np.take(a, perm, axis=0, out=buf, mode="clip")  # (clip: no temporary copy)

    def batches(self):
        """Yield ``(x, y, sample_weight)`` batches for one epoch."""
        x, y, sw = self.epoch_arrays()
        bs = self.batch_size
        for i in range(self.steps):
            s = slice(i * bs, (i + 1) * bs)
            yield pack(_take(x, s), None if y is None else _take(y, s),
                       None if sw is None else _take(sw, s))


def unpack(item):
    """``(x, y, sample_weight)`` from a batch given as x, (x,), (x, y) or (x, y, sample_weight)."""
    return unpack_x_y_sample_weight(item)


def pack(x, y=None, sample_weight=None):
    """A batch as ``train_step`` receives it: x, (x, y) or (x, y, sample_weight), as in Keras."""
    return pack_x_y_sample_weight(x, y, sample_weight)


class StreamData:
    """Batches from a Python generator/iterator or a ``PyDataset`` (``__len__``/``__getitem__``)."""

    def __init__(self, source, steps=None):
        self.source = source
        self.is_dataset = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        self.steps = int(steps) if steps else (len(source) if self.is_dataset else None)
        self._iterator = None if self.is_dataset else iter(source)
        self._peeked = None
        self.shuffle = False

    def first_batch(self):
        if self.is_dataset:
            return unpack(self.source[0])[0]
        if self._peeked is None:
            try:
                self._peeked = next(self._iterator)
            except StopIteration:
                raise ValueError("The generator passed to fit/evaluate yielded no batches.") from None
        return unpack(self._peeked)[0]

    def batches(self):
        if self.is_dataset:
            if hasattr(self.source, "on_epoch_begin"):
                self.source.on_epoch_begin()
            for i in range(self.steps):
                x, y, sw = unpack(self.source[i])
                yield pack(as_arrays(x, "x"), None if y is None else as_arrays(y, "y"), sw)
            if hasattr(self.source, "on_epoch_end"):
                self.source.on_epoch_end()
            return
        count = 0
        while self.steps is None or count < self.steps:
            if self._peeked is not None:
                item, self._peeked = self._peeked, None
            else:
                try:
                    item = next(self._iterator)
                except StopIteration:
                    return
            x, y, sw = unpack(item)
            yield pack(as_arrays(x, "x"), None if y is None else as_arrays(y, "y"), sw)
            count += 1


class ClassWeighted:
    """A stream whose batches get sample weights from their labels (``class_weight``)."""

    def __init__(self, data, weights_for):
        self.data = data
        self.weights_for = weights_for

    def __getattr__(self, name):
        return getattr(self.data, name)

    def batches(self):
        for batch in self.data.batches():
            x, y, sw = unpack(batch)
            if y is None:
                raise ValueError("class_weight needs labels: the batches must hold (x, y).")
            yield pack(x, y, self.weights_for(np.asarray(as_arrays(y, "y")), sw))


def is_stream(x) -> bool:
    """True for generators, iterators and PyDataset-like objects (not arrays or frames)."""
    if isinstance(x, (np.ndarray, Tensor, list, tuple, dict)) or hasattr(x, "to_numpy"):
        return False
    return hasattr(x, "__next__") or hasattr(x, "__iter__") or (
        hasattr(x, "__getitem__") and hasattr(x, "__len__"))


def as_sample_weight(sample_weight, dtype=None):
    """``sample_weight`` as an array; one column, ``(n, 1)``, becomes ``(n,)`` as Keras squeezes it."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, dict):  # one weight array per output, keyed by its name
        return {k: as_sample_weight(w, dtype) for k, w in sample_weight.items()}
    if isinstance(sample_weight, (list, tuple)) and sample_weight and all(
            isinstance(w, np.ndarray) and w.ndim >= 1 for w in sample_weight):
        return [as_sample_weight(w, dtype) for w in sample_weight]  # one per output
    sw = as_arrays(sample_weight, "sample_weight")
    if isinstance(sw, np.ndarray) and sw.dtype.kind not in "fiub":
        raise TypeError(f"'sample_weight' must hold numbers; got an array of dtype {sw.dtype}.")
    sw = np.asarray(sw, dtype=dtype)
    if sw.ndim == 2 and sw.shape[1] == 1:
        sw = sw.reshape(-1)
    data_checks.check_sample_weight(sw)
    return sw


def check_samples(x, y, sample_weight=None) -> None:
    """Raise if ``y`` or ``sample_weight`` do not have one entry per row of ``x``."""
    n = _length(x)
    if y is not None and _length(y) != n:
        raise ValueError(
            f"x and y have different numbers of samples: x has {n} rows, y has "
            f"{_length(y)}. Each sample needs exactly one label; check how you split them."
        )
    if sample_weight is not None and _length(sample_weight) != n:
        raise ValueError(
            f"sample_weight has {len(sample_weight)} entries but x has {n} rows; give one "
            "weight per sample."
        )


def take(a, index):
    """Rows ``index`` of an array, or of each array of a list (several inputs)."""
    return _take(a, index)


def make_data(x, y, sample_weight, batch_size, shuffle, steps, text_ok=False):
    """``ArrayData``, ``StreamData`` or ``DatasetData`` for the arguments of fit/evaluate."""
    from lamina.trainers import dataset_data

    if dataset_data.is_dataset(x):  # a lamina.data.Dataset (tf.data.Dataset under lamina run)
        return dataset_data.DatasetData(x, y, sample_weight, batch_size, steps)
    if is_stream(x):
        if y is not None:
            raise ValueError(
                "When x is a generator or PyDataset it must yield the labels too: pass y=None "
                "and yield (x, y) batches."
            )
        return StreamData(x, steps)
    xa = as_arrays(x, "x", text_ok)
    ya = None if y is None else as_arrays(y, "y")
    sw = as_sample_weight(sample_weight)
    check_samples(xa, ya, sw)
    return ArrayData(xa, ya, sw, batch_size=batch_size, shuffle=shuffle, steps=steps)
