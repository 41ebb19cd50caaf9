"""More of ``keras.ops``: triangles and diagonals, ``unstack``, ``slice``/``slice_update``,
``isclose``, ``nan_to_num`` and ``cumprod``.

Every function here is composed from the differentiable ops of ``_core``, ``_math`` and
``_array`` (``where`` with a constant mask, gathers, pads, products), so each one has
gradients and traces without a primitive of its own.
"""

from __future__ import annotations

import builtins

import numpy as np

from lamina.autodiff.tensor import Tensor
from lamina.ops._array import getitem, moveaxis, pad, stack, take
from lamina.ops._core import _meta, cast, convert_to_tensor, ndim, reshape, shape
from lamina.ops._math import (
    abs,
    add,
    clip,
    equal,
    greater,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_or,
    multiply,
    subtract,
    sum,
    where,
)

__all__ = [
    "cumprod",
    "diag",
    "diagonal",
    "isclose",
    "nan_to_num",
    "slice",
    "slice_update",
    "trace",
    "tril",
    "triu",
    "unstack",
]

_int = builtins.int
_shape = shape  # (for ``slice``, whose argument ``shape`` is Keras's name)


def _dtype_of(x) -> np.dtype:
    return np.asarray(_meta(x)).dtype


def _promote(*dtypes) -> np.dtype:
    """Keras's promotion where it matters here: integers meeting floats take the float type."""
    floats = [d for d in dtypes if d.kind in "fc"]
    return np.result_type(*(floats or dtypes))


def _zero(x):
    return np.zeros((), dtype=_dtype_of(x))


# ---------------------------------------------------------------------------
# Triangles and diagonals


def _triangle(name, x, k, lower):
    if not isinstance(k, (_int, np.integer)):
        raise TypeError(f"{name}: `k` must be a Python int. Got {k!r} ({type(k).__name__}).")
    s = shape(x)
    if len(s) < 1:
        raise ValueError(f"{name}: `x` must have at least 1 dimension. Got a scalar.")
    if len(s) == 1:  # NumPy's rule: a vector is repeated as the rows of a square matrix
        x = multiply(reshape(x, (1, s[0])), np.ones((s[0], 1), dtype=_dtype_of(x)))
        s = shape(x)
    keep = np.tri(s[-2], s[-1], _int(k), dtype=bool)
    if not lower:
        keep = ~np.tri(s[-2], s[-1], _int(k) - 1, dtype=bool)
    return where(keep, x, _zero(x))


def tril(x, k=0) -> Tensor:
    """The lower triangle of ``x``'s last two axes: entries above diagonal ``k`` set to 0.

    ``k=0`` is the main diagonal, ``k < 0`` below it, ``k > 0`` above it. The gradient
    passes to the kept entries.

    Example:
        >>> from lamina import ops
        >>> ops.tril(ops.ones((3, 3))).numpy()
        array([[1., 0., 0.],
               [1., 1., 0.],
               [1., 1., 1.]], dtype=float32)
    """
    return _triangle("tril", x, k, lower=True)


def triu(x, k=0) -> Tensor:
    """The upper triangle of ``x``'s last two axes: entries below diagonal ``k`` set to 0.

    Example:
        >>> from lamina import ops
        >>> ops.triu(ops.ones((3, 3)), k=1).numpy()
        array([[0., 1., 1.],
               [0., 0., 1.],
               [0., 0., 0.]], dtype=float32)
    """
    return _triangle("triu", x, k, lower=False)


def _axis_arg(name, arg, axis, n):
    if not isinstance(axis, (_int, np.integer)) or not -n <= axis < n:
        raise ValueError(
            f"{name}: `{arg}` must be an axis of `x`, which has {n} dimensions "
            f"(from {-n} to {n - 1}). Got {arg}={axis!r}."
        )
    return _int(axis) % n


