"""Where elements come from: ``from_tensor_slices``, ``from_tensors``, ``from_generator``, ``range``.

Arrays given to ``from_tensor_slices`` and ``from_tensors`` are not copied;
the elements are read-only views of them. A generator's values are copied,
since generators often reuse one buffer.
"""

from __future__ import annotations

import itertools

import numpy as np

from lamina.data.dataset import structure
from lamina.data.dataset.base import Dataset
from lamina.data.dataset.functions import describe_function, guarded
from lamina.data.dataset.specs import UNKNOWN, TensorSpec, as_dtype, spec_of, spec_structure

__all__ = ["GeneratorDataset", "RangeDataset", "TensorDataset", "TensorSliceDataset"]


class TensorSliceDataset(Dataset):
    """The rows of arrays: element ``i`` holds row ``i`` of every leaf."""

    def __init__(self, tensors):
        element = structure.to_element(tensors, what="A component given to from_tensor_slices")
        leaves, self._def = structure.flatten_with_def(element)
        names = structure.paths(self._def)
        for path, leaf in zip(names, leaves):
            if np.ndim(leaf) == 0:
                where = f"component {path}" if path else "the value"
                raise ValueError(
                    f"Dataset.from_tensor_slices: {where} is a scalar; every component needs a "
                    "first dimension to slice along (rows become elements). Use "
                    "Dataset.from_tensors for a single element."
                )
        sizes = [len(leaf) for leaf in leaves]
        if len(set(sizes)) > 1:
            listed = ", ".join(f"{p} has {n} (shape {leaf.shape})"
                               for p, n, leaf in zip(names, sizes, leaves))
            raise ValueError(
                "Dataset.from_tensor_slices: the components have different first dimensions "
                f"(numbers of rows): {listed}. Each component needs one row per element; "
                "check that x and y come from the same rows."
            )
        self._leaves = [structure.read_only(leaf) for leaf in leaves]
        self._n = sizes[0]

    def _iterate(self):
        if self._def == structure.LEAF:
            yield from self._leaves[0]
        elif self._def == (tuple, (structure.LEAF,) * len(self._leaves)):
            yield from zip(*self._leaves)
        else:
            definition = self._def
            for row in zip(*self._leaves):
                yield structure.pack(definition, row)

    def _cardinality(self):
        return self._n

    def _spec(self):
        return structure.pack(self._def, [TensorSpec(leaf.shape[1:], leaf.dtype)
                                          for leaf in self._leaves])

    def rows(self, index, copy=False):
        """Rows ``index`` (a slice or an index array) of every leaf, as one batch element."""
        return structure.pack(self._def, [np.array(leaf[index]) if copy else leaf[index]
                                          for leaf in self._leaves])


class TensorDataset(Dataset):
    """One element."""

    def __init__(self, tensors):
        element = structure.to_element(tensors, what="A component given to from_tensors")
        leaves, definition = structure.flatten_with_def(element)
        self._element = structure.pack(definition, [structure.read_only(x) for x in leaves])

    def _iterate(self):
        yield self._element

    def _cardinality(self):
        return 1

    def _spec(self):
        return spec_of(self._element)


class RangeDataset(Dataset):
    """``range(start, stop, step)`` as NumPy scalars (int64 unless ``dtype`` says otherwise)."""

    _BLOCK = 4096

    def __init__(self, args, dtype):
        if not 1 <= len(args) <= 3:
            raise TypeError(
                f"Dataset.range takes 1 to 3 arguments (stop; start, stop; start, stop, step); "
                f"got {len(args)}."
            )
        try:
            bounds = [int(a) for a in args]
        except (TypeError, ValueError):
            raise TypeError(f"Dataset.range needs integers; got {args!r}.") from None
        self._range = range(*bounds)
        self._dtype = as_dtype(dtype)

    def _iterate(self):
        r, block = self._range, self._BLOCK
        for lo in range(0, len(r), block):
            chunk = r[lo:lo + block]
            yield from np.arange(chunk.start, chunk.stop, chunk.step).astype(self._dtype)

    def _cardinality(self):
        return len(self._range)

    def _spec(self):
        return TensorSpec((), self._dtype)


