"""Model kinds: the same small network written five ways, trained by lamina, Keras/TF and PyTorch.

The network of the engine issue: 1 -> 16 -> 32 -> 2 (relu, relu, softmax), Adam 1e-3, sparse
categorical cross-entropy, batch 10, on the ages data of ``bench_training.py`` (2,100 rows, 210
steps per epoch), 10 epochs. It is written as

* ``sequential``: ``Sequential([Input, Dense, Dense, Dense])``;
* ``functional``: ``Model(inputs, outputs)`` over the same layers;
* ``subclassed``: a ``Model`` subclass whose ``call`` chains three Dense layers;
* ``custom_layer``: a Sequential of a Dense layer written by the user on ``keras.ops``
  (``add_weight`` in ``build``, ``matmul + bias`` in ``call``);
* ``custom_step``: the Sequential model with an overridden ``train_step`` (``GradientTape``,
  ``compute_loss``, ``optimizer.apply``, the metrics updated by hand), the Keras guide's way.

lamina and Keras run the same user code (``import lamina as keras``). PyTorch runs
``nn.Sequential`` (sequential), an ``nn.Module`` of ``nn.Linear`` (subclassed) and an
``nn.Module`` of ``nn.Parameter`` with ``x @ w + b`` (custom_layer); its loop is the
performance-minded one of ``bench_training.py``. Every measurement is a fresh process; rounds
rotate the order; the table shows medians (min-max) of microseconds per optimizer step over
the whole ``fit`` (the first steps' tracing included) and each kind against Sequential.

Usage::

    python3 benchmarks/bench_model_kinds.py --python keras=/opt/keras-ref/bin/python \\
        --python torch=/opt/keras-ref/bin/python --out benchmarks/results_model_kinds.md
    python3 benchmarks/bench_model_kinds.py --frameworks lamina --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_training as bt  # noqa: E402  (the data and the process plumbing are shared)

KINDS = ("sequential", "functional", "subclassed", "custom_layer", "custom_step")
FRAMEWORKS = ("lamina", "keras", "torch")
TORCH_KINDS = {"sequential", "subclassed", "custom_layer"}
EPOCHS, BATCH, LR = 10, 10, 1e-3
MARK = "KINDS_JSON "


def build_keras_style(keras, kind):
    """The network as ``kind``, with lamina or Keras as ``keras``."""
    ops = keras.ops

    def dense_stack():
        return [keras.layers.Dense(16, activation="relu"), keras.layers.Dense(32, activation="relu"),
                keras.layers.Dense(2, activation="softmax")]

    if kind in ("sequential", "custom_step"):
        base = keras.Sequential if kind == "sequential" else _custom_step_class(keras)
        return base([keras.Input((1,)), *dense_stack()])
    if kind == "functional":
        inputs = keras.Input((1,))
        h = inputs
        for layer in dense_stack():
            h = layer(h)
        return keras.Model(inputs, h)
    if kind == "subclassed":
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.a, self.b, self.c = dense_stack()

            def call(self, x):
                return self.c(self.b(self.a(x)))

        return Net()

    class MyDense(keras.layers.Layer):
        def __init__(self, units, activation=None):
            super().__init__()
            self.units = units
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="glorot_uniform")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, x):
            return self.activation(ops.matmul(x, self.w) + self.b)

    return keras.Sequential([keras.Input((1,)), MyDense(16, "relu"), MyDense(32, "relu"),
                             MyDense(2, "softmax")])


def _custom_step_class(keras):
    if getattr(keras, "__name__", "") == "keras":
        import tensorflow as tf

        tape_class = tf.GradientTape
    else:
        tape_class = keras.GradientTape

    class CustomStep(keras.Sequential):
        def train_step(self, data):
            x, y = data
            with tape_class() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    return CustomStep


def run_keras_style(keras, kind):
    x, y = bt.ages_numpy()
    keras.utils.set_random_seed(0)
    model = build_keras_style(keras, kind)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    fit_s = time.perf_counter() - start
    steps = EPOCHS * -(-len(x) // BATCH)
    return {"fit_s": fit_s, "steps": steps, "accuracy": float(history.history["accuracy"][-1])}


def worker_lamina(kind):
    import importlib.util

    if importlib.util.find_spec("lamina") is None:
        sys.path.insert(0, bt.REPO_SRC)
    import lamina

    return run_keras_style(lamina, kind)


def worker_keras(kind):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return run_keras_style(keras, kind)


def worker_torch(kind, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x_np, y_np = bt.ages_numpy()
    sizes = (1, 16, 32, 2)
    if kind == "sequential":
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < 2 else [])
        model = torch.nn.Sequential(*layers)
    elif kind == "subclassed":
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b, self.c = (torch.nn.Linear(a, b)
                                          for a, b in zip(sizes[:-1], sizes[1:]))

            def forward(self, x):
                return self.c(torch.relu(self.b(torch.relu(self.a(x)))))

        model = Net()
    else:
        class MyLinear(torch.nn.Module):
            def __init__(self, a, b):
                super().__init__()
                limit = (6.0 / (a + b)) ** 0.5
                self.w = torch.nn.Parameter(torch.empty(a, b).uniform_(-limit, limit))
                self.b = torch.nn.Parameter(torch.zeros(b))

            def forward(self, x):
                return x @ self.w + self.b

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.parts = torch.nn.ModuleList(MyLinear(a, b)
                                                 for a, b in zip(sizes[:-1], sizes[1:]))

            def forward(self, x):
                for i, part in enumerate(self.parts):
                    x = part(x)
                    if i < 2:
                        x = torch.relu(x)
                return x

        model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    gen = torch.Generator().manual_seed(0)
    n, steps = len(x), 0
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(n, generator=gen)
        correct = 0
        for lo in range(0, n, BATCH):
            idx = order[lo:lo + BATCH]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            steps += 1
            correct += int((out.argmax(1) == yb).sum())
    fit_s = time.perf_counter() - start
    return {"fit_s": fit_s, "steps": steps, "accuracy": correct / n}


def worker_main(args):
    try:
        if args.worker == "lamina":
            result = worker_lamina(args.kind)
        elif args.worker == "keras":
            result = worker_keras(args.kind)
        else:
            result = worker_torch(args.kind, args.threads)
        result.update(ok=True, us_per_step=1e6 * result["fit_s"] / result["steps"])
    except Exception as e:  # reported in the table
        import traceback

        traceback.print_exc()
        result = {"ok": False, "error": f"{type(e).__name__}: {e}".splitlines()[0][:200]}
    print(MARK + json.dumps(result), flush=True)
    return 0


def measure(framework, kind, python, threads, repo_src, timeout):
    cmd = [python, os.path.abspath(__file__), "--worker", framework, "--kind", kind,
           "--threads", str(threads)]
    env = bt.worker_env(framework, threads, repo_src)
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"ok": False, "error": f"exit {proc.returncode}: {tail[:200]}"}


def table(results, frameworks):
    head = "| kind | " + " | ".join(f"{bt.LABELS[f]} µs/step | vs Sequential" for f in frameworks)
    lines = [head + " |", "|---|" + "---:|---:|" * len(frameworks)]
    seq = {}
    for fw in frameworks:
        runs = [r["us_per_step"] for r in results.get((fw, "sequential"), []) if r.get("ok")]
        seq[fw] = statistics.median(runs) if runs else None
    for kind in KINDS:
        cells = []
        for fw in frameworks:
            runs = results.get((fw, kind))
            if runs is None:
                cells += ["n/a", ""]
                continue
            ok = [r["us_per_step"] for r in runs if r.get("ok")]
            if not ok:
                cells += [f"failed: {runs[0].get('error', '?')}", ""]
                continue
            med = statistics.median(ok)
            rng = f" ({bt.fmt_us(min(ok))}–{bt.fmt_us(max(ok))})" if len(ok) > 1 else ""
            ratio = f"{med / seq[fw]:.2f}×" if seq.get(fw) else ""
            cells += [f"{bt.fmt_us(med)}{rng}", ratio]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return lines


def orchestrate(args):
    import importlib.util

    pythons = bt.parse_pythons(args.python)
    repo_src = importlib.util.find_spec("lamina") is None and os.path.isdir(bt.REPO_SRC)
    frameworks = [f for f in FRAMEWORKS if f in args.frameworks]
    usable = []
    for fw in frameworks:
        python = pythons.get(fw, sys.executable)
        if bt.can_import(python, bt.REQUIRES[fw], bt.worker_env(fw, args.threads, repo_src)):
            usable.append(fw)
        else:
            print(f"skipping {fw}: not importable with {python}", file=sys.stderr)
    jobs = [(fw, kind) for fw in usable for kind in KINDS if fw != "torch" or kind in TORCH_KINDS]
    results: dict = {}
    started = time.perf_counter()
    for r in range(args.rounds):
        order = jobs[r % len(jobs):] + jobs[:r % len(jobs)]
        for fw, kind in order:
            res = measure(fw, kind, pythons.get(fw, sys.executable), args.threads, repo_src,
                          args.timeout)
            results.setdefault((fw, kind), []).append(res)
            print(f"round {r + 1}: {fw} {kind}: "
                  f"{res.get('us_per_step', res.get('error'))}", file=sys.stderr, flush=True)
    out = [f"## Model kinds: 1→16→32→2, Adam {LR:g}, batch {BATCH}, {EPOCHS} epochs", "",
           f"- Machine: {bt.machine_line()}",
           f"- {args.rounds} round(s), each measurement in a fresh process, median (min–max) of "
           f"µs per optimizer step over the whole fit; threads {args.threads}; "
           f"{time.perf_counter() - started:.0f} s in all", ""]
    out += table(results, usable)
    accs = {f"{fw}/{k}": round(statistics.median(r["accuracy"] for r in runs if r.get("ok")), 4)
            for (fw, k), runs in results.items() if any(r.get("ok") for r in runs)}
    out += ["", "Final training accuracy (the same task learned): " +
            ", ".join(f"{k} {v}" for k, v in accs.items()), ""]
    text = "\n".join(out)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", choices=FRAMEWORKS)
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--frameworks", nargs="+", default=list(FRAMEWORKS))
    p.add_argument("--python", action="append", metavar="FRAMEWORK=INTERPRETER")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--out")
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(args)
    orchestrate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
