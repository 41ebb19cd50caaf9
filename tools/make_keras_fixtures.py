#!/usr/bin/env python
"""Generate numeric reference fixtures from real Keras for lamina's tests.

This script is the ONLY place in the project that needs TensorFlow/Keras.
lamina itself and its CI only read the files it writes.

Usage (reference environment lives outside the repository):

    python3 -m venv /opt/keras-ref
    /opt/keras-ref/bin/pip install tensorflow-cpu==2.21.0 h5py pandas
    /opt/keras-ref/bin/python tools/make_keras_fixtures.py

Output: tests/fixtures/keras/<category>.json (a list of cases) and
tests/fixtures/keras/<category>.npz (arrays keyed "<case_id>/<array_name>").
Everything is deterministic: every input and every weight comes from a fixed
numpy seed and is assigned explicitly, so nothing depends on TF's RNG.
"""

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

warnings.filterwarnings("ignore")
tf.get_logger().setLevel("ERROR")
tf.config.experimental.enable_op_determinism()
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "tests" / "fixtures" / "keras"
F32 = np.float32
ID_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def to_jsonable(obj):
    """Convert (possibly odd) Keras config objects to plain JSON values."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        return v
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "numpy"):
        try:
            return to_jsonable(np.asarray(obj.numpy()))
        except Exception:  # pragma: no cover - fallback
            pass
    return str(obj)


def np32(x):
    return np.asarray(x, dtype=F32)


class Category:
    """Collects cases (JSON metadata) and arrays (npz) for one category."""

    def __init__(self, name, f64_names=()):
        self.name = name
        self.f64_names = tuple(f64_names)
        self.cases = []
        self.arrays = {}
        self.ids = set()

    def add(self, case_id, meta, arrays):
        assert ID_RE.match(case_id), case_id
        assert case_id not in self.ids, case_id
        self.ids.add(case_id)
        names = []
        for k, v in arrays.items():
            a = np.asarray(v)
            if a.dtype == np.float64 and k not in self.f64_names:
                a = a.astype(F32)
            assert "/" not in k
            self.arrays[f"{case_id}/{k}"] = a
            names.append(k)
        case = {"id": case_id}
        case.update(meta)
        case["arrays"] = names
        self.cases.append(to_jsonable(case))

    def write(self):
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        with open(OUT_DIR / f"{self.name}.json", "w") as f:
            json.dump(self.cases, f, indent=1, sort_keys=False)
            f.write("\n")
        np.savez_compressed(OUT_DIR / f"{self.name}.npz", **self.arrays)
        print(f"{self.name}: {len(self.cases)} cases, "
              f"{len(self.arrays)} arrays", file=sys.stderr)


def grad_of_weighted_sum(fn, inputs, c):
    """Return (y, [d sum(fn(*inputs) * c) / d input_i])."""
    ts = [tf.constant(a) for a in inputs]
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        y = fn(*ts)
        s = tf.reduce_sum(y * tf.constant(c))
    grads = tape.gradient(s, ts)
    return y.numpy(), [g.numpy() if g is not None else None for g in grads]


# --------------------------------------------------------------------------
# 1. activations
# --------------------------------------------------------------------------
def make_activations():
    cat = Category("activations")
    rng = np.random.default_rng(1001)
    # 24 values in [-4, 4]: exact 0, kinks (0, +-3 for hard_sigmoid /
    # hard_silu, 0.5 for threshold, 2.0 for max_value=2) and points near them.
    vals = np.array([
        -4.0, -3.5, -3.0, -2.999, -2.0, -1.0,
        -0.5, -0.001, 0.0, 0.001, 0.25, 0.499,
        0.5, 0.501, 1.0, 1.5, 1.999, 2.0,
        2.001, 2.5, 2.999, 3.0, 3.001, 4.0,
    ], dtype=F32)
    x = vals[rng.permutation(24)].reshape(4, 6)
    c = np32(rng.standard_normal((4, 6)))
    A = keras.activations

    specs = [
        ("relu", "relu", {}),
        ("relu_negative_slope", "relu", {"negative_slope": 0.1}),
        ("relu_max_value", "relu", {"max_value": 6.0}),
        ("relu_threshold", "relu", {"threshold": 0.5}),
        ("relu_combined", "relu",
         {"negative_slope": 0.1, "max_value": 2.0, "threshold": 0.5}),
        ("sigmoid", "sigmoid", {}),
        ("softmax", "softmax", {"axis": -1}),
        ("softmax_axis0", "softmax", {"axis": 0}),
        ("tanh", "tanh", {}),
        ("linear", "linear", {}),
        ("elu", "elu", {}),
        ("selu", "selu", {}),
        ("gelu", "gelu", {"approximate": False}),
        ("gelu_approximate", "gelu", {"approximate": True}),
        ("softplus", "softplus", {}),
        ("softsign", "softsign", {}),
        ("silu", "silu", {}),
        ("leaky_relu", "leaky_relu", {}),
        ("relu6", "relu6", {}),
        ("exponential", "exponential", {}),
        ("hard_sigmoid", "hard_sigmoid", {}),
        ("hard_silu", "hard_silu", {}),
        ("log_softmax", "log_softmax", {}),
        ("mish", "mish", {}),
    ]
    for cid, name, kw in specs:
        fn = getattr(A, name)
        y, (dx,) = grad_of_weighted_sum(lambda t, fn=fn, kw=kw: fn(t, **kw), [x], c)
        try:
            kc = A.serialize(fn)
        except Exception as e:  # pragma: no cover
            kc = str(e)
        cat.add(cid, {"fn": name, "config": kw, "keras_config": kc},
                {"x": x, "c": c, "y": y, "dx": dx})

    # relu6 / max_value kinks live outside [-4, 4]: a widened input as well.
    x_wide = np32(x * 2.0)
    for cid, name, kw in [("relu6_wide", "relu6", {}),
                          ("relu_max_value_wide", "relu", {"max_value": 6.0})]:
        fn = getattr(A, name)
        y, (dx,) = grad_of_weighted_sum(lambda t, fn=fn, kw=kw: fn(t, **kw), [x_wide], c)
        cat.add(cid, {"fn": name, "config": kw,
                      "keras_config": A.serialize(fn),
                      "note": "input is the common x times 2 (range [-8, 8])"},
                {"x": x_wide, "c": c, "y": y, "dx": dx})
    cat.write()
    return cat


# --------------------------------------------------------------------------
# 2. layers
# --------------------------------------------------------------------------
def layer_case(cat, cid, cls_name, config, x, rng):
    layer = getattr(keras.layers, cls_name)(**config)
    xt = tf.constant(x)
    layer(xt)  # build
    weights = [np32(rng.standard_normal(w.shape) * 0.5)
               for w in layer.get_weights()]
    if weights:
        layer.set_weights(weights)
    c = None
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
        c = np32(rng.standard_normal(y.shape))
        s = tf.reduce_sum(y * tf.constant(c))
    wvars = list(layer.weights)
    grads = tape.gradient(s, [xt] + wvars)
    arrays = {"x": x}
    for i, w in enumerate(weights):
        arrays[f"w{i}"] = w
    arrays["y"] = y.numpy()
    arrays["c"] = c
    arrays["dx"] = grads[0].numpy()
    for i, g in enumerate(grads[1:]):
        arrays[f"dw{i}"] = g.numpy()
    cat.add(cid, {"class": cls_name, "config": config,
                  "keras_config": layer.get_config(),
                  "weight_names": [w.path for w in wvars]}, arrays)


def make_layers():
    cat = Category("layers")
    rng = np.random.default_rng(2002)
    x2 = np32(rng.uniform(-2, 2, (5, 4)))
    x3 = np32(rng.uniform(-2, 2, (2, 3, 4)))
    for act in [None, "relu", "sigmoid", "softmax", "tanh"]:
        cid = f"dense_{act or 'linear'}"
        layer_case(cat, cid, "Dense", {"units": 3, "activation": act}, x2, rng)
    layer_case(cat, "dense_no_bias", "Dense",
               {"units": 3, "use_bias": False}, x2, rng)
    layer_case(cat, "dense_rank3", "Dense",
               {"units": 3, "activation": "relu"}, x3, rng)
    layer_case(cat, "activation_relu", "Activation",
               {"activation": "relu"}, x2, rng)
    layer_case(cat, "flatten", "Flatten", {}, x3, rng)
    layer_case(cat, "reshape", "Reshape", {"target_shape": [6, 2]}, x3, rng)
    cat.write()
    return cat


# --------------------------------------------------------------------------
# 3. losses
# --------------------------------------------------------------------------
def make_losses():
    cat = Category("losses")
    rng = np.random.default_rng(3003)
    L = keras.losses

    def probs(n, k):
        p = rng.uniform(0.05, 1.0, (n, k))
        return p / p.sum(axis=1, keepdims=True)

    reg_true = np32(rng.standard_normal((5, 3)))
    reg_pred = np32(rng.standard_normal((5, 3)))
    mape_true = np32(rng.uniform(0.5, 3.0, (5, 3)) * rng.choice([-1, 1], (5, 3)))
    msle_true = np32(rng.uniform(0.0, 3.0, (5, 3)))
    msle_pred = np32(rng.uniform(0.0, 3.0, (5, 3)))
    msle_pred[1, 2] = -0.5   # exercised: maximum(y, epsilon) clamps negatives
    msle_true[3, 0] = 0.0
    bin_true = np32(rng.integers(0, 2, (5, 3)))
    bin_prob = np32(rng.uniform(0.02, 0.98, (5, 3)))
    bin_prob[0, 0], bin_prob[1, 1] = 0.0, 1.0   # exact 0 and 1 (clipping)
    bin_true[0, 0], bin_true[1, 1] = 1.0, 0.0   # ... where it matters most
    bin_prob[2, 2], bin_true[2, 2] = 1.0, 1.0   # exact 1 on the right class
    bin_logits = np32(rng.standard_normal((5, 3)) * 2)
    bin_col_true = np32(rng.integers(0, 2, (5, 1)))
    bin_col_pred = np32(rng.uniform(0.05, 0.95, (5, 1)))
    labels = np.array([0, 2, 1, 0, 2], dtype=np.int32)
    onehot = np32(np.eye(3)[labels])
    cat_prob = np32(probs(5, 3))
    cat_prob[0] = [1.0, 0.0, 0.0]   # exact 1 on the true class
    cat_prob[1] = [0.0, 1.0, 0.0]   # exact 0 on the true class (label 2)
    cat_logits = np32(rng.standard_normal((5, 3)) * 2)
    cat_unnorm = np32(rng.uniform(0.1, 2.0, (5, 3)))  # rows do not sum to 1
    hinge_pm = np32(rng.choice([-1.0, 1.0], (5, 3)))
    hinge_01 = np32(rng.integers(0, 2, (5, 3)))
    hinge_pred = np32(rng.standard_normal((5, 3)))
    kld_true = np32(probs(5, 3))
    kld_true[2, 1] = 0.0   # clipped to epsilon inside KLD
    kld_pred = np32(probs(5, 3))
    pois_true = np32(rng.integers(0, 4, (5, 3)))
    pois_pred = np32(rng.uniform(0.1, 3.0, (5, 3)))
    cos_true = np32(rng.standard_normal((5, 3)))
    cos_pred = np32(rng.standard_normal((5, 3)))
    sw = np32([1.0, 0.5, 0.0, 2.0, 0.7])   # sums to 4.2, not 5

    # (id, class, class kwargs, fn name, fn kwargs, y_true, y_pred, sw)
    specs = [
        ("mse", "MeanSquaredError", {}, "mean_squared_error", {},
         reg_true, reg_pred, None),
        ("mae", "MeanAbsoluteError", {}, "mean_absolute_error", {},
         reg_true, reg_pred, None),
        ("mape", "MeanAbsolutePercentageError", {},
         "mean_absolute_percentage_error", {}, mape_true, reg_pred, None),
        ("msle", "MeanSquaredLogarithmicError", {},
         "mean_squared_logarithmic_error", {}, msle_true, msle_pred, None),
        ("huber", "Huber", {}, "huber", {}, reg_true, reg_pred * 2, None),
        ("huber_delta0p5", "Huber", {"delta": 0.5}, "huber", {"delta": 0.5},
         reg_true, reg_pred * 2, None),
        ("log_cosh", "LogCosh", {}, "log_cosh", {}, reg_true, reg_pred, None),
        ("bce", "BinaryCrossentropy", {}, "binary_crossentropy", {},
         bin_true, bin_prob, None),
        ("bce_from_logits", "BinaryCrossentropy", {"from_logits": True},
         "binary_crossentropy", {"from_logits": True},
         bin_true, bin_logits, None),
        ("bce_label_smoothing", "BinaryCrossentropy",
         {"label_smoothing": 0.1}, "binary_crossentropy",
         {"label_smoothing": 0.1}, bin_true, bin_prob, None),
        ("bce_col", "BinaryCrossentropy", {}, "binary_crossentropy", {},
         bin_col_true, bin_col_pred, None),
        ("cce", "CategoricalCrossentropy", {}, "categorical_crossentropy", {},
         onehot, cat_prob, None),
        ("cce_from_logits", "CategoricalCrossentropy", {"from_logits": True},
         "categorical_crossentropy", {"from_logits": True},
         onehot, cat_logits, None),
        ("cce_label_smoothing", "CategoricalCrossentropy",
         {"label_smoothing": 0.2}, "categorical_crossentropy",
         {"label_smoothing": 0.2}, onehot, cat_prob, None),
        ("cce_unnormalised", "CategoricalCrossentropy", {},
         "categorical_crossentropy", {}, onehot, cat_unnorm, None),
        ("scce", "SparseCategoricalCrossentropy", {},
         "sparse_categorical_crossentropy", {}, labels, cat_prob, None),
        ("scce_from_logits", "SparseCategoricalCrossentropy",
         {"from_logits": True}, "sparse_categorical_crossentropy",
         {"from_logits": True}, labels, cat_logits, None),
        ("scce_ignore_class0", "SparseCategoricalCrossentropy",
         {"ignore_class": 0}, "sparse_categorical_crossentropy",
         {"ignore_class": 0}, labels, cat_prob, None),
        ("scce_ignore_class0_from_logits", "SparseCategoricalCrossentropy",
         {"ignore_class": 0, "from_logits": True},
         "sparse_categorical_crossentropy",
         {"ignore_class": 0, "from_logits": True}, labels, cat_logits, None),
        ("scce_unnormalised", "SparseCategoricalCrossentropy", {},
         "sparse_categorical_crossentropy", {}, labels, cat_unnorm, None),
        ("scce_ytrue_col", "SparseCategoricalCrossentropy", {},
         "sparse_categorical_crossentropy", {}, labels.reshape(5, 1),
         cat_prob, None),
        ("hinge", "Hinge", {}, "hinge", {}, hinge_pm, hinge_pred, None),
        ("hinge_01_labels", "Hinge", {}, "hinge", {}, hinge_01, hinge_pred,
         None),
        ("squared_hinge", "SquaredHinge", {}, "squared_hinge", {},
         hinge_pm, hinge_pred, None),
        ("squared_hinge_01_labels", "SquaredHinge", {}, "squared_hinge", {},
         hinge_01, hinge_pred, None),
        ("categorical_hinge", "CategoricalHinge", {}, "categorical_hinge", {},
         onehot, hinge_pred, None),
        ("kld", "KLDivergence", {}, "kl_divergence", {},
         kld_true, kld_pred, None),
        ("poisson", "Poisson", {}, "poisson", {}, pois_true, pois_pred, None),
        ("cosine_similarity", "CosineSimilarity", {"axis": -1},
         "cosine_similarity", {"axis": -1}, cos_true, cos_pred, None),
        # reductions (MeanSquaredError)
        ("mse_reduction_sum", "MeanSquaredError", {"reduction": "sum"},
         "mean_squared_error", {}, reg_true, reg_pred, None),
        ("mse_reduction_none", "MeanSquaredError", {"reduction": "none"},
         "mean_squared_error", {}, reg_true, reg_pred, None),
        ("mse_reduction_mean", "MeanSquaredError", {"reduction": "mean"},
         "mean_squared_error", {}, reg_true, reg_pred, None),
        ("mse_reduction_sum_over_batch_size", "MeanSquaredError",
         {"reduction": "sum_over_batch_size"}, "mean_squared_error", {},
         reg_true, reg_pred, None),
        # sample weights
        ("mse_sample_weight", "MeanSquaredError", {}, "mean_squared_error",
         {}, reg_true, reg_pred, sw),
        ("mse_sample_weight_sum", "MeanSquaredError", {"reduction": "sum"},
         "mean_squared_error", {}, reg_true, reg_pred, sw),
        ("mse_sample_weight_none", "MeanSquaredError", {"reduction": "none"},
         "mean_squared_error", {}, reg_true, reg_pred, sw),
        ("mse_sample_weight_mean_with_sample_weight", "MeanSquaredError",
         {"reduction": "mean_with_sample_weight"}, "mean_squared_error", {},
         reg_true, reg_pred, sw),
        ("cce_sample_weight", "CategoricalCrossentropy", {},
         "categorical_crossentropy", {}, onehot, cat_prob, sw),
    ]
    for (cid, cls_name, kw, fn_name, fn_kw, yt, yp, w) in specs:
        loss_obj = getattr(L, cls_name)(**kw)
        fn = getattr(L, fn_name)
        ypt = tf.constant(yp)
        with tf.GradientTape() as tape:
            tape.watch(ypt)
            if w is None:
                val = loss_obj(tf.constant(yt), ypt)
            else:
                val = loss_obj(tf.constant(yt), ypt,
                               sample_weight=tf.constant(w))
            c = None
            if len(val.shape) > 0:
                c = np32(rng.standard_normal(val.shape))
                s = tf.reduce_sum(val * tf.constant(c))
            else:
                s = val
        dy = tape.gradient(s, ypt).numpy()
        fn_out = fn(tf.constant(yt), tf.constant(yp), **fn_kw).numpy()
        arrays = {"y_true": yt, "y_pred": yp}
        if w is not None:
            arrays["sample_weight"] = w
        arrays["loss"] = val.numpy()
        if c is not None:
            arrays["c"] = c
        arrays["dy_pred"] = dy
        arrays["fn_out"] = fn_out
        cat.add(cid, {"class": cls_name, "fn": fn_name, "config": kw,
                      "fn_kwargs": fn_kw,
                      "keras_config": loss_obj.get_config()}, arrays)
    cat.write()
    return cat


# --------------------------------------------------------------------------
# 4. optimizers
# --------------------------------------------------------------------------
def make_optimizers():
    cat = Category("optimizers")
    rng = np.random.default_rng(4004)
    v0_init = np32(rng.standard_normal((3, 2)))
    v1_init = np32(rng.standard_normal((2,)))
    grads = []
    for k in range(5):
        g0 = np32(rng.standard_normal((3, 2)))
        g1 = np32(rng.standard_normal((2,)))
        if k % 2 == 1:           # small steps: below the clip thresholds
            g0 = np32(g0 * 0.05)
            g1 = np32(g1 * 0.05)
        grads.append((g0, g1))
    optimizers = keras.optimizers
    S = keras.optimizers.schedules
    specs = [
        ("sgd", "SGD", {}),
        ("sgd_momentum", "SGD", {"momentum": 0.9}),
        ("sgd_nesterov", "SGD", {"momentum": 0.9, "nesterov": True}),
        ("adam", "Adam", {}),
        ("adam_amsgrad", "Adam", {"amsgrad": True}),
        ("adam_beta1_eps", "Adam", {"beta_1": 0.8, "epsilon": 1e-5}),
        ("adamw", "AdamW", {}),
        ("adamw_wd0p1", "AdamW", {"weight_decay": 0.1}),
        ("rmsprop", "RMSprop", {}),
        ("rmsprop_momentum", "RMSprop", {"momentum": 0.5}),
        ("rmsprop_centered", "RMSprop", {"centered": True}),
        ("adagrad", "Adagrad", {}),
        ("adadelta_lr1", "Adadelta", {"learning_rate": 1.0}),
        ("adamax", "Adamax", {}),
        ("nadam", "Nadam", {}),
        ("sgd_clipnorm", "SGD", {"clipnorm": 0.5}),
        ("sgd_clipvalue", "SGD", {"clipvalue": 0.1}),
        ("sgd_global_clipnorm", "SGD", {"global_clipnorm": 0.5}),
        ("adam_exponential_decay", "Adam", {"learning_rate": {
            "schedule": "ExponentialDecay",
            "initial_learning_rate": 0.01, "decay_steps": 2,
            "decay_rate": 0.5}}),
    ]
    for cid, cls_name, kw in specs:
        real_kw = dict(kw)
        lr = kw.get("learning_rate")
        if isinstance(lr, dict):
            lr = dict(lr)
            sched = getattr(S, lr.pop("schedule"))(**lr)
            real_kw["learning_rate"] = sched
        opt = getattr(optimizers, cls_name)(**real_kw)
        v0 = keras.Variable(v0_init, dtype="float32", name="v0")
        v1 = keras.Variable(v1_init, dtype="float32", name="v1")
        arrays = {"v0_init": v0_init, "v1_init": v1_init}
        lrs = []
        for k, (g0, g1) in enumerate(grads):
            if k == 0:
                opt.build([v0, v1])
            lrs.append(float(np.asarray(opt.learning_rate)))
            opt.apply_gradients(zip([tf.constant(g0), tf.constant(g1)],
                                    [v0, v1]))
            arrays[f"g0_step{k}"] = g0
            arrays[f"g1_step{k}"] = g1
            arrays[f"v0_step{k}"] = np.asarray(v0.numpy())
            arrays[f"v1_step{k}"] = np.asarray(v1.numpy())
        arrays["lr"] = np32(lrs)
        cat.add(cid, {"class": cls_name, "config": kw,
                      "keras_config": opt.get_config(),
                      "steps": 5,
                      "note": "lr[k] = optimizer.learning_rate read just "
                              "before step k"}, arrays)
    cat.write()
    return cat


# --------------------------------------------------------------------------
# 5. schedules
# --------------------------------------------------------------------------
def make_schedules():
    cat = Category("schedules", f64_names=("values",))
    S = keras.optimizers.schedules
    specs = [
        ("exponential_decay", "ExponentialDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}),
        ("exponential_decay_staircase", "ExponentialDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5,
          "staircase": True}),
        ("inverse_time_decay", "InverseTimeDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5}),
        ("inverse_time_decay_staircase", "InverseTimeDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5,
          "staircase": True}),
        ("piecewise_constant_decay", "PiecewiseConstantDecay",
         {"boundaries": [5, 10, 15], "values": [1.0, 0.5, 0.1, 0.01]}),
        ("polynomial_decay", "PolynomialDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 10,
          "end_learning_rate": 0.01}),
        ("polynomial_decay_cycle_power2", "PolynomialDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 6,
          "end_learning_rate": 0.01, "power": 2.0, "cycle": True}),
        ("cosine_decay", "CosineDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 15}),
        ("cosine_decay_alpha", "CosineDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 15, "alpha": 0.1}),
        ("cosine_decay_warmup", "CosineDecay",
         {"initial_learning_rate": 0.0, "decay_steps": 10, "alpha": 0.1,
          "warmup_target": 0.2, "warmup_steps": 5}),
    ]
    steps = np.arange(21)
    for cid, cls_name, kw in specs:
        sched = getattr(S, cls_name)(**kw)
        values = np.array([float(np.asarray(sched(int(s)))) for s in steps],
                          dtype=np.float64)
        cat.add(cid, {"class": cls_name, "config": kw,
                      "keras_config": sched.get_config(),
                      "note": "values computed by Keras in float32, stored "
                              "as float64"},
                {"steps": steps.astype(np.int32), "values": values})
    cat.write()
    return cat


# --------------------------------------------------------------------------
# 6. training
# --------------------------------------------------------------------------
def init_weights(model, rng, bn_special=True):
    ws = []
    for v in model.weights:
        p = v.path
        shape = tuple(v.shape)
        if p.endswith("kernel"):
            a = rng.standard_normal(shape) * np.sqrt(2.0 / (shape[0] + shape[1]))
        elif p.endswith("bias"):
            a = rng.standard_normal(shape) * 0.1
        elif p.endswith("gamma"):
            a = 1.0 + 0.1 * rng.standard_normal(shape)
        elif p.endswith("beta"):
            a = 0.1 * rng.standard_normal(shape)
        elif p.endswith("moving_mean"):
            a = 0.05 * rng.standard_normal(shape)
        elif p.endswith("moving_variance"):
            a = 1.0 + 0.1 * np.abs(rng.standard_normal(shape))
        else:  # pragma: no cover
            raise ValueError(p)
        ws.append(np32(a))
    model.set_weights(ws)
    return ws


def history_dict(h):
    return {k: [float(x) for x in v] for k, v in h.history.items()}


def make_training():
    cat = Category("training")
    rng = np.random.default_rng(6006)
    K = keras
    x = np32(rng.standard_normal((40, 4)))
    w_true = rng.standard_normal((4, 3))
    y = np.argmax(x @ w_true + 0.5 * rng.standard_normal((40, 3)),
                  axis=1).astype(np.int32)

    def clf_model(bn=False):
        layers = [K.Input((4,)),
                  K.layers.Dense(8, activation="relu", name="hidden")]
        if bn:
            layers.append(K.layers.BatchNormalization(name="bn"))
        layers.append(K.layers.Dense(3, activation="softmax", name="out"))
        return K.Sequential(layers, name="clf")

    base_model = clf_model()
    clf_init = init_weights(base_model, rng)
    del base_model

    def run_case(cid, model, init, opt_name, opt_kw, loss, metrics, fit_kw,
                 data, extra_arrays=None, after=None):
        model.set_weights(init)
        opt = getattr(K.optimizers, opt_name)(**opt_kw)
        model.compile(optimizer=opt, loss=loss, metrics=metrics)
        xs, ys = data
        hist = model.fit(xs, ys, verbose=0, **fit_kw)
        final = model.get_weights()
        arrays = {"x": xs, "y": ys}
        if extra_arrays:
            arrays.update(extra_arrays)
        for i, w in enumerate(init):
            arrays[f"w{i}_init"] = w
        for i, w in enumerate(final):
            arrays[f"w{i}_final"] = w
        meta = {
            "class": "Sequential",
            "config": {"optimizer": opt_name, "optimizer_kwargs": opt_kw,
                       "loss": loss, "metrics": metrics,
                       "fit_kwargs": {k: v for k, v in fit_kw.items()
                                      if k != "validation_data"},
                       "validation_data": "validation_data" in fit_kw},
            "keras_config": {"model": model.get_config(),
                             "optimizer": opt.get_config()},
            "weight_names": [v.path for v in model.weights],
            "history": history_dict(hist),
        }
        if after is not None:
            after(model, meta, arrays)
        cat.add(cid, meta, arrays)

    fit_kw = {"batch_size": 8, "epochs": 2, "shuffle": False}
    for cid, opt_name, opt_kw in [
        ("clf_adam", "Adam", {}),
        ("clf_sgd_nesterov", "SGD",
         {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
        ("clf_rmsprop", "RMSprop", {}),
        ("clf_adamw", "AdamW", {}),
    ]:
        def after(model, meta, arrays, cid=cid):
            if cid != "clf_adam":
                return
            ev = model.evaluate(x, y, batch_size=16, return_dict=True,
                                verbose=0)
            meta["evaluate"] = {k: float(v) for k, v in ev.items()}
            meta["evaluate_kwargs"] = {"batch_size": 16}
            arrays["predict"] = model.predict(x, batch_size=16, verbose=0)
        run_case(cid, clf_model(), clf_init, opt_name, opt_kw,
                 "sparse_categorical_crossentropy", ["accuracy"], fit_kw,
                 (x, y), after=after)

    # regression, last partial batch (50 = 16+16+16+2), validation data
    xr = np32(rng.standard_normal((50, 3)))
    yr = np32(xr @ rng.standard_normal((3, 1)) + 0.1 * rng.standard_normal((50, 1)))
    xv = np32(rng.standard_normal((10, 3)))
    yv = np32(xv @ rng.standard_normal((3, 1)))

    def reg_model(l2=None):
        kw = {}
        if l2 is not None:
            kw["kernel_regularizer"] = K.regularizers.l2(l2)
        return K.Sequential([K.Input((3,)),
                             K.layers.Dense(5, activation="relu",
                                            name="hidden", **kw),
                             K.layers.Dense(1, name="out")], name="reg")

    m = reg_model()
    reg_init = init_weights(m, rng)
    del m
    run_case("reg_adam_mae_val", reg_model(), reg_init, "Adam", {}, "mae", [],
             {"batch_size": 16, "epochs": 2, "shuffle": False,
              "validation_data": (xv, yv)}, (xr, yr),
             extra_arrays={"x_val": xv, "y_val": yv})

    def after_reg(model, meta, arrays):
        ev = model.evaluate(xr, yr, batch_size=16, return_dict=True,
                            verbose=0)
        meta["evaluate"] = {k: float(v) for k, v in ev.items()}
        meta["evaluate_kwargs"] = {"batch_size": 16}
        meta["regularization_after"] = float(
            0.01 * np.sum(np.square(model.get_weights()[0])))
        arrays["predict"] = model.predict(xr, batch_size=16, verbose=0)

    run_case("reg_adam_mae_l2", reg_model(0.01), reg_init, "Adam", {}, "mae",
             [], {"batch_size": 16, "epochs": 2, "shuffle": False}, (xr, yr),
             after=after_reg)

    # BatchNormalization between the Dense layers
    m = clf_model(bn=True)
    bn_init = init_weights(m, rng)
    del m

    def after_bn(model, meta, arrays):
        arrays["predict"] = model.predict(x, batch_size=16, verbose=0)
        meta["bn_weight_indices"] = {"gamma": 2, "beta": 3,
                                     "moving_mean": 4, "moving_variance": 5}

    run_case("clf_batchnorm_adam", clf_model(bn=True), bn_init, "Adam", {},
             "sparse_categorical_crossentropy", ["accuracy"], fit_kw, (x, y),
             after=after_bn)
    cat.write()
    return cat


def make_api_attributes():
    """The public attributes of Keras's Layer and Model classes (names only, no values).

    lamina's tests check that each one either works or says it is a Keras API
    that lamina does not provide.
    """
    inputs = keras.Input(shape=(3,))
    functional = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    sequential = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    objects = {"Layer": keras.layers.Layer(), "Model": keras.Model(),
               "Sequential": sequential, "Functional": functional}
    names = {kind: sorted(n for n in dir(obj) if not n.startswith("_"))
             for kind, obj in objects.items()}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(OUT_DIR / "api_attributes.json", "w") as f:
        json.dump({"keras": keras.__version__, "attributes": names}, f, indent=1)
        f.write("\n")
    print(f"api_attributes: {sum(map(len, names.values()))} names", file=sys.stderr)


def main():
    np.random.seed(0)
    keras.utils.set_random_seed(0)
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, "
          f"numpy {np.__version__}", file=sys.stderr)
    if sys.argv[1:] == ["api_attributes"]:  # the one category that needs no numbers
        make_api_attributes()
        return
    make_api_attributes()
    cats = [make_activations(), make_layers(), make_losses(),
            make_optimizers(), make_schedules(), make_training()]
    total = sum((OUT_DIR / f"{c.name}.{e}").stat().st_size
                for c in cats for e in ("json", "npz"))
    print(f"total fixture size: {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
