"""TensorFlow's array functions under ``lamina run``, with TensorFlow's argument names.

Scripts written for ``tensorflow.keras`` call ``tf.transpose(x, perm=[0, 2, 1])``,
``tf.matmul(q, k, transpose_b=True)``, ``tf.gather``, ``tf.split(x, [2, -1])`` or
``tf.sequence_mask`` inside custom layers and losses. Each function here takes TensorFlow's
arguments and is written on ``lamina.ops``, so gradients flow as in TensorFlow and a traced
step replays it. Two need values, not only shapes: ``tf.boolean_mask`` (its result's length is
the number of ``True`` entries) and ``tf.sequence_mask`` without ``maxlen``; inside a traced
step (``@tf.function``, ``fit``) they make lamina run that step eagerly, with one line on the
``lamina`` logger. ``tf.device`` is accepted and changes nothing: lamina computes on the CPU.
"""

from __future__ import annotations

import operator

import numpy as np

from lamina import ops
from lamina.autodiff import Tensor, hooks

__all__ = ["TensorShape", "math_functions", "nn_functions", "tf_functions"]


def _axis(axis, rank, where):
    if not -rank <= axis < rank:
        raise ValueError(f"{where}: axis={axis} is out of range for a rank-{rank} input "
                         f"(valid: {-rank} to {rank - 1}).")
    return axis % rank


def _ints(value, where, arg):
    try:
        return [int(v) for v in np.asarray(value).reshape(-1)]
    except (TypeError, ValueError):
        raise TypeError(f"{where}: '{arg}' must be a list of integers. Got {value!r}.") from None


def transpose(a, perm=None, conjugate=False, name=None):
    rank = ops.ndim(a)
    if perm is None:
        return ops.transpose(a)
    perm = _ints(perm, "tf.transpose", "perm")
    if sorted(p % rank if -rank <= p < rank else p for p in perm) != list(range(rank)):
        raise ValueError(f"tf.transpose: 'perm' must name each axis of the rank-{rank} input "
                         f"once (a permutation of 0..{rank - 1}). Got perm={perm}.")
    return ops.transpose(a, [p % rank for p in perm])


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    for flag, adjoint, side in ((transpose_a, adjoint_a, "a"), (transpose_b, adjoint_b, "b")):
        if flag and adjoint:
            raise ValueError(f"tf.matmul: only one of 'transpose_{side}' and 'adjoint_{side}' "
                             "can be True (for real numbers they mean the same).")
    for x, side in ((a, "a"), (b, "b")):
        if ops.ndim(x) < 2:
            raise ValueError(
                f"tf.matmul: '{side}' must have rank 2 or more (a batch of matrices). Got shape "
                f"{ops.shape(x)}; add an axis with tf.expand_dims or use tf.tensordot.")
    if transpose_a or adjoint_a:
        a = ops.swapaxes(a, -1, -2)
    if transpose_b or adjoint_b:
        b = ops.swapaxes(b, -1, -2)
    out = ops.matmul(a, b)
    return out if output_type is None else ops.cast(out, output_type)


def tile(input, multiples, name=None):  # noqa: A002 (TensorFlow's argument name)
    reps = _ints(multiples, "tf.tile", "multiples")
    if len(reps) != ops.ndim(input):
        raise ValueError(f"tf.tile: 'multiples' needs one entry per axis of the input (shape "
                         f"{ops.shape(input)}: {ops.ndim(input)} entries). Got {reps}.")
    return ops.tile(input, reps)


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    shape = ops.shape(value)
    axis = _axis(int(axis), len(shape), "tf.split")
    n = shape[axis]
    if isinstance(num_or_size_splits, (int, np.integer)):
        parts = int(num_or_size_splits)
        if parts <= 0 or n % parts:
            raise ValueError(f"tf.split: num_or_size_splits={parts} must divide axis {axis} of "
                             f"length {n} evenly; pass a list of sizes for unequal parts.")
        return ops.split(value, parts, axis=axis)
    sizes = _ints(num_or_size_splits, "tf.split", "num_or_size_splits")
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
        raise ValueError(f"tf.split: sizes must be >= 0, with at most one -1 (the rest). Got "
                         f"{sizes}.")
    if -1 in sizes:
        sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
    if sum(sizes) != n or min(sizes, default=0) < 0:
        raise ValueError(f"tf.split: sizes {list(num_or_size_splits)} must add up to the length "
                         f"{n} of axis {axis}.")
    return ops.split(value, list(np.cumsum(sizes)[:-1]), axis=axis)


def unstack(value, num=None, axis=0, name=None):
    shape = ops.shape(value)
    axis = _axis(int(axis), len(shape), "tf.unstack")
    n = shape[axis]
    if num is not None and int(num) != n:
        raise ValueError(f"tf.unstack: num={num} but axis {axis} of the input (shape {shape}) "
                         f"has length {n}.")
    if n == 0:
        return []
    return [ops.squeeze(piece, axis) for piece in ops.split(value, n, axis=axis)]


