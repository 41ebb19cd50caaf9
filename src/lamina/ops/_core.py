"""Conversion, creation, dtypes and the basic reshapes of ``lamina.ops``."""

from __future__ import annotations

import numpy as np

from lamina import config
from lamina.autodiff.tape import apply, as_input_array
from lamina.autodiff.tape import stop_gradient as _stop_gradient
from lamina.autodiff.tensor import Tensor, raw_value, to_array
from lamina.ops import _primitives as P

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


def _meta(x):
    """The array behind ``x``, for its shape and dtype only (not a value read while tracing)."""
    if isinstance(x, Tensor):
        return raw_value(x)
    return as_input_array(x)


def shape(x) -> tuple:
    """The shape of ``x`` as a tuple of ints."""
    return tuple(np.shape(_meta(x)))


def ndim(x) -> int:
    """The number of dimensions of ``x``."""
    return len(shape(x))


def size(x) -> int:
    """The number of elements of ``x``."""
    return int(np.size(_meta(x)))


def dtype(x) -> str:
    """The dtype name of ``x`` (e.g. ``"float32"``)."""
    return np.asarray(_meta(x)).dtype.name


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
    return _new(np.zeros_like(_meta(x), dtype=_standardize_dtype(dtype)))


def ones_like(x, dtype=None) -> Tensor:
    """Ones with the shape and dtype of ``x``."""
    return _new(np.ones_like(_meta(x), dtype=_standardize_dtype(dtype)))


def full_like(x, fill_value, dtype=None) -> Tensor:
    """``fill_value`` with the shape and dtype of ``x``."""
    return _new(np.full_like(_meta(x), to_array(fill_value), dtype=_standardize_dtype(dtype)))


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
# Reshapes

def _axis(axis):
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def reshape(x, newshape) -> Tensor:
    """Give ``x`` a new shape with the same number of elements (``-1`` inferred)."""
    if isinstance(newshape, int):
        newshape = (newshape,)
    newshape = tuple(-1 if d is None else int(d) for d in newshape)
    return apply(P.RESHAPE, (x,), shape=newshape)


def expand_dims(x, axis) -> Tensor:
    """Insert axes of length 1 at ``axis``."""
    new = np.expand_dims(np.empty(shape(x), dtype=np.int8), axis).shape
    return reshape(x, new)


def squeeze(x, axis=None) -> Tensor:
    """Remove axes of length 1 (only ``axis`` when given)."""
    new = np.squeeze(np.empty(shape(x), dtype=np.int8), axis=_axis(axis)).shape
    return reshape(x, new)
