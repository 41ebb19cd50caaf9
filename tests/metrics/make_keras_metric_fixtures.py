#!/usr/bin/env python
"""Write tests/metrics/keras_metrics.json: reference numbers for lamina.metrics from real Keras.

Run with the reference environment (Keras 3.15.1 on TensorFlow, see
tests/fixtures/keras/README.md); lamina's tests only read the JSON file:

    /opt/keras-ref/bin/python tests/metrics/make_keras_metric_fixtures.py

Every input comes from a fixed NumPy seed, so the file is reproducible. Arrays
are small and stored inline as lists with their dtype and shape.
"""

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import json  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras.src.trainers import compile_utils  # noqa: E402

warnings.filterwarnings("ignore")
tf.get_logger().setLevel("ERROR")
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)

OUT = Path(__file__).resolve().parent / "keras_metrics.json"
RNG = np.random.RandomState(1234)


def enc(x):
    if x is None:
        return None
    a = np.asarray(x)
    data = a.reshape(-1).tolist()
    if a.dtype == np.float32:
        # The shortest decimal that reads back as the same float32.
        data = [float(str(v)) for v in a.reshape(-1)]
    return {"dtype": a.dtype.name, "shape": list(a.shape), "data": data}


def jsonable(obj):
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "numpy"):
        return jsonable(np.asarray(obj.numpy()).tolist())
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    return str(obj)


def result_value(r):
    if isinstance(r, dict):
        return {k: result_value(v) for k, v in r.items()}
    a = np.asarray(r)
    return a.tolist() if a.ndim else float(a)


CASES = []


def case(cid, cls, config, batches, dtype_note=None):
    """Run a Keras metric over ``batches`` [(y_true, y_pred, sample_weight)] and record it."""
    metric = getattr(keras.metrics, cls)(**config)
    results = []
    for b in batches:
        if cls in ("Mean", "Sum"):
            values, sw = b
            metric.update_state(values, sample_weight=sw)
        else:
            yt, yp, sw = b
            metric.update_state(yt, yp, sample_weight=sw)
        results.append(result_value(metric.result()))
    encoded = []
    for b in batches:
        if cls in ("Mean", "Sum"):
            encoded.append({"values": enc(b[0]), "sample_weight": enc(b[1])})
        else:
            encoded.append({"y_true": enc(b[0]), "y_pred": enc(b[1]), "sample_weight": enc(b[2])})
    # After reset the result goes back to its empty value.
    metric.reset_state()
    empty = result_value(metric.result())
    CASES.append(
        {
            "id": cid,
            "class": cls,
            "config": config,
            "batches": encoded,
            "results": results,
            "after_reset": empty,
            "keras_config": jsonable(metric.get_config()),
            "variables": [v.name for v in metric.variables],
        }
    )


f32 = np.float32


def probs(n, k, seed_shift=0):
    p = RNG.rand(n, k).astype(f32) + f32(0.05)
    return (p / p.sum(-1, keepdims=True)).astype(f32)


def onehot(labels, k):
    return np.eye(k, dtype=f32)[labels]


# ---------------------------------------------------------------------------
# Reduction metrics
vals = RNG.randn(8).astype(f32)
case("mean_plain", "Mean", {}, [(vals, None), (RNG.randn(5).astype(f32), None)])
case(
    "mean_weighted",
    "Mean",
    {},
    [
        (vals, RNG.rand(8).astype(f32)),
        (RNG.randn(4, 3).astype(f32), RNG.rand(4).astype(f32)),
        (RNG.randn(4, 1).astype(f32), RNG.rand(4).astype(f32)),
        (RNG.randn(4).astype(f32), RNG.rand(4, 1).astype(f32)),
        (RNG.randn(4, 3).astype(f32), RNG.rand(4, 3).astype(f32)),
        (RNG.randn(6).astype(f32), f32(2.0)),
    ],
)
case(
    "mean_2d_unweighted",
    "Mean",
    {},
    [(RNG.randn(4, 3).astype(f32), None), (RNG.randn(2, 2, 3).astype(f32), None), (f32(3.5), None)],
)
case("mean_float64", "Mean", {"dtype": "float64"}, [(RNG.randn(8), None), (RNG.randn(8), None)])
many = [(RNG.rand(10).astype(f32) * 3, None) for _ in range(300)]
case("mean_many_batches_float32", "Mean", {}, many)
case(
    "sum_weighted",
    "Sum",
    {},
    [
        (vals, None),
        (RNG.randn(4, 3).astype(f32), RNG.rand(4).astype(f32)),
        (RNG.randn(5).astype(f32), f32(0.5)),
    ],
)

