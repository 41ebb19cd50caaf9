"""Running a compiled step over the batches of an epoch with as little Python as possible.

``fit`` hands the engine the epoch's arrays when no callback reads single
batches. Each batch is a slice of every array; the batch size (and so the
signature) changes at most once, at the last batch, so the compiled plan is
looked up once per size, and each batch costs the slices and one call of
the generated code. When the step's bookkeeping can wait (``defer.py``), the
batches of the usual size stash what it needs, and it is done once per block
of batches, before anything else could look at it: a batch of another size,
a progress bar's redraw, or the end of the loop.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor, raw_value
from lamina.engine.trace import flatten, unflatten

__all__ = ["run_batches"]


class _Block:
    """The batches of the usual size whose deferred bookkeeping is still to be done."""

    def __init__(self, deferred, arrays, rows):
        self.deferred = deferred
        self.buffers = deferred.buffers()
        self.arrays = arrays  # the step's array inputs over the epoch
        self.rows = rows  # the epoch's rows
        self.start = 0  # the block's first row
        self.count = 0  # batches stashed
        self.hoisted = []  # the hoisted values over the block's rows

    def run(self, first, end, done, should_stop, wants, notify):
        """Run the full batches from row ``lo`` to ``end``; returns ``(lo, done, stopped)``."""
        d = self.deferred
        bs, block_batches, run = d.batch_size, d.block_batches, d.main.run
        arrays, hoisting = self.arrays, bool(d.hoisted)
        stash = [(buf, cat == "batched") for buf, (_, cat, _, _) in zip(self.buffers, d.stash)]
        for lo in range(first, end, bs):
            hi = lo + bs
            k = self.count
            if k == 0:
                self.start = lo
                if hoisting:
                    rows = slice(lo, min(lo + block_batches * bs, self.rows))
                    self.hoisted = d.hoist([a[rows] for a in arrays])
            inputs = [a[lo:hi] for a in arrays]
            if hoisting:
                k0 = k * bs
                inputs += [h[k0:k0 + bs] for h in self.hoisted]
            results = run(*inputs)
            for (buf, batched), value in zip(stash, results):
                if batched:
                    buf[k * bs:(k + 1) * bs] = value
                else:
                    buf[k] = value
            self.count = k + 1
            if k + 1 == block_batches:
                self.flush()
            done += 1
            if wants is not None and wants(done - 1):
                self.flush()
                notify(done - 1)
            if should_stop is not None and should_stop():
                return hi, done, True
        return end, done, False

    def flush(self):
        if not self.count:
            return
        n, self.count = self.count, 0
        rows = slice(self.start, self.start + n * self.deferred.batch_size)
        self.deferred.flush(self.buffers, n, [a[rows] for a in self.arrays], self.hoisted)


def run_batches(function, args, batch_size, rows, should_stop=None, observe=None) -> int:
    leaves, template = flatten(args)
    is_array = [isinstance(leaf, (np.ndarray, Tensor)) for leaf in leaves]
    leaves = [raw_value(leaf) if isinstance(leaf, Tensor) else leaf for leaf in leaves]
    positions = [i for i, a in enumerate(is_array) if a]
    arrays = [leaves[i] for i in positions]
    wants, notify = observe if observe is not None else (None, None)
    plans: dict = {}  # rows in the batch -> (compiled plan or None, block or None)
    block = None
    done = 0
    lo = 0
    try:
        while lo < rows:
            hi = min(lo + batch_size, rows)
            n = hi - lo
            known = plans.get(n)
            sliced = None
            if known is None:
                sliced = [leaf[lo:hi] if a else leaf for leaf, a in zip(leaves, is_array)]
                call_args = unflatten(template, sliced)
                key = function.signature(call_args)[0]
                deferred = function._deferred_for(key, n) if n == batch_size else None
                if deferred is not None:
                    block = _Block(deferred, arrays, rows)
                    known = plans[n] = (None, block)
                else:
                    compiled = function._effects_for(key)
                    if compiled is not None:
                        known = plans[n] = (compiled.run, None)
                if known is None:
                    if block is not None:
                        block.flush()
                    function(*call_args)  # traced (or eager): this batch runs now
            if known is not None:
                run, keep = known
                if keep is not None:  # the full batches up to the last one, in one go
                    end = rows - (rows - lo) % batch_size
                    lo, done, stopped = keep.run(lo, end, done, should_stop, wants, notify)
                    if stopped:
                        break
                    continue
                if block is not None:
                    block.flush()  # in order: the pending batches' bookkeeping first
                run(*[a[lo:hi] for a in arrays])
            done += 1
            lo = hi
            if wants is not None and wants(done - 1):
                if block is not None:
                    block.flush()
                notify(done - 1)
            if should_stop is not None and should_stop():
                break
    finally:
        if block is not None:
            block.flush()
    return done
