"""Deferred accumulation: an epoch loop makes a block of batches' metric updates at once.

A training step ends with bookkeeping that only *accumulates*: the loss
tracker, the metrics, a check of the labels. On small batches that
bookkeeping (and the softmax that only the accuracy needs) costs more than
the training itself. Host steps marked ``defer`` (``hooks.host``) can run
later, once per block of batches, on the block's rows stacked, together with
the operations that only they need ("sinking"), provided those operations
work row by row:

* a *batched* value has the batch's rows on axis 0 (the step's inputs, and
  what element-wise and per-row operations make of them; any other value
  whose axis 0 has the batch's length can be stashed row after row, but only
  the former are computed in the flush);
* a *per-batch* value is one result per batch (a sum or mean over a batched
  value, and element-wise operations on it with constants).

Row-wise operations on the step's inputs alone (casting the labels, making
them one-hot rows, scaling the inputs by constants) are *hoisted*: the loop
runs them once per block on the block's rows, and each step gets its slice.

Per block, the loop keeps the batched and per-batch values that cross from
the step into the sunk part (``stash``), then ``flush`` runs the sunk
operations once on the stacked rows and hands the deferred calls their
stacked arguments. A sum over a batch becomes a sum over each row of the
block reshaped to ``(batches, rows)``: the same pairwise sums, so the
numbers equal the batch-by-batch loop's to the last bit.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor
from lamina.engine import codegen
from lamina.engine.plan import Plan
from lamina.engine.trace import unflatten

__all__ = ["Deferred", "plan_deferral"]

# Primitives that compute element by element (broadcasting their other operands).
_ELEMENTWISE = {
    "add", "subtract", "multiply", "divide", "negative", "power", "exp", "expm1", "log",
    "log1p", "sqrt", "square", "abs", "sin", "cos", "tanh", "reciprocal", "relu", "sigmoid",
    "softplus", "erf", "maximum", "minimum", "where", "clip", "cast", "stop_gradient", "sign",
    "floor", "ceil", "floor_divide", "mod", "equal", "not_equal", "less", "less_equal",
    "greater", "greater_equal", "logical_and", "logical_or", "logical_not", "isnan", "isinf",
    "isfinite", "round", "sigmoid_cross_entropy", "one_hot",
}
# Primitives that work along one axis of each row: per row when that axis is not the batch's.
_ALONG_AXIS = {"softmax", "log_softmax", "sparse_softmax_cross_entropy", "softmax_cross_entropy",
               "onehot_softmax_cross_entropy", "take_along_axis"}
_REDUCTIONS = {"sum", "mean", "max", "min", "prod", "logsumexp", "argmax", "argmin", "all",
               "any", "count_nonzero"}
_BATCH_REDUCTIONS = {"sum", "mean"}  # over a whole batch: per-batch, by segments

# How many values the stash of one block holds at most (about 1 MB of float32).
BLOCK_VALUES = 1 << 18

BATCHED, PER_BATCH, CONSTANT = "batched", "per_batch", "constant"


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axis)) if ndim else ()


def _fits(const_shape, out_shape) -> bool:
    """Whether a constant broadcasts against one batch's value without touching axis 0."""
    if const_shape is None:
        return False
    return len(const_shape) < len(out_shape) or (len(const_shape) == len(out_shape)
                                                   and (not const_shape or const_shape[0] == 1))


def _category(step, cats, shapes, batch_size):
    """``(category of the output, how the block runs it)`` of a primitive step, or ``(None, None)``."""
    name = step.fn.name
    ins = step.ins
    kinds = [cats.get(s) for s in ins]
    if any(k is None for k in kinds):
        return None, None
    live = {k for k in kinds if k != CONSTANT}
    if not live:
        return None, None  # constant-only steps were folded; nothing to do here
    out_shape = shapes[step.outs[0]]
    if out_shape is None:
        return None, None
    consts_fit = all(_fits(shapes[s], out_shape) for s, k in zip(ins, kinds) if k == CONSTANT)
    if name in _ELEMENTWISE:
        if len(live) == 1 and consts_fit:
            (kind,) = live
            if kind == BATCHED and (not out_shape or out_shape[0] != batch_size):
                return None, None
            return kind, "same"
        return None, None
    if live != {BATCHED} or not consts_fit:
        return None, None
    in_shape = shapes[ins[0]]
    if in_shape is None or not in_shape or in_shape[0] != batch_size:
        return None, None
    params = step.params or {}
    if name in _ALONG_AXIS:
        axis = params.get("axis", -1)
        return (BATCHED, "same") if _axes(axis, len(in_shape)) != (0,) else (None, None)
    if name in _REDUCTIONS:
        axes = _axes(params.get("axis"), len(in_shape))
        if 0 not in axes:
            return BATCHED, "same"
        if name in _BATCH_REDUCTIONS and axes == tuple(range(len(in_shape))) and \
                not params.get("keepdims"):
            return PER_BATCH, name
        return None, None
    if name == "reshape":
        shape = tuple(params["shape"])
        if shape and shape[0] == batch_size and -1 not in shape[1:]:
            return BATCHED, "reshape"
    return None, None


