"""Tensors and variables: NumPy arrays that remember how they were made.

A ``Tensor`` wraps one ``numpy.ndarray`` (``.value``). When a ``GradientTape``
is recording and an op reads a tracked input (a trainable ``Variable``, a
watched tensor, or the output of an earlier recorded op), the op's output
gets a ``Node``: the primitive, its inputs and what the primitive saved for
its backward pass. ``lamina.autodiff.tape`` walks those nodes in reverse.

A ``Variable`` is a ``Tensor`` whose storage is updated in place by
``assign``: views of it stay valid, and optimizers can keep all of a model's
variables in one flat buffer.
"""

from __future__ import annotations

from threading import get_ident as _get_ident

import numpy as np

from lamina import config
from lamina.autodiff import _state

__all__ = ["Tensor", "Variable", "Node", "to_array", "is_tensor", "raw_value"]

# Tapes that are currently recording, innermost last. ``_STATE`` is an
# immutable snapshot of it that nodes keep, so a tape only follows the nodes
# recorded while it was active.
_ACTIVE: list = []
_STATE: tuple = ()


def _set_active(tapes: list) -> None:
    global _STATE
    _ACTIVE[:] = tapes
    _STATE = tuple(t for t in tapes if t._recording)


def recording() -> bool:
    """True when at least one GradientTape is recording."""
    return bool(_STATE)


def state() -> tuple:
    return _STATE


class Node:
    """How a tensor was computed: ``prim.vjp(g, saved)`` gives the input gradients."""

    __slots__ = ("prim", "inputs", "saved", "tapes")

    def __init__(self, prim, inputs, saved, tapes):
        self.prim = prim
        self.inputs = inputs
        self.saved = saved
        self.tapes = tapes


def to_array(x, dtype=None) -> np.ndarray:
    """Return the NumPy array behind ``x`` (a Tensor, Variable, array or nested list)."""
    if isinstance(x, Tensor):
        v = x.value
        return v if dtype is None or v.dtype == dtype else v.astype(dtype)
    return np.asarray(x, dtype=dtype)


def is_tensor(x) -> bool:
    """True for lamina tensors and variables."""
    return isinstance(x, Tensor)


_OPS = []


def _op(name):
    # Tensor's operators are lamina.ops functions; ops sits above this module and is found by
    # name once (importlib: autodiff imports nothing above it).
    if not _OPS:
        import importlib

        _OPS.append(importlib.import_module("lamina.ops"))
    return getattr(_OPS[0], name)


