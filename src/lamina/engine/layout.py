"""Variables laid out back to back in one buffer, so one call can update them all.

``consolidate`` moves variables' values into one buffer (each variable then
holds a view of it); ``flat_view`` recognises such a layout. The optimizer
updates a consolidated model in a few calls per step, and the engine writes
the gradients of a plan into one flat buffer laid out the same way.
"""

from __future__ import annotations

import weakref

import numpy as np

__all__ = ["consolidate", "flat_view", "gradient_buffer"]

# One flat gradient buffer per layout of variables, shared by every plan that updates them
# (plans never run at the same time); it goes away with the last plan that holds it.
_GRADIENTS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def gradient_buffer(whole: np.ndarray) -> np.ndarray:
    """A flat float buffer laid out like ``whole`` (the variables' flat view), shared."""
    key = (whole.__array_interface__["data"][0], whole.size, whole.dtype.str)
    buffer = _GRADIENTS.get(key)
    if buffer is None:
        buffer = np.empty(whole.size, whole.dtype)
        _GRADIENTS[key] = buffer
    return buffer


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
