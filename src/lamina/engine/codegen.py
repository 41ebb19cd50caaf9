"""Turn a plan into one straight-line Python function, and keep its source for reading.

Each step becomes one line that calls the primitive's forward, its VJP, a
NumPy function or a host function on local variables; there is no loop over
steps and no dictionary lookup at replay. ``CompiledPlan.source`` is that
code, which is the best way to see what a traced step does::

    >>> print(model.make_train_function().describe())   # doctest: +SKIP

The generated code only calls the objects the plan holds (primitives from the
one table, variables, the host functions the step called); it is made from
the trace in this process and never from a file.
"""

from __future__ import annotations

import functools

import numpy as np

from lamina.autodiff.tape import unbroadcast, unbroadcast_into
from lamina.autodiff.tensor import Tensor, raw_value
from lamina.engine.allocator import keep_freed_memory
from lamina.engine.fold import plan_folds
from lamina.engine.layout import flat_view, gradient_buffer
from lamina.engine.trace import flatten, host_result, unflatten

__all__ = ["CompiledPlan", "compile_plan"]


class CompiledPlan:
    """A runnable plan: ``run(*arrays) -> tuple of arrays`` and the code it runs."""

    __slots__ = ("run", "source", "plan", "n_outputs")

    def __init__(self, run, source, plan):
        self.run = run
        self.source = source
        self.plan = plan
        self.n_outputs = sum(1 for kind, _ in plan.outputs if kind == "slot")

    def outputs(self, arrays):
        """The step's result, nested as the traced function returned it (tensors for arrays)."""
        it = iter(arrays)
        leaves = [Tensor(next(it)) if kind == "slot" else value
                  for kind, value in self.plan.outputs]
        return unflatten(self.plan.template, leaves)


def _host_call(i, step, ns) -> str:
    """The source of a host step's call, its arguments built inline from the template."""
    template, consts, live, out_template, out_is_slot = step.params
    ns[f"H{i}"] = step.fn
    leaves = iter(zip(consts, live))
    slots = iter(step.ins)
    counter = [0]

    def const(value):
        name = f"K{i}_{counter[0]}"
        counter[0] += 1
        ns[name] = value
        return name

    wrap = "{}" if step.extra[2] else "T({})"  # arrays, or tensors, for the host function

    def expr(t):
        if t is None:
            value, is_live = next(leaves)
            return wrap.format(f"t{next(slots)}") if is_live else const(value)
        kind = t[0]
        if kind == "list":
            return "[" + "".join(f"{expr(c)}, " for c in t[1]) + "]"
        if kind == "tuple":
            return "(" + "".join(f"{expr(c)}, " for c in t[1]) + ")"
        if kind == "named":
            return f"{const(t[1])}(" + ", ".join(expr(c) for c in t[2]) + ")"
        items = ", ".join(f"{const(k)}: {expr(v)}" for k, v in t[2])
        return f"{const(t[1])}({{{items}}})" if t[1] is not dict else f"{{{items}}}"

    (_, (args_t, kwargs_t)) = template
    parts = [expr(c) for c in args_t[1]]
    parts += [f"{k}={expr(v)}" if isinstance(k, str) and k.isidentifier() else
              f"**{{{const(k)}: {expr(v)}}}" for k, v in kwargs_t[2]]
    call = f"H{i}({', '.join(parts)})"
    outs = step.outs
    if not outs:
        return f"{call}  # {step.name}"
    if out_template is None and len(outs) == 1:  # one result (a metric's value, a draw)
        return f"t{outs[0]} = R({call})  # {step.name}"
    ns[f"O{i}"] = functools.partial(_host_outputs, tuple(out_is_slot))
    targets = "".join(f"t{s}, " for s in outs)
    return f"{targets}= O{i}({call})  # {step.name}"


def _flat_updates(plan, ns) -> dict:
    """Plan the gradient updates that can run on one flat buffer (see ``hooks.host_update``).

    Returns ``{step index: (update function, destination view per gradient)}``
    and sets ``ns["D<slot>"]``, the view of the flat gradient where the step that
    computes that gradient writes it (when it can: a VJP with ``vjp_into``, or
    the reduction that undoes broadcasting) so no copy is needed.
    """
    uses: dict = {}
    producers: dict = {}
    for step in plan.steps:
        for s in step.ins:
            uses[s] = uses.get(s, 0) + 1
        for s in step.outs:
            producers[s] = step
    updates = {}
    for i, step in enumerate(plan.steps):
        if step.kind != "update":
            continue
        flat, variables = step.params
        arrays = [raw_value(v) for v in variables]
        whole = flat_view(arrays) if arrays else None
        update = flat(list(variables)) if whole is not None and flat is not None else None
        if update is None:
            continue
        buffer = gradient_buffer(whole)
        views, offset = [], 0
        for a in arrays:
            views.append(buffer[offset:offset + a.size].reshape(a.shape))
            offset += a.size
        ns[f"G{i}"] = buffer
        for slot, view, a in zip(step.ins, views, arrays):
            producer = producers.get(slot)
            if uses.get(slot) != 1 or producer is None or plan.meta is None:
                continue
            shapes, dtypes = plan.meta
            if shapes[slot] != a.shape or dtypes[slot] != a.dtype:
                continue
            if (producer.kind == "vjp" and producer.fn.vjp_into is not None) or (
                    producer.kind == "call" and producer.fn is unbroadcast):
                ns[f"D{slot}"] = view
        updates[i] = (update, views)
    return updates


