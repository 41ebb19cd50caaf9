"""Dataset elements: NumPy leaves nested in tuples and dicts, and how they are walked.

An element is a leaf (an ``np.ndarray`` of rank >= 1, or an ``np.generic``
scalar for rank 0, as tf.data's ``as_numpy_iterator`` gives them) or a tuple
(namedtuples included) or dict of elements. ``flatten`` lists the leaves in
tf.nest's order (dict keys sorted); ``treedef`` is a hashable description of
the nesting that ``pack`` fills with leaves again. ``to_element`` turns user
values into elements with TensorFlow's dtype rules for Python values (``int``
-> int32, ``float`` -> float32); NumPy values keep their dtype.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor

__all__ = ["LEAF", "as_element", "describe", "flatten", "flatten_up_to", "flatten_with_def",
           "pack", "paths", "read_only", "to_element", "to_leaf"]

LEAF = "."  # the treedef of a leaf
_LEAF_TYPES = (np.ndarray, np.generic)
_INT32 = np.iinfo(np.int32)


def _python_scalar(value):
    """A Python number or string as the NumPy scalar TensorFlow would make of it."""
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int):
        return np.int32(value) if _INT32.min <= value <= _INT32.max else np.int64(value)
    if isinstance(value, float):
        return np.float32(value)
    if isinstance(value, complex):
        return np.complex128(value)
    if isinstance(value, str):
        return np.str_(value)
    if isinstance(value, bytes):
        return np.bytes_(value)
    return None


def _has_numpy_leaf(items) -> bool:
    for item in items:
        if isinstance(item, (np.ndarray, np.generic, Tensor)):
            return True
        if isinstance(item, (list, tuple)) and _has_numpy_leaf(item):
            return True
    return False


def _strings_of_objects(arr):
    """An object array holding only strings (a pandas text column) as a ``str`` array, as
    tf.data turns it into a string tensor."""
    if arr.dtype == object and arr.size and all(isinstance(v, str) for v in arr.reshape(-1)):
        return arr.astype(str)
    return arr


def _check_dtype(arr, what):
    if arr.dtype == object:
        raise TypeError(
            f"{what} could not be turned into a numeric or string NumPy array (rows of "
            "different lengths, None, or mixed types?). Dataset elements are arrays of one "
            "shape and dtype; pad ragged rows, or use from_generator with output_signature."
        )
    return arr


def _lengths(items) -> str:
    shown = ", ".join(str(len(v)) if hasattr(v, "__len__") else "scalar" for v in items[:6])
    return shown + (", ..." if len(items) > 6 else "")


def to_leaf(value, what="A dataset component"):
    """``value`` as a leaf: a NumPy array of rank >= 1, or a NumPy scalar."""
    if type(value) is np.ndarray:
        value = _strings_of_objects(value)
        _check_dtype(value, what)
        return value if value.ndim else value[()]
    if isinstance(value, np.generic):
        return value
    if isinstance(value, Tensor):
        return to_leaf(value.numpy(), what)
    scalar = _python_scalar(value)
    if scalar is not None:
        return scalar
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value)
        except ValueError:
            raise ValueError(
                f"{what} is a ragged list: its items have different lengths "
                f"({_lengths(value)}), so it is not one array. Pad them to one length first "
                "(keras.utils.pad_sequences for sequences), or give the items as separate "
                "components in a tuple."
            ) from None
        if arr.dtype.kind in "iuf" and not _has_numpy_leaf(value):  # Python numbers: TF's dtypes
            if arr.dtype.kind == "f" and arr.dtype == np.float64:
                arr = arr.astype(np.float32)
            elif arr.dtype.kind == "i" and arr.size and _INT32.min <= arr.min() and \
                    arr.max() <= _INT32.max:
                arr = arr.astype(np.int32)
            elif arr.dtype.kind == "i" and not arr.size:
                arr = arr.astype(np.int32)
        elif arr.dtype == np.float64 and not arr.size:
            arr = arr.astype(np.float32)
        return to_leaf(arr, what)
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):  # subclasses, pandas
        return to_leaf(np.asarray(value), what)
    if value is None:
        raise TypeError(
            f"{what} is None. Dataset elements are arrays or numbers nested in tuples and dicts; "
            "None has no shape or dtype (leave the component out instead)."
        )
    raise TypeError(
        f"{what} has type {type(value).__name__}, which cannot be a dataset element. Elements "
        "are NumPy arrays, numbers or strings nested in tuples and dicts."
    )


def to_element(value, lists="tensors", what="A dataset element"):
    """``value`` as an element. ``lists="tensors"``: a list is one array (tf.data's
    ``from_tensor_slices([1, 2])``); ``lists="tuples"``: a list is a tuple (what a
    ``map`` function returns)."""
    if isinstance(value, tuple):
        items = tuple(to_element(v, lists, what) for v in value)
        return type(value)(*items) if hasattr(value, "_fields") else items
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"{what} is an empty dict; an element needs at least one component.")
        return {k: to_element(value[k], lists, what) for k in _sorted_keys(value)}
    if lists == "tuples" and isinstance(value, list):
        return tuple(to_element(v, lists, what) for v in value)
    return to_leaf(value, what)


def as_element(value):
    """``value`` itself when it is already an element of NumPy leaves, else ``None`` (cheap)."""
    kind = type(value)
    if kind is np.ndarray:
        if value.ndim and value.dtype.kind != "O":
            return value
    elif kind is tuple:
        for item in value:
            if type(item) is np.ndarray:
                if not item.ndim or item.dtype.kind == "O":
                    break
            elif not isinstance(item, np.generic):
                break
        else:
            return value
    elif isinstance(value, np.generic):
        return value
    return None


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        raise TypeError(
            f"A dataset element's dict keys must be sortable (all strings, say); got {list(d)}."
        ) from None


def flatten(element) -> list:
    """The leaves of ``element`` in order (dict keys sorted, as tf.nest does)."""
    if isinstance(element, _LEAF_TYPES):
        return [element]
    out = []
    _flatten_into(element, out)
    return out


def _flatten_into(element, out):
    if isinstance(element, tuple):
        for item in element:
            if isinstance(item, _LEAF_TYPES):
                out.append(item)
            else:
                _flatten_into(item, out)
    elif isinstance(element, dict):
        for key in _sorted_keys(element):
            _flatten_into(element[key], out)
    else:
        out.append(element)


def treedef(element):
    """A hashable description of how ``element`` nests its leaves."""
    if isinstance(element, _LEAF_TYPES):
        return LEAF
    if isinstance(element, tuple):
        kind = type(element) if hasattr(element, "_fields") else tuple
        return (kind, tuple(treedef(item) for item in element))
    if isinstance(element, dict):
        keys = tuple(_sorted_keys(element))
        return (dict, keys, tuple(treedef(element[k]) for k in keys))
    return LEAF


def flatten_with_def(element):
    """``(flatten(element), treedef(element))`` in one walk; fast for flat tuples."""
    if isinstance(element, _LEAF_TYPES):
        return [element], LEAF
    if type(element) is tuple:
        defs = []
        for item in element:
            if not isinstance(item, _LEAF_TYPES):
                return flatten(element), treedef(element)
            defs.append(LEAF)
        return list(element), (tuple, tuple(defs))
    return flatten(element), treedef(element)


def pack(definition, leaves):
    """The element of structure ``definition`` holding ``leaves`` (the inverse of ``flatten``)."""
    if definition is LEAF or definition == LEAF:
        return leaves[0]
    it = iter(leaves)
    return _pack(definition, it)


def _pack(definition, it):
    if definition == LEAF:
        return next(it)
    if definition[0] is dict:
        return {key: _pack(child, it) for key, child in zip(definition[1], definition[2])}
    items = [_pack(child, it) for child in definition[1]]
    return tuple(items) if definition[0] is tuple else definition[0](*items)


def paths(definition, prefix="") -> list:
    """A readable path (``[0]``, ``['image']``) for each leaf of ``definition``, in order."""
    if definition == LEAF:
        return [prefix]
    if definition[0] is dict:
        return [p for key, child in zip(definition[1], definition[2])
                for p in paths(child, f"{prefix}[{key!r}]")]
    return [p for i, child in enumerate(definition[1]) for p in paths(child, f"{prefix}[{i}]")]


def flatten_up_to(definition, value, what):
    """The values of ``value`` at the leaves of ``definition`` (``value`` nests like it above them).

    Used for ``padded_shapes`` and ``padding_values``, whose own leaves may be lists.
    """
    if definition == LEAF:
        return [value]
    if definition[0] is dict:
        if not isinstance(value, dict) or set(value) != set(definition[1]):
            raise ValueError(
                f"{what} must be a dict with the keys {list(definition[1])}, like the dataset's "
                f"elements; got {value!r}."
            )
        return [v for key, child in zip(definition[1], definition[2])
                for v in flatten_up_to(child, value[key], what)]
    if not isinstance(value, (tuple, list)) or len(value) != len(definition[1]):
        raise ValueError(
            f"{what} must be a tuple of {len(definition[1])} entries, like the dataset's "
            f"elements; got {value!r}."
        )
    return [v for child, item in zip(definition[1], value)
            for v in flatten_up_to(child, item, what)]


def read_only(leaf):
    """``leaf`` as a read-only view (so no consumer can change a source or a cache)."""
    if type(leaf) is np.ndarray and leaf.flags.writeable:
        leaf = leaf.view()
        leaf.flags.writeable = False
    return leaf


def describe(element) -> str:
    """``element``'s structure with each leaf's shape and dtype, for error messages."""
    from lamina.data.dataset.specs import spec_of

    return repr(spec_of(element))
