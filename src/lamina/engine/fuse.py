"""Fusing operations on the plan: a matrix product plus a bias becomes one ``dense`` step.

A layer written by hand as ``ops.matmul(x, w) + b`` traces to a ``matmul``, an
``add`` that broadcasts ``b`` over the rows, and in the backward pass the
``add``'s VJP, an ``unbroadcast`` (the bias's gradient, a sum over the rows)
and the ``matmul``'s VJP. That is exactly what the ``dense`` primitive
computes, in the same order of operations (``np.dot`` then ``+= b``; the
bias's gradient is the same sum), so the rewrite changes no number. It gives
such layers what ``Dense`` gets: one step forward, one backward, and the bias
folded into the product by ``fold.py``.

The rewrite is made only when nothing else looks at the intermediate values:
the product feeds only the addition, the addition's gradient feeds only the
product's VJP and the bias's sum, and the product's saved inputs only its VJP.
"""

from __future__ import annotations

from lamina.autodiff.tape import unbroadcast
from lamina.engine.plan import Plan, Step
from lamina.ops._primitives import DENSE

__all__ = ["fuse_dense"]


def fuse_dense(plan: Plan) -> Plan:
    """``plan`` with every ``matmul`` + bias ``add`` (and their VJPs) rewritten as ``dense``."""
    if plan.meta is None:
        return plan
    shapes, dtypes = plan.meta
    steps = list(plan.steps)
    consumers: dict = {}
    for i, step in enumerate(steps):
        for s in step.ins:
            consumers.setdefault(s, []).append(i)
    outputs = {s for kind, s in plan.outputs if kind == "slot"}
    vjp_of = {step.ins[1]: i for i, step in enumerate(steps) if step.kind == "vjp"}
    replace: dict = {}
    drop: set = set()
    for i, mm in enumerate(steps):
        if mm.kind != "prim" or mm.fn.name != "matmul" or mm.params:
            continue
        fused = _match(plan, steps, i, consumers, outputs, vjp_of, shapes, dtypes)
        if fused is None:
            continue
        new_steps, removed = fused
        if removed & drop or any(k in replace for k in new_steps):
            continue
        replace.update(new_steps)
        drop |= removed
    if not replace:
        return plan
    kept = [replace.get(i, step) for i, step in enumerate(steps) if i not in drop]
    return Plan(kept, plan.kinds, plan.values, plan.inputs, plan.outputs, plan.template,
                plan.problems, plan.meta)


def _only(consumers, slot):
    users = consumers.get(slot, [])
    return users[0] if len(users) == 1 else None


def _match(plan, steps, i, consumers, outputs, vjp_of, shapes, dtypes):
    """The replacement steps and the removed ones if step ``i`` starts the pattern, else None."""
    mm = steps[i]
    x, k = mm.ins
    product, saved = mm.outs
    if shapes[x] is None or shapes[k] is None or len(shapes[x]) != 2 or len(shapes[k]) != 2:
        return None
    j = _only(consumers, product)
    if j is None or product in outputs:
        return None
    add = steps[j]
    if add.kind != "prim" or add.fn.name != "add" or add.params:
        return None
    if add.ins[0] == product and add.ins[1] != product:
        b_pos = 1
    elif add.ins[1] == product and add.ins[0] != product:
        b_pos = 0
    else:
        return None
    b = add.ins[b_pos]
    units = shapes[k][1]
    if shapes[b] != (units,) or not (dtypes[x] == dtypes[k] == dtypes[b]):
        return None
    out, add_saved = add.outs
    as_array, copy, spec = mm.extra
    dense = DENSE
    fwd = Step("prim", dense, {}, (x, k, b), (out, saved), (as_array, copy, spec))
    # The fused step takes the addition's place: the bias may be computed after the product.
    backward = vjp_of.get(saved)
    if backward is None and not consumers.get(add_saved):
        # Forward only (predict, evaluate): the product's saved values must serve nothing else.
        if consumers.get(saved):
            return None
        return {j: fwd}, {i}
    # Training: the addition's VJP hands its gradient to the product's VJP and to the bias's sum
    # (one backward pass: a second tape's VJPs would read what the rewrite removes).
    p = vjp_of.get(add_saved)
    if p is None or backward is None or consumers.get(saved) != [backward] or \
            consumers.get(add_saved) != [p]:
        return None
    add_vjp, mm_vjp = steps[p], steps[backward]
    needs_add, positions_add, _ = add_vjp.extra
    if not needs_add[1 - b_pos] or not needs_add[b_pos]:
        return None
    grads = set(add_vjp.outs)
    users = sorted({u for s in grads for u in consumers.get(s, [])})
    if len(users) != 2 or backward not in users or any(s in outputs for s in grads):
        return None
    q = users[0] if users[1] == backward else users[1]
    reduce = steps[q]
    if reduce.kind != "call" or reduce.fn is not unbroadcast or reduce.ins[0] not in grads:
        return None
    if mm_vjp.ins[0] not in grads or tuple(reduce.params) != ((units,),):
        return None
    (gb,) = reduce.outs
    needs_mm, positions_mm, converted = mm_vjp.extra
    needs = (needs_mm[0], needs_mm[1], True)
    vjp = Step("vjp", dense, None, (add_vjp.ins[0], saved), tuple(mm_vjp.outs) + (gb,),
               (needs, tuple(positions_mm) + (2,), tuple(converted) + (False,)))
    # The fused VJP takes the place of the addition's: its inputs exist there already, and
    # everything that reads its gradients comes later.
    return {j: fwd, p: vjp}, {i, q, backward}
