#!/usr/bin/env python
"""Reference numbers of Keras's attention layers, EinsumDense, ``ops.layer_normalization``, and
a small Transformer block.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_attention_fixtures.py

Writes tests/fixtures/keras/attention.json and attention.npz. ``LAYERS`` are single layer
calls: each layer is built by a first call, given seeded weights, and called again; the
fixture keeps the inputs, the weights, the outputs (and attention scores), the parameter
count and the gradients of ``sum(output * c)`` with respect to the float inputs and the
weights. ``MODELS`` are Transformer encoder blocks trained a few steps with ``fit``
(padding masks from ``Embedding(mask_zero=True)``, a causal mask); the fixture keeps the
losses, the final weights and the predictions. The builders and ``call_layer``/``fit_model``
below are also what tests/layers/test_attention.py calls with lamina. Nothing depends on
TensorFlow's random numbers (no dropout is active).
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"

# (id, class, config, inputs {name: shape}, call keyword arguments, masks {name: shape})
# MultiHeadAttention is called as layer(query, value[, key], **kwargs), Attention and
# AdditiveAttention as layer([query, value(, key)], mask=[...], **kwargs), the rest as layer(x).
# A mask entry is a boolean array drawn with the given shape (first step always True).
LAYERS = [
    ("mha_self", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
     {"query": (2, 5, 4), "value": (2, 5, 4)}, {}, {}),
    ("mha_cross_key_value_dims", "MultiHeadAttention",
     {"num_heads": 3, "key_dim": 2, "value_dim": 4, "output_shape": 6},
     {"query": (2, 4, 5), "value": (2, 6, 3), "key": (2, 6, 2)}, {}, {}),
    ("mha_scores", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
     {"query": (2, 4, 4), "value": (2, 5, 4)}, {"return_attention_scores": True}, {}),
    ("mha_causal", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
     {"query": (2, 5, 4), "value": (2, 5, 4)}, {"use_causal_mask": True}, {}),
    ("mha_causal_scores", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
     {"query": (2, 5, 4), "value": (2, 5, 4)},
     {"use_causal_mask": True, "return_attention_scores": True}, {}),
    # A fully masked query row: the fused path averages all values, the scores path gives 0.
    ("mha_attention_mask", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
     {"query": (2, 4, 4), "value": (2, 5, 4)}, {}, {"attention_mask": (2, 4, 5)}),
    ("mha_attention_mask_scores", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
     {"query": (2, 4, 4), "value": (2, 5, 4)}, {"return_attention_scores": True},
     {"attention_mask": (2, 4, 5)}),
    ("mha_value_key_masks_causal", "MultiHeadAttention", {"num_heads": 2, "key_dim": 2},
     {"query": (2, 5, 3), "value": (2, 5, 3), "key": (2, 5, 3)}, {"use_causal_mask": True},
     {"value_mask": (2, 5), "key_mask": (2, 5)}),
    # Keras 3 takes the query's mask from the query tensor and ignores this argument.
    ("mha_query_mask_argument", "MultiHeadAttention", {"num_heads": 2, "key_dim": 2},
     {"query": (2, 4, 3), "value": (2, 5, 3)}, {}, {"query_mask": (2, 4)}),
    ("mha_no_bias", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "use_bias": False},
     {"query": (2, 4, 4), "value": (2, 4, 4)}, {}, {}),
    ("mha_attention_axes_2d", "MultiHeadAttention",
     {"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)},
     {"query": (2, 3, 4, 5), "value": (2, 3, 4, 5)}, {"return_attention_scores": True}, {}),
    ("mha_attention_axis_2", "MultiHeadAttention",
     {"num_heads": 2, "key_dim": 2, "attention_axes": 2, "output_shape": (2, 3)},
     {"query": (2, 3, 4, 5), "value": (2, 3, 6, 5)}, {}, {}),
    ("attention_dot", "Attention", {}, {"query": (2, 4, 3), "value": (2, 5, 3)}, {}, {}),
    ("attention_scale_key_scores", "Attention", {"use_scale": True},
     {"query": (2, 4, 3), "value": (2, 5, 2), "key": (2, 5, 3)},
     {"return_attention_scores": True}, {}),
    ("attention_masks", "Attention", {}, {"query": (2, 4, 3), "value": (2, 5, 3)},
     {"return_attention_scores": True}, {"query_mask": (2, 4), "value_mask": (2, 5)}),
    ("attention_causal", "Attention", {"use_scale": True},
     {"query": (2, 5, 3), "value": (2, 5, 3)}, {"use_causal_mask": True},
     {"value_mask": (2, 5)}),
    ("attention_concat", "Attention", {"score_mode": "concat", "use_scale": True},
     {"query": (2, 4, 3), "value": (2, 5, 3)}, {"return_attention_scores": True},
     {"value_mask": (2, 5)}),
    ("additive_attention", "AdditiveAttention", {},
     {"query": (2, 4, 3), "value": (2, 5, 3)}, {"return_attention_scores": True},
     {"query_mask": (2, 4), "value_mask": (2, 5)}),
    ("additive_attention_no_scale_causal", "AdditiveAttention", {"use_scale": False},
     {"query": (2, 5, 3), "value": (2, 5, 2), "key": (2, 5, 3)}, {"use_causal_mask": True},
     {}),
    ("einsum_dense_3d", "EinsumDense",
     {"equation": "abc,cd->abd", "output_shape": (None, 4), "bias_axes": "d"},
     {"x": (2, 3, 5)}, {}, {}),
    ("einsum_dense_heads", "EinsumDense",
     {"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de",
      "activation": "tanh"},
     {"x": (2, 3, 4)}, {}, {}),
    ("einsum_dense_ellipsis", "EinsumDense",
     {"equation": "...b,bc->...c", "output_shape": 3, "bias_axes": "c"},
     {"x": (2, 3, 2, 4)}, {}, {}),
    ("einsum_dense_right_ellipsis", "EinsumDense",
     {"equation": "ab...,bc->ac...", "output_shape": 3, "bias_axes": "c"},
     {"x": (2, 4, 3, 2)}, {}, {}),
    ("einsum_dense_bias_inner", "EinsumDense",
     {"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "d"},
     {"x": (2, 3, 4)}, {}, {}),
    ("einsum_dense_no_bias_2d", "EinsumDense",
     {"equation": "ab,bc->ac", "output_shape": 3}, {"x": (4, 5)}, {}, {}),
    ("dense_3d", "Dense", {"units": 3, "activation": "relu"}, {"x": (2, 4, 5)}, {}, {}),
    ("layer_normalization_3d", "LayerNormalization", {}, {"x": (2, 4, 5)}, {}, {}),
    ("layer_normalization_3d_two_axes", "LayerNormalization",
     {"axis": [-2, -1], "epsilon": 1e-3}, {"x": (2, 4, 5)}, {}, {}),
]


# keras.ops.layer_normalization (what LayerNormalization calls): (id, x's shape, axis, gamma's
# shape, beta's shape (None: no such term), epsilon (None: Keras's default)). The fixture keeps
# the inputs, the output and the gradients of ``sum(output * c)`` for x, gamma and beta.
OPS = [
    ("layer_norm_last_axis", (2, 5, 6), -1, (6,), (6,), None),
    ("layer_norm_two_axes_scale_only", (2, 4, 5), [1, 2], (4, 5), None, 1e-3),
    ("layer_norm_middle_axis_offset_only", (3, 4, 5), 1, None, (4,), 1e-2),
]


def op_data(index, spec):
    """The inputs of one ``OPS`` case: x, then gamma and beta where the case has them."""
    _, x_shape, _, g_shape, b_shape, _ = spec
    rng = np.random.default_rng(4000 + index)
    data = {"x": (rng.standard_normal(x_shape) * 2 + 1).astype("float32")}
    for key, shape in (("gamma", g_shape), ("beta", b_shape)):
        if shape is not None:
            data[key] = rng.standard_normal(shape).astype("float32")
    return data


def layer_data(index, spec):
    """The seeded inputs, masks and output weights ``c`` of case ``index``."""
    _, _, _, inputs, _, masks = spec
    rng = np.random.default_rng(1000 + index)
    data = {k: rng.standard_normal(s).astype("float32") for k, s in inputs.items()}
    for k, s in masks.items():
        m = rng.random(s) < 0.7
        m[..., 0] = True
        if k == "attention_mask":
            m[0, 1] = False  # a query row that may look at nothing
        data[k] = m
    return data


def make_layer(K, spec):
    return getattr(K.layers, spec[1])(**spec[2])


def call_layer(layer, spec, data):
    """The layer's outputs (a list: the output, then the scores where asked) on ``data``."""
    _, cls, _, inputs, kwargs, masks = spec
    if cls == "MultiHeadAttention":
        extra = {k: data[k] for k in masks}
        if "key" in inputs:
            extra["key"] = data["key"]
        out = layer(data["query"], data["value"], **extra, **kwargs)
    elif cls in ("Attention", "AdditiveAttention"):
        names = [k for k in ("query", "value", "key") if k in inputs]
        extra = {}
        if masks:
            extra["mask"] = [data.get("query_mask"), data.get("value_mask")]
        out = layer([data[k] for k in names], **extra, **kwargs)
    else:
        out = layer(data["x"], **kwargs)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def set_weights(layer, seed):
    rng = np.random.default_rng(seed)
    weights = [(rng.standard_normal(w.shape) * 0.5).astype("float32")
               for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


# -- Transformer encoder blocks -------------------------------------------------------------


def encoder(K, causal=False, embedded=True, steps=8, width=8, vocab=15):
    """Embedding (or a Dense projection), one MultiHeadAttention block, pooled to 3 classes."""
    L = K.layers
    if embedded:
        inputs = K.Input((steps,), dtype="int32")
        x = L.Embedding(vocab, width, mask_zero=True)(inputs)
    else:
        inputs = K.Input((steps, 3))
        x = L.Dense(width)(inputs)
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=causal)
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, attended]))
    h = L.Dense(16, activation="relu")(x)
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, L.Dense(width)(h)]))
    return K.Model(inputs, L.Dense(3, activation="softmax")(L.GlobalAveragePooling1D()(x)))


