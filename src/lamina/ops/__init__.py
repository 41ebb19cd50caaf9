"""``lamina.ops``: NumPy-like operations with Keras 3's ``keras.ops`` names.

Every function takes tensors, variables, NumPy arrays or Python numbers and
returns a ``lamina.Tensor``. Inside a ``GradientTape`` the differentiable
ones are recorded, so a custom layer or loss written with these functions
gets its gradients with no extra code. Primitives and their VJPs live in
``_primitives.py``; the functions here that are not primitives are composed
from them.

Example:
    >>> from lamina import ops
    >>> ops.softmax([[1.0, 1.0]]).numpy()
    array([[0.5, 0.5]], dtype=float32)
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from lamina import config
from lamina.autodiff.tape import apply, as_input_array
from lamina.autodiff.tape import stop_gradient as _stop_gradient
from lamina.autodiff.tensor import Tensor, to_array
from lamina.ops import _primitives as P

_builtin_max = builtins.max

# ---------------------------------------------------------------------------
# Conversion and creation


def _standardize_dtype(dtype):
    if dtype is None:
        return None
    if isinstance(dtype, str):
        return np.dtype(dtype)
    name = getattr(dtype, "name", None)
    if isinstance(name, str) and not isinstance(dtype, np.dtype):
        try:
            return np.dtype(name)
        except TypeError:
            pass
    return np.dtype(dtype)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None) -> Tensor:
    """Convert ``x`` (array, list, number, pandas object) to a tensor.

    Python floats and lists of floats become ``floatx()`` (float32), Python
    ints become int32, and NumPy arrays keep their dtype, as in Keras.

    Example:
        >>> from lamina import ops
        >>> ops.convert_to_tensor([1.0, 2.0]).dtype
        dtype('float32')
    """
    dtype = _standardize_dtype(dtype)
    if isinstance(x, Tensor):
        if dtype is None or x.dtype == dtype:
            return x
        return cast(x, dtype)
    if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
        x = x.to_numpy()
    if isinstance(x, np.ndarray) or hasattr(x, "__array__") and not isinstance(x, (list, tuple)):
        arr = np.asarray(x)
    else:
        arr = np.asarray(x)
        if arr.dtype == np.float64:
            arr = arr.astype(config.floatx())
        elif arr.dtype == np.int64:
            arr = arr.astype(np.int32)
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return Tensor(arr)


def convert_to_numpy(x) -> np.ndarray:
    """Return ``x`` as a NumPy array."""
    if isinstance(x, Tensor):
        return np.array(x.value)
    return np.asarray(x)


def stop_gradient(variable) -> Tensor:
    """Return the value of ``variable`` with gradients blocked."""
    return _stop_gradient(variable)


def shape(x) -> tuple:
    """The shape of ``x`` as a tuple of ints."""
    return tuple(np.shape(as_input_array(x)))


def ndim(x) -> int:
    """The number of dimensions of ``x``."""
    return len(shape(x))


def size(x) -> int:
    """The number of elements of ``x``."""
    return int(np.size(as_input_array(x)))


def dtype(x) -> str:
    """The dtype name of ``x`` (e.g. ``"float32"``)."""
    return np.asarray(as_input_array(x)).dtype.name


def _new(arr) -> Tensor:
    return Tensor(np.asarray(arr))


def zeros(shape, dtype=None) -> Tensor:
    """A tensor of zeros (``floatx`` unless ``dtype`` is given)."""
    return _new(np.zeros(shape, dtype=_standardize_dtype(dtype) or config.floatx()))


def ones(shape, dtype=None) -> Tensor:
    """A tensor of ones (``floatx`` unless ``dtype`` is given)."""
    return _new(np.ones(shape, dtype=_standardize_dtype(dtype) or config.floatx()))


def full(shape, fill_value, dtype=None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value`` (``floatx`` unless ``dtype`` is given)."""
    dt = _standardize_dtype(dtype) or np.dtype(config.floatx())
    return _new(np.full(shape, to_array(fill_value), dtype=dt))


