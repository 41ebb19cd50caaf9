"""get_config/from_config and Keras-format (de)serialization for every registered object."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lamina
import lamina.saving
from lamina.saving.serialization import builtin_classes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "keras_files"
KINDS = ("layer", "initializer", "regularizer", "constraint", "optimizer", "schedule", "loss",
         "metric")
# Keys lamina's configs have beyond Keras 3.15's (Keras's constructors accept them).
KNOWN_EXTRA_KEYS = {
    ("initializer", "Identity"): {"gain"},
    ("loss", "Huber"): {"delta"},
    ("loss", "CosineSimilarity"): {"axis"},
    ("loss", "SparseCategoricalCrossentropy"): {"axis"},
    ("metric", "CosineSimilarity"): {"axis"},
}


def _load_defaults():
    path = FIXTURES / "keras_default_configs.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text())


DEFAULTS = _load_defaults()
CASES = [(kind, name) for kind in KINDS for name in sorted(DEFAULTS.get(kind, {}))
         if "error" not in DEFAULTS[kind][name]]


def _build(kind, name, kwargs):
    cls = builtin_classes(kind)[name]
    kwargs = dict(kwargs)
    if name == "MeanMetricWrapper":
        kwargs["fn"] = lamina.losses.mean_squared_error
    return cls(**kwargs)


def _close(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and np.isclose(a, b, rtol=1e-6)
    return a == b


@pytest.mark.skipif(not CASES, reason="run tools/make_keras_file_fixtures.py for Keras configs")
@pytest.mark.parametrize("kind,name", CASES)
def test_serialized_config_matches_keras(kind, name):
    """Same module, class name and config keys/values as Keras 3.15 writes."""
    keras = DEFAULTS[kind][name]["serialized"]
    ours = json.loads(json.dumps(lamina.saving.serialize_keras_object(
        _build(kind, name, DEFAULTS[kind][name]["kwargs"]))))
    assert (ours["module"], ours["class_name"], ours["registered_name"]) == (
        keras["module"], keras["class_name"], keras["registered_name"])
    extra = set(ours["config"]) - set(keras["config"])
    assert extra <= KNOWN_EXTRA_KEYS.get((kind, name), set())
    missing = set(keras["config"]) - set(ours["config"])
    assert not missing, f"{name} lacks Keras config keys {missing}"
    for key, value in keras["config"].items():
        if key == "name":
            continue
        if key == "seed" and isinstance(value, int) and DEFAULTS[kind][name]["kwargs"].get(
                "seed") is None:
            # A layer given no seed draws one and saves it (RandomCrop, as in Keras).
            assert isinstance(ours["config"][key], int)
            continue
        if key == "fn":  # a function: Keras says module "builtins", lamina its real module
            assert ours["config"][key]["config"] == value["config"]
            continue
        assert _close(ours["config"][key], value), (key, ours["config"][key], value)


@pytest.mark.skipif(not CASES, reason="run tools/make_keras_file_fixtures.py for Keras configs")
@pytest.mark.parametrize("kind,name", CASES)
def test_keras_config_rebuilds_the_same_object(kind, name):
    """Keras's dict -> lamina object -> the same dict again (the from_config round trip)."""
    keras = DEFAULTS[kind][name]["serialized"]
    obj = lamina.saving.deserialize_keras_object(keras)
    assert type(obj).__name__ == name
    again = json.loads(json.dumps(lamina.saving.serialize_keras_object(obj)))
    for key, value in keras["config"].items():
        if key == "fn":
            assert again["config"][key]["config"] == value["config"]
            continue
        assert _close(again["config"][key], value), (key, again["config"][key], value)


