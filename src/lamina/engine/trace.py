"""Tracing: run a step once for real and write down every operation it performed.

A ``Recorder`` is installed in ``lamina.autodiff.hooks`` while the step runs.
The step computes exactly what it would compute eagerly (so the batch it is
traced on is a real training step), and each door of the autodiff layer
reports to the recorder:

* ``apply`` of a primitive: the forward, and what it saved for the backward;
* the VJP calls, broadcast reductions and gradient sums of ``GradientTape.gradient``;
* ``Variable.assign`` / ``assign_add`` / ``assign_sub``;
* ``host`` calls: Python functions over arrays (metric updates, the optimizer,
  random draws) that the engine runs as they are.

Every value gets a *slot*: the step's inputs, the variables it reads, the
constants it uses and the results of the operations. A ``Traced`` tensor
carries its slot. The result is a ``Plan`` (``plan.py``).

What a trace cannot see is a value used by Python itself: ``float(loss)``,
``if ops.any(mask):``, ``x.numpy()`` or a variable read outside an op. Such a
read makes the plan unsafe (the value would be frozen into it); the recorder
notes where it happened, and the step then runs eagerly.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from lamina.autodiff import hooks
from lamina.autodiff.tape import make_output
from lamina.autodiff.tensor import Tensor, Variable, raw_value
from lamina.engine.plan import Plan, Step

__all__ = ["Recorder", "trace"]

_LAMINA_DIR = __file__.rsplit("/engine/", 1)[0]
# NumPy's own frames (``np.mean(tensor)`` reads the value inside NumPy) are not the user's line
_NOT_USER = (_LAMINA_DIR, os.path.dirname(np.__file__))
_DEBUG = bool(os.environ.get("LAMINA_TRACE_DEBUG"))


def _user_frame() -> str:
    """``file:line`` of the innermost caller outside lamina (where a value was read)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_NOT_USER) and "importlib" not in name and \
                not name.startswith("<__array_function__"):
            return f"{name}:{frame.f_lineno} ({frame.f_code.co_name})"
        frame = frame.f_back
    return "inside lamina"


