"""Model files against real Keras 3.15.1, both ways, from the committed fixtures.

tools/make_keras_file_fixtures.py (run with TensorFlow/Keras) wrote:

* ``keras_*.keras``: files saved by Keras, with Keras's predictions; lamina must
  predict the same, and resume training exactly where Keras would have gone on;
* ``legacy_*.h5``: Keras 2 (tf.keras) files;
* ``lamina_*.keras``: files saved by lamina, with the predictions Keras made after
  loading them, and the config/weights layout Keras writes when it re-saves them.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import lamina
import lamina.saving

h5py = pytest.importorskip("h5py")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "keras_files"
if not (FIXTURES / "keras_names.json").exists():
    pytest.skip(
        "Keras file fixtures are missing: run /opt/keras-ref/bin/python "
        "tools/make_keras_file_fixtures.py",
        allow_module_level=True,
    )


def _cases(prefix, suffix=".keras"):
    return sorted(p.name[len(prefix):-len(suffix)] for p in FIXTURES.glob(f"{prefix}*{suffix}"))


LAYER_CASES = [c for c in _cases("keras_") if not c.startswith(("resume_", "trained_"))]
RESUME_CASES = [c[len("resume_"):] for c in _cases("keras_") if c.startswith("resume_")]
LAMINA_CASES = _cases("lamina_")


def _arrays(name):
    """The arrays of a fixture; ``x.a``/``x#0`` entries are gathered into a dict/list ``x``."""
    out: dict = {}
    with np.load(FIXTURES / f"{name}.npz", allow_pickle=False) as data:
        for k in data.files:
            if "." in k:
                prefix, key = k.split(".", 1)
                out.setdefault(prefix, {})[key] = data[k]
            elif "#" in k:
                prefix, index = k.split("#", 1)
                out.setdefault(prefix, {})[int(index)] = data[k]
            else:
                out[k] = data[k]
    for k, v in out.items():
        if isinstance(v, dict) and v and all(isinstance(i, int) for i in v):
            out[k] = [v[i] for i in sorted(v)]
    return out


def _assert_close(got, expected, **tolerance):
    if isinstance(expected, dict):
        assert sorted(got) == sorted(expected)
        for k in expected:
            np.testing.assert_allclose(got[k], expected[k], **tolerance)
    elif isinstance(expected, list):
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, **tolerance)
    else:
        np.testing.assert_allclose(got, expected, **tolerance)


# -- Keras writes, lamina reads --------------------------------------------------------------


@pytest.mark.parametrize("case", LAYER_CASES)
def test_lamina_predicts_like_keras_from_a_keras_file(case):
    data = _arrays(f"keras_{case}")
    model = lamina.models.load_model(FIXTURES / f"keras_{case}.keras")
    # Float32 rounding, relative to the outputs' size (convolutions sum many products).
    _assert_close(model.predict(data["x"], verbose=0), data["y"], rtol=1e-5, atol=1e-6)


def test_classifier_trained_by_keras_predicts_the_same():
    data = _arrays("keras_trained_classifier")
    model = lamina.models.load_model(FIXTURES / "keras_trained_classifier.keras")
    assert [type(layer).__name__ for layer in model.layers] == [
        "Dense", "BatchNormalization", "Dropout", "Dense"]
    assert model.layers[0].kernel_regularizer.l2 == pytest.approx(1e-3)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=0, atol=1e-5)
    # The compile settings came back too: evaluate works and the optimizer has Adam's state.
    assert type(model.optimizer).__name__ == "Adam"
    assert int(model.optimizer.iterations.value) == 5 * 6  # 5 epochs of 96 rows, batch 16
    loss = model.evaluate(data["x"], data["labels"], verbose=0)
    assert np.isfinite(loss[0])


