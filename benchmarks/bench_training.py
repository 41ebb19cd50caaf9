"""Training benchmark: lamina against Keras/TensorFlow, PyTorch, scikit-learn and a bare NumPy loop.

Three workloads (see ``README.md`` beside this file), each trained by every framework on the same
float32 data with fixed seeds. Every measurement runs in a fresh subprocess, so no two frameworks
share a process, and the frameworks take turns round by round. The result is a Markdown table per
workload with medians, (min-max) ranges and the ratio of each framework's fit time to lamina's.

Usage::

    python3 benchmarks/bench_training.py                 # 3 rounds, all frameworks found
    python3 benchmarks/bench_training.py --quick         # 1 round, fewer epochs (smoke test)
    python3 benchmarks/bench_training.py \\
        --python keras=/opt/keras-ref/bin/python --python torch=/opt/keras-ref/bin/python \\
        --python sklearn=/opt/keras-ref/bin/python --out results.md

One measurement by hand (prints a JSON line when ``--json`` is given)::

    python3 benchmarks/bench_training.py --worker lamina --workload W1 --json

Only the standard library is imported at the top of this file: a worker times the import of its
framework (and of NumPy) first thing in a fresh process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
REPO_SRC = os.path.join(REPO, "src")

FRAMEWORKS = ("lamina", "keras", "torch", "sklearn", "numpy")
LABELS = {
    "lamina": "lamina",
    "keras": "Keras 3 / TensorFlow",
    "torch": "PyTorch",
    "sklearn": "scikit-learn MLP",
    "numpy": "NumPy loop",
}
# Modules a framework's interpreter must be able to import.
REQUIRES = {
    "lamina": ("lamina", "numpy"),
    "keras": ("keras", "tensorflow", "numpy"),
    "torch": ("torch", "numpy"),
    "sklearn": ("sklearn", "numpy"),
    "numpy": ("numpy",),
}
RESULT_MARK = "BENCH_JSON "


class Workload:
    """One training job: network, optimizer settings, epochs and the metric it reports."""

    def __init__(
        self,
        key,
        title,
        sizes,
        output,
        loss,
        lr,
        batch,
        epochs,
        quick_epochs,
        metric,
        higher_is_better,
        describe,
    ):
        self.key = key
        self.title = title
        self.sizes = sizes  # layer widths, input first
        self.output = output  # "linear" or "softmax"
        self.loss = loss  # Keras loss name
        self.lr = lr
        self.batch = batch
        self.epochs = epochs
        self.quick_epochs = quick_epochs
        self.metric = metric
        self.higher_is_better = higher_is_better
        self.describe = describe


WORKLOADS = {
    "W1": Workload(
        "W1",
        "W1: red-wine regression, 11→512→512→512→1 (relu), Adam 1e-3, MAE",
        (11, 512, 512, 512, 1),
        "linear",
        "mae",
        1e-3,
        256,
        10,
        2,
        "val MAE",
        False,
        "The red-wine tutorial: 1,119 training rows (`df.sample(frac=0.7, random_state=0)`), "
        "480 validation rows evaluated after every epoch, every column (target `quality` "
        "too, as in the tutorial) min-max scaled with the training min/max, batch 256.",
    ),
    "W2": Workload(
        "W2",
        "W2: age classifier, 1→16→32→2 (relu, relu, softmax), Adam 1e-4, sparse CE",
        (1, 16, 32, 2),
        "softmax",
        "sparse_categorical_crossentropy",
        1e-4,
        10,
        20,
        2,
        "val accuracy",
        True,
        "The second tutorial's synthetic ages (2,100 samples, 5% flipped labels, min-max "
        "scaled), `validation_split=0.1` (the last 210 rows), batch 10, shuffled every epoch. "
        "The tutorial's `Dense(2, activation='sigmoid')` is replaced by softmax for every "
        "framework, so all of them train the same network.",
    ),
    "W3": Workload(
        "W3",
        "W3: wide network, 784→1024→1024→10 (relu, relu, softmax), Adam 1e-3, sparse CE",
        (784, 1024, 1024, 10),
        "softmax",
        "sparse_categorical_crossentropy",
        1e-3,
        128,
        2,
        1,
        "train accuracy",
        True,
        "10,000 rows of standard-normal float32 features, labels from a random linear teacher "
        "(argmax of x·W), batch 128, no validation; the metric is the accuracy of the trained "
        "model on the 10,000 training rows (computed after fit, outside the timing).",
    ),
}
VALIDATION_SPLIT = 0.1  # W2


# -- data (identical for every framework) ------------------------------------------------------


def wine_csv_path():
    """The bundled red-wine CSV: in this checkout, else in the installed lamina package."""
    candidate = os.path.join(REPO_SRC, "lamina", "datasets", "data", "winequality-red.csv")
    if os.path.exists(candidate):
        return candidate
    import importlib.util

    spec = importlib.util.find_spec("lamina")
    if spec and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            path = os.path.join(root, "datasets", "data", "winequality-red.csv")
            if os.path.exists(path):
                return path
    raise FileNotFoundError("winequality-red.csv: not in this checkout nor in an installed lamina")


def wine_numpy():
    """The red-wine split of ``lamina.datasets.red_wine.load_data()``, rebuilt with csv + NumPy."""
    import csv

    import numpy as np

    with open(wine_csv_path(), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header, body = rows[0], rows[1:]
    table = np.array([[float(v) for v in row] for row in body])
    target = header.index("quality")
    features = [j for j in range(len(header)) if j != target]
    n = len(table)
    train = np.random.RandomState(0).permutation(n)[: int(round(0.7 * n))]
    rest = np.setdiff1d(np.arange(n), train)
    # Like the tutorial, every column (the target too) is scaled with the training min and max.
    lo, hi = table[train].min(axis=0), table[train].max(axis=0)
    table = ((table - lo) / np.where(hi > lo, hi - lo, 1.0)).astype(np.float32)
    x, y = table[:, features], table[:, target]
    return (x[train], y[train]), (x[rest], y[rest])


def ages_numpy(seed=0):
    """The tutorial's synthetic ages: 1,000 young/old pairs plus 50 pairs with flipped labels."""
    import numpy as np

    rng = np.random.default_rng(seed)
    young = rng.integers(13, 65, size=1050)
    old = rng.integers(65, 101, size=1050)
    ages = np.concatenate([young, old])
    labels = np.concatenate([np.zeros(1000), np.ones(50), np.ones(1000), np.zeros(50)])
    order = rng.permutation(len(ages))
    ages, labels = ages[order].astype(np.float64), labels[order].astype(np.int64)
    x = ((ages - ages.min()) / (ages.max() - ages.min())).astype(np.float32).reshape(-1, 1)
    return x, labels


