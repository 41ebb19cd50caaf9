#!/usr/bin/env python
"""Reference configs, outputs and a saved file for Permute, RepeatVector and Identity.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_reshaping_fixtures.py

Writes tests/fixtures/keras/reshaping_layers.json and .npz (configs and outputs) and
reshaping_layers.keras (a model using all three, saved by Keras; its predictions in the npz).
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"


def main():
    import keras

    rng = np.random.default_rng(0)
    x3 = rng.standard_normal((2, 3, 4)).astype("float32")
    x2 = rng.standard_normal((2, 5)).astype("float32")
    cases = {
        "permute": (keras.layers.Permute((2, 1), name="permute"), x3),
        "permute3": (keras.layers.Permute((3, 1, 2), name="permute3"),
                     rng.standard_normal((2, 3, 4, 5)).astype("float32")),
        "repeat": (keras.layers.RepeatVector(3, name="repeat"), x2),
        "identity": (keras.layers.Identity(name="identity"), x3),
    }
    arrays, configs = {}, {}
    for key, (layer, x) in cases.items():
        arrays[f"{key}_x"] = x
        arrays[f"{key}_y"] = keras.ops.convert_to_numpy(layer(x))
        configs[key] = layer.get_config()
    keras.utils.set_random_seed(1)
    inp = keras.Input((5,))
    h = keras.layers.RepeatVector(4, name="rep")(inp)
    h = keras.layers.Permute((2, 1), name="perm")(h)
    h = keras.layers.Identity(name="ident")(h)
    out = keras.layers.Dense(2, name="dense")(h)
    model = keras.Model(inp, out)
    model.save(OUT / "reshaping_layers.keras")
    arrays["model_x"] = x2
    arrays["model_y"] = model.predict(x2, verbose=0)
    np.savez(OUT / "reshaping_layers.npz", **arrays)
    with open(OUT / "reshaping_layers.json", "w") as f:
        json.dump({"keras": keras.__version__, "configs": configs}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
