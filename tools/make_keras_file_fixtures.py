#!/usr/bin/env python
"""Make the model-file fixtures: files written by real Keras, and lamina's files checked by Keras.

Run it with the reference environment (TensorFlow 2.21 / Keras 3.15.1, plus
tf-keras 2.21 for the Keras 2 ``.h5`` files); lamina and its tests never need it:

    /opt/keras-ref/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py
    /opt/keras-ref/bin/python tools/make_keras_file_fixtures.py

It writes into tests/fixtures/keras_files/:

* ``keras_<case>.keras`` + ``keras_<case>.npz`` (``x``, ``y`` = Keras's predictions):
  one small model per supported layer, a classifier trained by Keras
  (Dense + BatchNormalization + Dropout + L2), and for each optimizer a model
  trained two epochs whose file lamina must resume from (``next_loss``,
  ``next_w{i}``: Keras's third epoch, ``fit_x``/``fit_y``: the data);
* ``legacy_<case>.h5`` (+ ``.npz``): Keras 2 (tf.keras) whole-model and weights files;
* ``hostile_*.keras``: Keras files lamina must refuse (a Lambda with byte code, a
  layer lamina does not have);
* ``lamina_<case>.keras`` + ``lamina_<case>.npz``: files written by lamina (this
  script imports lamina from src/), with ``keras_y`` = what Keras predicts after
  loading them (checked here to 1e-5) and, for the trained case, Keras's next
  epoch after resuming; ``lamina_files.json`` records, for each, the config.json
  and weights layout Keras writes when it re-saves the model it loaded;
* ``keras_names.json``: the public names in keras.layers, losses, metrics,
  optimizers, callbacks, ... (used to make SUPPORTED.md).

``--only CASE ...`` remakes just the named model cases (``keras_`` and ``lamina_`` files).

Every weight and input comes from a fixed NumPy seed; running it twice gives the
same arrays (zip timestamps and save dates aside).
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import inspect  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

warnings.filterwarnings("ignore")
tf.get_logger().setLevel("ERROR")
tf.config.experimental.enable_op_determinism()

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures" / "keras_files"
sys.path.insert(0, str(REPO / "src"))
import lamina  # noqa: E402

F32 = np.float32


def rng(seed):
    return np.random.default_rng(seed)


def set_weights(model, seed):
    """Give every weight seeded values (variances positive); adapted statistics are kept."""
    r = rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "Normalization" or not layer.weights:
            continue
        values = []
        for w in layer.weights:
            name = w.name if isinstance(w.name, str) else str(w.name)
            shape = tuple(w.shape)
            if "variance" in name:
                values.append((r.random(shape) + 0.5).astype(F32))
            else:
                values.append((r.standard_normal(shape) * 0.5).astype(F32))
        layer.set_weights(values)


# -- the model cases: one builder for Keras and lamina (same API) -----------------------------


def case_dense_linear(K):
    return K.Sequential([K.Input((5,)), K.layers.Dense(3)], name="dense_linear")


def case_dense_relu_nobias(K):
    return K.Sequential([K.Input((5,)), K.layers.Dense(4, activation="relu", use_bias=False)])


def case_dense_full_config(K):
    return K.Sequential([
        K.Input((5,)),
        K.layers.Dense(
            3, activation="tanh", kernel_initializer="he_normal",
            bias_initializer=K.initializers.Constant(0.1),
            kernel_regularizer=K.regularizers.L1L2(l1=0.01, l2=0.02), bias_regularizer="l2",
            activity_regularizer="l1", kernel_constraint=K.constraints.MaxNorm(2.0),
            bias_constraint=K.constraints.NonNeg(), name="configured"),
    ])


def case_activation_softmax(K):
    return K.Sequential([K.Input((5,)), K.layers.Dense(4), K.layers.Activation("softmax")])


def case_activity_regularization(K):
    return K.Sequential([K.Input((5,)), K.layers.Dense(4, activation="relu"),
                         K.layers.ActivityRegularization(l1=0.01, l2=0.02), K.layers.Dense(2)])


def case_flatten_reshape(K):
    return K.Sequential([K.Input((2, 3)), K.layers.Flatten(), K.layers.Dense(6),
                         K.layers.Reshape((3, 2)), K.layers.Reshape((-1,))])


def case_dropout(K):
    return K.Sequential([K.Input((5,)), K.layers.Dense(4, activation="relu"),
                         K.layers.Dropout(0.5), K.layers.Dense(2)])


def case_batchnorm(K):
    return K.Sequential([K.Input((5,)), K.layers.Dense(4), K.layers.BatchNormalization(),
                         K.layers.Activation("relu")])


def case_layernorm(K):
    return K.Sequential([K.Input((5,)), K.layers.Dense(4), K.layers.LayerNormalization()])


def case_noise_layers(K):
    return K.Sequential([K.Input((5,)), K.layers.GaussianNoise(0.3), K.layers.Dense(4),
                         K.layers.GaussianDropout(0.2), K.layers.AlphaDropout(0.1),
                         K.layers.UnitNormalization()])


def case_normalization(K):
    layer = K.layers.Normalization()
    layer.adapt(rng(7).standard_normal((40, 5)).astype(F32) * 3 + 1)
    return K.Sequential([K.Input((5,)), layer, K.layers.Dense(2)])


def case_functional_nested(K):
    inputs = K.Input((5,), name="features")
    hidden = K.layers.Dense(6, activation="relu", name="hidden")(inputs)
    block = K.Sequential([K.layers.Dense(4, name="inner_a"), K.layers.Dense(3, name="inner_b")],
                         name="block")
    outputs = K.layers.Dense(2, name="head")(block(hidden))
    return K.Model(inputs, outputs, name="nested")


def case_functional_shared(K):
    inputs = K.Input((4,), name="x")
    shared = K.layers.Dense(4, activation="tanh", name="shared")
    outputs = K.layers.Dense(1, name="out")(shared(shared(inputs)))
    return K.Model(inputs, outputs, name="shared_twice")


def case_functional_in_functional(K):
    inner_in = K.Input((4,), name="inner_in")
    inner = K.Model(inner_in, K.layers.Dense(3, activation="relu", name="inner_dense")(inner_in),
                    name="inner_model")
    inputs = K.Input((4,), name="outer_in")
    outputs = K.layers.Dense(2, name="outer_head")(inner(inputs))
    return K.Model(inputs, outputs, name="outer_model")


def case_cnn(K):
    L = K.layers
    return K.Sequential([
        K.Input((12, 12, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(),
        L.Conv2D(6, 3, strides=1, padding="same", kernel_regularizer="l2", name="conv_b"),
        L.AveragePooling2D(2, padding="same"), L.Flatten(), L.Dropout(0.3), L.Dense(3)],
        name="small_cnn")


def case_conv1d_family(K):
    L = K.layers
    return K.Sequential([
        K.Input((10, 3)), L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh"),
        L.ZeroPadding1D((1, 2)), L.MaxPooling1D(2, strides=1), L.Cropping1D((1, 0)),
        L.DepthwiseConv1D(3, depth_multiplier=2), L.SeparableConv1D(4, 2, padding="same"),
        L.UpSampling1D(2), L.Conv1DTranspose(2, 3, strides=2), L.AveragePooling1D(3),
        L.GlobalAveragePooling1D(), L.Dense(2)])


def case_conv2d_family(K):
    L = K.layers
    return K.Sequential([
        K.Input((8, 8, 2)), L.ZeroPadding2D(((1, 0), (0, 1))),
        L.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False),
        L.SeparableConv2D(4, 3, padding="same", activation="relu"),
        L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
        L.Cropping2D(((1, 0), (0, 2))), L.UpSampling2D((1, 2)), L.Conv2D(4, 2, groups=1),
        L.MaxPooling2D(3, strides=2, padding="same"), L.GlobalMaxPooling2D(), L.Dense(2)])


def case_conv3d_family(K):
    L = K.layers
    return K.Sequential([
        K.Input((4, 4, 4, 1)), L.Conv3D(2, 2, padding="same"), L.MaxPooling3D(padding="same"),
        L.UpSampling3D((1, 2, 1)), L.Conv3DTranspose(2, 2, strides=(1, 1, 2)),
        L.ZeroPadding3D(1), L.Cropping3D(((0, 1), (1, 0), (1, 1))), L.AveragePooling3D(2),
        L.GlobalAveragePooling3D(keepdims=True), L.Flatten(), L.Dense(2)])


def case_multi_io(K):
    L = K.layers
    a, b = K.Input((4,), name="a"), K.Input((3,), name="b")
    h = L.Concatenate()([L.Dense(5, activation="relu")(a), L.Dense(5, activation="tanh")(b)])
    h = L.Add()([L.Dense(6)(h), L.Dense(6)(h)])
    m = L.Multiply()([h, L.Dense(6, activation="sigmoid")(h)])
    s = L.Subtract()([L.Maximum()([h, m]), L.Minimum()([h, m])])
    return K.Model({"a": a, "b": b}, [L.Dense(2, name="label")(L.Average()([h, s])),
                                      L.Dense(1, name="score")(L.Dot(axes=1)([h, m]))])


def case_dict_outputs(K):
    L = K.layers
    a, b = K.Input((4,), name="a"), K.Input((4,), name="b")
    h = L.Dense(3, activation="relu")(L.Concatenate()([a, b]))
    return K.Model([a, b], {"first": L.Dense(1, name="first")(h),
                            "second": L.Dense(2, name="second")(L.Dot(axes=1, normalize=True)(
                                [a, b]))})


def case_activation_layers(K):
    L = K.layers
    return K.Sequential([
        K.Input((6,)), L.Dense(6), L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.1),
        L.Dense(5), L.LeakyReLU(0.2), L.Dense(5), L.ELU(alpha=0.5), L.Reshape((5, 1)),
        L.PReLU(alpha_initializer="random_uniform", shared_axes=[2]), L.Flatten(),
        L.Dense(4), L.Softmax()])


def case_embedding_masking(K):
    L = K.layers
    ids = K.Input((6,), name="ids")
    h = L.Embedding(12, 4, mask_zero=True)(ids)
    h = L.GlobalAveragePooling1D()(L.Dense(3, activation="tanh")(h))
    steps = K.Input((5, 2), name="steps")
    s = L.GlobalAveragePooling1D()(L.Dense(3)(L.Masking(mask_value=0.5)(steps)))
    return K.Model([ids, steps], L.Dense(2)(L.Concatenate()([h, s])))


def case_mha_encoder(K):
    L = K.layers
    ids = K.Input((6,), name="ids")
    x = L.Embedding(12, 8, mask_zero=True)(ids)
    x = L.LayerNormalization()(L.Add()([x, L.MultiHeadAttention(2, 4, dropout=0.1)(x, x)]))
    x = L.LayerNormalization()(L.Add()([x, L.Dense(8)(L.Dense(16, activation="relu")(x))]))
    return K.Model(ids, L.Dense(2)(L.GlobalAveragePooling1D()(x)))


def case_mha_causal_scores(K):
    L = K.layers
    steps = K.Input((5, 3), name="steps")
    x = L.EinsumDense("abc,cd->abd", output_shape=(None, 6), bias_axes="d")(steps)
    out, scores = L.MultiHeadAttention(2, 3, value_dim=2, output_shape=6)(
        x, x, use_causal_mask=True, return_attention_scores=True)
    att = L.Attention(use_scale=True)([out, x])
    add = L.AdditiveAttention()([out, x, x])
    return K.Model(steps, [L.Concatenate()([att, add]), scores])


def case_more_ops(K):
    # tril/triu, cumprod, nan_to_num, slice_update, slice, causal dot_product_attention,
    # trace, diagonal, unstack and isclose on symbolic tensors (lamina's ops/_more.py).
    L, ops = K.layers, K.ops
    steps = K.Input((4, 4), name="steps")
    x = L.Dense(4)(steps)
    x = ops.cumprod(ops.tril(x, k=-1), axis=-1) + ops.triu(ops.nan_to_num(x), k=1)
    x = ops.slice_update(x, [0, 1, 1], ops.zeros((1, 2, 2)))
    q = ops.expand_dims(ops.slice(x, [0, 0, 0], [-1, 4, 4]), 2)
    att = ops.squeeze(ops.dot_product_attention(q, q, q, is_causal=True, scale=0.5), 2)
    diag = ops.unstack(ops.diagonal(att, axis1=1, axis2=2), axis=1)
    summary = ops.stack([ops.trace(att, axis1=1, axis2=2), *diag], axis=-1)
    close = ops.cast(ops.isclose(att, 0.0, atol=0.5), "float32")
    return K.Model(steps, [L.Dense(2)(summary), ops.sum(close, axis=-1)])


def case_rnn_lstm(K):
    L = K.layers
    ids = K.Input((6,), name="ids")
    x = L.Embedding(12, 4, mask_zero=True)(ids)
    x = L.LSTM(5, return_sequences=True)(x)
    return K.Model(ids, L.Dense(2)(L.LSTM(3, go_backwards=True)(x)))


def case_rnn_conv_lstm(K):
    L = K.layers
    frames = K.Input((3, 5, 5, 2), name="frames")
    x = L.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(frames)
    return K.Model(frames, L.Dense(2)(L.Flatten()(L.ConvLSTM2D(2, 2, strides=2)(x))))


def case_rnn_gru(K):
    L = K.layers
    steps = K.Input((5, 3), name="steps")
    a = L.GRU(3, reset_after=False)(L.GRU(4, return_sequences=True)(L.Masking()(steps)))
    b = L.SimpleRNN(2, activation="relu")(steps)
    c = L.RNN([L.LSTMCell(3), L.GRUCell(2)])(steps)
    return K.Model(steps, L.Concatenate()([a, b, c]))


def case_rnn_bidirectional(K):
    L = K.layers
    ids = K.Input((6,), name="ids")
    x = L.Embedding(12, 4, mask_zero=True)(ids)
    x = L.TimeDistributed(L.Dense(3))(L.Bidirectional(L.LSTM(3, return_sequences=True))(x))
    return K.Model(ids, L.Dense(2)(L.Bidirectional(L.GRU(2), merge_mode="sum")(x)))


def case_symbolic_ops(K):
    L, ops = K.layers, K.ops
    steps = K.Input((5, 4), name="steps")
    x = L.Dense(4)(steps)
    res = x + steps  # an encoder's residual, written as Keras's examples write it
    x = L.LayerNormalization()(res) * 0.5 - ops.mean(res, axis=1, keepdims=True)
    pooled = ops.concatenate([x[:, 0], ops.max(x, axis=1), -x[:, -1] / 2.0], axis=-1)
    return K.Model(steps, [L.Dense(2)(pooled), ops.relu(ops.sum(res, axis=-1))])


def case_tensor_keywords(K):
    L = K.layers
    steps = K.Input((5, 4), name="steps")
    context = K.Input((3, 4), name="context")
    keep = K.Input((5, 3), name="keep", dtype="bool")
    att = L.MultiHeadAttention(2, 2)(steps, context, attention_mask=keep)
    return K.Model([steps, context, keep], L.Dense(2)(L.LSTM(3)(att)))


CASES = {
    name[len("case_"):]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")
}
ONLY = set(sys.argv[sys.argv.index("--only") + 1:]) if "--only" in sys.argv else set()


def case_input(model, seed):
    """Six samples for each of the model's inputs, in the inputs' structure."""
    r = rng(seed)

    def one(t):
        shape = tuple(1 if d is None else d for d in t.shape)
        if getattr(t, "name", "") == "ids":  # token ids, with padding
            ids = r.integers(1, 12, (6,) + shape[1:])
            ids[:, 4:] = 0
            return ids.astype("int32")
        if getattr(t, "name", "") == "keep":  # an attention mask: each query sees the first key
            keep = r.random((6,) + shape[1:]) < 0.6
            keep[..., 0] = True
            return keep
        return r.standard_normal((6,) + shape[1:]).astype(F32)

    if getattr(model, "_is_sequential", False) or type(model).__name__ == "Sequential":
        return one(type("Spec", (), {"shape": model.input_shape})())
    struct = model.input
    if isinstance(struct, dict):
        return {k: one(struct[k]) for k in sorted(struct)}
    if isinstance(struct, (list, tuple)):
        return [one(t) for t in struct]
    return one(struct)


def flat_npz(prefix, value):
    """npz entries for an array, a list (``prefix#i``) or a dict (``prefix.key``) of arrays."""
    if isinstance(value, dict):
        return {f"{prefix}.{k}": np.asarray(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return {f"{prefix}#{i}": np.asarray(v) for i, v in enumerate(value)}
    return {prefix: np.asarray(value)}


def max_error(a, b):
    if isinstance(a, dict):
        return max(max_error(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return max(max_error(u, v) for u, v in zip(a, b))
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def has_layer(K, name):
    return hasattr(K.layers, name)


def available(builder):
    try:
        builder(lamina)
    except AttributeError:
        return False
    return True


# -- Keras writes -----------------------------------------------------------------------------


def keras_layer_cases():
    for i, (name, builder) in enumerate(CASES.items()):
        if ONLY and name not in ONLY:
            continue
        if not available(builder):
            print(f"  skip {name}: lamina lacks a layer it uses")
            continue
        model = builder(keras)
        set_weights(model, 100 + i)
        x = case_input(model, 200 + i)
        y = model.predict(x, verbose=0)
        model.save(OUT / f"keras_{name}.keras")
        np.savez(OUT / f"keras_{name}.npz", **flat_npz("x", x), **flat_npz("y", y))
        print(f"  keras_{name}.keras")


def classification_data(seed, n=96, d=6, classes=3):
    r = rng(seed)
    x = r.standard_normal((n, d)).astype(F32)
    w = r.standard_normal((d, classes))
    y = np.argmax(x @ w + 0.3 * r.standard_normal((n, classes)), axis=1).astype(np.int32)
    return x, y


def keras_trained_classifier():
    x, y = classification_data(1)
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3)),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(3, activation="softmax"),
    ], name="classifier")
    set_weights(model, 11)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    model.save(OUT / "keras_trained_classifier.keras")
    np.savez(OUT / "keras_trained_classifier.npz", x=x, y=model.predict(x, verbose=0), labels=y)
    print("  keras_trained_classifier.keras")


OPTIMIZERS = {
    "adam_amsgrad": lambda K: K.optimizers.Adam(0.01, amsgrad=True),
    "sgd_nesterov": lambda K: K.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop_centered": lambda K: K.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda K: K.optimizers.Adagrad(0.05),
    "adadelta": lambda K: K.optimizers.Adadelta(1.0),
    "adamax": lambda K: K.optimizers.Adamax(0.01),
    "nadam": lambda K: K.optimizers.Nadam(0.01),
    "adamw": lambda K: K.optimizers.AdamW(0.01, weight_decay=0.01),
}


def resume_model(K):
    return K.Sequential([
        K.Input((6,)),
        K.layers.Dense(8, activation="relu", kernel_regularizer=K.regularizers.L2(1e-3)),
        K.layers.BatchNormalization(),
        K.layers.Dense(3, activation="softmax"),
    ], name="resume")


def keras_resume_cases():
    x, y = classification_data(2)
    for name, make in OPTIMIZERS.items():
        model = resume_model(keras)
        set_weights(model, 21)
        model.compile(optimizer=make(keras), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
        model.save(OUT / f"keras_resume_{name}.keras")
        pred = model.predict(x, verbose=0)
        history = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0).history
        arrays = {f"next_w{i}": w for i, w in enumerate(model.get_weights())}
        np.savez(OUT / f"keras_resume_{name}.npz", fit_x=x, fit_y=y, x=x, y=pred,
                 next_loss=np.float64(history["loss"][0]), **arrays)
        print(f"  keras_resume_{name}.keras")


def legacy_files():
    import tf_keras

    x, y = classification_data(3, n=40, d=4)
    model = tf_keras.Sequential([
        tf_keras.layers.Dense(8, activation="relu", input_shape=(4,),
                              kernel_regularizer=tf_keras.regularizers.l2(1e-3)),
        tf_keras.layers.BatchNormalization(),
        tf_keras.layers.Dropout(0.2),
        tf_keras.layers.Dense(3, activation="softmax"),
    ])
    set_weights(model, 31)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(OUT / "legacy_sequential.h5")
    model.save_weights(OUT / "legacy_sequential_weights.h5")
    np.savez(OUT / "legacy_sequential.npz", x=x, y=model.predict(x, verbose=0), labels=y)

    inputs = tf_keras.Input((4,), name="features")
    hidden = tf_keras.layers.Dense(5, activation="tanh", name="hidden")(inputs)
    flat = tf_keras.layers.Reshape((5, 1))(hidden)
    flat = tf_keras.layers.Flatten()(flat)
    outputs = tf_keras.layers.Dense(2, name="out")(flat)
    func = tf_keras.Model(inputs, outputs, name="legacy_functional")
    set_weights(func, 32)
    func.compile(optimizer=tf_keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    func.save(OUT / "legacy_functional.h5")
    np.savez(OUT / "legacy_functional.npz", x=x, y=func.predict(x, verbose=0))
    print("  legacy_*.h5")


def hostile_keras_files():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
                              keras.layers.Lambda(lambda t: t * 2.0, name="double")])
    model.save(OUT / "hostile_lambda.keras")
    # A Keras layer lamina does not have (audio features): loading must name it.
    model = keras.Sequential([keras.Input((64,)), keras.layers.MelSpectrogram(
        fft_length=32, sequence_stride=16, sequence_length=32, num_mel_bins=8, name="mel"),
        keras.layers.Flatten()])
    model.save(OUT / "hostile_unknown_layer.keras")
    print("  hostile_*.keras")


