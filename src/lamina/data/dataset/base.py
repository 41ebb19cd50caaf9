"""``Dataset``: a tf.data-style pipeline of NumPy elements, iterated lazily.

Each transformation returns a new ``Dataset`` that holds its input and its
arguments; nothing is computed until the dataset is iterated. Every ``for``
loop (``iter(ds)``) starts a fresh pass through the pipeline, which is how
``fit`` gets one epoch after another and why a shuffle draws a new order for
each. The subclasses live in ``sources.py``, ``transformations.py``,
``batching.py`` and ``buffering.py``; each implements ``_iterate`` (a
generator of elements), ``_cardinality`` and ``_spec``.
"""

from __future__ import annotations

import numpy as np

from lamina.data.dataset.specs import INFINITE, UNKNOWN, Cardinality

__all__ = ["Dataset"]

# tf.data methods lamina does not provide, with the way to do the same where there is one.
_MISSING = {
    "interleave": "use from_generator over the sources, or concatenate them",
    "flat_map": "use map(...).unbatch() when each element becomes a batch of elements",
    "window": "use batch(size) (windows of consecutive elements, not overlapping)",
    "with_options": "lamina's pipelines have no options; drop the call",
    "options": "lamina's pipelines have no options",
    "rebatch": "use unbatch().batch(new_size)",
    "group_by_window": None, "bucket_by_sequence_length": "use padded_batch",
    "snapshot": "use cache(filename)", "save": "use cache(filename)", "load": None,
    "sample_from_datasets": None, "choose_from_datasets": None, "scan": None,
    "ignore_errors": None, "get_single_element": "use next(iter(dataset))", "unique": None,
    "random": None, "sparse_batch": None, "ragged_batch": "use padded_batch",
    "list_files": "list the files with os.listdir or glob and use from_tensor_slices",
    "counter": "use Dataset.range(start, 2**62)",
    "shard": "use enumerate().filter(lambda i, x: i % num_shards == index)",
}


