#!/usr/bin/env python
"""Reference runs of masked sequence models in Keras (masks through layers, losses, metrics).

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_masking_fixtures.py

The builders below are also what the tests call with lamina. Writes
tests/fixtures/keras/masking.json and masking.npz.

The Embedding models train with SGD: with Adam or RMSprop, Keras on TensorFlow squares the
gradient of each occurrence of a token separately (its sparse IndexedSlices gradient), where
lamina squares the row's summed gradient (as dense gradients do, and as Keras on other
backends does), so their trajectories part after the first step when a batch repeats a token.
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"


def data(seed=0, n=40, steps=6, vocab=12):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, (n, steps))
    lengths = rng.integers(2, steps + 1, n)
    for i, length in enumerate(lengths):
        ids[i, length:] = 0  # padding at the end
    label = (ids[:, 0] > vocab // 2).astype("int64")
    tags = (ids % 3).astype("int64")  # a class per step (meaningless at padded steps)
    values = rng.standard_normal((n, steps, 2)).astype("float32")
    values[ids == 0] = 0.0
    target = values.sum(-1, keepdims=True) * 0.5
    return ids, lengths, label, tags, values, target


def set_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.standard_normal(w.shape) * 0.4).astype("float32")
                       for w in model.get_weights()])


def pooled(K):
    L = K.layers
    return K.Sequential([K.Input((6,), dtype="int32"), L.Embedding(12, 5, mask_zero=True),
                         L.Dense(4, activation="tanh"), L.GlobalAveragePooling1D(),
                         L.Dense(2, activation="softmax")])


def per_step(K):
    L = K.layers
    return K.Sequential([K.Input((6,), dtype="int32"), L.Embedding(12, 5, mask_zero=True),
                         L.Dropout(0.0), L.Dense(3, activation="softmax")])


def masked_regression(K):
    L = K.layers
    inputs = K.Input((6, 2))
    h = L.Masking()(inputs)
    h = L.LayerNormalization()(L.Dense(4, activation="relu")(h))
    return K.Model(inputs, L.Dense(1)(h))


CASES = {
    "pooled": (pooled, "sparse_categorical_crossentropy", ["accuracy"],
               lambda d: (d[0], d[2]), lambda K: K.optimizers.SGD(0.2)),
    "per_step": (per_step, "sparse_categorical_crossentropy", ["accuracy"],
                 lambda d: (d[0], d[3]), lambda K: K.optimizers.SGD(0.2, momentum=0.5)),
    "masked_regression": (masked_regression, "mse", ["mae"], lambda d: (d[4], d[5]),
                          lambda K: K.optimizers.Adam(0.02)),
}


def run(K, name):
    build, loss, metrics, xy, optimizer = CASES[name]
    x, y = xy(data())
    model = build(K)
    set_weights(model, 5)
    model.compile(optimizer=optimizer(K), loss=loss, metrics=metrics)
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return model, history.history, model.evaluate(x, y, batch_size=8, verbose=0), \
        model.predict(x, batch_size=8, verbose=0)


def main():
    import keras

    keras.utils.set_random_seed(0)
    record, arrays = {}, {}
    for name in CASES:
        model, history, evaluated, predicted = run(keras, name)
        record[name] = {"history": {k: [float(v) for v in vs] for k, vs in history.items()},
                        "evaluate": [float(v) for v in evaluated]}
        for i, w in enumerate(model.get_weights()):
            arrays[f"{name}/w{i}"] = w
        arrays[f"{name}/predict"] = predicted
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "masking.json").write_text(json.dumps(
        {"keras": keras.__version__, "cases": record}, indent=1) + "\n")
    np.savez_compressed(OUT / "masking.npz", **arrays)
    print(f"masking: {len(record)} cases")


if __name__ == "__main__":
    main()