def keras_names():
    def public_classes(module, base):
        out = []
        for name in dir(module):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, base) and not name.startswith("_"):
                out.append(name)
        return sorted(set(out))

    def public_functions(module):
        return sorted(n for n in dir(module) if not n.startswith("_")
                      and inspect.isfunction(getattr(module, n)))

    names = {
        "layers": public_classes(keras.layers, keras.layers.Layer),
        "losses": public_classes(keras.losses, keras.losses.Loss),
        "loss_functions": public_functions(keras.losses),
        "metrics": public_classes(keras.metrics, keras.metrics.Metric),
        "optimizers": public_classes(keras.optimizers, keras.optimizers.Optimizer),
        "schedules": public_classes(keras.optimizers.schedules,
                                    keras.optimizers.schedules.LearningRateSchedule),
        "callbacks": public_classes(keras.callbacks, keras.callbacks.Callback),
        "initializers": public_classes(keras.initializers, keras.initializers.Initializer),
        "regularizers": public_classes(keras.regularizers, keras.regularizers.Regularizer),
        "constraints": public_classes(keras.constraints, keras.constraints.Constraint),
        "activations": public_functions(keras.activations),
    }
    names["keras_version"] = keras.__version__
    (OUT / "keras_names.json").write_text(json.dumps(names, indent=1) + "\n")
    print("  keras_names.json")


