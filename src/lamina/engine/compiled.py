"""``Function``: a Python step function that is traced once per input signature and replayed.

The life of one signature (the nesting of the arguments, each array's shape
and dtype, and any non-array argument):

1. first call: the step runs for real under a ``Recorder`` (``trace.py``);
2. second call: it is traced again and the two plans are compared. If they
   differ (Python state or NumPy randomness that changes per call), a third
   trace gets one more chance, since a first call may build things;
3. from then on the plan, pruned and compiled to straight-line code
   (``codegen.py``), replays: the same primitives on the new arrays, with
   no tape, no layer ``__call__`` and no Python control flow.

A step that reads tensor values in Python while traced (``float(loss)``,
``if t > 0``) or whose traces keep differing is not safe to replay: the
whole function then runs eagerly from that call on, and one log line on the
``lamina`` logger says why. Plans are kept for a few signatures at most.
"""

from __future__ import annotations

import os

import numpy as np

from lamina.autodiff import hooks
from lamina.autodiff.tensor import Tensor, Variable, raw_value
from lamina.engine import codegen
from lamina.engine.fuse import fuse_dense
from lamina.engine.fuse_conv import fuse_conv_pool
from lamina.engine.fuse_norm import fuse_layer_norm
from lamina.engine.trace import flatten, trace, unflatten

__all__ = ["Function", "function"]

MAX_PLANS = 8
_STRICT = bool(os.environ.get("LAMINA_ENGINE_STRICT"))
_MAX_TRACES = 3


def _log(message: str) -> None:
    import logging

    logging.getLogger("lamina").warning(message)


class _Entry:
    """What the function knows about one signature."""

    __slots__ = ("plans", "compiled", "plan", "_effects", "_deferred")

    def __init__(self):
        self.plans = []  # the traces so far (while not yet trusted)
        self.compiled = None  # CompiledPlan, once two traces agreed
        self.plan = None  # the trusted plan
        self._effects = None
        self._deferred = False  # not looked at yet

    def deferred(self, batch_size, name):
        """The effects-only plan split for deferral in an epoch loop (``defer.py``), or ``None``."""
        if self._deferred is False:
            from lamina.engine.defer import plan_deferral

            self._deferred = plan_deferral(self.plan.prune(keep_outputs=False), batch_size,
                                           name)
        return self._deferred

    def effects_only(self, name):
        """The plan without what only its returned values need (run when nobody reads them)."""
        if self._effects is None:
            self._effects = codegen.compile_plan(self.plan.prune(keep_outputs=False), name)
        return self._effects


