#!/usr/bin/env python
"""Reference numbers of Keras's recurrent layers, for lamina's tests.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1):

    /opt/keras-ref/bin/python tools/make_keras_rnn_fixtures.py

Writes tests/fixtures/keras/rnn.json (the cases), rnn.npz, and rnn_legacy.h5 /
rnn_legacy.weights.h5 (a Keras 2 model and its weights, by tf_keras 2.21). Layer cases: the layer's weights
(drawn here, uniform in [-0.5, 0.5), and set), its outputs on a fixed input (with a mask and
initial states where the case says), its parameter count, and the gradients of a weighted sum
of the outputs with respect to the input and every weight. Fit cases: a small model's weights,
the losses of three full-batch SGD epochs and its final weights.
"""

import json
import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"

# (id, layer class, kwargs, wrapper (None, "stack" or Bidirectional's kwargs), input shape,
#  mask?, initial state?)
LAYER_CASES = [
    ("lstm_last", "LSTM", {"units": 4}, None, (3, 6, 5), False, False),
    ("lstm_seq_mask", "LSTM", {"units": 4, "return_sequences": True}, None, (3, 6, 5), True,
     False),
    ("lstm_backwards_state_mask", "LSTM", {"units": 3, "go_backwards": True,
                                           "return_state": True}, None, (3, 6, 5), True, True),
    ("lstm_zero_output_seq_mask", "LSTM", {"units": 3, "return_sequences": True,
                                           "zero_output_for_mask": True}, None, (3, 6, 5),
     True, True),
    ("lstm_hard_sigmoid_no_bias", "LSTM", {"units": 3, "recurrent_activation": "hard_sigmoid",
                                           "use_bias": False}, None, (2, 5, 4), False, False),
    ("gru_after_seq_mask", "GRU", {"units": 4, "return_sequences": True}, None, (3, 6, 5),
     True, False),
    ("gru_before_backwards_state_mask", "GRU", {"units": 3, "reset_after": False,
                                                "return_state": True, "go_backwards": True},
     None, (3, 6, 5), True, True),
    ("gru_relu_no_bias", "GRU", {"units": 3, "activation": "relu", "use_bias": False}, None,
     (2, 5, 4), False, False),
    ("simple_rnn_relu_seq_mask", "SimpleRNN", {"units": 4, "activation": "relu",
                                               "return_sequences": True}, None, (3, 6, 5),
     True, False),
    ("simple_rnn_state", "SimpleRNN", {"units": 3, "return_state": True}, None, (3, 6, 5),
     False, True),
    ("bidirectional_lstm_concat_seq_mask", "LSTM", {"units": 3, "return_sequences": True},
     {"merge_mode": "concat"}, (3, 6, 5), True, False),
    ("bidirectional_gru_sum_mask", "GRU", {"units": 3}, {"merge_mode": "sum"}, (3, 6, 5), True,
     False),
    ("bidirectional_lstm_ave", "LSTM", {"units": 2}, {"merge_mode": "ave"}, (2, 5, 4), False,
     False),
    ("bidirectional_gru_mul_seq", "GRU", {"units": 2, "return_sequences": True},
     {"merge_mode": "mul"}, (2, 5, 4), False, False),
    ("bidirectional_simple_none_state", "SimpleRNN", {"units": 2, "return_sequences": True,
                                                      "return_state": True},
     {"merge_mode": None}, (2, 5, 4), True, True),
    ("stacked_lstm_gru_seq_mask", "stack", {"return_sequences": True}, "stack", (3, 6, 5),
     True, False),
    ("conv_lstm2d_same_seq_mask", "ConvLSTM2D", {"filters": 3, "kernel_size": 3,
                                                 "padding": "same", "return_sequences": True},
     None, (2, 4, 5, 5, 2), True, False),
    ("conv_lstm1d_strided_state", "ConvLSTM1D", {"filters": 2, "kernel_size": 3, "strides": 2,
                                                 "return_state": True, "go_backwards": True},
     None, (2, 4, 7, 3), False, False),
    ("conv_lstm3d_dilated", "ConvLSTM3D", {"filters": 2, "kernel_size": 2,
                                           "dilation_rate": 2, "unit_forget_bias": False},
     None, (1, 3, 4, 4, 4, 1), False, False),
]


def _set_random_weights(model_or_layer, rng):
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32")
               for w in model_or_layer.get_weights()]
    model_or_layer.set_weights(weights)
    return weights


