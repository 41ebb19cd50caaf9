#!/usr/bin/env python
"""Reference values and gradients of the TensorFlow array functions ``lamina run`` offers.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_tf_ops_fixtures.py

Each case is a function (``"gather"``, ``"math.not_equal"``, ``"nn.embedding_lookup"``), its
arguments (arrays by name in the npz, plain values in the JSON), its outputs and, for float
arguments, the gradient of ``sum(output * weight)`` (one fixed random weight per output)
that ``tf.GradientTape`` gives. Writes tests/fixtures/keras/tf_ops.json and tf_ops.npz.
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
    table = rng.standard_normal((5, 3))
    table[2] = 0.0  # a zero row: max_norm's clipping must stay finite there
    return {
        "x23": rng.standard_normal((2, 3)),
        "y23": np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -2.0]]),
        "x234": rng.standard_normal((2, 3, 4)),
        "x64": rng.standard_normal((6, 4)),
        "a32": rng.standard_normal((3, 2)),
        "b34": rng.standard_normal((3, 4)),
        "a223": rng.standard_normal((2, 2, 3)),
        "b253": rng.standard_normal((2, 5, 3)),
        "table": table,
        "idx": np.array([[1, 4], [0, 1]], "int32"),
        "idx_col": np.array([[2, 0]], "int64"),
        "idx_b": np.array([[0, 2], [1, 1]], "int32"),
        "idx_b3": np.array([[3, 0, 1], [2, 2, 0]], "int32"),
        "lengths": np.array([1, 3, 2], "int32"),
        "lengths2": np.array([[1, 3], [2, 0]], "int32"),
        "mask23": np.array([[True, False, True], [False, False, True]]),
        "mask3": np.array([True, False, True]),
        "mask2": np.array([False, True]),
        "z23": np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]),
        "p23": np.array([[0.2, 0.5, 0.3], [0.0, 0.9, 0.1]]),
        "lab2": np.array([1, 2], "int32"),
        "nd_idx": np.array([[0, 1], [1, 2], [1, 0]], "int32"),
    }


# (function, array arguments, keyword arguments)
CASES = [
    ("transpose", ["x234"], {"perm": [2, 0, 1]}),
    ("transpose", ["x234"], {}),
    ("matmul", ["a32", "b34"], {"transpose_a": True}),
    ("matmul", ["a223", "b253"], {"transpose_b": True}),
    ("matmul", ["b253", "a223"], {"adjoint_b": True}),
    ("matmul", ["a223", "b34"], {}),
    ("tile", ["x23"], {"multiples": [2, 3]}),
    ("split", ["x64"], {"num_or_size_splits": 3}),
    ("split", ["x64"], {"num_or_size_splits": [1, -1, 2]}),
    ("split", ["x64"], {"num_or_size_splits": [1, 3], "axis": -1}),
    ("unstack", ["x234"], {"axis": 1}),
    ("unstack", ["x23"], {}),
    ("gather", ["table", "idx"], {}),
    ("gather", ["x23", "idx_col"], {"axis": 1}),
    ("gather", ["x234", "idx_b"], {"axis": 1, "batch_dims": 1}),
    ("gather", ["x234", "idx_b3"], {"axis": 2, "batch_dims": 1}),
    ("gather", ["x234", "idx_b3"], {"axis": -1, "batch_dims": -1}),
    ("pad", ["x23"], {"paddings": [[1, 0], [0, 2]]}),
    ("pad", ["x23"], {"paddings": [[1, 0], [0, 2]], "constant_values": 7.0}),
    ("pad", ["x23"], {"paddings": [[1, 1], [2, 2]], "mode": "REFLECT"}),
    ("pad", ["x23"], {"paddings": [[2, 1], [3, 1]], "mode": "symmetric"}),
    ("sequence_mask", ["lengths"], {"maxlen": 5}),
    ("sequence_mask", ["lengths2"], {}),
    ("sequence_mask", ["lengths"], {"maxlen": 4, "dtype": "float32"}),
    ("boolean_mask", ["x234", "mask23"], {}),
    ("boolean_mask", ["x234", "mask3"], {"axis": 1}),
    ("boolean_mask", ["x23", "mask2"], {}),
    ("nn.embedding_lookup", ["table", "idx"], {}),
    ("nn.embedding_lookup", ["table", "idx"], {"max_norm": 1.0}),
    ("nn.embedding_lookup", ["table", "idx_col"], {"max_norm": 0.5}),
    ("einsum", ["a223", "b253"], {"equation": "bij,bkj->bik"}),
    ("equal", ["x23", "y23"], {}), ("not_equal", ["y23", "y23"], {}),
    ("math.not_equal", ["x23", "y23"], {}), ("greater", ["x23", "y23"], {}),
    ("greater_equal", ["y23", "y23"], {}), ("less", ["x23", "y23"], {}),
    ("less_equal", ["x23", "y23"], {}),
    # compat_tf_more.py
    ("math.top_k", ["x234"], {"k": 2}), ("nn.top_k", ["x23"], {}),
    ("sort", ["x234"], {"axis": 1, "direction": "DESCENDING"}), ("argsort", ["x23"], {}),
    ("math.cumsum", ["x234"], {"axis": 2, "exclusive": True, "reverse": True}),
    ("cumsum", ["x23"], {"axis": 1}),
    ("norm", ["x234"], {"axis": 1, "keepdims": True}), ("linalg.norm", ["x23"], {}),
    ("math.l2_normalize", ["x234"], {"axis": -1}), ("nn.l2_normalize", ["x23"], {"axis": 0}),
    ("nn.sigmoid_cross_entropy_with_logits", ["z23", "x23"], {}),
    ("nn.softmax_cross_entropy_with_logits", ["p23", "x23"], {}),
    ("nn.sparse_softmax_cross_entropy_with_logits", ["lab2", "x23"], {}),
    ("gather_nd", ["x23", "nd_idx"], {}), ("nn.moments", ["x234"], {"axes": [0, 2]}),
    ("reduce_any", ["mask23"], {"axis": 1}), ("math.count_nonzero", ["y23"], {}),
]


def main():
    import tensorflow as tf

    data = arrays()
    rng = np.random.default_rng(1)
    out, meta = dict(data), []
    for i, (name, args, kwargs) in enumerate(CASES):
        fn = tf
        for part in name.split("."):
            fn = getattr(fn, part)
        kw = dict(kwargs)
        equation = kw.pop("equation", None)
        inputs = [tf.Variable(data[a]) if data[a].dtype.kind == "f" else tf.constant(data[a])
                  for a in args]
        with tf.GradientTape(persistent=True) as tape:
            value = fn(equation, *inputs, **kw) if equation else fn(*inputs, **kw)
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            total = 0.0
            weights = []
            for v in values:
                w = rng.standard_normal(tuple(v.shape))
                weights.append(w)
                if v.dtype.is_floating:
                    total = total + tf.reduce_sum(v * w)
        case = {"function": name, "args": args, "kwargs": kwargs, "outs": [], "weights": [],
                "grads": {}}
        for j, (v, w) in enumerate(zip(values, weights)):
            out[f"out{i}_{j}"], out[f"w{i}_{j}"] = np.asarray(v), w
            case["outs"].append(f"out{i}_{j}")
            case["weights"].append(f"w{i}_{j}")
        if not isinstance(total, float):
            for a, t in zip(args, inputs):
                if isinstance(t, tf.Variable):
                    g = tape.gradient(total, t)
                    out[f"g{i}_{a}"] = np.asarray(tf.convert_to_tensor(g))
                    case["grads"][a] = f"g{i}_{a}"
        meta.append(case)
    np.savez(OUT / "tf_ops.npz", **out)
    with open(OUT / "tf_ops.json", "w") as f:
        json.dump({"tensorflow": tf.__version__, "cases": meta}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