def model_data(seed=0, n=32, steps=8, vocab=15):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, (n, steps))
    for i, length in enumerate(rng.integers(3, steps + 1, n)):
        ids[i, length:] = 0
    values = rng.standard_normal((n, steps, 3)).astype("float32")
    label = (ids[:, 0] % 3).astype("int64")
    return ids.astype("int32"), values, label


MODELS = {
    # SGD for the Embedding models: Keras on TensorFlow gives Adam an Embedding's gradient
    # as sparse rows, which squares repeated tokens separately (see the masking fixtures).
    "encoder_padding": (dict(causal=False, embedded=True), lambda K: K.optimizers.SGD(0.1)),
    "encoder_padding_causal": (dict(causal=True, embedded=True),
                               lambda K: K.optimizers.SGD(0.1, momentum=0.5)),
    "encoder_causal_adam": (dict(causal=True, embedded=False),
                            lambda K: K.optimizers.Adam(0.01)),
}


def fit_model(K, name, run_eagerly=False, epochs=2):
    kwargs, optimizer = MODELS[name]
    ids, values, label = model_data()
    x = ids if kwargs["embedded"] else values
    model = encoder(K, **kwargs)
    rng = np.random.default_rng(7)
    model.set_weights([(rng.standard_normal(w.shape) * 0.3).astype("float32")
                       for w in model.get_weights()])
    model.compile(optimizer=optimizer(K), loss="sparse_categorical_crossentropy",
                  run_eagerly=run_eagerly)
    history = model.fit(x, label, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    return model, history.history["loss"], model.predict(x, batch_size=8, verbose=0)


def main():
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(0)
    arrays, record = {}, {"layers": {}, "models": {}, "ops": {}}
    for index, spec in enumerate(OPS):
        name, _, axis, _, _, epsilon = spec
        data = op_data(index, spec)
        tensors = {k: tf.constant(v) for k, v in data.items()}
        with tf.GradientTape() as tape:
            for t in tensors.values():
                tape.watch(t)
            out = keras.ops.layer_normalization(
                tensors["x"], tensors.get("gamma"), tensors.get("beta"), axis=axis,
                epsilon=epsilon)
            c = np.random.default_rng(5000 + index).standard_normal(
                tuple(out.shape)).astype("float32")
            total = tf.reduce_sum(out * c)
        grads = tape.gradient(total, list(tensors.values()))
        for (k, v), g in zip(data.items(), grads):
            arrays[f"{name}/in/{k}"] = v
            arrays[f"{name}/grad/{k}"] = np.asarray(g)
        arrays[f"{name}/out"] = np.asarray(out)
        arrays[f"{name}/c"] = c
        record["ops"][name] = {"axis": axis, "epsilon": epsilon}
    for index, spec in enumerate(LAYERS):
        name = spec[0]
        data = layer_data(index, spec)
        layer = make_layer(keras, spec)
        call_layer(layer, spec, data)
        weights = set_weights(layer, 2000 + index)
        tensors = {k: tf.constant(v) for k, v in data.items()}
        floats = [k for k in spec[3]]
        with tf.GradientTape() as tape:
            for k in floats:
                tape.watch(tensors[k])
            outs = call_layer(layer, spec, tensors)
            c = np.random.default_rng(3000 + index).standard_normal(
                tuple(outs[0].shape)).astype("float32")
            total = tf.reduce_sum(outs[0] * c)
        grads = tape.gradient(total, [tensors[k] for k in floats] + layer.trainable_weights)
        for k, v in data.items():
            arrays[f"{name}/in/{k}"] = v
        for i, w in enumerate(weights):
            arrays[f"{name}/w{i}"] = w
        for i, o in enumerate(outs):
            arrays[f"{name}/out{i}"] = np.asarray(o)
        arrays[f"{name}/c"] = c
        for i, g in enumerate(grads):
            arrays[f"{name}/grad{i}"] = np.asarray(g)
        record["layers"][name] = {
            "params": int(layer.count_params()), "outputs": len(outs),
            "weight_names": [w.path.split("/", 1)[1] for w in layer.weights],
            "weight_shapes": [list(w.shape) for w in layer.weights],
            "config": {k: v for k, v in layer.get_config().items() if k != "name" and
                       isinstance(v, (int, float, str, bool, list, tuple, type(None)))},
        }
    for name in MODELS:
        model, losses, predicted = fit_model(keras, name)
        record["models"][name] = {"loss": [float(v) for v in losses],
                                  "params": int(model.count_params())}
        for i, w in enumerate(model.get_weights()):
            arrays[f"{name}/w{i}"] = w
        arrays[f"{name}/predict"] = predicted
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "attention.json").write_text(json.dumps(
        {"keras": keras.__version__, **record}, indent=1, default=list) + "\n")
    np.savez_compressed(OUT / "attention.npz", **arrays)
    print(f"attention: {len(record['layers'])} layer cases, {len(record['ops'])} op cases, "
          f"{len(record['models'])} models")


if __name__ == "__main__":
    main()