def _update_lines(i, step, ns, updates, var_slots) -> list:
    """A gradient update: the gradients in one flat buffer, then one call (see hooks)."""
    fn, variables = step.fn, step.params[1]
    ns[f"U{i}"] = fn
    ns[f"W{i}"] = list(variables)
    grads = ", ".join(f"T(t{s})" for s in step.ins)
    fallback = f"U{i}([{grads}], W{i})  # {step.name}"
    if i not in updates:
        return [fallback]
    update, views = updates[i]
    # While the variables keep these arrays (the optimizer laid them out back to back),
    # the gradients are in one flat buffer and one call updates all of them.
    ns[f"F{i}"] = update
    guard = []
    for j, (v, slot) in enumerate(zip(variables, var_slots)):
        ns[f"A{i}_{j}"] = raw_value(v)
        if slot is not None:  # read at the start of the step
            guard.append(f"t{slot} is A{i}_{j}")
        else:
            ns[f"V{i}_{j}"] = v
            guard.append(f"raw(V{i}_{j}) is A{i}_{j}")
    missing = [(j, s) for j, s in enumerate(step.ins) if f"D{s}" not in ns]
    fill = []
    if len(missing) > 2:
        parts = "".join(f"t{s}.reshape(-1), " for s in step.ins)
        fill = [f"    np.concatenate(({parts}), out=G{i}, casting='same_kind')"]
    else:
        for j, s in missing:
            ns[f"G{i}_{j}"] = views[j]
            fill.append(f"    np.copyto(G{i}_{j}, t{s}, casting='same_kind')")
    return [f"if {' and '.join(guard)}:", *fill, f"    F{i}(G{i})  # {step.name}",
            "else:", f"    {fallback}"]


def _leading_sum(step, plan):
    """The axes to sum when ``unbroadcast`` only removes leading axes (static shapes), else None."""
    if step.fn is not unbroadcast or plan.meta is None:
        return None
    shape_in = plan.meta[0][step.ins[0]]
    (target,) = step.params
    if shape_in is None:
        return None
    extra = len(shape_in) - len(target)
    if extra <= 0 or tuple(shape_in[extra:]) != tuple(target):
        return None
    return tuple(range(extra))


def _host_outputs(out_is_slot, result):
    leaves, _ = flatten(result)
    return tuple(host_result(x) for x, s in zip(leaves, out_is_slot) if s)


class _Lazy:
    """The plan compiled without folding, made the first time it is needed."""

    def __init__(self, plan, name):
        self.plan, self.name, self.run = plan, name, None

    def __call__(self, *args):
        if self.run is None:
            self.run = compile_plan(self.plan, self.name, fold=False).run
        return self.run(*args)


