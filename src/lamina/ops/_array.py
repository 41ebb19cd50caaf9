"""Shapes, indexing and linear algebra of ``lamina.ops``."""

from __future__ import annotations

import builtins

import numpy as np

from lamina import config
from lamina.autodiff.tape import apply
from lamina.autodiff.tensor import Tensor
from lamina.ops import _primitives as P
from lamina.ops._core import _meta, _standardize_dtype, ndim, reshape, shape
from lamina.ops._math import argsort, multiply, negative


def transpose(x, axes=None) -> Tensor:
    """Permute the axes of ``x`` (reverse them when ``axes`` is ``None``)."""
    return apply(P.TRANSPOSE, (x,), axes=None if axes is None else tuple(axes))


def swapaxes(x, axis1, axis2) -> Tensor:
    """Exchange two axes."""
    axes = list(range(ndim(x)))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def moveaxis(x, source, destination) -> Tensor:
    """Move axis ``source`` to position ``destination``."""
    n = ndim(x)
    order = [a for a in range(n) if a != source % n]
    order.insert(destination % n, source % n)
    return transpose(x, order)


def ravel(x) -> Tensor:
    """Flatten ``x`` to one dimension."""
    return reshape(x, (-1,))


def broadcast_to(x, shape) -> Tensor:
    """Broadcast ``x`` to ``shape``."""
    return apply(P.BROADCAST_TO, (x,), shape=tuple(shape))


def tile(x, repeats) -> Tensor:
    """Repeat ``x`` ``repeats`` times along each axis."""
    arr = _meta(x)
    reps = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    nd = builtins.max(np.ndim(arr), len(reps))
    base = reshape(x, (1,) * (nd - np.ndim(arr)) + np.shape(arr))
    reps = (1,) * (nd - len(reps)) + reps
    inter = []
    full_shape = []
    for r, n in zip(reps, shape(base)):
        inter += [1, n]
        full_shape += [r, n]
    out = broadcast_to(reshape(base, inter), full_shape)
    return reshape(out, [r * n for r, n in zip(reps, shape(base))])


def repeat(x, repeats, axis=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis``."""
    if axis is None:
        x = ravel(x)
        axis = 0
    n = shape(x)[axis]
    idx = np.repeat(np.arange(n), repeats)
    return take(x, idx, axis=axis)


def concatenate(xs, axis=0) -> Tensor:
    """Join tensors along an existing axis."""
    return apply(P.CONCATENATE, tuple(xs), axis=axis)


def stack(x, axis=0) -> Tensor:
    """Join tensors along a new axis."""
    return apply(P.STACK, tuple(x), axis=axis)


def split(x, indices_or_sections, axis=0) -> list:
    """Split ``x`` into pieces along ``axis``."""
    n = shape(x)[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of length {n} does not divide into "
                f"{indices_or_sections} equal parts."
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0, *indices_or_sections, n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index = [slice(None)] * ndim(x)
        index[axis] = slice(lo, hi)
        out.append(getitem(x, tuple(index)))
    return out


def flip(x, axis=None) -> Tensor:
    """Reverse the order of elements along ``axis``."""
    if axis is None:
        index = tuple(slice(None, None, -1) for _ in range(ndim(x)))
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        index = [slice(None)] * ndim(x)
        for a in axes:
            index[a] = slice(None, None, -1)
        index = tuple(index)
    return getitem(x, index)


def pad(x, pad_width, mode="constant", constant_values=None) -> Tensor:
    """Pad ``x`` with a constant (only ``mode="constant"``)."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported. Got {mode!r} instead.")
    n = ndim(x)
    pw = np.broadcast_to(np.asarray(pad_width, dtype=int), (n, 2)).tolist()
    return apply(P.PAD, (x,), pad_width=tuple(map(tuple, pw)),
                 constant_values=0 if constant_values is None else constant_values)


