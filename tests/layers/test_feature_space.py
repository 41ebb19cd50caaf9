"""FeatureSpace and HashedCrossing against real Keras (tests/fixtures/keras/feature_space.*)."""

import json
from pathlib import Path

import numpy as np
import pytest

import lamina
import lamina.data
from lamina.layers import HashedCrossing
from lamina.utils import FeatureSpace

_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "keras"
META = json.loads((_DIR / "feature_space.json").read_text())
ARRAYS = dict(np.load(_DIR / "feature_space.npz"))
TABLE = {k[4:]: v for k, v in ARRAYS.items() if k.startswith("col_")}


def _build(spec):
    features = {}
    for name, kind in spec["features"].items():
        features[name] = kind if isinstance(kind, str) else getattr(FeatureSpace, kind[0])(
            **kind[1], name=name)
    crosses = [FeatureSpace.cross(names, crossing_dim=dim, output_mode=mode)
               for names, dim, mode in spec["crosses"]]
    extra = {k: spec[k] for k in ("hashing_dim",) if k in spec}
    return FeatureSpace(features, crosses=crosses, output_mode=spec["output_mode"], **extra)


def _adapted(case):
    spec = META["cases"][case]
    fs = _build(spec)
    cols = {k: TABLE[k] for k in spec["features"]}
    fs.adapt(lamina.data.Dataset.from_tensor_slices(cols).batch(16), verbose=0)
    return fs, cols


def _unbuilt(config):
    if isinstance(config, dict):
        return {k: _unbuilt(v) for k, v in config.items() if k != "build_config"}
    return [_unbuilt(v) for v in config] if isinstance(config, list) else config


def _as_dict(out):
    return out if isinstance(out, dict) else {"concat": out}


@pytest.mark.parametrize("case", sorted(META["cases"]))
def test_outputs_match_keras_after_adapt(case):
    fs, cols = _adapted(case)
    out = _as_dict(fs(cols))
    assert sorted(out) == sorted(META["cases"][case]["outputs"])
    for name, x in out.items():
        want = ARRAYS[f"{case}__{name}"]
        got = np.asarray(x)
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, atol=1e-5, err_msg=f"{case}/{name}")
    row = _as_dict(fs({k: v[3] for k, v in cols.items()}))  # one unbatched row
    for name, x in row.items():
        np.testing.assert_allclose(np.asarray(x), ARRAYS[f"{case}__row3__{name}"], atol=1e-5)


@pytest.mark.parametrize("name", sorted(META["crossings"]))
def test_hashed_crossing_matches_tensorflow(name):
    spec = META["crossings"][name]
    layer = HashedCrossing(spec["num_bins"], output_mode=spec["output_mode"])
    got = np.asarray(layer(tuple(np.array(c) for c in spec["columns"])))
    np.testing.assert_array_equal(got, ARRAYS[f"crossing__{name}"])


def test_hashed_crossing_symbolic_config_and_errors():
    a, b = lamina.Input((1,), dtype="string"), lamina.Input((1,), dtype="int64")
    out = HashedCrossing(5, output_mode="one_hot")([a, b])
    assert tuple(out.shape) == (None, 5)
    model = lamina.Model([a, b], out)
    got = model.predict([np.array([["A"], ["B"]]), np.array([[101], [101]])], verbose=0)
    np.testing.assert_array_equal(got.argmax(-1), [1, 4])
    layer = HashedCrossing(7, name="hc")
    assert HashedCrossing.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="at least two"):
        layer([np.array([1])])
    with pytest.raises(ValueError, match="list or tuple"):
        layer(np.array([1, 2]))
    with pytest.raises(ValueError, match="one shape"):
        layer([np.array([1, 2]), np.array([1, 2, 3])])
    with pytest.raises(TypeError, match="integer or string"):
        layer([np.array([1.5, 2.0]), np.array([1, 2])])
    with pytest.raises(ValueError, match="output_mode"):
        HashedCrossing(3, output_mode="multi_hot")
    with pytest.raises(ValueError, match="num_bins"):
        HashedCrossing(0)


