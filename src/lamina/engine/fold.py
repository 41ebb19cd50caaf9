"""Folding a dense layer's bias into its matrix product, decided on the plan.

``dense(x, kernel, bias)`` is ``x @ kernel + bias``: two passes over the
output, and one more (a sum over the batch) for the bias's gradient. When the
kernel and the bias lie one after the other in memory (as the trainer lays
out the variables, and as their gradients lie in the flat gradient buffer),
``[x, 1] @ [kernel; bias]`` computes the output in one product and
``[x, 1]^T @ g`` both gradients in one more. The input then needs a column of
ones: each folded layer owns a buffer ``(rows, inputs + 1)`` whose last column
is 1, and a ReLU that feeds the layer writes its output straight into it.

The bias is then added inside the product's sums, which rounds differently in
the last bit (``FOLD_BIAS = False`` turns the pass off, as a test does to
compare the traced and the eager steps bit for bit; it turns off
``fuse_conv.py`` too, whose fused convolutions round the same way). Only
training steps fold (a forward-only plan would gain one addition per layer, and
predictions must not change in the last bit between the first, traced, calls
and the later ones).
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import raw_value
from lamina.engine.layout import flat_view

__all__ = ["FOLD_BIAS", "plan_folds"]

FOLD_BIAS = True


def _folded(first, second):
    """``[first; second]`` as one ``(rows + 1, columns)`` view when they lie back to back."""
    if first is None or second is None or first.ndim != 2 or second.shape != first.shape[1:]:
        return None
    if first.dtype != second.dtype:
        return None
    both = flat_view([first, second])
    return None if both is None else both.reshape(first.shape[0] + 1, first.shape[1])


def plan_folds(plan, ns, used) -> dict:
    """``{step index: source lines}`` replacing the emitted lines of the folded steps.

    Folds ``dense`` steps whose kernel and bias are variables lying back to back,
    whose input is 2-D of the same dtype, and whose backward (if any) writes the
    kernel's and the bias's gradients into adjacent views of the flat gradient.
    """
    if not FOLD_BIAS or plan.meta is None:
        return {}
    shapes, dtypes = plan.meta
    producer, consumers = {}, {}
    for i, step in enumerate(plan.steps):
        for s in step.outs:
            producer[s] = i
        for s in step.ins:
            consumers.setdefault(s, []).append(i)
    outputs = {s for kind, s in plan.outputs if kind == "slot"}
    backward = {}  # saved slot of a dense step -> index of its VJP step
    for i, step in enumerate(plan.steps):
        if step.kind == "vjp" and step.fn.name == "dense":
            backward[step.ins[1]] = i
    lines = {}
    for i, step in enumerate(plan.steps):
        if step.kind != "prim" or step.fn.name != "dense":
            continue
        x, k, b = step.ins
        if plan.kinds[k] != "var" or plan.kinds[b] != "var":
            continue
        kernel, bias = raw_value(plan.values[k]), raw_value(plan.values[b])
        weights = _folded(kernel, bias)
        if weights is None or shapes[x] is None or len(shapes[x]) != 2 or \
                dtypes[x] != kernel.dtype:
            continue
        out, saved = step.outs
        j = backward.get(saved)
        if j is None:
            # Forward only (predict, evaluate): folding would save one addition per layer, and
            # the outputs of the first calls (traced, so computed eagerly) would differ in the
            # last bit from the later ones. Training steps fold (their gradients gain most).
            continue
        grads = None
        if j is not None:
            vjp = plan.steps[j]
            needs, positions, _ = vjp.extra
            by_position = dict(zip(positions, vjp.outs))
            if not (needs[1] and needs[2]) or dtypes[vjp.ins[0]] != kernel.dtype:
                continue
            gk, gb = by_position[1], by_position[2]
            grads = _folded(ns.get(f"D{gk}"), ns.get(f"D{gb}"))
            if grads is None:
                continue
        rows, width = shapes[x]
        buffer = np.ones((rows, width + 1), kernel.dtype)
        ns[f"XA{i}"], ns[f"KB{i}"] = buffer, weights
        ns[f"XV{i}"] = buffer[:, :-1]
        source = producer.get(x)
        relu = plan.steps[source] if source is not None else None
        into_buffer = (relu is not None and relu.kind == "prim" and relu.fn.name == "relu"
                       and consumers.get(x) == [i] and x not in outputs
                       and source not in lines)
        if into_buffer:  # the ReLU writes its output straight into the folded layer's buffer
            z, (r_out, r_saved) = relu.ins[0], relu.outs
            ns[f"Z{source}"] = np.zeros((), kernel.dtype)
            keep = f", t{r_saved} = XV{i}, XV{i}" if r_saved in used else f" = XV{i}"
            lines[source] = [f"np.maximum(t{z}, Z{source}, out=XV{i})  # relu (into a buffer)",
                             f"t{r_out}{keep}"]
            fill = []
        else:
            fill = [f"XV{i}[...] = t{x}"]
        lines[i] = fill + [f"t{out} = np.dot(XA{i}, KB{i})  # dense, bias folded in"]
        if j is not None:
            vjp = plan.steps[j]
            needs, positions, _ = vjp.extra
            by_position = dict(zip(positions, vjp.outs))
            g = vjp.ins[0]
            ns[f"GKB{j}"] = grads
            body = []
            if needs[0]:
                body.append(f"t{by_position[0]} = np.dot(t{g}, t{k}.T)")
            body.append(f"np.dot(XA{i}.T, t{g}, GKB{j})  # dense backward, bias folded in")
            body.append(f"t{by_position[1]}, t{by_position[2]} = D{by_position[1]}, "
                        f"D{by_position[2]}")
            lines[j] = body
    return lines
