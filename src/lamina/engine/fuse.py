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

from lamina.engine.plan import Plan, Step
from lamina.engine.rewrite import rewrite
from lamina.ops._primitives import DENSE

__all__ = ["fuse_dense"]


def fuse_dense(plan: Plan) -> Plan:
    """``plan`` with every ``matmul`` + bias ``add`` (and their VJPs) rewritten as ``dense``."""
    return rewrite(plan, "matmul", _match)


def _match(ix, i):
    """The replacement steps and the removed ones if step ``i`` starts the pattern, else None."""
    steps, consumers, vjp_of = ix.steps, ix.consumers, ix.vjp_of
    shapes = ix.shapes
    mm = steps[i]
    if mm.params:
        return None
    x, k = mm.ins
    product, saved = mm.outs
    if shapes[x] is None or shapes[k] is None or len(shapes[x]) != 2 or len(shapes[k]) != 2:
        return None
    units = shapes[k][1]
    found = ix.bias_add(product, units, (x, k))
    if found is None:
        return None
    j, b_pos, b = found
    add = steps[j]
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
    found = ix.bias_gradient(add_vjp, backward, units)
    if found is None:
        return None
    q, gb = found
    needs_mm, positions_mm, converted = mm_vjp.extra
    needs = (needs_mm[0], needs_mm[1], True)
    vjp = Step("vjp", dense, None, (add_vjp.ins[0], saved), tuple(mm_vjp.outs) + (gb,),
               (needs, tuple(positions_mm) + (2,), tuple(converted) + (False,)))
    # The fused VJP takes the place of the addition's: its inputs exist there already, and
    # everything that reads its gradients comes later.
    return {j: fwd, p: vjp}, {i, q, backward}