def test_functional_model_on_encoded_features_and_dataset_map():
    fs, cols = _adapted("concat")
    inputs, encoded = fs.get_inputs(), fs.get_encoded_features()
    assert sorted(inputs) == sorted(cols) and tuple(encoded.shape) == (None, 40)
    lamina.utils.set_random_seed(0)
    outputs = lamina.layers.Dense(1, activation="sigmoid")(encoded)
    model = lamina.Model(inputs, outputs)
    direct = lamina.Model(inputs, encoded).predict(cols, verbose=0)
    np.testing.assert_allclose(direct, ARRAYS["concat__concat"], atol=1e-5)
    labels = (TABLE["f"] > 0).astype("float32")
    ds = lamina.data.Dataset.from_tensor_slices((cols, labels)).batch(8)
    mapped = ds.map(lambda x, y: (fs(x), y))
    head = lamina.Sequential([lamina.Input((40,)), lamina.layers.Dense(1, activation="sigmoid")])
    head.compile("adam", "binary_crossentropy")
    assert np.isfinite(head.fit(mapped, epochs=1, verbose=0).history["loss"][0])
    model.compile("adam", "binary_crossentropy")
    assert np.isfinite(model.fit(ds, epochs=1, verbose=0).history["loss"][0])


@pytest.mark.parametrize("case", sorted(META["cases"]))
def test_keras_file_round_trip_keeps_the_adapted_state(case, tmp_path):
    fs, cols = _adapted(case)
    path = tmp_path / "fs.keras"
    fs.save(path)
    loaded = lamina.saving.load_model(path)
    assert isinstance(loaded, FeatureSpace)
    for name, x in _as_dict(loaded(cols)).items():
        np.testing.assert_allclose(np.asarray(x), ARRAYS[f"{case}__{name}"], atol=1e-5)
    clone = FeatureSpace.from_config(fs.get_config())
    assert _unbuilt(clone.get_config()) == _unbuilt(fs.get_config())
    assert fs.get_config()["features"]["fn"]["config"]["preprocessor"]["build_config"] == {
        "input_shape": [None, 1]}


def test_shorthands_custom_features_and_fixed_boundaries():
    data = {"x": np.array([0.1, 0.5, 0.9, 0.4]), "n": np.array([1, 2, 2, 3]),
            "s": np.array(["a", "b", "a", "c"])}
    fs = FeatureSpace({
        "x": FeatureSpace.float_discretized(num_bins=None, bin_boundaries=[0.3, 0.6]),
        "n": FeatureSpace.feature("int32", lamina.layers.CategoryEncoding(4, "one_hot"),
                                  "float"),
        "s": "string_hashed"}, hashing_dim=3, output_mode="dict")
    fs.adapt(data, verbose=0)  # nothing to learn: fixed bins, a custom layer, hashing
    out = fs(data)
    np.testing.assert_array_equal(np.asarray(out["x"]).argmax(-1), [0, 1, 2, 1])
    np.testing.assert_array_equal(np.asarray(out["n"]), np.eye(4)[[1, 2, 2, 3]])
    assert np.asarray(out["s"]).shape == (4, 3)


def test_clear_errors():
    with pytest.raises(ValueError, match="non-empty dict"):
        FeatureSpace({})
    with pytest.raises(ValueError, match="'concat' or 'dict'"):
        FeatureSpace({"a": "float"}, output_mode="stack")
    with pytest.raises(ValueError, match="float_normalized"):
        FeatureSpace({"a": "float_normal"})
    with pytest.raises(ValueError, match=r"not in `features`: \['b'\]"):
        FeatureSpace({"a": "string_categorical"}, crosses=[["a", "b"]])
    fs = FeatureSpace({"a": "float_normalized"})
    with pytest.raises(ValueError, match="must be adapted"):
        fs({"a": np.array([1.0])})
    with pytest.raises(ValueError, match="Dataset"):
        fs.adapt([1.0, 2.0])
    labelled = lamina.data.Dataset.from_tensor_slices(({"a": np.ones(3)}, np.ones(3)))
    with pytest.raises(ValueError, match=r"dataset of dicts .*ds\.map\(lambda x, y: x\)"):
        fs.adapt(labelled, verbose=0)
    with pytest.raises(ValueError, match=r"no column \['a'\]"):
        fs.adapt({"b": np.ones(3)}, verbose=0)
    fs.adapt({"a": np.array([1.0, 3.0])}, verbose=0)
    with pytest.raises(ValueError, match="dict"):
        fs(np.array([1.0]))
    with pytest.raises(ValueError, match=r"has no \['a'\]"):
        fs({"b": np.array([1.0])})
    with pytest.raises(ValueError, match="cannot concatenate"):
        FeatureSpace({"a": FeatureSpace.integer_categorical(output_mode="int")}).adapt(
            {"a": np.array([1, 2])}, verbose=0)


