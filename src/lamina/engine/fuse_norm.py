"""Fusing operations on the plan: a layer normalization's chain becomes one step each way.

``LayerNormalization`` is written on ``lamina.ops`` as Keras writes it: ``moments`` (a mean,
``stop_gradient``, a squared deviation and its mean, the shifted-variance correction), then
``rsqrt``, ``x * inv - mean * inv`` and the optional scale and offset. Traced, that is about
twenty forward steps and thirty backward ones (VJPs, the sums that undo broadcasting and the
additions that gather a gradient), most of them full passes over the activations.

``fuse_layer_norm`` finds that chain by its data flow and replaces it by the
``layer_normalization`` primitive (``ops/_prim_nn.py``), whose forward and VJP repeat the
chain's operations in the chain's order (minus the passes that exact identities make
redundant), so no number changes: a traced step still equals the eager one bit for bit.

The rewrite is made only when nothing outside the chain reads its intermediate values, the
input feeds nothing else (its gradient is then the chain's alone), the backward part is the
chain's own steps fed by one output gradient, and the fused step gives the chain's results
bit for bit on random data of the traced shapes: a chain whose gradients a tape gathered in
another order than the primitive's is left as it is.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tape import unbroadcast
from lamina.engine.plan import Plan, Step
from lamina.engine.rewrite import PlanIndex, rewrite
from lamina.ops._primitives import LAYER_NORM

__all__ = ["fuse_layer_norm"]


def fuse_layer_norm(plan: Plan) -> Plan:
    """``plan`` with every recognised layer-normalization chain as one fused step each way."""
    return rewrite(plan, "mean", _match)



def _forward(ix: PlanIndex, i):
    """The chain's forward that starts at the ``mean`` step ``i``: its named slots and steps."""
    first = ix.steps[i]
    if first.params.get("keepdims") is not True:
        return None
    x = first.ins[0]
    mean = first.outs[0]
    axis = first.params.get("axis")
    found = {"mean": i}
    stops = [k for k in ix.users(mean) if ix.prim(k, "stop_gradient", (mean,))]
    if len(stops) != 2 or mean in ix.outputs:
        return None
    for k in stops:
        u = ix.single(ix.steps[k].outs[0])
        if u is None:
            return None
        if ix.prim(u, "subtract", (x, ix.steps[k].outs[0])):
            found["stop_d"], found["d"] = k, u
        elif ix.prim(u, "subtract", (mean, ix.steps[k].outs[0])):
            found["stop_e"], found["e"] = k, u
    if "d" not in found or "e" not in found:
        return None
    out_of = lambda name: ix.steps[found[name]].outs[0]  # noqa: E731
    chain = [("d", "square", "sq"), ("sq", "mean", "var0"), ("e", "square", "esq")]
    for src, name, key in chain:
        k = ix.only(out_of(src), name)
        if k is None:
            return None
        found[key] = k
    if ix.steps[found["var0"]].params != first.params:
        return None
    k = ix.only(out_of("var0"), "subtract", (out_of("var0"), out_of("esq")))
    if k is None or ix.only(out_of("esq"), "subtract") != k:
        return None
    found["var"] = k
    k = ix.only(out_of("var"), "add")
    if k is None or ix.steps[k].ins[0] != out_of("var"):
        return None
    eps = ix.steps[k].ins[1]
    if ix.plan.kinds[eps] != "const" or np.ndim(ix.plan.values[eps]) != 0:
        return None
    found["ve"] = k
    for src, name, key in (("ve", "sqrt", "s"), ("s", "reciprocal", "r")):
        k = ix.only(out_of(src), name)
        if k is None:
            return None
        found[key] = k
    r = out_of("r")
    gamma = beta = None
    users = ix.users(r)
    if len(users) == 1 and ix.prim(users[0], "multiply") and ix.steps[users[0]].ins[0] == r:
        found["inv"] = users[0]
        gamma = ix.steps[users[0]].ins[1]
        inv = out_of("inv")
    else:
        inv = r
    users = sorted(ix.users(inv))
    if len(users) != 2 or inv in ix.outputs:
        return None
    for k in users:
        if ix.prim(k, "multiply", (mean, inv)):
            found["mi"] = k
        elif ix.prim(k, "multiply", (x, inv)):
            found["xi"] = k
    if "mi" not in found or "xi" not in found:
        return None
    k = ix.only(out_of("mi"), "negative")
    if k is None:
        return None
    found["nmi"] = k
    shift = out_of("nmi")
    k = ix.single(shift)
    if k is None:
        return None
    if ix.prim(k, "add") and ix.steps[k].ins[0] == shift and \
            ix.steps[k].ins[1] != out_of("xi"):
        found["shift"] = k
        beta = ix.steps[k].ins[1]
        shift = out_of("shift")
    k = ix.only(out_of("xi"), "add", (out_of("xi"), shift))
    if k is None or ix.only(shift, "add") != k:
        return None
    found["out"] = k
    if sorted(ix.users(x)) != sorted((i, found["d"], found["xi"])) or x in ix.outputs:
        return None
    if sorted(ix.users(mean)) != sorted(stops + [found["e"], found["mi"]]):
        return None
    if ix.dtypes[x] is None or ix.dtypes[x].kind != "f" or ix.shapes[x] is None:
        return None
    for s in (gamma, beta):
        if s is not None and (ix.shapes[s] is None or ix.dtypes[s] != ix.dtypes[x]):
            return None
    params = {"axis": axis, "scale": gamma is not None, "center": beta is not None}
    ins = (x, eps) + tuple(s for s in (gamma, beta) if s is not None)
    return found, params, ins


