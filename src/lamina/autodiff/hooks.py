"""The seam between eager execution and the engine's tracer.

Everything lamina computes passes through a few doors: ``apply`` (a
primitive), the VJP calls of ``GradientTape.gradient``, ``Variable.assign``
and its kin, and ``host`` (a Python function over arrays that the engine
cannot look inside: a metric update, an optimizer step, a random draw). When
``_state.current`` holds a recorder (``lamina.engine.trace.Recorder``), each door
reports to it; otherwise nothing here costs more than one global lookup.

While a step is being traced, the tensors it computes are ``Traced``: they
behave like any ``Tensor``, but reading their values in Python (``float(t)``,
``t.numpy()``, ``if t > 0:``) tells the recorder, because a value read while
tracing would be frozen into the plan. The same holds for reading a
``Variable``'s values outside an op. Shapes and dtypes are static per traced
signature and can be read freely.
"""

from __future__ import annotations

from threading import get_ident as _get_ident

import numpy as np

from lamina.autodiff import _state
from lamina.autodiff.tensor import StaticMetadata, Tensor, raw_value

__all__ = ["Traced", "active", "as_array", "has_traced", "host", "host_update", "paused",
           "raw_value", "set_current"]


def active():
    """The recorder of the trace under way, or ``None``."""
    return _state.active()


def set_current(recorder):
    """Install ``recorder`` (or ``None``); returns the previous one. Only the engine calls this."""
    previous = _state.current
    _state.current = recorder
    _state.owner = None if recorder is None else _get_ident()
    return previous


class paused:
    """Context manager: no recording inside (host functions run for real, unrecorded)."""

    __slots__ = ("previous",)

    def __enter__(self):
        self.previous = set_current(None)
        return self

    def __exit__(self, *exc):
        set_current(self.previous)
        return False


def _traced_value(self):
    rec = _state.current
    if rec is not None and _state.owner != _get_ident():
        rec = None  # (another thread traces: not this code)
    if rec is not None and self._rec is rec:
        rec.value_read(self)
    return raw_value(self)


def _set_value(self, value):
    Tensor.value.__set__(self, value)


class Traced(StaticMetadata, Tensor):
    """A tensor computed while a step was traced; it knows its slot in the plan."""

    __slots__ = ("_slot", "_rec")

    value = property(_traced_value, _set_value)

    def __init__(self, value, node=None, slot=None, rec=None):
        Tensor.value.__set__(self, value)
        self._node = node
        self._keras_logits = None
        self._slot = slot
        self._rec = rec


    def __iter__(self):
        n = len(self)
        for i in range(n):
            yield self[i]


def has_traced(structure) -> bool:
    """Whether a (nested) structure holds a tensor of the active trace."""
    rec = _state.current
    if rec is not None and _state.owner != _get_ident():
        rec = None  # (another thread traces: not this code)
    if rec is None:
        return False
    stack = [structure]
    while stack:
        s = stack.pop()
        if isinstance(s, Traced):
            if s._rec is rec:
                return True
        elif isinstance(s, (list, tuple)):
            stack.extend(s)
        elif isinstance(s, dict):
            stack.extend(s.values())
    return False


def host(fn, *args, effect=True, defer=None, arrays=False, **kwargs):
    """Call ``fn(*args, **kwargs)``, recorded as one opaque step while tracing.

    Tensors in the arguments (nested in lists, tuples and dicts) reach ``fn``
    as tensors; at replay, as tensors holding that step's arrays (as NumPy
    arrays with ``arrays=True``, also while tracing). Array
    results come back as tensors of the trace. ``effect=False`` marks a pure
    function, which the engine may skip when its result is unused. ``fn``
    must be a module-level function or a bound method (the engine compares
    two traces of a step by it), not a lambda made per call.

    ``defer``: the call only accumulates its arguments (a metric update, a
    check of labels), so the engine's epoch loop may make it later, for a
    block of batches at once. ``True``: the engine then calls ``fn`` once per
    batch; a function ``block(n_batches, *args, **kwargs)``: the engine calls
    it once with each array argument stacked over the block's batches (per
    sample arrays row after row, one value per batch as a leading axis); it
    returns whether it did the work (if not, one call per batch follows).
    """
    rec = _state.current
    if rec is not None and _state.owner != _get_ident():
        rec = None  # (another thread traces: not this code)
    if rec is None:
        return fn(*args, **kwargs)
    return rec.host(fn, args, kwargs, effect, defer, arrays)


def host_update(fn, flat, grads, variables):
    """A gradient update ``fn(grads, variables)``, recorded as one step while tracing.

    ``flat(variables)``: gives (once the first update has run) a function of one
    1-D gradient laid out like ``variables`` back to back, or ``None``. When
    the variables lie so in one buffer at replay, the engine writes the
    gradients into one flat buffer and calls that function instead.
    """
    rec = _state.current
    if rec is not None and _state.owner != _get_ident():
        rec = None  # (another thread traces: not this code)
    if rec is None:
        return fn(grads, variables)
    return rec.update(fn, flat, grads, variables)


def as_array(x) -> np.ndarray:
    """The array of a tensor without counting as a value read (for the engine's own use)."""
    if isinstance(x, Tensor):
        return raw_value(x)
    return np.asarray(x)