def wide_numpy(seed=0):
    """10,000 x 784 standard-normal features; labels from a random linear teacher."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((10_000, 784), dtype=np.float32)
    teacher = rng.standard_normal((784, 10), dtype=np.float32)
    y = np.argmax(x @ teacher, axis=1).astype(np.int64)
    return x, y


def split_last(x, y, fraction):
    """Keras's ``validation_split``: the last ``fraction`` of the rows, taken before shuffling."""
    at = int(math.ceil(len(x) * (1.0 - fraction)))
    return (x[:at], y[:at]), (x[at:], y[at:])


def load_workload(key, framework):
    """``(x, y, x_val, y_val)``; for W2 the full arrays are also kept for ``validation_split``."""
    if key == "W1":
        if framework == "lamina":
            from lamina.datasets import red_wine

            (x, y), (xv, yv) = red_wine.load_data()
        else:
            (x, y), (xv, yv) = wine_numpy()
        return {"x": x, "y": y, "x_val": xv, "y_val": yv}
    if key == "W2":
        x_all, y_all = ages_numpy()
        (x, y), (xv, yv) = split_last(x_all, y_all, VALIDATION_SPLIT)
        return {"x": x, "y": y, "x_val": xv, "y_val": yv, "x_all": x_all, "y_all": y_all}
    x, y = wide_numpy()
    return {"x": x, "y": y, "x_val": None, "y_val": None}


def digest(data):
    """A short fingerprint of the training and validation arrays (the orchestrator compares)."""
    h = hashlib.sha1()
    for name in ("x", "y", "x_val", "y_val"):
        a = data[name]
        if a is not None:
            h.update(f"{name}{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
    return h.hexdigest()[:12]


# -- workers: one framework, one workload, one process -----------------------------------------


def keras_style_fit(keras, w, data, epochs):
    """The same user code for lamina and Keras: Sequential, compile, fit(verbose=0)."""
    hidden = [keras.layers.Dense(units, activation="relu") for units in w.sizes[1:-1]]
    head = keras.layers.Dense(w.sizes[-1], activation="softmax" if w.output == "softmax" else None)
    model = keras.Sequential([keras.Input(shape=(w.sizes[0],)), *hidden, head])
    metrics = ["accuracy"] if w.output == "softmax" else []
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=w.lr), loss=w.loss, metrics=metrics)
    if w.key == "W1":
        args = dict(x=data["x"], y=data["y"], validation_data=(data["x_val"], data["y_val"]))
    elif w.key == "W2":
        args = dict(
            x=data["x_all"], y=data["y_all"], validation_split=VALIDATION_SPLIT, shuffle=True
        )
    else:
        args = dict(x=data["x"], y=data["y"])
    start = time.perf_counter()
    history = model.fit(**args, batch_size=w.batch, epochs=epochs, verbose=0)
    fit_s = time.perf_counter() - start
    if w.key == "W3":  # the trained model on the training rows, as for every framework
        probs = model.predict(data["x"], batch_size=1000, verbose=0)
        metric = float((probs.argmax(axis=1) == data["y"]).mean())
    else:
        metric = history.history["val_loss" if w.key == "W1" else "val_accuracy"][-1]
    return {
        "fit_s": fit_s,
        "metric": float(metric),
        "steps": epochs * math.ceil(len(data["x"]) / w.batch),
    }


def run_lamina(w, epochs, threads):
    import importlib.util

    if importlib.util.find_spec("lamina") is None and os.path.isdir(REPO_SRC):
        sys.path.insert(0, REPO_SRC)  # run from a checkout without PYTHONPATH=src
    start = time.perf_counter()
    import lamina as keras

    # lamina loads its submodules on first use: count them, as Keras loads everything at import.
    keras.Sequential, keras.layers.Dense, keras.optimizers.Adam, keras.losses, keras.metrics  # noqa: B018
    import_s = time.perf_counter() - start
    data = load_workload(w.key, "lamina")
    keras.utils.set_random_seed(0)
    result = keras_style_fit(keras, w, data, epochs)
    notes = [
        "import time includes loading Sequential, layers, optimizers, losses "
        "and metrics (lamina loads submodules lazily)"
    ]
    if w.key == "W3":  # how close to the machine's matrix products, measured in this process
        floor_s, gflops = gemm_floor(w, result["steps"])
        result["gemm_floor_s"] = floor_s
        notes.append(
            f"the matrix products alone (forward and backward, {gflops:.1f} GFLOP/s here) "
            f"take {floor_s:.2f} s: fit = {result['fit_s'] / floor_s:.2f}× that floor"
        )
    result.update(
        import_s=import_s,
        data=data,
        versions={"lamina": keras.__version__},
        where=os.path.dirname(keras.__file__),
        notes=notes,
    )
    return result


