#!/usr/bin/env python
"""Reference numbers of Keras's F-score and IoU metrics and ActivityRegularization, for tests.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_metrics_more_fixtures.py

Writes tests/fixtures/keras/metrics_more.json (each metric's config, its result after every
``update_state`` call and after a reset; a training run's history and evaluation) and
metrics_more.npz (the batches, sample weights, the run's data and initial weights). Every array
comes from a fixed NumPy seed; nothing depends on TensorFlow's RNG.
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"

# (case name, class name, constructor arguments, which batches: "onehot" or "multilabel",
#  which sample weights: None or "rows" (one per sample). Keras 3.15.1 mishandles weights of
#  shape (batch, classes): its update fails for average != "micro" and, for "micro", sums every
#  label against every row's weights; lamina's tests check lamina's per-cell sums on their own.)
F_SCORE_CASES = [
    ("f1_none", "F1Score", {}, "onehot", None),
    ("f1_micro_rows", "F1Score", {"average": "micro"}, "onehot", "rows"),
    ("f1_macro_rows", "F1Score", {"average": "macro"}, "onehot", "rows"),
    ("f1_weighted_rows", "F1Score", {"average": "weighted"}, "onehot", "rows"),
    ("f1_none_threshold", "F1Score", {"threshold": 0.4}, "multilabel", "rows"),
    ("f1_micro_threshold", "F1Score", {"average": "micro", "threshold": 0.5},
     "multilabel", "rows"),
    ("fbeta2_none_rows", "FBetaScore", {"beta": 2.0}, "onehot", "rows"),
    ("fbeta05_macro_threshold", "FBetaScore", {"beta": 0.5, "average": "macro",
                                               "threshold": 0.3}, "multilabel", "rows"),
    ("fbeta2_weighted_threshold", "FBetaScore", {"beta": 2.0, "average": "weighted",
                                                 "threshold": 0.6}, "multilabel", "rows"),
    ("fbeta3_micro", "FBetaScore", {"beta": 3.0, "average": "micro"}, "onehot", None),
    ("f1_named_float64", "F1Score", {"average": "macro", "name": "f1", "dtype": "float64"},
     "onehot", "rows"),
]
BATCHES = 3
CLASSES = 4


def batches():
    """Three batches of each kind (sizes 6, 5, 7): labels, scores and row weights."""
    r = np.random.default_rng(21)
    arrays = {}
    for b, n in enumerate((6, 5, 7)):
        labels = r.integers(0, CLASSES, n)
        arrays[f"onehot_true_{b}"] = np.eye(CLASSES, dtype="float32")[labels]
        logits = r.standard_normal((n, CLASSES)) + 1.5 * arrays[f"onehot_true_{b}"]
        scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        if b == 1:
            scores[0] = 0.0  # a row of zeros predicts nothing when threshold is None
        arrays[f"onehot_pred_{b}"] = scores.astype("float32")
        arrays[f"multilabel_true_{b}"] = (r.random((n, CLASSES)) < 0.4).astype("float32")
        arrays[f"multilabel_pred_{b}"] = r.random((n, CLASSES)).astype("float32")
        arrays[f"rows_{b}"] = r.uniform(0.0, 2.0, n).astype("float32")
    return arrays


def f_score_results(keras, arrays):
    out = {}
    for name, class_name, kwargs, kind, weights in F_SCORE_CASES:
        metric = getattr(keras.metrics, class_name)(**kwargs)
        steps = []
        for b in range(BATCHES):
            sw = None if weights is None else arrays[f"{weights}_{b}"]
            metric.update_state(arrays[f"{kind}_true_{b}"], arrays[f"{kind}_pred_{b}"],
                                sample_weight=sw)
            steps.append(np.asarray(metric.result(), dtype="float64").tolist())
        metric.reset_state()
        after_reset = np.asarray(metric.result(), dtype="float64").tolist()
        out[name] = {"class_name": class_name, "kwargs": kwargs, "kind": kind,
                     "weights": weights, "steps": steps, "after_reset": after_reset,
                     "config": metric.get_config()}
    return out


# (case name, class name, constructor arguments, which batches, which sample weights: None,
#  "int" (whole numbers) or "float" (fractions: truncated when the matrix is int64, as in Keras))
IOU_CASES = [
    ("iou_targets", "IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "sparse", "int"),
    ("iou_float32_weights", "IoU", {"num_classes": 4, "target_class_ids": [1, 3],
                                    "dtype": "float32"}, "sparse", "float"),
    ("mean_iou_truncated_weights", "MeanIoU", {"num_classes": 4}, "sparse", "float"),
    ("mean_iou_out_of_range_ignore", "MeanIoU", {"num_classes": 4, "ignore_class": 0},
     "wild", None),
    ("mean_iou_scores", "MeanIoU", {"num_classes": 4, "sparse_y_true": False,
                                    "sparse_y_pred": False, "name": "miou"}, "dense", "int"),
    ("mean_iou_maps", "MeanIoU", {"num_classes": 3, "dtype": "float32"}, "maps", "float"),
    ("binary_iou", "BinaryIoU", {}, "binary", "int"),
    ("binary_iou_class1", "BinaryIoU", {"target_class_ids": [1], "threshold": 0.3,
                                        "dtype": "float32"}, "binary", "float"),
    ("one_hot_iou", "OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 1]}, "dense", None),
    ("one_hot_mean_iou", "OneHotMeanIoU", {"num_classes": 4, "ignore_class": 2,
                                           "dtype": "float32"}, "dense", "float"),
]


def iou_batches():
    """Three batches (sizes 8, 6, 9) of each kind of IoU input, and their weights."""
    r = np.random.default_rng(34)
    arrays = {}
    for b, n in enumerate((8, 6, 9)):
        true = r.integers(0, 4, n)
        pred = np.where(r.random(n) < 0.6, true, r.integers(0, 4, n))
        arrays[f"iou_sparse_true_{b}"] = true.astype("int32")
        arrays[f"iou_sparse_pred_{b}"] = pred.astype("int32")
        # labels and predictions outside [0, 4) (dropped), float predictions (truncated)
        arrays[f"iou_wild_true_{b}"] = np.where(r.random(n) < 0.2, 5, true).astype("int32")
        arrays[f"iou_wild_pred_{b}"] = (np.where(r.random(n) < 0.2, -1, pred)
                                        + r.uniform(0.0, 0.9, n)).astype("float32")
        scores = r.random((n, 4)) + 1.2 * np.eye(4)[pred]
        arrays[f"iou_dense_true_{b}"] = np.eye(4, dtype="float32")[true]
        arrays[f"iou_dense_pred_{b}"] = scores.astype("float32")
        maps_true = r.integers(0, 3, (n, 3))
        arrays[f"iou_maps_true_{b}"] = maps_true.astype("int32")
        arrays[f"iou_maps_pred_{b}"] = np.where(r.random((n, 3)) < 0.5, maps_true,
                                                r.integers(0, 3, (n, 3))).astype("int32")
        arrays[f"iou_binary_true_{b}"] = (r.random((n, 1)) < 0.5).astype("float32")
        arrays[f"iou_binary_pred_{b}"] = r.random((n, 1)).astype("float32")
        arrays[f"iou_int_{b}"] = r.integers(0, 4, n).astype("int32")
        arrays[f"iou_float_{b}"] = r.uniform(0.0, 3.0, n).astype("float32")
        arrays[f"iou_maps_float_{b}"] = r.uniform(0.0, 3.0, (n, 3)).astype("float32")
    return arrays


def iou_results(keras, arrays):
    out = {}
    for name, class_name, kwargs, kind, weights in IOU_CASES:
        metric = getattr(keras.metrics, class_name)(**kwargs)
        steps = []
        for b in range(BATCHES):
            key = f"maps_{weights}" if kind == "maps" and weights else weights
            sw = None if weights is None else arrays[f"iou_{key}_{b}"]
            metric.update_state(arrays[f"iou_{kind}_true_{b}"], arrays[f"iou_{kind}_pred_{b}"],
                                sample_weight=sw)
            steps.append(float(metric.result()))
        matrix = np.asarray(metric.total_cm).astype("float64").tolist()
        metric.reset_state()
        out[name] = {"class_name": class_name, "kwargs": kwargs, "kind": kind,
                     "weights": weights, "steps": steps, "matrix": matrix,
                     "after_reset": float(metric.result()), "config": metric.get_config()}
    return out


# -- a model with ActivityRegularization, trained with the F-scores as metrics -------------


def build(K):
    return K.Sequential([
        K.Input((5,)),
        K.layers.Dense(6, activation="tanh"),
        K.layers.ActivityRegularization(l1=0.01, l2=0.05),
        K.layers.Dense(3, activation="softmax"),
    ])


def run_data():
    r = np.random.default_rng(5)
    x = r.standard_normal((40, 5)).astype("float32")
    labels = np.argmax(x[:, :3] + 0.5 * r.standard_normal((40, 3)), axis=1)
    return x, np.eye(3, dtype="float32")[labels]


def initial_weights(model):
    r = np.random.default_rng(8)
    return [(r.standard_normal(w.shape) * 0.5).astype("float32") for w in model.get_weights()]


def compile_run(K, model):
    model.compile(optimizer=K.optimizers.SGD(0.1), loss="categorical_crossentropy",
                  metrics=[K.metrics.F1Score(average="macro"),
                           K.metrics.FBetaScore(beta=2.0, average="weighted", threshold=0.4)])


def run(K):
    """Keras's evaluation before training, three epochs' history and the evaluation after."""
    x, y = run_data()
    model = build(K)
    weights = initial_weights(model)
    model.set_weights(weights)
    compile_run(K, model)
    before = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    after = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    plain = float(np.mean(K.losses.categorical_crossentropy(y, model.predict(x, verbose=0))))
    return weights, before, history, after, plain


def keras_file_run(keras):
    """Keras's losses on the model of keras_files/keras_activity_regularization.keras (made by
    tools/make_keras_file_fixtures.py): its evaluation, then two epochs of SGD, on zero targets."""
    folder = OUT.parent / "keras_files"
    model = keras.models.load_model(folder / "keras_activity_regularization.keras")
    x = np.load(folder / "keras_activity_regularization.npz")["x"]
    target = np.zeros((len(x), 2), "float32")
    weight_sum = float(sum(np.sum(w, dtype="float64") for w in model.get_weights()))
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    evaluated = float(model.evaluate(x, target, batch_size=6, verbose=0))
    history = model.fit(x, target, batch_size=3, epochs=2, shuffle=False, verbose=0).history
    return {"weight_sum": weight_sum, "evaluate": evaluated,
            "history_loss": [float(v) for v in history["loss"]]}


def main():
    import keras

    arrays = batches()
    results = f_score_results(keras, arrays)
    arrays.update(iou_batches())
    ious = iou_results(keras, arrays)
    weights, before, history, after, plain = run(keras)
    x, y = run_data()
    arrays.update(run_x=x, run_y=y, **{f"run_w{i}": w for i, w in enumerate(weights)})
    OUT.mkdir(parents=True, exist_ok=True)
    record = {
        "keras": keras.__version__,
        "f_scores": results,
        "ious": ious,
        "activity_regularization_run": {
            "evaluate_before": {k: float(v) for k, v in before.items()},
            "history": {k: [float(v) for v in vs] for k, vs in history.items()},
            "evaluate_after": {k: float(v) for k, v in after.items()},
            "crossentropy_after": plain,
        },
        "keras_file_run": keras_file_run(keras),
        "activity_regularization_config": keras.layers.ActivityRegularization(
            l1=0.01, l2=0.05, name="act_reg").get_config(),
    }
    (OUT / "metrics_more.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    np.savez_compressed(OUT / "metrics_more.npz", **arrays)
    print("metrics_more: written")


if __name__ == "__main__":
    main()
