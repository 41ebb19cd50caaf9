"""W6: a Transformer encoder block trained by lamina, Keras/TF and PyTorch in one run.

The block: 64 steps of width 64 → MultiHeadAttention(4 heads, key_dim 16) with a residual
and LayerNormalization → a feed-forward Dense(128, relu) → Dense(64) with a residual and
LayerNormalization → GlobalAveragePooling1D → Dense(10, softmax); Adam 1e-3, sparse
categorical cross-entropy, batch 32. The data are 2,048 synthetic sequences (random
features, labelled by which of ten fixed templates their mean step correlates with most),
the same arrays for every framework.

Per framework: the time of one training step (median over the steps of the last epoch,
after tracing or warm-up), the whole fit, peak memory, and the final training accuracy.
PyTorch runs the same block (``nn.MultiheadAttention``, batch first) in a plain loop.

Usage::

    python3 benchmarks/bench_transformer.py --python keras=/opt/keras-ref/bin/python \\
        --python torch=/opt/keras-ref/bin/python
    python3 benchmarks/bench_transformer.py --rounds 1 --samples 256 --epochs 1  # a smoke run
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
STEPS, WIDTH, HEADS, FF, CLASSES = 64, 64, 4, 128, 10
BATCH, LR = 32, 1e-3
N, EPOCHS = 2048, 2  # (--samples, --epochs change them, for smoke runs)
MARK = "TRANSFORMER_JSON "


def sequences(n, seed=0):
    """``n`` random sequences (steps × width) and their labels (the best-matching template)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, STEPS, WIDTH)).astype("float32")
    templates = rng.standard_normal((CLASSES, WIDTH)).astype("float32")
    return x, np.argmax(x.mean(axis=1) @ templates.T, axis=1).astype("int64")


def keras_style(keras, x, y, epochs):
    layers = keras.layers
    keras.utils.set_random_seed(0)
    inputs = keras.Input((STEPS, WIDTH))
    h = layers.MultiHeadAttention(HEADS, WIDTH // HEADS)(inputs, inputs)
    h = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([inputs, h]))
    f = layers.Dense(WIDTH)(layers.Dense(FF, activation="relu")(h))
    h = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([h, f]))
    outputs = layers.Dense(CLASSES, activation="softmax")(layers.GlobalAveragePooling1D()(h))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(LR), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history, fit_s, times = bt.timed_fit(keras, model, x, y, BATCH, epochs)
    steps = -(-len(x) // BATCH)
    last = times[-steps:] if epochs > 1 else times[2:] or times
    return {"fit_s": fit_s, "step_s": statistics.median(last),
            "accuracy": float(history.history["accuracy"][-1])}


def worker(framework, threads, n, epochs):
    x, y = sequences(n)
    if framework in ("lamina", "keras"):
        return keras_style(bt.keras_like(framework), x, y, epochs)
    return worker_torch(x, y, threads, epochs)


def worker_torch(x_np, y_np, threads, epochs):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
            self.norm1 = nn.LayerNorm(WIDTH, eps=1e-6)
            self.ff = nn.Sequential(nn.Linear(WIDTH, FF), nn.ReLU(), nn.Linear(FF, WIDTH))
            self.norm2 = nn.LayerNorm(WIDTH, eps=1e-6)
            self.head = nn.Linear(WIDTH, CLASSES)

        def forward(self, x):
            h = self.norm1(x + self.attention(x, x, x, need_weights=False)[0])
            h = self.norm2(h + self.ff(h))
            return self.head(h.mean(dim=1))

    model = Block()
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    n = len(x)
    gen = torch.Generator().manual_seed(0)
    times = []
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        correct = 0
        for lo in range(0, n, BATCH):
            t = time.perf_counter()
            idx = order[lo:lo + BATCH]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t)
            correct += int((out.argmax(1) == yb).sum())
    fit_s = time.perf_counter() - start
    steps = -(-n // BATCH)
    last = times[-steps:] if epochs > 1 else times[2:] or times
    return {"fit_s": fit_s, "step_s": statistics.median(last), "accuracy": correct / n}


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


def measure(framework, python, threads, repo_src, timeout, samples, epochs):
    cmd = [python, os.path.abspath(__file__), "--worker", framework, "--threads", str(threads),
           "--samples", str(samples), "--epochs", str(epochs)]
    return bt.run_marked_worker(cmd, framework, threads, repo_src, timeout, MARK)


def _median(runs, key):
    values = [r[key] for r in runs if r.get("ok") and key in r]
    return (statistics.median(values), min(values), max(values)) if values else None


def table(results, frameworks, epochs):
    lines = [f"| framework | train step, ms | vs lamina | fit ({epochs} epochs), s | "
             "peak RSS, MB | train accuracy |", "|---|---:|---:|---:|---:|---:|"]
    ref = _median(results.get("lamina", []), "step_s")
    for fw in frameworks:
        runs = results.get(fw, [])
        step = _median(runs, "step_s")
        if step is None:
            error = runs[0].get("error", "?") if runs else "not run"
            lines.append(f"| {bt.LABELS[fw]} | failed: {error} | | | | |")
            continue
        ratio = "—" if fw == "lamina" or ref is None else f"{step[0] / ref[0]:.2f}×"
        fit, peak, acc = (_median(runs, k) for k in ("fit_s", "peak_mb", "accuracy"))
        lines.append(
            f"| {bt.LABELS[fw]} | {1e3 * step[0]:.1f} ({1e3 * step[1]:.1f}–{1e3 * step[2]:.1f}) | "
            f"{ratio} | {fit[0]:.2f} | {peak[0]:.0f} | {acc[0]:.4f} |")
    return lines


def orchestrate(args):
    usable, results, seconds = bt.step_rounds(
        FRAMEWORKS, args.frameworks, args.python, args.threads, args.rounds,
        lambda fw, python, repo_src: measure(fw, python, args.threads, repo_src, args.timeout, args.samples, args.epochs))
    out = [f"## W6: Transformer encoder block (sequence {STEPS}, width {WIDTH}, {HEADS} heads, "
           f"feed-forward {FF}), batch {BATCH}, Adam {LR:g}, {args.epochs} epochs of "
           f"{args.samples} sequences",
           "", f"- Machine: {bt.machine_line()}",
           f"- {args.rounds} round(s), each framework in a fresh process per round, median "
           f"(min–max); threads {args.threads}; {seconds:.0f} s in all", ""]
    out += table(results, usable, args.epochs)
    bt.emit("\n".join(out), args.out)


def main(argv=None):
    p = bt.workload_parser(__doc__, FRAMEWORKS)
    p.add_argument("--samples", type=int, default=N)
    p.add_argument("--epochs", type=int, default=EPOCHS)
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(args)
    orchestrate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
