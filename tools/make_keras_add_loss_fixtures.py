#!/usr/bin/env python
"""Reference runs of models whose layers call ``add_loss`` (Keras's numbers for lamina's tests).

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_add_loss_fixtures.py

A VAE-style sampling layer is left out on purpose (its noise cannot match TensorFlow's RNG);
the layers here add deterministic penalties. Writes tests/fixtures/keras/add_loss.json/.npz.
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"


def layer_classes(K):
    class Sparsity(K.layers.Layer):
        """Adds 0.01 * mean(|x|) of its input and passes it on."""

        def call(self, x):
            self.add_loss(0.01 * K.ops.mean(K.ops.abs(x)))
            return x

    class Tied(K.layers.Layer):
        """A Dense layer that adds a penalty on its kernel computed in call()."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="glorot_uniform")

        def call(self, x):
            self.add_loss(0.05 * K.ops.sum(K.ops.square(self.w)))
            return K.ops.matmul(x, self.w)

    return Sparsity, Tied


def build(K):
    Sparsity, Tied = layer_classes(K)
    inputs = K.Input((4,))
    h = Sparsity()(K.layers.Dense(5, activation="tanh")(inputs))
    return K.Model(inputs, K.layers.Dense(1)(Tied(3)(h)))


def data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 4)).astype("float32")
    return x, (x[:, :1] - x[:, 1:2]).astype("float32")


def set_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.standard_normal(w.shape) * 0.4).astype("float32")
                       for w in model.get_weights()])


def run(K):
    x, y = data()
    model = build(K)
    set_weights(model, 9)
    model.compile(optimizer=K.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return model, history.history, model.evaluate(x, y, batch_size=8, verbose=0)


def main():
    import keras

    model, history, evaluated = run(keras)
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "add_loss.json").write_text(json.dumps(
        {"keras": keras.__version__, "history": {k: [float(v) for v in vs]
                                                 for k, vs in history.items()},
         "evaluate": float(evaluated)}, indent=1) + "\n")
    np.savez_compressed(OUT / "add_loss.npz", **arrays)
    print("add_loss: written")


if __name__ == "__main__":
    main()
