"""W5: an LSTM(64) sequence regressor trained by lamina, Keras/TF and PyTorch in one run.

Input ``(batch 64, 100 steps, 16 features)`` → ``LSTM(64)`` → ``Dense(1)``, mean squared
error, Adam 1e-3. The data are synthetic sequences (a noisy sum of sines whose next value is
the target), the same arrays for every framework. Per framework: the time of one training step
(median over the steps after the first epoch, i.e. after tracing or warm-up), the whole fit,
peak memory (RSS) and the final loss. lamina runs the whole sequence on its fused recurrent
primitive: the input projection of all 100 steps as one matrix product, the recurrence a loop
over preallocated buffers, backpropagation through time the same loop reversed.

Usage::

    python3 benchmarks/bench_rnn.py --python keras=/opt/keras-ref/bin/python \\
        --python torch=/opt/keras-ref/bin/python
    python3 benchmarks/bench_rnn.py --frameworks lamina --rounds 1 --samples 256 --epochs 2
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_training as bt  # noqa: E402  (the process plumbing is shared)

FRAMEWORKS = ("lamina", "keras", "torch")
BATCH, STEPS, FEATURES, UNITS, LR = 64, 100, 16, 64, 1e-3
MARK = "RNN_JSON "


def sequences(n, seed=0):
    """``n`` sequences ``(n, 100, 16)`` of noisy sines and the value that follows each."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(STEPS + 1, dtype="float32")
    freq = rng.uniform(0.02, 0.2, (n, 1, FEATURES)).astype("float32")
    phase = rng.uniform(0, 6.3, (n, 1, FEATURES)).astype("float32")
    waves = np.sin(freq * t[None, :, None] + phase)
    waves += 0.05 * rng.standard_normal(waves.shape).astype("float32")
    return waves[:, :STEPS].astype("float32"), waves[:, STEPS, :1].sum(-1, keepdims=True)


def keras_style(keras, x, y, epochs):
    layers = keras.layers
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), layers.LSTM(UNITS),
                              layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(LR), loss="mse")
    history, fit_s, times = bt.timed_fit(keras, model, x, y, BATCH, epochs)
    steps = -(-len(x) // BATCH)
    return {"fit_s": fit_s, "step_s": statistics.median(times[steps:] or times),
            "loss": float(history.history["loss"][-1])}


def worker(framework, threads, samples, epochs):
    x, y = sequences(samples)
    if framework in ("lamina", "keras"):
        return keras_style(bt.keras_like(framework), x, y, epochs)
    return worker_torch(x, y, threads, epochs)


def worker_torch(x_np, y_np, threads, epochs):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    nn = torch.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(FEATURES, UNITS, batch_first=True)
            self.out = nn.Linear(UNITS, 1)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.out(h[-1])

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=1e-7)
    loss_fn = nn.MSELoss()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    n = len(x)
    gen = torch.Generator().manual_seed(0)
    times, loss = [], None
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for lo in range(0, n, BATCH):
            t = time.perf_counter()
            idx = order[lo:lo + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t)
    fit_s = time.perf_counter() - start
    steps = -(-n // BATCH)
    return {"fit_s": fit_s, "step_s": statistics.median(times[steps:] or times),
            "loss": float(loss)}


def worker_main(args):
    try:
        result = worker(args.worker, args.threads, args.samples, args.epochs)
        result.update(ok=True, peak_mb=bt.peak_rss_mb())
    except Exception as e:  # reported in the table
        import traceback

        traceback.print_exc()
        result = {"ok": False, "error": f"{type(e).__name__}: {e}".splitlines()[0][:200]}
    print(MARK + json.dumps(result), flush=True)
    return 0


def measure(framework, python, args, repo_src):
    cmd = [python, os.path.abspath(__file__), "--worker", framework, "--threads",
           str(args.threads), "--samples", str(args.samples), "--epochs", str(args.epochs)]
    return bt.run_marked_worker(cmd, framework, args.threads, repo_src, args.timeout, MARK)


def _median(runs, key):
    values = [r[key] for r in runs if r.get("ok") and key in r]
    return (statistics.median(values), min(values), max(values)) if values else None


def table(results, frameworks, epochs):
    lines = [f"| framework | train step, ms | vs lamina | fit ({epochs} epochs), s | "
             "peak RSS, MB | final loss |", "|---|---:|---:|---:|---:|---:|"]
    ref = _median(results.get("lamina", []), "step_s")
    for fw in frameworks:
        runs = results.get(fw, [])
        step = _median(runs, "step_s")
        if step is None:
            error = runs[0].get("error", "?") if runs else "not run"
            lines.append(f"| {bt.LABELS[fw]} | failed: {error} | | | | |")
            continue
        ratio = "—" if fw == "lamina" or ref is None else f"{step[0] / ref[0]:.2f}×"
        fit, peak, loss = _median(runs, "fit_s"), _median(runs, "peak_mb"), _median(runs, "loss")
        lines.append(
            f"| {bt.LABELS[fw]} | {1e3 * step[0]:.1f} ({1e3 * step[1]:.1f}–{1e3 * step[2]:.1f}) | "
            f"{ratio} | {fit[0]:.2f} | {peak[0]:.0f} | {loss[0]:.4f} |")
    return lines


def orchestrate(args):
    usable, results, seconds = bt.step_rounds(
        FRAMEWORKS, args.frameworks, args.python, args.threads, args.rounds,
        lambda fw, python, repo_src: measure(fw, python, args, repo_src))
    out = [f"## W5: LSTM({UNITS}), batch {BATCH} × {STEPS} steps × {FEATURES} features, Adam "
           f"{LR:g}, {args.epochs} epochs of {args.samples} sequences", "",
           f"- Machine: {bt.machine_line()}",
           f"- {args.rounds} round(s), each framework in a fresh process per round, median "
           f"(min–max); threads {args.threads}; {seconds:.0f} s in all", ""]
    out += table(results, usable, args.epochs)
    bt.emit("\n".join(out), args.out)


def main(argv=None):
    p = bt.workload_parser(__doc__, FRAMEWORKS)
    p.add_argument("--samples", type=int, default=1024)
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(args)
    orchestrate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