# Constructor arguments for classes that have required ones (same in Keras and lamina).
REQUIRED_ARGS = {
    ("layer", "Dense"): {"units": 3}, ("layer", "Activation"): {"activation": "relu"},
    ("layer", "Reshape"): {"target_shape": (2, 3)}, ("layer", "InputLayer"): {"shape": (3,)},
    ("layer", "Dropout"): {"rate": 0.5}, ("layer", "AlphaDropout"): {"rate": 0.5},
    ("layer", "GaussianDropout"): {"rate": 0.5}, ("layer", "GaussianNoise"): {"stddev": 0.5},
    ("layer", "SpatialDropout1D"): {"rate": 0.5}, ("layer", "SpatialDropout2D"): {"rate": 0.5},
    ("layer", "SpatialDropout3D"): {"rate": 0.5},
    **{("layer", f"Conv{n}D"): {"filters": 4, "kernel_size": 3} for n in (1, 2, 3)},
    **{("layer", f"Conv{n}DTranspose"): {"filters": 4, "kernel_size": 3} for n in (1, 2, 3)},
    **{("layer", f"SeparableConv{n}D"): {"filters": 4, "kernel_size": 3} for n in (1, 2)},
    **{("layer", f"DepthwiseConv{n}D"): {"kernel_size": 3} for n in (1, 2)},
    **{("layer", f"AveragePooling{n}D"): {"pool_size": 2} for n in (1, 2, 3)},
    ("layer", "Resizing"): {"height": 4, "width": 5}, ("layer", "CenterCrop"): {"height": 4,
                                                                                 "width": 5},
    ("layer", "RandomCrop"): {"height": 4, "width": 5}, ("layer", "Rescaling"): {"scale": 0.5},
    ("layer", "RandomRotation"): {"factor": 0.2}, ("layer", "RandomZoom"): {"height_factor": 0.2},
    ("layer", "RandomTranslation"): {"height_factor": 0.2, "width_factor": 0.1},
    ("layer", "RandomContrast"): {"factor": 0.2}, ("layer", "RandomBrightness"): {"factor": 0.2},
    ("layer", "Embedding"): {"input_dim": 10, "output_dim": 4},
    ("initializer", "Constant"): {"value": 2.0},
    ("metric", "PrecisionAtRecall"): {"recall": 0.5},
    ("metric", "RecallAtPrecision"): {"precision": 0.5},
    ("metric", "SensitivityAtSpecificity"): {"specificity": 0.5},
    ("metric", "SpecificityAtSensitivity"): {"sensitivity": 0.5},
    ("metric", "MeanMetricWrapper"): {"fn": "mean_squared_error"},
    ("schedule", "ExponentialDecay"): {"initial_learning_rate": 0.1, "decay_steps": 10,
                                       "decay_rate": 0.9},
    ("schedule", "InverseTimeDecay"): {"initial_learning_rate": 0.1, "decay_steps": 10,
                                       "decay_rate": 0.9},
    ("schedule", "PiecewiseConstantDecay"): {"boundaries": [1, 2], "values": [0.1, 0.2, 0.3]},
    ("schedule", "PolynomialDecay"): {"initial_learning_rate": 0.1, "decay_steps": 10},
    ("schedule", "CosineDecay"): {"initial_learning_rate": 0.1, "decay_steps": 10},
    ("schedule", "CosineDecayRestarts"): {"initial_learning_rate": 0.1, "first_decay_steps": 10},
}
KERAS_MODULES = {"layer": keras.layers, "initializer": keras.initializers,
                 "regularizer": keras.regularizers, "constraint": keras.constraints,
                 "optimizer": keras.optimizers, "schedule": keras.optimizers.schedules,
                 "loss": keras.losses, "metric": keras.metrics}


