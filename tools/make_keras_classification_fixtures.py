#!/usr/bin/env python
"""Reference numbers from real Keras for the end-to-end classification tests.

Run it with the reference environment (TensorFlow 2.21 / Keras 3.15.1 and
scikit-learn); lamina and its tests never need either:

    /opt/keras-ref/bin/pip install tensorflow-cpu==2.21.0 scikit-learn
    /opt/keras-ref/bin/python tools/make_keras_classification_fixtures.py

It writes tests/fixtures/keras/classification.json (a list of cases, the same
format as the other categories: see tests/fixtures/keras/README.md) and
classification.npz (arrays keyed "<case_id>/<array>").

The data is scikit-learn's copy of the Breast Cancer Wisconsin (Diagnostic)
data set (569 tumours, 30 features, label 1 = benign), split 75/25 with a
fixed stratified split and standardised with the training set's mean and
standard deviation. The split, standardised arrays are stored in the
``breast_cancer`` case so the tests need neither scikit-learn nor a download.

Every initial weight comes from a fixed NumPy seed and is set explicitly.
The cases with ``shuffle=False`` are deterministic (TensorFlow op determinism,
one thread); the EarlyStopping runs shuffle with ``keras.utils.set_random_seed``
so they repeat too, but lamina's shuffles cannot match TensorFlow's, so those
runs are summarised by the range of their results over several seeds.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

warnings.filterwarnings("ignore")
tf.get_logger().setLevel("ERROR")
tf.config.experimental.enable_op_determinism()
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "tests" / "fixtures" / "keras"
F32 = np.float32
EARLY_STOPPING_SEEDS = (0, 1, 2, 3, 4)


def jsonable(obj):
    """Plain JSON values for Keras configs and NumPy scalars."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return str(obj)


class Category:
    """Cases (JSON) and their arrays (npz) for one fixture file."""

    def __init__(self, name):
        self.name = name
        self.cases = []
        self.arrays = {}

    def add(self, case_id, meta, arrays):
        assert all(c["id"] != case_id for c in self.cases), case_id
        for key, value in arrays.items():
            a = np.asarray(value)
            if a.dtype == np.float64:
                a = a.astype(F32)
            self.arrays[f"{case_id}/{key}"] = a
        self.cases.append(jsonable({"id": case_id, **meta, "arrays": list(arrays)}))

    def write(self):
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        with open(OUT_DIR / f"{self.name}.json", "w") as f:
            json.dump(self.cases, f, indent=1)
            f.write("\n")
        np.savez_compressed(OUT_DIR / f"{self.name}.npz", **self.arrays)
        size = sum((OUT_DIR / f"{self.name}.{e}").stat().st_size for e in ("json", "npz"))
        print(f"{self.name}: {len(self.cases)} cases, {len(self.arrays)} arrays, "
              f"{size} bytes", file=sys.stderr)


def breast_cancer():
    """The fixed 75/25 stratified split, standardised with the training set's statistics."""
    data = load_breast_cancer()
    x_train, x_val, y_train, y_val = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    return (((x_train - mean) / std).astype(F32), y_train.astype(np.int32),
            ((x_val - mean) / std).astype(F32), y_val.astype(np.int32))


def glorot_like(model, rng):
    """Explicit initial weights: Glorot-uniform kernels, small random biases and BN stats."""
    weights = []
    for v in model.weights:
        shape = tuple(v.shape)
        name = v.path.rsplit("/", 1)[-1]
        if name == "kernel":
            limit = np.sqrt(6.0 / (shape[0] + shape[1]))
            a = rng.uniform(-limit, limit, shape)
        elif name == "bias":
            a = 0.05 * rng.standard_normal(shape)
        elif name == "gamma":
            a = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name == "beta":
            a = 0.1 * rng.standard_normal(shape)
        elif name == "moving_mean":
            a = 0.05 * rng.standard_normal(shape)
        elif name == "moving_variance":
            a = 1.0 + 0.1 * np.abs(rng.standard_normal(shape))
        else:  # pragma: no cover
            raise ValueError(v.path)
        weights.append(a.astype(F32))
    model.set_weights(weights)
    return weights


def base_model(kind="plain"):
    """The classifier of the tutorial; ``kind`` adds Dropout or BN + L2 penalties."""
    K = keras.layers
    if kind == "plain":
        layers = [K.Dense(16, activation="relu", name="dense"),
                  K.Dense(8, activation="relu", name="dense_1"),
                  K.Dense(1, activation="sigmoid", name="dense_2")]
    elif kind == "dropout":
        layers = [K.Dense(16, activation="relu", name="dense"),
                  K.Dropout(0.5, name="dropout"),
                  K.Dense(8, activation="relu", name="dense_1"),
                  K.Dropout(0.5, name="dropout_1"),
                  K.Dense(1, activation="sigmoid", name="dense_2")]
    elif kind == "bn_l2":
        layers = [K.Dense(16, activation="relu", name="dense",
                          kernel_regularizer=keras.regularizers.l2(0.01)),
                  K.BatchNormalization(name="batch_normalization",
                                       gamma_regularizer=keras.regularizers.l2(0.01),
                                       beta_regularizer=keras.regularizers.l1(0.001)),
                  K.Dense(1, activation="sigmoid", name="dense_1",
                          bias_regularizer=keras.regularizers.l2(0.01))]
    else:  # pragma: no cover
        raise ValueError(kind)
    return keras.Sequential([keras.Input((30,)), *layers], name="classifier")


