"""Keras's attributes of Layer and Model: each works in lamina, or says it is not provided.

The names come from real Keras 3.15.1 (``tests/fixtures/keras/api_attributes.json``, made by
``tools/make_keras_fixtures.py``): a program written for Keras that reaches for one of them
gets the behaviour or a message that names the API and what to use instead, never a bare
``AttributeError``.
"""

import json
import os
import warnings

import numpy as np
import pytest

import lamina as keras
from lamina import layers

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "keras", "api_attributes.json")
with open(FIXTURE) as f:
    KERAS_ATTRIBUTES = json.load(f)["attributes"]

NOT_PROVIDED = "a Keras API that lamina does not provide"


def _objects():
    inputs = keras.Input(shape=(3,))
    return {
        "Layer": layers.Layer(),
        "Model": keras.Model(),
        "Sequential": keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)]),
        "Functional": keras.Model(inputs, layers.Dense(2)(inputs)),
    }


@pytest.mark.parametrize("kind", sorted(KERAS_ATTRIBUTES))
def test_every_keras_attribute_works_or_says_it_is_not_provided(kind):
    obj = _objects()[kind]
    unclear = []
    for name in KERAS_ATTRIBUTES[kind]:
        try:
            getattr(obj, name)
        except AttributeError as e:
            never_called = name in ("input", "output") and "never been called" in str(e)
            if NOT_PROVIDED not in str(e) and not never_called:
                unclear.append(f"{name}: {e}")
    assert not unclear, "\n".join(unclear)
    assert len(KERAS_ATTRIBUTES[kind]) > 40


def test_the_message_names_the_api_and_what_to_use():
    with pytest.raises(AttributeError, match=r"Dense\.quantize is a Keras API that lamina does "
                                             r"not provide: lamina does not quantize"):
        layers.Dense(2).quantize("int8")
    with pytest.raises(AttributeError, match=r"Sequential\.quantize is a Keras API"):
        keras.Sequential().quantize("int8")
    with pytest.raises(NotImplementedError, match="compile\\(metrics="):
        layers.Dense(2).add_metric(1.0)


def test_a_misspelt_attribute_is_still_a_plain_attribute_error():
    with pytest.raises(AttributeError, match="'Dense' object has no attribute 'unitz'"):
        layers.Dense(2).unitz  # noqa: B018


def test_a_property_keeps_its_own_error():
    with pytest.raises(AttributeError, match="Layer 'lonely' has never been called on symbolic"):
        layers.Dense(2, name="lonely").output  # noqa: B018


# -- the symbolic graph ----------------------------------------------------------------------


def test_layer_input_and_output_in_a_functional_graph():
    inputs = keras.Input(shape=(4,))
    hidden = layers.Dense(3, activation="relu", name="hidden")
    h = hidden(inputs)
    out = layers.Dense(1)(h)
    model = keras.Model(inputs, out)
    assert hidden.input is inputs and hidden.output is h
    assert model.input is inputs and model.output is out
    assert model.output_names == [model.layers[-1].name]
    assert model.operations == model.layers


@pytest.mark.parametrize("build", ["sequential", "functional"])
def test_a_model_that_stops_at_an_inner_layer(build):
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    if build == "sequential":
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(6, activation="relu"),
                                  layers.Dense(3, activation="tanh"), layers.Dense(1)])
        inner = model.layers[1]
    else:
        inputs = keras.Input(shape=(4,))
        h = layers.Dense(6, activation="relu")(inputs)
        h = layers.Dense(3, activation="tanh")(h)
        model = keras.Model(inputs, layers.Dense(1)(h))
        inner = model.layers[2]
    features = keras.Model(model.input, inner.output)
    expected = inner(model.layers[-3 if build == "sequential" else 1](x))
    np.testing.assert_allclose(features.predict(x, verbose=0), expected.numpy(), rtol=1e-6)
    assert features.output_shape == (None, 3)
    assert len(features.layers) == (3 if build == "sequential" else 3)


def test_rebuilding_a_sequential_model_moves_its_graph():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
    first = model.layers[0]
    model.add(layers.Dense(2))
    assert first.output is model.layers[1].input
    assert model.output.shape == (None, 2)
    assert len(first.__dict__["_inbound_nodes"]) == 1


