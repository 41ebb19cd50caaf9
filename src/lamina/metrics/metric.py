"""The ``Metric`` base class: state kept across batches, read out with ``result()``.

A metric owns a few non-trainable ``Variable``\\ s (its state, e.g. ``total`` and
``count``). ``update_state(y_true, y_pred, sample_weight=None)`` adds one
batch to the state, ``result()`` reads the value so far, and ``reset_state()``
zeroes the state (``fit`` does this at the start of every epoch).

Updates run on plain NumPy arrays and write into the variables in place: no
tensors are built and nothing is recorded on a ``GradientTape``, so updating
a metric on a batch of ten samples costs a few microseconds.

Example:
    >>> import numpy as np
    >>> import lamina
    >>> class CountPositives(lamina.metrics.Metric):
    ...     def __init__(self, name="count_positives", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.count = self.add_variable(shape=(), initializer="zeros", name="count")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.count.assign_add(np.sum(np.asarray(y_pred) > 0))
    ...     def result(self):
    ...         return self.count
    >>> m = CountPositives()
    >>> float(m([0, 0, 0], [1.0, -2.0, 3.0]))
    2.0
"""

from __future__ import annotations

import functools
import types

import numpy as np

from lamina import config
from lamina.autodiff import hooks
from lamina.autodiff.tensor import Tensor, Variable
from lamina.utils import naming

__all__ = ["Metric"]


def as_array(x) -> np.ndarray:
    """Return the NumPy array behind ``x`` (a lamina Tensor, an ndarray, a list, a Series)."""
    if type(x) is np.ndarray:
        return x
    if isinstance(x, Tensor):
        return x.value
    return np.asarray(x)


def float_array(x) -> np.ndarray:
    """``as_array(x)`` with non-float values (ints, bools) and Python floats in ``floatx()``.

    Float arrays keep their dtype; a list of Python floats becomes float32, as
    ``convert_to_tensor`` makes it in Keras.
    """
    if type(x) is np.ndarray:
        a = x
    elif isinstance(x, Tensor):
        a = x.value
    else:
        a = np.asarray(x)
        if a.dtype == np.float64 and not hasattr(x, "dtype"):
            return a.astype(config.floatx())
    return a if a.dtype.kind == "f" else a.astype(config.floatx())


def standardize_dtype(dtype) -> str:
    """The compute dtype name of a metric's ``dtype`` argument (``None`` means ``floatx()``)."""
    if dtype is None:
        return config.floatx()
    compute = getattr(dtype, "compute_dtype", None)  # a DTypePolicy-like object
    if compute is not None:
        return str(compute)
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return "float16" if dtype == "mixed_float16" else "float32"
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(
            f"The 'dtype' argument of a metric must be a dtype name such as 'float32' or "
            f"'float64'. Got {dtype!r} instead."
        ) from None