class Deferred:
    """A step split into ``main`` (each batch) and ``flush`` (each block; see the module)."""

    def __init__(self, main, stash, inputs, sunk, hosts, values, batch_size, block_batches,
                 hoisted=()):
        self.main = main  # CompiledPlan of (*inputs, *hoisted values) returning the stash
        self.hoisted = hoisted  # [(step, how)] run on each block's inputs before its batches
        self.stash = stash  # [(slot, category, per-batch shape, dtype)], main's outputs in order
        self.inputs = inputs  # {slot: index among the step's array inputs}
        self.sunk = sunk  # [(step, how)] run on the block in flush
        self.hosts = hosts  # the deferred host steps, in order
        self.values = values  # the plan's constants
        self.batch_size = batch_size
        self.block_batches = block_batches

    def buffers(self):
        """Empty stash arrays for one block."""
        out = []
        for _, category, shape, dtype in self.stash:
            lead = self.block_batches * (self.batch_size if category == BATCHED else 1)
            rows = shape[1:] if category == BATCHED else shape
            out.append(np.empty((lead,) + tuple(rows), dtype))
        return out

    def keep(self, buffers, k, results):
        """Stash batch ``k`` of the block (``results``: what ``main`` returned)."""
        bs = self.batch_size
        for buf, (_, category, _, _), value in zip(buffers, self.stash, results):
            if category == BATCHED:
                buf[k * bs:(k + 1) * bs] = value
            else:
                buf[k] = value

    def hoist(self, input_blocks) -> list:
        """The hoisted values over a block's rows (``input_blocks``: the inputs over them)."""
        env = {slot: input_blocks[index] for slot, index in self.inputs.items()}
        self._run(self.hoisted, env, None)
        return [env[step.outs[0]] for step, _ in self.hoisted]

    def flush(self, buffers, n_batches, input_blocks, hoisted_blocks):
        """Run the sunk operations and the deferred calls for ``n_batches`` stashed batches.

        ``input_blocks``: the step's array inputs over the block's rows;
        ``hoisted_blocks``: the hoisted values over them.
        """
        bs = self.batch_size
        rows = n_batches * bs
        env = {}
        for (slot, category, _, _), buf in zip(self.stash, buffers):
            env[slot] = buf[:rows if category == BATCHED else n_batches]
        for slot, index in self.inputs.items():
            env[slot] = input_blocks[index]
        for (step, _), value in zip(self.hoisted, hoisted_blocks):
            env[step.outs[0]] = value[:rows]
        self._run(self.sunk, env, n_batches)
        get = self._getter(env)
        for step in self.hosts:
            _call_deferred(step, get, n_batches, bs, env)

    def _getter(self, env):
        values = self.values
        return lambda s: env[s] if s in env else values[s]

    def _run(self, steps, env, n_batches):
        get = self._getter(env)
        for step, how in steps:
            args = [get(s) for s in step.ins]
            if how in _BATCH_REDUCTIONS:
                x = args[0].reshape(n_batches, -1)
                out = np.add.reduce(x, 1) if how == "sum" else np.mean(x, axis=1)
            else:
                params = step.params or {}
                if how == "reshape":
                    params = {**params, "shape": (-1,) + tuple(params["shape"][1:])}
                out = step.fn.fwd(*args, **params)[0]
                if not isinstance(out, np.ndarray):
                    out = np.asarray(out)
            env[step.outs[0]] = out


def _call_deferred(step, get, n_batches, bs, env):
    template, consts, live, _, _ = step.params
    block = step.extra[1]
    arrays = iter(get(s) for s in step.ins)
    leaves = [next(arrays) if f else c for c, f in zip(consts, live)]
    if callable(block):
        args, kwargs = unflatten(template, leaves)
        if block(n_batches, *args, **kwargs):
            return  # done (a block form may decline: then one call per batch)
    # One call per batch, with that batch's rows (or its one value).
    batched = [f and len(a) == n_batches * bs and n_batches * bs != n_batches
               for a, f in zip(leaves, live)]
    for k in range(n_batches):
        part = []
        for leaf, f, b in zip(leaves, live, batched):
            if not f:
                part.append(leaf)
            else:
                piece = leaf[k * bs:(k + 1) * bs] if b else leaf[k]
                part.append(piece if step.extra[2] else Tensor(piece))
        args, kwargs = unflatten(template, part)
        step.fn(*args, **kwargs)


def _owner(fn):
    return id(getattr(fn, "__self__", fn))