# ---------------------------------------------------------------------------
# Accuracy
labels10 = RNG.randint(0, 3, 10)
p10 = probs(10, 3)
case(
    "accuracy_ints",
    "Accuracy",
    {},
    [
        ([[1], [2], [3], [4]], [[0], [2], [3], [4]], None),
        (np.array([1, 2, 3]), np.array([1.0, 2.0, 2.0], f32), np.array([1.0, 0.5, 2.0], f32)),
    ],
)
yb = RNG.randint(0, 2, 10).astype(f32)
pb = RNG.rand(10, 1).astype(f32)
case(
    "binary_accuracy_n_vs_n1",
    "BinaryAccuracy",
    {},
    [
        (yb, pb, None),
        (yb.reshape(-1, 1), pb, RNG.rand(10).astype(f32)),
        (yb.astype(np.int32), pb[:, 0], None),
    ],
)
case(
    "binary_accuracy_threshold",
    "BinaryAccuracy",
    {"threshold": 0.7},
    [(yb, pb, None), (RNG.randint(0, 2, (6, 3)).astype(f32), RNG.rand(6, 3).astype(f32), None)],
)
case(
    "binary_accuracy_float64_preds",
    "BinaryAccuracy",
    {"threshold": 0.3},
    [(yb.astype(np.float64), RNG.rand(10, 1), None)],
)
case(
    "categorical_accuracy",
    "CategoricalAccuracy",
    {},
    [
        (onehot(labels10, 3), p10, None),
        (onehot(labels10, 3), probs(10, 3), RNG.rand(10).astype(f32)),
    ],
)
case(
    "sparse_categorical_accuracy",
    "SparseCategoricalAccuracy",
    {},
    [
        (labels10, p10, None),
        (labels10.reshape(-1, 1), probs(10, 3), None),
        (labels10.astype(f32), probs(10, 3), RNG.rand(10).astype(f32)),
        (labels10.reshape(-1, 1).astype(f32), probs(10, 3), RNG.rand(10, 1).astype(f32)),
    ],
)
p5 = probs(12, 5)
l5 = RNG.randint(0, 5, 12)
p5[0] = [0.2, 0.2, 0.2, 0.2, 0.2]  # ties at the top-k boundary
l5[0] = 4
case("top_k_k1", "TopKCategoricalAccuracy", {"k": 1}, [(onehot(l5, 5), p5, None)])
case(
    "top_k_k2", "TopKCategoricalAccuracy", {"k": 2}, [(onehot(l5, 5), p5, RNG.rand(12).astype(f32))]
)
case("top_k_default", "TopKCategoricalAccuracy", {}, [(onehot(l5, 5), p5, None)])
case(
    "sparse_top_k_k2",
    "SparseTopKCategoricalAccuracy",
    {"k": 2},
    [(l5, p5, None), (l5.reshape(-1, 1), p5, RNG.rand(12).astype(f32)), (l5.astype(f32), p5, None)],
)
sorted_ids = np.argsort(-p5, axis=-1)
case(
    "sparse_top_k_sorted_ids",
    "SparseTopKCategoricalAccuracy",
    {"k": 2, "from_sorted_ids": True},
    [(l5, sorted_ids.astype(np.int32), None)],
)

# ---------------------------------------------------------------------------
# Regression
yr = RNG.randn(10).astype(f32)
pr = RNG.randn(10, 1).astype(f32)
yr3 = RNG.randn(6, 3).astype(f32)
pr3 = RNG.randn(6, 3).astype(f32)
for cls in [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "LogCoshError",
    "CosineSimilarity",
]:
    case(
        f"{cls}_shapes",
        cls,
        {},
        [
            (yr, pr, None),
            (yr3, pr3, RNG.rand(6).astype(f32)),
            (yr.reshape(-1, 1), pr, RNG.rand(10).astype(f32)),
            (np.abs(yr3), np.abs(pr3), None),
        ],
    )
