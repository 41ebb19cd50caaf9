#!/usr/bin/env python
"""Legacy ``.h5`` files written by lamina, checked by real Keras (``keras.models.load_model``).

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1, h5py):

    /opt/keras-ref/bin/python tools/make_keras_h5_fixtures.py

For each case, lamina (imported from src/) builds a small model with seeded
weights (the "mlp" case is also compiled and trained two epochs, so the file has
compile settings and optimizer state) and saves it with ``model.save("….h5")``
into tests/fixtures/keras_files/lamina_h5_<case>.h5. Keras then loads the file;
the script checks here that Keras predicts what lamina predicts (to 1e-5) and,
for the trained case, that Keras compiled it with the saved optimizer settings
(Keras 3 does not take optimizer slots back from any ``.h5`` file, its own
included).
tests/fixtures/keras_files/lamina_h5_<case>.npz keeps the inputs ``x`` and
Keras's predictions ``keras_y``; lamina_h5_files.json keeps the layout Keras
writes when it saves the loaded model as ``.h5`` again (attributes, layer and
weight names, dataset shapes), which lamina's writer must reproduce.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures" / "keras_files"
sys.path.insert(0, str(REPO / "src"))
import lamina  # noqa: E402


def seeded(model, seed):
    r = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for w in layer.weights:
            shape = tuple(w.shape)
            if "variance" in w.name:
                values.append((r.random(shape) + 0.5).astype("float32"))
            else:
                values.append((r.standard_normal(shape) * 0.5).astype("float32"))
        if values:
            layer.set_weights(values)


def case_mlp():
    K = lamina
    K.utils.set_random_seed(0)  # the dropout masks of the two epochs
    model = K.Sequential([K.Input((6,)), K.layers.Dense(8, activation="relu", name="hidden"),
                          K.layers.BatchNormalization(name="norm"), K.layers.Dropout(0.2),
                          K.layers.Dense(3, activation="softmax", name="probs")])
    seeded(model, 1)
    r = np.random.default_rng(2)
    x = r.standard_normal((32, 6)).astype("float32")
    y = r.integers(0, 3, 32)
    model.compile(optimizer=K.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    return model, x[:5]


def case_cnn():
    K = lamina
    inputs = K.Input((8, 8, 2), name="image")
    a = K.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a")(inputs)
    b = K.layers.Conv2D(4, 1, name="conv_b")(inputs)
    merged = K.layers.Add(name="merge")([a, b])
    pooled = K.layers.MaxPooling2D(name="pool")(merged)
    flat = K.layers.GlobalAveragePooling2D(name="gap")(pooled)
    outputs = K.layers.Dense(2, name="head")(flat)
    model = K.Model(inputs, outputs, name="small_cnn")
    seeded(model, 3)
    x = np.random.default_rng(4).standard_normal((3, 8, 8, 2)).astype("float32")
    return model, x


def case_nested():
    """A Sequential base inside a Functional model (the fine-tuning pattern)."""
    K = lamina
    base = K.Sequential([K.Input((5,)), K.layers.Dense(6, activation="tanh", name="inner"),
                         K.layers.LayerNormalization(name="inner_norm")], name="base")
    inputs = K.Input((5,), name="features")
    outputs = K.layers.Dense(2, name="head")(base(inputs))
    model = K.Model(inputs, outputs, name="tuned")
    seeded(model, 5)
    seeded(base, 6)
    x = np.random.default_rng(7).standard_normal((4, 5)).astype("float32")
    return model, x


def layout(path) -> dict:
    """What a legacy .h5 file holds, apart from the values and the configs' text."""
    out = {"root_attrs": [], "layer_names": [], "weights": {}, "optimizer": []}
    with h5py.File(path, "r") as f:
        out["root_attrs"] = sorted(f.attrs)
        group = f["model_weights"]
        out["layer_names"] = [str(n.decode() if isinstance(n, bytes) else n)
                              for n in group.attrs["layer_names"]]
        for name in sorted(group):
            names = [str(n.decode() if isinstance(n, bytes) else n)
                     for n in group[name].attrs["weight_names"]]
            out["weights"][name] = [[n, list(group[name][n].shape)] for n in names]
        if "optimizer_weights" in f:
            opt = f["optimizer_weights"]
            out["optimizer"] = [[str(n.decode() if isinstance(n, bytes) else n),
                                 list(opt[n.decode() if isinstance(n, bytes) else n].shape)]
                                for n in opt.attrs["weight_names"]]
    return out


def main():
    record = {"keras": keras.__version__, "cases": {}}
    tmp = Path(tempfile.mkdtemp())
    for name, builder in (("mlp", case_mlp), ("cnn", case_cnn), ("nested", case_nested)):
        model, x = builder()
        path = OUT / f"lamina_h5_{name}.h5"
        model.save(path)
        lamina_y = model.predict(x, verbose=0)
        restored = keras.models.load_model(path)
        keras_y = np.asarray(restored.predict(x, verbose=0))
        err = float(np.max(np.abs(keras_y - lamina_y)))
        assert err < 1e-5, (name, err)
        entry = {"max_error_vs_lamina": err, "compiled": bool(restored.compiled)}
        if name == "mlp":
            # Keras 3 compiles the model from the file but builds its optimizer over the model's
            # own (empty) variable list, so it cannot take the saved slots back, with its own
            # files as with lamina's: only the compile settings are compared.
            assert type(restored.optimizer).__name__ == "Adam"
            assert abs(float(restored.optimizer.learning_rate.numpy()) - 0.01) < 1e-7
            entry["optimizer"] = type(restored.optimizer).__name__
            entry["learning_rate"] = float(restored.optimizer.learning_rate.numpy())
            entry["loss"] = getattr(restored.loss, "__name__", str(restored.loss))
        resaved = tmp / f"{name}.h5"
        restored.save(resaved)
        entry["keras_layout"] = layout(resaved)
        np.savez_compressed(OUT / f"lamina_h5_{name}.npz", x=x, keras_y=keras_y)
        record["cases"][name] = entry
        print(f"  lamina_h5_{name}.h5: Keras predicts the same (max error {err:.1e})")
    (OUT / "lamina_h5_files.json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
