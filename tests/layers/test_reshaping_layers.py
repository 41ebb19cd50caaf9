"""Permute, RepeatVector, Identity and Lambda against Keras 3.15.1."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina import layers

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras")
REF = np.load(os.path.join(HERE, "reshaping_layers.npz"))
CONFIGS = json.load(open(os.path.join(HERE, "reshaping_layers.json")))["configs"]
BUILD = {"permute": lambda: layers.Permute((2, 1), name="permute"),
         "permute3": lambda: layers.Permute((3, 1, 2), name="permute3"),
         "repeat": lambda: layers.RepeatVector(3, name="repeat"),
         "identity": lambda: layers.Identity(name="identity")}


@pytest.mark.parametrize("key", sorted(BUILD))
def test_outputs_and_configs_match_keras(key):
    layer = BUILD[key]()
    np.testing.assert_array_equal(np.asarray(layer(REF[f"{key}_x"])), REF[f"{key}_y"])
    config = json.loads(json.dumps(layer.get_config()))
    assert config == CONFIGS[key]
    again = type(layer).from_config(config)
    np.testing.assert_array_equal(np.asarray(again(REF[f"{key}_x"])), REF[f"{key}_y"])


def test_a_keras_saved_model_loads_with_keras_predictions(tmp_path):
    model = lamina.saving.load_model(os.path.join(HERE, "reshaping_layers.keras"))
    np.testing.assert_allclose(model.predict(REF["model_x"], verbose=0), REF["model_y"],
                               rtol=1e-6, atol=1e-6)
    model.save(tmp_path / "again.keras")
    again = lamina.saving.load_model(tmp_path / "again.keras")
    np.testing.assert_allclose(again.predict(REF["model_x"], verbose=0), REF["model_y"],
                               rtol=1e-6, atol=1e-6)


def test_gradients_flow_through_permute_and_repeat():
    x = lamina.Variable(np.arange(6.0, dtype="float32").reshape(2, 3))
    with lamina.GradientTape() as tape:
        y = layers.Permute((2, 1))(layers.RepeatVector(4)(x))
        loss = lamina.ops.sum(y * y)
    np.testing.assert_allclose(np.asarray(tape.gradient(loss, x)), 8 * np.asarray(x))


def test_lambda_calls_the_function_and_saves_it_by_name(tmp_path):
    def double(t):
        return t * 2.0

    inp = lamina.Input((3,))
    model = lamina.Model(inp, layers.Lambda(double)(inp))
    model.save(tmp_path / "m.keras")
    loaded = lamina.saving.load_model(tmp_path / "m.keras", custom_objects={"double": double},
                                      safe_mode=False)
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 3)), verbose=0), [[2.0, 2.0, 2.0]])
    anonymous = lamina.Model(inp, layers.Lambda(lambda t: t + 1.0)(inp))
    with pytest.raises(ValueError, match="lambda"):
        anonymous.save(tmp_path / "bad.keras")
    assert not (tmp_path / "bad.keras").exists()


def test_bad_arguments_name_the_layer_and_the_fix():
    with pytest.raises(ValueError, match=r"Permute must be a permutation of 1\.\.2"):
        layers.Permute((2, 3))
    with pytest.raises(ValueError, match="RepeatVector must be a positive integer"):
        layers.RepeatVector(0)