case("mse_1d_both", "MeanSquaredError", {}, [(yr, pr[:, 0], None)])
case(
    "mse_float64_inputs",
    "MeanSquaredError",
    {},
    [(yr.astype(np.float64) / 3, pr.astype(np.float64) / 7, None)],
)
case("mse_float64_metric", "MeanSquaredError", {"dtype": "float64"}, [(yr, pr, None)])
case("cosine_axis0", "CosineSimilarity", {"axis": 0}, [(yr3, pr3, None)])
case("r2_uniform", "R2Score", {}, [(yr3, pr3, None), (yr3 * 2, pr3, RNG.rand(6).astype(f32))])
case(
    "r2_variance_weighted",
    "R2Score",
    {"class_aggregation": "variance_weighted_average"},
    [(yr3, yr3 + 0.3 * pr3, None)],
)
case("r2_none", "R2Score", {"class_aggregation": None}, [(yr3, yr3 + 0.3 * pr3, None)])
case("r2_adjusted", "R2Score", {"num_regressors": 2}, [(yr3, yr3 + 0.3 * pr3, None)])

# ---------------------------------------------------------------------------
# Probabilistic and hinge
yb3 = RNG.randint(0, 2, (6, 3)).astype(f32)
pb3 = RNG.rand(6, 3).astype(f32)
case("bce", "BinaryCrossentropy", {}, [(yb3, pb3, None), (yb3, pb3, RNG.rand(6).astype(f32))])
case(
    "bce_logits_smoothing",
    "BinaryCrossentropy",
    {"from_logits": True, "label_smoothing": 0.1},
    [(yb3, RNG.randn(6, 3).astype(f32) * 3, None)],
)
case("bce_col", "BinaryCrossentropy", {}, [(yb.reshape(-1, 1), pb, None)])
case(
    "cce",
    "CategoricalCrossentropy",
    {},
    [(onehot(labels10, 3), p10, None), (onehot(labels10, 3), p10 * 2, RNG.rand(10).astype(f32))],
)
case(
    "cce_logits_smoothing",
    "CategoricalCrossentropy",
    {"from_logits": True, "label_smoothing": 0.2},
    [(onehot(labels10, 3), RNG.randn(10, 3).astype(f32) * 2, None)],
)
case(
    "scce",
    "SparseCategoricalCrossentropy",
    {},
    [(labels10, p10, None), (labels10.reshape(-1, 1), p10 * 3, None)],
)
case(
    "scce_logits",
    "SparseCategoricalCrossentropy",
    {"from_logits": True},
    [(labels10, RNG.randn(10, 3).astype(f32) * 2, RNG.rand(10).astype(f32))],
)
case(
    "scce_ignore_class_no_weights",
    "SparseCategoricalCrossentropy",
    {"ignore_class": 0},
    [(labels10, p10, None)],
)
case(
    "scce_ignore_class_weights",
    "SparseCategoricalCrossentropy",
    {"ignore_class": 0},
    [(labels10, p10, RNG.rand(10).astype(f32))],
)
pos = RNG.rand(6, 3).astype(f32) * 3
case("kld", "KLDivergence", {}, [(probs(6, 3), probs(6, 3), None)])
case("poisson", "Poisson", {}, [(pos, RNG.rand(6, 3).astype(f32) * 3, None)])
case(
    "hinge",
    "Hinge",
    {},
    [(yb3, RNG.randn(6, 3).astype(f32), None), (yb3 * 2 - 1, RNG.randn(6, 3).astype(f32), None)],
)
case("squared_hinge", "SquaredHinge", {}, [(yb3, RNG.randn(6, 3).astype(f32), None)])
case(
    "categorical_hinge",
    "CategoricalHinge",
    {},
    [(onehot(labels10, 3), RNG.randn(10, 3).astype(f32), None)],
)

