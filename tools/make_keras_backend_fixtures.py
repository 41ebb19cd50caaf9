#!/usr/bin/env python
"""Reference values of the Keras 2 functions that ``tf.keras.backend`` keeps (``K.mean``, ...).

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_backend_fixtures.py

Each case is a function name, its arguments (arrays by name in the npz, plain values in the
JSON) and the value TensorFlow's legacy backend returns. Writes
tests/fixtures/keras/legacy_backend.json and legacy_backend.npz.
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"


def arrays():
    rng = np.random.default_rng(0)
    probs = rng.uniform(0.01, 1.0, (4, 3)).astype("float32")
    return {
        "a": rng.standard_normal((4, 3)).astype("float32"),
        "b": rng.standard_normal((3, 5)).astype("float32"),
        "c": rng.standard_normal((2, 3, 4)).astype("float32"),
        "d": rng.standard_normal((2, 4, 5)).astype("float32"),
        "p": (probs / probs.sum(-1, keepdims=True)).astype("float32"),
        "p_edge": np.array([[0.0, 1.0, 0.5], [1e-9, 0.999999, 0.3]], "float32"),
        "t01": rng.integers(0, 2, (4, 3)).astype("float32"),
        "onehot": np.eye(3, dtype="float32")[[0, 2, 1, 1]],
        "labels": np.array([0, 2, 1, 1], "int64"),
        "labels_col": np.array([[0], [2], [1], [1]], "int64"),
    }


# (function, array arguments, keyword arguments)
CASES = [
    ("mean", ["a"], {"axis": 1}), ("sum", ["a"], {"axis": 0, "keepdims": True}),
    ("std", ["a"], {}), ("var", ["a"], {"axis": -1}), ("max", ["a"], {"axis": 1}),
    ("square", ["a"], {}), ("exp", ["a"], {}), ("abs", ["a"], {}),
    ("clip", ["a"], {"min_value": -0.5, "max_value": 0.5}),
    ("dot", ["a", "b"], {}), ("dot", ["c", "d"], {}), ("batch_dot", ["c", "d"], {"axes": (2, 1)}),
    ("batch_flatten", ["c"], {}), ("l2_normalize", ["a"], {"axis": 1}),
    ("relu", ["a"], {"alpha": 0.1, "max_value": 0.8}), ("softmax", ["a"], {}),
    ("binary_crossentropy", ["t01", "p"], {}), ("binary_crossentropy", ["t01", "p_edge_t"], {}),
    ("binary_crossentropy", ["t01", "a"], {"from_logits": True}),
    ("categorical_crossentropy", ["onehot", "p"], {}),
    ("categorical_crossentropy", ["onehot", "a"], {"from_logits": True}),
    ("sparse_categorical_crossentropy", ["labels", "p"], {}),
    ("sparse_categorical_crossentropy", ["labels_col", "a"], {"from_logits": True}),
    ("repeat", ["a"], {"n": 2}), ("repeat_elements", ["a"], {"rep": 2, "axis": 1}),
    ("permute_dimensions", ["c"], {"pattern": (0, 2, 1)}), ("reverse", ["a"], {"axes": 1}),
]


def main():
    import tensorflow as tf
    from tensorflow import keras

    K = keras.backend
    data = arrays()
    data["p_edge_t"] = np.concatenate([data["p_edge"], data["p_edge"]], 0)
    out, meta = dict(data), []
    for i, (name, args, kwargs) in enumerate(CASES):
        value = getattr(K, name)(*[tf.constant(data[a]) for a in args], **kwargs)
        out[f"out{i}"] = np.asarray(value)
        meta.append({"function": name, "args": args, "kwargs": kwargs, "out": f"out{i}"})
    np.savez(OUT / "legacy_backend.npz", **out)
    with open(OUT / "legacy_backend.json", "w") as f:
        json.dump({"keras": keras.__version__, "cases": meta}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
