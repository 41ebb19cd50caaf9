"""What the plan's fusing passes share: an index of who reads and writes each slot, and the
loop that tries a pattern at every step of one primitive and rebuilds the plan.

A pass (``fuse.py``, ``fuse_conv.py``, ``fuse_norm.py``) supplies ``match(index, i)``: for a
step ``i`` that may start its pattern, the steps that replace others (``{position: Step}``)
and the positions to remove, or ``None``. Matches that overlap an earlier one are skipped.
"""

from __future__ import annotations

from lamina.autodiff.tape import unbroadcast
from lamina.engine.plan import Plan

__all__ = ["PlanIndex", "rewrite"]


class PlanIndex:
    """Who reads and who writes each slot of a plan's steps."""

    def __init__(self, plan, steps):
        self.plan, self.steps = plan, steps
        self.shapes, self.dtypes = plan.meta
        self.consumers: dict = {}
        self.producer: dict = {}
        for i, step in enumerate(steps):
            for s in step.ins:
                self.consumers.setdefault(s, []).append(i)
            for s in step.outs:
                self.producer[s] = i
        self.outputs = {s for kind, s in plan.outputs if kind == "slot"}
        self.vjp_of = {st.ins[1]: i for i, st in enumerate(steps) if st.kind == "vjp"}

    def users(self, slot):
        return self.consumers.get(slot, [])

    def prim(self, i, name, ins=None):
        """Step ``i`` if it is the primitive ``name`` (on exactly ``ins``, when given)."""
        step = self.steps[i]
        if step.kind != "prim" or step.fn.name != name:
            return None
        if ins is not None and tuple(step.ins) != tuple(ins):
            return None
        return step

    def single(self, slot):
        """The one step reading ``slot`` (an intermediate value), else ``None``."""
        users = self.users(slot)
        return users[0] if len(users) == 1 and slot not in self.outputs else None

    def only(self, slot, name, ins=None):
        """The one step reading ``slot``, if it is the primitive ``name``; else ``None``."""
        users = self.users(slot)
        if len(users) != 1 or slot in self.outputs:
            return None
        return users[0] if self.prim(users[0], name, ins) is not None else None


    def bias_add(self, slot, units, operands):
        """``(j, b_pos, b)`` when the one reader of ``slot`` is step ``j``, a plain ``add`` of
        ``slot`` and a bias ``b`` (its input ``b_pos``) of shape ``(units,)`` and the dtype of
        the product's ``operands``; else ``None``."""
        j = self.single(slot)
        if j is None:
            return None
        add = self.steps[j]
        if add.kind != "prim" or add.fn.name != "add" or add.params:
            return None
        if add.ins[0] == slot and add.ins[1] != slot:
            b_pos = 1
        elif add.ins[1] == slot and add.ins[0] != slot:
            b_pos = 0
        else:
            return None
        b = add.ins[b_pos]
        if self.shapes[b] != (units,) or any(self.dtypes[o] != self.dtypes[b] for o in operands):
            return None
        return j, b_pos, b

    def bias_gradient(self, add_vjp, backward, units):
        """``(q, gb)`` when the gradients of an addition's VJP ``add_vjp`` go only to the
        product's VJP (step ``backward``, reading one of them) and to one ``unbroadcast`` to
        ``(units,)`` (step ``q``, the bias's gradient ``gb``); else ``None``."""
        grads = set(add_vjp.outs)
        users = sorted({u for s in grads for u in self.users(s)})
        if len(users) != 2 or backward not in users or any(s in self.outputs for s in grads):
            return None
        q = users[0] if users[1] == backward else users[1]
        reduce = self.steps[q]
        if reduce.kind != "call" or reduce.fn is not unbroadcast or \
                reduce.ins[0] not in grads or tuple(reduce.params) != ((units,),):
            return None
        if self.steps[backward].ins[0] not in grads:
            return None
        return q, reduce.outs[0]


def rewrite(plan: Plan, name: str, match) -> Plan:
    """``plan`` with ``match`` applied at every step of the primitive ``name``."""
    if plan.meta is None:
        return plan
    steps = list(plan.steps)
    index = PlanIndex(plan, steps)
    replace: dict = {}
    drop: set = set()
    for i, step in enumerate(steps):
        if step.kind != "prim" or step.fn.name != name or i in drop:
            continue
        found = match(index, i)
        if found is None:
            continue
        new_steps, removed = found
        if removed & drop or any(k in replace or k in drop for k in new_steps):
            continue
        replace.update(new_steps)
        drop |= removed
    if not replace:
        return plan
    kept = [replace.get(i, step) for i, step in enumerate(steps) if i not in drop]
    return Plan(kept, plan.kinds, plan.values, plan.inputs, plan.outputs, plan.template,
                plan.problems, plan.meta)