def zeros_like(x, dtype=None) -> Tensor:
    """Zeros with the shape and dtype of ``x``."""
    return _new(np.zeros_like(as_input_array(x), dtype=_standardize_dtype(dtype)))


def ones_like(x, dtype=None) -> Tensor:
    """Ones with the shape and dtype of ``x``."""
    return _new(np.ones_like(as_input_array(x), dtype=_standardize_dtype(dtype)))


def full_like(x, fill_value, dtype=None) -> Tensor:
    """``fill_value`` with the shape and dtype of ``x``."""
    return _new(np.full_like(as_input_array(x), fill_value, dtype=_standardize_dtype(dtype)))


def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``."""
    dt = _standardize_dtype(dtype)
    arr = np.arange(start, stop, step, dtype=dt) if stop is not None else np.arange(start, dtype=dt)
    if dt is None:
        arr = arr.astype(config.floatx() if arr.dtype.kind == "f" else np.int32)
    return _new(arr)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (float32 by default)."""
    dt = _standardize_dtype(dtype) or np.dtype(config.floatx())
    arr = np.linspace(to_array(start), to_array(stop), int(num), endpoint=endpoint, axis=axis)
    return _new(arr.astype(dt))


def eye(N, M=None, k=0, dtype=None) -> Tensor:
    """The identity matrix (ones on diagonal ``k``)."""
    return _new(np.eye(N, M, k, dtype=_standardize_dtype(dtype) or config.floatx()))


def identity(n, dtype=None) -> Tensor:
    """The ``n`` by ``n`` identity matrix."""
    return eye(n, dtype=dtype)


def cast(x, dtype) -> Tensor:
    """Cast ``x`` to ``dtype``; gradients flow back through float casts."""
    dt = _standardize_dtype(dtype)
    return apply(P.CAST, (x,), dtype=dt)


# ---------------------------------------------------------------------------
# Elementwise arithmetic


def add(x1, x2) -> Tensor:
    """``x1 + x2`` with broadcasting."""
    return apply(P.ADD, (x1, x2))


def subtract(x1, x2) -> Tensor:
    """``x1 - x2`` with broadcasting."""
    return apply(P.SUBTRACT, (x1, x2))


def multiply(x1, x2) -> Tensor:
    """``x1 * x2`` with broadcasting."""
    return apply(P.MULTIPLY, (x1, x2))


def divide(x1, x2) -> Tensor:
    """``x1 / x2`` with broadcasting."""
    return apply(P.DIVIDE, (x1, x2))


true_divide = divide


def divide_no_nan(x1, x2) -> Tensor:
    """``x1 / x2``, with 0 wherever ``x2`` is 0."""
    safe = where(equal(x2, 0), ones_like(x2), x2)
    return where(equal(x2, 0), zeros_like(divide(x1, safe)), divide(x1, safe))


def negative(x) -> Tensor:
    """``-x``."""
    return apply(P.NEGATIVE, (x,))


def power(x1, x2) -> Tensor:
    """``x1 ** x2``."""
    return apply(P.POWER, (x1, x2))


def square(x) -> Tensor:
    """``x ** 2``."""
    return apply(P.SQUARE, (x,))


def sqrt(x) -> Tensor:
    """Square root."""
    return apply(P.SQRT, (x,))


def rsqrt(x) -> Tensor:
    """``1 / sqrt(x)``."""
    return reciprocal(sqrt(x))


def reciprocal(x) -> Tensor:
    """``1 / x``."""
    return apply(P.RECIPROCAL, (x,))


def exp(x) -> Tensor:
    """Exponential."""
    return apply(P.EXP, (x,))


def expm1(x) -> Tensor:
    """``exp(x) - 1``, accurate near 0."""
    return apply(P.EXPM1, (x,))


def log(x) -> Tensor:
    """Natural logarithm."""
    return apply(P.LOG, (x,))


def log1p(x) -> Tensor:
    """``log(1 + x)``, accurate near 0."""
    return apply(P.LOG1P, (x,))


def log2(x) -> Tensor:
    """Base-2 logarithm."""
    return divide(log(x), math.log(2.0))


def log10(x) -> Tensor:
    """Base-10 logarithm."""
    return divide(log(x), math.log(10.0))


