"""Saving and loading lamina models: predictions, compile state and training resume exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import lamina
import lamina.saving
from lamina import layers

pytest.importorskip("h5py")


def _data(n=48, d=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype("float32")
    y = rng.integers(0, classes, n).astype("int32")
    return x, y


def _classifier(optimizer="adam"):
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([
        lamina.Input((5,)),
        layers.Dense(8, activation="relu", kernel_regularizer="l2"),
        layers.BatchNormalization(),
        layers.Dense(3, activation="softmax"),
    ], name="clf")
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "nadam", "adamw", "adagrad"])
def test_saved_and_reloaded_model_trains_on_exactly_as_the_original(tmp_path, optimizer):
    x, y = _data()
    model = _classifier(optimizer)
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    path = tmp_path / "clf.keras"
    model.save(path)
    restored = lamina.models.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(restored.optimizer.iterations.value) == int(model.optimizer.iterations.value) == 6
    for a, b in zip(restored.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    h1 = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0).history
    h2 = restored.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0).history
    assert h1 == h2
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_compile_settings_come_back(tmp_path):
    model = _classifier(lamina.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True))
    model.build((None, 5))
    model.save(tmp_path / "m.keras")
    # The optimizer was never built (no step taken), so there is no state to restore.
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        restored = lamina.models.load_model(tmp_path / "m.keras")
    assert restored.compiled
    assert restored.loss == "sparse_categorical_crossentropy"
    opt = restored.optimizer
    assert type(opt).__name__ == "SGD" and opt.nesterov and opt.momentum == 0.9
    assert float(opt.learning_rate) == pytest.approx(0.05)
    assert lamina.models.load_model(tmp_path / "m.keras", compile=False).optimizer is None


def test_functional_nested_and_shared_layers_round_trip(tmp_path):
    inputs = lamina.Input((4,), name="x")
    shared = layers.Dense(4, activation="tanh", name="shared")
    block = lamina.Sequential([layers.Dense(3, name="a"), layers.Dense(4, name="b")], name="blk")
    inner_in = lamina.Input((4,))
    inner = lamina.Model(inner_in, layers.Dense(4, name="inner_dense")(inner_in), name="inner")
    outputs = layers.Dense(2, name="out")(inner(block(shared(shared(inputs)))))
    model = lamina.Model(inputs, outputs, name="graph")
    x = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
    model.save(tmp_path / "g.keras")
    restored = lamina.models.load_model(tmp_path / "g.keras")
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    config = restored.get_config()
    shared_entry = next(e for e in config["layers"] if e["name"] == "shared")
    assert len(shared_entry["inbound_nodes"]) == 2


def test_multiple_inputs_and_outputs_keep_their_structure(tmp_path):
    a, b = lamina.Input((3,), name="a"), lamina.Input((3,), name="b")
    left, right = layers.Dense(2, name="left")(a), layers.Dense(2, name="right")(b)
    model = lamina.Model([a, b], [left, right])
    model.save(tmp_path / "io.keras")
    restored = lamina.models.load_model(tmp_path / "io.keras")
    xs = [np.ones((2, 3), "float32"), np.zeros((2, 3), "float32")]
    out = restored.predict(xs, verbose=0)
    assert isinstance(out, list) and len(out) == 2
    for got, want in zip(out, model.predict(xs, verbose=0)):
        np.testing.assert_array_equal(got, want)


@lamina.saving.register_keras_serializable(package="Tests")
class ScaledDense(layers.Layer):
    """A custom layer with a sublayer and its own weight."""

    def __init__(self, units=2, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale
        self.inner = layers.Dense(units)

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(self.units,), initializer="ones", name="gain")
        self.inner._maybe_build(input_shape)

    def call(self, x):
        return self.inner(x) * self.gain * self.scale

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


def test_registered_custom_layer_round_trips_with_keras_layout(tmp_path):
    model = lamina.Sequential([lamina.Input((3,)), ScaledDense(2, scale=3.0, name="sd")])
    model.layers[0].gain.assign([2.0, -1.0])
    model.save(tmp_path / "c.keras")
    with zipfile.ZipFile(tmp_path / "c.keras") as zf:
        config = json.loads(zf.read("config.json"))
        import io

        import h5py

        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            assert set(f["layers/scaled_dense/vars"].keys()) == {"0"}
            assert set(f["layers/scaled_dense/inner/vars"].keys()) == {"0", "1"}
    entry = config["config"]["layers"][1]
    assert entry["registered_name"] == "Tests>ScaledDense"
    assert entry["config"]["scale"] == 3.0
    restored = lamina.models.load_model(tmp_path / "c.keras")
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_unregistered_custom_layer_needs_custom_objects(tmp_path):
    class Plain(layers.Layer):
        def call(self, x):
            return x * 2.0

    model = lamina.Sequential([lamina.Input((3,)), Plain(name="plain")])
    model.save(tmp_path / "p.keras")
    with pytest.raises(ValueError, match=r"class 'Plain'.*custom_objects=\{'Plain': Plain\}"):
        lamina.models.load_model(tmp_path / "p.keras")
    restored = lamina.models.load_model(tmp_path / "p.keras", custom_objects={"Plain": Plain})
    assert isinstance(restored.layers[0], Plain)
    with lamina.saving.custom_object_scope({"Plain": Plain}):
        assert isinstance(lamina.models.load_model(tmp_path / "p.keras").layers[0], Plain)


def test_custom_loss_and_metric_functions(tmp_path):
    def half_mse(y_true, y_pred):
        return lamina.ops.mean(lamina.ops.square(y_true - y_pred), axis=-1) * 0.5

    model = lamina.Sequential([lamina.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=half_mse, metrics=[half_mse, "mae"])
    model.save(tmp_path / "f.keras")
    with pytest.raises(ValueError, match="half_mse"):
        lamina.models.load_model(tmp_path / "f.keras")
    restored = lamina.models.load_model(tmp_path / "f.keras",
                                        custom_objects={"half_mse": half_mse})
    assert restored.loss is half_mse
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


@lamina.saving.register_keras_serializable(package="Tests")
class TinyNet(lamina.Model):
    def __init__(self, hidden=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden
        self.hidden = layers.Dense(hidden, activation="relu")
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden_units}


def test_subclassed_model_round_trip(tmp_path):
    model = TinyNet(hidden=4, name="tiny")
    x = np.random.default_rng(2).standard_normal((5, 3)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((5, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "t.keras")
    restored = lamina.models.load_model(tmp_path / "t.keras")
    assert isinstance(restored, TinyNet) and restored.hidden_units == 4
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(restored.optimizer.iterations.value) == 1


def test_save_weights_and_load_weights(tmp_path):
    x, y = _data()
    model = _classifier()
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    other = _classifier()
    other.build((None, 5))
    other.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    # The optimizer's state is in the weights file too, as in Keras.
    assert int(other.optimizer.iterations.value) == int(model.optimizer.iterations.value)
    # A .keras file also serves as a weights source.
    model.save(tmp_path / "m.keras")
    third = _classifier()
    third.build((None, 5))
    third.load_weights(tmp_path / "m.keras")
    np.testing.assert_array_equal(third.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_weights_into_a_different_model_lists_every_mismatch(tmp_path):
    model = lamina.Sequential([lamina.Input((5,)), layers.Dense(4, name="a"), layers.Dense(2)])
    model.save_weights(tmp_path / "w.weights.h5")
    other = lamina.Sequential([lamina.Input((5,)), layers.Dense(3, name="a"),
                               layers.Dense(2, use_bias=False)])
    with pytest.raises(ValueError, match=r"(?s)2 layers did not match.*'a'.*\(5, 3\).*\(5, 4\)"):
        other.load_weights(tmp_path / "w.weights.h5")
    with pytest.warns(UserWarning, match="Skipping"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)


def test_file_name_rules_and_messages(tmp_path):
    model = lamina.Sequential([lamina.Input((2,)), layers.Dense(1)])
    model.save(tmp_path / "m.h5")  # Keras 3's legacy .h5 (tests/saving/test_h5_write.py)
    with pytest.raises(ValueError, match="must end in '.keras'"):
        model.save(tmp_path / "m.model")
    with pytest.raises(ValueError, match=r"end in '.weights.h5'.*w\.weights\.h5"):
        model.save_weights(tmp_path / "w.h5")
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(FileNotFoundError):
        lamina.models.load_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="not built"):
        lamina.Sequential([layers.Dense(1)]).save_weights(tmp_path / "x.weights.h5")


def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    model = lamina.Sequential([lamina.Input((2,)), layers.Dense(1)])
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()

    def broken(self, name, data, *args, **kwargs):
        if name == "model.weights.h5":
            raise OSError("disk full")
        return original(self, name, data, *args, **kwargs)

    original = zipfile.ZipFile.writestr
    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]
    lamina.models.load_model(path)


def test_to_json_and_model_from_json():
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(2, activation="relu", name="d")])
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Sequential"
    rebuilt = lamina.models.model_from_json(text)
    assert rebuilt.get_config() == model.get_config()
    assert rebuilt.layers[0] is not model.layers[0]


def test_clone_model_has_same_structure_and_new_weights():
    lamina.utils.set_random_seed(5)
    model = _classifier()
    model.build((None, 5))
    clone = lamina.models.clone_model(model)
    assert clone.get_config()["layers"][1:] == model.get_config()["layers"][1:]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert not np.array_equal(clone.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    inputs = lamina.Input((4,))
    functional = lamina.Model(inputs, layers.Dense(2)(layers.Dense(3)(inputs)))
    functional_clone = lamina.models.clone_model(functional)
    assert functional_clone.output_shape == (None, 2)
    assert functional_clone.layers[1] is not functional.layers[1]
    shared = lamina.models.clone_model(model, clone_function=lambda layer: layer)
    assert shared.layers[0] is model.layers[0]


def test_lamina_imports_without_h5py_and_saving_says_what_to_install(tmp_path):
    code = (
        "import sys; sys.modules['h5py'] = None\n"
        "import lamina\n"
        "m = lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1)])\n"
        "try:\n"
        f"    m.save({str(tmp_path / 'm.keras')!r})\n"
        "except ImportError as e:\n"
        "    print('IMPORT-ERROR', e)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert "IMPORT-ERROR" in out and "pip install h5py" in out
    assert not (tmp_path / "m.keras").exists()


def test_a_recurrent_layer_node_is_written_as_keras_writes_it_and_keeps_its_dropout(tmp_path):
    # Keras 3.15.1 writes training=False (and mask=None for an unmasked input) into every
    # recurrent layer's node, yet a reloaded LSTM still drops out under training=True
    inputs = lamina.Input((5, 3))
    model = lamina.Model(inputs, lamina.layers.LSTM(4, dropout=0.5)(inputs))
    node = model.get_config()["layers"][1]["inbound_nodes"][0]
    assert node["kwargs"] == {"training": False, "mask": None}
    model.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(0).random((2, 5, 3), dtype=np.float32)
    a, b = (loaded(x, training=True).numpy() for _ in range(2))
    assert not np.allclose(a, b)  # dropout is on while training
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
