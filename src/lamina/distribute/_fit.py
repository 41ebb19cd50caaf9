"""What ``fit`` does differently on several replicas: the hook the trainer calls.

``fit_hook(model)`` gives a ``FitSync`` for a model compiled in a
``MultiWorkerMirroredStrategy`` scope (else ``None``), and ``fit`` calls it at
five points: ``verbose`` (rank 0 alone prints), ``prepare`` (each rank's part
of the data, the gradient Allreduce, rank 0's file-writing callbacks),
``begin`` (rank 0's weights, optimizer state and resumed epoch to all ranks),
``end_epoch`` (the metrics summed, moving statistics averaged) and ``end``;
``evaluate``'s loop calls ``sum_metrics`` during ``fit`` (the validation rows
are split over the ranks as well).

The gradients are averaged inside the optimizer's update (one call of
``reduce_gradients`` per step on the flat gradient buffer the engine fills),
so a traced step stays one plan and custom ``train_step``s that call
``optimizer.apply`` are averaged too.

How a global batch of ``m`` rows is split: rank ``r`` of ``N`` takes the rows
``[r*q + min(r, m%N), ...)``, ``q = m // N`` of them plus one for the first
``m % N`` ranks; its gradient counts with weight ``rows / m``. A last batch
with fewer rows than replicas is left out (with a warning), so that every
rank runs the same number of steps.
"""

from __future__ import annotations

import warnings

import numpy as np

from lamina import random as _random
from lamina.distribute.strategy import MultiWorkerMirroredStrategy

__all__ = ["FitSync", "fit_hook", "split"]

# Callbacks that write files or print progress: rank 0 alone runs them.
_CHIEF_ONLY = ("ModelCheckpoint", "CSVLogger", "BackupAndRestore", "ProgbarLogger",
               "TensorBoard")


def fit_hook(model):
    """The ``FitSync`` of a model compiled in a ``MultiWorkerMirroredStrategy`` scope, or None."""
    strategy = model.__dict__.get("_distribute_strategy")
    if not isinstance(strategy, MultiWorkerMirroredStrategy):
        return None
    return FitSync(strategy._comm, model)


def split(rows: int, size: int, rank: int) -> tuple:
    """``(start, count)`` of rank ``rank``'s part of a batch of ``rows`` rows over ``size`` ranks."""
    q, extra = divmod(int(rows), size)
    return rank * q + min(rank, extra), q + (1 if rank < extra else 0)