def diagonal(x, offset=0, axis1=0, axis2=1) -> Tensor:
    """The diagonal ``offset`` of the matrices on axes ``axis1``/``axis2`` of ``x``, as
    ``numpy.diagonal``: those two axes are removed and the diagonal becomes the last axis.

    Example:
        >>> from lamina import ops
        >>> ops.diagonal([[1.0, 2.0], [3.0, 4.0]]).numpy()
        array([1., 4.], dtype=float32)
    """
    n = ndim(x)
    if n < 2:
        raise ValueError(f"diagonal: `x` must have at least 2 dimensions. Got shape {shape(x)}.")
    a1 = _axis_arg("diagonal", "axis1", axis1, n)
    a2 = _axis_arg("diagonal", "axis2", axis2, n)
    if a1 == a2:
        raise ValueError(
            f"diagonal: `axis1` and `axis2` must be different axes. Got axis1={axis1}, "
            f"axis2={axis2}."
        )
    rows, cols = shape(x)[a1], shape(x)[a2]
    offset = _int(offset)
    r0, c0 = builtins.max(-offset, 0), builtins.max(offset, 0)
    length = builtins.max(builtins.min(rows - r0, cols - c0), 0)
    x = moveaxis(moveaxis(x, a1, -1), a2 if a2 < a1 else a2 - 1, -1)
    index = np.arange(length)
    return getitem(x, (Ellipsis, index + r0, index + c0))


def trace(x, offset=0, axis1=0, axis2=1) -> Tensor:
    """The sum of ``diagonal(x, offset, axis1, axis2)``: one number per matrix.

    Booleans and 8/16-bit integers sum as int32 (unsigned ones as uint32), as in Keras.

    Example:
        >>> from lamina import ops
        >>> float(ops.trace(ops.eye(3)))
        3.0
    """
    dt = _dtype_of(x)
    if dt == np.bool_ or dt in (np.int8, np.int16):
        dt = np.dtype("int32")
    elif dt in (np.uint8, np.uint16):
        dt = np.dtype("uint32")
    out = sum(diagonal(cast(x, dt), offset=offset, axis1=axis1, axis2=axis2), axis=-1)
    return out if _dtype_of(out) == dt else cast(out, dt)  # (NumPy sums int32 as int64)


def diag(x, k=0) -> Tensor:
    """A 1-D ``x`` placed on diagonal ``k`` of a square matrix, or diagonal ``k`` of a
    2-D ``x``, as ``numpy.diag``.

    Example:
        >>> from lamina import ops
        >>> ops.diag([1.0, 2.0]).numpy()
        array([[1., 0.],
               [0., 2.]], dtype=float32)
    """
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    s = shape(x)
    k = _int(k)
    if len(s) == 2:
        return diagonal(x, offset=k)
    if len(s) != 1:
        raise ValueError(
            f"diag: `x` must be 1-D (to build a diagonal matrix) or 2-D (to read one). "
            f"Got shape {s}."
        )
    n = s[0]
    square = where(np.eye(n, dtype=bool), multiply(reshape(x, (n, 1)),
                                                  np.ones((1, n), dtype=_dtype_of(x))), _zero(x))
    if k == 0:
        return square
    a = builtins.abs(k)
    widths = ((0, a), (a, 0)) if k > 0 else ((a, 0), (0, a))
    return pad(square, widths)


# ---------------------------------------------------------------------------
# Splitting and slicing


def unstack(x, num=None, axis=0) -> list:
    """Split ``x`` along ``axis`` into a list of tensors with that axis removed.

    Example:
        >>> from lamina import ops
        >>> [t.shape for t in ops.unstack(ops.ones((2, 3)), axis=1)]
        [(2,), (2,), (2,)]
    """
    n = ndim(x)
    a = _axis_arg("unstack", "axis", axis, n)
    length = shape(x)[a]
    if num is not None and _int(num) != length:
        raise ValueError(
            f"unstack: `num` must be the length of axis {axis} of `x`, {length}. Got num={num} "
            f"for shape {shape(x)}. Leave num=None to take it from the shape."
        )
    lead = (builtins.slice(None),) * a
    return [getitem(x, (*lead, i)) for i in range(length)]


def _start_list(name, start_indices, n, x_shape):
    """``start_indices`` as Python ints, or ``None`` when it is a tensor (read by ops)."""
    if isinstance(start_indices, (list, tuple)) and any(
            isinstance(s, Tensor) for s in start_indices):
        return None  # (a list holding tensors: stacked by ``_tensor_starts``)
    if isinstance(start_indices, Tensor):
        got = shape(start_indices)
        if got != (n,):
            raise ValueError(
                f"{name}: `start_indices` must hold one start per dimension of `inputs` "
                f"({n}, for shape {x_shape}). Got a tensor of shape {got}."
            )
        return None
    starts = list(np.asarray(start_indices).reshape(-1)) if np.ndim(start_indices) else None
    if starts is None or len(starts) != n:
        got = "a scalar" if starts is None else f"{len(starts)} values ({list(start_indices)})"
        raise ValueError(
            f"{name}: `start_indices` must hold one start per dimension of `inputs` "
            f"({n}, for shape {x_shape}). Got {got}."
        )
    return [_int(s) for s in starts]