# ---------------------------------------------------------------------------
# Confusion-matrix metrics
yc = RNG.randint(0, 2, 40).astype(f32)
pc = RNG.rand(40).astype(f32)
pc[:4] = [0.0, 1.0, 0.5, 0.25]  # values exactly on thresholds
wc = RNG.rand(40).astype(f32)
yc2 = RNG.randint(0, 2, (20, 3)).astype(f32)
pc2 = RNG.rand(20, 3).astype(f32)
for cls in [
    "Precision",
    "Recall",
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
]:
    case(f"{cls}_default", cls, {}, [(yc[:20], pc[:20], None), (yc[20:], pc[20:], wc[20:])])
    case(
        f"{cls}_thresholds",
        cls,
        {"thresholds": [0.3, 0.5, 0.7]},
        [(yc, pc, None), (yc2, pc2, RNG.rand(20).astype(f32))],
    )
    case(
        f"{cls}_even_thresholds",
        cls,
        {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]},
        [(yc, pc, None), (yc.reshape(-1, 1), pc.reshape(-1, 1), wc)],
    )
for cls in ["Precision", "Recall"]:
    case(
        f"{cls}_top_k", cls, {"top_k": 2}, [(yc2, pc2, None), (yc2, pc2, RNG.rand(20).astype(f32))]
    )
    case(
        f"{cls}_class_id",
        cls,
        {"class_id": 1},
        [(yc2, pc2, None), (yc2, pc2, RNG.rand(20).astype(f32))],
    )
    case(
        f"{cls}_top_k_class_id",
        cls,
        {"top_k": 1, "class_id": 2, "thresholds": 0.3},
        [(yc2, pc2, None)],
    )
    case(f"{cls}_n1_vs_n", cls, {}, [(yc, pc.reshape(-1, 1), None)])
case("auc_default", "AUC", {}, [(yc[:20], pc[:20], None), (yc[20:], pc[20:], wc[20:])])
case("auc_n1", "AUC", {}, [(yc.reshape(-1, 1), pc.reshape(-1, 1), wc)])
case("auc_few_thresholds", "AUC", {"num_thresholds": 7}, [(yc, pc, None)])
case("auc_pr", "AUC", {"curve": "PR"}, [(yc, pc, None), (yc, pc, wc)])
case(
    "auc_pr_majoring",
    "AUC",
    {"curve": "PR", "summation_method": "majoring", "num_thresholds": 50},
    [(yc, pc, None)],
)
case(
    "auc_roc_minoring",
    "AUC",
    {"summation_method": "minoring", "num_thresholds": 50},
    [(yc, pc, None)],
)
case("auc_prgain", "AUC", {"curve": "PRGAIN"}, [(yc, pc, None)])
case("auc_explicit_thresholds", "AUC", {"thresholds": [0.1, 0.4, 0.45, 0.8]}, [(yc, pc, wc)])
case("auc_explicit_even_thresholds", "AUC", {"thresholds": [0.25, 0.5, 0.75]}, [(yc, pc, None)])
case("auc_from_logits", "AUC", {"from_logits": True}, [(yc, RNG.randn(40).astype(f32) * 2, None)])
case(
    "auc_multilabel",
    "AUC",
    {"multi_label": True},
    [(yc2, pc2, None), (yc2, pc2, RNG.rand(20).astype(f32))],
)
case(
    "auc_multilabel_label_weights",
    "AUC",
    {"multi_label": True, "num_labels": 3, "label_weights": [0.2, 0.5, 1.0]},
    [(yc2, pc2, None)],
)
case("auc_multilabel_pr", "AUC", {"multi_label": True, "curve": "PR"}, [(yc2, pc2, None)])
case("auc_pooled_label_weights", "AUC", {"label_weights": [0.2, 0.5, 1.0]}, [(yc2, pc2, None)])
case("auc_multiclass_pooled", "AUC", {}, [(yc2, pc2, None)])
case("auc_out_of_range_preds", "AUC", {}, [(yc, pc * 1.6 - 0.3, None)])
case("auc_one_class_only", "AUC", {}, [(np.ones(6, f32), RNG.rand(6).astype(f32), None)])
case(
    "sens_at_spec", "SensitivityAtSpecificity", {"specificity": 0.6}, [(yc, pc, None), (yc, pc, wc)]
)
case(
    "spec_at_sens",
    "SpecificityAtSensitivity",
    {"sensitivity": 0.7, "num_thresholds": 20},
    [(yc, pc, None)],
)
case("prec_at_recall", "PrecisionAtRecall", {"recall": 0.5}, [(yc, pc, None)])
case(
    "recall_at_prec", "RecallAtPrecision", {"precision": 0.6, "num_thresholds": 1}, [(yc, pc, None)]
)
case(
    "recall_at_prec_class_id",
    "RecallAtPrecision",
    {"precision": 0.5, "class_id": 1},
    [(yc2, pc2, None)],
)