def history_dict(history):
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def weight_arrays(init, final):
    arrays = {f"w{i}_init": w for i, w in enumerate(init)}
    arrays.update({f"w{i}_final": w for i, w in enumerate(final)})
    return arrays


def model_meta(model, compile_kwargs, fit_kwargs, history=None, **extra):
    meta = {
        "class": "Sequential",
        "config": {"compile": compile_kwargs, "fit_kwargs": fit_kwargs},
        "keras_config": {"model": model.get_config(),
                         "optimizer": model.optimizer.get_config()},
        "weight_names": [v.path for v in model.weights],
    }
    if history is not None:
        meta["history"] = history_dict(history)
    meta.update(extra)
    return meta


def compile_model(model, **overrides):
    kwargs = {"optimizer": "adam", "loss": "binary_crossentropy",
              "metrics": ["binary_accuracy"], **overrides}
    model.compile(optimizer=keras.optimizers.Adam(), **{k: v for k, v in kwargs.items()
                                                        if k != "optimizer"})
    return kwargs


def main():
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, "
          f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", file=sys.stderr)
    cat = Category("classification")
    x_train, y_train, x_val, y_val = breast_cancer()
    cat.add("breast_cancer", {
        "fn": "sklearn.datasets.load_breast_cancer",
        "config": {"split": "train_test_split(test_size=0.25, random_state=0, stratify=y)",
                   "scaling": "(x - mean_train) / std_train (population std), in float64, "
                              "then cast to float32",
                   "label": "0 = malignant, 1 = benign"},
        "keras_config": None,
        "source": (
            "Breast Cancer Wisconsin (Diagnostic), W. H. Wolberg, W. N. Street, "
            "O. L. Mangasarian, University of Wisconsin, 1995; UCI Machine Learning "
            "Repository (CC BY 4.0), as shipped in scikit-learn "
            f"{sklearn.__version__} (BSD-3-Clause) by sklearn.datasets.load_breast_cancer."
        ),
    }, {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val})

    rng = np.random.default_rng(2024)
    batch = 32

    # 1. The tutorial run: EarlyStopping on val_loss, shuffled batches, several seeds.
    model = base_model()
    init = glorot_like(model, rng)
    runs = []
    for seed in EARLY_STOPPING_SEEDS:
        keras.utils.set_random_seed(seed)
        model = base_model()
        model.set_weights(init)
        compile_kwargs = compile_model(model)
        stopper = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True,
                                                monitor="val_loss")
        fit_kwargs = {"batch_size": batch, "epochs": 200, "shuffle": True}
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val),
                            callbacks=[stopper], verbose=0, **fit_kwargs)
        ev = model.evaluate(x_val, y_val, batch_size=batch, return_dict=True, verbose=0)
        h = history.history
        runs.append({
            "seed": seed, "epochs_run": len(h["loss"]),
            "stopped_epoch": stopper.stopped_epoch, "best_epoch": stopper.best_epoch,
            "best_val_loss": float(min(h["val_loss"])),
            "val_loss": float(ev["loss"]), "val_binary_accuracy": float(ev["binary_accuracy"]),
            "max_val_binary_accuracy_in_history": float(max(h["val_binary_accuracy"])),
        })
        print(f"  early stopping seed {seed}: {runs[-1]}", file=sys.stderr)
    summary = {
        key: {"min": min(r[key] for r in runs), "max": max(r[key] for r in runs)}
        for key in ("epochs_run", "best_epoch", "val_loss", "val_binary_accuracy")
    }
    cat.add("bc_early_stopping", model_meta(
        model, compile_kwargs, fit_kwargs,
        callbacks=[{"class": "EarlyStopping", "config": {
            "patience": 10, "restore_best_weights": True, "monitor": "val_loss"}}],
        runs=runs, summary=summary,
        note=("fit(x_train, y_train, validation_data=(x_val, y_val)) from the stored initial "
              "weights, once per seed in keras.utils.set_random_seed(seed) (Keras's shuffle); "
              "val_loss/val_binary_accuracy are model.evaluate(x_val, y_val) after fit, i.e. "
              "with the restored best weights."),
    ), {f"w{i}_init": w for i, w in enumerate(init)})

    # 2. The same start without shuffling: deterministic, compared weight by weight.
    model = base_model()
    model.set_weights(init)
    compile_kwargs = compile_model(model)
    fit_kwargs = {"batch_size": batch, "epochs": 3, "shuffle": False}
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), verbose=0,
                        **fit_kwargs)
    ev = model.evaluate(x_val, y_val, batch_size=batch, return_dict=True, verbose=0)
    arrays = weight_arrays(init, model.get_weights())
    arrays["predict_val"] = model.predict(x_val, batch_size=batch, verbose=0)
    cat.add("bc_noshuffle", model_meta(model, compile_kwargs, fit_kwargs, history,
                                       validation_data=True, evaluate_val=ev), arrays)

    # 3a. Dropout is the identity outside training: predict/evaluate with fixed weights.
    model = base_model("dropout")
    dropout_init = glorot_like(model, rng)
    compile_kwargs = compile_model(model)
    ev = model.evaluate(x_val, y_val, batch_size=batch, return_dict=True, verbose=0)
    cat.add("bc_dropout_inference", model_meta(model, compile_kwargs, {}, evaluate_val=ev), {
        **{f"w{i}_init": w for i, w in enumerate(dropout_init)},
        "predict_val": model.predict(x_val, batch_size=batch, verbose=0),
        "call_training_false": model(x_val, training=False).numpy(),
    })

    # 3b. BatchNormalization with L2 on gamma (and L1 on beta, L2 on a bias), no shuffle.
    model = base_model("bn_l2")
    bn_init = glorot_like(model, rng)
    compile_kwargs = compile_model(model)
    fit_kwargs = {"batch_size": batch, "epochs": 2, "shuffle": False}
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), verbose=0,
                        **fit_kwargs)
    ev = model.evaluate(x_val, y_val, batch_size=batch, return_dict=True, verbose=0)
    arrays = weight_arrays(bn_init, model.get_weights())
    arrays["predict_val"] = model.predict(x_val, batch_size=batch, verbose=0)
    penalty = float(sum(float(loss) for loss in model.losses))
    cat.add("bc_batchnorm_l2", model_meta(model, compile_kwargs, fit_kwargs, history,
                                          validation_data=True, evaluate_val=ev,
                                          regularization_after=penalty), arrays)

    # 4. class_weight and sample_weight, one epoch each, with weighted metrics.
    weighted = {"metrics": ["binary_accuracy"], "weighted_metrics": ["binary_accuracy"]}
    for cid, class_weight in (("bc_class_weight", {0: 1.0, 1: 3.0}),
                              ("bc_class_weight_partial", {1: 3.0, 2: 5.0})):
        model = base_model()
        model.set_weights(init)
        compile_kwargs = compile_model(model, **weighted)
        fit_kwargs = {"batch_size": batch, "epochs": 1, "shuffle": False,
                      "class_weight": class_weight}
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val), verbose=0,
                            **fit_kwargs)
        note = None
        if cid == "bc_class_weight_partial":
            note = ("Keras gives classes missing from class_weight the weight 1.0 and ignores "
                    "keys that are not labels, so this run equals bc_class_weight.")
        cat.add(cid, model_meta(model, compile_kwargs, fit_kwargs, history,
                                validation_data=True, note=note),
                weight_arrays(init, model.get_weights()))

    sw_rng = np.random.default_rng(7)
    sw_train = sw_rng.uniform(0.25, 2.0, len(y_train)).astype(F32)
    sw_val = sw_rng.uniform(0.25, 2.0, len(y_val)).astype(F32)
    model = base_model()
    model.set_weights(init)
    compile_kwargs = compile_model(model, **weighted)
    fit_kwargs = {"batch_size": batch, "epochs": 1, "shuffle": False}
    history = model.fit(x_train, y_train, sample_weight=sw_train,
                        validation_data=(x_val, y_val, sw_val), verbose=0, **fit_kwargs)
    ev = model.evaluate(x_val, y_val, sample_weight=sw_val, batch_size=batch,
                        return_dict=True, verbose=0)
    arrays = weight_arrays(init, model.get_weights())
    arrays.update(sample_weight=sw_train, val_sample_weight=sw_val)
    cat.add("bc_sample_weight", model_meta(
        model, compile_kwargs, fit_kwargs, history, validation_data=True,
        evaluate_val_weighted=ev,
        note="fit(..., sample_weight=sample_weight, validation_data=(x_val, y_val, "
             "val_sample_weight)); evaluate_val_weighted uses sample_weight=val_sample_weight."),
        arrays)

    # 5. validation_split: Keras validates on the LAST rows, taken before any shuffling.
    model = base_model()
    model.set_weights(init)
    compile_kwargs = compile_model(model)
    fit_kwargs = {"batch_size": batch, "epochs": 2, "shuffle": False, "validation_split": 0.2}
    history = model.fit(x_train, y_train, verbose=0, **fit_kwargs)
    cat.add("bc_validation_split", model_meta(model, compile_kwargs, fit_kwargs, history),
            weight_arrays(init, model.get_weights()))
    cat.write()


if __name__ == "__main__":
    main()
