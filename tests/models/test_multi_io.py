"""Functional models with several inputs and outputs train, evaluate and predict as in Keras.

The models, data and weights are the ones ``tools/make_keras_functional_fixtures.py`` gave
real Keras 3.15.1 (the same builder functions, called with lamina here); the History (keys and
values), final weights, ``evaluate`` (list and dict) and ``predict`` are Keras's.
"""

import json
import os
import sys

import numpy as np
import pytest

import lamina
from lamina import layers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import make_keras_functional_fixtures as ref  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "keras")
with open(os.path.join(FIXTURES, "functional.json")) as f:
    KERAS = json.load(f)["cases"]
ARRAYS = np.load(os.path.join(FIXTURES, "functional.npz"))


@pytest.mark.parametrize("name", sorted(KERAS))
def test_training_matches_keras(name):
    lamina.utils.set_random_seed(0)
    model, history, evaluated, as_dict, predicted = ref.run(lamina, name)
    keras = KERAS[name]
    assert list(history) == keras["history_keys"]
    for key, values in keras["history"].items():
        np.testing.assert_allclose(history[key], values, rtol=2e-5, atol=1e-6, err_msg=key)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, ARRAYS[f"{name}/w{i}"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(evaluated, keras["evaluate"], rtol=2e-5, atol=1e-6)
    assert list(as_dict) == list(keras["evaluate_dict"])
    assert type(predicted).__name__ == keras["predict_kind"]
    leaves = [predicted[k] for k in sorted(predicted)] if isinstance(predicted, dict) \
        else list(predicted)
    if keras["predict_keys"] is not None:
        assert sorted(predicted) == keras["predict_keys"]
    for i, p in enumerate(leaves):
        np.testing.assert_allclose(p, ARRAYS[f"{name}/p{i}"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(KERAS))
def test_traced_and_eager_agree(name):
    def once(run_eagerly):
        lamina.utils.set_random_seed(0)
        case = ref.CASES[name]
        a, b, label, price, w = ref.data()
        model = case["build"](lamina)
        ref.set_weights(model, 11)
        model.compile(**case["compile"](lamina), run_eagerly=run_eagerly)
        model.fit(batch_size=16, epochs=2, shuffle=False, verbose=0,
                  **case["fit"](a, b, label, price, w))
        return model.get_weights()

    for x, y in zip(once(False), once(True)):
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)


def _two_outputs():
    inputs = lamina.Input((3,), name="x")
    h = layers.Dense(4, activation="relu")(inputs)
    return lamina.Model(inputs, [layers.Dense(1, name="a")(h), layers.Dense(2, name="b")(h)])


@pytest.mark.parametrize("kwargs,message", [
    (dict(loss=["mse"]), "a list of 1 entries but the model has 2 outputs"),
    (dict(loss={"a": "mse"}), "must give a loss for every output"),
    (dict(loss={"a": "mse", "c": "mse"}), "'c'] match no output"),
    (dict(loss="mse", metrics=["mae"]), "a list of 1 entries but the model has 2 outputs"),
    (dict(loss="mse", metrics="mae"), "must be a list with one entry per output"),
    (dict(loss="mse", loss_weights=[1.0, 2.0, 3.0]), "a list of 3 entries"),
])
def test_bad_per_output_arguments_name_the_outputs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _two_outputs().compile(optimizer="sgd", **kwargs)


def test_targets_that_do_not_match_the_outputs_say_so():
    model = _two_outputs()
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 3), "float32")
    with pytest.raises(ValueError, match="2 outputs \\['a', 'b'\\] but the targets are a list "
                                         "of 3"):
        model.fit(x, [np.ones((4, 1))] * 3, verbose=0)
    with pytest.raises(ValueError, match="missing \\['b'\\]"):
        model.fit(x, {"a": np.ones((4, 1))}, verbose=0)


def test_named_inputs_from_a_dict_and_a_missing_one():
    a, b = lamina.Input((2,), name="left"), lamina.Input((2,), name="right")
    model = lamina.Model([a, b], layers.Add()([a, b]))
    x = {"left": np.ones((3, 2), "float32"), "right": np.full((3, 2), 2.0, "float32")}
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.full((3, 2), 3.0))
    with pytest.raises(ValueError, match="missing \\['right'\\]"):
        model.predict({"left": x["left"]}, verbose=0)


