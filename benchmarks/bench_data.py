"""Streaming through a tf.data-style pipeline: lamina.data.Dataset beside tf.data.

The pipeline, the same in both (each framework's own functions for the maps)::

    Dataset.range(ROWS).map(make_row)          # a streamed source: (64 float32, int64 label)
        .shuffle(10_000, seed=0)               # a buffer of 10,000 rows
        .map(scale)                            # (x - 0.5) * 2
        .batch(256)
        .prefetch(AUTOTUNE)

Nothing is held in memory but the buffers, so the peak memory should stay far below the
size of the data (ROWS x 264 bytes: 264 MB for a million rows). Each framework runs in its own
process; the table gives rows per second over one full pass, the resident memory before the
pass (after imports and building the pipeline), the peak during it (``ru_maxrss``) and their
difference. TensorFlow runs with the interpreter given by ``--tf-python`` when it can import
TensorFlow there, and is skipped otherwise.

Usage::

    python3 benchmarks/bench_data.py --tf-python /opt/keras-ref/bin/python
    python3 benchmarks/bench_data.py --rows 100000          # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
MARK = "DATA_JSON "
FEATURES, BUFFER, BATCH = 64, 10_000, 256


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def lamina_pipeline(rows):
    import numpy as np

    from lamina.data import AUTOTUNE, Dataset

    offsets = np.arange(FEATURES, dtype=np.float32) * 1e-3

    def make_row(i):
        return np.float32((i % 1000) * 1e-3) + offsets, i % 10

    def scale(x, y):
        return (x - 0.5) * 2.0, y

    return (Dataset.range(rows).map(make_row).shuffle(BUFFER, seed=0).map(scale)
            .batch(BATCH).prefetch(AUTOTUNE)), lambda ds: ds


def tf_pipeline(rows):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    import tensorflow as tf

    offsets = tf.range(FEATURES, dtype=tf.float32) * 1e-3

    def make_row(i):
        return tf.cast(i % 1000, tf.float32) * 1e-3 + offsets, i % 10

    def scale(x, y):
        return (x - 0.5) * 2.0, y

    ds = (tf.data.Dataset.range(rows).map(make_row).shuffle(BUFFER, seed=0).map(scale)
          .batch(BATCH).prefetch(tf.data.AUTOTUNE))
    return ds, lambda d: d.as_numpy_iterator()


def worker(framework, rows):
    start = time.perf_counter()
    ds, iterate = (lamina_pipeline if framework == "lamina" else tf_pipeline)(rows)
    setup_s = time.perf_counter() - start
    before = _rss_mb()
    count, checksum = 0, 0.0
    start = time.perf_counter()
    for x, y in iterate(ds):
        count += len(y)
        checksum += float(x[0, 0])
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(MARK + json.dumps({"framework": framework, "rows": count, "seconds": seconds,
                             "rows_per_s": count / seconds, "rss_before_mb": before,
                             "peak_rss_mb": peak, "setup_s": setup_s}), flush=True)


def run(framework, python, rows, timeout):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [python, os.path.abspath(__file__), "--worker", framework, "--rows", str(rows)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"framework": framework, "error": f"timed out after {timeout} s"}
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
    return {"framework": framework, "error": tail}


def can_import(python, module) -> bool:
    try:
        return subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                              timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tf-python", default=None,
                        help="the Python interpreter that has TensorFlow (default: skip TF)")
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--worker", choices=("lamina", "tf"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.rows)
        return 0
    results = [run("lamina", sys.executable, args.rows, args.timeout)]
    if args.tf_python and can_import(args.tf_python, "tensorflow"):
        results.append(run("tf", args.tf_python, args.rows, args.timeout))
    else:
        results.append({"framework": "tf", "error": "skipped (no --tf-python with TensorFlow)"})
    data_mb = args.rows * (FEATURES * 4 + 8) / 1e6
    print(f"range({args.rows:,}).map(make_row).shuffle({BUFFER:,}).map(scale)."
          f"batch({BATCH}).prefetch(AUTOTUNE); the rows total {data_mb:,.0f} MB\n")
    print("| framework | rows/s | pass (s) | RSS before (MB) | peak RSS (MB) | peak - before (MB) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        name = "lamina" if r["framework"] == "lamina" else "tf.data (TensorFlow)"
        if "error" in r:
            print(f"| {name} | {r['error']} | | | | |")
            continue
        print(f"| {name} | {r['rows_per_s']:,.0f} | {r['seconds']:.2f} | "
              f"{r['rss_before_mb']:.0f} | {r['peak_rss_mb']:.0f} | "
              f"{r['peak_rss_mb'] - r['rss_before_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