def make_layer(K, cls, kwargs, wrapper):
    """The case's layer, built with ``K`` (``keras`` or ``lamina``)."""
    L = K.layers
    if wrapper == "stack":
        return L.RNN([L.LSTMCell(3), L.GRUCell(2)], **kwargs)
    layer = getattr(L, cls)(**kwargs)
    return layer if wrapper is None else L.Bidirectional(layer, **wrapper)


def state_shapes(layer, batch):
    bidirectional = hasattr(layer, "forward_layer")
    inner = layer.forward_layer if bidirectional else layer
    sizes = inner.cell.state_size
    sizes = [sizes] if isinstance(sizes, int) else list(sizes)
    shapes = [(batch, s) for s in sizes]
    return shapes * 2 if bidirectional else shapes


def layer_cases(keras, tf, rng, arrays):
    cases = []
    for name, cls, kwargs, wrapper, shape, use_mask, use_state in LAYER_CASES:
        x = rng.standard_normal(shape).astype("float32")
        layer = make_layer(keras, cls, kwargs, wrapper)
        layer.build(shape)
        weights = _set_random_weights(layer, rng)
        mask = None
        if use_mask:
            lengths = rng.integers(1, shape[1] + 1, shape[0])
            lengths[0] = shape[1]
            mask = np.arange(shape[1])[None] < lengths[:, None]
            mask[-1, 0] = False  # a masked first step (the output before it is zeros)
            arrays[f"{name}/mask"] = mask
        states = None
        if use_state:
            states = [rng.standard_normal(s).astype("float32")
                      for s in state_shapes(layer, shape[0])]
            for i, s in enumerate(states):
                arrays[f"{name}/state{i}"] = s
        xt = tf.constant(x)
        st = None if states is None else [tf.constant(s) for s in states]
        with tf.GradientTape() as tape:
            tape.watch(xt)
            for s in st or ():
                tape.watch(s)
            out = layer(xt, initial_state=st, mask=None if mask is None else tf.constant(mask))
            outs = list(out) if isinstance(out, (list, tuple)) else [out]
            cs = [rng.standard_normal(tuple(o.shape)).astype("float32") for o in outs]
            total = tf.add_n([tf.reduce_sum(o * c) for o, c in zip(outs, cs)])
        targets = [xt] + list(st or []) + list(layer.trainable_variables)
        grads = tape.gradient(total, targets)
        arrays[f"{name}/x"] = x
        for i, w in enumerate(weights):
            arrays[f"{name}/w{i}"] = w
        for i, (o, c) in enumerate(zip(outs, cs)):
            arrays[f"{name}/y{i}"], arrays[f"{name}/c{i}"] = np.asarray(o), c
        for i, g in enumerate(grads):
            arrays[f"{name}/g{i}"] = np.zeros(targets[i].shape, "float32") if g is None \
                else np.asarray(g)
        cases.append({"id": name, "layer": cls, "kwargs": kwargs, "wrapper": wrapper,
                      "mask": use_mask, "states": 0 if states is None else len(states),
                      "outputs": len(outs), "weights": len(weights),
                      "weight_paths": [v.path for v in layer.weights],
                      "params": int(layer.count_params())})
    return cases


def fit_models(K):
    """``(id, input kind, builder)`` of the fit cases, built with ``K``."""
    L, keras = K.layers, K
    yield "fit_lstm_embedding", "int", lambda: keras.Sequential([
        keras.Input((7,), dtype="int32"), L.Embedding(10, 4, mask_zero=True), L.LSTM(5),
        L.Dense(1)])
    yield "fit_gru_masking_seq", "float", lambda: keras.Sequential([
        keras.Input((7, 3)), L.Masking(), L.GRU(4, return_sequences=True), L.Dense(1)])
    yield "fit_bidirectional_lstm", "float", lambda: keras.Sequential([
        keras.Input((7, 3)), L.Masking(), L.Bidirectional(L.LSTM(3)), L.Dense(1)])
    yield "fit_simple_rnn_backwards", "float", lambda: keras.Sequential([
        keras.Input((7, 3)), L.SimpleRNN(4, go_backwards=True), L.Dense(1)])


def fit_data(rng, name, kind):
    if kind == "int":
        x = rng.integers(1, 10, (8, 7)).astype("int32")
        for i in range(8):
            x[i, rng.integers(3, 8):] = 0  # padded tails
    else:
        x = rng.standard_normal((8, 7, 3)).astype("float32")
        for i in range(8):
            x[i, rng.integers(3, 8):] = 0.0
    out_shape = (8, 7, 1) if name == "fit_gru_masking_seq" else (8, 1)
    return x, rng.standard_normal(out_shape).astype("float32")


