"""The registry of primitives and the helpers their definitions share.

``_prim_math.py`` (elementwise functions, reductions, softmax) and
``_prim_array.py`` (shapes, indexing, linear algebra, the fused cross-entropies)
define the primitives with ``_def``; ``_primitives.py`` is the table they form.
"""

from __future__ import annotations

import numpy as np

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
    if axis is None:
        return np.reshape(g, (1,) * len(shape)) if not keepdims else g
    if keepdims:
        return g
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % len(shape) for a in axes)
    return np.expand_dims(g, axes)


def _axis_size(shape, axis):
    if axis is None:
        return int(np.prod(shape)) if len(shape) else 1
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return int(np.prod([shape[a] for a in axes])) if axes else 1