def test_the_models_training_flag_wins_over_one_given_in_the_graph_as_in_keras():
    # Keras 3.15.1 (fixture): a training= given in the graph holds only when the model is
    # called without one; fit's True and predict's False win, nested models too
    import make_keras_functional_fixtures as maker

    keras_flags = json.load(open(os.path.join(FIXTURES, "functional.json")))["training_flags"]
    assert maker.training_flags(lamina) == keras_flags
    base = lamina.Sequential([lamina.Input((4,)), layers.Dropout(0.9)])
    inputs = lamina.Input((4,))
    model = lamina.Model(inputs, base(inputs, training=False))
    x = np.ones((8, 4), "float32")
    np.testing.assert_array_equal(model(x).numpy(), x)  # no flag: the graph's False holds
    assert not np.array_equal(model(x, training=True).numpy(), x)
    config = model.get_config()
    node = next(e for e in config["layers"] if e["class_name"] == "Sequential")["inbound_nodes"]
    assert node[0]["kwargs"].get("training") is False
    clone = lamina.Model.from_config(config)
    np.testing.assert_array_equal(clone(x).numpy(), x)


def test_sub_model_from_a_models_layers_shares_weights():
    model = _two_outputs()
    features = lamina.Model(model.input, model.layers[1].output)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(features.predict(x, verbose=0),
                               model.layers[1](x).numpy(), rtol=1e-6)
    assert features.layers[1] is model.layers[1]


def test_summary_of_a_branched_model_says_what_each_layer_reads():
    lines = []
    ref.two_towers(lamina).summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text
    import re

    row = next(line for line in lines if "(Concatenate)" in line)
    assert re.search(r"dense(_\d+)?\[0\]\[0\], dense_\d+\[0\]\[0\]", row), row
    chain = []
    lamina.Sequential([lamina.Input((3,)), layers.Dense(2)]).summary(print_fn=chain.append)
    assert "Connected to" not in "\n".join(chain)


def test_a_model_using_some_outputs_of_a_call_pairs_each_with_its_value():
    x = lamina.Input((5, 3))
    out, h, c = layers.LSTM(4, return_state=True)(x)
    full = lamina.Model(x, [out, h, c])
    data = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
    ref = full.predict(data, verbose=0)
    got = lamina.Model(x, [out, c]).predict(data, verbose=0)
    np.testing.assert_array_equal(got[1], ref[2])
    np.testing.assert_array_equal(lamina.Model(x, c).predict(data, verbose=0), ref[2])
    assert not np.allclose(ref[1], ref[2])


def test_targets_for_only_the_outputs_with_a_loss():
    x = np.ones((4, 3), "float32")
    model = _two_outputs()
    model.compile(optimizer="sgd", loss=["mse", None], metrics=[[], ["mae"]])
    with pytest.raises(ValueError, match="output 'b' metrics, but the data has no targets"):
        model.fit(x, np.ones((4, 1)), verbose=0)
    model = _two_outputs()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="got one array of targets"):
        model.fit(x, np.ones((4, 1)), verbose=0)
    model.compile(optimizer="sgd", loss=[None, "mse"])
    one = model.evaluate(x, np.full((4, 2), 0.5), verbose=0)
    listed = model.evaluate(x, [np.full((4, 2), 0.5)], verbose=0)
    b = model.predict(x, verbose=0)[1]
    np.testing.assert_allclose([one, listed], [np.mean((b - 0.5) ** 2)] * 2, rtol=1e-6)


def test_summary_counts_a_built_optimizer_in_the_total_as_keras_does():
    # Keras 3.15.1's lines for this model: before the first step, and after it (Adam: 2 x 21
    # moments, an int64 iteration count and a float32 learning rate)
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile("adam", "mse")
    lines = []
    model.summary(print_fn=lines.append)
    assert " Total params: 21 (84.00 B)" in lines
    assert not any("Optimizer params" in line for line in lines)
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    lines.clear()
    model.summary(print_fn=lines.append)
    assert lines[-4:] == [" Total params: 65 (264.00 B)", " Trainable params: 21 (84.00 B)",
                          " Non-trainable params: 0 (0.00 B)",
                          " Optimizer params: 44 (180.00 B)"]