def _dynamic_starts(name, start_indices, sizes, dims):
    """Tensor starts clipped so each window fits (as XLA's dynamic slices do)."""
    if isinstance(start_indices, (list, tuple)):
        if len(start_indices) != len(dims):
            raise ValueError(
                f"{name}: `start_indices` must hold one start per dimension of `inputs` "
                f"({len(dims)}, "
                f"for shape {tuple(dims)}). Got {len(start_indices)} values."
            )
        start_indices = stack([cast(s, "int32") for s in start_indices])
    starts = cast(start_indices, "int32")
    return [clip(getitem(starts, i), 0, d - s) for i, (s, d) in enumerate(zip(sizes, dims))]


def slice(inputs, start_indices, shape) -> Tensor:  # noqa: A001 - Keras's name
    """``inputs[s0:s0 + shape[0], s1:s1 + shape[1], ...]`` for ``start_indices`` ``(s0, s1, ...)``.

    ``start_indices`` may be a tensor (computed by other ops); a tensor's starts are
    clipped so the window fits in ``inputs``. A size of ``-1`` takes the rest of that axis
    (with static starts only). Gradients flow to ``inputs``.

    Example:
        >>> from lamina import ops
        >>> ops.slice(ops.arange(6), [2], [3]).numpy()
        array([2, 3, 4], dtype=int32)
    """
    dims = _shape(inputs)
    n = len(dims)
    sizes = list(np.asarray(shape).reshape(-1)) if np.ndim(shape) else None
    if sizes is None or len(sizes) != n:
        raise ValueError(
            f"slice: `shape` must give one size per dimension of `inputs` ({n}, for shape "
            f"{dims}). Got shape={shape!r}."
        )
    starts = _start_list("slice", start_indices, n, dims)
    if starts is None:
        if any(_int(s) == -1 for s in sizes):
            raise ValueError(
                "slice: a size of -1 needs static `start_indices` (Python ints); with a tensor "
                f"of starts give every size. Got shape={list(sizes)}."
            )
        sizes = [_int(s) for s in sizes]
        _check_sizes("slice", "shape", sizes, [0] * n, dims)
        out = inputs
        starts = _dynamic_starts("slice", start_indices, sizes, dims)
        for axis, (st, size) in enumerate(zip(starts, sizes)):
            out = take(out, add(st, np.arange(size, dtype=np.int32)), axis=axis)
        return out
    sizes = [d - st if _int(s) == -1 else _int(s) for s, st, d in zip(sizes, starts, dims)]
    _check_sizes("slice", "shape", sizes, starts, dims)
    return getitem(inputs, tuple(builtins.slice(st, st + s) for st, s in zip(starts, sizes)))


def _check_sizes(name, arg, sizes, starts, dims):
    for axis, (size, st, d) in enumerate(zip(sizes, starts, dims)):
        if size < 0 or st < 0 or st + size > d:
            raise ValueError(
                f"{name}: the window on axis {axis} (start {st}, size {size}) must lie inside "
                f"`inputs`, whose shape is {tuple(dims)}. Check `start_indices` and `{arg}`."
            )


def slice_update(inputs, start_indices, updates) -> Tensor:
    """``inputs`` with ``updates`` written over the window that starts at ``start_indices``.

    ``updates`` has the rank of ``inputs`` (cast to its dtype) and must fit from the start;
    a tensor of starts is clipped so it fits. Gradients flow to ``inputs`` (outside the
    window) and to ``updates``.

    Example:
        >>> from lamina import ops
        >>> ops.slice_update(ops.zeros((2, 3)), [1, 1], ops.ones((1, 2))).numpy()
        array([[0., 0., 0.],
               [0., 1., 1.]], dtype=float32)
    """
    inputs = inputs if isinstance(inputs, Tensor) else convert_to_tensor(inputs)
    dims = _shape(inputs)
    n = len(dims)
    sizes = list(_shape(updates))
    if len(sizes) != n:
        raise ValueError(
            f"slice_update: `updates` must have the rank of `inputs` ({n}, shape {dims}). "
            f"Got updates of shape {tuple(sizes)}."
        )
    starts = _start_list("slice_update", start_indices, n, dims)
    updates = cast(updates, _dtype_of(inputs))
    if starts is not None:
        _check_sizes("slice_update", "updates", sizes, starts, dims)
        inside = np.zeros(dims, dtype=bool)
        inside[tuple(builtins.slice(st, st + s) for st, s in zip(starts, sizes))] = True
        placed = pad(updates, [(st, d - st - s) for st, s, d in zip(starts, sizes, dims)])
        return where(inside, placed, inputs)
    _check_sizes("slice_update", "updates", sizes, [0] * n, dims)
    inside, placed = None, updates
    starts = _dynamic_starts("slice_update", start_indices, sizes, dims)
    for axis, (st, size, d) in enumerate(zip(starts, sizes, dims)):
        pos = subtract(np.arange(d, dtype=np.int32), st)  # position inside the window
        hit = logical_and(greater(pos, -1), less(pos, size))
        hit = reshape(hit, [d if i == axis else 1 for i in range(n)])
        inside = hit if inside is None else logical_and(inside, hit)
        placed = take(placed, clip(pos, 0, builtins.max(size - 1, 0)), axis=axis)
    return where(inside, placed, inputs) if builtins.all(sizes) else inputs


