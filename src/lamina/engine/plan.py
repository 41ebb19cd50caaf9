"""A plan: the flat list of operations one traced step performed, and what it returns.

Slots number every value of the step: its inputs, the variables and constants
it reads, and each result. A ``Step`` is one operation:

========  =====================================================  ==========================
kind      ``fn`` / ``params``                                    ``ins`` -> ``outs``
========  =====================================================  ==========================
prim      a ``Primitive`` and its keyword parameters             inputs -> (out, saved)
vjp       the ``Primitive`` whose VJP runs                       (gradient, saved) -> grads
call      a NumPy-level function and its static arguments        arrays -> (out,)
assign    the ``Variable`` and the mode (assign, assign_add, …)  (variable, value) -> ()
host      a Python function and how its arguments nest           tensors -> results
update    ``fn(grads, variables)`` and its flat-buffer form      gradients -> ()
========  =====================================================  ==========================

``Plan.difference`` compares two traces of the same step (the engine traces a
step twice before it trusts a plan); ``Plan.prune`` drops the steps whose
results nothing uses. ``codegen.py`` turns a plan into a Python function.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor, Variable, raw_value

__all__ = ["Plan", "Step"]


class Step:
    """One operation of a plan (see the module docstring for the kinds)."""

    __slots__ = ("kind", "fn", "params", "ins", "outs", "extra")

    def __init__(self, kind, fn, params, ins, outs, extra):
        self.kind = kind
        self.fn = fn
        self.params = params
        self.ins = ins
        self.outs = outs
        self.extra = extra

    @property
    def name(self) -> str:
        fn = self.fn
        if self.kind in ("prim", "vjp"):
            return f"{fn.name}{' (backward)' if self.kind == 'vjp' else ''}"
        if self.kind == "assign":
            return f"{self.params} to '{fn.path}'"
        if self.kind == "update":
            owner = getattr(fn, "__self__", None)
            return f"update of {len(self.ins)} variables by '{getattr(owner, 'name', owner)}'"
        qual = getattr(fn, "__qualname__", None) or type(fn).__name__
        owner = getattr(fn, "__self__", None)
        if owner is not None and hasattr(owner, "name"):
            return f"{qual} of '{owner.name}'"
        return qual

    def __repr__(self) -> str:
        return f"<Step {self.kind} {self.name} {self.ins} -> {self.outs}>"


class Plan:
    """The operations of one traced step (see the module docstring)."""

    def __init__(self, steps, kinds, values, inputs, outputs, template, problems, meta=None):
        self.steps = steps
        self.meta = meta  # (shapes, dtypes): per slot, the array's shape and dtype at trace
        self.kinds = kinds
        self.values = values
        self.inputs = inputs
        self.outputs = outputs  # ("slot", s) or ("const", value), in the order of the leaves
        self.template = template  # how the outputs nest (see trace.flatten)
        self.problems = problems

    # -- comparing two traces -------------------------------------------------------
    def difference(self, other) -> str | None:
        """``None`` if ``other`` did the same operations on the same constants, else what differs."""
        if len(self.steps) != len(other.steps):
            return (f"the step performed {len(other.steps)} operations on one batch and "
                    f"{len(self.steps)} on another")
        for i, (a, b) in enumerate(zip(self.steps, other.steps)):
            if a.kind != b.kind or not _same_fn(a.fn, b.fn) or a.ins != b.ins or \
                    a.outs != b.outs or not _same(a.params, b.params) or \
                    not _same(a.extra, b.extra):
                return f"operation {i} was {b.name} on one batch and {a.name} on another"
        if self.kinds != other.kinds:
            return "the step read different variables or constants from one batch to the next"
        for slot, (kind, a, b) in enumerate(zip(self.kinds, self.values, other.values)):
            if kind == "var" and a is not b:
                return "the step read different variables from one batch to the next"
            if kind == "const" and not _same(a, b):
                user = self._user_of(slot)
                return (f"a constant used by {user} changed from one batch to the next (a value "
                        "computed in Python or drawn with NumPy's own random numbers; use "
                        "lamina.ops and lamina.random for values that change per step)")
        if self.inputs != other.inputs or not _same(self.outputs, other.outputs) or \
                self.template != other.template:
            return "the step returned different things from one batch to the next"
        return None

    def _user_of(self, slot) -> str:
        for step in self.steps:
            if slot in step.ins:
                return step.name
        return "the step's result"

    # -- dead steps ---------------------------------------------------------------------
    def prune(self, keep_outputs=True) -> Plan:
        """A plan without the steps whose results are never used.

        Steps with effects (variable writes, host calls that are not pure) always
        stay. ``keep_outputs=False`` also drops what only the returned values need.
        """
        live = set()
        if keep_outputs:
            live.update(s for kind, s in self.outputs if kind == "slot")
        kept = []
        for step in reversed(self.steps):
            effect = step.kind in ("assign", "update") or (step.kind == "host" and step.extra[0])
            if step.kind == "prim":
                out, saved = step.outs
                needed = out in live or saved in live
            else:
                needed = any(s in live for s in step.outs)
            if effect or needed:
                kept.append(step)
                live.update(step.ins)
        kept.reverse()
        outputs = self.outputs if keep_outputs else []
        template = self.template if keep_outputs else None
        return Plan(kept, self.kinds, self.values, self.inputs, outputs, template,
                    self.problems, self.meta)

    def fold_constants(self) -> Plan:
        """A plan in which every pure step whose inputs are all constants is computed now.

        The loss's backward pass starts from a constant (ones), so its first VJPs
        (a mean, a division by the batch size) often need nothing else: a VJP is
        also computed ahead when the part of the saved values it reads is
        constant (it is tried with the other parts unknown).
        """
        kinds, values = list(self.kinds), list(self.values)
        saved_of = {}  # saved slot -> (forward step, its input slots)
        kept = []
        for step in self.steps:
            results = None
            if step.kind == "prim":
                saved_of[step.outs[1]] = step
                if all(kinds[s] == "const" for s in step.ins):
                    out, saved = step.fn.fwd(*[values[s] for s in step.ins], **step.params)
                    results = (np.asarray(out) if step.extra[0] else out, saved)
            elif step.kind == "vjp":
                results = _fold_vjp(step, kinds, values, saved_of)
            elif step.kind == "call" and all(kinds[s] == "const" for s in step.ins):
                results = (step.fn(*[values[s] for s in step.ins], *step.params),)
            if results is None:
                kept.append(step)
                continue
            for slot, value in zip(step.outs, results):
                kinds[slot] = "const"
                values[slot] = value
        return Plan(kept, kinds, values, self.inputs, self.outputs, self.template, self.problems,
                    self.meta)

    def used_slots(self) -> set:
        used = set()
        for step in self.steps:
            used.update(step.ins)
        used.update(s for kind, s in self.outputs if kind == "slot")
        return used

    def __repr__(self) -> str:
        return f"<Plan of {len(self.steps)} operations>"


class _Unknown:
    """Stands for a saved value that is not constant; any use of it fails."""

    __array_ufunc__ = None

    def __array__(self, *args, **kwargs):
        raise TypeError("not a constant")


def _fold_vjp(step, kinds, values, saved_of):
    """The constant results of a VJP step, or ``None`` when they depend on data."""
    g_slot, saved_slot = step.ins
    if kinds[g_slot] != "const":
        return None
    if kinds[saved_slot] == "const":
        saved = values[saved_slot]
    else:
        forward = saved_of.get(saved_slot)
        spec = forward.extra[2] if forward is not None else None
        if spec is None:
            return None
        saved = []
        for kind, value in spec:
            if kind == "input":
                slot = forward.ins[value]
                saved.append(values[slot] if kinds[slot] == "const" else _Unknown())
            elif kind == "static":
                saved.append(value)
            else:
                saved.append(_Unknown())
        saved = tuple(saved)
    needs, positions, converted = step.extra
    try:
        grads = step.fn.vjp(values[g_slot], saved, needs)
        results = tuple(np.asarray(grads[p]) if c else grads[p]
                        for p, c in zip(positions, converted))
    except Exception:  # noqa: BLE001 - it read a value that is not constant
        return None
    if any(isinstance(r, _Unknown) or not isinstance(r, np.ndarray) for r in results):
        return None
    return results


def _same_fn(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)  # bound methods of the same object compare equal
    except Exception:  # noqa: BLE001
        return False


def _same(a, b) -> bool:
    """Deep equality of parameters and constants (arrays by value, variables by identity)."""
    if a is b:
        return True
    if isinstance(a, Variable) or isinstance(b, Variable):
        return False
    if isinstance(a, Tensor):
        a = raw_value(a)
    if isinstance(b, Tensor):
        b = raw_value(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    if isinstance(a, (float, np.floating)) and a != a and b != b:
        return True
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False
