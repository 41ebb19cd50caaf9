"""Data-parallel training over MPI: W1 and W3 throughput on 1 and 2 processes, and the Allreduce.

Each measurement is ``mpiexec -n P python bench_mpi.py --worker W`` in fresh processes, with
one BLAS thread per process (``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1``), so that P processes
use P cores. The workloads are ``bench_training.py``'s W1 and W3 (same data, network, optimizer
and global batch), trained without validation: the table shows training throughput (rows per
second over the epochs after the first, which traces the step), the scaling efficiency
(throughput on P processes / (P x throughput on 1)), and per step: the wall time, the time in
the gradients' Allreduce (this includes waiting for the slowest rank), a bare Allreduce of a
buffer of the gradients' size timed alone (the transfer itself), and the optimizer's update of
all the weights (every rank makes the whole update: it does not shrink with more processes).

Usage::

    python3 benchmarks/bench_mpi.py                    # W1 and W3, 1 and 2 processes
    python3 benchmarks/bench_mpi.py --quick            # fewer epochs (smoke test)
    python3 benchmarks/bench_mpi.py --processes 1 2 4 --workloads W3

Needs the ``mpi`` extra (mpi4py, and mpiexec from the mpich wheel or the system's MPI).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_SRC = os.path.join(os.path.dirname(HERE), "src")
RESULT_MARK = "BENCH_MPI_JSON "
EPOCHS = {"W1": (6, 3), "W3": (3, 2)}  # (full, --quick): the first epoch is not timed


def worker(key, epochs):
    sys.path.insert(0, HERE)
    if os.path.isdir(REPO_SRC):
        sys.path.insert(0, REPO_SRC)
    import bench_training

    import lamina

    w = bench_training.WORKLOADS[key]
    data = bench_training.load_workload(key, "lamina")
    x, y = data["x"], data["y"]
    strategy = lamina.distribute.MultiWorkerMirroredStrategy()
    comm = strategy._comm
    lamina.utils.set_random_seed(0)
    with strategy.scope():
        hidden = [lamina.layers.Dense(u, activation="relu") for u in w.sizes[1:-1]]
        head = lamina.layers.Dense(w.sizes[-1],
                                   activation="softmax" if w.output == "softmax" else None)
        model = lamina.Sequential([lamina.Input((w.sizes[0],)), *hidden, head])
        model.compile(optimizer=lamina.optimizers.Adam(learning_rate=w.lr), loss=w.loss)
    times = []

    class Clock(lamina.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()
            self.reduce = (comm.allreduce_seconds, comm.allreduce_calls)

        def on_epoch_end(self, epoch, logs=None):
            times.append((time.perf_counter() - self.start,
                          comm.allreduce_seconds - self.reduce[0],
                          comm.allreduce_calls - self.reduce[1]))

    model.fit(x, y, batch_size=w.batch, epochs=epochs, verbose=0, callbacks=[Clock()])
    timed = times[1:]  # the first epoch traces and compiles the step
    seconds = sum(t for t, _, _ in timed)
    steps = sum(c for _, _, c in timed) or len(timed) * math.ceil(len(x) / w.batch)
    reduce_s = sum(r for _, r, _ in timed)
    size = sum(v.value.size for v in model.trainable_variables)
    bare = bare_allreduce(comm, size) if comm.size > 1 else 0.0
    update = optimizer_update(model, size)
    if comm.rank == 0:
        print(RESULT_MARK + json.dumps({
            "workload": key, "processes": comm.size, "rows_per_s": len(timed) * len(x) / seconds,
            "step_s": seconds / max(steps, 1), "allreduce_s": reduce_s / max(steps, 1),
            "bare_allreduce_s": bare, "update_s": update, "gradient_bytes": size * 4,
            "steps": steps,
        }), flush=True)


def bare_allreduce(comm, size, repeats=30):
    """Seconds of one Allreduce of ``size`` float32 numbers, alone (median of ``repeats``)."""
    import statistics

    import numpy as np

    buffer = np.ones(size, np.float32)
    times = []
    for _ in range(repeats):
        comm._comm.Barrier()
        start = time.perf_counter()
        comm._comm.Allreduce(comm._MPI.IN_PLACE, buffer, op=comm._MPI.SUM)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def optimizer_update(model, size, repeats=20):
    """Seconds of one optimizer update of all the weights (every rank makes it, whole)."""
    import numpy as np

    optimizer = model.optimizer
    optimizer.__dict__.pop("_gradient_reducer", None)  # the update alone, no Allreduce
    gradient = np.full(size, 1e-6, np.float32)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        optimizer.apply_flat(gradient)
        best = min(best, time.perf_counter() - start)
    return best


def mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


def measure(key, processes, epochs):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    command = [mpiexec(), "-n", str(processes), sys.executable, os.path.abspath(__file__),
               "--worker", key, "--epochs", str(epochs)]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    for line in out.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise RuntimeError(f"{' '.join(command)} failed:\n{out.stderr[-3000:]}")


def table(results):
    lines = ["| workload | processes | rows/s | efficiency | step (ms) | Allreduce in fit (ms) "
             "| bare Allreduce (ms) | optimizer update (ms) | gradient (MB) |",
             "|---|---|---|---|---|---|---|---|---|"]
    base = {r["workload"]: r["rows_per_s"] for r in results if r["processes"] == 1}
    for r in results:
        one = base.get(r["workload"])
        eff = f"{r['rows_per_s'] / (r['processes'] * one):.0%}" if one else "-"
        lines.append(
            f"| {r['workload']} | {r['processes']} | {r['rows_per_s']:,.0f} | {eff} | "
            f"{r['step_s'] * 1e3:.2f} | {r['allreduce_s'] * 1e3:.3f} | "
            f"{r['bare_allreduce_s'] * 1e3:.3f} | {r['update_s'] * 1e3:.2f} | "
            f"{r['gradient_bytes'] / 1e6:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer epochs (a smoke test)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workloads", nargs="+", default=["W1", "W3"])
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.epochs)
    if mpiexec() is None:
        sys.exit("bench_mpi.py needs mpiexec: pip install 'lamina[mpi]' (mpi4py and mpich).")
    results = []
    for key in args.workloads:
        epochs = EPOCHS[key][1 if args.quick else 0]
        for p in args.processes:
            results.append(measure(key, p, epochs))
            print(f"{key} on {p} process(es): {results[-1]['rows_per_s']:,.0f} rows/s",
                  file=sys.stderr, flush=True)
    print(table(results))
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