class Recorder:
    """Collects the steps of one trace; see the module docstring."""

    def __init__(self):
        self.steps: list[Step] = []
        self.kinds: list = []  # per slot: "input", "var", "const" or "op"
        self.values: list = []  # per slot: the object (input index, Variable, constant value)
        self.shapes: list = []  # per slot: the array's shape at trace (None if not an array)
        self.dtypes: list = []  # per slot: the array's dtype at trace (None if not an array)
        self._by_id: dict = {}  # id(array or variable) -> slot, for arrays the tape passes around
        self._alive: list = []  # keeps those arrays alive so their ids stay unique
        self._saved: dict = {}  # slot of a primitive's output -> slot of what it saved
        self.problems: list[str] = []
        # op outputs computed from constants alone (e.g. from a shape, which the signature
        # fixes): their values are the same at every replay, so Python may read them
        self._constant: set = set()

    # -- slots ----------------------------------------------------------------------
    def _new_slot(self, kind, value, array=None) -> int:
        self.kinds.append(kind)
        self.values.append(value)
        if array is None and kind in ("const", "var"):
            array = value
        if isinstance(array, Tensor):
            array = raw_value(array)
        if isinstance(array, (np.ndarray, np.generic)):
            self.shapes.append(array.shape)
            self.dtypes.append(array.dtype)
        elif isinstance(array, (int, float)) and not isinstance(array, bool):
            self.shapes.append(())
            self.dtypes.append(None)
        else:
            self.shapes.append(None)
            self.dtypes.append(None)
        return len(self.kinds) - 1

    def input(self, array) -> Tensor:
        """A ``Traced`` tensor for one input array of the step."""
        slot = self._new_slot("input", None, array)
        t = hooks.Traced(array, None, slot, self)
        self._remember(array, slot)
        return t

    def _remember(self, array, slot):
        self._by_id[id(array)] = slot
        self._alive.append(array)

    def _slot_of(self, x):
        """``(array, slot)`` for an input of a recorded operation."""
        if isinstance(x, hooks.Traced) and x._rec is self:
            return raw_value(x), x._slot
        if isinstance(x, Variable):
            slot = self._by_id.get(id(x))
            if slot is None:
                slot = self._new_slot("var", x)
                self._by_id[id(x)] = slot
                self._alive.append(x)
            return raw_value(x), slot
        if isinstance(x, Tensor):
            value = raw_value(x)
        elif isinstance(x, np.ndarray):
            slot = self._by_id.get(id(x))
            if slot is not None:
                return x, slot
            value = x
        else:
            value = x  # a Python number or another constant parameter
        return value, self._new_slot("const", value)

    def _array_slot(self, a):
        """The slot of an array that flows through the backward pass (a constant if unknown)."""
        slot = self._by_id.get(id(a))
        if slot is None:
            slot = self._new_slot("const", a)
            self._remember(a, slot)
        return slot

    def _output(self, array) -> int:
        slot = self._new_slot("op", None, array)
        self._remember(array, slot)
        return slot

    # -- the doors of lamina.autodiff ----------------------------------------------------
    def apply(self, prim, inputs, params):
        arrays, slots = [], []
        for x in inputs:
            a, s = self._slot_of(x)
            arrays.append(a)
            slots.append(s)
        out, saved = prim.fwd(*arrays, **params)
        as_array = not isinstance(out, np.ndarray)
        copy = False
        if as_array:
            out = np.asarray(out)
        elif prim.view and any(isinstance(x, Variable) for x in inputs):
            out = out.copy()
            copy = True
        slot = self._output(out)
        if all(self.kinds[s] == "const" or s in self._constant for s in slots):
            self._constant.add(slot)
        saved_slot = self._new_slot("op", None)
        self._saved[slot] = saved_slot
        self.steps.append(Step("prim", prim, params, tuple(slots), (slot, saved_slot),
                               (as_array, copy, _saved_spec(saved, arrays))))
        return make_output(inputs, out, prim, saved, hooks.Traced, slot, self)

    def vjp(self, t, g, needs):
        """Run and record ``prim.vjp`` for the node of ``t``; returns the input gradients."""
        node = t._node
        g_slot = self._array_slot(g)  # (before the results: a VJP may return g itself)
        grads = node.prim.vjp(g, node.saved, needs)
        if isinstance(t, hooks.Traced) and t._rec is self:
            saved_slot = self._saved[t._slot]
        else:  # a tensor computed before the trace: what it saved is a constant here
            saved_slot = self._new_slot("const", node.saved)
        outs, converted = [], []
        result = []
        for i, gx in enumerate(grads):
            if not needs[i] or gx is None:
                result.append(None)
                continue
            conv = not isinstance(gx, np.ndarray)
            if conv:
                gx = np.asarray(gx)
            outs.append((i, self._output(gx)))
            converted.append(conv)
            result.append(gx)
        self.steps.append(Step("vjp", node.prim, None, (g_slot, saved_slot),
                               tuple(s for _, s in outs),
                               (needs, tuple(i for i, _ in outs), tuple(converted))))
        return result

    def call(self, fn, *args):
        """Run and record ``fn(array, *static)``: the backward pass's own arithmetic."""
        first, rest = args[0], args[1:]
        static = ()
        arrays = [first]
        if fn is np.add:
            arrays, static = list(args), ()
        else:
            static = rest
        in_slots = tuple(self._array_slot(a) for a in arrays)
        out = fn(*arrays, *static)
        self.steps.append(Step("call", fn, static, in_slots, (self._output(out),), None))
        return out

    def seed(self, seed, dtype):
        """An initial gradient given to ``GradientTape.gradient`` (``output_gradients``)."""
        if isinstance(seed, hooks.Traced) and seed._rec is self:
            return self.call(_astype, raw_value(seed), dtype) if seed.dtype != dtype else \
                self._alias(raw_value(seed), seed._slot)
        arr = np.asarray(seed.value if isinstance(seed, Tensor) else seed).astype(dtype)
        self._array_slot(arr)
        return arr

    def _alias(self, array, slot):
        self._remember(array, slot)
        return array

    def gradient_output(self, g, dtype):
        """The tensor ``GradientTape.gradient`` returns for the gradient array ``g``."""
        if g.dtype != dtype and dtype.kind == "f":
            g = self.call(_astype, g, dtype)
        elif not g.flags.writeable:
            g = self.call(np.copy, g)
        return hooks.Traced(g, None, self._array_slot(g), self)

    def assign(self, variable, mode, value):
        arr, slot = self._slot_of(value)
        arr = np.asarray(arr)
        variable.write_array(mode, arr)
        _, var_slot = self._slot_of(variable)
        self.steps.append(Step("assign", variable, mode, (var_slot, slot), (), None))

    def host(self, fn, args, kwargs, effect, defer=None, arrays=False):
        leaves, template = _flatten((args, kwargs))
        slots, live = [], []
        for leaf in leaves:
            if isinstance(leaf, hooks.Traced) and leaf._rec is self:
                slots.append(leaf._slot)
                live.append(True)
            else:
                slots.append(leaf)  # a constant: kept as it is (variables by identity)
                live.append(False)
        if arrays:
            args, kwargs = _unflatten(template, [raw_value(leaf) if f else leaf
                                                 for leaf, f in zip(leaves, live)])
        with hooks.paused():
            result = fn(*args, **kwargs)
        out_leaves, out_template = _flatten(result)
        out_slots, wrapped = [], []
        for leaf in out_leaves:
            arr = host_result(leaf)
            if arr is not None:
                slot = self._output(arr)
                out_slots.append(slot)
                wrapped.append(hooks.Traced(arr, None, slot, self))
            else:
                out_slots.append(None)
                wrapped.append(leaf)
        self.steps.append(Step(
            "host", fn, (template, tuple(s if not f else None for s, f in zip(slots, live)),
                         tuple(live), out_template, tuple(s is not None for s in out_slots)),
            tuple(s for s, f in zip(slots, live) if f),
            tuple(s for s in out_slots if s is not None), (effect, defer, arrays)))
        return _unflatten(out_template, wrapped)

    def update(self, fn, flat, grads, variables):
        """A gradient update (``hooks.host_update``): one ``update`` step of the plan."""
        grads = list(grads)
        variables = list(variables)
        if len(grads) != len(variables) or not all(
                isinstance(g, hooks.Traced) and g._rec is self for g in grads):
            return self.host(fn, (grads, variables), {}, True, None)
        with hooks.paused():
            fn(grads, variables)
        self.steps.append(Step("update", fn, (flat, tuple(variables)),
                               tuple(g._slot for g in grads), (), None))

    # -- reads that a plan cannot replay ------------------------------------------------
    def _report(self, message):
        self.problems.append(message)
        if _DEBUG:  # LAMINA_TRACE_DEBUG=1: show where, with the whole stack
            import traceback

            traceback.print_stack(sys._getframe(2))
            print(f"lamina trace: {message}", file=sys.stderr)

    def value_read(self, tensor):
        if getattr(tensor, "_slot", None) in self._constant:
            return  # fixed by the signature: the plan may keep the value it had
        self._report(
            f"a tensor's value was read in Python at {_user_frame()} (for example float(t), "
            "t.numpy(), or `if t > 0:` on a tensor); the value would be frozen into the plan"
        )

    def variable_read(self, variable):
        self._report(
            f"the values of variable '{variable.path}' were read outside an op at "
            f"{_user_frame()}; they would be frozen into the plan"
        )

    # -- the result ----------------------------------------------------------------------
    def plan(self, input_slots, result) -> Plan:
        leaves, template = _flatten(result)
        outputs = []
        for leaf in leaves:
            if isinstance(leaf, hooks.Traced) and leaf._rec is self:
                outputs.append(("slot", leaf._slot))
            elif isinstance(leaf, Tensor):
                outputs.append(("const", raw_value(leaf)))
            else:
                outputs.append(("const", leaf))
        plan = Plan(self.steps, self.kinds, self.values, input_slots, outputs, template,
                    list(self.problems), (self.shapes, self.dtypes))
        # Tensors of the trace may outlive it (in the logs, a layer's attributes); they keep
        # this recorder, which should no longer keep the trace's arrays.
        self._alive = []
        self._by_id = {}
        self._saved = {}
        return plan


