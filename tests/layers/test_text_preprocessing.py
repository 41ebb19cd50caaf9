"""Text and categorical preprocessing layers against real Keras (tests/fixtures/keras/text.json)."""

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import lamina
import lamina.data
from lamina import layers as L
from lamina.layers.text_preprocessing import _hashes

FIXTURES = json.loads((Path(__file__).resolve().parent.parent / "fixtures" / "keras" /
                       "text.json").read_text(encoding="utf-8"))
CASES = {c["name"]: c for c in FIXTURES["layers"]}


def _input(values, dtype):
    return np.asarray(values, dtype=str) if dtype == "str" else np.asarray(values, dtype=dtype)


def _make(case):
    config = dict(case["config"])
    if isinstance(config.get("ngrams"), list):
        config["ngrams"] = tuple(config["ngrams"])
    layer = getattr(L, case["layer"])(**config)
    if case["adapt"] is not None:
        layer.adapt(case["adapt"])
    return layer


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_matches_keras(name):
    case = CASES[name]
    layer = _make(case)
    if "vocabulary" in case:
        assert layer.get_vocabulary() == case["vocabulary"]
        assert layer.vocabulary_size() == case["vocabulary_size"]
    if "bin_boundaries" in case:
        np.testing.assert_allclose(layer.bin_boundaries, case["bin_boundaries"], rtol=0, atol=0)
    for call in case["calls"]:
        out = layer(_input(call["input"], call["input_dtype"])).numpy()
        expected = call["output"]
        if call["dtype"] == "string":
            assert out.tolist() == expected
            continue
        assert out.dtype == np.dtype(call["dtype"]), (out.dtype, call["dtype"])
        np.testing.assert_allclose(out, np.asarray(expected), rtol=1e-6, atol=1e-6)
    if "weighted" in case:
        w = case["weighted"]
        call = case["calls"][0]
        out = layer(_input(call["input"], call["input_dtype"]),
                    count_weights=np.asarray(w["count_weights"], "float32")).numpy()
        np.testing.assert_allclose(out, w["output"])


def test_fingerprint64_and_siphash_known_values():
    # Values recorded from TensorFlow (to_hash_bucket_fast / _strong with 2**63 - 1 buckets
    # are the raw hashes modulo that number); see also the Hashing fixtures.
    strings = [s for s in FIXTURES["layers"][0]["adapt"][0]]
    assert all(isinstance(_hashes.fingerprint64(s.encode()), int) for s in strings)
    case = CASES["hashing_large_bins"]
    got = [_hashes.fingerprint64(row[0].encode()) % 1000003 for row in case["calls"][0]["input"]]
    assert got == [row[0] for row in case["calls"][0]["output"]]


def test_adapt_on_a_dataset_and_a_generator_matches_arrays():
    texts = ["b a c", "c a b", "d d e", "e f", "g"]
    ref = L.TextVectorization()
    ref.adapt(texts)
    ds = lamina.data.Dataset.from_tensor_slices(texts).batch(2)
    from_ds = L.TextVectorization()
    from_ds.adapt(ds)
    from_gen = L.TextVectorization()
    from_gen.adapt(np.asarray(t) for t in [texts[:3], texts[3:]])
    assert from_ds.get_vocabulary() == ref.get_vocabulary() == from_gen.get_vocabulary()
    assert ref.get_vocabulary() == CASES["text_vectorization_ties_seq"]["vocabulary"]


def test_inputs_as_lists_bytes_and_objects():
    layer = L.StringLookup(vocabulary=["a", "b"])
    expected = [[1, 2, 0]]
    assert layer([["a", "b", "c"]]).numpy().tolist() == expected
    assert layer(np.array([[b"a", b"b", b"c"]])).numpy().tolist() == expected
    assert layer(np.array([["a", "b", "c"]], dtype=object)).numpy().tolist() == expected


def test_bad_inputs_say_what_to_do():
    with pytest.raises(TypeError, match="expects strings"):
        L.TextVectorization(vocabulary=["a"])(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="pad_sequences"):
        L.StringLookup(vocabulary=["a"])([["a", "b"], ["a"]])
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\)"):
        L.CategoryEncoding(3)(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        L.StringLookup(vocabulary=["a"], num_oov_indices=0)([["a", "zz"]])
    with pytest.raises(ValueError, match="'output_mode' argument of TextVectorization"):
        L.TextVectorization(output_mode="bag")
    with pytest.raises(RuntimeError, match="adapt"):
        L.StringLookup(output_mode="multi_hot")([["a"]])
    with pytest.raises(ValueError, match="sparse=False"):
        L.Hashing(3, output_mode="multi_hot", sparse=True)
    with pytest.raises(ValueError, match="repeats"):
        L.StringLookup(vocabulary=["a", "a"])


def test_vocabulary_file_given_by_the_user(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nz\n", encoding="utf-8")
    layer = L.StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "x", "y", "z"]
    assert layer.get_config()["vocabulary"] is None  # (a path is never saved in a config)


def test_a_config_naming_a_vocabulary_file_is_refused():
    with pytest.raises(ValueError, match="never reads files named inside a loaded model"):
        L.StringLookup.from_config({"vocabulary": "/etc/passwd"})
    with pytest.raises(ValueError, match="never reads files named"):
        L.TextVectorization.from_config({"vocabulary": "/etc/passwd", "standardize": None,
                                         "split": None})


@pytest.mark.parametrize("i", range(len(FIXTURES["configs"])))
def test_serializes_like_keras(i):
    case = FIXTURES["configs"][i]
    kwargs = dict(case["kwargs"])
    if isinstance(kwargs.get("ngrams"), list):
        kwargs["ngrams"] = tuple(kwargs["ngrams"])
    layer = getattr(L, case["layer"])(**kwargs, name="probe")
    mine = json.loads(json.dumps(lamina.layers.serialize(layer)))
    keras = dict(case["serialized"])
    mine.pop("build_config", None)
    keras.pop("build_config", None)
    assert mine == keras
    restored = lamina.layers.deserialize(case["serialized"])
    assert type(restored) is type(layer)
    assert restored.get_config() == layer.get_config()


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.layers.text_preprocessing import (
        discretization,
        encoding,
        hashing,
        lookups,
        text_vectorization,
    )

    for module in (discretization, encoding, hashing, lookups, text_vectorization):
        assert run_doctests(module) >= 1


def test_config_round_trip():
    for layer in [L.TextVectorization(max_tokens=10, ngrams=2, output_sequence_length=3,
                                      vocabulary=["a", "b"]),
                  L.StringLookup(vocabulary=["a"], mask_token="", num_oov_indices=2),
                  L.IntegerLookup(vocabulary=[4, 5], invert=True),
                  L.Hashing(5, salt=3), L.Discretization(bin_boundaries=[0.0, 1.0]),
                  L.CategoryEncoding(4, output_mode="count")]:
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def _text_model(tv):
    inputs = lamina.Input(shape=(1,), dtype="string")
    x = L.Embedding(tv.vocabulary_size(), 4)(tv(inputs))
    outputs = L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling1D()(x))
    return lamina.Model(inputs, outputs)


