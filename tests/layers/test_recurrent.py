"""Recurrent layers against real Keras 3.15.1 (tools/make_keras_rnn_fixtures.py, whose builders
this test calls with lamina): outputs, parameter counts and gradients of LSTM, GRU, SimpleRNN,
stacked cells and Bidirectional with masks, go_backwards, initial and returned states; and a
few epochs of training. Then the paths that must agree among themselves (the fused primitive
and the step-by-step loop, traced and eager) and the error messages."""

import io
import json
import os
import re
import sys

import numpy as np
import pytest

import lamina
from lamina import layers, ops

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import make_keras_rnn_fixtures as ref  # noqa: E402

with open(os.path.join(ROOT, "tests", "fixtures", "keras", "rnn.json")) as f:
    FIXTURE = json.load(f)
ARRAYS = np.load(os.path.join(ROOT, "tests", "fixtures", "keras", "rnn.npz"))
CASES = {c["id"]: c for c in FIXTURE["cases"]}
FITS = {c["id"]: c for c in FIXTURE["fits"]}
TOL = {"rtol": 1e-5, "atol": 1e-5}


def _keras_layer(case):
    name = case["id"]
    layer = ref.make_layer(lamina, case["layer"], case["kwargs"], case["wrapper"])
    x = ARRAYS[f"{name}/x"]
    layer.build(x.shape)
    layer.set_weights([ARRAYS[f"{name}/w{i}"] for i in range(case["weights"])])
    mask = ARRAYS[f"{name}/mask"] if case["mask"] else None
    states = [ARRAYS[f"{name}/state{i}"] for i in range(case["states"])] or None
    return layer, x, mask, states


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_matches_keras(name):
    case = CASES[name]
    layer, x, mask, states = _keras_layer(case)
    assert layer.count_params() == case["params"]
    # (paths without the numbers of names, which count the layers made in a session)
    assert [re.sub(r"_\d+", "", v.path) for v in layer.weights] == \
        [re.sub(r"_\d+", "", p) for p in case["weight_paths"]]
    xt = ops.convert_to_tensor(x)
    st = None if states is None else [ops.convert_to_tensor(s) for s in states]
    with lamina.GradientTape() as tape:
        tape.watch(xt)
        for s in st or ():
            tape.watch(s)
        out = layer(xt, initial_state=st, mask=mask)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        total = sum(ops.sum(o * ARRAYS[f"{name}/c{i}"]) for i, o in enumerate(outs))
    assert len(outs) == case["outputs"]
    for i, o in enumerate(outs):
        np.testing.assert_allclose(o.numpy(), ARRAYS[f"{name}/y{i}"], **TOL,
                                   err_msg=f"output {i}")
    targets = [xt] + list(st or []) + list(layer.trainable_variables)
    grads = tape.gradient(total, targets, unconnected_gradients="zero")
    for i, g in enumerate(grads):
        np.testing.assert_allclose(np.asarray(g), ARRAYS[f"{name}/g{i}"], **TOL,
                                   err_msg=f"gradient {i}")


def _fit(name, run_eagerly=False):
    case = FITS[name]
    model = dict((n, make) for n, _, make in ref.fit_models(lamina))[name]()
    model.set_weights([ARRAYS[f"{name}/w{i}"] for i in range(case["weights"])])
    model.compile(optimizer=lamina.optimizers.SGD(0.1), loss="mse", run_eagerly=run_eagerly)
    x, y = ARRAYS[f"{name}/x"], ARRAYS[f"{name}/y"]
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return model, history.history["loss"], model.predict(x, verbose=0)


@pytest.mark.parametrize("name", sorted(FITS))
def test_training_matches_keras(name):
    model, losses, predicted = _fit(name)
    assert model.count_params() == FITS[name]["params"]
    np.testing.assert_allclose(losses, FITS[name]["losses"], **TOL)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, ARRAYS[f"{name}/final{i}"], **TOL, err_msg=f"weight {i}")
    np.testing.assert_allclose(predicted, ARRAYS[f"{name}/predict"], **TOL)