_STATIC = (int, float, bool, str, type(None), np.dtype)


def _saved_spec(saved, arrays):
    """What a primitive saved for its VJP, item by item: one of its inputs, a static value
    (shapes, axes), or data. The engine uses it to compute constant gradients ahead."""
    if not isinstance(saved, tuple):
        return None
    spec = []
    for item in saved:
        for j, a in enumerate(arrays):
            if item is a:
                spec.append(("input", j))
                break
        else:
            static = isinstance(item, _STATIC) or (
                isinstance(item, tuple) and all(isinstance(v, _STATIC) for v in item))
            spec.append(("static", item) if static else ("data", None))
    return tuple(spec)


def host_result(leaf):
    """A host function's result as an array, or ``None`` when it is not a number (kept as is).

    Numbers change from call to call, so every numeric result is a value of the
    plan; a variable is read (copied) at that point.
    """
    if isinstance(leaf, Variable):
        return np.array(raw_value(leaf))
    if isinstance(leaf, Tensor):
        return raw_value(leaf)
    if isinstance(leaf, np.ndarray):
        return leaf
    if isinstance(leaf, (np.generic, int, float)) and not isinstance(leaf, str):
        return np.asarray(leaf)
    return None


def _astype(a, dtype):
    return a.astype(dtype)


