#!/usr/bin/env python
"""Make the tf.data fixtures: what TensorFlow's tf.data gives for deterministic pipelines.

Run it with the reference environment (TensorFlow 2.21); lamina and its tests
never need it:

    /opt/keras-ref/bin/python tools/make_tf_data_fixtures.py

The pipelines are the cases of ``tests/data/tf_data_cases.py``. For each, it
writes into ``tests/fixtures/tf_data/tf_data.json``: the elements (the values
with their dtypes and shapes, in order; strings decoded from TensorFlow's bytes),
the cardinality and the element_spec (shapes with ``null`` for unknown
dimensions, dtype names). Shuffled orders are not recorded: TensorFlow's random
numbers cannot be matched. Running it twice gives the same file.
"""

from __future__ import annotations

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["AUTOGRAPH_VERBOSITY"] = "0"

import json  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "data"))
import tf_data_cases  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "tf_data", "tf_data.json")


def encode_leaf(value):
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind == "S":  # tf.string: bytes
        values = np.vectorize(lambda b: b.decode("utf-8"), otypes=[object])(arr) \
            if arr.size else arr
        return {"dtype": "string", "shape": list(arr.shape),
                "value": values.tolist() if arr.ndim else values.item()}
    return {"dtype": arr.dtype.name, "shape": list(arr.shape), "value": arr.tolist()}


def encode(element):
    if isinstance(element, tuple):
        return {"tuple": [encode(e) for e in element]}
    if isinstance(element, dict):
        return {"dict": {str(k): encode(v) for k, v in element.items()}}
    return encode_leaf(element)


def encode_spec(spec):
    if isinstance(spec, tuple):
        return {"tuple": [encode_spec(s) for s in spec]}
    if isinstance(spec, dict):
        return {"dict": {str(k): encode_spec(v) for k, v in spec.items()}}
    shape = None if spec.shape.rank is None else spec.shape.as_list()
    return {"dtype": spec.dtype.name, "shape": shape}


def main():
    tf.autograph.set_verbosity(0)
    T = types.SimpleNamespace(TensorSpec=tf.TensorSpec, int32=tf.int32, int64=tf.int64,
                              float32=tf.float32)
    out = {"tensorflow": tf.__version__, "cases": {}}
    for name, build in tf_data_cases.CASES.items():
        ds = build(tf.data.Dataset, T)
        record = {"cardinality": int(ds.cardinality()),
                  "element_spec": encode_spec(ds.element_spec)}
        if tf_data_cases.ITERATE[name]:
            record["elements"] = [encode(e) for e in ds.as_numpy_iterator()]
        out["cases"][name] = record
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(out['cases'])} cases to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
