"""``PyDataset``: Keras's base class for data that Python code produces batch by batch."""

from __future__ import annotations

import itertools
import warnings

__all__ = ["PyDataset"]


class PyDataset:
    """Base class for a data set that makes its batches in Python.

    Subclass it and write ``__len__`` (the number of batches per epoch) and
    ``__getitem__(index)`` (batch ``index`` as ``x``, ``(x, y)`` or
    ``(x, y, sample_weight)``: a whole batch, not one sample). ``fit``,
    ``evaluate`` and ``predict`` accept the object in place of arrays, ask for
    batches ``0 .. len - 1`` in each epoch, and call ``on_epoch_begin`` /
    ``on_epoch_end`` around it (use ``on_epoch_end`` to reshuffle). Because
    every epoch visits each batch exactly once, this is safer than a Python
    generator.

    Args:
        workers: accepted for Keras compatibility; lamina loads batches in the
            calling thread.
        use_multiprocessing: accepted for Keras compatibility (ignored).
        max_queue_size: accepted for Keras compatibility (ignored).

    Example:
        >>> import math
        >>> import numpy as np
        >>> import lamina
        >>> class Batches(lamina.utils.PyDataset):
        ...     def __init__(self, x, y, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x, self.y, self.batch_size = x, y, batch_size
        ...     def __len__(self):
        ...         return math.ceil(len(self.x) / self.batch_size)
        ...     def __getitem__(self, index):
        ...         s = slice(index * self.batch_size, (index + 1) * self.batch_size)
        ...         return self.x[s], self.y[s]
        >>> data = Batches(np.zeros((10, 3)), np.zeros(10), batch_size=4)
        >>> len(data), data[2][0].shape
        (3, (2, 3))
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _check_super_init(self):
        missing = [name for name in ("_workers", "_use_multiprocessing", "_max_queue_size")
                   if name not in self.__dict__]
        if missing:
            self._workers = self.__dict__.get("_workers", 1)
            self._use_multiprocessing = self.__dict__.get("_use_multiprocessing", False)
            self._max_queue_size = self.__dict__.get("_max_queue_size", 10)
            warnings.warn(
                f"{type(self).__name__}.__init__ should call `super().__init__(**kwargs)` "
                "(PyDataset's settings workers, use_multiprocessing and max_queue_size are "
                "set there). Add that line at the top of your __init__.",
                stacklevel=3,
            )

    @property
    def workers(self) -> int:
        """Keras's number of loader workers (lamina loads in the calling thread)."""
        self._check_super_init()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        """Keras's multiprocessing switch (ignored by lamina)."""
        self._check_super_init()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        """Keras's prefetch queue length (ignored by lamina)."""
        self._check_super_init()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """Batch number ``index``: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError(
            f"{type(self).__name__} must define __getitem__(self, index) returning batch "
            "number `index`, e.g. `return self.x[lo:hi], self.y[lo:hi]`."
        )

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        if type(self).num_batches is not PyDataset.num_batches:
            count = self.num_batches
            if count is None:
                raise TypeError(
                    f"{type(self).__name__} is endless (num_batches is None), so it has no "
                    "length; pass steps_per_epoch to fit()."
                )
            return int(count)
        raise NotImplementedError(
            f"{type(self).__name__} must define __len__(self) returning the number of batches "
            "per epoch, e.g. `return math.ceil(len(self.x) / self.batch_size)`."
        )

    @property
    def num_batches(self) -> int | None:
        """The number of batches per epoch (``None`` for an endless data set)."""
        if type(self).__len__ is not PyDataset.__len__:
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must define __len__ (or the num_batches property)."
        )

    def __iter__(self):
        """Yield the batches of one epoch in order (all of them, or forever if endless)."""
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        indices = range(count) if count is not None else itertools.count()
        for index in indices:
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called before each epoch; override to prepare it (does nothing by default)."""

    def on_epoch_end(self) -> None:
        """Called after each epoch; override to reshuffle (does nothing by default)."""
