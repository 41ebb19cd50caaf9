"""``batch``, ``padded_batch`` and ``unbatch``: elements stacked per leaf, and split again.

A batch stacks each leaf of ``batch_size`` consecutive elements along a new
first axis. Elements of one batch need the same structure, shapes and dtypes;
when they do not, the error names the element (its index in the input) and
the first element of its batch. ``padded_batch`` pads each leaf to the
``padded_shapes`` (a ``None``/-1 dimension: the largest in the batch).
"""

from __future__ import annotations

import numpy as np

from lamina.data.dataset import structure
from lamina.data.dataset.base import Dataset
from lamina.data.dataset.sources import TensorSliceDataset
from lamina.data.dataset.specs import INFINITE, UNKNOWN, TensorSpec
from lamina.data.dataset.transformations import closing

__all__ = ["BatchDataset", "PaddedBatchDataset", "UnbatchDataset"]

_LEAF = structure.LEAF
_LEAF_TYPES = (np.ndarray, np.generic)


def _same_dtype(a, b) -> bool:
    return a == b or (a.kind == b.kind and a.kind in "US")  # strings of different lengths


def _check_pair(method, first, element, first_index, index, same_shape=True):
    """Raise if ``element`` cannot go in a batch with ``first``; the message names both."""
    a, def_a = structure.flatten_with_def(first)
    b, def_b = structure.flatten_with_def(element)
    where = f"element {index}"
    ref = f"element {first_index} (the first of its batch)"
    if def_a != def_b:
        raise ValueError(
            f"Dataset.{method}: {where} has the structure {structure.describe(element)}, but "
            f"{ref} has {structure.describe(first)}; the elements of a batch need the same "
            "structure. Check the function given to map or the generator."
        )
    for path, x, y in zip(structure.paths(def_a), a, b):
        component = f"component {path} of " if path else ""
        if not _same_dtype(x.dtype, y.dtype):
            raise TypeError(
                f"Dataset.{method}: {component}{where} has dtype {y.dtype.name}, but "
                f"{component}{ref} has {x.dtype.name}; cast them to one dtype in map."
            )
        if same_shape and np.shape(x) != np.shape(y):
            raise ValueError(
                f"Dataset.{method}: {component}{where} has shape {np.shape(y)}, but "
                f"{component}{ref} has shape {np.shape(x)}; batch stacks elements of equal "
                "shapes. Use padded_batch(batch_size) to pad them to the largest shape of each "
                "batch (or padded_shapes=... to choose the shape)."
            )
        if not same_shape and np.ndim(x) != np.ndim(y):
            raise ValueError(
                f"Dataset.{method}: {component}{where} has shape {np.shape(y)}, but "
                f"{component}{ref} has shape {np.shape(x)}; padding needs the same rank."
            )


def _columns(method, elements, start, same_shape=True):
    """The leaves of ``elements`` gathered per component, and the batch's treedef."""
    leaves0, def0 = structure.flatten_with_def(elements[0])
    n = len(leaves0)
    if def0 == _LEAF and all(isinstance(e, _LEAF_TYPES) for e in elements):
        return [elements], def0, leaves0
    if def0 == (tuple, (_LEAF,) * n) and all(type(e) is tuple and len(e) == n for e in elements):
        return list(zip(*elements)), def0, leaves0
    cols = [[] for _ in range(n)]
    for k, element in enumerate(elements):
        leaves, definition = structure.flatten_with_def(element)
        if definition != def0:
            _check_pair(method, elements[0], element, start, start + k, same_shape)
        for col, leaf in zip(cols, leaves):
            col.append(leaf)
    return cols, def0, leaves0


