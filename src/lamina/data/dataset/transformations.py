"""Element-wise transformations: ``map``, ``filter``, ``take``, ``skip``, ``repeat``, ``zip``,
``concatenate``, with tf.data's cardinality rules."""

from __future__ import annotations

import itertools

import numpy as np

from lamina.autodiff.tensor import Tensor
from lamina.data.dataset import structure
from lamina.data.dataset.base import Dataset
from lamina.data.dataset.functions import UserFunction, describe_function, peeking
from lamina.data.dataset.specs import INFINITE, UNKNOWN, TensorSpec, merge_specs, spec_of

__all__ = ["ConcatenateDataset", "FilterDataset", "MapDataset", "RepeatDataset", "SkipDataset",
           "TakeDataset", "ZipDataset", "closing"]


class closing:
    """``for x in closing(iterator)``: the iterator (a generator) is closed when the loop ends,
    however it ends, so that upstream prefetch threads and cache writers stop at once."""

    __slots__ = ("it",)

    def __init__(self, iterable):
        self.it = iter(iterable)

    def __enter__(self):
        return self.it

    def __exit__(self, *exc):
        close = getattr(self.it, "close", None)
        if close is not None:
            close()
        return False


def first_element(dataset):
    """The first element of ``dataset`` (``None`` if it is empty); the pass is closed after.

    This pass draws no shuffle order, so looking at ``element_spec`` leaves the orders of
    the real passes as they were.
    """
    with peeking(), closing(dataset) as it:
        return next(it, None)


def _what(fn, index):
    return f"What {describe_function(fn)} returned for element {index}"


class MapDataset(Dataset):
    """``map_func`` applied to every element."""

    def __init__(self, input_dataset, map_func):
        self._input = input_dataset
        self._fn = UserFunction(map_func, "map")

    def _iterate(self):
        call, fast, convert = self._fn.caller(), structure.as_element, structure.to_element
        with closing(self._input) as it:
            for index, element in enumerate(it):
                out = call(element, index)
                element = fast(out)
                yield convert(out, "tuples", _what(self._fn.fn, index)) if element is None \
                    else element

    def _cardinality(self):
        return self._input._cardinality()

    def _spec(self):
        first = first_element(self._input)
        if first is None:
            raise ValueError(
                "The element_spec of this map is unknown: its input dataset is empty, so the "
                "function never ran."
            )
        out = structure.to_element(self._fn(first, 0), "tuples", _what(self._fn.fn, 0))
        spec = spec_of(out)
        # A function applied to batches keeps the batch axis, whose size varies.
        in_leaves = structure.flatten(self._input.element_spec)
        if in_leaves and all(s.shape and s.shape[0] is None for s in in_leaves):
            batch = np.shape(structure.flatten(first)[0])[0]
            leaves, definition = structure.flatten_with_def(spec)
            spec = structure.pack(definition, [
                TensorSpec((None,) + s.shape[1:], s.dtype) if s.shape and s.shape[0] == batch
                else s for s in leaves])
        return spec


class FilterDataset(Dataset):
    """The elements for which ``predicate`` returns True."""

    def __init__(self, input_dataset, predicate):
        self._input = input_dataset
        self._fn = UserFunction(predicate, "filter")

    def _iterate(self):
        call = self._fn.caller()
        with closing(self._input) as it:
            for index, element in enumerate(it):
                keep = call(element, index)
                if type(keep) is np.bool_ or type(keep) is bool:
                    if keep:
                        yield element
                elif self._truth(keep, index):
                    yield element

    def _truth(self, keep, index):
        value = keep.numpy() if isinstance(keep, Tensor) else keep
        if isinstance(value, (bool, np.bool_)) or (
                isinstance(value, np.ndarray) and value.dtype == np.bool_ and value.size == 1
                and value.ndim <= 1):
            return bool(value)
        kind = f"{np.asarray(value).dtype.name} of shape {np.shape(value)}"
        raise TypeError(
            f"Dataset.filter: {describe_function(self._fn.fn)} must return a scalar boolean "
            f"(True/False), as tf.data requires; for element {index} it returned {kind}. "
            "Compare explicitly, e.g. `lambda x, y: y == 1`."
        )

    def _cardinality(self):
        return UNKNOWN

    def _spec(self):
        return self._input.element_spec


class TakeDataset(Dataset):
    """The first ``count`` elements (-1: all)."""

    def __init__(self, input_dataset, count):
        self._input, self._count = input_dataset, count

    def _iterate(self):
        if self._count == 0:
            return
        with closing(self._input) as it:
            yield from (it if self._count < 0 else itertools.islice(it, self._count))

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == UNKNOWN:
            return UNKNOWN
        return self._count if n == INFINITE else min(n, self._count)

    def _spec(self):
        return self._input.element_spec