def abs(x) -> Tensor:  # noqa: A001 - Keras's name
    """Absolute value (gradient 0 at 0, as in TensorFlow)."""
    return apply(P.ABS, (x,))


absolute = abs


def sin(x) -> Tensor:
    """Sine."""
    return apply(P.SIN, (x,))


def cos(x) -> Tensor:
    """Cosine."""
    return apply(P.COS, (x,))


def tan(x) -> Tensor:
    """Tangent."""
    return divide(sin(x), cos(x))


def erf(x) -> Tensor:
    """The error function."""
    return apply(P.ERF, (x,))


def maximum(x1, x2) -> Tensor:
    """Elementwise maximum; a tie sends the gradient to ``x1``."""
    return apply(P.MAXIMUM, (x1, x2))


def minimum(x1, x2) -> Tensor:
    """Elementwise minimum; a tie sends the gradient to ``x1``."""
    return apply(P.MINIMUM, (x1, x2))


def clip(x, x_min, x_max) -> Tensor:
    """Limit ``x`` to ``[x_min, x_max]``; the gradient passes on the closed interval."""
    return apply(P.CLIP, (x, x_min, x_max))


def where(condition, x1=None, x2=None) -> Tensor:
    """``x1`` where ``condition`` holds, else ``x2``; with one argument, the indices."""
    if x1 is None and x2 is None:
        return tuple(_new(i) for i in np.nonzero(as_input_array(condition)))
    if x1 is None or x2 is None:
        raise ValueError("where() needs both x1 and x2, or neither.")
    return apply(P.WHERE, (condition, x1, x2))


# Ops without gradients: results carry no graph.


def _nograd(fn):
    def op(*args, **kwargs):
        arrays = [as_input_array(a) if isinstance(a, Tensor) else a for a in args]
        return _new(fn(*arrays, **kwargs))

    return op


sign = _nograd(np.sign)
sign.__doc__ = "The sign of ``x`` (-1, 0 or 1); no gradient."
floor = _nograd(np.floor)
floor.__doc__ = "Round down; no gradient."
ceil = _nograd(np.ceil)
ceil.__doc__ = "Round up; no gradient."
floor_divide = _nograd(np.floor_divide)
floor_divide.__doc__ = "``x1 // x2``; no gradient."
mod = _nograd(np.mod)
mod.__doc__ = "``x1 % x2``; no gradient."
equal = _nograd(np.equal)
equal.__doc__ = "``x1 == x2`` elementwise."
not_equal = _nograd(np.not_equal)
not_equal.__doc__ = "``x1 != x2`` elementwise."
less = _nograd(np.less)
less.__doc__ = "``x1 < x2`` elementwise."
less_equal = _nograd(np.less_equal)
less_equal.__doc__ = "``x1 <= x2`` elementwise."
greater = _nograd(np.greater)
greater.__doc__ = "``x1 > x2`` elementwise."
greater_equal = _nograd(np.greater_equal)
greater_equal.__doc__ = "``x1 >= x2`` elementwise."
logical_and = _nograd(np.logical_and)
logical_and.__doc__ = "Elementwise logical and."
logical_or = _nograd(np.logical_or)
logical_or.__doc__ = "Elementwise logical or."
logical_not = _nograd(np.logical_not)
logical_not.__doc__ = "Elementwise logical not."
isnan = _nograd(np.isnan)
isnan.__doc__ = "True where ``x`` is NaN."
isinf = _nograd(np.isinf)
isinf.__doc__ = "True where ``x`` is infinite."
isfinite = _nograd(np.isfinite)
isfinite.__doc__ = "True where ``x`` is finite."


def round(x, decimals=0) -> Tensor:  # noqa: A001 - Keras's name
    """Round half to even; no gradient."""
    return _new(np.round(as_input_array(x), decimals))


def argmax(x, axis=None, keepdims=False) -> Tensor:
    """Index of the largest value along ``axis`` (int32)."""
    return _new(np.argmax(as_input_array(x), axis=axis, keepdims=keepdims).astype(np.int32))