def _index_arrays(index):
    if isinstance(index, Tensor):
        return index.value  # a boolean mask: the result's shape depends on its values
    if isinstance(index, tuple):
        return tuple(i.value if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(x, index) -> Tensor:
    """``x[index]`` with gradients (slices, integers and integer arrays)."""
    if isinstance(index, Tensor) and _meta(index).dtype.kind in "iu":
        return take(x, index, axis=0)  # an integer tensor: a gather the engine can trace
    return apply(P.GETITEM, (x,), index=_index_arrays(index))


def take(x, indices, axis=None) -> Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (flattened when ``None``)."""
    return apply(P.TAKE, (x, indices), axis=axis)


def take_along_axis(x, indices, axis=None) -> Tensor:
    """Pick values of ``x`` at ``indices`` matched along ``axis``."""
    if axis is None:
        x = ravel(x)
        indices = ravel(indices)
        axis = 0
    return apply(P.TAKE_ALONG_AXIS, (x, indices), axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False) -> Tensor:
    """One-hot encode integer labels ``x`` into ``num_classes`` columns."""
    dt = _standardize_dtype(dtype) or np.dtype(config.floatx())
    return apply(P.ONE_HOT, (x,), num_classes=int(num_classes), axis=axis, dtype=dt)


def sort(x, axis=-1) -> Tensor:
    """Sorted copy of ``x`` along ``axis``."""
    return take_along_axis(x, argsort(x, axis=axis), axis=axis)


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's name
    """The ``k`` largest values along the last axis and their indices."""
    idx = getitem(argsort(negative(x), axis=-1), (Ellipsis, slice(None, k)))
    return take_along_axis(x, idx, axis=-1), idx


# ---------------------------------------------------------------------------
# Linear algebra


def matmul(x1, x2) -> Tensor:
    """Matrix product with NumPy's ``matmul`` broadcasting."""
    return apply(P.MATMUL, (x1, x2))


def dot(x1, x2) -> Tensor:
    """Dot product: matrix product for 1-D/2-D inputs, sum over last/second-last axes else."""
    if ndim(x1) == 0 or ndim(x2) == 0:
        return multiply(x1, x2)
    if ndim(x2) <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-2]))


def tensordot(x1, x2, axes=2) -> Tensor:
    """Sum products over the given axes (as ``numpy.tensordot``)."""
    s1, s2 = shape(x1), shape(x2)
    if isinstance(axes, int):
        a1 = list(range(len(s1) - axes, len(s1)))
        a2 = list(range(axes))
    else:
        a1, a2 = axes
        a1 = [a1] if isinstance(a1, int) else list(a1)
        a2 = [a2] if isinstance(a2, int) else list(a2)
    a1 = [a % len(s1) for a in a1]
    a2 = [a % len(s2) for a in a2]
    free1 = [a for a in range(len(s1)) if a not in a1]
    free2 = [a for a in range(len(s2)) if a not in a2]
    k = int(np.prod([s1[a] for a in a1])) if a1 else 1
    left = reshape(transpose(x1, free1 + a1), (-1, k))
    right = reshape(transpose(x2, a2 + free2), (k, -1))
    out = matmul(left, right)
    return reshape(out, [s1[a] for a in free1] + [s2[a] for a in free2])


def einsum(subscripts, *operands, **kwargs) -> Tensor:
    """Einstein summation, as ``numpy.einsum``: ``"ij,jk->ik"`` is a matrix product.

    Explicit (``"bij,bjk->bik"``) and implicit (``"ij,jk"``) outputs, ``...`` for
    broadcast axes and a label repeated in one operand (``"ii->i"``, a diagonal) are
    accepted; a (batched) matrix product runs as one BLAS call. Gradients flow to every
    operand. (Keras's backend keyword arguments, such as ``optimize``, are ignored.)

    Example:
        >>> from lamina import ops
        >>> ops.einsum("ij,jk->ik", ops.ones((2, 3)), ops.ones((3, 4))).shape
        (2, 4)
    """
    if not operands:
        raise ValueError(f"einsum: no operands given for the subscripts {subscripts!r}.")
    return apply(P.EINSUM, operands, subscripts=subscripts)


def outer(x1, x2) -> Tensor:
    """Outer product of two flattened vectors."""
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def dense(x, kernel, bias) -> Tensor:
    """``x @ kernel + bias`` as one fused op (lamina's fast path for ``Dense``)."""
    return apply(P.DENSE, (x, kernel, bias))
