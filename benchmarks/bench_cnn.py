"""W4: an MNIST-shaped convolutional network trained by lamina, Keras/TF and PyTorch in one run.

The network of Keras's "simple MNIST convnet" example: 28×28×1 → Conv2D(32, 3, relu) →
MaxPooling2D → Conv2D(64, 3, relu) → MaxPooling2D → Flatten → Dropout(0.5) → Dense(10,
softmax), Adam 1e-3, sparse categorical cross-entropy, batch 128. The data are 4,096
synthetic 28×28 images (smooth random blobs, labelled by which of ten fixed templates each
correlates with most), so every framework learns the same task from the same arrays.

Per framework: the time of one training step (median over the steps of the second epoch,
after tracing or warm-up), the whole fit (2 epochs), prediction throughput (images/s, batch
256), peak memory, and the final training accuracy. For lamina, the matrix products alone
(the same GEMM shapes the convolutions and the dense layer use, timed with NumPy in the same
process) give the share of a step spent in BLAS.

Usage::

    python3 benchmarks/bench_cnn.py --python keras=/opt/keras-ref/bin/python \\
        --python torch=/opt/keras-ref/bin/python
    python3 benchmarks/bench_cnn.py --frameworks lamina --rounds 1
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
N, BATCH, EPOCHS, LR = 4096, 128, 2, 1e-3
MARK = "CNN_JSON "


def mnist_like(seed=0):
    """4,096 smooth 28×28 images in [0, 1] and their labels (the best-matching template)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    coarse = rng.standard_normal((N, 7, 7)).astype("float32")
    images = np.kron(coarse, np.ones((4, 4), "float32"))  # 28×28 blobs
    images = (images - images.min()) / (images.max() - images.min())
    templates = rng.standard_normal((10, 28 * 28)).astype("float32")
    labels = np.argmax(images.reshape(N, -1) @ templates.T, axis=1).astype("int64")
    return images[..., None], labels


def keras_style(keras, x, y):
    layers = keras.layers
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
        layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(LR), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history, fit_s, times = bt.timed_fit(keras, model, x, y, BATCH, EPOCHS)
    steps = -(-N // BATCH)
    model.predict(x[:512], batch_size=256, verbose=0)  # traced / warmed up
    start = time.perf_counter()
    model.predict(x, batch_size=256, verbose=0)
    predict_s = time.perf_counter() - start
    return {"fit_s": fit_s, "step_s": statistics.median(times[steps:]),
            "images_per_s": N / predict_s,
            "accuracy": float(history.history["accuracy"][-1])}


def gemm_seconds():
    """One training step's matrix products at these shapes, timed with NumPy alone."""
    import numpy as np

    rng = np.random.default_rng(1)
    rows1, rows2 = BATCH * 26 * 26, BATCH * 11 * 11
    shapes = [(rows1, 9, 32), (9, rows1, 32),  # conv 1: forward, kernel gradient
              (rows2, 288, 64), (288, rows2, 64)]  # conv 2: forward, kernel gradient
    shapes += [(rows2, 64, 32)] * 9  # conv 2: input gradient, one product per kernel offset
    shapes += [(BATCH, 1600, 10), (1600, BATCH, 10), (BATCH, 10, 1600)]  # dense
    pairs = [(rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32))
             for m, k, n in shapes]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for a, b in pairs:
            np.dot(a, b)
        best = min(best, time.perf_counter() - start)
    return best


def worker(framework, threads):
    x, y = mnist_like()
    if framework in ("lamina", "keras"):
        result = keras_style(bt.keras_like(framework), x, y)
        if framework == "lamina":
            result["gemm_s"] = gemm_seconds()
        return result
    return worker_torch(x, y, threads)


def worker_torch(x_np, y_np, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                          nn.Linear(1600, 10))
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.from_numpy(x_np).permute(0, 3, 1, 2).contiguous()  # PyTorch is channels-first
    y = torch.from_numpy(y_np)
    gen = torch.Generator().manual_seed(0)
    times = []
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(N, generator=gen)
        correct = 0
        model.train()
        for lo in range(0, N, BATCH):
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
    model.eval()
    with torch.no_grad():
        model(x[:512])
        start = time.perf_counter()
        for lo in range(0, N, 256):
            model(x[lo:lo + 256])
        predict_s = time.perf_counter() - start
    steps = -(-N // BATCH)
    return {"fit_s": fit_s, "step_s": statistics.median(times[steps:]),
            "images_per_s": N / predict_s, "accuracy": correct / N}


def worker_main(args):
    try:
        result = worker(args.worker, args.threads)
        result.update(ok=True, peak_mb=bt.peak_rss_mb())
    except Exception as e:  # reported in the table
        import traceback

        traceback.print_exc()
        result = {"ok": False, "error": f"{type(e).__name__}: {e}".splitlines()[0][:200]}
    print(MARK + json.dumps(result), flush=True)
    return 0


def measure(framework, python, threads, repo_src, timeout):
    cmd = [python, os.path.abspath(__file__), "--worker", framework, "--threads", str(threads)]
    return bt.run_marked_worker(cmd, framework, threads, repo_src, timeout, MARK)


def _median(runs, key):
    values = [r[key] for r in runs if r.get("ok") and key in r]
    return (statistics.median(values), min(values), max(values)) if values else None


def table(results, frameworks):
    lines = ["| framework | train step, ms | vs lamina | fit (2 epochs), s | predict, images/s | "
             "peak RSS, MB | train accuracy |", "|---|---:|---:|---:|---:|---:|---:|"]
    ref = _median(results.get("lamina", []), "step_s")
    for fw in frameworks:
        runs = results.get(fw, [])
        step = _median(runs, "step_s")
        if step is None:
            error = runs[0].get("error", "?") if runs else "not run"
            lines.append(f"| {bt.LABELS[fw]} | failed: {error} | | | | | |")
            continue
        ratio = "—" if fw == "lamina" or ref is None else f"{step[0] / ref[0]:.2f}×"
        fit, pred = _median(runs, "fit_s"), _median(runs, "images_per_s")
        peak, acc = _median(runs, "peak_mb"), _median(runs, "accuracy")
        lines.append(
            f"| {bt.LABELS[fw]} | {1e3 * step[0]:.1f} ({1e3 * step[1]:.1f}–{1e3 * step[2]:.1f}) | "
            f"{ratio} | {fit[0]:.2f} | {pred[0]:,.0f} | {peak[0]:.0f} | {acc[0]:.4f} |")
    gemm = _median(results.get("lamina", []), "gemm_s")
    if gemm and ref:
        lines += ["", f"lamina: the matrix products of one step alone take {1e3 * gemm[0]:.1f} ms "
                      f"with NumPy here, {100 * gemm[0] / ref[0]:.0f}% of lamina's step."]
    return lines


def orchestrate(args):
    usable, results, seconds = bt.step_rounds(
        FRAMEWORKS, args.frameworks, args.python, args.threads, args.rounds,
        lambda fw, python, repo_src: measure(fw, python, args.threads, repo_src, args.timeout))
    out = [f"## W4: MNIST-shaped CNN, batch {BATCH}, Adam {LR:g}, {EPOCHS} epochs of {N} images",
           "", f"- Machine: {bt.machine_line()}",
           f"- {args.rounds} round(s), each framework in a fresh process per round, median "
           f"(min–max); threads {args.threads}; {seconds:.0f} s in all", ""]
    out += table(results, usable)
    bt.emit("\n".join(out), args.out)


def main(argv=None):
    p = bt.workload_parser(__doc__, FRAMEWORKS)
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(args)
    orchestrate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