class Function:
    """``fn`` traced per input signature and replayed (see the module docstring).

    Args:
        fn: the step, e.g. a model's bound ``train_step``. It takes nested
            lists/tuples/dicts of arrays or tensors and returns the same.
        name: how log lines and the generated code call it.
    """

    def __init__(self, fn, name: str = "step"):
        self.fn = fn
        self.name = name
        self.eager_reason = None  # set when the function runs eagerly for good
        self._entries: dict = {}
        self._bound = None  # per instance, when decorating a method

    def __get__(self, instance, owner=None):
        """A decorated method: one traced function per instance (its plans use its state)."""
        if instance is None:
            return self
        if self._bound is None:
            import weakref

            self._bound = weakref.WeakKeyDictionary()
        try:
            bound = self._bound.get(instance)
        except TypeError:  # not weak-referenceable: trace anew each time it is looked up
            return Function(self.fn.__get__(instance, owner), self.name)
        if bound is None:
            bound = self._bound[instance] = Function(self.fn.__get__(instance, owner), self.name)
        return bound

    @property
    def eager(self) -> bool:
        """True once this function has given up replaying (see ``eager_reason``)."""
        return self.eager_reason is not None

    def _give_up(self, reason: str) -> None:
        self.eager_reason = reason
        self._entries.clear()
        message = f"lamina: {self.name} runs eagerly (step by step on the tape) because {reason}."
        if _STRICT:  # LAMINA_ENGINE_STRICT=1 (lamina's own tests): a fallback is an error
            raise RuntimeError(message)
        _log(message)

    def signature(self, args):
        """``(key, arrays, template, leaves)`` for ``args``; ``key`` is ``None`` if unhashable."""
        leaves, template = flatten(args)
        key, arrays, is_array = [], [], []
        for leaf in leaves:
            if isinstance(leaf, np.ndarray) or (isinstance(leaf, Tensor)
                                                 and not isinstance(leaf, Variable)):
                a = raw_value(leaf) if isinstance(leaf, Tensor) else leaf
                key.append((a.shape, a.dtype.str))
                arrays.append(a)
                is_array.append(True)
            else:
                key.append(("static", leaf if leaf is None or isinstance(
                    leaf, (bool, int, float, str)) else id(leaf)))
                is_array.append(False)
        return (template_key(template), tuple(key)), arrays, template, (leaves, is_array)

    def __call__(self, *args):
        if self.eager_reason is not None or hooks.active() is not None:
            return self.fn(*args)  # (inside another trace, the outer one records this call)
        key, arrays, template, (leaves, is_array) = self.signature(args)
        entry = self._entries.get(key)
        if entry is not None and entry.compiled is not None:
            return entry.compiled.outputs(entry.compiled.run(*arrays))
        return self._trace(key, entry, template, leaves, is_array)

    def compiled_for(self, args):
        """The compiled plan for ``args``' signature once there is one, else ``None``."""
        if self.eager_reason is not None:
            return None
        entry = self._entries.get(self.signature(args)[0])
        return None if entry is None else entry.compiled

    def _trace(self, key, entry, template, leaves, is_array):
        result, plan = trace(self.fn, (template, leaves), is_array)
        if plan.problems:
            self._give_up(plan.problems[0])
            return result
        if entry is None:
            if len(self._entries) >= MAX_PLANS:
                self._entries.pop(next(iter(self._entries)))
            entry = self._entries[key] = _Entry()
        if entry.plans:
            difference = entry.plans[-1].difference(plan)
            if difference is None:
                entry.plan = plan = fuse_layer_norm(
                    fuse_conv_pool(fuse_dense(plan.fold_constants())))
                entry.compiled = codegen.compile_plan(plan.prune(), _identifier(self.name))
                entry.plans = []
                return result
            if len(entry.plans) + 1 >= _MAX_TRACES:
                self._give_up(difference)
                return result
        entry.plans.append(plan)
        return result

    def run_batches(self, args, batch_size, rows, should_stop=None, observe=None) -> int:
        """Call the function on consecutive row slices of ``args``; returns the batches run.

        ``args`` is what the function takes, with every array holding all the
        rows (batch axis 0): the function is called on ``[lo:lo + batch_size]``
        of each array, for ``lo`` from 0 to ``rows``. Results are dropped, so a
        compiled signature replays its plan without the steps that only the
        results need. ``should_stop()`` is asked after each batch;
        ``observe = (wants, notify)``: ``notify(i)`` is called after batch ``i``
        when ``wants(i)`` is true (a progress bar that redraws).
        """
        from lamina.engine.loop import run_batches

        return run_batches(self, args, batch_size, rows, should_stop, observe)

    def _deferred_for(self, key, batch_size):
        entry = self._entries.get(key)
        if entry is None or entry.compiled is None:
            return None
        return entry.deferred(batch_size, _identifier(self.name) + "_deferred")

    def _effects_for(self, key):
        entry = self._entries.get(key)
        if entry is None or entry.compiled is None:
            return None
        return entry.effects_only(_identifier(self.name) + "_effects")

    def describe(self) -> str:
        """The generated code of every compiled signature (for reading and debugging)."""
        if self.eager_reason is not None:
            return f"{self.name} runs eagerly: {self.eager_reason}"
        parts = [e.compiled.source for e in self._entries.values() if e.compiled is not None]
        return "\n".join(parts) if parts else f"{self.name} has no compiled plan yet"


def template_key(template):
    """A hashable form of a ``flatten`` template (types by identity)."""
    return template if _hashable(template) else repr(template)


def _hashable(x) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _identifier(name: str) -> str:
    out = "".join(c if c.isalnum() else "_" for c in name)
    return out if out and not out[0].isdigit() else f"step_{out}"


def function(fn=None, name=None):
    """Decorator: trace ``fn`` per signature and replay it (``tf.function``'s role)."""
    if fn is None:
        return lambda f: Function(f, name or getattr(f, "__name__", "function"))
    return Function(fn, name or getattr(fn, "__name__", "function"))


__all__ += ["template_key", "unflatten"]