def trace(fn, args, arrays):
    """Run ``fn(*args)`` with the leaves ``arrays`` of ``args`` traced; returns ``(result, plan)``.

    ``args`` is given as ``(template, leaves)`` from ``flatten``; array leaves
    become ``Traced`` inputs, other leaves stay as they are.
    """
    template, leaves = args
    rec = Recorder()
    new_leaves, input_slots = [], []
    for leaf, is_array in zip(leaves, arrays):
        if is_array:
            t = rec.input(leaf)
            new_leaves.append(t)
            input_slots.append(t._slot)
        else:
            new_leaves.append(leaf)
    previous = hooks.set_current(rec)
    try:
        result = fn(*_unflatten(template, new_leaves))
    finally:
        hooks.set_current(previous)
    return result, rec.plan(input_slots, result)


# -- nested structures -----------------------------------------------------------------------

def _flatten(structure):
    """``(leaves, template)`` of nested lists, tuples and dicts; ``_unflatten`` undoes it."""
    leaves = []

    def walk(s):
        if isinstance(s, dict):
            return ("dict", type(s), tuple((k, walk(v)) for k, v in s.items()))
        if isinstance(s, list):
            return ("list", tuple(walk(v) for v in s))
        if isinstance(s, tuple):
            if hasattr(s, "_fields"):
                return ("named", type(s), tuple(walk(v) for v in s))
            return ("tuple", tuple(walk(v) for v in s))
        leaves.append(s)
        return None

    return leaves, walk(structure)


def _unflatten(template, leaves):
    it = iter(leaves)

    def build(t):
        if t is None:
            return next(it)
        kind = t[0]
        if kind == "dict":
            return t[1]((k, build(v)) for k, v in t[2])
        if kind == "list":
            return [build(v) for v in t[1]]
        if kind == "named":
            return t[1](*(build(v) for v in t[2]))
        return tuple(build(v) for v in t[1])

    return build(template)


flatten = _flatten
unflatten = _unflatten