def gemm_floor(w, steps):
    """Seconds that ``steps`` steps' matrix products alone take with NumPy, and their GFLOP/s.

    Per step and layer: the forward product, the weight gradient and (but for the first
    layer) the input gradient, in float32 at the workload's batch size; best of three.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    shapes = list(zip(w.sizes[:-1], w.sizes[1:]))
    xs = [rng.standard_normal((w.batch, a), dtype=np.float32) for a, _ in shapes]
    ks = [rng.standard_normal((a, b), dtype=np.float32) for a, b in shapes]
    gs = [rng.standard_normal((w.batch, b), dtype=np.float32) for _, b in shapes]
    flops = sum(2 * w.batch * a * b * (2 if i == 0 else 3) for i, (a, b) in enumerate(shapes))
    count = min(steps, 40)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(count):
            for i, (x, k, g) in enumerate(zip(xs, ks, gs)):
                np.dot(x, k)
                np.dot(x.T, g)
                if i:
                    np.dot(g, k.T)
        best = min(best, (time.perf_counter() - start) / count)
    return best * steps, flops / best / 1e9


def run_keras(w, epochs, threads):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    start = time.perf_counter()
    import keras

    import_s = time.perf_counter() - start
    import tensorflow as tf

    notes = []
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError as e:  # the runtime started already
        notes.append(f"could not set TF threads: {e}")
    if keras.backend.backend() != "tensorflow":
        notes.append(f"Keras backend is {keras.backend.backend()}")
    data = load_workload(w.key, "keras")
    keras.utils.set_random_seed(0)
    result = keras_style_fit(keras, w, data, epochs)
    notes.append("fit time includes tracing the tf.function on the first batches")
    result.update(
        import_s=import_s,
        data=data,
        versions={"keras": keras.__version__, "tensorflow": tf.__version__},
        threads_extra=(
            f"TF intra-op {tf.config.threading.get_intra_op_parallelism_threads()}, "
            f"inter-op {tf.config.threading.get_inter_op_parallelism_threads()}"
        ),
        notes=notes,
    )
    return result


def run_torch(w, epochs, threads):
    start = time.perf_counter()
    import torch

    import_s = time.perf_counter() - start
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    data = load_workload(w.key, "torch")
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
        linear = torch.nn.Linear(fan_in, fan_out)
        torch.nn.init.xavier_uniform_(linear.weight)  # Keras's glorot_uniform
        torch.nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(w.sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=w.lr, eps=1e-7)  # Keras's epsilon
    regression = w.output == "linear"
    loss_fn = torch.nn.L1Loss() if regression else torch.nn.CrossEntropyLoss()  # softmax inside

    def tensors(x, y):
        if x is None:
            return None, None
        y = torch.from_numpy(y).reshape(-1, 1) if regression else torch.from_numpy(y)
        return torch.from_numpy(x), y

    x, y = tensors(data["x"], data["y"])
    xv, yv = tensors(data["x_val"], data["y_val"])
    gen = torch.Generator().manual_seed(0)
    n, steps = len(x), 0
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen)
        loss_sum, correct = 0.0, 0  # running loss and accuracy, as Keras tracks in fit
        for lo in range(0, n, w.batch):
            idx = order[lo : lo + w.batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            steps += 1
            loss_sum += loss.item() * len(idx)
            if not regression:
                correct += int((out.argmax(1) == yb).sum())
        if xv is not None:
            model.eval()
            with torch.no_grad():
                out = model(xv)
                val = (
                    float(loss_fn(out, yv))
                    if regression
                    else float((out.argmax(1) == yv).float().mean())
                )
    fit_s = time.perf_counter() - start
    if xv is None:
        model.eval()
        with torch.no_grad():
            val = float((model(x).argmax(1) == y).float().mean())
    return {
        "fit_s": fit_s,
        "steps": steps,
        "metric": val,
        "import_s": import_s,
        "data": data,
        "versions": {"torch": torch.__version__},
        "threads_extra": (
            f"torch intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}"
        ),
        "notes": [
            "hand-written loop over index slices (no DataLoader)"
            + (", validation under no_grad after every epoch" if xv is not None else "")
        ],
    }


def run_sklearn(w, epochs, threads):
    start = time.perf_counter()
    import sklearn.neural_network

    import_s = time.perf_counter() - start
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    import numpy as np

    data = load_workload(w.key, "sklearn")
    common = dict(
        hidden_layer_sizes=w.sizes[1:-1],
        activation="relu",
        solver="adam",
        learning_rate_init=w.lr,
        batch_size=w.batch,
        max_iter=epochs,
        shuffle=True,
        early_stopping=False,
        alpha=0.0,
        epsilon=1e-7,
        random_state=0,
        n_iter_no_change=epochs + 1,
    )
    notes = []
    if w.key == "W1":
        model = sklearn.neural_network.MLPRegressor(**common)
        notes.append("squared-error loss (MLPRegressor has no MAE); val MAE computed after fit")
    else:
        model = sklearn.neural_network.MLPClassifier(**common)
        if w.key == "W2":
            notes.append("2 classes: one logistic output unit instead of a 2-unit softmax")
    start = time.perf_counter()
    model.fit(data["x"], data["y"])
    fit_s = time.perf_counter() - start
    if w.key == "W1":
        metric = float(np.mean(np.abs(model.predict(data["x_val"]) - data["y_val"])))
    elif w.key == "W2":
        metric = float(model.score(data["x_val"], data["y_val"]))
    else:
        metric = float(model.score(data["x"], data["y"]))
    if w.key != "W3":
        notes.append("no validation pass during fit")
    notes.append(f"weights {model.coefs_[0].dtype}, ran {model.n_iter_} epoch(s)")
    steps = model.n_iter_ * math.ceil(len(data["x"]) / w.batch)
    return {
        "fit_s": fit_s,
        "steps": steps,
        "metric": metric,
        "import_s": import_s,
        "data": data,
        "versions": {"scikit-learn": sklearn.__version__},
        "notes": notes,
    }


def run_numpy(w, epochs, threads):
    start = time.perf_counter()
    import numpy as np

    import_s = time.perf_counter() - start
    data = load_workload(w.key, "numpy")
    rng = np.random.default_rng(0)
    weights, biases = [], []
    for fan_in, fan_out in zip(w.sizes[:-1], w.sizes[1:]):
        limit = math.sqrt(6.0 / (fan_in + fan_out))  # glorot_uniform
        weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        biases.append(np.zeros(fan_out, np.float32))
    params = [p for pair in zip(weights, biases) for p in pair]
    moments = [np.zeros_like(p) for p in params]
    velocities = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-7
    regression = w.output == "linear"

    def forward(x):
        acts, h = [x], x
        for k in range(len(weights) - 1):
            h = h @ weights[k]
            h += biases[k]
            np.maximum(h, 0.0, out=h)
            acts.append(h)
        out = h @ weights[-1]
        out += biases[-1]
        return acts, out

    def softmax(z):
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    x, y, n, t = data["x"], data["y"], len(data["x"]), 0
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n)
        loss_sum, correct = 0.0, 0  # running loss and accuracy, as Keras tracks in fit
        for lo in range(0, n, w.batch):
            idx = order[lo : lo + w.batch]
            xb, yb = x[idx], y[idx]
            acts, out = forward(xb)
            rows = len(idx)
            if regression:  # MAE: d/dout = sign(out - y) / batch
                diff = out[:, 0] - yb
                loss_sum += float(np.abs(diff).sum())
                g = (np.sign(diff) / rows)[:, None]
            else:  # softmax + cross-entropy: d/dlogits = (p - onehot) / batch
                p = softmax(out)
                picked = p[np.arange(rows), yb]
                loss_sum += float(-np.log(np.maximum(picked, eps)).sum())
                correct += int((p.argmax(axis=1) == yb).sum())
                p[np.arange(rows), yb] -= 1.0
                g = p / rows
            grads = [None] * len(params)
            for k in range(len(weights) - 1, -1, -1):
                grads[2 * k] = acts[k].T @ g
                grads[2 * k + 1] = g.sum(axis=0)
                if k:
                    g = g @ weights[k].T
                    g *= acts[k] > 0
            t += 1
            alpha = w.lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
            for p_, g_, m_, v_ in zip(params, grads, moments, velocities):
                m_ += (1.0 - beta1) * (g_ - m_)
                v_ += (1.0 - beta2) * (g_ * g_ - v_)
                p_ -= alpha * m_ / (np.sqrt(v_) + eps)
        if data["x_val"] is not None:
            _, out = forward(data["x_val"])
            if regression:
                val = float(np.mean(np.abs(out[:, 0] - data["y_val"])))
            else:
                val = float(np.mean(out.argmax(axis=1) == data["y_val"]))
    fit_s = time.perf_counter() - start
    if data["x_val"] is None:
        val = float(np.mean(forward(x)[1].argmax(axis=1) == y))
    return {
        "fit_s": fit_s,
        "steps": t,
        "metric": val,
        "import_s": import_s,
        "data": data,
        "versions": {},
        "notes": [
            "forward, backward and Adam written out in NumPy"
            + (", validation after every epoch" if data["x_val"] is not None else "")
        ],
    }


RUNNERS = {
    "lamina": run_lamina,
    "keras": run_keras,
    "torch": run_torch,
    "sklearn": run_sklearn,
    "numpy": run_numpy,
}


def blas_summary():
    """NumPy's version and BLAS, with the threads and kernels it runs with."""
    import numpy as np

    text = f"NumPy {np.__version__}"
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        text += f", {blas.get('name', '?')} {blas.get('version', '')}".rstrip()
    except Exception:  # older NumPy: no dict mode
        pass
    try:
        import threadpoolctl

        pools = [
            f"{p['internal_api']} {p.get('architecture') or ''} {p['num_threads']} threads".replace(
                "  ", " "
            )
            for p in threadpoolctl.threadpool_info()
        ]
    except ImportError:
        pools = openblas_threads(np)
    return text + (" (" + "; ".join(dict.fromkeys(pools)) + ")" if pools else "")


