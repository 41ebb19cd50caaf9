"""What a dataset's elements look like: ``TensorSpec``, the cardinality constants, ``AUTOTUNE``.

``element_spec`` is the element's structure with a ``TensorSpec`` (shape and
dtype) at each leaf; a dimension that varies between elements is ``None``,
and a spec of unknown rank has ``shape=None``, as in tf.data.
"""

from __future__ import annotations

import numpy as np

from lamina.data.dataset import structure

__all__ = ["AUTOTUNE", "INFINITE", "UNKNOWN", "Cardinality", "TensorSpec", "as_dtype",
           "merge_specs", "spec_of", "spec_structure"]

AUTOTUNE = -1
INFINITE = -1  # tf.data.INFINITE_CARDINALITY
UNKNOWN = -2  # tf.data.UNKNOWN_CARDINALITY


def as_dtype(dtype) -> np.dtype:
    """A NumPy dtype from a dtype, a name (``"float32"``) or a type (``np.int32``)."""
    if isinstance(dtype, np.dtype):
        return dtype
    name = getattr(dtype, "name", None)  # objects that know their dtype's name
    try:
        return np.dtype(dtype if name is None or isinstance(dtype, type) else name)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype (try 'float32', 'int64' or np.int32).") from None


def _as_shape(shape):
    if shape is None:
        return None
    if hasattr(shape, "as_list"):  # a TensorShape-like object
        shape = shape.as_list()
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    dims = []
    for d in shape:
        if d is None or (isinstance(d, (int, np.integer)) and int(d) == -1):
            dims.append(None)
        elif isinstance(d, (int, np.integer)) and int(d) >= 0:
            dims.append(int(d))
        else:
            raise ValueError(f"A shape holds non-negative sizes, -1 or None; got {shape!r}.")
    return tuple(dims)


class TensorSpec:
    """The shape and dtype of one component of a dataset's elements (tf.TensorSpec).

    Args:
        shape: a tuple of sizes, with ``None`` for a size that varies; ``None``
            for an unknown rank.
        dtype: a NumPy dtype or its name.
        name: an optional name (kept for tf.TensorSpec compatibility).

    Example:
        >>> from lamina.data import Dataset
        >>> Dataset.from_tensor_slices([[1.0, 2.0], [3.0, 4.0]]).element_spec
        TensorSpec(shape=(2,), dtype=float32, name=None)
    """

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = _as_shape(shape)
        self.dtype = as_dtype(dtype)
        self.name = name

    @classmethod
    def from_value(cls, value):
        """The spec of a leaf ``value``."""
        leaf = structure.to_leaf(value)
        return cls(np.shape(leaf), leaf.dtype)

    @property
    def rank(self):
        """The number of dimensions (``None`` when unknown)."""
        return None if self.shape is None else len(self.shape)

    def is_compatible_with(self, other) -> bool:
        """Whether ``other`` (a spec or a value) could be described by this spec."""
        if not isinstance(other, TensorSpec):
            other = TensorSpec.from_value(other)
        if other.dtype != self.dtype and not (other.dtype.kind == self.dtype.kind and
                                              self.dtype.kind in "US"):
            return False
        if self.shape is None or other.shape is None:
            return True
        return len(self.shape) == len(other.shape) and all(
            a is None or b is None or a == b for a, b in zip(self.shape, other.shape))

    def _key(self):
        return (self.shape, self.dtype, self.name)

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        if self.shape is None:
            shape = "<unknown>"
        else:
            shape = "(" + ", ".join(str(d) for d in self.shape) + ("," if len(self.shape) == 1
                                                                    else "") + ")"
        return f"TensorSpec(shape={shape}, dtype={self.dtype.name}, name={self.name!r})"


class Cardinality(int):
    """A dataset's number of elements, ``INFINITE`` (-1) or ``UNKNOWN`` (-2): an ``int``
    with TensorFlow's ``.numpy()`` (``ds.cardinality().numpy()`` works as in tf.data)."""

    def numpy(self):
        """The value as a NumPy int64, as a TensorFlow scalar tensor's ``numpy()`` gives it."""
        return np.int64(self)

    def __repr__(self):
        return int.__repr__(self)


def spec_of(element):
    """The ``TensorSpec`` structure of one element (its exact shapes)."""
    leaves, definition = structure.flatten_with_def(element)
    return structure.pack(definition, [TensorSpec(np.shape(x), x.dtype) for x in leaves])


def spec_structure(signature, what="output_signature"):
    """``signature``'s treedef and flat list of ``TensorSpec``s; lists count as tuples."""
    if isinstance(signature, TensorSpec):
        return structure.LEAF, [signature]
    if isinstance(signature, (tuple, list)) and not hasattr(signature, "_fields"):
        parts = [spec_structure(s, what) for s in signature]
        return (tuple, tuple(p[0] for p in parts)), [s for p in parts for s in p[1]]
    if isinstance(signature, dict):
        keys = tuple(sorted(signature))
        parts = [spec_structure(signature[k], what) for k in keys]
        return (dict, keys, tuple(p[0] for p in parts)), [s for p in parts for s in p[1]]
    if hasattr(signature, "shape") and hasattr(signature, "dtype"):  # another TensorSpec class
        return structure.LEAF, [TensorSpec(signature.shape, signature.dtype)]
    raise TypeError(
        f"{what} must be a TensorSpec or a tuple/dict of them, e.g. "
        f"(TensorSpec(shape=(None,), dtype='float32'), TensorSpec(shape=(), dtype='int32')); "
        f"got {signature!r}."
    )


def _merge_shapes(a, b):
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def merge_specs(a, b, what):
    """The most specific spec that describes elements of both ``a`` and ``b`` (concatenate)."""
    leaves_a, def_a = structure.flatten_with_def(a)
    leaves_b, def_b = structure.flatten_with_def(b)
    if def_a != def_b or any(x.dtype != y.dtype for x, y in zip(leaves_a, leaves_b)):
        raise TypeError(f"{what}: the datasets' elements are incompatible: {a!r} vs. {b!r}.")
    return structure.pack(def_a, [TensorSpec(_merge_shapes(x.shape, y.shape), x.dtype)
                                  for x, y in zip(leaves_a, leaves_b)])
