"""The registry of primitives and the helpers their definitions share.

``_prim_math.py`` (elementwise functions, reductions, softmax) and
``_prim_array.py`` (shapes, indexing, linear algebra, the fused cross-entropies)
define the primitives with ``_def``; ``_primitives.py`` is the table they form.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.reduce import sum_trailing
from lamina.autodiff.tape import Primitive

PRIMITIVES: dict[str, Primitive] = {}


def _def(name, fwd, vjp, view=False) -> Primitive:
    prim = Primitive(name, fwd, vjp, view=view)
    PRIMITIVES[name] = prim
    return prim


def _no_gradient(g, saved, needs):
    return (None,) * len(needs)


def _nograd(name, fn):
    """A primitive without a gradient (comparisons, rounding, arg-max, ...): ``fn`` on the arrays.

    It is a primitive all the same, so that a traced step records it.
    """
    return _def(name, lambda *arrays, **params: (fn(*arrays, **params), None), _no_gradient)


def _expand_reduced(g, shape, axis, keepdims):
    """Reshape a reduction's output gradient so it broadcasts against ``shape``."""
    if keepdims:
        return g
    g = np.asarray(g)
    if axis is None:
        return g.reshape((1,) * len(shape))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    n = len(shape)
    axes = {a % n for a in axes}
    return g.reshape(tuple(1 if i in axes else d for i, d in enumerate(shape)))


# NumPy's reductions without the Python layer of np.sum/np.max: a few microseconds less per
# call, which matters on small arrays. Sums over trailing axes are matrix-vector products
# (lamina.autodiff.reduce), like every other such sum lamina computes.

def rsum(x, axis=None, keepdims=False):
    if type(x) is np.ndarray and x.ndim:
        out = sum_trailing(x, axis, keepdims)
        return np.add.reduce(x, axis, None, None, keepdims) if out is None else out
    return np.sum(x, axis=axis, keepdims=keepdims)


def rmax(x, axis=None, keepdims=False):
    if type(x) is np.ndarray and x.ndim:
        return np.maximum.reduce(x, axis, None, None, keepdims)
    return np.max(x, axis=axis, keepdims=keepdims)


def _axis_size(shape, axis):
    if axis is None:
        return int(np.prod(shape)) if len(shape) else 1
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return int(np.prod([shape[a] for a in axes])) if axes else 1