@pytest.mark.parametrize("name", ["fit_lstm_embedding", "fit_bidirectional_lstm"])
def test_training_traced_equals_eager(name):
    _, traced, p_traced = _fit(name)
    _, eager, p_eager = _fit(name, run_eagerly=True)
    np.testing.assert_allclose(traced, eager, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(p_traced, p_eager, rtol=1e-6, atol=1e-7)


# -- the paths agree ---------------------------------------------------------------------------

class _ScaledTanhCell(layers.Layer):
    """A user's cell on lamina.ops with state_size and output_size."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent = self.add_weight(shape=(self.units, self.units), name="recurrent")

    def call(self, inputs, states):
        h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent))
        return h, [h]


def _stack():
    return [layers.LSTMCell(3), layers.GRUCell(2, reset_after=False), layers.SimpleRNNCell(3)]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN", "stack"])
@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("zero_output", [False, True])
def test_fused_primitive_equals_the_step_loop(kind, backwards, zero_output):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    mask = rng.uniform(size=(3, 5)) > 0.3
    options = {"return_sequences": True, "return_state": True, "go_backwards": backwards,
               "zero_output_for_mask": zero_output}
    make = _stack if kind == "stack" else lambda: getattr(layers, kind + "Cell")(3)
    fused, looped = layers.RNN(make(), **options), layers.RNN(make(), **options)
    fused(x)
    looped(x)
    looped.set_weights(fused.get_weights())
    looped.cell._fused_sequence = lambda *a: None
    if kind != "stack":
        assert fused.cell._fused_sequence(
            x, [ops.zeros((3, 3))] * len(fused.state_size), False,
            {"mask": None, "go_backwards": False, "zero_output_for_mask": False,
             "return_sequences": False, "need_states": False}) is not None
    for a, b in zip(fused(x, mask=mask), looped(x, mask=mask)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def _custom_model(seed):
    lamina.utils.set_random_seed(seed)
    return lamina.Sequential([
        lamina.Input((6,), dtype="int32"), layers.Embedding(8, 3, mask_zero=True),
        layers.Bidirectional(layers.RNN(_ScaledTanhCell(4), return_sequences=True)),
        layers.RNN([layers.LSTMCell(3), layers.GRUCell(2, dropout=0.2)], return_sequences=True),
        layers.LSTM(2, activation="softsign"),  # (no fused kernel for softsign: stepped)
        layers.Dense(1)])


def test_custom_cells_stacked_cells_and_custom_activations_train_traced_as_eagerly():
    x = np.random.default_rng(1).integers(0, 8, (8, 6))
    y = np.random.default_rng(2).standard_normal((8, 1)).astype("float32")
    losses = []
    for eager in (False, True):
        model = _custom_model(0)
        model.compile("adam", "mse", run_eagerly=eager)
        losses.append(model.fit(x, y, batch_size=4, epochs=2, shuffle=False,
                                verbose=0).history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-6)
    assert losses[0][1] < losses[0][0]


def test_dropout_only_in_training_and_same_mask_every_step():
    layer = layers.SimpleRNN(3, dropout=0.5, seed=3, return_sequences=True,
                             kernel_initializer="ones", recurrent_initializer="zeros")
    x = np.ones((4, 6, 5), "float32")
    inference = layer(x).numpy()
    np.testing.assert_allclose(inference, np.tanh(5.0))
    trained = layer(x, training=True).numpy()
    assert not np.allclose(trained, inference)
    # (no recurrence here: each step sees only its inputs, so one mask gives equal steps)
    np.testing.assert_array_equal(trained, np.broadcast_to(trained[:, :1], trained.shape))
    again = layer(x, training=True).numpy()
    assert not np.array_equal(again, trained)  # a new mask for each sequence
    assert layer.cell._dropout_mask is None  # (forgotten after the call)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_dropout_masks_are_the_same_on_the_fused_and_the_step_paths(kind):
    x = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")
    outs = []
    for fused in (True, False):
        layer = layers.RNN(getattr(layers, kind + "Cell")(3, dropout=0.3, recurrent_dropout=0.4,
                                                          seed=11), return_sequences=True)
        layer(x)
        layer.set_weights([np.full(w.shape, 0.1 * (i + 1), "float32")
                           for i, w in enumerate(layer.get_weights())])
        if not fused:
            layer.cell._fused_sequence = lambda *a: None
        outs.append(layer(x, training=True).numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6, atol=1e-6)


def test_dropout_layers_train_traced():
    x = np.random.default_rng(0).standard_normal((16, 5, 3)).astype("float32")
    y = np.random.default_rng(1).standard_normal((16, 1)).astype("float32")
    model = lamina.Sequential([lamina.Input((5, 3)),
                               layers.LSTM(4, dropout=0.2, recurrent_dropout=0.3,
                                           return_sequences=True, unroll=True),
                               layers.GRU(3, dropout=0.2, recurrent_dropout=0.2), layers.Dense(1)])
    model.compile("adam", "mse")
    losses = model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses))


def test_stateful_training_traced_equals_eager():
    x = np.random.default_rng(0).standard_normal((8, 5, 3)).astype("float32")
    y = np.random.default_rng(1).standard_normal((8, 1)).astype("float32")
    runs = []
    for eager in (False, True):
        lamina.utils.set_random_seed(0)
        model = lamina.Sequential([lamina.Input((5, 3), batch_size=4),
                                   layers.LSTM(4, stateful=True), layers.Dense(1)])
        model.compile("sgd", "mse", run_eagerly=eager)
        runs.append(model.fit(x, y, batch_size=4, epochs=2, shuffle=False,
                              verbose=0).history["loss"] + model.predict(x, batch_size=4,
                                                                         verbose=0).ravel().tolist())
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-6)


def test_stateful_keeps_states_between_batches_and_resets():
    layer = layers.GRU(3, stateful=True)
    x = np.random.default_rng(0).standard_normal((2, 4, 2)).astype("float32")
    first = layer(x).numpy()
    second = layer(x).numpy()
    assert not np.allclose(first, second)
    whole = layers.GRU(3)
    whole(x)
    whole.set_weights(layer.get_weights())
    np.testing.assert_allclose(second, whole(np.concatenate([x, x], 1)).numpy(), rtol=1e-5,
                               atol=1e-6)
    layer.reset_state()
    np.testing.assert_allclose(layer(x).numpy(), first, rtol=1e-6)
    assert len(layer.weights) == 3  # (the kept states are not weights, as in Keras)
    with pytest.raises(ValueError, match="stateful with batch size 2 but received a batch of 3"):
        layer(np.zeros((3, 4, 2), "float32"))


def test_functional_initial_state_and_return_state():
    inputs = lamina.Input((5, 3))
    h = lamina.Input((4,))
    c = lamina.Input((4,))
    out, h2, c2 = layers.LSTM(4, return_state=True)(inputs, initial_state=[h, c])
    # (All three outputs: lamina's functional model pairs a multi-output layer's outputs by
    # the position among those the model uses; see the report.)
    model = lamina.Model([inputs, h, c], [out, h2, c2])
    rng = np.random.default_rng(0)
    x, h0, c0 = (rng.standard_normal(s).astype("float32") for s in ((2, 5, 3), (2, 4), (2, 4)))
    got = model.predict([x, h0, c0], verbose=0)
    lstm = model.layers[-1] if isinstance(model.layers[-1], layers.LSTM) else \
        [la for la in model.layers if isinstance(la, layers.LSTM)][0]
    want = lstm(x, initial_state=[h0, c0])
    np.testing.assert_allclose(got[0], want[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(got[2], want[2].numpy(), rtol=1e-6)


def test_config_round_trip_and_keras_names():
    for layer in [layers.LSTM(3, return_sequences=True, dropout=0.1),
                  layers.GRU(2, reset_after=False, go_backwards=True),
                  layers.SimpleRNN(2, activation="relu"),
                  layers.Bidirectional(layers.LSTM(2), merge_mode="sum"),
                  layers.TimeDistributed(layers.Dense(3)),
                  layers.RNN([layers.GRUCell(2), layers.SimpleRNNCell(3)])]:
        config = lamina.layers.serialize(layer)
        again = lamina.layers.deserialize(config)
        assert lamina.layers.serialize(again) == config
    assert layers.LSTM(3).recurrent_initializer.__class__.__name__ == "Orthogonal"
    gru = layers.GRU(3)
    gru.build((None, 4, 2))
    assert [tuple(w.shape) for w in gru.weights] == [(2, 9), (3, 9), (2, 9)]
    lstm = layers.LSTM(3)
    lstm.build((None, 4, 2))
    np.testing.assert_array_equal(lstm.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


def test_time_distributed_and_bidirectional_shapes():
    x = np.ones((2, 5, 4), "float32")
    assert layers.TimeDistributed(layers.Dense(3))(x).shape == (2, 5, 3)
    out = layers.Bidirectional(layers.GRU(3, return_sequences=True, return_state=True),
                               merge_mode=None)(x)
    assert [o.shape for o in out] == [(2, 5, 3), (2, 5, 3), (2, 3), (2, 3)]


# -- bad input -------------------------------------------------------------------------------

def test_wrong_rank_names_the_layer_and_the_shape():
    with pytest.raises(ValueError, match=r"LSTM 'my_lstm' expects sequences .* got shape "
                                         r"\(4, 7\).*\(batch, steps, 1\)"):
        layers.LSTM(3, name="my_lstm")(np.zeros((4, 7), "float32"))


def test_mask_of_the_wrong_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"mask of shape \(2, 4\) for sequences of shape "
                                         r"\(2, 5, 3\)"):
        layers.GRU(3)(np.zeros((2, 5, 3), "float32"), mask=np.ones((2, 4), bool))


def test_bad_arguments():
    with pytest.raises(ValueError, match="'units' argument of LSTMCell"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match="initial_state has 1 tensor"):
        layers.LSTM(2)(np.zeros((1, 3, 2), "float32"), initial_state=[np.zeros((1, 2))])


# -- files -----------------------------------------------------------------------------------

FILES = os.path.join(ROOT, "tests", "fixtures", "keras_files")


def _without_ids(config):
    if isinstance(config, dict):
        return {k: _without_ids(v) for k, v in config.items() if k != "shared_object_id"}
    return [_without_ids(v) for v in config] if isinstance(config, list) else config


@pytest.mark.parametrize("case", ["rnn_conv_lstm", "rnn_lstm", "rnn_gru", "rnn_bidirectional"])
def test_lamina_files_hold_the_layer_configs_keras_writes(case):
    # (tests/saving/test_keras_parity.py checks predictions both ways and the weights layout.)
    import zipfile

    record = json.load(open(os.path.join(FILES, "lamina_files.json")))[f"lamina_{case}"]
    import h5py

    with zipfile.ZipFile(os.path.join(FILES, f"lamina_{case}.keras")) as zf:
        ours = json.loads(zf.read("config.json"))["config"]["layers"]
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            layout = []
            f.visititems(lambda name, obj: layout.append(
                [name, list(obj.shape), str(obj.dtype)] if isinstance(obj, h5py.Dataset)
                else [name, {k: str(v) for k, v in obj.attrs.items()}]))
    assert layout == record["keras_h5_layout"]  # (the weights where Keras puts them)
    keras = {la["config"]["name"]: _without_ids(la)
             for la in record["keras_resaved_config"]["config"]["layers"]}
    checked = 0
    for layer in ours:
        if layer["class_name"] in ("InputLayer", "Embedding", "Masking", "Dense", "Concatenate",
                                   "Flatten"):
            continue
        theirs = keras[layer["config"]["name"]]
        assert layer["class_name"] == theirs["class_name"]
        assert layer["config"] == theirs["config"], layer["config"]["name"]
        assert layer.get("build_config") == theirs.get("build_config")
        checked += 1
    assert checked >= 2


def test_keras2_h5_model_and_weights_files_load():
    path = os.path.join(ROOT, "tests", "fixtures", "keras", "rnn_legacy.h5")
    model = lamina.models.load_model(path, compile=False)
    x = ARRAYS["legacy/x"]
    np.testing.assert_allclose(model.predict(x, verbose=0), ARRAYS["legacy/y"], **TOL)
    again = ref.legacy_model(lamina)
    again.load_weights(path.replace(".h5", ".weights.h5"))
    np.testing.assert_allclose(again.predict(x, verbose=0), ARRAYS["legacy/y"], **TOL)


def _unnamed(config):
    """A config without the layer names Keras numbers per session (``lstm_3``); floats to 6
    digits (Keras keeps a regularizer's factor as float32)."""
    if isinstance(config, float):
        return round(config, 6)
    if isinstance(config, dict):
        return {k: _unnamed(v) for k, v in config.items() if k != "name"}
    return [_unnamed(v) for v in config] if isinstance(config, list) else config


@pytest.mark.parametrize("name", sorted(FIXTURE["configs"]))
def test_get_config_matches_keras(name):
    ours = json.loads(json.dumps(ref.config_layers(lamina)[name].get_config()))
    assert _unnamed(ours) == _unnamed(FIXTURE["configs"][name])
    if "/" not in name:  # the names Keras gives the sublayers
        keras = FIXTURE["configs"][name]
        for key in ("layer", "backward_layer"):
            if key in keras:
                assert ours[key]["config"]["name"].split("_")[0] == \
                    keras[key]["config"]["name"].split("_")[0]
