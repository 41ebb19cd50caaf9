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

import functools as _functools

from lamina.ops import (  # noqa: E402
    _array,
    _attention,
    _conv,
    _core,
    _linalg,
    _math,
    _more,
    _nn,
    _numpy_build,
    _numpy_extra,
    _numpy_more,
    _numpy_nan,
)
from lamina.ops._array import *  # noqa: F403
from lamina.ops._attention import *  # noqa: F403
from lamina.ops._conv import *  # noqa: F403
from lamina.ops._core import *  # noqa: F403
from lamina.ops._linalg import *  # noqa: F403
from lamina.ops._math import *  # noqa: F403
from lamina.ops._more import *  # noqa: F403
from lamina.ops._nn import *  # noqa: F403
from lamina.ops._numpy_build import *  # noqa: F403
from lamina.ops._numpy_extra import *  # noqa: F403
from lamina.ops._numpy_more import *  # noqa: F403
from lamina.ops._numpy_nan import *  # noqa: F403

__all__ = sorted(
    name
    for module in (_core, _math, _array, _nn, _conv, _more, _attention, _numpy_more,
                   _numpy_build, _numpy_extra, _numpy_nan, _linalg)
    for name, value in vars(module).items()
    if not name.startswith("_")
    and callable(value)
    and getattr(value, "__module__", None) == module.__name__
    and name in getattr(module, "__all__", (name,))
)


# -- symbolic tensors -------------------------------------------------------------------------
# ``lamina.layers`` registers its ``KerasTensor`` here, with the function that records an op
# called on one as a node of a functional model (``layers/symbolic_ops.py``): every public op
# below checks its arguments (and the lists among them) for one before it runs.
_SYMBOLIC_TYPES: set = set()
_RECORD = [None]
# Ops that answer for a symbolic tensor directly, without a graph node.
_STATIC = {
    "shape": lambda x: tuple(x.shape),
    "ndim": lambda x: len(x.shape),
    "dtype": lambda x: x.dtype,
}


def _register_symbolic(kind, record) -> None:
    _SYMBOLIC_TYPES.add(kind)
    _RECORD[0] = record


def _symbolic_aware(name, fn):
    static = _STATIC.get(name)
    types = _SYMBOLIC_TYPES

    @_functools.wraps(fn)
    def op(*args, **kwargs):
        if types:
            # (no ``any``: this module's own ``any`` is the op of that name)
            for a in (*args, *kwargs.values()):
                kind = type(a)
                if kind in types:
                    return static(a) if static is not None else _RECORD[0](name, args, kwargs)
                if kind is list or kind is tuple:
                    for b in a:
                        if type(b) in types:
                            return _RECORD[0](name, args, kwargs)
        return fn(*args, **kwargs)

    return op


for _name in __all__:
    if _name not in ("convert_to_numpy", "convert_to_tensor"):
        globals()[_name] = _symbolic_aware(_name, globals()[_name])
del _name


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)


def __getattr__(name):
    # ``lamina.ops.image`` (Keras's ``keras.ops.image``) loads on first use.
    if name == "image":
        import importlib

        return importlib.import_module("lamina.ops.image")
    if name in ("nn", "numpy", "linalg"):  # Keras's sub-namespaces of keras.ops
        from lamina.ops import _namespaces

        return _namespaces.namespace(name)
    raise AttributeError(f"module 'lamina.ops' has no attribute {name!r}")