def _check_indices(indices, size, where):
    if hooks.has_traced(indices):  # values of a traced step are checked when they are made
        return
    idx = hooks.as_array(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{where}: indices must be integers. Got dtype {idx.dtype}.")
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)].reshape(-1)[0]
        raise IndexError(f"{where}: index {bad} is not in [0, {size}) (TensorFlow does not "
                         "count negative indices from the end).")


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    p_shape, i_rank = ops.shape(params), ops.ndim(indices)
    b = int(batch_dims) + (i_rank if batch_dims < 0 else 0)
    axis = b if axis is None else _axis(int(axis), len(p_shape), "tf.gather")
    if not 0 <= b <= min(i_rank, axis):
        raise ValueError(f"tf.gather: batch_dims={batch_dims} must be at most the rank of "
                         f"indices ({i_rank}) and at most axis ({axis}).")
    _check_indices(indices, p_shape[axis], "tf.gather")
    if b == 0:
        return ops.take(params, indices, axis=axis)
    if tuple(p_shape[:b]) != tuple(ops.shape(indices)[:b]):
        raise ValueError(f"tf.gather: with batch_dims={b}, params (shape {p_shape}) and indices "
                         f"(shape {ops.shape(indices)}) must agree on their first {b} axes.")
    # batch_dims: one gather over the flattened batch, each batch's rows offset by its position
    batch, n = int(np.prod(p_shape[:b])), p_shape[axis]
    moved = ops.moveaxis(params, axis, b)
    flat = ops.reshape(moved, (batch * n, *ops.shape(moved)[b + 1:]))
    offsets = (np.arange(batch) * n).reshape(ops.shape(indices)[:b] + (1,) * (i_rank - b))
    out = ops.take(flat, ops.add(indices, offsets.astype(hooks.as_array(indices).dtype)), axis=0)
    # (batch, index dims, params dims b..axis, the rest) -> TensorFlow's order
    k, middle = i_rank - b, axis - b
    order = [*range(b), *range(b + k, b + k + middle), *range(b, b + k),
             *range(b + k + middle, ops.ndim(out))]
    return ops.transpose(out, order)


def _reflect_indices(n, before, after, symmetric):
    edge = 0 if symmetric else 1
    limit = n if symmetric else n - 1
    if before > limit or after > limit:
        mode = "SYMMETRIC" if symmetric else "REFLECT"
        raise ValueError(f"tf.pad: mode={mode!r} can add at most {limit} entries on each side "
                         f"of an axis of length {n}. Got paddings ({before}, {after}).")
    head = np.arange(before + edge - 1, edge - 1, -1)
    tail = np.arange(n - 1 - edge, n - 1 - edge - after, -1)
    return np.concatenate([head, np.arange(n), tail]).astype(np.int64)


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    shape = ops.shape(tensor)
    pw = np.asarray(_ints(paddings, "tf.pad", "paddings"))
    if pw.size != 2 * len(shape) or np.ndim(paddings) != 2 or pw.min(initial=0) < 0:
        raise ValueError(f"tf.pad: 'paddings' must be {len(shape)} pairs [before, after] of "
                         f"non-negative sizes, one per axis of shape {shape}. Got {paddings!r}.")
    pw = pw.reshape(-1, 2)
    kind = str(mode).upper()
    if kind == "CONSTANT":
        return ops.pad(tensor, pw.tolist(), constant_values=constant_values)
    if kind not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"tf.pad: mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC'. Got "
                         f"{mode!r}.")
    out = tensor
    for axis, (before, after) in enumerate(pw.tolist()):
        if before or after:
            idx = _reflect_indices(shape[axis], before, after, kind == "SYMMETRIC")
            out = ops.take(out, idx, axis=axis)
    return out


def sequence_mask(lengths, maxlen=None, dtype=bool, name=None):
    lengths = ops.convert_to_tensor(lengths)
    if maxlen is None:  # the longest length: a value read
        maxlen = max(int(np.max(np.asarray(lengths.value), initial=0)), 0)
    positions = ops.arange(int(maxlen), dtype=str(ops.dtype(lengths)))
    mask = ops.less(positions, ops.expand_dims(lengths, -1))
    return mask if np.dtype(dtype) == np.bool_ else ops.cast(mask, dtype)


