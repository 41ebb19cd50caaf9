"""Where optimizer state lives: flat per-dtype storage and the segments an update touches.

The state of all variables of one dtype is kept in one flat array per slot
(``_Storage``); each variable's slot is a view into it. An update runs on
``_Segment`` objects: one per variable, plus one covering every variable at
once when the variables themselves sit back to back in one buffer
(``flat_view``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["consolidate", "flat_view", "Storage", "Segment"]


def consolidate(variables) -> None:
    """Move the values of ``variables`` into one buffer, back to back (each becomes a view).

    Then one update over the whole buffer updates them all (``flat_view``).
    Nothing changes when they already lie so, have different dtypes, or one is
    empty.
    """
    arrays = [v.value for v in variables]
    if not arrays or flat_view(arrays) is not None:
        return
    dtype = arrays[0].dtype
    if any(a.dtype != dtype or a.size == 0 for a in arrays):
        return
    flat = np.empty(sum(a.size for a in arrays), dtype)
    offset = 0
    for v, a in zip(variables, arrays):
        view = flat[offset:offset + a.size].reshape(a.shape)
        view[...] = a
        v.value = view
        offset += a.size


def flat_view(arrays: list) -> np.ndarray | None:
    """One 1-D array over ``arrays`` if they sit back to back in one buffer, else None."""
    if not arrays:
        return None
    dtype = arrays[0].dtype
    owner = None
    position = arrays[0].__array_interface__["data"][0]
    start = position
    for a in arrays:
        if a.dtype != dtype or a.size == 0 or not a.flags.c_contiguous or not a.flags.writeable:
            return None
        if a.__array_interface__["data"][0] != position:
            return None
        position += a.nbytes
        base = a
        while isinstance(base.base, np.ndarray):
            base = base.base
        if owner is None:
            owner = base
        elif base is not owner:
            return None
    if not owner.flags.c_contiguous:
        return None
    total = sum(a.size for a in arrays)
    if len(arrays) == 1:
        return arrays[0].reshape(-1)
    try:
        flat = np.ndarray(
            (total,),
            dtype=dtype,
            buffer=owner,
            offset=start - owner.__array_interface__["data"][0],
        )
    except (TypeError, ValueError):
        return None
    return flat if flat.flags.writeable else None


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