def openblas_threads(np):
    """Without threadpoolctl: ask NumPy's bundled OpenBLAS itself (kernel and thread count)."""
    import ctypes
    import glob

    for path in glob.glob(os.path.dirname(np.__file__) + ".libs/*openblas*"):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (
            ("scipy_openblas", "64_"),
            ("scipy_openblas", ""),
            ("openblas", "64_"),
            ("openblas", ""),
        ):
            threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            config = getattr(lib, f"{prefix}_get_config{suffix}", None)
            if threads is None:
                continue
            core = ""
            if config is not None:
                config.restype = ctypes.c_char_p
                words = config().decode().split()
                core = words[-2] if len(words) > 2 and words[-1].startswith("MAX_") else ""
            return [f"openblas {core} {threads()} threads".replace("  ", " ")]
    return []


def worker_main(args):
    w = WORKLOADS[args.workload]
    epochs = args.epochs or w.epochs
    try:
        result = RUNNERS[args.worker](w, epochs, args.threads)
        data = result.pop("data")
        result.update(
            ok=True,
            framework=args.worker,
            workload=w.key,
            epochs=epochs,
            us_per_step=1e6 * result["fit_s"] / max(result["steps"], 1),
            peak_mb=peak_rss_mb(),
            data_digest=digest(data),
            python=sys.executable,
            python_version=platform.python_version(),
            blas=blas_summary(),
        )
    except Exception as e:  # reported in the table, not fatal to the run
        import traceback

        traceback.print_exc()
        result = {
            "ok": False,
            "framework": args.worker,
            "workload": w.key,
            "error": f"{type(e).__name__}: {e}".splitlines()[0][:200],
        }
    if args.json:
        print(RESULT_MARK + json.dumps(result), flush=True)
    else:
        for k, v in result.items():
            print(f"{k:>14}: {v}")
    return 0 if result["ok"] else 1