def test_sequential_without_an_input_has_no_input_yet():
    with pytest.raises(AttributeError, match="has no input yet"):
        keras.Sequential([layers.Dense(2)]).input  # noqa: B018


# -- layer helpers --------------------------------------------------------------------------


def test_add_variable_masking_defaults_and_signature():
    layer = layers.Dense(2)
    v = layer.add_variable((3,), "ones", name="extra")
    assert v.shape == (3,) and np.all(v.numpy() == 1)
    mask = np.array([True, False])
    assert layer.supports_masking is True and layer.compute_mask(np.ones(2), mask) is mask
    layer.supports_masking = False  # (Dense passes masks on, as in Keras, unless told not to)
    assert layer.compute_mask(np.ones(2), mask) is None
    assert layers.Flatten().supports_masking is False
    assert layer.call_signature_parameters[0] == "inputs"
    assert layer.input_dtype == "float32" and layer.quantization_mode is None
    spec = layer.compute_output_spec(keras.KerasTensor((None, 5)))
    assert spec.shape == (None, 2)


def test_build_config_round_trip_of_a_custom_layer():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    layer = Scale()
    layer(np.ones((2, 3), "float32"))
    config = layer.get_build_config()
    assert config == {"input_shape": [2, 3]}
    fresh = Scale()
    fresh.build_from_config(config)
    assert fresh.built and fresh.w.shape == (3,)
    assert layers.Dense(2).get_build_config() is None


