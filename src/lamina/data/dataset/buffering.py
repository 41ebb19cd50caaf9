"""The transformations that hold elements: ``shuffle``, ``cache`` and ``prefetch``.

``shuffle`` keeps a buffer of ``buffer_size`` elements and outputs one drawn
uniformly from it, putting the next input element in its place (tf.data's
algorithm); its draws come from a generator seeded by ``seed`` (or, without
one, by lamina's global generator when the dataset is made), never from
NumPy's global state. ``cache`` keeps the elements of the first complete pass
(a pass stopped early keeps nothing). ``prefetch`` fills a bounded queue from a
background thread.
"""

from __future__ import annotations

import logging
import queue
import threading

import numpy as np

from lamina import random as _random
from lamina.data.dataset import cache_file, structure
from lamina.data.dataset.base import Dataset
from lamina.data.dataset.functions import guard_for_this_thread, is_peeking
from lamina.data.dataset.transformations import closing

__all__ = ["CacheDataset", "PrefetchDataset", "ShuffleDataset"]

_LOG = logging.getLogger("lamina")
AUTOTUNE_PREFETCH = 2  # elements prepared ahead for prefetch(AUTOTUNE)


class ShuffleDataset(Dataset):
    """The input in random order, from a buffer of ``buffer_size`` elements."""

    _DRAWS = 1024  # uniform numbers drawn at a time

    def __init__(self, input_dataset, buffer_size, seed, reshuffle_each_iteration):
        self._input, self._size = input_dataset, buffer_size
        self._reshuffle = reshuffle_each_iteration
        if seed is None:
            seed = int(_random.global_generator().integers(0, 2**63 - 1))
        self._seed = int(seed)
        self._seeds = np.random.default_rng(self._seed)  # one new order per pass
        self._lock = threading.Lock()

    def _generator(self):
        if not self._reshuffle or is_peeking():
            return np.random.default_rng(self._seed)
        with self._lock:
            return np.random.default_rng(int(self._seeds.integers(0, 2**63 - 1)))

    def _iterate(self):
        rng = self._generator()
        with closing(self._input) as it:
            buffer = []
            for element in it:
                buffer.append(element)
                if len(buffer) == self._size:
                    break
            draws, used = [], 0
            done = False
            while buffer:
                if used == len(draws):
                    draws, used = rng.random(self._DRAWS).tolist(), 0
                i = int(draws[used] * len(buffer))
                used += 1
                out = buffer[i]
                if not done:
                    try:
                        buffer[i] = next(it)
                    except StopIteration:
                        done = True
                if done:
                    buffer[i] = buffer[-1]
                    buffer.pop()
                yield out

    def _cardinality(self):
        return self._input._cardinality()

    def _spec(self):
        return self._input.element_spec


class CacheDataset(Dataset):
    """The elements of the first complete pass, replayed from memory or from a file."""

    def __init__(self, input_dataset, filename):
        self._input = input_dataset
        self._filename = "" if filename is None else str(filename)
        self._elements = None
        self._warned = False
        self._lock = threading.Lock()

    def _iterate(self):
        if self._filename:
            yield from self._iterate_file()
            return
        elements = self._elements
        if elements is not None:
            yield from elements
            return
        kept = []
        complete = False
        try:
            with closing(self._input) as it:
                for element in it:
                    leaves, definition = structure.flatten_with_def(element)
                    element = structure.pack(definition, [structure.read_only(x) for x in leaves])
                    kept.append(element)
                    yield element
            complete = True
        finally:
            if complete:
                with self._lock:
                    if self._elements is None:
                        self._elements = kept
            else:
                self._partial()

    def _iterate_file(self):
        path = cache_file.cache_path(self._filename)
        if cache_file.exists(path):
            yield from cache_file.read(path)
            return
        complete = False
        try:
            with cache_file.Writer(path) as writer, closing(self._input) as it:
                for element in it:
                    writer.add(element)
                    yield element
                complete = True
        finally:
            if not complete:
                self._partial()

    def _partial(self):
        if not self._warned:
            self._warned = True
            _LOG.warning(
                "Dataset.cache: a pass over the dataset stopped before its end, so nothing was "
                "cached (a partial cache would truncate the data); the next pass reads the input "
                "again. Use take() before cache(), not after, to cache a part."
            )

    def _cardinality(self):
        return self._input._cardinality()

    def _spec(self):
        return self._input.element_spec


_ITEM, _END, _ERROR = 0, 1, 2


class PrefetchDataset(Dataset):
    """The input, prepared up to ``buffer_size`` elements ahead by a background thread."""

    def __init__(self, input_dataset, buffer_size):
        self._input = input_dataset
        self._size = AUTOTUNE_PREFETCH if buffer_size < 0 else buffer_size

    def _iterate(self):
        if self._size == 0:
            with closing(self._input) as it:
                yield from it
            return
        q = queue.Queue(maxsize=self._size)
        stop = threading.Event()
        guard = threading.Lock()  # user functions upstream run while this consumer waits
        thread = threading.Thread(target=self._work, args=(q, stop, guard, is_peeking()),
                                  daemon=True, name="lamina-prefetch")
        thread.start()
        try:
            while True:
                kind, value = q.get()
                if kind == _END:
                    return
                if kind == _ERROR:
                    raise value
                with guard:
                    yield value
        finally:
            stop.set()
            while thread.is_alive():  # unblock a worker waiting to put, then let it finish
                try:
                    while True:
                        q.get_nowait()
                except queue.Empty:
                    pass
                thread.join(0.01)

    def _work(self, q, stop, guard, peek):
        guard_for_this_thread(guard, peek)
        try:
            with closing(self._input) as it:
                for element in it:
                    q.put((_ITEM, element))
                    if stop.is_set():
                        return
            q.put((_END, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer's thread
            if not stop.is_set():
                q.put((_ERROR, exc))

    def _cardinality(self):
        return self._input._cardinality()

    def _spec(self):
        return self._input.element_spec