class FitSync:
    """One ``fit`` call's collectives (see the module docstring)."""

    def __init__(self, comm, model):
        self.comm = comm
        self.model = model
        self._weights: list = []  # each step's weight of this rank's gradient, this epoch
        self._step = 0

    # -- before training ------------------------------------------------------------------
    def verbose(self, verbose):
        return verbose if self.comm.rank == 0 else 0

    def prepare(self, train, validation, callbacks):
        """``(train, validation, callbacks)`` for this rank: its part of the data, its callbacks."""
        comm = self.comm
        if _is_array_data(train):
            self._shard(train)
        if comm.size > 1:
            if _is_array_data(validation) and validation.steps * validation.batch_size >= \
                    validation.n:  # (all of it: each rank evaluates its part of the rows)
                start, count = split(validation.n, comm.size, comm.rank)
                rows = np.arange(start, start + count)
                validation.x, validation.y, validation.sample_weight = (
                    _take(validation.x, rows), _take(validation.y, rows),
                    _take(validation.sample_weight, rows))
                validation.n = count
                validation.steps = -(-count // validation.batch_size)
            self.model.__dict__["_distribute_sync"] = self
            self.model.optimizer._gradient_reducer = self.reduce_gradients
            synchronized = [layer.name for layer in _layers(self.model)
                            if getattr(layer, "synchronized", False)]
            if synchronized and comm.rank == 0:
                warnings.warn(
                    f"BatchNormalization layers {synchronized} have synchronized=True, which "
                    "lamina.distribute does not implement: each replica normalizes with its own "
                    "batch statistics (synchronized=False), and the moving statistics are "
                    "averaged over the replicas after every epoch.", stacklevel=4)
            if comm.rank != 0 and isinstance(callbacks, (list, tuple)):
                callbacks = [c for c in callbacks if not _chief_only(c)]
        return train, validation, callbacks

    def begin(self, model):
        """Rank 0's weights, optimizer state and starting epoch, on every rank."""
        comm = self.comm
        comm.in_training = comm.size > 1
        if comm.size == 1:
            return
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        _broadcast_values(comm, list(model.weights) + list(optimizer.variables))
        epoch = np.array([getattr(model, "_initial_epoch", None) or 0], np.int64)
        comm.broadcast(epoch)
        model._initial_epoch = int(epoch[0]) or None

    # -- during training ------------------------------------------------------------------
    def reduce_gradients(self, flat: np.ndarray) -> None:
        """Average one step's flat gradient over the ranks, in place (one Allreduce)."""
        k = self._step
        self._step = k + 1
        weight = self._weights[k] if k < len(self._weights) else 1.0 / self.comm.size
        flat *= flat.dtype.type(weight)
        self.comm.allreduce_sum(flat)

    def sum_metrics(self, model):
        """Sum the metrics' state over the ranks (validation: each rank saw its part)."""
        self.end_epoch(model, average=False)

    def end_epoch(self, model, average=True):
        """Sum the metrics' state over the ranks; average the float non-trainable weights."""
        if self.comm.size == 1:
            return
        summed = _unique(v for m in model.metrics for v in m.variables)
        averaged = [v for v in _unique(model.non_trainable_weights) if average and
                    v.value.dtype.kind == "f" and all(v is not s for s in summed)]
        every = summed + averaged
        if not every:
            return
        buffer = np.concatenate([np.asarray(v.value, np.float64).ravel() for v in every])
        self.comm.allreduce_sum(buffer, timed=False)
        offset = 0
        for i, v in enumerate(every):
            part = buffer[offset:offset + v.value.size].reshape(v.value.shape)
            offset += v.value.size
            if i >= len(summed):
                part = part / self.comm.size
            np.copyto(v.value, part, casting="unsafe")

    def end(self):
        self.comm.in_training = False
        self.model.__dict__.pop("_distribute_sync", None)
        self._weights, self._step = [], 0

    # -- the data ---------------------------------------------------------------------------
    def _shard(self, data):
        """Make ``data`` (an ``ArrayData``) yield this rank's part of every global batch."""
        size, rank = self.comm.size, self.comm.rank
        n, batch = data.n, data.batch_size
        if batch < size:
            raise ValueError(
                f"fit(batch_size={batch}) is smaller than the number of replicas ({size}): each "
                f"replica needs at least one row of every batch. Use batch_size >= {size} (the "
                "global batch, split over the replicas).")
        steps = data.steps
        sizes = [batch] * steps
        if steps and steps * batch > n:
            sizes[-1] = n - (steps - 1) * batch
        if sizes and sizes[-1] < size:
            warnings.warn(
                f"The last batch of each epoch has {sizes[-1]} rows, fewer than the {size} "
                "replicas, and is left out of training. Choose a batch_size for which the last "
                "batch has at least one row per replica to use every row.", stacklevel=4)
            sizes.pop()
        parts = [split(m, size, rank) for m in sizes]
        local = np.concatenate([i * batch + start + np.arange(count)
                                for i, (start, count) in enumerate(parts)] or [np.zeros(0, int)])
        weights = [count / m for m, (_, count) in zip(sizes, parts)]
        shuffle = data.shuffle
        comm = self.comm

        def epoch_order():
            if shuffle and n > 1:
                order = np.ascontiguousarray(_random.global_generator().permutation(n), np.int64)
                comm.broadcast(order)  # rank 0's order on every rank
                return order
            return None

        def epoch_arrays(order=False, x=True):
            perm = epoch_order() if order is False else order
            rows = local if perm is None else np.asarray(perm)[local]
            self._weights, self._step = weights, 0
            return (_take(data.x, rows) if x else None, _take(data.y, rows),
                    _take(data.sample_weight, rows))

        data.epoch_order = epoch_order
        data.epoch_arrays = epoch_arrays
        data.batch_size = parts[0][1] if parts else 1
        data.steps = len(sizes)
        data.n = len(local)


def _layers(model):
    stack, seen = [model], set()
    while stack:
        layer = stack.pop()
        if id(layer) not in seen:
            seen.add(id(layer))
            yield layer
            stack.extend(getattr(layer, "_layers", ()))


def _is_array_data(data) -> bool:
    return all(hasattr(data, a) for a in ("x", "y", "sample_weight", "batch_size", "n",
                                          "steps", "epoch_arrays", "shuffle"))


def _take(a, rows):
    if a is None:
        return None
    if isinstance(a, dict):
        return {k: _take(v, rows) for k, v in a.items()}
    if isinstance(a, (list, tuple)):
        return type(a)(_take(v, rows) for v in a)
    if isinstance(a, np.ndarray):
        return np.take(a, rows, axis=0)
    return a[rows]


def _chief_only(callback) -> bool:
    return any(c.__name__ in _CHIEF_ONLY and c.__module__.startswith("lamina.callbacks")
               for c in type(callback).__mro__)


def _unique(variables) -> list:
    out, seen = [], set()
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _broadcast_values(comm, variables):
    """Rank 0's values of ``variables`` on every rank: one broadcast of their bytes."""
    arrays = [np.ascontiguousarray(v.value) for v in variables]
    if not arrays:
        return
    buffer = np.concatenate([a.reshape(-1).view(np.uint8) for a in arrays])
    comm.broadcast(buffer)
    offset = 0
    for v, a in zip(variables, arrays):
        part = buffer[offset:offset + a.nbytes].view(a.dtype).reshape(a.shape)
        offset += a.nbytes
        np.copyto(v.value, part)