def _backward(ix: PlanIndex, fwd_steps, found, ins):
    """The chain's backward steps, its output gradient's slot and its results, or ``None``."""
    saved = {ix.steps[k].outs[1]: k for k in fwd_steps}
    region = {ix.vjp_of[s] for s in saved if s in ix.vjp_of}
    if not region:  # a forward pass alone (predict, evaluate)
        if any(ix.users(s) or s in ix.outputs for s in saved):
            return None
        return set(), None, ()
    out_vjp = ix.vjp_of.get(ix.steps[found["out"]].outs[1])
    if out_vjp is None or out_vjp != min(region):  # (the fused VJP takes its place)
        return None
    g = ix.steps[out_vjp].ins[0]
    produced = {s for j in region for s in ix.steps[j].outs}
    grown = True
    while grown:  # the sums and additions that only read the chain's gradients
        grown = False
        for s in list(produced):
            for j in ix.users(s):
                st = ix.steps[j]
                if j in region or st.kind != "call" or not (
                        st.fn is unbroadcast or st.fn is np.add):
                    continue
                if all(t in produced for t in st.ins):
                    region.add(j)
                    produced.update(st.outs)
                    grown = True
    for j in region:
        st = ix.steps[j]
        reads = st.ins if st.kind == "call" else (st.ins[0],)
        if st.kind == "vjp" and st.ins[1] not in saved:
            return None
        if any(t not in produced and t != g for t in reads):
            return None
    for s in saved:  # what the chain saved serves only its own VJPs
        if s in ix.outputs or any(u not in region for u in ix.users(s)):
            return None
    results = sorted(s for s in produced if s in ix.outputs or any(
        u not in region for u in ix.users(s)))
    # each result is the gradient of one input of the chain: sort them out
    owners = {}
    for s in results:
        owner = _owner(ix, s, found, region)
        if owner is None or owner in owners.values():
            return None
        owners[s] = owner
    positions = {"x": 0, "gamma": 2, "beta": len(ins) - 1}
    by_position = sorted((positions[o], s) for s, o in owners.items())
    return region, g, tuple(by_position)