def boolean_mask(tensor, mask, axis=None, name=None):
    shape = ops.shape(tensor)
    keep = np.asarray(mask.value if isinstance(mask, Tensor) else mask).astype(bool)  # a read
    axis = 0 if axis is None else _axis(int(axis), len(shape), "tf.boolean_mask")
    k = keep.ndim
    if k == 0 or tuple(shape[axis:axis + k]) != keep.shape:
        raise ValueError(
            f"tf.boolean_mask: 'mask' must have the shape of the tensor's axes {axis} to "
            f"{axis + max(k, 1) - 1}, {tuple(shape[axis:axis + max(k, 1)])}. Got shape "
            f"{keep.shape}.")
    flat = ops.reshape(tensor, (*shape[:axis], int(np.prod(keep.shape)), *shape[axis + k:]))
    return ops.take(flat, np.flatnonzero(keep), axis=axis)


def embedding_lookup(params, ids, max_norm=None, name=None):
    if isinstance(params, (list, tuple)):  # shards split by rows ("div"): one table again
        params = params[0] if len(params) == 1 else ops.concatenate(list(params), axis=0)
    _check_indices(ids, ops.shape(params)[0], "tf.nn.embedding_lookup")
    rows = ops.take(params, ids, axis=0)
    if max_norm is None:
        return rows
    # TensorFlow's clip_by_norm on each row: x * max_norm / max(|x|, max_norm), safe at 0
    squares = ops.sum(ops.square(rows), axis=-1, keepdims=True)
    positive = ops.greater(squares, 0)
    norm = ops.where(positive, ops.sqrt(ops.where(positive, squares, 1.0)), squares)
    return rows * float(max_norm) / ops.maximum(norm, float(max_norm))


def einsum(equation, *inputs, **kwargs):
    extra = set(kwargs) - {"name", "optimize"}
    if extra:
        raise TypeError(f"tf.einsum got unexpected keyword arguments {sorted(extra)}.")
    return ops.einsum(equation, *inputs)


class device:  # noqa: N801 (TensorFlow's name)
    """``with tf.device("/GPU:0"):`` -- accepted; lamina computes on the CPU either way."""

    def __init__(self, device_name):
        if device_name is not None and not isinstance(device_name, str):
            raise TypeError(f"tf.device takes a device name such as '/CPU:0'. Got "
                            f"{device_name!r}.")
        self.device_name = device_name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class TensorShape(tuple):
    """``tf.TensorShape``: a tuple of dimensions, ``None`` where a size is unknown."""

    def __new__(cls, dims):
        if dims is None:
            self = super().__new__(cls, ())
            self._known = False
            return self
        dims = [dims] if isinstance(dims, (int, np.integer)) else list(dims)
        out = []
        for d in dims:
            d = d if d is None else operator.index(d)
            if d is not None and d < 0:
                raise ValueError(f"tf.TensorShape: dimensions must be >= 0 or None. Got {dims}.")
            out.append(d)
        self = super().__new__(cls, out)
        self._known = True
        return self

    @property
    def rank(self):
        return len(self) if self._known else None

    ndims = rank

    def as_list(self):
        if not self._known:
            raise ValueError("as_list() is not defined on a TensorShape of unknown rank.")
        return list(self)

    def is_fully_defined(self):
        return self._known and None not in self

    def num_elements(self):
        return int(np.prod(self, dtype=np.int64)) if self.is_fully_defined() else None

    def is_compatible_with(self, other):
        other = other if isinstance(other, TensorShape) else TensorShape(other)
        if not (self._known and other._known):
            return True
        return len(self) == len(other) and all(
            a is None or b is None or a == b for a, b in zip(self, other))

    def concatenate(self, other):
        other = other if isinstance(other, TensorShape) else TensorShape(other)
        if not (self._known and other._known):
            return TensorShape(None)
        return TensorShape([*self, *other])

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return TensorShape(item) if isinstance(key, slice) else item

    def __repr__(self):
        return f"TensorShape({list(self) if self._known else None})"

    def __str__(self):
        return tuple.__repr__(self) if self._known else "<unknown>"


def _compare(fn):
    def compare(x, y, name=None):
        return fn(x, y)

    compare.__name__ = fn.__name__
    return compare


# tf.equal(x, y, name=None) and its kin: elementwise booleans, no gradient (as in TensorFlow)
_COMPARISONS = {name: _compare(getattr(ops, name)) for name in (
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal")}


def math_functions() -> dict:
    """``tf.math`` names defined here (the comparisons)."""
    return dict(_COMPARISONS)


def nn_functions() -> dict:
    """``tf.nn`` names defined here."""
    return {"embedding_lookup": embedding_lookup}


def tf_functions() -> dict:
    """The ``tf.*`` names defined here, for ``lamina.compat``'s TensorFlow stand-in."""
    out = {fn.__name__: fn for fn in (transpose, matmul, tile, split, unstack, gather, pad,
                                      sequence_mask, boolean_mask, einsum)}
    out.update(math_functions())
    out.update(device=device, TensorShape=TensorShape, newaxis=None)
    return out
