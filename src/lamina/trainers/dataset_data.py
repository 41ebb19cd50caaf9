"""``fit``/``evaluate``/``predict`` on a ``lamina.data.Dataset``, as Keras takes a ``tf.data.Dataset``.

The dataset's elements are the batches: ``x``, ``(x,)``, ``(x, y)`` or ``(x,
y, sample_weight)``, with dicts for named inputs or outputs. Each goes to
``train_step``/``test_step``/``predict_step`` as it is (Keras's data contract:
``x, y = data`` in a custom step works). Batches per epoch: ``steps`` when
given, and then the pass runs on from one epoch to the next and starts again
when the dataset ends (as Keras's epoch iterator does); otherwise the dataset's
cardinality, or, when that is unknown (after ``filter`` or ``from_generator``),
until the dataset ends. A dataset that repeats forever needs ``steps``.
"""

from __future__ import annotations

import warnings

import numpy as np

from lamina.data import Dataset
from lamina.data.dataset.specs import INFINITE
from lamina.utils.packing import unpack_x_y_sample_weight

__all__ = ["DatasetData", "is_dataset"]

_NOTHING = object()


def is_dataset(x) -> bool:
    """Whether ``x`` is a ``lamina.data.Dataset`` (``tf.data.Dataset`` under ``lamina run``)."""
    return isinstance(x, Dataset)


class DatasetData:
    """The batches of one ``Dataset`` for the training loops (next to ``StreamData``)."""

    shuffle = False

    def __init__(self, dataset, y=None, sample_weight=None, batch_size=None, steps=None):
        for value, name, what in ((y, "y", "labels"), (sample_weight, "sample_weight",
                                                       "sample weights")):
            if value is not None:
                raise ValueError(
                    f"`{name}` cannot be given when x is a Dataset: the dataset yields the "
                    f"{what} itself. Make its elements (x, y) or (x, y, sample_weight), e.g. "
                    "Dataset.from_tensor_slices((x, y, w)).batch(32), and pass only the dataset."
                )
        self.dataset = dataset
        self.batch_size = batch_size
        self._persistent = bool(steps)
        cardinality = int(dataset.cardinality())
        if steps:
            self.steps = int(steps)
        elif cardinality >= 0:
            self.steps = cardinality
        elif cardinality == INFINITE:
            raise ValueError(
                "The Dataset repeats forever (its cardinality is INFINITE), so an epoch would "
                "never end: pass steps_per_epoch=... to fit() (validation_steps=... for "
                "validation_data, steps=... to evaluate() and predict()), or make it finite "
                "with .take(n) or without .repeat()."
            )
        else:
            self.steps = None  # unknown: until the dataset ends
        self._iterator = None
        self._pending = _NOTHING  # the first element, taken to build the model
        self._first = _NOTHING

    def _check_batch_size(self):
        if self.batch_size is not None:
            raise ValueError(
                f"batch_size={self.batch_size} was given with a Dataset, whose elements are "
                "already batches (Keras refuses this too): remove batch_size, and set the size "
                "with the dataset's .batch(n)."
            )

    def first_batch(self):
        """The ``x`` of the first batch (taken once; it is also the first batch of the epoch)."""
        self._check_batch_size()
        if self._first is _NOTHING:
            if self._iterator is None:
                self._iterator = _numpy_iter(self.dataset)
            try:
                self._first = self._pending = next(self._iterator)
            except StopIteration:
                raise ValueError(
                    "The Dataset passed to fit/evaluate has no elements (an empty source, a "
                    "filter that keeps nothing, or batch(..., drop_remainder=True) with fewer "
                    "rows than one batch)."
                ) from None
            self._warn_if_unbatched(self._first)
        return unpack_x_y_sample_weight(self._first)[0]

    @property
    def y(self):
        """The labels of the first batch (for resolving ``"accuracy"`` from their shape)."""
        self.first_batch()
        return unpack_x_y_sample_weight(self._first)[1]

    @staticmethod
    def _warn_if_unbatched(element):
        x, y, _ = unpack_x_y_sample_weight(element)
        scalars = [name for name, part in (("x", x), ("y", y)) if part is not None and
                   any(isinstance(leaf, np.generic) for leaf in _leaves(part))]
        if scalars:
            warnings.warn(
                f"The Dataset's elements look like single samples, not batches ({' and '.join(scalars)} "
                "has a scalar component, and a batch has a first axis). Keras trains on "
                "batches: add .batch(32) to the dataset before passing it.",
                stacklevel=4,
            )

    def batches(self):
        """Yield one epoch's batches."""
        self._check_batch_size()
        it = self._iterator if self._iterator is not None else _numpy_iter(self.dataset)
        self._iterator = it if self._persistent else None
        count, ran_out = 0, False
        try:
            while self.steps is None or count < self.steps:
                if self._pending is not _NOTHING:
                    element, self._pending = self._pending, _NOTHING
                else:
                    try:
                        element = next(it)
                    except StopIteration:
                        ran_out = True
                        break
                yield element
                count += 1
            if not self._persistent and not ran_out:
                # the cardinality's last batch: end the pass as a full pass ends (so that,
                # e.g., cache() keeps what it saw instead of taking the pass for a partial one)
                ran_out = next(it, _NOTHING) is _NOTHING
        finally:
            if not self._persistent or ran_out:
                self._iterator = None
                it.close()
        if ran_out and self._persistent and count < self.steps:
            warnings.warn(
                f"The Dataset ran out after {count} batches of this epoch "
                f"(steps={self.steps}), so the epoch ended early; the next epoch starts a new "
                "pass. Add .repeat() to the dataset so that it yields steps x epochs batches.",
                stacklevel=2,
            )


def _leaves(part):
    if isinstance(part, (tuple, list)):
        return [leaf for item in part for leaf in _leaves(item)]
    if isinstance(part, dict):
        return [leaf for item in part.values() for leaf in _leaves(item)]
    return [part]


def _numpy_iter(dataset):
    """The dataset's elements as plain NumPy values, strings as ``str`` (under ``lamina run``
    its ``__iter__`` and ``as_numpy_iterator`` give TensorFlow's forms for the user's loops)."""
    passes = getattr(dataset, "_iterate", None)
    return passes() if passes is not None else iter(dataset)
