"""Where optimizer state lives: flat per-dtype storage and the segments an update touches.

The state of all variables of one dtype is kept in one flat array per slot
(``_Storage``); each variable's slot is a view into it. An update runs on
``_Segment`` objects: one per variable, plus one covering every variable at
once when the variables themselves sit back to back in one buffer
(``flat_view``).
"""

from __future__ import annotations

import numpy as np

from lamina.engine.layout import consolidate, flat_view

__all__ = ["consolidate", "flat_view", "Storage", "Segment"]


class Storage:
    """Flat arrays holding the optimizer state of all variables of one dtype."""

    def __init__(self, dtype, shapes):
        self.dtype = np.dtype(dtype)
        self.shapes = shapes
        self.sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.intp)
        self.total = int(sum(self.sizes))
        self.arrays: dict[str, np.ndarray] = {}

    def view(self, flat: np.ndarray, k: int) -> np.ndarray:
        o = int(self.offsets[k])
        return flat[o : o + self.sizes[k]].reshape(self.shapes[k])


class Segment:
    """The arrays one update touches: one variable's, or all variables' laid out flat."""

    __slots__ = (
        "var",
        "w",
        "dtype",
        "storage",
        "k",
        "slots",
        "tmp",
        "gbuf",
        "acc",
        "avg",
        "wd",
        "starts",
        "seg_ids",
    )

    def __init__(self, var, w, storage, k):
        self.var = var  # None for the flat segment
        self.w = w
        self.dtype = w.dtype
        self.storage = storage
        self.k = k
        self.slots = ()
        self.tmp = ()
        self.gbuf = None
        self.acc = None
        self.avg = None
        self.wd = None
        self.starts = np.zeros(1, dtype=np.intp) if var is not None else storage.offsets
        self.seg_ids = None

    def part(self, flat: np.ndarray) -> np.ndarray:
        return flat if self.var is None else self.storage.view(flat, self.k)
