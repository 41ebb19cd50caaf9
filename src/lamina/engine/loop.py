"""Running a compiled step over the batches of an epoch with as little Python as possible.

``fit`` hands the engine the epoch's arrays when no callback reads single
batches. Each batch is a slice of every array; the batch size (and so the
signature) changes at most once, at the last batch, so the compiled plan is
looked up once per size, and each batch costs the slices and one call of
the generated code.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor, raw_value
from lamina.engine.trace import flatten, unflatten

__all__ = ["run_batches"]


def run_batches(function, args, batch_size, rows, should_stop=None, observe=None) -> int:
    leaves, template = flatten(args)
    is_array = [isinstance(leaf, (np.ndarray, Tensor)) for leaf in leaves]
    leaves = [raw_value(leaf) if isinstance(leaf, Tensor) else leaf for leaf in leaves]
    positions = [i for i, a in enumerate(is_array) if a]
    wants, notify = observe if observe is not None else (None, None)
    plans: dict = {}  # rows in the batch -> compiled plan (or None: not compiled yet)
    done = 0
    for lo in range(0, rows, batch_size):
        hi = min(lo + batch_size, rows)
        n = hi - lo
        sliced = [leaf[lo:hi] if a else leaf for leaf, a in zip(leaves, is_array)]
        run = plans.get(n)
        if run is None:
            call_args = unflatten(template, sliced)
            key = function.signature(call_args)[0]
            compiled = function._effects_for(key)
            if compiled is None:
                function(*call_args)  # traced (or eager): this batch runs now
            else:
                run = plans[n] = compiled.run
                run(*[sliced[i] for i in positions])
        else:
            run(*[sliced[i] for i in positions])
        done += 1
        if wants is not None and wants(done - 1):
            notify(done - 1)
        if should_stop is not None and should_stop():
            break
    return done
