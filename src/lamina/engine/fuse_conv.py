"""Fusing a convolution, its bias, a ReLU and a max pool into one step, decided on the plan.

``Conv2D(activation="relu")`` followed by ``MaxPooling2D()`` traces to a
``conv``, an ``add`` of the bias, a ``relu`` and a ``max_pool``, and in the
backward pass to their four VJPs and the bias's sum. Every one of those passes
runs over the convolution's full output, the pool's with a stride that NumPy
loops over in short pieces. When the pool's windows tile the convolution's
output (strides equal to the pool size, no padding), ``conv_pool`` (in
``ops/_prim_conv.py``) computes the chain at once: the convolution's rows in
pool-window order, so that the pool works on contiguous blocks, the bias inside
the matrix product (a column of ones, its gradient out of the kernel's), the
ReLU on the pooled output (it commutes with the maximum), and no rows the pool
would drop.

The rewrite is made only when nothing else reads the intermediate values, and
only in training steps (a step with the chain's VJPs): the bias summed inside
the product and the kernel's gradient summed over the rows in another order
round differently in the last bit, as ``fold.py``'s folded Dense biases do, and
``fold.FOLD_BIAS = False`` (or ``FUSE_CONV_POOL = False``) turns this pass off (so the traced step
equals the eager one bit for bit). The gradients' kinks are the unfused ones:
``relu'(0) = 0``, a window's gradient to its first maximum in row-major order.
"""

from __future__ import annotations

from lamina.engine import fold
from lamina.engine.plan import Plan, Step
from lamina.engine.rewrite import rewrite
from lamina.ops._primitives import CONV_POOL

__all__ = ["FUSE_CONV_POOL", "fuse_conv_pool"]

FUSE_CONV_POOL = True  # (and fold.FOLD_BIAS): off, the chain runs step by step


def fuse_conv_pool(plan: Plan) -> Plan:
    """``plan`` with every tiling ``conv`` + bias ``add`` (+ ``relu``) + ``max_pool`` fused."""
    if not (FUSE_CONV_POOL and fold.FOLD_BIAS):
        return plan
    return rewrite(plan, "conv", _match)


def _match(ix, c):
    """The replacement steps and the removed ones if step ``c`` starts the chain, else None."""
    steps, consumers, outputs, vjp_of = ix.steps, ix.consumers, ix.outputs, ix.vjp_of
    shapes = ix.shapes
    conv = steps[c]
    if conv.params.get("groups", 1) != 1:
        return None
    x, k = conv.ins
    c_out, c_saved = conv.outs
    if shapes[k] is None or shapes[c_out] is None:
        return None
    filters = shapes[k][-1]
    found = ix.bias_add(c_out, filters, (x, k))
    if found is None:
        return None
    a, _, b = found
    add = steps[a]
    a_out, a_saved = add.outs
    r = ix.only(a_out, "relu")
    if r is not None and steps[r].params:
        return None
    pool_in = a_out if r is None else steps[r].outs[0]
    p = ix.only(pool_in, "max_pool")
    if p is None:
        return None
    pool = steps[p]
    size, strides, padding = (pool.params[n] for n in ("pool_size", "strides", "padding"))
    if tuple(strides) != tuple(size) or any(lo or hi for lo, hi in padding):
        return None
    if any(o < n for o, n in zip(shapes[c_out][1:-1], size)):
        return None
    p_out, p_saved = pool.outs
    # The backward chain: each saved value read by its own VJP alone, each gradient passed on.
    chain = [(conv, c), (add, a), (pool, p)] + ([] if r is None else [(steps[r], r)])
    vjps = {}
    for step, _ in chain:
        saved = step.outs[1]
        j = vjp_of.get(saved)
        if j is None or consumers.get(saved) != [j]:
            return None  # forward only, or a value something else reads
        vjps[step.fn.name] = j
    pv, av, cv = vjps["max_pool"], vjps["add"], vjps["conv"]
    g_pool = steps[pv].outs[0]
    if r is None:
        g_add = g_pool
    else:
        rv = vjps["relu"]
        if consumers.get(g_pool) != [rv] or steps[rv].ins[0] != g_pool:
            return None
        g_add = steps[rv].outs[0]
    if consumers.get(g_add) != [av] or steps[av].ins[0] != g_add or \
            any(s in outputs for s in (g_pool, g_add)):
        return None
    add_vjp, conv_vjp = steps[av], steps[cv]
    needs_add, positions_add, _ = add_vjp.extra
    if not (needs_add[0] and needs_add[1]) or tuple(positions_add) != (0, 1):
        return None
    found = ix.bias_gradient(add_vjp, cv, filters)  # (the addition's VJP hands on ``g``)
    if found is None:
        return None
    q, gb = found
    needs_conv, positions_conv, converted = conv_vjp.extra
    params = {"strides": conv.params["strides"], "padding": conv.params["padding"],
              "dilation": conv.params["dilation"], "pool_size": tuple(size),
              "relu": r is not None}
    as_array, copy = pool.extra[:2]
    fwd = Step("prim", CONV_POOL, params, (x, k, b), (p_out, c_saved), (as_array, copy, None))
    vjp = Step("vjp", CONV_POOL, None, (steps[pv].ins[0], c_saved),
               tuple(conv_vjp.outs) + (gb,),
               ((needs_conv[0], needs_conv[1], True), tuple(positions_conv) + (2,),
                tuple(converted) + (False,)))
    # The fused forward takes the pool's place (every input exists there), the fused VJP the
    # pool VJP's (everything that reads its gradients comes later).
    removed = {c, a, av, q, cv} | ({r, vjps["relu"]} if r is not None else set())
    return {p: fwd, pv: vjp}, removed
