"""Distribution strategies: ``with strategy.scope():`` builds and compiles a model for them.

``MultiWorkerMirroredStrategy`` is data-parallel training over MPI: one
replica per process (``mpiexec -n 4 python train.py``), each holding the whole
model; ``fit`` gives each one a slice of every global batch and averages
their gradients with one Allreduce per step (see ``_fit.py``). Started alone
it is one replica and changes nothing. ``MirroredStrategy`` and
``OneDeviceStrategy`` (the devices of one machine) are one replica in lamina:
it runs on the CPU of its process.
"""

from __future__ import annotations

import contextlib

import numpy as np

from lamina.distribute import _comm

__all__ = ["MirroredStrategy", "MultiWorkerMirroredStrategy", "OneDeviceStrategy", "Strategy",
           "get_strategy", "has_strategy"]

_STACK: list = []  # the strategies whose scope is open, innermost last


class Strategy:
    """A way to run training on one or more replicas; the default runs one."""

    _comm = _comm.LocalComm()

    @property
    def num_replicas_in_sync(self) -> int:
        """How many replicas train together (the number of processes)."""
        return self._comm.size

    @contextlib.contextmanager
    def scope(self):
        """Models built and compiled in this block train with this strategy.

        Example:
            >>> import lamina
            >>> strategy = lamina.distribute.MultiWorkerMirroredStrategy()
            >>> with strategy.scope():
            ...     model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
            ...     model.compile(optimizer="sgd", loss="mse")
            >>> strategy.num_replicas_in_sync  # started as one process
            1
        """
        _STACK.append(self)
        try:
            yield self
        finally:
            _STACK.remove(self)

    @property
    def extended(self):
        return self

    @property
    def cluster_resolver(self):
        """``task_id`` (this process's rank) and ``task_type`` (``"worker"``), as in TensorFlow."""
        return _Resolver(self._comm.rank)

    def reduce(self, reduce_op, value, axis=None):
        """``value`` summed (``"SUM"``) or averaged (``"MEAN"``) over the replicas.

        ``axis`` also reduces that axis of each replica's value first.
        """
        op = str(getattr(reduce_op, "name", reduce_op)).upper()
        if op not in ("SUM", "MEAN"):
            raise ValueError(f"reduce_op must be 'SUM' or 'MEAN'. Got {reduce_op!r} instead.")
        array = np.asarray(getattr(value, "value", value), dtype=np.float64)
        count = 1 if axis is None else array.shape[axis]
        if axis is not None:
            array = array.sum(axis=axis)
        buffer = np.append(np.ravel(array), float(count))
        self._comm.allreduce_sum(buffer, timed=False)
        total = buffer[:-1].reshape(np.shape(array))
        return total / buffer[-1] if op == "MEAN" else total

    def run(self, fn, args=(), kwargs=None):
        """Call ``fn(*args, **kwargs)`` on this process's replica."""
        return fn(*args, **(kwargs or {}))

    def __repr__(self):
        return f"<{type(self).__name__} num_replicas_in_sync={self.num_replicas_in_sync}>"


class MultiWorkerMirroredStrategy(Strategy):
    """Data-parallel training over MPI: one replica per process, as TensorFlow's strategy.

    Launch the script with ``mpiexec -n N python train.py`` (or Open MPI's
    ``mpirun``, or Slurm's ``srun``); install the ``mpi`` extra (mpi4py and
    the mpich wheel, which provides ``mpiexec``). Build and compile the model
    in ``strategy.scope()``; then ``fit``:

    - copies rank 0's weights (and optimizer state) to every rank first;
    - gives each rank its part of every global ``batch_size`` batch, in one
      shuffled order shared by all ranks;
    - averages the ranks' gradients with one Allreduce of the flat gradient
      buffer per step, each weighted by its share of the batch, so the update
      is the one a single process would make on the whole batch;
    - splits the validation rows over the ranks too;
    - sums the metrics' state over the ranks at the end of each epoch, so the
      History is a single process's; BatchNormalization uses each replica's
      own batch statistics (as Keras), and its moving statistics are averaged
      over the replicas at the end of each epoch;
    - runs the file-writing callbacks (``ModelCheckpoint``, ``CSVLogger``,
      ``BackupAndRestore``) and the progress bar on rank 0 alone.

    A rank that raises, or exits during ``fit``, stops all of them; so does a
    collective that waits more than ``timeout_seconds`` (default 600, or
    ``LAMINA_DISTRIBUTE_TIMEOUT``).

    Args:
        communication_options: accepted for TensorFlow compatibility; its
            ``timeout_seconds`` is used.
        cluster_resolver: accepted for TensorFlow compatibility (MPI's launcher
            says who is who).
        timeout_seconds: the longest wait in one collective before the run is
            stopped.
    """

    def __init__(self, communication_options=None, cluster_resolver=None, timeout_seconds=None):
        if timeout_seconds is None and communication_options is not None:
            timeout_seconds = getattr(communication_options, "timeout_seconds", None)
        self._comm = _comm.world(timeout_seconds)


class MirroredStrategy(Strategy):
    """The devices of one machine: in lamina one replica (the process's CPU)."""

    def __init__(self, devices=None, cross_device_ops=None):
        self._comm = _comm.LocalComm()


class OneDeviceStrategy(Strategy):
    """One device: one replica."""

    def __init__(self, device=None):
        self._comm = _comm.LocalComm()


class _Resolver:
    def __init__(self, rank):
        self.task_id = rank
        self.task_type = "worker"


_DEFAULT = Strategy()


def get_strategy() -> Strategy:
    """The strategy whose ``scope()`` is open, else the default one (one replica)."""
    return _STACK[-1] if _STACK else _DEFAULT


def has_strategy() -> bool:
    """Whether a strategy's ``scope()`` is open."""
    return bool(_STACK)