@pytest.mark.parametrize("kind", KINDS)
def test_every_registered_class_round_trips_through_get_config(kind):
    args = {}
    if DEFAULTS:
        args = {name: entry.get("kwargs", {}) for name, entry in DEFAULTS.get(kind, {}).items()}
    tried = 0
    for name, cls in sorted(builtin_classes(kind).items()):
        if name in ("Sequential", "Functional", "Model", "InputLayer"):
            continue
        try:
            obj = _build(kind, name, args.get(name, {}))
        except TypeError:
            continue  # needs arguments the Keras fixture did not record
        tried += 1
        config = obj.get_config()
        rebuilt = cls.from_config(json.loads(json.dumps(
            lamina.saving.serialize_keras_object(obj)))["config"]) if kind != "layer" else \
            lamina.saving.deserialize_keras_object(lamina.saving.serialize_keras_object(obj))
        again = rebuilt.get_config()
        assert json.dumps(again, sort_keys=True, default=str) == json.dumps(
            config, sort_keys=True, default=str), name
    assert tried > 0


def test_layer_configs_match_the_keras_layer_fixtures():
    path = Path(__file__).resolve().parent.parent / "fixtures" / "keras" / "layers.json"
    if not path.exists():
        pytest.skip("tests/fixtures/keras/layers.json is missing")
    for case in json.loads(path.read_text()):
        cls = getattr(lamina.layers, case["class"])
        ours = json.loads(json.dumps(lamina.saving.serialize_keras_object(
            cls(**case["config"]))["config"]))
        for key, value in case["keras_config"].items():
            if key != "name":
                assert _close(ours[key], value), (case["id"], key, ours[key], value)


def test_functions_are_stored_by_name():
    ser = lamina.saving.serialize_keras_object
    assert ser(lamina.activations.relu) == {
        "module": "keras.activations", "class_name": "function", "config": "relu",
        "registered_name": "relu"}
    assert ser(lamina.losses.mean_squared_error)["module"] == "keras.losses"
    assert lamina.saving.deserialize_keras_object(ser(lamina.activations.relu)) is \
        lamina.activations.relu


def test_plain_values_numpy_and_tuples():
    ser, de = lamina.saving.serialize_keras_object, lamina.saving.deserialize_keras_object
    value = {"a": (1, 2), "b": np.arange(3, dtype="int32"), "c": np.float32(1.5), "d": None}
    config = ser(value)
    assert config["a"] == [1, 2] and config["c"] == 1.5
    assert config["b"] == {"class_name": "__numpy__",
                           "config": {"value": [0, 1, 2], "dtype": "int32"}}
    back = de(json.loads(json.dumps(config)))
    np.testing.assert_array_equal(back["b"], np.arange(3))
    assert de({"class_name": "__tuple__", "config": {"value": [1, 2]}}) == (1, 2)


@lamina.saving.register_keras_serializable(package="SerTests")
def doubled_mae(y_true, y_pred):
    return 2.0 * lamina.ops.mean(lamina.ops.abs(y_true - y_pred), axis=-1)


@lamina.saving.register_keras_serializable(package="SerTests", name="Shift")
class ShiftRegularizer(lamina.regularizers.Regularizer):
    def __init__(self, amount=0.1):
        self.amount = amount

    def __call__(self, x):
        return lamina.ops.sum(x) * self.amount

    def get_config(self):
        return {"amount": self.amount}


def test_registered_objects_are_found_by_package_and_name():
    config = lamina.saving.serialize_keras_object(doubled_mae)
    # Keras 3.15.1's form of a registered function (what it writes, and reads back)
    assert config == {"module": "builtins", "class_name": "function",
                      "config": "SerTests>doubled_mae", "registered_name": "function"}
    assert lamina.saving.deserialize_keras_object(config) is doubled_mae
    assert lamina.losses.deserialize(config) is doubled_mae
    reg_config = lamina.saving.serialize_keras_object(ShiftRegularizer(0.5))
    assert reg_config["registered_name"] == "SerTests>Shift"
    assert lamina.saving.get_registered_object("SerTests>Shift") is ShiftRegularizer
    assert lamina.saving.deserialize_keras_object(reg_config).amount == 0.5
    # Nested in a built-in layer's config, the registered class comes back too.
    layer = lamina.layers.Dense(2, kernel_regularizer=ShiftRegularizer(0.25))
    rebuilt = lamina.saving.deserialize_keras_object(lamina.saving.serialize_keras_object(layer))
    assert isinstance(rebuilt.kernel_regularizer, ShiftRegularizer)
    assert rebuilt.kernel_regularizer.amount == 0.25