def compile_plan(plan, name="step", fold=True) -> CompiledPlan:
    """Generate and compile the function that replays ``plan``."""
    keep_freed_memory()  # (once per process: see engine/allocator.py)
    ns = {"np": np, "raw": raw_value, "T": Tensor, "R": host_result}
    lines = []
    used = plan.used_slots()
    updates = _flat_updates(plan, ns)
    overrides = plan_folds(plan, ns, used) if fold else {}
    slot_of_var = {}
    for slot, kind in enumerate(plan.kinds):
        if slot not in used:
            continue
        if kind == "var":
            slot_of_var[id(plan.values[slot])] = slot
            ns[f"V{slot}"] = plan.values[slot]
            lines.append(f"t{slot} = raw(V{slot})")
        elif kind == "const":
            ns[f"t{slot}"] = plan.values[slot]
    if overrides:
        # Folded views of the variables hold while the variables keep these arrays; if one
        # was given a new array, the same plan without folding runs instead.
        ns["UNFOLDED"] = _Lazy(plan, name + "_unfolded")
        checks = []
        for slot in sorted(used):
            if plan.kinds[slot] == "var":
                ns[f"AV{slot}"] = raw_value(plan.values[slot])
                checks.append(f"t{slot} is AV{slot}")
        call = ", ".join(f"t{s}" for s in plan.inputs)
        lines.append(f"if not ({' and '.join(checks)}):")
        lines.append(f"    return UNFOLDED({call})")

    for i, step in enumerate(plan.steps):
        kind = step.kind
        args = ", ".join(f"t{s}" for s in step.ins)
        if i in overrides:  # a pass of the engine wrote this step's code (fold.py)
            lines.extend(overrides[i])
        elif kind == "prim":
            fn = step.fn.fwd
            if step.params:
                fn = functools.partial(fn, **step.params)
            ns[f"F{i}"] = fn
            out, saved = step.outs
            as_array, copy, _ = step.extra
            if saved in used and out not in used and step.fn.fwd_saved is not None:
                fs = step.fn.fwd_saved
                ns[f"F{i}"] = functools.partial(fs, **step.params) if step.params else fs
                lines.append(f"t{saved} = F{i}({args})  # {step.fn.name} (for the gradient)")
                continue
            if saved in used:
                lines.append(f"t{out}, t{saved} = F{i}({args})  # {step.fn.name}")
            else:
                lines.append(f"t{out} = F{i}({args})[0]  # {step.fn.name}")
            if as_array:
                lines.append(f"t{out} = np.asarray(t{out})")
            elif copy:
                lines.append(f"t{out} = t{out}.copy()")
        elif kind == "vjp":
            needs, positions, converted = step.extra
            ns[f"N{i}"] = needs
            into = [ns.get(f"D{slot}") for slot in step.outs]
            if any(d is not None for d in into):  # gradients written into the flat buffer
                outs = [None] * len(needs)
                for pos, d in zip(positions, into):
                    outs[pos] = d
                ns[f"F{i}"] = step.fn.vjp_into
                ns[f"O{i}"] = tuple(outs)
                lines.append(f"_r = F{i}({args}, N{i}, O{i})  # {step.fn.name} backward")
            else:
                ns[f"F{i}"] = step.fn.vjp
                lines.append(f"_r = F{i}({args}, N{i})  # {step.fn.name} backward")
            if not any(converted) and len(needs) <= 3:
                # one unpacking of the gradients (``_`` for those not needed)
                names = ["_"] * len(needs)
                for pos, slot in zip(positions, step.outs):
                    names[pos] = f"t{slot}"
                lines[-1] = lines[-1].replace("_r = ", f"{', '.join(names)}, = ", 1)
                continue
            for pos, slot, conv in zip(positions, step.outs, converted):
                lines.append(f"t{slot} = np.asarray(_r[{pos}])" if conv else
                             f"t{slot} = _r[{pos}]")
        elif kind == "call":
            ns[f"F{i}"] = step.fn
            static = []
            for j, value in enumerate(step.params):
                ns[f"S{i}_{j}"] = value
                static.append(f"S{i}_{j}")
            name = getattr(step.fn, "__name__", "call")
            out = step.outs[0]
            lead = _leading_sum(step, plan)
            if lead is not None:  # undoing broadcasting over leading axes: one reduction
                ns[f"X{i}"] = lead
                target = f"D{out}" if f"D{out}" in ns else "None"
                lines.append(f"t{out} = np.add.reduce({args}, X{i}, None, {target})  # {name}")
                continue
            if f"D{out}" in ns:  # the reduction writes into the flat gradient
                ns[f"F{i}"] = unbroadcast_into
                static.append(f"D{out}")
            lines.append(f"t{out} = F{i}({', '.join([args] + static)})  # {name}")
        elif kind == "assign":
            var_slot, value_slot = step.ins
            ns[f"A{i}"] = step.fn.write_array
            lines.append(f"A{i}({step.params!r}, t{value_slot})  # {step.name}")
        elif kind == "host":
            lines.append(_host_call(i, step, ns))
        elif kind == "update":
            var_slots = [slot_of_var.get(id(v)) for v in step.params[1]]
            lines.extend(_update_lines(i, step, ns, updates, var_slots))
        else:  # pragma: no cover - every kind is listed above
            raise ValueError(f"unknown step kind {kind!r}")

    results = [f"t{value}" for kind, value in plan.outputs if kind == "slot"]
    lines.append(f"return ({', '.join(results)}{',' if len(results) == 1 else ''})")
    params = ", ".join(f"t{s}" for s in plan.inputs)
    source = f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in lines)
    code = compile(source, f"<lamina plan {name}>", "exec")
    exec(code, ns)  # noqa: S102 - code generated above from this process's own trace
    return CompiledPlan(ns[name], source, plan)