# ---------------------------------------------------------------------------
# Numbers


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False) -> Tensor:
    """True where ``|x1 - x2| <= atol + rtol * |x2|`` (equal infinities count as close;
    NaNs only with ``equal_nan=True``); exact equality for integers. No gradient.

    Example:
        >>> from lamina import ops
        >>> ops.isclose([1.0, 2.0], [1.0 + 1e-7, 2.1]).numpy()
        array([ True, False])
    """
    x1 = x1 if isinstance(x1, Tensor) else convert_to_tensor(x1)
    x2 = x2 if isinstance(x2, Tensor) else convert_to_tensor(x2)
    dt = _promote(_dtype_of(x1), _dtype_of(x2))
    x1, x2 = cast(x1, dt), cast(x2, dt)
    if dt.kind not in "fc":
        return equal(x1, x2)
    finite = logical_and(isfinite(x1), isfinite(x2))
    a, b = where(finite, x1, _zero(x1)), where(finite, x2, _zero(x2))  # (no inf - inf)
    near = less_equal(abs(subtract(a, b)), add(atol, multiply(rtol, abs(b))))
    out = logical_or(logical_and(finite, near), equal(x1, x2))
    if equal_nan:
        out = logical_or(out, logical_and(isnan(x1), isnan(x2)))
    return out


def nan_to_num(x, nan=0.0, posinf=None, neginf=None) -> Tensor:
    """``x`` with NaN replaced by ``nan`` and infinities by ``posinf``/``neginf`` (the
    dtype's largest and smallest finite values by default). Integers pass unchanged.
    The gradient passes to the entries kept.

    Example:
        >>> from lamina import ops
        >>> ops.nan_to_num([float("nan"), 1.0]).numpy()
        array([0., 1.], dtype=float32)
    """
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    dt = _dtype_of(x)
    if dt.kind != "f":
        return x
    info = np.finfo(dt)
    big = np.asarray(info.max if posinf is None else posinf, dtype=dt)
    small = np.asarray(info.min if neginf is None else neginf, dtype=dt)
    out = where(isnan(x), np.asarray(nan, dtype=dt), x)
    infinite = isinf(x)
    out = where(logical_and(infinite, greater(x, 0)), big, out)
    return where(logical_and(infinite, less(x, 0)), small, out)


def cumprod(x, axis=None, dtype=None) -> Tensor:
    """Cumulative product along ``axis`` (of the flattened ``x`` when ``None``).

    Computed as a log-depth scan of products, so the gradient is exact at zeros too.
    Booleans multiply as int32.

    Example:
        >>> from lamina import ops
        >>> ops.cumprod([1.0, 2.0, 3.0]).numpy()
        array([1., 2., 6.], dtype=float32)
    """
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if dtype is not None:
        x = cast(x, dtype)
    if _dtype_of(x) == np.bool_:
        x = cast(x, "int32")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    n = ndim(x)
    a = _axis_arg("cumprod", "axis", axis, n)
    length = shape(x)[a]
    out, step = x, 1
    while step < length:
        # out[i] *= out[i - step] (1 before the start): after the pass with step s, each
        # entry is the product of the 2s entries ending at it.
        head = getitem(out, (builtins.slice(None),) * a + (builtins.slice(0, length - step),))
        widths = [(step, 0) if i == a else (0, 0) for i in range(n)]
        out = multiply(out, pad(head, widths, constant_values=1))
        step *= 2
    return out