# ---------------------------------------------------------------------------
# Function forms
FUNCS = []
for fn, args, kwargs in [
    ("binary_accuracy", (yb, pb), {}),
    ("binary_accuracy", (yb3, pb3), {"threshold": 0.4}),
    ("categorical_accuracy", (onehot(labels10, 3), p10), {}),
    ("sparse_categorical_accuracy", (labels10, p10), {}),
    ("sparse_categorical_accuracy", (labels10.reshape(-1, 1), p10), {}),
    ("top_k_categorical_accuracy", (onehot(l5, 5), p5), {"k": 2}),
    ("sparse_top_k_categorical_accuracy", (l5, p5), {"k": 2}),
    ("sparse_top_k_categorical_accuracy", (l5.reshape(-1, 1), p5), {}),
]:
    out = getattr(keras.metrics, fn)(*args, **kwargs)
    FUNCS.append(
        {"fn": fn, "args": [enc(a) for a in args], "kwargs": kwargs, "out": enc(np.asarray(out))}
    )

# ---------------------------------------------------------------------------
# compile()'s resolution of names, and keras.metrics.get
RESOLVE = []
for ident in [
    "accuracy",
    "acc",
    "mse",
    "mae",
    "auc",
    "precision",
    "binary_accuracy",
    "categorical_crossentropy",
    "top_k_categorical_accuracy",
    "MeanSquaredError",
    "r2_score",
    "log_cosh_error",
    "kl_divergence",
    "mape",
    "msle",
    "bce",
]:
    for yt_shape, yp_shape in [
        ((8,), (8, 1)),
        ((8, 1), (8, 1)),
        ((8,), (8, 3)),
        ((8, 1), (8, 3)),
        ((8, 3), (8, 3)),
        ((8, 4), (8, 4, 1)),
    ]:
        if ident not in ("accuracy", "acc") and yt_shape != (8,):
            continue
        m = compile_utils.get_metric(ident, np.zeros(yt_shape, f32), np.zeros(yp_shape, f32))
        RESOLVE.append(
            {
                "identifier": ident,
                "y_true_shape": list(yt_shape),
                "y_pred_shape": list(yp_shape),
                "class": type(m).__name__,
                "name": m.name,
            }
        )
UNKNOWN = []
for ident in ["huber", "logcosh", "kld", "crossentropy", "ce", "accuarcy", "rmse", "f1"]:
    try:
        keras.metrics.get(ident)
        UNKNOWN.append({"identifier": ident, "error": None})
    except Exception as e:  # noqa: BLE001
        UNKNOWN.append({"identifier": ident, "error": type(e).__name__})


def user_fn(y_true, y_pred):
    return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)


m = compile_utils.get_metric(user_fn, np.zeros((4, 1), f32), np.zeros((4, 1), f32))
RESOLVE.append({"identifier": "<function user_fn>", "class": type(m).__name__, "name": m.name})

OUT.write_text(
    json.dumps(
        {
            "keras_version": keras.__version__,
            "cases": CASES,
            "functions": FUNCS,
            "resolve": RESOLVE,
            "get_errors": UNKNOWN,
        },
        separators=(",", ":"),
    )
    + "\n"
)
print(f"wrote {OUT} with {len(CASES)} metric cases")