class _Counter(layers.Layer):
    """A layer whose saved state is not just its variables (overrides the variable stores)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.calls = 0

    def call(self, x):
        return x * self.w

    def save_own_variables(self, store):
        store["w"] = self.w.numpy()
        store["calls"] = np.array(self.calls)

    def load_own_variables(self, store):
        self.w.assign(store["w"])
        self.calls = int(store["calls"])


def test_own_variable_stores_are_used_by_weight_files(tmp_path):
    def make():
        return keras.Sequential([keras.Input(shape=(3,)), _Counter(), layers.Dense(1)])

    model = make()
    model.layers[0].w.assign(np.array([1.0, 2.0, 3.0], "float32"))
    model.layers[0].calls = 7
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    other = make()
    other.load_weights(path)
    np.testing.assert_array_equal(other.layers[0].w.numpy(), [1.0, 2.0, 3.0])
    assert other.layers[0].calls == 7
    np.testing.assert_array_equal(other.layers[1].kernel.numpy(), model.layers[1].kernel.numpy())


def test_default_variable_stores():
    layer = layers.Dense(2)
    layer.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1"]
    fresh = layers.Dense(2)
    fresh.build((None, 3))
    fresh.load_own_variables(store)
    np.testing.assert_array_equal(fresh.kernel.numpy(), layer.kernel.numpy())
    with pytest.raises(ValueError, match="has 2 variables"):
        fresh.load_own_variables({"0": store["0"]})


# -- trainer attributes -----------------------------------------------------------------------


def _compiled_model(**kwargs):
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1, name="out")])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], **kwargs)
    return model


def test_compiled_functions_and_settings():
    model = _compiled_model(steps_per_execution=4, jit_compile=True)
    assert model.train_function is None and model.test_function is None
    assert model.steps_per_execution == 4 and model.jit_compile is True
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    model.fit(x, y, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert model.train_function is not None and model.test_function is not None
    assert model.predict_function is not None
    assert model.make_test_function() is model.test_function
    assert model.get_compile_config()["loss"] == "mse"
    with pytest.raises(ValueError, match="steps_per_execution"):
        _compiled_model(steps_per_execution=0)


def test_compile_config_round_trip():
    model = _compiled_model()
    other = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    other.compile_from_config(model.get_compile_config())
    assert type(other.optimizer).__name__ == "SGD" and other.loss == "mse"


def test_keras2_guide_step_with_compiled_loss_and_metrics():
    # The TensorFlow 2 "customizing fit" guide before Keras 3, which Keras 3 still runs.
    class Old(keras.Sequential):
        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    def run(cls):
        keras.utils.set_random_seed(0)
        model = cls([keras.Input(shape=(2,)), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
        return model, model.fit(x, x[:, :1] * 2, batch_size=8, epochs=2, verbose=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        old, history = run(Old)
    new, _ = run(keras.Sequential)
    np.testing.assert_allclose(old.get_weights()[0], new.get_weights()[0], rtol=1e-6)
    assert set(history.history) == {"loss", "mae"}
    with pytest.warns(UserWarning, match="compiled_loss"):
        old.compiled_loss(np.ones((1, 1)), np.ones((1, 1)))


# -- compile's loss forms ---------------------------------------------------------------------


def test_single_output_loss_as_list_or_dict():
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    for loss in (["mse"], {"out": "mse"}):
        model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1, name="out")])
        model.compile(optimizer="sgd", loss=loss)
        assert np.isfinite(model.fit(x, y, verbose=0).history["loss"][0])


def test_a_list_of_losses_for_a_single_output_says_so():
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1, name="out")])
    with pytest.raises(ValueError, match="list of 2 losses, one per output, but model "
                                         "'.*' has one output"):
        model.compile(loss=["mse", "mae"])
    with pytest.raises(ValueError, match="keyed by \\['wrong'\\].*output is named 'out'"):
        model.compile(loss={"wrong": "mse"})


# -- module namespaces ------------------------------------------------------------------------


@pytest.mark.parametrize("module", [keras, keras.random, keras.datasets, keras.layers, keras.ops,
                                    keras.utils, keras.losses, keras.metrics, keras.optimizers])
def test_dir_of_a_public_module_lists_its_public_names(module):
    names = dir(module)
    assert "np" not in names and "annotations" not in names
    assert all(hasattr(module, n) for n in names)
    assert not [n for n in names if n.startswith("_") and n != "__version__"]


# -- fixes found in review ------------------------------------------------------------------


def test_a_descriptor_that_fails_keeps_its_own_error():
    import functools

    class Lookup(layers.Layer):
        @functools.cached_property
        def table(self):
            return self.vocabulary_size * 2

    with pytest.raises(AttributeError, match="vocabulary_size"):
        Lookup().table  # noqa: B018


def test_compiled_functions_can_be_reset_to_none():
    model = _compiled_model()
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    model.fit(x, y, verbose=0)
    model.train_function = None
    assert model.train_function is None
    model.fit(x, y, verbose=0)
    assert model.train_function is not None
    with pytest.raises(ValueError, match="only None can be assigned"):
        model.predict_function = lambda batch: batch


def test_compiled_metrics_before_the_first_fit_updates_the_compiled_metrics():
    model = _compiled_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.compiled_metrics.update_state(np.full((2, 1), 5.0, "float32"),
                                            np.ones((2, 1), "float32"))
    result = model.get_metrics_result()
    assert result["mae"] == pytest.approx(4.0)


def test_loss_weights_of_one_output_scale_the_loss():
    x, y = np.ones((4, 2), "float32"), np.full((4, 1), 3.0, "float32")
    results = []
    for weights in (None, 0.5, [0.5], {"out": 0.5}):
        model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1, name="out",
                                                                          kernel_initializer="ones")])
        model.compile(optimizer="sgd", loss="mse", loss_weights=weights)
        results.append(model.evaluate(x, y, verbose=0))
    assert results[1:] == [pytest.approx(results[0] / 2)] * 3
    with pytest.raises(ValueError, match="keyed by 'other'"):
        _compiled_model().compile(loss="mse", loss_weights={"other": 0.5})


def test_a_short_loss_list_for_several_outputs_names_them():
    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, [layers.Dense(1, name="a")(inputs),
                                 layers.Dense(1, name="b")(inputs)])
    with pytest.raises(ValueError, match="list of 1 entries but the model has 2 outputs"):
        model.compile(loss=["mse"])


def test_compile_settings_survive_the_compile_config():
    model = _compiled_model(steps_per_execution=np.int64(3), jit_compile=True)
    config = model.get_compile_config()
    assert config["steps_per_execution"] == 3 and config["jit_compile"] is True