class GeneratorDataset(Dataset):
    """Elements from a Python generator function, converted to a declared signature."""

    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        if not callable(generator):
            hint = (" Pass the generator function itself, not its result: "
                    "from_generator(gen, ...) rather than from_generator(gen(), ...), so that "
                    "each pass over the dataset starts it again.") if hasattr(
                        generator, "__next__") else ""
            raise TypeError(f"Dataset.from_generator needs a callable `generator`; got "
                            f"{type(generator).__name__}.{hint}")
        if output_signature is not None:
            if output_types is not None or output_shapes is not None:
                raise TypeError("Dataset.from_generator takes output_signature, or "
                                "output_types (with output_shapes), not both.")
            self._def, self._specs = spec_structure(output_signature)
        elif output_types is not None:
            self._def, self._specs = _legacy_signature(output_types, output_shapes)
        else:
            raise TypeError(
                "Dataset.from_generator needs output_signature (e.g. "
                "output_signature=(TensorSpec(shape=(None, 3), dtype='float32'), "
                "TensorSpec(shape=(None,), dtype='int32'))), or the older output_types."
            )
        self._generator = generator
        self._args = tuple(structure.to_element(a) for a in (args or ()))

    def _iterate(self):
        where = describe_function(self._generator)
        source = self._generator(*self._args)
        try:
            it = iter(source)
        except TypeError:
            raise TypeError(f"Dataset.from_generator: {where} returned "
                            f"{type(source).__name__}, which cannot be iterated; it should "
                            "be a generator function (one that uses `yield`).") from None
        try:
            for index, value in enumerate(guarded(it)):
                yield self._convert(value, index, where)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def _convert(self, value, index, where):
        try:
            parts = structure.flatten_up_to(self._def, value, "the yielded element")
        except ValueError:
            raise TypeError(
                f"Dataset.from_generator: {where} yielded element {index} that does not match "
                f"the expected structure {self._spec()!r}: {value!r}."
            ) from None
        leaves = []
        for spec, part in zip(self._specs, parts):
            try:
                leaf = np.array(part, dtype=spec.dtype)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"Dataset.from_generator: {where} yielded element {index} with a value "
                    f"that cannot be converted to {spec.dtype.name}: {exc}."
                ) from None
            if spec.shape is not None and not spec.is_compatible_with(
                    TensorSpec(leaf.shape, spec.dtype)):
                raise ValueError(
                    f"Dataset.from_generator: {where} yielded element {index} of shape "
                    f"{leaf.shape} where an element of shape {_shape_text(spec.shape)} was "
                    "expected (output_signature)."
                )
            leaves.append(leaf if leaf.ndim else leaf[()])
        return structure.pack(self._def, leaves)

    def _cardinality(self):
        return UNKNOWN

    def _spec(self):
        return structure.pack(self._def, list(self._specs))


def _shape_text(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _legacy_signature(types, shapes):
    """``output_types`` and ``output_shapes`` (nested alike) as a spec structure."""
    if isinstance(types, (tuple, list)):
        shapes = [None] * len(types) if shapes is None else shapes
        parts = [_legacy_signature(t, s) for t, s in itertools.zip_longest(types, shapes)]
        return (tuple, tuple(p[0] for p in parts)), [s for p in parts for s in p[1]]
    if isinstance(types, dict):
        keys = tuple(sorted(types))
        shapes = {} if shapes is None else shapes
        parts = [_legacy_signature(types[k], shapes.get(k)) for k in keys]
        return (dict, keys, tuple(p[0] for p in parts)), [s for p in parts for s in p[1]]
    return structure.LEAF, [TensorSpec(shapes, types)]