class Tensor:
    """An immutable n-dimensional array that records the ops applied to it.

    Behaves like a NumPy array to the user: ``.shape``, ``.dtype``, ``.numpy()``,
    ``np.asarray(t)``, indexing, arithmetic, printing and ``format``.

    Example:
        >>> import lamina
        >>> t = lamina.ops.convert_to_tensor([[1.0, 2.0]])
        >>> (t * 2).numpy()
        array([[2., 4.]], dtype=float32)
    """

    # ``_keras_mask``: set by a layer that gives its output a mask (left unset otherwise;
    # read with ``getattr(t, "_keras_mask", None)``).
    __slots__ = ("value", "_node", "_keras_logits", "_keras_mask", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, value, node: Node | None = None):
        self.value = value if isinstance(value, np.ndarray) else np.asarray(value)
        self._node = node
        self._keras_logits = None

    # -- array protocol -------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def T(self):
        return _op("transpose")(self)

    def numpy(self) -> np.ndarray:
        """Return the values as a NumPy array (a copy for variables)."""
        return self.value

    def __array__(self, dtype=None, copy=None):
        v = self.value
        if dtype is not None and v.dtype != dtype:
            return v.astype(dtype)
        return v.copy() if copy else v

    def astype(self, dtype):
        return _op("cast")(self, dtype)

    def __len__(self) -> int:
        if self.value.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.value)

    def __iter__(self):
        if self.value.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(len(self.value)):
            yield self[i]

    def __getitem__(self, index):
        return _op("getitem")(self, index)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __index__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __hash__(self):
        return id(self)

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        v = self.value
        if v.ndim == 0:
            return format(v.item(), spec)
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"<Tensor shape={self.shape}, dtype={self.dtype}, numpy=\n{self.value!r}>"

    def __str__(self) -> str:
        return str(self.value)

    # -- arithmetic -----------------------------------------------------------
    def __add__(self, other):
        return _op("add")(self, other)

    def __radd__(self, other):
        return _op("add")(other, self)

    def __sub__(self, other):
        return _op("subtract")(self, other)

    def __rsub__(self, other):
        return _op("subtract")(other, self)

    def __mul__(self, other):
        return _op("multiply")(self, other)

    def __rmul__(self, other):
        return _op("multiply")(other, self)

    def __truediv__(self, other):
        return _op("divide")(self, other)

    def __rtruediv__(self, other):
        return _op("divide")(other, self)

    def __floordiv__(self, other):
        return _op("floor_divide")(self, other)

    def __rfloordiv__(self, other):
        return _op("floor_divide")(other, self)

    def __mod__(self, other):
        return _op("mod")(self, other)

    def __pow__(self, other):
        return _op("power")(self, other)

    def __rpow__(self, other):
        return _op("power")(other, self)

    def __matmul__(self, other):
        return _op("matmul")(self, other)

    def __rmatmul__(self, other):
        return _op("matmul")(other, self)

    def __neg__(self):
        return _op("negative")(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _op("abs")(self)

    # -- comparisons (no gradient) -------------------------------------------
    def __eq__(self, other):
        return _op("equal")(self, other)

    def __ne__(self, other):
        return _op("not_equal")(self, other)

    def __lt__(self, other):
        return _op("less")(self, other)

    def __le__(self, other):
        return _op("less_equal")(self, other)

    def __gt__(self, other):
        return _op("greater")(self, other)

    def __ge__(self, other):
        return _op("greater_equal")(self, other)

    def __and__(self, other):
        return _op("logical_and")(self, other)

    def __or__(self, other):
        return _op("logical_or")(self, other)

    def __invert__(self):
        return _op("logical_not")(self)


# The array behind any tensor, read without telling a recorder (for lamina's own plumbing:
# shapes, dtypes, and the inputs of recorded operations).
raw_value = Tensor.__dict__["value"].__get__
_set_raw_value = Tensor.__dict__["value"].__set__


def _variable_value(self):
    rec = _state.current
    if rec is not None and _state.owner != _get_ident():
        rec = None  # (another thread traces: not this code)
    if rec is not None:
        rec.variable_read(self)
    return raw_value(self)


class StaticMetadata:
    """Shape, dtype, rank and size read from the array itself, not through ``value``.

    For tensors whose ``value`` reports its reads to a traced step (variables,
    traced tensors): their metadata is fixed per signature, so reading it is
    not a read of their values.
    """

    __slots__ = ()

    @property
    def shape(self) -> tuple:
        return raw_value(self).shape

    @property
    def dtype(self):
        return raw_value(self).dtype

    @property
    def ndim(self) -> int:
        return raw_value(self).ndim

    @property
    def size(self) -> int:
        return raw_value(self).size

    def __len__(self) -> int:
        v = raw_value(self)
        if v.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(v)


class Variable(StaticMetadata, Tensor):
    """A tensor whose values a model learns: updated in place by ``assign``.

    Args:
        initializer: an array-like initial value, or an initializer (name,
            object or callable ``f(shape, dtype)``) used with ``shape``.
        shape: the shape, needed when ``initializer`` is not an array.
        dtype: the float type; defaults to ``lamina.config.floatx()`` for floats.
        trainable: whether ``GradientTape`` watches it and ``fit`` updates it.
        name: the variable's name; ``path`` is ``"<layer>/<name>"`` inside a layer.

    Example:
        >>> import lamina
        >>> v = lamina.Variable([1.0, 2.0], name="v")
        >>> v.assign([3.0, 4.0]).numpy()
        array([3., 4.], dtype=float32)
    """

    __slots__ = ("name", "path", "trainable", "constraint", "regularizer", "_layer")

    # A value read while a step is traced is reported: it would freeze the variable's
    # current values into the plan.
    value = property(_variable_value, _set_raw_value)

    def __init__(
        self,
        initializer=None,
        shape=None,
        dtype=None,
        trainable: bool = True,
        name: str | None = None,
        constraint=None,
        **kwargs,
    ):
        kwargs.pop("autocast", None)
        kwargs.pop("aggregation", None)
        kwargs.pop("synchronization", None)
        if kwargs:
            raise TypeError(f"Variable got unexpected keyword arguments: {sorted(kwargs)}")
        if initializer is None and shape is None:
            raise ValueError(
                "Variable needs an initial value: pass an array-like `initializer`, "
                "or an initializer together with `shape`."
            )
        value = _initial_value(initializer, shape, dtype)
        super().__init__(value)
        self.name = name or "variable"
        self.path = self.name
        self.trainable = bool(trainable)
        self.constraint = constraint
        self.regularizer = None
        self._layer = None

    def numpy(self) -> np.ndarray:
        return self.value.copy()

    def assign(self, value):
        """Write ``value`` into this variable in place and return the variable."""
        return self._write("assign", value)

    def assign_add(self, value):
        """Add ``value`` to this variable in place and return the variable."""
        return self._write("assign_add", value)

    def assign_sub(self, value):
        """Subtract ``value`` from this variable in place and return the variable."""
        return self._write("assign_sub", value)

    def _write(self, mode, value):
        rec = _state.current
        if rec is not None and _state.owner != _get_ident():
            rec = None  # (another thread traces: not this code)
        if rec is not None:
            rec.assign(self, mode, value)  # recorded, and done now
            return self
        self.write_array(mode, value.value if isinstance(value, Tensor) else np.asarray(value))
        return self

    def write_array(self, mode, arr):
        """``assign``/``assign_add``/``assign_sub`` of an array (the engine replays this)."""
        target = raw_value(self)
        if mode == "assign":
            if arr.shape != target.shape:
                try:
                    arr = np.broadcast_to(arr, target.shape)
                except ValueError:
                    raise ValueError(
                        f"Variable '{self.path}' has shape {target.shape}; the value "
                        f"assigned to it has shape {arr.shape}. Assign a value of the "
                        "variable's shape."
                    ) from None
            np.copyto(target, arr, casting="unsafe")
            return
        arr = arr.astype(target.dtype, copy=False)
        if arr.shape != target.shape:
            try:
                ok = np.broadcast_shapes(arr.shape, target.shape) == target.shape
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(
                    f"Variable '{self.path}' has shape {target.shape}; the value given to "
                    f"{mode} has shape {arr.shape}. Pass a value of the variable's shape."
                )
        if mode == "assign_add":
            np.add(target, arr, out=target)
        else:
            np.subtract(target, arr, out=target)

    def __repr__(self) -> str:
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"value={self.value}>"
        )

    def __str__(self) -> str:
        return self.__repr__()

    def __hash__(self):
        return id(self)


def _initial_value(initializer, shape, dtype):
    if isinstance(initializer, (np.ndarray, Tensor, list, tuple, float, int, np.generic)):
        arr = to_array(initializer)
        if dtype is None:
            if hasattr(initializer, "dtype"):
                dtype = arr.dtype  # arrays keep their dtype, as in Keras
            elif arr.dtype.kind == "f":
                dtype = config.floatx()
            elif arr.dtype.kind in "iu":
                dtype = np.int32
            else:
                dtype = arr.dtype
        arr = np.array(arr, dtype=dtype, copy=True)
        if shape is not None and tuple(shape) != arr.shape:
            raise ValueError(
                f"Variable: the initial value has shape {arr.shape} but shape={tuple(shape)} "
                "was given. Pass a value of that shape or leave `shape` out."
            )
        return arr
    from lamina.utils import registry  # (initializers sit above; the registry finds them)

    init = registry.resolve("initializer", initializer)
    dtype = dtype or config.floatx()
    value = init(tuple(int(d) for d in shape), dtype=dtype)
    return np.array(to_array(value), dtype=dtype, copy=True)