def _positive(value, name, method, allow_minus_one=False, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        try:
            value = int(np.asarray(value))  # a 0-d array or tensor
        except (TypeError, ValueError):
            raise TypeError(
                f"The '{name}' argument of Dataset.{method} must be an integer. Got {value!r}."
            ) from None
    value = int(value)
    if value > 0 or (allow_zero and value == 0) or (allow_minus_one and value == -1):
        return value
    allowed = "a positive integer" + (" or 0" if allow_zero else "") + (
        " (or -1 for all)" if allow_minus_one else "")
    raise ValueError(f"The '{name}' argument of Dataset.{method} must be {allowed}. Got {value}.")


class Dataset:
    """A pipeline of elements, in the style of ``tf.data.Dataset``, on NumPy.

    Build one with ``Dataset.from_tensor_slices``, ``from_tensors``,
    ``from_generator``, ``range`` or ``zip``, then chain transformations
    (``map``, ``filter``, ``shuffle``, ``batch``, ``padded_batch``,
    ``unbatch``, ``repeat``, ``take``, ``skip``, ``concatenate``, ``cache``,
    ``prefetch``). Iterating yields elements: NumPy arrays (NumPy scalars for
    rank 0) nested in tuples and dicts. Pass a batched dataset of ``(x, y)``
    (or ``(x, y, sample_weight)``) elements to ``fit``, ``evaluate`` and
    ``predict``.

    Example:
        >>> import numpy as np
        >>> from lamina.data import Dataset
        >>> ds = Dataset.from_tensor_slices((np.arange(6.0), np.arange(6) % 2))
        >>> ds = ds.map(lambda x, y: (x * 10, y)).batch(4)
        >>> [x.tolist() for x, y in ds]
        [[0.0, 10.0, 20.0, 30.0], [40.0, 50.0]]
        >>> int(ds.cardinality()), len(ds)
        (2, 2)
    """

    _spec_cache = None

    # -- what subclasses implement -------------------------------------------------------
    def _iterate(self):
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN

    def _spec(self):
        raise NotImplementedError

    # -- iteration ---------------------------------------------------------------------------
    def __iter__(self):
        """A fresh pass over the elements (a new shuffle order, a new generator call)."""
        return self._iterate()

    def as_numpy_iterator(self):
        """An iterator over the elements as NumPy values (what iterating gives in lamina)."""
        return self._iterate()

    def __bool__(self):
        return True  # as tf.data (and not ``len(ds) > 0``, which fails for endless data)

    def __len__(self) -> int:
        """The number of elements; ``TypeError`` when infinite or unknown, as in tf.data."""
        n = self._cardinality()
        if n == INFINITE:
            raise TypeError("The dataset is infinite (it repeats forever), so it has no length.")
        if n == UNKNOWN:
            raise TypeError(
                "The dataset length is unknown (filter or from_generator decide it while "
                "iterating); count the elements by iterating, or use cardinality()."
            )
        return n

    def cardinality(self) -> Cardinality:
        """The number of elements, or ``INFINITE`` (-1) / ``UNKNOWN`` (-2), as tf.data counts."""
        return Cardinality(self._cardinality())

    @property
    def element_spec(self):
        """The elements' structure with a ``TensorSpec`` per component.

        Datasets that run a function (``map``) learn it from the first element,
        which is computed once for that.
        """
        if self._spec_cache is None:
            self._spec_cache = self._spec()
        return self._spec_cache

    def __repr__(self):
        try:
            spec = repr(self.element_spec)
        except Exception:  # noqa: BLE001 - a repr must not fail
            spec = "<unknown>"
        return f"<{type(self).__name__} element_spec={spec}>"

    def __getattr__(self, name):
        if name in _MISSING:
            hint = _MISSING[name]
            raise AttributeError(
                f"Dataset.{name} is a tf.data method that lamina does not provide"
                + (f"; {hint}." if hint else ".")
            )
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

    # -- sources (static, as in tf.data) ----------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """Elements that are the rows of ``tensors`` (sliced along the first axis of each leaf)."""
        from lamina.data.dataset.sources import TensorSliceDataset

        return TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        """One element: ``tensors`` itself."""
        from lamina.data.dataset.sources import TensorDataset

        return TensorDataset(tensors)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """Elements from ``generator()``, a callable called anew for each pass.

        Give ``output_signature`` (``TensorSpec``s), or the older
        ``output_types`` with optional ``output_shapes``; each yielded value is
        converted to its spec's dtype and its shape is checked.
        """
        from lamina.data.dataset.sources import GeneratorDataset

        return GeneratorDataset(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def range(*args, dtype="int64", name=None):
        """Python's ``range(start, stop, step)`` as int64 scalars."""
        from lamina.data.dataset.sources import RangeDataset

        return RangeDataset(args, dtype)

    @staticmethod
    def zip(*args, datasets=None, name=None):
        """Tuples (or dicts) of the elements of several datasets, up to the shortest."""
        from lamina.data.dataset.transformations import ZipDataset

        if args and datasets is not None:
            raise TypeError("Dataset.zip takes datasets as arguments or as `datasets=`, not both.")
        if datasets is None:
            datasets = args[0] if len(args) == 1 else args
        return ZipDataset(datasets)

    # -- transformations -------------------------------------------------------------------
    def concatenate(self, dataset, name=None):
        """The elements of this dataset followed by those of ``dataset``."""
        from lamina.data.dataset.transformations import ConcatenateDataset

        return ConcatenateDataset(self, dataset)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """``map_func`` applied to each element (a tuple element is unpacked into arguments).

        ``num_parallel_calls`` is accepted; lamina calls the function on one
        element at a time, in order.
        """
        from lamina.data.dataset.transformations import MapDataset

        return MapDataset(self, map_func)

    def filter(self, predicate, name=None):
        """The elements for which ``predicate`` returns True."""
        from lamina.data.dataset.transformations import FilterDataset

        return FilterDataset(self, predicate)

    def take(self, count, name=None):
        """The first ``count`` elements (all of them for -1)."""
        from lamina.data.dataset.transformations import TakeDataset

        return TakeDataset(self, _positive(count, "count", "take", True, True))

    def skip(self, count, name=None):
        """All but the first ``count`` elements (none for -1)."""
        from lamina.data.dataset.transformations import SkipDataset

        return SkipDataset(self, _positive(count, "count", "skip", True, True))

    def repeat(self, count=None, name=None):
        """The elements ``count`` times over (forever for ``None`` or -1)."""
        from lamina.data.dataset.transformations import RepeatDataset

        count = -1 if count is None else _positive(count, "count", "repeat", True, True)
        return RepeatDataset(self, count)

    def enumerate(self, start=0, name=None):
        """``(index, element)`` pairs, the index an int64 counting from ``start``."""
        return Dataset.zip(Dataset.range(int(start), 2**62), self)

    def apply(self, transformation_func):
        """``transformation_func(self)``: a function from dataset to dataset."""
        return transformation_func(self)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Consecutive elements stacked into batches of ``batch_size`` (per leaf)."""
        from lamina.data.dataset.batching import BatchDataset

        return BatchDataset(self, _positive(batch_size, "batch_size", "batch"),
                            bool(drop_remainder))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """Batches of elements padded to common shapes (``padded_shapes``, else the largest)."""
        from lamina.data.dataset.batching import PaddedBatchDataset

        return PaddedBatchDataset(self, _positive(batch_size, "batch_size", "padded_batch"),
                                  padded_shapes, padding_values, bool(drop_remainder))

    def unbatch(self, name=None):
        """The rows of each element: the inverse of ``batch``."""
        from lamina.data.dataset.batching import UnbatchDataset

        return UnbatchDataset(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """The elements in random order, drawn from a buffer of ``buffer_size`` elements."""
        from lamina.data.dataset.buffering import ShuffleDataset

        return ShuffleDataset(self, _positive(buffer_size, "buffer_size", "shuffle"), seed,
                              bool(reshuffle_each_iteration))

    def cache(self, filename="", name=None):
        """Keep the elements of the first complete pass (in memory, or in ``filename``)."""
        from lamina.data.dataset.buffering import CacheDataset

        return CacheDataset(self, filename)

    def prefetch(self, buffer_size, name=None):
        """Prepare up to ``buffer_size`` elements ahead in a background thread."""
        from lamina.data.dataset.buffering import PrefetchDataset

        if buffer_size is None or (not isinstance(buffer_size, bool) and buffer_size == -1):
            size = -1
        else:
            size = _positive(buffer_size, "buffer_size", "prefetch", allow_zero=True)
        return PrefetchDataset(self, size)

    def reduce(self, initial_state, reduce_func):
        """``reduce_func(state, element)`` folded over the elements, from ``initial_state``."""
        state = initial_state
        for element in self:
            state = reduce_func(state, element)
        return state