TEXTS = np.array([["good great fun"], ["bad awful"], ["great movie"], ["awful bad plot"]] * 4)
LABELS = np.array([1, 0, 1, 0] * 4, dtype="float32")


def test_a_model_with_a_string_input_trains_traced_and_saves(tmp_path):
    lamina.utils.set_random_seed(1)
    tv = L.TextVectorization(output_sequence_length=4)
    tv.adapt(TEXTS[:, 0])
    model = _text_model(tv)
    model.compile("adam", "binary_crossentropy")
    ds = lamina.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(4)
    history = model.fit(ds, epochs=3, verbose=0)  # (LAMINA_ENGINE_STRICT: traced, no fallback)
    assert history.history["loss"][-1] < history.history["loss"][0]
    expected = model(TEXTS[:4]).numpy()
    path = tmp_path / "text.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        vocab = zf.read("assets/layers/text_vectorization/vocabulary.txt").decode()
    assert "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt" in names
    assert vocab.split("\n") == tv.get_vocabulary()
    restored = lamina.models.load_model(path)
    np.testing.assert_allclose(restored(TEXTS[:4]).numpy(), expected, rtol=1e-6)


def test_eager_and_traced_give_the_same_numbers():
    def run(eager):
        lamina.utils.set_random_seed(3)
        tv = L.TextVectorization(output_sequence_length=4)
        tv.adapt(TEXTS[:, 0])
        model = _text_model(tv)
        model.compile("sgd", "binary_crossentropy", run_eagerly=eager)
        ds = lamina.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(4)
        return model.fit(ds, epochs=2, verbose=0).history["loss"]

    np.testing.assert_allclose(run(True), run(False), rtol=1e-6)


def test_vectorize_in_the_data_pipeline():
    tv = L.TextVectorization(output_sequence_length=4)
    tv.adapt(TEXTS[:, 0])
    ds = lamina.data.Dataset.from_tensor_slices((TEXTS[:, 0], LABELS)).batch(4).map(
        lambda t, y: (tv(t), y))
    x, y = next(iter(ds))
    assert x.shape == (4, 4) and x.dtype == np.int64
    assert np.asarray(x).tolist()[0] == [tv.get_vocabulary().index(w) for w in
                                         ["good", "great", "fun"]] + [0]


FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "keras"


def test_a_keras_saved_text_model_loads_with_keras_predictions():
    # TextVectorization and StringLookup (mask, two hashed OOV slots) adapted by Keras: the
    # vocabularies come from the file's assets.
    model = lamina.models.load_model(FIXTURE_DIR / "text_model_keras.keras")
    data = np.load(FIXTURE_DIR / "text_model_keras.npz")
    np.testing.assert_allclose(model(data["x"]).numpy(), data["y"], rtol=1e-5, atol=1e-6)


def test_a_lamina_saved_text_model_loads_in_keras_with_our_predictions():
    data = np.load(FIXTURE_DIR / "text_model_lamina.npz")
    np.testing.assert_allclose(data["keras_y"], data["y"], rtol=0, atol=1e-5)
    model = lamina.models.load_model(FIXTURE_DIR / "text_model_lamina.keras")
    np.testing.assert_allclose(model(data["x"]).numpy(), data["y"], rtol=1e-6, atol=1e-6)
    with zipfile.ZipFile(FIXTURE_DIR / "text_model_lamina.keras") as zf:
        assert sorted(n for n in zf.namelist() if n.startswith("assets/")) == [
            "assets/layers/string_lookup/vocabulary.txt",
            "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt",
            "assets/layers/text_vectorization/vocabulary.txt"]


def test_tf_idf_weights_survive_saving(tmp_path):
    tv = L.TextVectorization(output_mode="tf_idf")
    tv.adapt(["a b b c", "b c", "c d"])
    inputs = lamina.Input(shape=(1,), dtype="string")
    model = lamina.Model(inputs, L.Dense(2)(tv(inputs)))
    x = np.array([["a b zz b"], ["d"]])
    expected = model(x).numpy()
    model.save(tmp_path / "m.keras")
    assert os.path.exists(tmp_path / "m.keras")
    np.testing.assert_allclose(lamina.models.load_model(tmp_path / "m.keras")(x).numpy(),
                               expected, rtol=1e-6)