def stack(elements, start, method="batch"):
    """One batch: each leaf of ``elements`` stacked along a new first axis."""
    cols, definition, leaves0 = _columns(method, elements, start)
    out = []
    for col, x0 in zip(cols, leaves0):
        try:
            arr = np.array(col)  # (stacks like np.stack, and is faster for many small leaves)
        except (ValueError, TypeError):
            arr = None
        if arr is None or arr.shape[1:] != np.shape(x0) or not _same_dtype(arr.dtype, x0.dtype):
            for k in range(1, len(elements)):
                _check_pair(method, elements[0], elements[k], start, start + k)
            if arr is None:
                raise ValueError(f"Dataset.{method}: the elements from {start} cannot be stacked.")
        out.append(arr)
    return structure.pack(definition, out)


class BatchDataset(Dataset):
    """Consecutive elements stacked into batches."""

    def __init__(self, input_dataset, batch_size, drop_remainder):
        self._input, self._size, self._drop = input_dataset, batch_size, drop_remainder

    def _iterate(self):
        size = self._size
        if isinstance(self._input, TensorSliceDataset):  # rows are slices: no per-row work
            n = self._input._cardinality()
            stop = n - n % size if self._drop else n
            for lo in range(0, stop, size):
                yield self._input.rows(slice(lo, lo + size), copy=True)
            return
        buffer, start = [], 0
        with closing(self._input) as it:
            for element in it:
                buffer.append(element)
                if len(buffer) == size:
                    yield stack(buffer, start)
                    buffer, start = [], start + size
        if buffer and not self._drop:
            yield stack(buffer, start)

    def _cardinality(self):
        n = self._input._cardinality()
        if n in (INFINITE, UNKNOWN):
            return n
        return n // self._size if self._drop else -(-n // self._size)

    def _spec(self):
        lead = self._size if self._drop else None
        leaves, definition = structure.flatten_with_def(self._input.element_spec)
        return structure.pack(definition, [
            TensorSpec(None if s.shape is None else (lead,) + s.shape, s.dtype) for s in leaves])


class PaddedBatchDataset(Dataset):
    """Batches whose elements are padded to common shapes."""

    def __init__(self, input_dataset, batch_size, padded_shapes, padding_values, drop_remainder):
        self._input, self._size, self._drop = input_dataset, batch_size, drop_remainder
        self._padded_shapes, self._padding_values = padded_shapes, padding_values

    def _targets(self, definition, leaves):
        """The padded shape (``None`` per free dimension) and padding value of each leaf."""
        count = len(leaves)
        if self._padded_shapes is None:
            shapes = [(None,) * np.ndim(x) for x in leaves]
        else:
            shapes = [TensorSpec(s).shape for s in structure.flatten_up_to(
                definition, self._padded_shapes, "padded_shapes")]
        values = self._padding_values
        if values is None or not isinstance(values, (tuple, list, dict)):
            values = [values] * count
        else:
            values = structure.flatten_up_to(definition, values, "padding_values")
        pads = []
        for x, value in zip(leaves, values):
            dtype = x.dtype
            if value is None:
                value = "" if dtype.kind == "U" else b"" if dtype.kind == "S" else 0
            pads.append(np.asarray(value).astype(dtype) if dtype.kind not in "US" else value)
        return shapes, pads

    def _pad(self, elements, start):
        cols, definition, leaves0 = _columns("padded_batch", elements, start, same_shape=False)
        shapes, pads = self._targets(definition, leaves0)
        out = []
        for col, x0, shape, pad, path in zip(cols, leaves0, shapes, pads,
                                              structure.paths(definition)):
            component = f"component {path} of " if path else ""
            for k, x in enumerate(col):
                if np.ndim(x) != np.ndim(x0) or not _same_dtype(x.dtype, x0.dtype):
                    _check_pair("padded_batch", elements[0], elements[k], start, start + k,
                                same_shape=False)
            if np.ndim(x0) != len(shape):
                raise ValueError(
                    f"Dataset.padded_batch: the padded shape {shape} of {component}the "
                    f"elements has rank {len(shape)}, but element {start} has shape "
                    f"{np.shape(x0)}; give one size (or None) per dimension.")
            sizes = np.array([np.shape(x) for x in col], dtype=np.int64).reshape(len(col), -1)
            largest = sizes.max(axis=0)
            target = tuple(int(m) if d is None else d for d, m in zip(shape, largest))
            too_big = np.nonzero((sizes > np.array(target, dtype=np.int64)).any(axis=1))[0]
            if len(too_big):
                k = int(too_big[0])
                raise ValueError(
                    f"Dataset.padded_batch: {component}element {start + k} has shape "
                    f"{np.shape(col[k])}, larger than the padded shape {target}; give "
                    "padded_shapes at least that large (or None/-1 for the largest of each "
                    "batch).")
            dtype = np.result_type(*[x.dtype for x in col]) if x0.dtype.kind in "US" \
                else x0.dtype
            batch = np.full((len(col),) + target, pad, dtype=dtype)
            for k, x in enumerate(col):
                batch[(k,) + tuple(slice(0, n) for n in np.shape(x))] = x
            out.append(batch)
        return structure.pack(definition, out)

    def _iterate(self):
        size = self._size
        buffer, start = [], 0
        with closing(self._input) as it:
            for element in it:
                buffer.append(element)
                if len(buffer) == size:
                    yield self._pad(buffer, start)
                    buffer, start = [], start + size
        if buffer and not self._drop:
            yield self._pad(buffer, start)

    def _cardinality(self):
        return BatchDataset._cardinality(self)

    def _spec(self):
        lead = self._size if self._drop else None
        leaves, definition = structure.flatten_with_def(self._input.element_spec)
        if self._padded_shapes is None:
            shapes = [s.shape for s in leaves]
        else:
            shapes = [TensorSpec(s).shape for s in structure.flatten_up_to(
                definition, self._padded_shapes, "padded_shapes")]
        return structure.pack(definition, [
            TensorSpec(None if shape is None else (lead,) + shape, s.dtype)
            for s, shape in zip(leaves, shapes)])


