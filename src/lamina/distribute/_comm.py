"""The processes of a run and the collectives between them: MPI through mpi4py, or one process.

``world()`` finds out how the script was started. Under ``mpiexec``/``srun``
(the launcher's variables say how many processes there are) it imports
mpi4py and returns an ``MPIComm``; started alone it returns a ``LocalComm``
(one replica, collectives that do nothing) without importing MPI at all.

A run on several processes must never hang when one of them fails. Three
guards see to it: an uncaught exception in any rank aborts all of them
(``sys.excepthook``), a rank that leaves while training is under way aborts
them (``atexit``), and a watchdog thread aborts the run when one collective
waits longer than ``timeout_seconds`` (a rank that died without the
launcher noticing, or ranks that disagree on the number of steps).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time

import numpy as np

__all__ = ["LocalComm", "MPIComm", "launched_size", "world"]

# Launchers' variables that give the number of processes: MPICH/Intel MPI (hydra),
# Open MPI, MVAPICH, and Slurm's srun.
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE",
                   "SLURM_STEP_NUM_TASKS")

_WORLD = None


def launched_size(environ=None) -> int:
    """The number of processes the launcher started (1 when started alone)."""
    environ = os.environ if environ is None else environ
    for name in _SIZE_VARIABLES:
        value = environ.get(name)
        if value and value.strip().isdigit() and int(value) > 1:
            return int(value)
    return 1


def world(timeout_seconds=None):
    """The communicator of every process of this run (made once per process)."""
    global _WORLD
    if _WORLD is None:
        size = launched_size()
        if size <= 1:
            _WORLD = LocalComm()
        else:
            try:
                from mpi4py import MPI
            except ImportError:
                raise ImportError(
                    f"This script was started as one of {size} processes (by mpiexec, mpirun "
                    "or srun), and lamina.distribute needs mpi4py to make them work together. "
                    "Install the 'mpi' extra: pip install 'lamina[mpi]' (mpi4py and mpich)."
                ) from None
            _WORLD = MPIComm(MPI)
    if timeout_seconds is not None:
        _WORLD.timeout_seconds = float(timeout_seconds)
    return _WORLD


class LocalComm:
    """One process: a single replica; every collective leaves its buffer as it is."""

    rank = 0
    size = 1
    timeout_seconds = None
    allreduce_seconds = 0.0
    allreduce_calls = 0
    in_training = False

    def allreduce_sum(self, buffer: np.ndarray, timed: bool = True) -> None:
        """Sum ``buffer`` over the processes, in place (``timed``: counted in ``allreduce_*``)."""

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        """Overwrite ``buffer`` with rank ``root``'s, in place."""

    def abort(self, message: str, code: int = 1) -> None:
        print(message, file=sys.stderr, flush=True)
        os._exit(code)


class MPIComm:
    """``MPI.COMM_WORLD`` with the guards that keep a failing run from hanging."""

    def __init__(self, MPI):
        self._MPI = MPI
        self._comm = MPI.COMM_WORLD
        self.rank = self._comm.Get_rank()
        self.size = self._comm.Get_size()
        self.timeout_seconds = float(os.environ.get("LAMINA_DISTRIBUTE_TIMEOUT", 600))
        self.allreduce_seconds = 0.0  # time spent in the gradients' Allreduce (benchmarks)
        self.allreduce_calls = 0
        self.in_training = False
        self._entered = None  # when the collective under way began (None: none)
        self._what = ""
        self._install_guards()

    # -- collectives ------------------------------------------------------------------------
    def allreduce_sum(self, buffer: np.ndarray, timed: bool = True) -> None:
        t0 = time.perf_counter()
        self._entered, self._what = t0, "Allreduce"
        self._comm.Allreduce(self._MPI.IN_PLACE, buffer, op=self._MPI.SUM)
        self._entered = None
        if timed:
            self.allreduce_seconds += time.perf_counter() - t0
            self.allreduce_calls += 1

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        self._entered, self._what = time.perf_counter(), "Bcast"
        self._comm.Bcast(buffer, root=root)
        self._entered = None

    def abort(self, message: str, code: int = 1) -> None:
        print(message, file=sys.stderr, flush=True)
        time.sleep(0.3)  # (time for the launcher to pass the message on before it kills all)
        self._comm.Abort(code)

    # -- guards -----------------------------------------------------------------------------
    def _install_guards(self):
        previous = sys.excepthook

        def excepthook(kind, value, tb):
            previous(kind, value, tb)
            self.in_training = False
            self.abort(f"lamina.distribute: rank {self.rank} of {self.size} raised "
                       f"{kind.__name__}: {value}. Stopping all {self.size} processes.")

        sys.excepthook = excepthook

        def leaving():
            if self.in_training:
                self.abort(f"lamina.distribute: rank {self.rank} of {self.size} exited during "
                           "fit(). Stopping all processes.")

        atexit.register(leaving)  # (runs before mpi4py's own MPI_Finalize at exit)
        threading.Thread(target=self._watch, name="lamina-distribute-watchdog",
                         daemon=True).start()

    def _watch(self):
        while True:
            time.sleep(min(1.0, max(0.05, (self.timeout_seconds or 1.0) / 10)))
            entered = self._entered
            if entered is not None and self.timeout_seconds and \
                    time.perf_counter() - entered > self.timeout_seconds:
                self.abort(
                    f"lamina.distribute: rank {self.rank} of {self.size} waited more than "
                    f"{self.timeout_seconds:g} s in {self._what}: another process died or runs "
                    "a different number of steps. Stopping all processes (set the limit with "
                    "MultiWorkerMirroredStrategy(timeout_seconds=...) or "
                    "LAMINA_DISTRIBUTE_TIMEOUT).")