def argmin(x, axis=None, keepdims=False) -> Tensor:
    """Index of the smallest value along ``axis`` (int32)."""
    return _new(np.argmin(as_input_array(x), axis=axis, keepdims=keepdims).astype(np.int32))


def argsort(x, axis=-1) -> Tensor:
    """Indices that sort ``x`` along ``axis``."""
    return _new(np.argsort(as_input_array(x), axis=axis, kind="stable").astype(np.int32))


def all(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - Keras's name
    """True where all entries along ``axis`` are true."""
    return _new(np.all(as_input_array(x), axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - Keras's name
    """True where any entry along ``axis`` is true."""
    return _new(np.any(as_input_array(x), axis=axis, keepdims=keepdims))


def count_nonzero(x, axis=None) -> Tensor:
    """How many entries are non-zero along ``axis`` (int32)."""
    return _new(np.asarray(np.count_nonzero(as_input_array(x), axis=axis), dtype=np.int32))


# ---------------------------------------------------------------------------
# Reductions


def _axis(axis):
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - Keras's name
    """Sum along ``axis`` (all axes when ``None``)."""
    return apply(P.SUM, (x,), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False) -> Tensor:
    """Mean along ``axis`` (all axes when ``None``)."""
    if np.asarray(as_input_array(x)).dtype.kind in "iub":
        x = cast(x, config.floatx())
    return apply(P.MEAN, (x,), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False, initial=None) -> Tensor:  # noqa: A001
    """Largest value along ``axis``; tied entries share the gradient."""
    out = apply(P.MAX, (x,), axis=_axis(axis), keepdims=keepdims)
    return out if initial is None else maximum(out, initial)


def min(x, axis=None, keepdims=False, initial=None) -> Tensor:  # noqa: A001
    """Smallest value along ``axis``; tied entries share the gradient."""
    out = apply(P.MIN, (x,), axis=_axis(axis), keepdims=keepdims)
    return out if initial is None else minimum(out, initial)


amax = max
amin = min


def prod(x, axis=None, keepdims=False, dtype=None) -> Tensor:
    """Product along ``axis``."""
    if dtype is not None:
        x = cast(x, dtype)
    return apply(P.PROD, (x,), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False) -> Tensor:
    """Variance (population, ``ddof=0``) along ``axis``."""
    axis = _axis(axis)
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False) -> Tensor:
    """Standard deviation (population) along ``axis``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def moments(x, axes, keepdims=False, synchronized=False):
    """Return ``(mean, variance)`` of ``x`` over ``axes``."""
    axes = _axis(axes)
    m = mean(x, axis=axes, keepdims=True)
    v = mean(square(subtract(x, stop_gradient(m))), axis=axes, keepdims=True)
    v = subtract(v, square(subtract(m, stop_gradient(m))))
    if not keepdims:
        m = squeeze(m, axis=axes)
        v = squeeze(v, axis=axes)
    return m, v


def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    """``log(sum(exp(x)))`` along ``axis``, computed without overflow."""
    return apply(P.LOGSUMEXP, (x,), axis=_axis(axis), keepdims=keepdims)


def cumsum(x, axis=None, dtype=None) -> Tensor:
    """Cumulative sum along ``axis`` (flattened when ``None``)."""
    if dtype is not None:
        x = cast(x, dtype)
    return apply(P.CUMSUM, (x,), axis=axis)


def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:
    """Vector or matrix norm along ``axis``, as ``numpy.linalg.norm``.

    One axis (or a 1-D input with ``axis=None``) gives a vector norm: ``ord`` is
    ``None``/2 (Euclidean), ``inf``, ``-inf``, 0 (count of non-zeros) or any other
    number ``p`` for ``sum(|x|^p)^(1/p)``. Two axes (or a 2-D input) give a matrix
    norm: ``None``/``"fro"``, 1, -1, ``inf`` or ``-inf``. With ``ord=None`` and
    ``axis=None`` any input is flattened.

    Example:
        >>> from lamina import ops
        >>> float(ops.norm([3.0, 4.0]))
        5.0
    """
    ord = {"euclidean": None, "inf": np.inf}.get(ord, ord) if isinstance(ord, str) else ord
    n = ndim(x)
    if axis is None and ord is None:
        return sqrt(sum(square(x), keepdims=keepdims))
    axes = tuple(range(n)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % n for a in axes)
    if len(axes) == 1:
        if ord in (None, 2, "fro"):
            return sqrt(sum(square(x), axis=axes, keepdims=keepdims))
        if ord == np.inf:
            return max(abs(x), axis=axes, keepdims=keepdims)
        if ord == -np.inf:
            return min(abs(x), axis=axes, keepdims=keepdims)
        if ord == 0:
            return sum(cast(not_equal(x, 0), dtype(x)), axis=axes, keepdims=keepdims)
        if not isinstance(ord, str):
            p = float(ord)
            return power(sum(power(abs(x), p), axis=axes, keepdims=keepdims), 1.0 / p)
    elif len(axes) == 2:
        row, col = axes
        if ord in (None, "fro"):
            return sqrt(sum(square(x), axis=axes, keepdims=keepdims))
        if ord in (1, -1, np.inf, -np.inf):
            # 1: largest column sum of |x|; inf: largest row sum (min for -1 / -inf).
            summed, reduced = (row, col) if ord in (1, -1) else (col, row)
            pick = max if ord > 0 else min
            out = pick(sum(abs(x), axis=summed, keepdims=True), axis=reduced, keepdims=True)
            return out if keepdims else squeeze(out, axis=axes)
        if ord in (2, -2, "nuc"):
            raise ValueError(
                f"norm: the matrix norm ord={ord!r} needs singular values, which lamina does "
                "not differentiate. Use ord='fro', 1, -1, inf or -inf, or a vector norm."
            )
    else:
        raise ValueError(
            f"norm: `axis` must name one or two axes; got axis={axis!r} for an input with "
            f"{n} dimensions. Pass axis=None with ord=None to flatten."
        )
    raise ValueError(
        f"norm: ord={ord!r} is not a valid {'vector' if len(axes) == 1 else 'matrix'} norm. "
        "Use None, 2, 1, inf, -inf or a number (vectors); None, 'fro', 1, -1, inf, -inf "
        "(matrices)."
    )


# ---------------------------------------------------------------------------
# Shapes


def reshape(x, newshape) -> Tensor:
    """Give ``x`` a new shape with the same number of elements (``-1`` inferred)."""
    if isinstance(newshape, int):
        newshape = (newshape,)
    newshape = tuple(-1 if d is None else int(d) for d in newshape)
    return apply(P.RESHAPE, (x,), shape=newshape)


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


def expand_dims(x, axis) -> Tensor:
    """Insert axes of length 1 at ``axis``."""
    new = np.expand_dims(np.empty(shape(x), dtype=np.int8), axis).shape
    return reshape(x, new)


def squeeze(x, axis=None) -> Tensor:
    """Remove axes of length 1 (only ``axis`` when given)."""
    new = np.squeeze(np.empty(shape(x), dtype=np.int8), axis=_axis(axis)).shape
    return reshape(x, new)


def ravel(x) -> Tensor:
    """Flatten ``x`` to one dimension."""
    return reshape(x, (-1,))


def broadcast_to(x, shape) -> Tensor:
    """Broadcast ``x`` to ``shape``."""
    return apply(P.BROADCAST_TO, (x,), shape=tuple(shape))


def tile(x, repeats) -> Tensor:
    """Repeat ``x`` ``repeats`` times along each axis."""
    arr = as_input_array(x)
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
        return index.value
    if isinstance(index, tuple):
        return tuple(i.value if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(x, index) -> Tensor:
    """``x[index]`` with gradients (slices, integers and integer arrays)."""
    return apply(P.GETITEM, (x,), index=_index_arrays(index))


def take(x, indices, axis=None) -> Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (flattened when ``None``)."""
    idx = np.asarray(as_input_array(indices))
    if idx.dtype.kind not in "iu":
        idx = idx.astype(np.intp)
    return apply(P.TAKE, (x,), indices=idx, axis=axis)


def take_along_axis(x, indices, axis=None) -> Tensor:
    """Pick values of ``x`` at ``indices`` matched along ``axis``."""
    idx = np.asarray(as_input_array(indices)).astype(np.intp)
    if axis is None:
        x = ravel(x)
        idx = idx.reshape(-1)
        axis = 0
    return apply(P.TAKE_ALONG_AXIS, (x,), indices=idx, axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False) -> Tensor:
    """One-hot encode integer labels ``x`` into ``num_classes`` columns."""
    labels = np.asarray(as_input_array(x)).astype(np.int64)
    dt = _standardize_dtype(dtype) or np.dtype(config.floatx())
    out = (labels[..., None] == np.arange(num_classes)).astype(dt)
    if axis != -1:
        out = np.moveaxis(out, -1, axis)
    return _new(out)


def sort(x, axis=-1) -> Tensor:
    """Sorted copy of ``x`` along ``axis``."""
    idx = np.argsort(as_input_array(x), axis=axis, kind="stable")
    return take_along_axis(x, idx, axis=axis)


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's name
    """The ``k`` largest values along the last axis and their indices."""
    arr = as_input_array(x)
    idx = np.argsort(-arr, axis=-1, kind="stable")[..., :k]
    return take_along_axis(x, idx, axis=-1), _new(idx.astype(np.int32))


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


def outer(x1, x2) -> Tensor:
    """Outer product of two flattened vectors."""
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def dense(x, kernel, bias) -> Tensor:
    """``x @ kernel + bias`` as one fused op (lamina's fast path for ``Dense``)."""
    return apply(P.DENSE, (x, kernel, bias))


# ---------------------------------------------------------------------------
# Neural-network functions (``keras.ops.nn``)


def _keep_logits(out: Tensor, logits) -> Tensor:
    # Remember the pre-activation so cross-entropy can use it (as Keras does).
    if isinstance(logits, Tensor):
        out._keras_logits = logits
    return out


def relu(x) -> Tensor:
    """``max(x, 0)``; the gradient at 0 is 0."""
    return apply(P.RELU, (x,))


def relu6(x) -> Tensor:
    """``min(max(x, 0), 6)``; the gradient is 0 at 0 and at 6, as in TensorFlow."""
    # 6.0 first: the tie at x = 6 sends the gradient to the constant, not to x.
    return minimum(6.0, relu(x))


def sigmoid(x) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return _keep_logits(apply(P.SIGMOID, (x,)), x)


def tanh(x) -> Tensor:
    """Hyperbolic tangent."""
    return apply(P.TANH, (x,))


def softplus(x) -> Tensor:
    """``log(1 + exp(x))``, computed without overflow."""
    return apply(P.SOFTPLUS, (x,))


def softsign(x) -> Tensor:
    """``x / (1 + |x|)``."""
    return divide(x, add(abs(x), 1.0))


def silu(x) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    return multiply(x, apply(P.SIGMOID, (x,)))


swish = silu


def hard_sigmoid(x) -> Tensor:
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid."""
    return divide(relu6(add(x, 3.0)), 6.0)


def hard_silu(x) -> Tensor:
    """``x * hard_sigmoid(x)``."""
    return multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def leaky_relu(x, negative_slope=0.2) -> Tensor:
    """``x`` for positive inputs, ``negative_slope * x`` otherwise."""
    return where(greater(x, 0), x, multiply(x, negative_slope))


def elu(x, alpha=1.0) -> Tensor:
    """``x`` if positive, else ``alpha * (exp(x) - 1)``."""
    # expm1 of min(x, 0): the branch not taken neither overflows nor turns gradients into NaN.
    return where(greater(x, 0), x, multiply(expm1(minimum(x, 0.0)), alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x) -> Tensor:
    """Scaled ELU with the self-normalising constants; ``selu'(0) = scale``, as in TensorFlow."""
    negative_part = multiply(expm1(minimum(x, 0.0)), _SELU_ALPHA)
    return multiply(where(greater_equal(x, 0), x, negative_part), _SELU_SCALE)


def gelu(x, approximate=True) -> Tensor:
    """Gaussian error linear unit: ``x * Phi(x)`` (tanh approximation by default)."""
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        inner = multiply(add(x, multiply(power(x, 3), 0.044715)), c)
        return multiply(multiply(x, 0.5), add(tanh(inner), 1.0))
    return multiply(multiply(x, 0.5), add(erf(multiply(x, 1.0 / math.sqrt(2.0))), 1.0))


def mish(x) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return multiply(x, tanh(softplus(x)))


def exponential(x) -> Tensor:
    """``exp(x)``."""
    return exp(x)


def softmax(x, axis=-1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return _keep_logits(apply(P.SOFTMAX, (x,), axis=axis), x)


def log_softmax(x, axis=-1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``."""
    return apply(P.LOG_SOFTMAX, (x,), axis=axis)


def normalize(x, axis=-1, order=2, epsilon=None) -> Tensor:
    """Scale ``x`` to unit ``order``-norm along ``axis``."""
    eps = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        # x * rsqrt(max(sum(x^2), eps^2)): same values as x / max(norm, eps), and a
        # zero vector gets a finite gradient instead of NaN.
        square_sum = sum(square(x), axis=axis, keepdims=True)
        return multiply(x, rsqrt(maximum(square_sum, eps * eps)))
    n = norm(x, ord=order, axis=axis, keepdims=True)
    return divide(x, maximum(n, eps))


def binary_crossentropy(target, output, from_logits=False) -> Tensor:
    """Elementwise binary cross-entropy between labels and probabilities (or logits).

    From probabilities, ``output`` is clipped to ``[eps, 1 - eps]`` first; a
    sigmoid output made by lamina is traced back to its logits instead.
    """
    if not from_logits and isinstance(output, Tensor) and output._keras_logits is not None:
        output, from_logits = output._keras_logits, True
    if from_logits:
        return apply(P.SIGMOID_XENT_LOGITS, (target, output))
    eps = config.epsilon()
    out = clip(output, eps, 1.0 - eps)
    bce = multiply(target, log(out))
    bce = add(bce, multiply(subtract(1.0, target), log(subtract(1.0, out))))
    return negative(bce)


def categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    """Cross-entropy between one-hot (or soft) labels and class probabilities.

    From probabilities, ``output`` is renormalised to sum to 1 along ``axis``
    and clipped to ``[eps, 1 - eps]``; a softmax output made by lamina is
    traced back to its logits instead.
    """
    if not from_logits and isinstance(output, Tensor) and output._keras_logits is not None:
        output, from_logits = output._keras_logits, True
    if from_logits:
        return apply(P.XENT_LOGITS, (target, output), axis=axis)
    eps = config.epsilon()
    out = divide(output, sum(output, axis=axis, keepdims=True))
    out = clip(out, eps, 1.0 - eps)
    return negative(sum(multiply(target, log(out)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    """Cross-entropy between integer labels and class probabilities (or logits)."""
    labels = np.asarray(as_input_array(target))
    if labels.ndim == ndim(output) and labels.shape[axis] == 1:
        labels = np.squeeze(labels, axis=axis)
    labels = labels.astype(np.intp)
    if not from_logits and isinstance(output, Tensor) and output._keras_logits is not None:
        output, from_logits = output._keras_logits, True
    if from_logits:
        return apply(P.SPARSE_XENT_LOGITS, (output, labels), axis=axis)
    # Keras clips first, then renormalises (through log_softmax of the log).
    eps = config.epsilon()
    logp = log_softmax(log(clip(output, eps, 1.0 - eps)), axis=axis)
    picked = take_along_axis(logp, np.expand_dims(labels, axis), axis=axis)
    return negative(squeeze(picked, axis=axis))


__all__ = sorted(
    name
    for name, value in list(globals().items())
    if not name.startswith("_")
    and callable(value)
    and name not in {"Tensor", "Variable", "apply", "as_input_array", "to_array", "annotations"}
    and getattr(value, "__module__", __name__) in (__name__, None)
    or name in {"sign", "floor", "ceil", "equal", "not_equal", "less", "less_equal", "greater",
                "greater_equal", "logical_and", "logical_or", "logical_not", "isnan", "isinf",
                "isfinite", "floor_divide", "mod"}
)