def _owner(ix, slot, found, region):
    """Which chain input (``"x"``, ``"gamma"``, ``"beta"``) the gradient ``slot`` belongs to."""
    j = ix.producer.get(slot)
    st = ix.steps[j]
    if st.kind == "call" and st.fn is unbroadcast:
        src = ix.producer.get(st.ins[0])
        if src in region and ix.steps[src].kind == "vjp":
            st2 = ix.steps[src]
            pos = st2.extra[1][list(st2.outs).index(st.ins[0])]
            for name, key in (("gamma", "inv"), ("beta", "shift")):
                if key in found and st2.ins[1] == ix.steps[found[key]].outs[1] and pos == 1:
                    return name
        return None
    if st.kind == "vjp":
        pos = st.extra[1][list(st.outs).index(slot)]
        for name, key in (("gamma", "inv"), ("beta", "shift")):
            if key in found and st.ins[1] == ix.steps[found[key]].outs[1] and pos == 1:
                return name
        return None
    if st.kind == "call" and st.fn is np.add:
        return "x"
    return None


def _match(ix: PlanIndex, i):
    forward = _forward(ix, i)
    if forward is None:
        return None
    found, params, ins = forward
    fwd_steps = set(found.values())
    backward = _backward(ix, fwd_steps, found, ins)
    if backward is None:
        return None
    region, g, results = backward
    if region and not _agrees(ix, fwd_steps, region, found, params, ins, g, results):
        return None
    last = ix.steps[found["out"]]
    fwd = Step("prim", LAYER_NORM, params, ins, last.outs, (False, False, None))
    new = {found["out"]: fwd}
    removed = fwd_steps - {found["out"]}
    if region:
        first = min(region)
        needs = [False] * len(ins)
        for pos, _ in results:
            needs[pos] = True
        new[first] = Step("vjp", LAYER_NORM, None, (g, last.outs[1]),
                          tuple(s for _, s in results),
                          (tuple(needs), tuple(p for p, _ in results),
                           (False,) * len(results)))
        removed |= region - {first}
    return new, removed


def _agrees(ix, fwd_steps, region, found, params, ins, g, results) -> bool:
    """Whether the fused primitive gives the chain's results bit for bit on random data."""
    rng = np.random.default_rng(7)
    values = ix.plan.values
    # (a second draw only where a first one is small enough to agree by chance)
    trials = 1 if int(np.prod(ix.shapes[ins[0]])) >= 4096 else 2
    for trial in range(trials):
        env = {}
        for s in ins:
            if ix.plan.kinds[s] == "const":
                env[s] = values[s]
            else:
                shape, dtype = ix.shapes[s], ix.dtypes[s]
                env[s] = (rng.standard_normal(shape) * (1 + 3 * trial) + 0.5).astype(dtype)
        try:
            with np.errstate(all="ignore"):
                for k in sorted(fwd_steps):
                    st = ix.steps[k]
                    out, saved = st.fn.fwd(*[env[s] for s in st.ins], **st.params)
                    env[st.outs[0]] = np.asarray(out) if st.extra[0] else out
                    env[st.outs[1]] = saved
                out_slot = ix.steps[found["out"]].outs[0]
                g_value = rng.standard_normal(ix.shapes[out_slot]).astype(ix.dtypes[out_slot])
                env[g] = g_value
                for j in sorted(region):
                    st = ix.steps[j]
                    if st.kind == "vjp":
                        needs, positions, converted = st.extra
                        grads = st.fn.vjp(env[st.ins[0]], env[st.ins[1]], needs)
                        for pos, slot, conv in zip(positions, st.outs, converted):
                            env[slot] = np.asarray(grads[pos]) if conv else grads[pos]
                    else:
                        env[st.outs[0]] = st.fn(*[env[s] for s in st.ins], *st.params)
                fused, saved = LAYER_NORM.fwd(*[env[s] for s in ins], **params)
                needs = [False] * len(ins)
                for pos, _ in results:
                    needs[pos] = True
                grads = LAYER_NORM.vjp(g_value, saved, tuple(needs))
        except Exception:  # noqa: BLE001 - a chain the primitive cannot replay stays as it is
            return False
        pairs = [(fused, env[out_slot])] + [(grads[pos], env[s]) for pos, s in results]
        if not all(_same_bits(a, b) for a, b in pairs):
            return False
    return True


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and \
        np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
