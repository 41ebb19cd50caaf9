#!/usr/bin/env python
"""Reference runs of Keras's multi-input / multi-output functional models, for lamina's tests.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_functional_fixtures.py

Each case builds the same model with the same weights in both libraries (``build(keras)``
below is also what the test calls with lamina), trains it without shuffling, and records the
History (its keys and values), the final weights, ``evaluate`` as a list and as a dict, and the
structure and values of ``predict``. Writes tests/fixtures/keras/functional.json and .npz.

The training rows split into full batches: Keras on TensorFlow weights a partial last batch's
per-output loss ("price_loss") as a full batch (the batch size it traced), which lamina does
not copy (it weights every output's loss by the batch's rows, as the total loss is).
"""

import json
import os
import sys
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fixtures"))


def data(seed=0, n=48):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, 4)).astype("float32")
    b = rng.standard_normal((n, 3)).astype("float32")
    label = (a[:, 0] + b[:, 1] > 0).astype("int64")
    price = (a[:, :2].sum(1, keepdims=True) - b[:, :1]).astype("float32")
    weights = rng.uniform(0.5, 1.5, n).astype("float32")
    return a, b, label, price, weights


def set_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.standard_normal(w.shape) * 0.4).astype("float32")
                       for w in model.get_weights()])


def two_towers(K):
    """Two named inputs (a dict), merged, two outputs (a list)."""
    L = K.layers
    a, b = K.Input((4,), name="a"), K.Input((3,), name="b")
    h = L.Concatenate()([L.Dense(5, activation="relu")(a), L.Dense(5, activation="tanh")(b)])
    h = L.Add()([L.Dense(6)(h), L.Dense(6)(h)])
    label = L.Dense(2, activation="softmax", name="label")(h)
    price = L.Dense(1, name="price")(L.Multiply()([h, L.Dense(6, activation="sigmoid")(h)]))
    return K.Model({"a": a, "b": b}, [label, price])


def dict_outputs(K):
    """A list of inputs and a dict of outputs; one loss for every output."""
    L = K.layers
    a, b = K.Input((4,), name="a"), K.Input((3,), name="b")
    h = L.Dense(4, activation="relu")(L.Concatenate()([a, b]))
    both = L.Average()([L.Dense(4)(h), L.Dense(4)(h)])
    return K.Model([a, b], {"first": L.Dense(1, name="first")(both),
                            "second": L.Dense(1, name="second")(L.Maximum()([h, both]))})


CASES = {
    "two_towers": dict(
        build=two_towers,
        compile=lambda K: dict(
            optimizer=K.optimizers.Adam(0.01),
            loss={"label": "sparse_categorical_crossentropy", "price": "mse"},
            loss_weights={"label": 1.0, "price": 0.5},
            metrics={"label": ["accuracy"], "price": ["mae", "mse"]}),
        fit=lambda a, b, label, price, w: dict(
            x={"a": a, "b": b}, y={"label": label, "price": price}, validation_split=1 / 3)),
    "two_towers_list_args": dict(
        build=two_towers,
        compile=lambda K: dict(
            optimizer=K.optimizers.SGD(0.05),
            loss=["sparse_categorical_crossentropy", "mae"], loss_weights=[0.3, 1.0],
            metrics=[["accuracy"], []], weighted_metrics=[[], ["mse"]]),
        fit=lambda a, b, label, price, w: dict(
            x=[a, b], y=[label, price], sample_weight=w)),
    "dict_outputs_one_loss": dict(
        build=dict_outputs,
        compile=lambda K: dict(optimizer=K.optimizers.RMSprop(0.01), loss="mse",
                               metrics={"second": ["mae"]}),
        fit=lambda a, b, label, price, w: dict(
            x=[a, b], y={"first": price, "second": price * 2.0})),
    "one_target_for_the_one_loss": dict(
        build=two_towers,
        compile=lambda K: dict(optimizer=K.optimizers.Adam(0.01), loss=[None, "mse"]),
        fit=lambda a, b, label, price, w: dict(x={"a": a, "b": b}, y=price)),
}


def training_flags(K):
    """The ``training`` a layer sees, called in the graph with ``training=True``/``False``, when
    the model is called or predicts with each outer flag: ``{"graph/outer": seen}``."""
    seen = []

    class Probe(K.layers.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    x = np.ones((4, 3), "float32")
    out = {}
    for graph in (True, False):
        inputs = K.Input((3,))
        model = K.Model(inputs, K.layers.Dense(1)(Probe()(inputs, training=graph)))
        for outer in ("none", "true", "false", "predict"):
            seen.clear()
            if outer == "predict":
                model.predict(x, verbose=0)
            elif outer == "none":
                model(x)
            else:
                model(x, training=outer == "true")
            out[f"{str(graph).lower()}/{outer}"] = seen[-1]
        base = K.Sequential([K.Input((3,)), Probe()])  # the transfer-learning pattern
        inputs = K.Input((3,))
        nested = K.Model(inputs, base(inputs, training=graph))
        seen.clear()
        nested(x, training=True)
        out[f"nested_{str(graph).lower()}/true"] = seen[-1]
    return out


def run(K, name):
    case = CASES[name]
    a, b, label, price, w = data()
    model = case["build"](K)
    set_weights(model, 11)
    model.compile(**case["compile"](K))
    kwargs = case["fit"](a, b, label, price, w)
    history = model.fit(batch_size=16, epochs=3, shuffle=False, verbose=0, **kwargs)
    ev_kwargs = {k: v for k, v in kwargs.items() if k in ("x", "y", "sample_weight")}
    evaluated = model.evaluate(batch_size=16, verbose=0, **ev_kwargs)
    as_dict = model.evaluate(batch_size=16, verbose=0, return_dict=True, **ev_kwargs)
    predicted = model.predict(kwargs["x"], batch_size=16, verbose=0)
    return model, history.history, evaluated, as_dict, predicted


def main():
    import keras

    keras.utils.set_random_seed(0)
    record, arrays = {}, {}
    for name in CASES:
        model, history, evaluated, as_dict, predicted = run(keras, name)
        record[name] = {
            "history": {k: [float(v) for v in vs] for k, vs in history.items()},
            "history_keys": list(history),
            "evaluate": [float(v) for v in np.atleast_1d(evaluated)],
            "evaluate_dict": {k: float(v) for k, v in as_dict.items()},
            "predict_kind": type(predicted).__name__,
            "predict_keys": sorted(predicted) if isinstance(predicted, dict) else None,
        }
        for i, wt in enumerate(model.get_weights()):
            arrays[f"{name}/w{i}"] = wt
        leaves = [predicted[k] for k in sorted(predicted)] if isinstance(predicted, dict) \
            else list(predicted)
        for i, p in enumerate(leaves):
            arrays[f"{name}/p{i}"] = p
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "functional.json").write_text(json.dumps(
        {"keras": keras.__version__, "cases": record, "training_flags": training_flags(keras)},
        indent=1) + "\n")
    np.savez_compressed(OUT / "functional.npz", **arrays)
    print(f"functional: {len(record)} cases")


if __name__ == "__main__":
    main()
