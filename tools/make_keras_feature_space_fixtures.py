#!/usr/bin/env python
"""Reference numbers of Keras's ``FeatureSpace`` and ``HashedCrossing``, for lamina's tests.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1):

    /opt/keras-ref/bin/python tools/make_keras_feature_space_fixtures.py

Writes tests/fixtures/keras/feature_space.json (the cases: feature specs, output names and
shapes) and feature_space.npz (the synthetic table ``col_<name>``, and the outputs
``<case>__<name>`` after adapting on the table in batches of 16, called on the whole table),
and feature_space_<case>.keras: each adapted FeatureSpace as Keras saves it.

    /opt/keras-ref/bin/python tools/make_keras_feature_space_fixtures.py --check DIR

instead loads DIR/feature_space_<case>.keras files saved by lamina (e.g. by loading the
fixtures above and saving them again) in Keras and checks their outputs against the fixtures.
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"
FS = keras.utils.FeatureSpace


def table():
    rng = np.random.default_rng(18)
    n = 48
    return {
        "f": rng.normal(size=n).astype("float32"),
        "fr": rng.uniform(0, 10, n).astype("float32"),
        "fn": rng.normal(3.0, 2.0, n).astype("float32"),
        "fd": rng.uniform(size=n).astype("float32"),
        "ic": rng.integers(0, 6, n).astype("int64"),
        "sc": rng.choice(["red", "green", "blue", "cyan", "a much longer colour name"], n),
        "ih": rng.integers(-50, 200, n).astype("int64"),
        "sh": rng.choice(["x", "yy", "zzz", "wwww"], n),
    }


# Each case: features as (kind, keyword arguments) or a shorthand string, crosses, mode.
CASES = {
    "concat": {
        "features": {
            "f": ["float", {}], "fr": ["float_rescaled", {"scale": 0.5, "offset": 1.0}],
            "fn": "float_normalized", "fd": ["float_discretized", {"num_bins": 4}],
            "ic": "integer_categorical", "sc": "string_categorical",
            "ih": ["integer_hashed", {"num_bins": 8}], "sh": "string_hashed",
        },
        "crosses": [[["ic", "sc"], 7, "one_hot"]],
        "output_mode": "concat", "hashing_dim": 5,
    },
    "dict": {
        "features": {
            "f": "float", "fn": ["float_normalized", {}],
            "fd": ["float_discretized", {"num_bins": 5, "output_mode": "int"}],
            "ic": ["integer_categorical", {"output_mode": "int"}],
            "sc": ["string_categorical", {"max_tokens": 4, "num_oov_indices": 2}],
            "ih": ["integer_hashed", {"num_bins": 9, "output_mode": "int"}],
            "sh": ["string_hashed", {"num_bins": 6}],
        },
        "crosses": [[["sc", "ih"], 11, "int"], [["ic", "sh"], 13, "one_hot"]],
        "output_mode": "dict",
    },
}

# HashedCrossing alone: (name, columns, num_bins, output_mode)
CROSSINGS = [
    ("strings_ints", [["A", "B", "A", "B", "A"], [101, 101, 101, 102, 102]], 5, "int"),
    ("three_way", [["longer than sixty-four bytes " * 3, "", "é", "q", "xyz"],
                   [-1, 0, 2**40, -(2**62), 7], ["u", "v", "w", "u", "v"]], 1000, "int"),
    ("ints_one_hot", [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1]], 6, "one_hot"),
]


def build(spec):
    features = {}
    for name, kind in spec["features"].items():
        if isinstance(kind, str):
            features[name] = kind
        else:
            features[name] = getattr(FS, kind[0])(**kind[1], name=name)
    crosses = [FS.cross(names, crossing_dim=dim, output_mode=mode)
               for names, dim, mode in spec["crosses"]]
    extra = {k: spec[k] for k in ("hashing_dim",) if k in spec}
    return FS(features, crosses=crosses, output_mode=spec["output_mode"], **extra)


def main():
    data = table()
    arrays = {f"col_{k}": v for k, v in data.items()}
    meta = {"keras_version": keras.__version__, "tf_version": tf.__version__, "cases": {},
            "crossings": {}}
    for case, spec in CASES.items():
        fs = build(spec)
        cols = {k: data[k] for k in spec["features"]}
        fs.adapt(tf.data.Dataset.from_tensor_slices(cols).batch(16))
        OUT.mkdir(parents=True, exist_ok=True)
        fs.save(str(OUT / f"feature_space_{case}.keras"))
        out = fs(cols)
        outs = out if isinstance(out, dict) else {"concat": out}
        one = fs({k: v[3] for k, v in cols.items()})  # one unbatched row
        ones = one if isinstance(one, dict) else {"concat": one}
        meta["cases"][case] = {**spec, "outputs": {
            k: {"shape": list(np.shape(v)), "dtype": str(np.asarray(v).dtype)}
            for k, v in outs.items()}}
        for k, v in outs.items():
            arrays[f"{case}__{k}"] = np.asarray(v)
            arrays[f"{case}__row3__{k}"] = np.asarray(ones[k])
    for name, cols, bins, mode in CROSSINGS:
        layer = keras.layers.HashedCrossing(num_bins=bins, output_mode=mode)
        arrays[f"crossing__{name}"] = np.asarray(layer(tuple(np.array(c) for c in cols)))
        meta["crossings"][name] = {"columns": cols, "num_bins": bins, "output_mode": mode}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "feature_space.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    np.savez_compressed(OUT / "feature_space.npz", **arrays)
    print(f"wrote {len(arrays)} arrays")


def check(folder):
    """Load lamina-saved ``feature_space_<case>.keras`` files in Keras; compare with the fixtures."""
    data, want = table(), dict(np.load(OUT / "feature_space.npz"))
    for case, spec in CASES.items():
        fs = keras.saving.load_model(str(Path(folder) / f"feature_space_{case}.keras"))
        out = fs({k: data[k] for k in spec["features"]})
        for name, x in (out if isinstance(out, dict) else {"concat": out}).items():
            np.testing.assert_allclose(np.asarray(x), want[f"{case}__{name}"], atol=1e-5)
        print(f"{case}: the lamina-saved file gives Keras's outputs")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--check"]:
        check(sys.argv[2])
    else:
        main()