@pytest.mark.parametrize("optimizer", RESUME_CASES)
def test_training_resumes_from_a_keras_file_exactly(optimizer):
    data = _arrays(f"keras_resume_{optimizer}")
    model = lamina.models.load_model(FIXTURES / f"keras_resume_{optimizer}.keras")
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=0, atol=1e-6)
    history = model.fit(data["fit_x"], data["fit_y"], epochs=1, batch_size=16, shuffle=False,
                        verbose=0)
    assert history.history["loss"][0] == pytest.approx(float(data["next_loss"]), rel=1e-5)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, data[f"next_w{i}"], rtol=0, atol=1e-5)


def test_keras_file_without_compile_has_no_optimizer():
    model = lamina.models.load_model(FIXTURES / "keras_resume_nadam.keras", compile=False)
    assert not model.compiled and model.optimizer is None


# -- Keras 2 (tf.keras) .h5 files ------------------------------------------------------------


def test_legacy_sequential_h5_model():
    data = _arrays("legacy_sequential")
    with pytest.warns(UserWarning, match="optimizer starts fresh"):
        model = lamina.models.load_model(FIXTURES / "legacy_sequential.h5")
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=0, atol=1e-6)
    assert type(model.optimizer).__name__ == "Adam"
    assert model.loss == "sparse_categorical_crossentropy"
    history = model.fit(data["x"], data["labels"], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_legacy_functional_h5_model():
    data = _arrays("legacy_functional")
    model = lamina.models.load_model(FIXTURES / "legacy_functional.h5", compile=False)
    assert isinstance(model, lamina.models.Functional)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=0, atol=1e-6)


def _legacy_architecture(dropout_name=None):
    return lamina.Sequential([
        lamina.layers.Dense(8, activation="relu", input_shape=(4,)),
        lamina.layers.BatchNormalization(),
        lamina.layers.Dropout(0.2, name=dropout_name),
        lamina.layers.Dense(3, activation="softmax"),
    ])


def test_legacy_weights_file_loads_layer_by_layer():
    data = _arrays("legacy_sequential")
    model = _legacy_architecture()
    model.load_weights(FIXTURES / "legacy_sequential_weights.h5")
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=0, atol=1e-6)


def test_legacy_weights_file_with_a_different_model_says_what_differs():
    model = lamina.Sequential([lamina.layers.Dense(8, input_shape=(4,)),
                               lamina.layers.Dense(3)])
    with pytest.raises(ValueError, match="weights for 3 layers.*2 layers with weights"):
        model.load_weights(FIXTURES / "legacy_sequential_weights.h5")


def test_legacy_weights_file_by_name():
    data = _arrays("legacy_sequential")
    with h5py.File(FIXTURES / "legacy_sequential_weights.h5", "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
    lamina.utils.clear_session()
    model = lamina.Sequential([
        lamina.layers.Dense(8, activation="relu", input_shape=(4,), name=names[0]),
        lamina.layers.BatchNormalization(name=names[1]),
        lamina.layers.Dense(3, activation="softmax", name=names[3]),
    ])
    model.load_weights(FIXTURES / "legacy_sequential_weights.h5", by_name=True)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=0, atol=1e-6)


# -- refused Keras files ---------------------------------------------------------------------


def test_a_layer_lamina_lacks_is_named_with_the_lamina_version():
    with pytest.raises(ValueError, match=r"Keras layer 'MelSpectrogram' \(layer 'mel'\).*lamina "
                       + lamina.__version__.replace(".", r"\.")):
        lamina.models.load_model(FIXTURES / "hostile_unknown_layer.keras")


def test_a_keras_lambda_is_refused_and_its_code_never_runs():
    with pytest.raises(ValueError, match="Refusing to load a Python lambda in layer 'double'"):
        lamina.models.load_model(FIXTURES / "hostile_lambda.keras")
    with pytest.raises(ValueError, match="never runs, even with safe_mode=False"):
        lamina.models.load_model(FIXTURES / "hostile_lambda.keras", safe_mode=False)