class UnbatchDataset(Dataset):
    """The rows of each element (every leaf split along its first axis)."""

    def __init__(self, input_dataset):
        self._input = input_dataset

    def _iterate(self):
        with closing(self._input) as it:
            for index, element in enumerate(it):
                leaves, definition = structure.flatten_with_def(element)
                self._check(leaves, definition, index)
                if definition == _LEAF:
                    yield from leaves[0]
                elif definition == (tuple, (_LEAF,) * len(leaves)):
                    yield from zip(*leaves)
                else:
                    for row in zip(*leaves):
                        yield structure.pack(definition, row)

    @staticmethod
    def _check(leaves, definition, index):
        shapes = [np.shape(x) for x in leaves]
        if any(len(s) == 0 for s in shapes):
            raise ValueError(
                f"Dataset.unbatch: element {index} has a scalar component ({shapes}); unbatch "
                "splits every component along its first axis, so each needs one."
            )
        if len({s[0] for s in shapes}) > 1:
            listed = ", ".join(f"{p or 'the value'} {s}" for p, s in
                               zip(structure.paths(definition), shapes))
            raise ValueError(
                f"Dataset.unbatch: the components of element {index} have different first "
                f"dimensions ({listed}); unbatch needs one size along the first axis."
            )

    def _cardinality(self):
        n = self._input._cardinality()
        if n in (INFINITE, UNKNOWN):
            return n
        try:
            leads = {s.shape[0] if s.shape else None
                     for s in structure.flatten(self._input.element_spec)}
        except Exception:  # noqa: BLE001 - an unknown spec: an unknown count
            return UNKNOWN
        lead = leads.pop() if len(leads) == 1 else None
        return UNKNOWN if lead is None else n * lead

    def _spec(self):
        leaves, definition = structure.flatten_with_def(self._input.element_spec)
        if any(s.shape == () for s in leaves):
            raise ValueError("Dataset.unbatch: the elements have scalar components; unbatch "
                             "needs a first axis in each.")
        return structure.pack(definition, [
            TensorSpec(None if s.shape is None else s.shape[1:], s.dtype) for s in leaves])