def peak_rss_mb():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


# -- orchestrator -------------------------------------------------------------------------------


def worker_env(framework, threads, add_repo_src):
    env = dict(os.environ)
    # Import as an installed package is imported: from cached bytecode (pip writes it at
    # install time; the first worker writes it for a source checkout).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["TF_CPP_MIN_LOG_LEVEL"] = env.get("TF_CPP_MIN_LOG_LEVEL", "2")
    if framework == "keras":
        env["KERAS_BACKEND"] = "tensorflow"
    if add_repo_src:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_SRC, env.get("PYTHONPATH")) if p)
    return env


def can_import(python, modules, env):
    code = (
        "import importlib.util, sys; "
        f"sys.exit(0 if all(importlib.util.find_spec(m) for m in {list(modules)!r}) else 1)"
    )
    try:
        return (
            subprocess.run(
                [python, "-c", code], env=env, capture_output=True, timeout=60
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def cpu_busy_s():
    """Seconds of CPU time spent by the whole machine since boot (all cores; Linux only)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wait_for_idle(limit_s, cores, threshold=0.25):
    """Wait (at most ``limit_s``) until other processes use under ``threshold`` of the CPUs."""
    deadline = time.perf_counter() + limit_s
    while True:
        b0 = cpu_busy_s()
        if b0 is None:
            return
        time.sleep(1.0)
        busy = (cpu_busy_s() - b0) / cores
        if busy < threshold or time.perf_counter() >= deadline:
            return


def run_worker(framework, workload, epochs, cfg):
    """One measurement in a fresh process; also how busy other processes kept the CPUs."""
    busy0, own0, t0 = cpu_busy_s(), children_cpu_s(), time.perf_counter()
    res = _run_worker(framework, workload, epochs, cfg)
    wall = time.perf_counter() - t0
    if busy0 is not None and wall > 0:
        others = (cpu_busy_s() - busy0) - (children_cpu_s() - own0)
        res["others_busy"] = max(0.0, others) / (wall * cfg["cores"])
    return res


def measure(framework, workload, epochs, cfg, args):
    """A measurement, repeated (up to ``args.retries`` times) while other processes were busy.

    Keeps the attempt during which other processes used the least CPU. On an idle machine this
    is exactly one run. Past the run's time budget there is no more waiting and no repeat.
    """
    best = None
    for attempt in range(1, args.retries + 2):
        in_budget = time.perf_counter() < cfg["deadline"]
        if attempt > 1 and not in_budget:
            break
        if args.wait_idle and in_budget:
            wait_for_idle(args.wait_idle, cfg["cores"])
        res = run_worker(framework, workload, epochs, cfg)
        if not res.get("ok"):
            return best or res
        if best is None or res.get("others_busy", 0) < best.get("others_busy", 0):
            best = res
        best["attempts"] = attempt
        if res.get("others_busy", 0) <= args.max_busy:
            break
    return best


def _run_worker(framework, workload, epochs, cfg):
    cmd = [
        cfg["python"][framework],
        os.path.abspath(__file__),
        "--worker",
        framework,
        "--workload",
        workload,
        "--epochs",
        str(epochs),
        "--threads",
        str(cfg["threads"]),
        "--json",
    ]
    env = worker_env(framework, cfg["threads"], cfg["repo_src"])
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=cfg["timeout"])
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {cfg['timeout']} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"ok": False, "error": f"exit {proc.returncode}: {tail[:200]}"}


def time_import(python, module, env, repeats):
    """In-process times of ``import module`` in fresh interpreters, and anything it printed."""
    code = (
        "import time; t = time.perf_counter(); import "
        + module
        + "; print(time.perf_counter() - t)"
    )
    times, printed = [], ""
    for _ in range(repeats):
        proc = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True)
        if proc.returncode:
            return None, proc.stderr.strip().splitlines()[-1:]
        lines = proc.stdout.strip().splitlines()
        times.append(float(lines[-1]))
        printed = printed or "\n".join(lines[:-1]) + proc.stderr
    return times, printed


def machine_line():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    env = ", ".join(
        f"{v}={os.environ.get(v, 'unset')}" for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    )
    return (
        f"{cpu}, {os.cpu_count()} logical cores ({usable} usable){mem}; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()} "
        f"({sys.executable}); {blas_summary()}; {env}"
    )


def fmt_s(v):
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def fmt_range(values, fmt=fmt_s):
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med)
    return f"{fmt(med)} ({fmt(min(values))}–{fmt(max(values))})"


def fmt_us(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def fmt_metric(v):
    return f"{v:.4f}"


def ratio_text(t, t_ref):
    r = t / t_ref
    if 0.95 <= r <= 1.05:
        return "same"
    if r >= 1:
        return f"{r:.1f}× slower" if r < 10 else f"{r:.0f}× slower"
    r = 1 / r
    return f"{r:.1f}× faster" if r < 10 else f"{r:.0f}× faster"


def quiet_runs(runs, max_busy):
    """The runs during which other processes stayed under ``max_busy``; all runs if none did."""
    quiet = [r for r in runs if r.get("others_busy", 0) <= max_busy]
    return quiet or runs


def workload_table(w, results, frameworks, skipped, epochs, max_busy):
    ok = {
        fw: quiet_runs([r for r in results.get(fw, []) if r.get("ok")], max_busy)
        for fw in frameworks
    }
    lam = ok.get("lamina") or []
    t_ref = statistics.median(r["fit_s"] for r in lam) if lam else None
    lines = [f"## {w.title}", "", w.describe + f" {epochs} epoch{'s' * (epochs != 1)}.", ""]
    lines += [
        f"| framework | fit time, s | µs / step | fit time vs lamina | peak RSS, MB "
        f"| import, s | {w.metric} |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    notes, digests = [], {}
    for fw in frameworks:
        label = LABELS[fw]
        if fw in skipped:
            lines.append(f"| {label} | skipped: {skipped[fw]} | | | | | |")
            continue
        runs = ok[fw]
        failed = [r for r in results.get(fw, []) if not r.get("ok")]
        left_out = sum(1 for r in results.get(fw, []) if r.get("ok")) - len(runs)
        if not runs:
            err = failed[0]["error"] if failed else "no result"
            lines.append(f"| {label} | failed: {err} | | | | | |")
            continue
        fit = [r["fit_s"] for r in runs]
        us = [r["us_per_step"] for r in runs]
        metric = [r["metric"] for r in runs]
        metric_txt = (
            fmt_metric(metric[0]) if len(set(metric)) == 1 else fmt_range(metric, fmt_metric)
        )
        vs = (
            "—"
            if fw == "lamina"
            else (ratio_text(statistics.median(fit), t_ref) if t_ref else "n/a (no lamina result)")
        )
        lines.append(
            f"| {label} | {fmt_range(fit)} | {fmt_us(statistics.median(us))} | {vs} "
            f"| {statistics.median(r['peak_mb'] for r in runs):.0f} "
            f"| {statistics.median(r['import_s'] for r in runs):.2f} | {metric_txt} |"
        )
        steps = runs[0]["steps"]
        note = "; ".join(runs[0].get("notes", []))
        if failed:
            note += (
                f"; {len(failed)} of {len(failed) + len(runs)} runs failed: {failed[0]['error']}"
            )
        busy = [r["others_busy"] for r in runs if "others_busy" in r]
        if busy:
            note += f"; other processes {100 * statistics.median(busy):.0f}% busy meanwhile"
        repeated = sum(r.get("attempts", 1) > 1 for r in runs)
        if repeated:
            note += (
                f" ({repeated} of {len(runs)} measurements repeated because other "
                f"processes were busy; the quietest attempt kept)"
            )
        if left_out:
            note += (
                f"; {left_out} measurement(s) taken while other processes used over "
                f"{100 * max_busy:.0f}% of the CPUs left out of the figures"
            )
        elif busy and min(busy) > max_busy:
            note += "; **every measurement ran on a busy machine: figures inflated**"
        notes.append(f"- {label}: {steps:,} optimizer steps; {note}")
        digests.setdefault(runs[0]["data_digest"], []).append(label)
    lines.append("")
    if len(digests) > 1:
        notes.append(
            "- **data differ between frameworks**: "
            + "; ".join(f"{d}: {', '.join(names)}" for d, names in digests.items())
        )
    elif digests:
        notes.append(f"- same data in every framework (fingerprint {next(iter(digests))})")
    return lines + notes + [""]


def parse_pythons(items):
    out = {}
    for item in items or []:
        name, sep, path = item.partition("=")
        if not sep or name not in FRAMEWORKS:
            raise SystemExit(
                f"--python expects FRAMEWORK=INTERPRETER with FRAMEWORK one of "
                f"{', '.join(FRAMEWORKS)}; got {item!r}."
            )
        out[name] = path
    return out


def orchestrate(args):
    started = time.perf_counter()
    frameworks = [f for f in FRAMEWORKS if f in args.frameworks]
    workloads = [WORKLOADS[k] for k in args.workloads]
    rounds = 1 if args.quick and args.rounds is None else (args.rounds or 3)
    pythons = parse_pythons(args.python)
    threads = args.threads
    import importlib.util

    repo_src = importlib.util.find_spec("lamina") is None and os.path.isdir(REPO_SRC)
    cores = os.cpu_count() or 1
    cfg = {
        "python": {},
        "threads": threads,
        "repo_src": repo_src,
        "timeout": args.timeout,
        "cores": cores,
        "deadline": started + 60 * args.budget,
    }
    skipped = {}
    for fw in frameworks:
        python = pythons.get(fw, sys.executable)
        cfg["python"][fw] = python
        if not can_import(python, REQUIRES[fw], worker_env(fw, threads, repo_src)):
            hint = "" if fw in pythons else f"; pass --python {fw}=INTERPRETER"
            skipped[fw] = f"{' + '.join(REQUIRES[fw])} not importable with {python}{hint}"
    active = [f for f in frameworks if f not in skipped]
    log = (lambda *a: None) if args.silent else (lambda *a: print(*a, file=sys.stderr, flush=True))
    for fw, why in skipped.items():
        log(f"skipping {fw}: {why}")

    # import lamina vs import numpy, fresh interpreters, alternating
    imports = {}
    env = worker_env("lamina", threads, repo_src)
    repeats = 3 if args.quick else 7
    if "lamina" in active:
        lam_code = (
            "lamina; lamina.Sequential, lamina.layers.Dense, lamina.optimizers.Adam, "
            "lamina.losses, lamina.metrics"
        )
        for name, module in (
            ("import numpy", "numpy"),
            ("import lamina", "lamina"),
            ("import lamina + load Sequential, layers, optimizers, losses, metrics", lam_code),
        ):
            imports[name] = time_import(cfg["python"]["lamina"], module, env, repeats)
        log(
            "import times: "
            + ", ".join(
                f"{k.split(' +')[0]}{' +' if '+' in k else ''} {statistics.median(v[0]):.3f}s"
                for k, v in imports.items()
                if v[0]
            )
        )

    results = {w.key: {} for w in workloads}
    busy_all = []
    epochs = {w.key: args.epochs or (w.quick_epochs if args.quick else w.epochs) for w in workloads}
    for r in range(rounds):
        order = active[r % len(active) :] + active[: r % len(active)] if active else []
        for w in workloads:
            for fw in order:
                t0 = time.perf_counter()
                res = measure(fw, w.key, epochs[w.key], cfg, args)
                results[w.key].setdefault(fw, []).append(res)
                status = (
                    f"fit {res['fit_s']:.2f}s, {w.metric} {res['metric']:.4f}"
                    if res.get("ok")
                    else f"FAILED {res.get('error')}"
                )
                if "others_busy" in res:
                    busy_all.append(res["others_busy"])
                    status += f", other processes {100 * res['others_busy']:.0f}% busy"
                if res.get("attempts", 1) > 1:
                    status += f", best of {res['attempts']} attempts"
                log(
                    f"round {r + 1}/{rounds} {w.key} {fw:<7} {status} "
                    f"[{time.perf_counter() - t0:.1f}s]"
                )
    elapsed = time.perf_counter() - started

    out = ["# lamina training benchmark", ""]
    out.append(f"- Machine: {machine_line()}")
    versions, blas, threads_seen = {}, {}, {}
    for per_fw in results.values():
        for fw, runs in per_fw.items():
            for run in runs:
                if run.get("ok"):
                    versions.update(run.get("versions", {}))
                    blas.setdefault(run["python"], run["blas"])
                    if run.get("threads_extra"):
                        threads_seen[LABELS[fw]] = run["threads_extra"]
    if versions:
        out.append("- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    for fw in active:
        out.append(f"- {LABELS[fw]} ran with `{cfg['python'][fw]}`")
    for python, text in blas.items():
        if python != sys.executable:
            out.append(f"- `{python}`: {text}")
    out.append(
        f"- Threads: every worker ran with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and "
        f"MKL_NUM_THREADS = {threads}" + "".join(f"; {k}: {v}" for k, v in threads_seen.items())
    )
    out.append(
        f"- Method: {rounds} round(s), each measurement in a fresh process, frameworks in turn "
        f"(the starting framework rotates each round); median (min–max) over rounds. A "
        f"measurement during which other processes used over {100 * args.max_busy:.0f}% of the "
        f"CPUs is repeated (at most {args.retries} times, within the {args.budget:g}-minute "
        f"budget) and the quietest attempt kept; one still over that is left out of the "
        f"figures when the framework has a quieter one. Fit time "
        f"is wall clock around the fit call (or training loop) only; µs / step = fit time / "
        f"optimizer steps; peak RSS = ru_maxrss of the worker process; import = time to "
        f"import the framework in that process."
    )
    out.append(f"- Whole run: {elapsed / 60:.1f} min")
    if busy_all:
        line = (
            f"- Other processes on the machine used {100 * statistics.median(busy_all):.0f}% "
            f"of its CPU time during the measurements (median; max "
            f"{100 * max(busy_all):.0f}%)"
        )
        if max(busy_all) > 0.1:
            line += (
                ": **the machine was shared**, so timings are inflated and noisier than on "
                "an idle machine (multi-threaded runs suffer most)"
            )
        out.append(line)
    out.append("")
    if imports:
        out += [
            f"## Import time (fresh interpreter, in-process, median of {repeats})",
            "",
            "| statement | seconds |",
            "|---|---:|",
        ]
        for name, (times, printed) in imports.items():
            if times is None:
                out.append(f"| `{name}` | failed: {' '.join(printed)} |")
            else:
                out.append(f"| `{name}` | {fmt_range(times)} |")
                if printed.strip():
                    out.append(f"| (`{name}` printed: {printed.strip()[:80]!r}) | |")
        out.append("")
    for w in workloads:
        out += workload_table(w, results[w.key], frameworks, skipped, epochs[w.key], args.max_busy)
    text = "\n".join(out)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        log(f"wrote {args.out}")
    if args.raw:
        with open(args.raw, "w", encoding="utf-8") as f:
            json.dump({"imports": imports, "results": results, "elapsed_s": elapsed}, f, indent=1)
        log(f"wrote {args.raw}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--worker",
        choices=FRAMEWORKS,
        help="run one measurement in this process (used by the orchestrator)",
    )
    parser.add_argument(
        "--workload", choices=sorted(WORKLOADS), default="W1", help="workload for --worker"
    )
    parser.add_argument("--json", action="store_true", help="worker: print the result as JSON")
    parser.add_argument("--frameworks", nargs="+", choices=FRAMEWORKS, default=list(FRAMEWORKS))
    parser.add_argument(
        "--workloads", nargs="+", choices=sorted(WORKLOADS), default=sorted(WORKLOADS)
    )
    parser.add_argument(
        "--python",
        action="append",
        metavar="FRAMEWORK=INTERPRETER",
        help="interpreter for one framework (repeatable); default: this one",
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 3, --quick 1)")
    parser.add_argument(
        "--epochs", type=int, default=None, help="override every workload's epoch count"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 1 round, 1-2 epochs per workload"
    )
    default_threads = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=default_threads,
        help=f"threads for every framework (default: usable cores, {default_threads})",
    )
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds before a worker is stopped"
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each measurement wait up to SECONDS for other processes "
        "to use under 25%% of the CPUs (for shared machines)",
    )
    parser.add_argument(
        "--max-busy",
        type=float,
        default=0.15,
        metavar="FRACTION",
        help="repeat a measurement during which other processes used more than "
        "this share of the CPUs (default 0.15)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="at most this many repeats per measurement (default 2)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=10,
        metavar="MINUTES",
        help="no more waiting (--wait-idle) or repeats once the run has taken "
        "this long (default 10)",
    )
    parser.add_argument("--out", help="also write the Markdown to this file")
    parser.add_argument("--raw", help="write every measurement as JSON to this file")
    parser.add_argument("--silent", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args)
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())


# -- shared by the one-workload scripts (bench_cnn.py, bench_rnn.py, bench_transformer.py) ------

def import_lamina():
    """Import lamina in a worker, from the repository's src/ when it is not installed."""
    import importlib.util

    if importlib.util.find_spec("lamina") is None:
        sys.path.insert(0, REPO_SRC)
    import lamina

    return lamina


def keras_like(framework):
    """The Keras-style module a one-workload worker trains with: lamina, or Keras 3 on
    TensorFlow."""
    if framework == "lamina":
        return import_lamina()
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def timed_fit(keras, model, x, y, batch_size, epochs):
    """``model.fit`` with every train step timed: ``(history, fit seconds, step seconds)``."""
    times = []

    class StepTimes(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.t = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            times.append(time.perf_counter() - self.t)

    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                        callbacks=[StepTimes()])
    return history, time.perf_counter() - start, times


def step_rounds(frameworks, wanted, python_args, threads, rounds, measure_one):
    """Run ``measure_one(framework, python, repo_src)`` for each usable framework, ``rounds``
    times in a rotating order, printing each step time; returns (usable, results, seconds)."""
    import importlib.util

    pythons = parse_pythons(python_args)
    repo_src = importlib.util.find_spec("lamina") is None and os.path.isdir(REPO_SRC)
    usable = []
    for fw in (f for f in frameworks if f in wanted):
        python = pythons.get(fw, sys.executable)
        if can_import(python, REQUIRES[fw], worker_env(fw, threads, repo_src)):
            usable.append(fw)
        else:
            print(f"skipping {fw}: not importable with {python}", file=sys.stderr)
    results: dict = {}
    started = time.perf_counter()
    for r in range(rounds):
        for fw in usable[r % len(usable):] + usable[:r % len(usable)]:
            res = measure_one(fw, pythons.get(fw, sys.executable), repo_src)
            results.setdefault(fw, []).append(res)
            shown = f"{1e3 * res['step_s']:.1f} ms/step" if res.get("ok") else res.get("error")
            print(f"round {r + 1}: {fw}: {shown}", file=sys.stderr, flush=True)
    return usable, results, time.perf_counter() - started


def run_marked_worker(cmd, framework, threads, repo_src, timeout, mark):
    """Run a worker process; its result is the JSON on its last line starting with ``mark``."""
    env = worker_env(framework, threads, repo_src)
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(mark):
            return json.loads(line[len(mark):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"ok": False, "error": f"exit {proc.returncode}: {tail[:200]}"}


def workload_parser(doc, frameworks):
    """The arguments every one-workload script takes (add its own after)."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--worker", choices=frameworks)
    p.add_argument("--frameworks", nargs="+", default=list(frameworks))
    p.add_argument("--python", action="append", metavar="FRAMEWORK=INTERPRETER")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--timeout", type=int, default=900)
    p.add_argument("--out")
    return p


def emit(text, out_path):
    """Print the Markdown and, with ``--out``, write it to that file too."""
    print(text)
    if out_path:
        with open(out_path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