def test_a_keras_lambda_can_be_replaced_by_your_function_with_safe_mode_off():
    calls = []

    def double(t):
        calls.append(1)
        return t * 2.0

    model = lamina.models.load_model(FIXTURES / "hostile_lambda.keras", safe_mode=False,
                                     custom_objects={"double": double})
    x = np.ones((2, 3), "float32")
    dense = model.layers[0]
    expected = 2.0 * (x @ dense.kernel.numpy() + dense.bias.numpy())
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    assert calls
    # With safe_mode on, even a provided function does not unlock byte code.
    with pytest.raises(ValueError, match="Refusing to load a Python lambda"):
        lamina.models.load_model(FIXTURES / "hostile_lambda.keras",
                                 custom_objects={"double": double})


# -- lamina writes, Keras reads --------------------------------------------------------------


RECORD = json.loads((FIXTURES / "lamina_files.json").read_text())


def _normalized(config):
    """Config without Keras's object-sharing ids, floats rounded."""
    if isinstance(config, dict):
        return {k: _normalized(v) for k, v in config.items() if k != "shared_object_id"}
    if isinstance(config, list):
        return [_normalized(v) for v in config]
    if isinstance(config, float):
        return round(config, 6)
    return config


def _h5_layout(data):
    out = []
    with h5py.File(io.BytesIO(data), "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out.append([name, list(obj.shape), str(obj.dtype)])
            else:
                out.append([name, {k: str(v) for k, v in obj.attrs.items()}])
        f.visititems(visit)
    return out


@pytest.mark.parametrize("case", LAMINA_CASES)
def test_keras_predicts_a_lamina_file_like_lamina(case):
    data = _arrays(f"lamina_{case}")
    _assert_close(data["keras_y"], data["y"], rtol=0, atol=1e-5)
    model = lamina.models.load_model(FIXTURES / f"lamina_{case}.keras")
    _assert_close(model.predict(data["x"], verbose=0), data["y"], rtol=0, atol=1e-6)


# Keras writes the computations of masks into a functional config as operation nodes (and
# passes them as mask=...), where lamina recomputes masks as layers run: the files of masked
# models load both ways with the same predictions, but their configs differ by those nodes.
MASK_NODE_CASES = {"embedding_masking", "mha_encoder"}
# (Recurrent layers' nodes carry training=False, and mask=None where their input has no
# mask, as Keras writes them; so those cases' configs are equal. Bidirectional's are not.)
MASK_NODE_CASES |= {"rnn_bidirectional"}


@pytest.mark.parametrize("case", [c for c in LAMINA_CASES if c not in MASK_NODE_CASES])
def test_lamina_file_has_the_config_and_layout_keras_writes(case):
    """lamina's file equals what Keras writes when it re-saves the model it loaded."""
    record = RECORD[f"lamina_{case}"]
    with zipfile.ZipFile(FIXTURES / f"lamina_{case}.keras") as zf:
        names = zf.namelist()
        config = json.loads(zf.read("config.json"))
        metadata = json.loads(zf.read("metadata.json"))
        layout = _h5_layout(zf.read("model.weights.h5"))
    assert names == ["metadata.json", "config.json", "model.weights.h5"]
    assert metadata["keras_version"] == "3.15.1" and "lamina_version" in metadata
    assert layout == record["keras_h5_layout"]
    ours, keras = _normalized(config), _normalized(record["keras_resaved_config"])
    # Keras and lamina differ on which weightless layers get a build_config (Keras writes
    # one for Flatten, not for Reshape); neither loader needs it for such layers.
    for a, b in zip(ours["config"]["layers"], keras["config"]["layers"]):
        if "build_config" not in a or "build_config" not in b:
            a.pop("build_config", None)
            b.pop("build_config", None)
    assert ours == keras


def test_keras_resumes_a_lamina_trained_file_as_lamina_does():
    data = _arrays("lamina_trained")
    model = lamina.models.load_model(FIXTURES / "lamina_trained.keras")
    history = model.fit(data["fit_x"], data["fit_y"], epochs=1, batch_size=16, shuffle=False,
                        verbose=0)
    assert history.history["loss"][0] == pytest.approx(float(data["keras_next_loss"]), rel=1e-5)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, data[f"keras_next_w{i}"], rtol=0, atol=1e-5)