class SkipDataset(Dataset):
    """All but the first ``count`` elements (-1: none)."""

    def __init__(self, input_dataset, count):
        self._input, self._count = input_dataset, count

    def _iterate(self):
        with closing(self._input) as it:
            if self._count < 0:
                for _ in it:
                    pass
                return
            for _ in itertools.islice(it, self._count):
                pass
            yield from it

    def _cardinality(self):
        n = self._input._cardinality()
        if n in (INFINITE, UNKNOWN):
            return n
        return 0 if self._count < 0 else max(n - self._count, 0)

    def _spec(self):
        return self._input.element_spec


class RepeatDataset(Dataset):
    """The input ``count`` times over (-1: forever; an empty input stays empty)."""

    def __init__(self, input_dataset, count):
        self._input, self._count = input_dataset, count

    def _iterate(self):
        passes = itertools.count() if self._count < 0 else range(self._count)
        for _ in passes:
            produced = False
            with closing(self._input) as it:
                for element in it:
                    produced = True
                    yield element
            if not produced:
                return

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count == 0 or n == 0:
            return 0
        if self._count < 0:
            return INFINITE
        return n if n in (INFINITE, UNKNOWN) else n * self._count

    def _spec(self):
        return self._input.element_spec


class ZipDataset(Dataset):
    """Tuples (or dicts) of the elements of several datasets, as long as the shortest."""

    def __init__(self, datasets):
        self._def, self._inputs = self._flatten(datasets)

    @staticmethod
    def _flatten(datasets):
        if isinstance(datasets, Dataset):
            return structure.LEAF, [datasets]
        if isinstance(datasets, (tuple, list)) and datasets:
            parts = [ZipDataset._flatten(d) for d in datasets]
            return (tuple, tuple(p[0] for p in parts)), [d for p in parts for d in p[1]]
        if isinstance(datasets, dict) and datasets:
            keys = tuple(sorted(datasets))
            parts = [ZipDataset._flatten(datasets[k]) for k in keys]
            return (dict, keys, tuple(p[0] for p in parts)), [d for p in parts for d in p[1]]
        raise TypeError(
            "Dataset.zip takes datasets, or a (nested) tuple or dict of datasets; got "
            f"{type(datasets).__name__} {datasets!r}."
        )

    def _iterate(self):
        definition = self._def
        iterators = [iter(d) for d in self._inputs]
        try:
            for items in zip(*iterators):
                yield structure.pack(definition, items)
        finally:
            for it in iterators:
                close = getattr(it, "close", None)
                if close is not None:
                    close()

    def _cardinality(self):
        result = INFINITE
        for d in self._inputs:
            n = d._cardinality()
            if n == UNKNOWN:
                return UNKNOWN
            if n != INFINITE:
                result = n if result == INFINITE else min(result, n)
        return result

    def _spec(self):
        return structure.pack(self._def, [d.element_spec for d in self._inputs])


class ConcatenateDataset(Dataset):
    """The elements of one dataset, then those of another with the same structure and dtypes."""

    def __init__(self, input_dataset, dataset_to_concatenate):
        if not isinstance(dataset_to_concatenate, Dataset):
            raise TypeError(f"Dataset.concatenate takes a Dataset; got "
                            f"{type(dataset_to_concatenate).__name__}.")
        self._input, self._other = input_dataset, dataset_to_concatenate

    def _iterate(self):
        first = None
        index = 0
        with closing(self._input) as it:
            for element in it:
                if first is None:
                    first = element
                index += 1
                yield element
        with closing(self._other) as it:
            for element in it:
                if first is not None:
                    self._check(first, element, index)
                    first = None
                yield element

    @staticmethod
    def _check(first, element, index):
        a, def_a = structure.flatten_with_def(first)
        b, def_b = structure.flatten_with_def(element)
        if def_a != def_b or any(x.dtype != y.dtype and not (x.dtype.kind == y.dtype.kind and
                                                             x.dtype.kind in "US")
                                 for x, y in zip(a, b)):
            raise TypeError(
                f"Dataset.concatenate: element {index} (the first of the dataset given to "
                f"concatenate) is {structure.describe(element)}, but the elements before it "
                f"are {structure.describe(first)}; the two datasets need the same structure "
                "and dtypes (shapes may differ)."
            )

    def _cardinality(self):
        a, b = self._input._cardinality(), self._other._cardinality()
        if INFINITE in (a, b):
            return INFINITE
        if UNKNOWN in (a, b):
            return UNKNOWN
        return a + b

    def _spec(self):
        return merge_specs(self._input.element_spec, self._other.element_spec,
                           "Dataset.concatenate")