def plan_deferral(plan, batch_size, name) -> Deferred | None:
    """Split ``plan`` (pruned of its outputs) for deferral, or ``None`` when nothing can be deferred.

    Every input of ``plan`` holds one batch's rows.
    """
    if plan.meta is None:
        return None
    shapes, dtypes = plan.meta
    cats = {}
    for slot, kind in enumerate(plan.kinds):
        if kind == "const":
            cats[slot] = CONSTANT
    input_index = {}
    for index, slot in enumerate(plan.inputs):
        shape = shapes[slot]
        if shape and shape[0] == batch_size:
            cats[slot] = BATCHED
            input_index[slot] = index
    how = {}  # steps the flush could run on stacked rows: how to run them
    for step in plan.steps:
        cat = None
        if step.kind == "prim":
            cat, mode = _category(step, cats, shapes, batch_size)
            if cat is not None:
                cats[step.outs[0]] = cat
                how[id(step)] = mode
        if cat is None:
            # Any other value whose axis 0 has the batch's length can be stashed row after
            # row and sliced back per batch (but is computed in the step, not in the flush).
            for s in step.outs[:1] if step.kind == "prim" else step.outs:
                shape = shapes[s]
                if shape and shape[0] == batch_size:
                    cats[s] = BATCHED

    # Row-wise work on the inputs alone runs once per block (it needs no state of the step).
    uses: dict = {}
    for step in plan.steps:
        for s in step.ins:
            uses.setdefault(s, []).append(step)
    early = set(input_index)
    hoisted = []
    for step in plan.steps:
        if step.kind == "prim" and how.get(id(step)) in ("same", "reshape") and \
                cats.get(step.outs[0]) == BATCHED and not uses.get(step.outs[1]) and \
                all(s in early or cats.get(s) == CONSTANT for s in step.ins):
            hoisted.append(step)
            early.add(step.outs[0])
    hoisted_ids = {id(step) for step in hoisted}

    # Which host calls can wait: marked so, on batched/per-batch values, results unused, and
    # no other host call of the same object stays in the step.
    deferred = []
    for step in plan.steps:
        if step.kind == "host" and step.extra[1] and not any(uses.get(s) for s in step.outs) \
                and all(cats.get(s) in (BATCHED, PER_BATCH) for s in step.ins):
            deferred.append(step)
    owners = {_owner(step.fn) for step in deferred}
    for step in plan.steps:
        if step.kind == "host" and step not in deferred and _owner(step.fn) in owners:
            owners.discard(_owner(step.fn))
    deferred = [step for step in deferred if _owner(step.fn) in owners]
    if not deferred and not hoisted:
        return None

    # Sink what only the deferred calls (and other sunk steps) need.
    # A step whose saved values the backward pass needs stays in the step too, where it
    # computes only those (``fwd_saved``), when its primitive can.
    moved = {id(step) for step in deferred}
    shared = set()
    for step in reversed(plan.steps):
        if step.kind != "prim" or id(step) not in how or id(step) in hoisted_ids:
            continue
        out, saved = step.outs
        consumers = uses.get(out, [])
        if not consumers or any(id(c) not in moved or id(c) in shared for c in consumers):
            continue  # (something that stays in the step uses it)
        if not uses.get(saved):
            moved.add(id(step))
        elif step.fn.fwd_saved is not None:
            shared.add(id(step))
            moved.add(id(step))
    sunk = [(step, how[id(step)]) for step in plan.steps
            if step.kind == "prim" and id(step) in moved]
    made_in_flush = {step.outs[0] for step, _ in sunk} | {step.outs[0] for step in hoisted}

    # What crosses from the step into the flush: inputs (free), constants, or stashed.
    stash = []
    seen = set()
    for step in [s for s, _ in sunk] + deferred:
        for s in step.ins:
            if s in made_in_flush or s in seen or cats.get(s) == CONSTANT or s in input_index:
                continue
            seen.add(s)
            cat = cats.get(s)
            if cat not in (BATCHED, PER_BATCH) or shapes[s] is None:
                return None
            stash.append(s)
    main_steps = [step for step in plan.steps if (id(step) not in moved or id(step) in shared)
                  and id(step) not in hoisted_ids]
    main_plan = Plan(main_steps, plan.kinds, plan.values,
                     list(plan.inputs) + [step.outs[0] for step in hoisted],
                     [("slot", s) for s in stash], ("tuple", tuple(None for _ in stash)),
                     plan.problems, plan.meta)
    main = codegen.compile_plan(main_plan, name)
    if any(dtypes[s] is None for s in stash):
        return None
    stash_spec = [(s, cats[s], shapes[s], dtypes[s]) for s in stash]
    per_batch = sum(int(np.prod(shapes[s][1:] if cats[s] == BATCHED else shapes[s]))
                    * (batch_size if cats[s] == BATCHED else 1) for s in stash)
    block_batches = max(1, BLOCK_VALUES // max(1, per_batch))
    per_batch += sum(int(np.prod(shapes[step.outs[0]])) for step in hoisted)
    block_batches = max(1, BLOCK_VALUES // max(1, per_batch))
    return Deferred(main, stash_spec, input_index, sunk, deferred, plan.values, batch_size,
                    block_batches, [(step, how[id(step)]) for step in hoisted])