def test_register_needs_get_config_and_a_valid_package():
    with pytest.raises(ValueError, match="get_config"):
        lamina.saving.register_keras_serializable()(type("NoConfig", (), {}))
    with pytest.raises(ValueError, match="without '>'"):
        lamina.saving.register_keras_serializable(package="a>b")


def test_utils_re_exports_the_registration_helpers():
    import lamina.utils

    assert lamina.utils.register_keras_serializable is lamina.saving.register_keras_serializable
    assert lamina.utils.get_registered_object is lamina.saving.get_registered_object
    assert lamina.utils.serialize_keras_object is lamina.saving.serialize_keras_object
    assert lamina.utils.deserialize_keras_object is lamina.saving.deserialize_keras_object


def test_unknown_builtin_name_suggests_the_closest():
    config = {"module": "keras.layers", "class_name": "Dence", "config": {"units": 2},
              "registered_name": None}
    with pytest.raises(lamina.saving.UnknownObjectError, match="closest is 'Dense'"):
        lamina.saving.deserialize_keras_object(config)


def test_layers_serialize_and_deserialize_helpers_still_work():
    layer = lamina.layers.Dense(4, activation="relu", name="hidden")
    config = lamina.layers.serialize(layer)
    assert config["class_name"] == "Dense" and config["module"] == "keras.layers"
    rebuilt = lamina.layers.deserialize(config)
    assert rebuilt.units == 4 and rebuilt.name == "hidden"
    # Keras 2 form (no module): still understood.
    legacy = {"class_name": "Dense", "config": {"units": 3, "dtype": "float32",
              "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}}}}
    assert lamina.layers.deserialize(legacy).units == 3


def test_sequential_and_functional_configs_have_keras_keys():
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)], name="s")
    config = model.get_config()
    assert list(config) == ["name", "trainable", "dtype", "layers", "build_input_shape"]
    assert [layer["class_name"] for layer in config["layers"]] == ["InputLayer", "Dense"]
    inputs = lamina.Input((3,), name="in")
    functional = lamina.Model(inputs, lamina.layers.Dense(2, name="d")(inputs), name="f")
    fconfig = functional.get_config()
    assert fconfig["input_layers"] == ["in", 0, 0] and fconfig["output_layers"] == ["d", 0, 0]
    dense = fconfig["layers"][1]
    assert dense["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["in", 0, 0]
    rebuilt = lamina.Model.from_config(fconfig)
    assert isinstance(rebuilt, lamina.models.Functional) and rebuilt.output_shape == (None, 2)


@lamina.saving.register_keras_serializable(package="SerTests")
def tripled_relu(x):
    return lamina.ops.relu(x) * 3.0


def test_a_registered_activation_survives_get_config_clone_and_from_config():
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(4, activation=tripled_relu),
                               lamina.layers.Dense(1)])
    assert model.layers[0].get_config()["activation"] == {
        "module": "builtins", "class_name": "function", "config": "SerTests>tripled_relu",
        "registered_name": "function"}  # as Keras 3.15.1 writes it
    x = np.random.default_rng(0).random((5, 3), dtype=np.float32)
    for copy in (lamina.models.clone_model(model), lamina.Sequential.from_config(model.get_config()),
                 lamina.layers.deserialize(lamina.layers.serialize(model))):
        assert copy.layers[0].activation is tripled_relu
        copy.set_weights(model.get_weights())
        np.testing.assert_array_equal(copy.predict(x, verbose=0), model.predict(x, verbose=0))