def same_rank(x1: np.ndarray, x2: np.ndarray, expand_rank_1: bool = True):
    """Keras's rank alignment of two arrays whose ranks differ by one trailing axis of 1.

    If one array has one more axis than the other and that axis has size 1, it is
    squeezed away, except that a rank-1 partner is expanded to ``(n, 1)`` instead
    (when ``expand_rank_1``). Anything else is returned unchanged.

    Example:
        >>> import numpy as np
        >>> a, b = same_rank(np.zeros(4), np.zeros((4, 1)))
        >>> a.shape, b.shape
        ((4, 1), (4, 1))
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[:, None]
        else:
            x1 = x1.reshape(x1.shape[:-1])
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[:, None]
        else:
            x2 = x2.reshape(x2.shape[:-1])
    return x1, x2


def _initial_value(initializer, shape, dtype):
    if initializer is None or (isinstance(initializer, str) and initializer == "zeros"):
        return np.zeros(shape, dtype=dtype)
    if isinstance(initializer, str) and initializer == "ones":
        return np.ones(shape, dtype=dtype)
    if isinstance(initializer, (int, float, np.ndarray, list, tuple)):
        return np.array(np.broadcast_to(np.asarray(initializer, dtype=dtype), shape))
    from lamina import initializers

    return np.asarray(initializers.get(initializer)(shape, dtype=dtype), dtype=dtype)


def _recorded(method, effect, block=None):
    """Wrap a metric method so that a traced step records each call as one host step.

    Metrics compute on NumPy arrays, outside the plan of primitives; the engine
    replays the call itself, with that step's arrays (as NumPy arrays: metrics
    compute on arrays, tensors given to them are read). An update only adds to
    the state, so the engine's epoch loop may defer it and make a block of
    batches' updates at once: with ``block`` (``_update_block`` of the class
    that defines this ``update_state``) in one call, else one call per batch.
    """
    defer = None
    if method.__name__ == "update_state":
        defer = True

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if hooks.active() is None:
            return method(self, *args, **kwargs)
        how = types.MethodType(block, self) if block is not None else defer
        return hooks.host(types.MethodType(method, self), *args, effect=effect, defer=how,
                          arrays=True, **kwargs)

    wrapper._lamina_recorded = True
    return wrapper


class Metric:
    """Base class of every metric: state variables updated batch by batch.

    Subclasses create their state in ``__init__`` with ``add_variable``, add a
    batch to it in ``update_state`` and compute the value in ``result``. The
    base ``reset_state`` sets every variable back to zero.

    Args:
        dtype: the dtype of the metric's state and result. ``None`` means
            ``lamina.config.floatx()`` (``"float32"``): like Keras, totals are
            accumulated in float32 unless you ask for ``"float64"``.
        name: the metric's name (the key in ``History.history``). ``None``
            gives the snake_case class name, made unique (``"my_metric_1"``).

    Example:
        >>> import lamina
        >>> m = lamina.metrics.Mean()
        >>> m.update_state([1.0, 3.0])
        >>> float(m.result())
        2.0
        >>> m.reset_state(); float(m.result())
        0.0
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, effect in (("update_state", True), ("result", False), ("reset_state", True)):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_lamina_recorded", False):
                block = cls.__dict__.get("_update_block") if name == "update_state" else None
                setattr(cls, name, _recorded(method, effect, block))

    def __init__(self, dtype=None, name=None):
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self._dtype = standardize_dtype(dtype)
        self._np_dtype = np.dtype(self._dtype)
        self._variables: list[Variable] = []
        self._metrics: list[Metric] = []

    def __setattr__(self, name, value):
        # Like Keras, track state assigned as attributes: variables made directly and
        # metrics nested inside this one (their variables join ``variables``).
        if isinstance(value, Metric) and "_metrics" in self.__dict__:
            if not any(m is value for m in self._metrics):
                self._metrics.append(value)
        elif isinstance(value, Variable) and "_variables" in self.__dict__:
            if not any(v is value for v in self._variables):
                self._variables.append(value)
        object.__setattr__(self, name, value)

    # -- state ---------------------------------------------------------------
    @property
    def dtype(self) -> str:
        """The dtype name of the metric's computations (e.g. ``"float32"``)."""
        return self._dtype

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Create a non-trainable state variable and track it in ``variables``.

        Args:
            shape: the variable's shape, ``()`` for a scalar.
            initializer: ``"zeros"`` (default), ``"ones"``, a number, an array or
                any ``lamina.initializers`` identifier.
            dtype: the variable's dtype; ``None`` means ``floatx()``, as in Keras.
            aggregation: accepted for Keras compatibility; unused.
            name: the variable's name.

        Returns:
            The new ``Variable``. Update it in place (``assign``/``assign_add``
            or NumPy with ``out=variable.value``).
        """
        if not hasattr(self, "_variables"):
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before "
                "add_variable. Add `super().__init__(name=name, dtype=dtype)` first."
            )
        dtype = np.dtype(dtype or config.floatx())
        if shape is None:
            shape = ()
        elif isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        else:
            shape = tuple(int(d) for d in shape)
        value = _initial_value(initializer, shape, dtype)
        variable = Variable(value, dtype=dtype, trainable=False, name=name or "variable")
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of ``add_variable`` kept for Keras 2 code."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list:
        """The metric's state variables, including those of metrics it contains."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def reset_state(self) -> None:
        """Set every state variable back to zero (``fit`` calls this each epoch)."""
        for v in self.variables:
            v.value[...] = 0

    def reset_states(self) -> None:
        """Keras 2 spelling of ``reset_state``."""
        self.reset_state()

    # -- the metric's work ---------------------------------------------------
    def update_state(self, *args, **kwargs):
        """Add one batch to the state. Subclasses implement this."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_state(self, y_true, y_pred, "
            "sample_weight=None)."
        )

    def result(self):
        """Return the metric's current value. Subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement result(self).")

    def __call__(self, *args, **kwargs):
        """Update the state with one batch and return ``result()``, as Keras does."""
        if not hasattr(self, "_variables"):
            raise RuntimeError(
                f"{type(self).__name__}.__init__ never called super().__init__(). Add it."
            )
        self.update_state(*args, **kwargs)
        return self.result()

    # -- configuration -------------------------------------------------------
    def get_config(self) -> dict:
        """Return the constructor arguments that rebuild this metric (``name``, ``dtype``)."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        """Build a metric from ``get_config()``'s dict."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    def __str__(self) -> str:
        return self.__repr__()