def fit_cases(keras, rng, arrays):
    cases = []
    for name, kind, make in fit_models(keras):
        model = make()
        weights = _set_random_weights(model, rng)
        x, y = fit_data(rng, name, kind)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
        arrays[f"{name}/x"], arrays[f"{name}/y"] = x, y
        for i, w in enumerate(weights):
            arrays[f"{name}/w{i}"] = w
        for i, w in enumerate(model.get_weights()):
            arrays[f"{name}/final{i}"] = w
        arrays[f"{name}/predict"] = model.predict(x, verbose=0)
        cases.append({"id": name, "kind": kind, "losses": history.history["loss"],
                      "weights": len(weights), "params": int(model.count_params())})
    return cases


def config_layers(K):
    """Layers whose ``get_config`` (defaults and a few arguments) is recorded."""
    L = K.layers
    return {
        "LSTM": L.LSTM(3), "GRU": L.GRU(3), "SimpleRNN": L.SimpleRNN(3),
        "LSTMCell": L.LSTMCell(3), "GRUCell": L.GRUCell(3), "SimpleRNNCell": L.SimpleRNNCell(3),
        "LSTM/args": L.LSTM(4, activation="relu", recurrent_activation="hard_sigmoid",
                            use_bias=False, unit_forget_bias=False, dropout=0.1,
                            recurrent_dropout=0.2, seed=5, return_sequences=True,
                            return_state=True, go_backwards=True, stateful=True, unroll=True,
                            kernel_regularizer="l2", recurrent_constraint="non_neg"),
        "GRU/args": L.GRU(2, reset_after=False, recurrent_initializer="glorot_normal",
                          bias_regularizer="l1"),
        "RNN": L.RNN(L.LSTMCell(3), return_sequences=True, zero_output_for_mask=True),
        "RNN/stacked": L.RNN([L.GRUCell(3), L.SimpleRNNCell(2)]),
        "StackedRNNCells": L.StackedRNNCells([L.LSTMCell(2), L.GRUCell(2)]),
        "Bidirectional": L.Bidirectional(L.LSTM(3)),
        "Bidirectional/args": L.Bidirectional(L.GRU(2, return_sequences=True),
                                              merge_mode="ave",
                                              backward_layer=L.GRU(2, return_sequences=True,
                                                                   go_backwards=True)),
        "TimeDistributed": L.TimeDistributed(L.Dense(2)),
        "ConvLSTM2D": L.ConvLSTM2D(3, 3),
        "ConvLSTM1D/args": L.ConvLSTM1D(2, 5, strides=2, padding="same", dilation_rate=1,
                                        recurrent_activation="hard_sigmoid", dropout=0.1,
                                        return_sequences=True, go_backwards=True),
    }


def legacy_model(K):
    """The Keras 2 (``.h5``) case: LSTM, GRU and Bidirectional over masked ids."""
    L = K.layers
    ids = K.Input((7,), dtype="int32")
    x = L.Embedding(10, 4, mask_zero=True)(ids)
    x = L.Bidirectional(L.LSTM(3, return_sequences=True))(x)
    x = L.GRU(3, return_sequences=True)(x)
    x = L.SimpleRNN(2)(x)
    return K.Model(ids, L.Dense(1)(x))


def legacy_files(rng, arrays):
    """Keras 2 files written by tf.keras (tf_keras): a whole model and a weights file."""
    import tf_keras

    model = legacy_model(tf_keras)
    _set_random_weights(model, rng)
    x = rng.integers(0, 10, (5, 7)).astype("int32")
    x[:, 5:] = 0
    arrays["legacy/x"], arrays["legacy/y"] = x, model.predict(x, verbose=0)
    model.save(OUT / "rnn_legacy.h5")
    model.save_weights(OUT / "rnn_legacy.weights.h5")


def main():
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(13)
    rng = np.random.default_rng(13)
    arrays = {}
    cases = layer_cases(keras, tf, rng, arrays)
    fits = fit_cases(keras, rng, arrays)
    legacy_files(rng, arrays)
    keras.utils.clear_session()
    configs = {name: layer.get_config() for name, layer in config_layers(keras).items()}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "rnn.json").write_text(json.dumps(
        {"keras": keras.__version__, "tensorflow": tf.__version__, "cases": cases,
         "fits": fits, "configs": configs}, indent=1) + "\n")
    np.savez_compressed(OUT / "rnn.npz", **arrays)
    print(f"rnn: {len(cases)} layer cases, {len(fits)} fit cases")


if __name__ == "__main__":
    main()