def keras_default_configs():
    """Keras's serialized form of each class lamina has, built with the same arguments."""
    from lamina.saving.serialization import builtin_classes

    out = {}
    for kind, module in KERAS_MODULES.items():
        for name in sorted(builtin_classes(kind)):
            cls = getattr(module, name, None)
            if cls is None or name in ("Sequential", "Functional", "Model", "InputLayer"):
                continue
            kwargs = dict(REQUIRED_ARGS.get((kind, name), {}))
            if name == "MeanMetricWrapper":
                kwargs["fn"] = keras.losses.mean_squared_error
            try:
                obj = cls(**kwargs)
            except Exception as e:  # noqa: BLE001 - recorded, the test skips it
                out.setdefault(kind, {})[name] = {"error": repr(e)}
                continue
            out.setdefault(kind, {})[name] = {
                "kwargs": {k: (v if k != "fn" else "mean_squared_error")
                           for k, v in kwargs.items()},
                "serialized": keras.saving.serialize_keras_object(obj),
            }
    (OUT / "keras_default_configs.json").write_text(
        json.dumps(out, indent=1, sort_keys=True, default=str) + "\n")
    print("  keras_default_configs.json")


# -- lamina writes, Keras checks --------------------------------------------------------------


def h5_layout(data: bytes) -> list:
    out = []
    with h5py.File(io.BytesIO(data), "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out.append([name, list(obj.shape), str(obj.dtype)])
            else:
                out.append([name, dict((k, str(v)) for k, v in obj.attrs.items())])
        f.visititems(visit)
    return out


def keras_checks_lamina_file(path: Path, x, expected, record):
    keras.utils.clear_session()  # (sublayers Keras names itself, as MHA's softmax: from 0)
    loaded = keras.models.load_model(path)
    keras_y = loaded.predict(x, verbose=0)
    error = max_error(keras_y, expected)
    if error > 1e-5:
        raise AssertionError(f"Keras predicts {path.name} differently from lamina: {error}")
    resaved = OUT / "_resaved.keras"
    loaded.save(resaved)
    with zipfile.ZipFile(resaved) as zf:
        record[path.stem] = {
            "keras_resaved_config": json.loads(zf.read("config.json")),
            "keras_h5_layout": h5_layout(zf.read("model.weights.h5")),
        }
    resaved.unlink()
    return loaded, keras_y


def lamina_cases(record):
    for i, (name, builder) in enumerate(CASES.items()):
        if ONLY and name not in ONLY:
            continue
        if not available(builder):
            continue
        lamina.utils.clear_session()
        model = builder(lamina)
        set_weights(model, 300 + i)
        x = case_input(model, 400 + i)
        y = model.predict(x, verbose=0)
        path = OUT / f"lamina_{name}.keras"
        model.save(path)
        _, keras_y = keras_checks_lamina_file(path, x, y, record)
        np.savez(OUT / f"lamina_{name}.npz", **flat_npz("x", x), **flat_npz("y", y),
                 **flat_npz("keras_y", keras_y))
        print(f"  lamina_{name}.keras (Keras agrees to 1e-5)")


def lamina_trained(record):
    x, y = classification_data(4)
    lamina.utils.clear_session()
    model = resume_model(lamina)
    set_weights(model, 41)
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    pred = model.predict(x, verbose=0)
    path = OUT / "lamina_trained.keras"
    model.save(path)
    loaded, keras_y = keras_checks_lamina_file(path, x, pred, record)
    history = loaded.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0).history
    arrays = {f"keras_next_w{i}": w for i, w in enumerate(loaded.get_weights())}
    np.savez(OUT / "lamina_trained.npz", x=x, y=pred, keras_y=keras_y, fit_x=x, fit_y=y,
             keras_next_loss=np.float64(history["loss"][0]), **arrays)
    print("  lamina_trained.keras (Keras resumes it)")


def only_cases():
    """``--only CASE ...``: remake just those cases' files (the same seeds as a full run)."""
    keras.utils.set_random_seed(0)
    keras_layer_cases()
    record = json.loads((OUT / "lamina_files.json").read_text())
    lamina_cases(record)
    (OUT / "lamina_files.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    if ONLY:
        return only_cases()
    keras.utils.set_random_seed(0)
    print("Keras writes:")
    keras_layer_cases()
    keras_trained_classifier()
    keras_resume_cases()
    legacy_files()
    hostile_keras_files()
    keras_names()
    keras_default_configs()
    print("lamina writes, Keras loads:")
    record = {}
    lamina_cases(record)
    lamina_trained(record)
    (OUT / "lamina_files.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"done: {OUT}")


if __name__ == "__main__":
    main()