@pytest.mark.parametrize("case", sorted(META["cases"]))
def test_loads_keras_saved_files_and_saves_them_as_keras_does(case, tmp_path):
    fs = lamina.saving.load_model(_DIR / f"feature_space_{case}.keras")
    cols = {k: TABLE[k] for k in META["cases"][case]["features"]}
    for name, x in _as_dict(fs(cols)).items():
        np.testing.assert_allclose(np.asarray(x), ARRAYS[f"{case}__{name}"], atol=1e-5)
    fs.save(tmp_path / "again.keras")  # (tools/... --check loads such files in Keras)
    import zipfile

    with zipfile.ZipFile(tmp_path / "again.keras") as z:
        config = json.loads(z.read("config.json"))
        assert any(n.startswith("assets/preprocessors/string_lookup") for n in z.namelist())
    assert (config["module"], config["class_name"]) == ("keras.utils", "FeatureSpace")
    pre = config["config"]["features"]["f"]["config"]["preprocessor"]
    assert (pre["module"], pre["registered_name"]) == (
        "keras.src.layers.preprocessing.feature_space", "TFDIdentity")


def test_the_keras_io_structured_data_recipe_runs(capsys):
    # keras-io "Structured data classification with FeatureSpace", on a small synthetic table.
    rng = np.random.default_rng(2)
    n = 64
    table = {"sex": rng.integers(0, 2, n), "age": rng.integers(29, 77, n),
             "chol": rng.integers(126, 564, n), "thal": rng.choice(["fixed", "normal"], n),
             "ca": rng.integers(0, 4, n)}
    labels = rng.integers(0, 2, n)
    train_ds = lamina.data.Dataset.from_tensor_slices((table, labels)).shuffle(n).batch(16)
    fs = FeatureSpace(
        features={"sex": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "thal": FeatureSpace.string_categorical(num_oov_indices=0),
                  "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "age": FeatureSpace.float_discretized(num_bins=8),
                  "chol": FeatureSpace.float_normalized()},
        crosses=[FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=16),
                 FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=4)],
        output_mode="concat")
    fs.adapt(train_ds.map(lambda x, _: x))
    assert "4/4" in capsys.readouterr().out  # the progress bar over the batches
    width = 2 + 2 + 4 + 8 + 1 + 16 + 4
    for x, _ in train_ds.take(1):
        assert fs(x).shape == (16, width)
    preprocessed = train_ds.map(lambda x, y: (fs(x), y)).prefetch(2)
    encoded = fs.get_encoded_features()
    x = lamina.layers.Dropout(0.5)(lamina.layers.Dense(8, activation="relu")(encoded))
    predictions = lamina.layers.Dense(1, activation="sigmoid")(x)
    training_model = lamina.Model(inputs=encoded, outputs=predictions)
    training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    inference_model = lamina.Model(inputs=fs.get_inputs(), outputs=predictions)
    training_model.fit(preprocessed, epochs=1, validation_data=preprocessed, verbose=0)
    sample = {"sex": 1, "age": 60, "chol": 233, "thal": "fixed", "ca": 0}
    inputs = {k: lamina.ops.convert_to_tensor([v]) for k, v in sample.items()}
    prob = inference_model.predict(inputs, verbose=0)
    np.testing.assert_allclose(prob, training_model.predict(fs(sample)[None], verbose=0),
                               atol=1e-6)


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.layers import feature_space
    from lamina.layers.text_preprocessing import hashed_crossing

    assert run_doctests(feature_space) >= 1
    assert run_doctests(hashed_crossing) >= 1
